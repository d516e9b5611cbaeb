""""Why this hub?" (hubopt solve --explain): every answer re-solved independently.

tests/tiny.py's base case: A (100 + 100·1 = 200) is optimal, B alone costs 380.
- forbid A → B alone, 380 (+180);
- force open B → A serves everything, B open with its module: 100 + 80 + 100 = 280 (+80).
With contributors: B moved to SVK; X may staff POL only, at most 9 personnel; Y
staffs SVK. A needs 10, so A cannot open and B (380) is the plan; one more
person for X (10) lets A open: 200, a saving of 180 for one unit.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from click.testing import CliRunner
from tiny import Contributor, Permission, base, with_contributors, with_site

import hubopt
from hubopt import cli
from hubopt.inputs.template import write_input_workbook
from hubopt.studies.explain import explain


def answer(table: pd.DataFrame, question: str, subject: str) -> pd.Series:
    rows = table[(table["question"] == question) & (table["subject"] == subject)]
    assert len(rows) == 1, table[["question", "subject"]]
    return rows.iloc[0]


def objective_of(scenario) -> float:
    plan = hubopt.solve(scenario)
    assert plan.status == "optimal"
    return plan.summary["objective"]


def test_forbid_and_force_open_match_independent_solves():
    scenario = base()
    plan = hubopt.solve(scenario)
    table = explain(plan)
    forbid_a = answer(table, "forbid site", "A")
    forced_b = answer(table, "force open site", "B")
    # independently: the same questions asked through Sites status
    assert forbid_a["objective"] == pytest.approx(
        objective_of(with_site(scenario, "A", status="closed")))
    assert forced_b["objective"] == pytest.approx(
        objective_of(with_site(scenario, "B", status="open")))
    assert (forbid_a["objective"], forbid_a["delta_total_cost"]) == (pytest.approx(380),
                                                                     pytest.approx(180))
    assert (forbid_a["sites_opened"], forbid_a["sites_closed"]) == ("B", "A")
    assert (forced_b["objective"], forced_b["delta_objective"]) == (pytest.approx(280),
                                                                    pytest.approx(80))
    assert forced_b["delta_avg_hours"] == pytest.approx(0)
    assert len(table) == 2                       # no contributors: no cap questions


def capped(max_staff: float | None):
    scenario = with_site(base(), "B", country="SVK")
    return with_contributors(
        scenario, [Contributor("X", max_staff=max_staff, row=2), Contributor("Y", row=3)],
        [Permission("X", "POL", row=2), Permission("Y", "SVK", row=3)])


def test_binding_cap_value_matches_independent_solves():
    plan = hubopt.solve(capped(9))
    assert plan.summary["objective"] == pytest.approx(380)
    table = explain(plan)
    raised = answer(table, "cap + 1 unit", "X max_staff [personnel]")
    removed = answer(table, "cap removed", "X max_staff [personnel]")
    one_more = objective_of(capped(10))
    unlimited = objective_of(capped(None))
    assert raised["objective"] == pytest.approx(one_more) == pytest.approx(200)
    assert raised["value_per_unit"] == pytest.approx(380 - one_more)
    assert removed["objective"] == pytest.approx(unlimited)
    assert removed["saving"] == pytest.approx(380 - unlimited)
    assert (removed["cap"], removed["use"]) == (9, pytest.approx(10))
    # B cannot be forbidden: A cannot be staffed, so no plan is left
    forbid_b = answer(table, "forbid site", "B")
    assert forbid_b["status"] == "infeasible"
    assert objective_of_status(with_site(capped(9), "B", status="closed")) == "infeasible"


def objective_of_status(scenario) -> str:
    return hubopt.solve(scenario).status


def test_status_open_sites_are_not_forbidden():
    plan = hubopt.solve(with_site(base(), "A", status="open"))
    table = explain(plan, candidates=0)
    row = answer(table, "forbid site", "A")
    assert row["status"] == "not asked" and "status open" in row["note"]


def test_a_spent_time_budget_leaves_questions_unanswered():
    plan = hubopt.solve(capped(9))
    table = explain(plan, time_budget=1e-9)
    assert set(table["status"]) == {"not evaluated"}
    assert set(table["note"]) == {"time budget used up"}
    assert len(table) == 1 + 1 + 2          # forbid B, force open A, X's cap twice


def test_cli_solve_explain_adds_the_sheet(tmp_path):
    book = tmp_path / "tiny.xlsx"
    write_input_workbook(book, replace(base()))
    out = tmp_path / "r.xlsx"
    result = CliRunner().invoke(cli.main, ["solve", str(book), "-o", str(out), "--explain",
                                           "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    names = pd.ExcelFile(out, engine="openpyxl").sheet_names
    assert names[-2:] == ["Explain", "Inputs"]
    table = pd.read_excel(out, sheet_name="Explain", engine="openpyxl")
    objective = "objective [currency/year]"
    assert table.loc[table["subject"] == "A", objective].item() == pytest.approx(380)


def test_the_sheet_puts_findings_first_and_the_terminal_says_them(tmp_path):
    """The binding-cap case: the cap that matters keeps its rows; the caps whose removal
    saves nothing share one row naming each; the terminal prints each finding."""
    from hubopt.studies.explain import NOTHING_SAVED, findings_first, summary_lines

    scenario = with_contributors(
        with_site(base(), "B", country="SVK"), [Contributor("X", max_staff=9, row=2),
                               Contributor("Y", max_staff=1000, row=3)],
        [Permission("X", "POL", row=2), Permission("Y", "SVK", row=3)])
    full = explain(hubopt.solve(scenario))
    shown = findings_first(full)
    idle = full[full["question"].str.startswith("cap") & (full["saving"] == 0)]
    assert len(idle) > 0 and len(shown) == len(full) - len(idle) + 1
    last = shown.iloc[-1]
    assert last["question"] == NOTHING_SAVED
    assert last["subject"] == f"{idle['subject'].nunique()} cap(s)"
    assert all(subject in last["note"] for subject in idle["subject"])
    assert answer(shown, "cap + 1 unit", "X max_staff [personnel]")["saving"] == \
        pytest.approx(180)
    lines = summary_lines(full)
    assert "without B: no feasible plan" in lines   # A cannot be staffed
    assert "X max_staff [personnel] one unit higher: saves 180 a year" in lines
    assert lines[-1] == f"{idle['subject'].nunique()} contributor cap(s) save nothing if removed"

    book = tmp_path / "cap.xlsx"
    write_input_workbook(book, scenario)
    result = CliRunner().invoke(cli.main, ["solve", str(book), "-o", str(tmp_path / "r.xlsx"),
                                           "--explain"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Explain (what each question changes against this plan):\n" in result.output
    assert "  X max_staff [personnel] one unit higher: saves 180 a year\n" in result.output
