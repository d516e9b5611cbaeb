"""inputs/template.xlsx and inputs/example.xlsx are what the commands write today.

If a test here fails, regenerate them:

    hubopt template inputs/template.xlsx --force && hubopt example inputs/example.xlsx --force
    hubopt example inputs/posture.xlsx --scenarios --force
"""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from hubopt.inputs.example import example_posture_scenario, example_scenario
from hubopt.inputs.template import write_input_workbook

INPUTS = Path(__file__).resolve().parents[1] / "inputs"


def contents(path: Path) -> dict:
    """Every sheet's cell values, notes, drop-downs and visibility: what a planner sees."""
    book = load_workbook(path)
    seen = {}
    for sheet in book.worksheets:
        cells = [[(c.value, c.comment.text if c.comment else None) for c in row]
                 for row in sheet.iter_rows()]
        validations = sorted((str(v.sqref), v.formula1)
                             for v in sheet.data_validations.dataValidation)
        seen[sheet.title] = (sheet.sheet_state, cells, validations, sorted(sheet.tables))
    return seen


@pytest.mark.parametrize(("name", "scenario"), [("template.xlsx", None),
                                                ("example.xlsx", example_scenario),
                                                ("posture.xlsx", example_posture_scenario)])
def test_bundled_workbook_is_current(tmp_path, name, scenario):
    fresh = tmp_path / name
    write_input_workbook(fresh, scenario() if scenario else None)
    assert contents(INPUTS / name) == contents(fresh), (
        f"inputs/{name} is stale; regenerate it (see this module's docstring)")
