"""Re-optimising against a previous plan (SPEC §3.3): stability, MIP start, Changes."""

from __future__ import annotations

import json

import pandas as pd
import pyomo.environ as pyo
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from plan_check import check_solved
from tiny import base, with_option
from workbooks import set_cell, tiny_sheets, write_book

import hubopt
from hubopt import cli
from hubopt.inputs.example import example_scenario
from hubopt.inputs.reader import normalise_header
from hubopt.model.build import build_model, start_values
from hubopt.model.network import build_network
from hubopt.outputs.previous import PreviousPlan, read_previous_plan
from hubopt.solver.outcome import read_start_report
from hubopt.solver.session import solve_model
from hubopt.studies.changes import plan_changes

B_ONLY = [("B", "goods", "std")]


def sites_of(plan) -> set[str]:
    return set(plan.hubs["site_id"])


# -- stability ----------------------------------------------------------------------------

def test_large_penalty_keeps_a_feasible_previous_plan_zero_gives_the_plain_optimum():
    plain = hubopt.solve(base())
    assert sites_of(plain) == {"A"} and plain.summary["objective"] == pytest.approx(200)

    kept = hubopt.solve(base(stability_penalty=1e6), previous_plan=B_ONLY)
    assert sites_of(kept) == {"B"}                              # the previous plan, unchanged
    assert kept.summary["stability_cost"] == pytest.approx(0)
    assert kept.summary["objective"] == pytest.approx(380)      # 80 + 100·3
    assert check_solved(kept) == []

    free = hubopt.solve(base(stability_penalty=0), previous_plan=B_ONLY)
    assert sites_of(free) == sites_of(plain)
    assert free.summary["objective"] == pytest.approx(plain.summary["objective"])
    assert free.flows.equals(plain.flows)


def test_large_penalty_cannot_keep_an_infeasible_previous_plan():
    # B shrinks to 50 units: it alone can no longer serve 100, so the plan must change
    scenario = with_option(base(stability_penalty=1e6), "B", capacity=50)
    plan = hubopt.solve(scenario, previous_plan=B_ONLY)
    assert plan.status == "optimal"
    assert sites_of(plan) == {"A", "B"}                      # keep B and add A: 1 change
    assert plan.summary["stability_cost"] == pytest.approx(1e6)
    assert check_solved(plan) == []


# -- MIP start ----------------------------------------------------------------------------

def test_the_previous_plan_is_the_first_incumbent():
    plan = hubopt.solve(base(), previous_plan=B_ONLY)
    # HiGHS completed the start (B open, A closed) to its cost 80 + 100·3 = 380 by hand,
    # then improved it to the optimum
    assert plan.run["mip_start"] == "accepted (4 values; objective 380.00)"
    assert plan.summary["objective"] == pytest.approx(200)


def test_start_objective_equals_the_cost_of_the_fixed_previous_plan_on_the_example():
    previous = hubopt.solve(example_scenario())
    keys = list(previous.hubs[["site_id", "service", "size"]].itertuples(index=False,
                                                                         name=None))
    # overnight, resupply time became dearer: the previous plan is still feasible
    settings = example_scenario().settings
    scenario = example_scenario().with_settings(
        value_of_time=3 * settings.value_of_time + 10, stability_penalty=50_000, mip_gap=0)
    network = build_network(scenario)
    model = build_model(network, keys)
    outcome = solve_model(model, time_limit=60, mip_gap=0,
                          start=start_values(model, network, keys))
    assert outcome.start is not None and outcome.start.status == "accepted"
    assert "user-supplied values of discrete variables" in outcome.log

    # independently: the same model with the discrete variables fixed to the start
    fixed = build_model(network, keys)
    for var, value in start_values(fixed, network, keys).items():
        var.fix(value)
    reference = solve_model(fixed, time_limit=60, mip_gap=0)
    assert outcome.start.objective == pytest.approx(reference.objective, rel=1e-7)
    assert outcome.objective <= outcome.start.objective * (1 + 1e-7)   # the log rounds


def test_an_infeasible_start_is_reported_rejected_and_the_solve_goes_on():
    plan = hubopt.solve(with_option(base(), "B", capacity=50), previous_plan=B_ONLY)
    assert plan.run["mip_start"].startswith("rejected")
    assert plan.status == "optimal" and sites_of(plan) == {"A"}


def test_start_report_parses_both_highs_modes():
    lp = ("Attempting to find feasible solution by solving LP for user-supplied values of "
          "discrete variables\nModel status        : Optimal\nObjective value     :  "
          "3.8000000000e+02\n")
    assert read_start_report(lp, 4).objective == pytest.approx(380)
    mip = ("Attempting to find feasible solution by solving MIP for user-supplied values of "
           "4 / 8 discrete variables\nSolving report\n  Status            Optimal\n"
           "  Primal bound      380\n")
    assert read_start_report(mip, 4).objective == pytest.approx(380)
    infeasible = ("Attempting to find feasible solution by solving MIP for user-supplied "
                  "values of 4 / 8 discrete variables\nPresolve: Infeasible\n")
    assert read_start_report(infeasible, 4).status == "rejected"
    assert read_start_report("no start here", 4) is None


