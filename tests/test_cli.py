"""The command line through click's runner: outputs, files and exit codes (SPEC §4, §5)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from plan_check import check_plan
from workbooks import set_cell, tiny_sheets, write_book

import hubopt
import hubopt.solver.session
from hubopt import cli
from hubopt.inputs.reader import normalise_header
from hubopt.solver import outcome as solver
from hubopt.solver.session import Session


def run(*args: str):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def result_table(path: Path, sheet: str) -> pd.DataFrame:
    frame = pd.read_excel(path, sheet_name=sheet, engine="openpyxl")
    return frame.rename(columns=normalise_header)


def summary_of(path: Path) -> dict:
    frame = pd.read_excel(path, sheet_name="Summary", engine="openpyxl")
    return dict(zip(frame["key"], frame["value"]))


@pytest.fixture
def tiny_book(tmp_path) -> Path:
    return write_book(tmp_path / "tiny.xlsx", tiny_sheets())


def test_solve_writes_the_result_workbook_and_json(tiny_book, tmp_path):
    out = tmp_path / "res" / "plan.xlsx"
    result = run("solve", tiny_book, "-o", out, "--json", "-q")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["status"] == "optimal"
    assert summary["objective"] == pytest.approx(200)
    assert summary["total_cost"] == pytest.approx(200)
    assert summary["open_sites"] == 1
    assert summary["output"] == str(out)
    assert list(summary) == [*hubopt.outputs.results.SUMMARY_KEYS, "stress"]
    # losing A (the only hub) leaves all 100 units unserved and ships nothing
    assert summary["stress"] == [{
        "rank": 1, "site_id": "A", "name": "Alpha", "country": "POL", "unserved": 100.0,
        "unserved_share": 1.0, "unserved_goods": 100.0, "avg_hours_rise": None,
        "max_hours_rise": None, "cost_rise": None,
        "cost_note": "100 units/period unserved: not a saving"}]

    book = load_workbook(out)
    assert book.sheetnames == ["Summary", "Map", "Charts", "Hubs", "Flows", "Sectors",
                               "Stress", "Locations", "Inputs"]
    assert "Diagnosis" not in book.sheetnames  # a feasible plan never has one
    assert book["Hubs"]["A1"].value == "site_id"
    assert book["Hubs"].freeze_panes == "A2"
    assert book["Summary"]["A4"].value == "objective"
    assert book["Summary"]["B4"].value == 200                  # a number, not text
    assert book["Summary"]["B4"].data_type == "n"
    written = summary_of(out)
    assert written["objective"] == pytest.approx(200)
    assert written["status"] == "optimal"
    inputs = dict(zip(*zip(*[(r[0].value, r[1].value) for r in book["Inputs"].iter_rows(
        min_row=2)])))
    assert inputs["input_sha256"] == hubopt.inputs.reader.file_sha256(tiny_book)
    assert inputs["pyomo_version"] and inputs["highs_version"]
    assert inputs["setting mip_gap"] == 0

    # the plan re-checked independently from the workbook's tables
    scenario = hubopt.read_scenario(tiny_book)
    hubs, flows = result_table(out, "Hubs"), result_table(out, "Flows")
    hubs["size"] = hubs["size"].astype(str)
    assert check_plan(scenario, hubs, flows, written) == []


def test_solve_default_output_and_human_summary(tiny_book, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("solve", tiny_book)
    assert result.exit_code == 0
    assert (tmp_path / "outputs" / "tiny_result.xlsx").is_file()
    assert "tiny: optimal" in result.stdout
    assert "total cost 200 (hubs 100, transport 100)" in result.stdout
    assert "read: tiny.xlsx" in result.stderr and "solve: optimal" in result.stderr


def test_json_keeps_stdout_clean(tiny_book, tmp_path):
    result = run("solve", tiny_book, "-o", tmp_path / "o.xlsx", "--json")
    assert result.exit_code == 0
    json.loads(result.stdout)                     # nothing but the JSON object
    assert "build:" in result.stderr


def test_set_overrides_a_setting(tiny_book, tmp_path):
    result = run("solve", tiny_book, "-o", tmp_path / "o.xlsx", "--json", "--set", "budget=90")
    assert json.loads(result.stdout)["objective"] == pytest.approx(380)


def test_output_must_not_be_the_input(tiny_book):
    result = run("solve", tiny_book, "-o", tiny_book)
    assert result.exit_code == 2
    assert "that is the input file" in result.stderr


@pytest.mark.parametrize("args", [["--set", "budget"], ["--set", "budgett=5"]])
def test_bad_set_is_a_usage_error(tiny_book, tmp_path, args):
    result = run("solve", tiny_book, "-o", tmp_path / "o.xlsx", *args)
    assert result.exit_code == 2
    assert "--set" in result.stderr


def test_invalid_input_exits_3_and_writes_nothing(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Sites", 3, "latitude", "north")
    book = write_book(tmp_path / "bad.xlsx", sheets)
    out = tmp_path / "out" / "bad_result.xlsx"
    result = run("solve", book, "-o", out)
    assert result.exit_code == 3
    assert "Sites!D3: latitude: 'north' is not a number." in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists() and not out.parent.exists()


def test_validate_exit_codes(tiny_book, tmp_path):
    ok = run("validate", tiny_book)
    assert ok.exit_code == 0
    assert "valid (0 warning(s)); 2 usable sites, 2 demand rows, 4 usable links" in ok.stdout

    sheets = tiny_sheets()
    set_cell(sheets, "Demand", 2, "max_hours", 1)
    unreachable = run("validate", write_book(tmp_path / "far.xlsx", sheets))
    assert unreachable.exit_code == 4
    assert "Demand row 2: sector K, goods: 60 units cannot be served" in unreachable.stderr

    set_cell(sheets, "Demand", 2, "max_hours", "soon")
    broken = run("validate", write_book(tmp_path / "broken.xlsx", sheets))
    assert broken.exit_code == 3
    assert "Demand!D2: max_hours: 'soon' is not a number." in broken.stderr


def test_infeasible_exits_4_with_a_diagnosis_sheet(tiny_book, tmp_path):
    out = tmp_path / "o.xlsx"
    result = run("solve", tiny_book, "-o", out, "--set", "budget=50", "--json")
    assert result.exit_code == 4
    assert json.loads(result.stdout.splitlines()[0])["status"] == "infeasible"
    assert json.loads(result.stdout.splitlines()[0])["stress"] == []
    assert "No feasible plan exists." in result.stderr
    assert "1. Settings budget: the hubs needed cost 80 a year, 30 over the budget of 50." \
        in result.stderr
    book = load_workbook(out)
    assert book.sheetnames == ["Summary", "Diagnosis", "Hubs", "Flows", "Sectors", "Locations",
                               "Inputs"]
    assert [c.value for c in book["Diagnosis"][2]] == [
        "Settings budget", "the hubs needed cost 80 a year, 30 over the budget of 50.",
        "Raise Settings budget by 30 to 80."]
    # the relaxed plan is shown, and marked as not feasible everywhere
    summary = summary_of(out)
    assert summary["status"] == "infeasible"
    assert summary["note"].startswith("NOT FEASIBLE")
    assert summary["hub_cost"] == pytest.approx(80)
    for name in ("Hubs", "Flows", "Sectors"):   # a banner in row 1, the table below
        assert book[name].sheet_properties.tabColor.rgb.endswith("C00000")
        assert book[name]["A1"].value.startswith("NOT FEASIBLE: the relaxed plan")
        assert book[name]["A1"].comment.text.startswith("NOT FEASIBLE")
        assert book[name]["A2"].value in ("site_id", "sector_id")
    hubs = pd.read_excel(out, sheet_name="Hubs", header=1, engine="openpyxl")
    assert hubs.rename(columns=normalise_header)["site_id"].tolist() == ["B"]


def test_presolve_infeasibility_names_the_row(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Demand", 3, "max_hours", 1)
    out = tmp_path / "o.xlsx"
    result = run("solve", write_book(tmp_path / "far.xlsx", sheets), "-o", out)
    assert result.exit_code == 4
    diagnosis = result_table(out, "Diagnosis")
    assert diagnosis["where"].tolist() == ["Demand row 3"]
    assert "40 units cannot be served" in diagnosis["finding"][0]
    assert diagnosis["what_to_change"][0].startswith("Raise max_hours")


def test_time_limit_with_a_plan_exits_0_and_says_so(tiny_book, tmp_path, monkeypatch):
    real = Session.solve

    def stopped_early(self, start=None):
        outcome = real(self, start)
        return replace(outcome, status="time_limit", bound=outcome.objective * 0.9, gap=0.1)
    monkeypatch.setattr(Session, "solve", stopped_early)
    out = tmp_path / "o.xlsx"
    result = run("solve", tiny_book, "-o", out)
    assert result.exit_code == 0
    assert "time_limit (time limit reached: feasible, gap 10.00%)" in result.stdout
    assert summary_of(out)["status"] == "time_limit"
    assert len(result_table(out, "Hubs")) == 1


def test_no_solution_exits_5_and_writes_nothing(tiny_book, tmp_path, monkeypatch):
    monkeypatch.setattr(Session, "solve", lambda self, start=None: solver.SolveOutcome(
        "no_solution", "kTimeLimit", None, None, None, 1.0))
    out = tmp_path / "o.xlsx"
    result = run("solve", tiny_book, "-o", out, "--json")
    assert result.exit_code == 5
    assert json.loads(result.stdout.splitlines()[0])["status"] == "no_solution"
    assert not out.exists()


def test_internal_error_exits_1_without_traceback(tiny_book, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(hubopt.solver.session, "build_model", broken)
    result = run("solve", tiny_book, "-o", tmp_path / "o.xlsx")
    assert result.exit_code == 1
    assert "Internal error: RuntimeError: boom" in result.stderr
    assert "Traceback" not in result.stderr
    verbose = run("solve", tiny_book, "-o", tmp_path / "o.xlsx", "-v")
    assert "Traceback" in verbose.stderr


def test_user_text_is_never_a_formula(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Sites", 2, "name", '=HYPERLINK("http://x","click")')
    out = tmp_path / "o.xlsx"
    assert run("solve", write_book(tmp_path / "f.xlsx", sheets), "-o", out).exit_code == 0
    cell = load_workbook(out)["Hubs"]["B2"]
    assert cell.value == '=HYPERLINK("http://x","click")'
    assert cell.data_type == "s"


def test_usage_errors_exit_2():
    assert run("solve", "--mip-gap", "-1").exit_code == 2
    assert run("frobnicate").exit_code == 2


def test_verbose_solve_in_a_real_process_shows_solver_output(tiny_book, tmp_path):
    # HiGHS's log reaches stderr through its logging callback while it runs in the
    # solve guard's worker thread; only a real process shows what a planner sees.
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "hubopt", "solve", str(tiny_book), "-o",
                           str(tmp_path / "o.xlsx"), "-v"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "highs: Presolving model" in done.stderr
    assert "highs: highs:" not in done.stderr
    assert "tiny: optimal" in done.stdout


def test_the_example_with_a_tiny_budget_ends_with_what_to_change(tmp_path):
    out = tmp_path / "o.xlsx"
    result = run("solve", "-o", out, "-q", "--set", "budget=1")
    assert result.exit_code == 4
    # the budget needed is the least hub cost that serves all demand under every other
    # limit: solve the example with only hub costs in the objective
    from hubopt.inputs.example import example_scenario
    cheapest = hubopt.solve(example_scenario().with_settings(
        value_of_time=0.0, transport_cost_per_unit_km=0.0, value_at_risk=0.0), stress=False)
    needed = round(cheapest.summary["objective"])
    lines = result.stdout.strip().splitlines()
    assert lines == [
        f"Paris declaration hubs (illustrative): infeasible; relaxed plan (NOT feasible) and "
        f"diagnosis written to {out}",
        "What to change:",
        f"  1. Raise Settings budget by {needed - 1:,} to {needed:,}."]
    assert result.stderr.strip().splitlines() == [
        "No feasible plan exists. What stands in the way (the elastic re-solve, largest first):",
        f"  1. Settings budget: the hubs needed cost {needed:,} a year, {needed - 1:,} over the "
        "budget of 1."]
