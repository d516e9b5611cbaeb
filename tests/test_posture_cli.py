"""The posture from the command line and in the workbook (SPEC §2.11–2.12, §3.5):
inputs refused with the cell named, the result workbook, --json, --scenario.

The tiny workbook (tests/workbooks.py) with three scenarios: calm (p 0.5), war
(p 0.3, demand × 1.2: both sites needed) and strike (p 0.2, site A lost).
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from workbooks import tiny_sheets, write_book

import hubopt
from hubopt import cli


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def posture_sheets():
    sheets = tiny_sheets()
    sheets["Settings"].append(["later_cost_factor", 1.25])
    sheets["Scenarios"] = [["scenario", "probability", "ceasefire", "demand_factor",
                            "lost_sites", "description"],
                           ["calm", 0.5, "no", 1, None, "today"],
                           ["war", 0.3, "no", 1.2, None, "a larger force"],
                           ["strike", 0.2, "no", 1, "A", "A is struck"]]
    sheets["ScenarioDemand"] = [["scenario", "sector_id", "service", "quantity"],
                                ["calm", "L", "goods", 30]]
    return sheets


def test_solve_writes_the_posture_workbook_and_json(tmp_path):
    out = tmp_path / "o.xlsx"
    result = run("solve", write_book(tmp_path / "in.xlsx", posture_sheets()), "-o", out,
                 "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    for key in ("objective", "ws", "evpi", "vss", "now", "scenarios"):
        assert key in record
    assert [s["scenario"] for s in record["scenarios"]] == ["calm", "war", "strike"]
    for item in record["scenarios"]:
        assert set(item) == {"scenario", "probability", "cost", "ws", "ec", "added", "lost"}
    assert record["evpi"] == pytest.approx(record["objective"] - record["ws"])
    assert record["vss"] == pytest.approx(min(s["ec"] for s in record["scenarios"])
                                          - record["objective"])
    posture = hubopt.posture(hubopt.read_scenario(tmp_path / "in.xlsx"))
    assert record["objective"] == pytest.approx(posture.objective)
    assert record["now"] == [list(m) for m in posture.now]

    book = load_workbook(out)
    for name in ("Summary", "Now", "Posture", "Hubs", "Flows", "Sectors", "Inputs"):
        assert name in book.sheetnames
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows(min_row=2)}
    assert summary["objective"] == pytest.approx(record["objective"])
    assert summary["evpi"] == pytest.approx(record["evpi"])
    hubs = book["Hubs"]
    header = [c.value for c in hubs[1]]
    assert header[0] == "scenario" and "built" in header
    scenarios = {row[0].value for row in hubs.iter_rows(min_row=2)}
    assert scenarios <= {"calm", "war", "strike"} and scenarios
    # strike loses A: no Hubs or Flows row of A there
    flows = [[c.value for c in row] for row in book["Flows"].iter_rows(min_row=2)]
    assert not [f for f in flows if f[0] == "strike" and f[1] == "A"]
    posture_sheet = book["Posture"]
    cells = [c.value for row in posture_sheet.iter_rows() for c in row]
    assert "build now the posture (hedge)" in cells
    assert posture_sheet._charts, "the Posture sheet has the expected-cost chart"


def test_solve_one_scenario_alone_is_a_plain_plan(tmp_path):
    book = write_book(tmp_path / "in.xlsx", posture_sheets())
    out = tmp_path / "o.xlsx"
    result = run("solve", book, "-o", out, "--scenario", "strike", "--json")
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    # A is lost: B alone serves 100 units at 80 + 3·100
    assert record["objective"] == pytest.approx(380)
    assert record["scenario"].endswith("/ strike")
    unknown = run("solve", book, "-o", tmp_path / "p.xlsx", "--scenario", "peace")
    assert unknown.exit_code == 2
    assert "there are: calm, war, strike" in unknown.stderr


def test_explain_asks_for_one_scenario(tmp_path):
    result = run("solve", write_book(tmp_path / "in.xlsx", posture_sheets()), "-o",
                 tmp_path / "o.xlsx", "--explain")
    assert result.exit_code == 2
    assert "--scenario NAME" in result.stderr


def _refused(tmp_path, sheets, *expected):
    out = tmp_path / "o.xlsx"
    result = run("solve", write_book(tmp_path / "in.xlsx", sheets), "-o", out)
    assert result.exit_code == 3, result.output
    for text in expected:
        assert text in result.stderr
    assert not out.exists()


def test_probabilities_must_sum_to_one(tmp_path):
    sheets = posture_sheets()
    sheets["Scenarios"][3][1] = 0.3
    _refused(tmp_path, sheets, "Scenarios!B2:B4: probability: the scenarios' probabilities "
             "sum to 1.1, not 1.")


def test_a_probability_outside_0_1_and_a_negative_factor_are_refused(tmp_path):
    sheets = posture_sheets()
    sheets["Scenarios"][1][1] = 1.5
    sheets["Scenarios"][2][3] = -1
    _refused(tmp_path, sheets, "Scenarios!B2: probability: '1.5'", "Scenarios!D3: "
             "demand_factor: '-1'")


def test_unknown_ids_are_refused_with_the_cell(tmp_path):
    sheets = posture_sheets()
    sheets["Scenarios"][3][4] = "A, Z"
    sheets["ScenarioDemand"].append(["peace", "K", "goods", 10])
    sheets["ScenarioDemand"].append(["calm", "Q", "goods", 10])
    _refused(tmp_path, sheets, "Scenarios!E4: lost_sites: 'Z' is not a site_id in Sites.",
             "ScenarioDemand!A3: scenario: 'peace' is not a scenario in Scenarios.",
             "ScenarioDemand!B4: sector_id: 'Q' is not a sector_id in Sectors.")


def test_duplicate_rows_are_refused(tmp_path):
    sheets = posture_sheets()
    sheets["Scenarios"].append(["calm", 0.0, "no", 1, None, None])
    sheets["ScenarioDemand"].append(["calm", "L", "goods", 35])
    _refused(tmp_path, sheets, "Scenarios row 5: duplicate scenario 'calm' (first in row 2).",
             "ScenarioDemand row 3: duplicate scenario 'calm', sector_id 'L', service "
             "'goods' (first in row 2).")


def test_resilience_with_scenarios_is_refused(tmp_path):
    sheets = posture_sheets()
    sheets["Settings"].append(["resilience", 0.8])
    _refused(tmp_path, sheets, "Settings!B6: resilience = 0.8 cannot be combined with the "
             "Scenarios sheet (3 scenario(s))")


def test_scenario_demand_without_scenarios_is_refused(tmp_path):
    sheets = posture_sheets()
    del sheets["Scenarios"]
    _refused(tmp_path, sheets, "ScenarioDemand: has rows but there is no Scenarios sheet")


def test_a_scenario_with_no_plan_is_named(tmp_path):
    sheets = posture_sheets()
    sheets["Scenarios"][2][3] = 3     # war: 300 units, 200 of capacity
    out = tmp_path / "o.xlsx"
    result = run("solve", write_book(tmp_path / "in.xlsx", sheets), "-o", out)
    assert result.exit_code == 4
    assert "in scenario 'war'" in result.stderr
    book = load_workbook(out)
    assert "Diagnosis" in book.sheetnames


def test_template_documents_the_scenario_sheets(tmp_path):
    path = tmp_path / "t.xlsx"
    assert run("template", path).exit_code == 0
    book = load_workbook(path)
    assert {"Scenarios", "ScenarioDemand"} <= set(book.sheetnames)
    text = " ".join(str(c.value) for row in book["Instructions"].iter_rows() for c in row
                    if c.value)
    assert "later_cost_factor" in text
    assert "The probabilities are the planner's judgement" in text


def test_example_with_scenarios_round_trips(tmp_path):
    path = tmp_path / "e.xlsx"
    assert run("example", path, "--scenarios").exit_code == 0
    scenario = hubopt.read_scenario(path)
    assert [c.scenario for c in scenario.scenarios] == ["ceasefire", "no_ceasefire", "strike"]
    assert scenario.scenarios[2].lost == ("RZE",)
    assert len(scenario.scenario_demand) == 4


def test_posture_sweep_writes_its_workbook_and_json(tmp_path):
    book = write_book(tmp_path / "in.xlsx", posture_sheets())
    out = tmp_path / "s.xlsx"
    result = run("posture-sweep", book, "--scenario", "war", "-n", "3", "--resolution",
                 "0.1", "-o", out, "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["scenario"] == "war"
    assert [p["probability"] for p in record["points"]][:1] == [0.0]
    assert record["points"][-1]["probability"] == 1.0
    workbook = load_workbook(out)
    assert {"Sweep", "Changes", "Inputs"} <= set(workbook.sheetnames)
    assert workbook["Sweep"]._charts
    # each change interval holds points on both sides with different plans
    for change in record["changes"]:
        assert change["to"] - change["from"] <= 0.1 + 1e-9
    unknown = run("posture-sweep", book, "--scenario", "peace", "-o", tmp_path / "t.xlsx")
    assert unknown.exit_code == 2 and not (tmp_path / "t.xlsx").exists()