# -- reading the previous workbook and the Changes sheet -----------------------------------

def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def previous_result(tmp_path):
    """A result whose plan opens B only: B's routes are the cheap ones there."""
    sheets = tiny_sheets()
    for row in (2, 3):
        set_cell(sheets, "Routes", row, "cost_per_unit", 5)
    book = write_book(tmp_path / "yesterday.xlsx", sheets)
    out = tmp_path / "yesterday_result.xlsx"
    assert run("solve", book, "-o", out, "-q").exit_code == 0
    return out


def test_read_previous_plan_from_a_result_workbook(previous_result):
    previous = read_previous_plan(previous_result)
    assert previous.modules == {("B", "goods", "std"): 100.0}
    assert previous.served_from == {("K", "goods"): ("B",), ("L", "goods"): ("B",)}
    assert previous.summary["total_cost"] == pytest.approx(380)


def test_solve_previous_writes_changes_and_prices_them(previous_result, tmp_path):
    sheets = tiny_sheets()
    sheets["Settings"].append(["stability_penalty", 50])
    today = write_book(tmp_path / "today.xlsx", sheets)
    out = tmp_path / "today_result.xlsx"
    result = run("solve", today, "-o", out, "--previous", previous_result, "--json", "-q")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["objective"] == pytest.approx(300)       # A: 200 + closing B and opening A
    assert summary["stability_cost"] == pytest.approx(100)
    changes = pd.read_excel(out, sheet_name="Changes").rename(columns=normalise_header)
    by_kind = {kind: group for kind, group in changes.groupby("change")}
    opened, closed = by_kind["module opened"].iloc[0], by_kind["module closed"].iloc[0]
    assert (opened["site_id"], opened["after"], opened["delta"]) == ("A", "std", 100)
    assert (closed["site_id"], closed["before"], closed["delta"]) == ("B", "std", -100)
    moved = by_kind["sector re-assigned"].set_index("sector_id")
    assert moved.loc["K", "before"] == "B" and moved.loc["K", "after"] == "A"
    cost = by_kind["total_cost"].iloc[0]
    assert (cost["before"], cost["after"], cost["delta"]) == (380, 200, -180)
    inputs = {r[0].value: r[1].value for r in load_workbook(out)["Inputs"].iter_rows(min_row=2)}
    assert inputs["previous_plan"] == "yesterday_result.xlsx"
    assert inputs["mip_start"].startswith("accepted")


def test_a_resized_module_is_one_change():
    previous = PreviousPlan({("A", "goods", "small"): 60.0})
    plan = hubopt.solve(base())
    changes = plan_changes(previous, plan)
    row = changes[changes["change"] == "module resized"].iloc[0]
    assert (row["before"], row["after"], row["delta"]) == ("small", "std", 40)


@pytest.mark.parametrize("damage, where", [
    (lambda ws: ws.cell(row=1, column=4, value="sizing"), "Hubs!1:1"),
    (lambda ws: setattr(ws["A2"], "value", None), "Hubs!A2"),
    (lambda ws: ws.cell(row=2, column=6, value="lots"), "Hubs!F2"),
])
def test_a_malformed_previous_workbook_is_an_input_error(previous_result, tmp_path, damage,
                                                         where):
    book = load_workbook(previous_result)
    damage(book["Hubs"])
    broken = tmp_path / "broken_result.xlsx"
    book.save(broken)
    out = tmp_path / "out.xlsx"
    result = run("solve", write_book(tmp_path / "t.xlsx", tiny_sheets()), "-o", out,
                 "--previous", broken)
    assert result.exit_code == 3
    assert f"broken_result.xlsx: {where}" in result.stderr
    assert not out.exists()


def test_an_input_workbook_is_not_a_previous_result(tmp_path):
    book = write_book(tmp_path / "t.xlsx", tiny_sheets())
    result = run("solve", book, "-o", tmp_path / "o.xlsx", "--previous", book)
    assert result.exit_code == 3
    assert "has no 'Hubs' sheet" in result.stderr


def test_fixed_start_model_helper_values():
    network = build_network(base())
    model = build_model(network, B_ONLY)
    values = {var.name: value for var, value in start_values(model, network, B_ONLY).items()}
    assert values == {"y[A,goods,std]": 0.0, "y[B,goods,std]": 1.0, "z[A]": 0.0, "z[B]": 1.0}
    assert pyo.value(model.stability_cost) is not None
