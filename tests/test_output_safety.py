"""No output ever holds a live formula fed in by a user, and an output that cannot
be written gives a clear error, exit code 2, and leaves the folder as it was."""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from plan_check import check_solved
from test_guard import folder_state
from tiny import Contributor, Permission, base, with_contributors
from workbooks import tiny_sheets, write_book

import hubopt
from hubopt import cli
from hubopt.files.xlsx import FORMULA_STARTS, csv_text
from hubopt.inputs.template import write_input_workbook

EVIL = {  # one formula-like value for every kind of user text that reaches an output
    "scenario": "=cmd|' /C calc'!A0",
    "site": "=HYPERLINK(\"http://x\",\"A\")",
    "name": "@SUM(1+1)",
    "sector": "+K",
    "service": "-goods",
    "size": "=1+1",
    "contributor": "=EVIL()",
}


def evil_scenario(**settings):
    """tiny.base with every id and name replaced by formula-like text, and a contributor."""
    scenario = base(scenario_name=EVIL["scenario"], **settings)
    site, sector, service = EVIL["site"], EVIL["sector"], EVIL["service"]
    scenario = replace(
        scenario,
        services=(replace(scenario.services[0], service_id=service),),
        sites=(replace(scenario.sites[0], site_id=site, name=EVIL["name"]), scenario.sites[1]),
        hub_options=tuple(replace(o, site_id=site if o.site_id == "A" else o.site_id,
                                  service=service, size=EVIL["size"])
                          for o in scenario.hub_options),
        sectors=(replace(scenario.sectors[0], sector_id=sector), scenario.sectors[1]),
        demand=tuple(replace(d, service=service, sector_id=sector if d.sector_id == "K"
                             else d.sector_id) for d in scenario.demand),
        routes=tuple(replace(r, site_id=site if r.site_id == "A" else r.site_id,
                             sector_id=sector if r.sector_id == "K" else r.sector_id)
                     for r in scenario.routes))
    return with_contributors(scenario, [Contributor(EVIL["contributor"], name=EVIL["name"])],
                             [Permission(EVIL["contributor"], "POL")])


def assert_no_formulas(path: Path) -> int:
    """Every cell of every sheet: never a formula; formula-like text quote-prefixed.
    Returns how many formula-like texts were found."""
    seen = 0
    for sheet in load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate}: {cell.value}"
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                    assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
                    seen += 1
    return seen


def test_result_workbook_keeps_every_user_text_as_text(tmp_path):
    plan = hubopt.solve(evil_scenario())
    assert plan.status == "optimal" and check_solved(plan) == []
    path = hubopt.write_result(plan, tmp_path / "r.xlsx")
    book = load_workbook(path)
    assert {"Summary", "Hubs", "Flows", "Sectors", "Staffing", "Funding", "Contributors",
            "Inputs"} <= set(book.sheetnames)
    assert book["Hubs"]["A2"].value == EVIL["site"]
    assert book["Staffing"]["A2"].value == EVIL["contributor"]
    assert assert_no_formulas(path) >= 15


def test_diagnosis_and_input_workbooks_keep_user_text_as_text(tmp_path):
    infeasible = hubopt.solve(evil_scenario(budget=10))
    assert infeasible.status == "infeasible"
    assert assert_no_formulas(hubopt.write_result(infeasible, tmp_path / "d.xlsx")) >= 2
    write_input_workbook(tmp_path / "in.xlsx", evil_scenario())
    assert assert_no_formulas(tmp_path / "in.xlsx") >= 10
    # and the input written this way reads back to the same texts
    again = hubopt.read_scenario(tmp_path / "in.xlsx")
    assert again.sites[0].site_id == EVIL["site"] and again.settings.scenario_name == \
        EVIL["scenario"]


