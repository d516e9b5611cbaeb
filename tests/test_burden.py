"""Burden sharing (SPEC §3.1a): the split of a fixed plan's staff and money.

Checked against tests/burden_reference.py, a bare-HiGHS LP written from the
scenario records (not hubopt's model), and against splits worked out by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from burden_reference import leximin, min_max, needs
from click.testing import CliRunner
from openpyxl import load_workbook
from plan_check import check_solved
from test_baselines import SCENARIOS
from tiny import Contributor, Permission, base, with_contributors

import hubopt
from hubopt import cli
from hubopt.inputs.example import example_scenario
from hubopt.inputs.template import write_input_workbook
from hubopt.model.burden import build_share_model, contributor_weights
from hubopt.model.network import build_network
from hubopt.studies.pareto import pareto

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.theatre import theatre  # noqa: E402

KINDS = {"staff": "staffing", "money": "funding"}


def two_contributors(x: dict, y: dict, y_permit: dict | None = None):
    """The tiny base case (site A opens: 10 staff, 100 a year) with contributors X and
    Y who may both staff and fund POL."""
    return with_contributors(
        base(), [Contributor("X", **x), Contributor("Y", **y)],
        [Permission("X", "POL"), Permission("Y", "POL", **(y_permit or {}))])


def amounts(plan, kind: str) -> dict[str, float]:
    table = getattr(plan, KINDS[kind])
    return table.groupby("contributor_id")["amount"].sum().round(9).to_dict()


@pytest.mark.parametrize("x, y, y_permit, staff, money", [
    # weights from the caps: staff 30:10, money: X has no cap, so the largest other (50)
    ({"max_staff": 30}, {"max_staff": 10, "max_budget": 50}, None,
     {"X": 7.5, "Y": 2.5}, {"X": 50.0, "Y": 50.0}),
    # explicit shares win over the caps
    ({"max_staff": 30, "staff_share": 1, "money_share": 3},
     {"max_staff": 10, "staff_share": 1, "money_share": 1}, None,
     {"X": 5.0, "Y": 5.0}, {"X": 75.0, "Y": 25.0}),
    # Y may staff only 1 in POL: it gives that, X the rest
    ({"max_staff": 30}, {"max_staff": 10}, {"max_staff": 1},
     {"X": 9.0, "Y": 1.0}, {"X": 50.0, "Y": 50.0}),
    # Y may not fund: X pays all; no caps at all: weights 1 and 1
    ({}, {}, {"may_fund": False}, {"X": 5.0, "Y": 5.0}, {"X": 100.0}),
])
def test_splits_worked_out_by_hand(x, y, y_permit, staff, money):
    plan = hubopt.solve(two_contributors(x, y, y_permit), stress=False)
    assert plan.status == "optimal" and plan.summary["objective"] == pytest.approx(200)
    assert amounts(plan, "staff") == pytest.approx(staff)
    assert amounts(plan, "money") == pytest.approx(money)
    assert plan.summary["burden_sharing"] == "proportional"


def test_bound_by_names_the_rule():
    plan = hubopt.solve(two_contributors({"max_staff": 30}, {"max_staff": 10},
                                         {"max_staff": 1, "may_fund": False}), stress=False)
    table = plan.contributors.set_index("contributor_id")
    assert table.loc["Y", "staff_bound_by"] == "max_staff in POL"
    assert table.loc["X", "staff_bound_by"] == "the common level"
    assert table.loc["Y", "money_bound_by"] == "no open site it may fund"
    assert table.loc["X", "money_bound_by"] == "the common level"
    # 9 of X's 30: load per weight 0.3; fair share 10·30/40 = 7.5
    assert table.loc["X", "staff_per_weight"] == pytest.approx(0.3)
    assert table.loc["X", "staff_fair_share"] == pytest.approx(7.5)
    assert plan.summary["max_staff_per_weight"] == pytest.approx(0.3)


def test_default_weights_follow_the_spec():
    scenario = with_contributors(base(), [
        Contributor("A", max_staff=40, staff_share=2), Contributor("B", max_staff=30),
        Contributor("C"), Contributor("D", max_staff=0)], [])
    assert contributor_weights(scenario, "staff") == {"A": 2, "B": 30, "C": 40, "D": 0}
    assert contributor_weights(scenario, "money") == {"A": 1, "B": 1, "C": 1, "D": 1}


def _with_contributors():
    example = example_scenario()
    seeded = theatre(0.05).with_settings(mip_gap=0.0, time_limit_seconds=60)
    capped = two_contributors({"max_staff": 30}, {"max_staff": 10}, {"max_staff": 1})
    return {"every_family": SCENARIOS["every_family"](), "example": example,
            "theatre_0.05": seeded, "tiny_capped": capped}


@pytest.fixture(scope="module", params=sorted(_with_contributors()))
def both_rules(request):
    scenario = _with_contributors()[request.param]
    shared = hubopt.solve(scenario, stress=False)
    solver = hubopt.solve(scenario.with_settings(burden_sharing="none"), stress=False)
    return request.param, scenario, shared, solver


def _modules(plan):
    return sorted(zip(plan.hubs["site_id"], plan.hubs["service"], plan.hubs["size"]))


def test_sharing_leaves_the_plan_and_its_cost_alone(both_rules):
    _, _, shared, solver = both_rules
    assert shared.status == solver.status == "optimal"
    assert shared.summary["objective"] == solver.summary["objective"]
    assert _modules(shared) == _modules(solver)
    assert shared.flows.equals(solver.flows)
    assert check_solved(shared) == [] and check_solved(solver) == []


def test_largest_load_per_weight_is_the_reference_min_max(both_rules):
    _, scenario, shared, solver = both_rules
    for kind in ("staff", "money"):
        reference = min_max(scenario, shared.hubs, kind)
        assert shared.summary[f"max_{kind}_per_weight"] == pytest.approx(reference, rel=1e-6,
                                                                          abs=1e-9)
        # the solver's own split is never better, and is what 'none' reports
        assert solver.summary[f"max_{kind}_per_weight"] >= reference * (1 - 1e-6)
        assert solver.summary["burden_sharing"] == "none"


def test_every_load_is_the_reference_leximin(both_rules):
    _, scenario, shared, _ = both_rules
    for kind in ("staff", "money"):
        levels = leximin(scenario, shared.hubs, kind)
        given = shared.contributors.set_index("contributor_id")[f"{kind}_per_weight"]
        for contributor, level in levels.items():
            assert given[contributor] == pytest.approx(level, rel=1e-6, abs=1e-7), contributor


def test_every_open_site_gets_exactly_what_it_needs(both_rules):
    _, scenario, shared, solver = both_rules
    for plan in (shared, solver):
        open_sites = set(plan.hubs["site_id"])
        assert set(plan.staffing["site_id"]) <= open_sites     # nothing at closed sites
        assert set(plan.funding["site_id"]) <= open_sites
    for kind, table in (("staff", shared.staffing), ("money", shared.funding)):
        given = table.groupby("site_id")["amount"].sum().to_dict()
        for site, need in needs(scenario, shared.hubs, kind).items():
            assert given.get(site, 0.0) == pytest.approx(need, rel=1e-9), (kind, site)


def test_the_example_poland_staffs_polish_hubs_in_proportion_to_its_pledge(tmp_path):
    plan = hubopt.solve(example_scenario(), stress=False)
    level = plan.summary["max_staff_per_weight"]
    poland = plan.staffing[plan.staffing["contributor_id"] == "POL"]
    assert set(poland["country"]) == {"POL"} and len(poland) >= 1
    assert poland["amount"].sum() == pytest.approx(700 * level, rel=1e-9)   # pledge 700
    # the split the solver alone found left Poland out entirely
    alone = hubopt.solve(example_scenario().with_settings(burden_sharing="none"), stress=False)
    assert "POL" not in set(alone.staffing["contributor_id"])
    out = hubopt.write_result(plan, tmp_path / "r.xlsx", draw_map=False)
    book = load_workbook(out)
    rows = [[c.value for c in row] for row in book["Staffing"].iter_rows(min_row=2)]
    assert sum(r[3] for r in rows if r[0] == "POL") == pytest.approx(700 * level)
    summary = {r[0].value: r[1].value for r in book["Summary"].iter_rows(min_row=2)}
    assert summary["burden_sharing"] == "proportional"
    assert summary["max_staff_per_weight"] == pytest.approx(level)
    header = [c.value for c in book["Contributors"][1]]
    assert "staff_bound_by" in header and "money_per_weight [currency/year per weight]" in header


def test_pareto_points_are_shared_too():
    frontier = pareto(example_scenario(), points=3)
    assert frontier.points
    for point in frontier.points:
        assert point.plan.summary["burden_sharing"] == "proportional"
        reference = min_max(point.plan.scenario, point.plan.hubs, "staff")
        assert point.plan.summary["max_staff_per_weight"] == pytest.approx(reference, rel=1e-6)


def test_the_share_lp_reuses_the_staffing_rules():
    scenario = SCENARIOS["every_family"]()
    plan = hubopt.solve(scenario, stress=False)
    model = build_share_model(build_network(scenario), list(zip(
        plan.hubs["site_id"], plan.hubs["service"], plan.hubs["size"])), "staff")
    assert {c.local_name for c in model.component_objects()} >= {
        "staffing", "staffing_country_cap", "staffing_contributor_cap", "share_load",
        "share_top_link", "objective"}


@pytest.mark.parametrize("value, words", [
    (0, "staff_share: '0' is out of range; expected a number > 0."),
    (-2, "staff_share: '-2' is out of range; expected a number > 0."),
    ("half", "staff_share: 'half' is not a number. Expected a number > 0."),
])
def test_a_bad_weight_is_refused_with_its_cell(tmp_path, value, words):
    path = tmp_path / "in.xlsx"
    write_input_workbook(path, example_scenario())
    book = load_workbook(path)
    sheet = book["Contributors"]
    header = [c.value for c in sheet[1]]
    column = next(i for i, name in enumerate(header, start=1)
                  if str(name).startswith("staff_share"))
    sheet.cell(row=3, column=column, value=value)
    book.save(path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = CliRunner().invoke(cli.main, ["solve", str(path), "-o", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 3, result.output
    letter = chr(ord("A") + column - 1)
    assert f"Contributors!{letter}3: {words}" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_burden_sharing_setting_is_validated(tmp_path):
    path = tmp_path / "in.xlsx"
    write_input_workbook(path, example_scenario())
    result = CliRunner().invoke(cli.main, ["solve", str(path), "--set",
                                           "burden_sharing=equal", "-o",
                                           str(tmp_path / "r.xlsx")])
    assert result.exit_code == 3 and "proportional, none" in result.output


def test_json_reports_the_rule(tmp_path):
    path = tmp_path / "in.xlsx"
    write_input_workbook(path, example_scenario())
    result = CliRunner().invoke(cli.main, ["solve", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["burden_sharing"] == "proportional"
    assert summary["max_staff_per_weight"] == pytest.approx(
        hubopt.solve(example_scenario(), stress=False).summary["max_staff_per_weight"])