def test_json_summary_keeps_the_text(tmp_path):
    sheets = tiny_sheets()
    sheets["Settings"][1][1] = EVIL["scenario"]
    book = write_book(tmp_path / "e.xlsx", sheets)
    result = CliRunner().invoke(cli.main, ["solve", str(book), "-o", str(tmp_path / "o.xlsx"),
                                           "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["scenario"] == EVIL["scenario"]   # a JSON string


def test_csv_text_defuses_formula_like_fields():
    rows = [[csv_text(v) for v in ("=1+1", "+A", "-B", "@C", "\tD", "plain", 3.5, -2)]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == [
        "'=1+1", "'+A", "'-B", "'@C", "'\tD", "plain", "3.5", "-2"]   # numbers unchanged


# -- outputs that cannot be written ---------------------------------------------------

def solve_to(book: Path, out: Path):
    return CliRunner().invoke(cli.main, ["solve", str(book), "-o", str(out)],
                              catch_exceptions=False)


@pytest.fixture
def book(tmp_path) -> Path:
    return write_book(tmp_path / "tiny.xlsx", tiny_sheets())


def test_result_open_in_another_program(book, tmp_path, monkeypatch):
    # Windows refuses to replace a file that Excel holds open with a PermissionError
    out = tmp_path / "outputs"
    out.mkdir()
    (out / "tiny_result.xlsx").write_bytes(b"yesterday")
    before = folder_state(out)

    def locked(source, target):
        raise PermissionError(13, "Permission denied", str(target))
    monkeypatch.setattr(os, "replace", locked)
    result = solve_to(book, out / "tiny_result.xlsx")
    assert result.exit_code == 2
    assert (f"Error: cannot write {out / 'tiny_result.xlsx'}: Permission denied. It may be open "
            "in Excel or another program") in result.stderr
    assert "Traceback" not in result.output
    assert folder_state(out) == before            # old result intact, no temporary file


def test_output_path_is_a_folder(book, tmp_path):
    out = tmp_path / "outputs"
    (out / "plan.xlsx").mkdir(parents=True)
    before = folder_state(out)
    result = solve_to(book, out / "plan.xlsx")
    assert result.exit_code == 2                  # refused by the option parser already
    assert "is a directory" in result.stderr
    assert folder_state(out) == before
    with pytest.raises(hubopt.OutputError, match="Is a directory. Choose another path"):
        hubopt.write_result(hubopt.solve(base()), out / "plan.xlsx")
    assert folder_state(out) == before


def test_output_folder_cannot_be_made(book, tmp_path):
    blocker = tmp_path / "outputs"
    blocker.write_text("a file where the folder should be")
    before = folder_state(tmp_path)
    result = solve_to(book, blocker / "deeper" / "r.xlsx")
    assert result.exit_code == 2
    assert "cannot write" in result.stderr and "Not a directory" in result.stderr
    assert folder_state(tmp_path) == before


def test_failed_save_removes_the_folders_it_made(book, tmp_path, monkeypatch):
    from openpyxl import Workbook

    def disk_full(self, filename):
        Path(filename).write_bytes(b"partial")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(Workbook, "save", disk_full)
    before = folder_state(tmp_path)
    result = solve_to(book, tmp_path / "new" / "deep" / "r.xlsx")
    assert result.exit_code == 2
    assert "No space left on device" in result.stderr
    assert folder_state(tmp_path) == before       # neither new/ nor new/deep/ is left


def test_map_image_that_cannot_be_written(book, tmp_path):
    pytest.importorskip("matplotlib")
    result_book = tmp_path / "r.xlsx"
    assert solve_to(book, result_book).exit_code == 0
    blocker = tmp_path / "maps"
    blocker.write_text("a file where the folder should be")
    before = folder_state(tmp_path)
    result = CliRunner().invoke(cli.main, ["map", str(result_book), "-o",
                                           str(blocker / "m.png")], catch_exceptions=False)
    assert result.exit_code == 2
    assert "cannot write" in result.stderr and "Traceback" not in result.output
    assert folder_state(tmp_path) == before
