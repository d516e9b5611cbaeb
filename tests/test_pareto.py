"""The cost/time frontier (hubopt pareto) on a scenario solved by hand, and on the
example with every point re-solved independently.

Three sites serve one sector K (100 units), each with one module of capacity
100 and transport at 1 per unit, so a plan's metric is its site's hours:

    site  fixed cost  hours   plan cost
    A        100        10      200      cost-optimal
    B        250         5      350      knee
    C        600         2      700      fastest

Two sites together are never on the frontier (A+C costs 800, above C alone, and
splits only average their hours). With 5 points, ε = 4, 6, 8 h give C, B, B
again: two duplicates are dropped. Knee on min-max normalised axes: A = (1, 0),
B = (3/8, 3/10), C = (0, 1); B lies 0.325/√2 from the chord x + y = 1.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pyomo.environ as pyo
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from plan_check import check_solved

import hubopt
from hubopt import cli
from hubopt.inputs.instance import (
    Demand,
    HubOption,
    Route,
    Scenario,
    Sector,
    Service,
    Settings,
    Site,
)
from hubopt.inputs.template import write_input_workbook
from hubopt.model.build import build_model
from hubopt.model.network import build_network
from hubopt.outputs.results import extract_plan
from hubopt.solver.session import solve_model
from hubopt.studies.pareto import mark_knee, non_dominated, pareto

EXAMPLE = "inputs/example.xlsx"


def three_sites() -> Scenario:
    return Scenario(
        settings=Settings(scenario_name="three", missing_routes="forbid", mip_gap=0.0,
                          time_limit_seconds=60, value_of_time=5.0),
        services=(Service("goods", "units"),),
        sites=tuple(Site(s, "POL", row=i) for i, s in enumerate("ABC", start=2)),
        hub_options=(HubOption("A", "goods", "std", 100, fixed_cost=100, row=2),
                     HubOption("B", "goods", "std", 100, fixed_cost=250, row=3),
                     HubOption("C", "goods", "std", 100, fixed_cost=600, row=4)),
        sectors=(Sector("K", "UKR", row=2),),
        demand=(Demand("K", "goods", 100, row=2),),
        routes=(Route("A", "K", 10.0, 1.0, row=2), Route("B", "K", 5.0, 1.0, row=3),
                Route("C", "K", 2.0, 1.0, row=4)))


@pytest.mark.parametrize("metric", ["avg_hours", "max_hours"])
def test_hand_solved_frontier_points_order_and_knee(metric):
    frontier = pareto(three_sites(), 5, metric)
    got = [(p.metric, p.cost, sorted(p.modules)) for p in frontier.points]
    assert got == [(pytest.approx(10), pytest.approx(200), [("A", "goods", "std")]),
                   (pytest.approx(5), pytest.approx(350), [("B", "goods", "std")]),
                   (pytest.approx(2), pytest.approx(700), [("C", "goods", "std")])]
    assert [p.role for p in frontier.points] == ["cost-optimal", "epsilon", "fastest"]
    assert [p.knee for p in frontier.points] == [False, True, False]
    assert frontier.dropped == 2                      # ε = 4 h gives C again, ε = 8 h B again
    # value_of_time = 5 in the scenario is ignored: the cost-optimal plan is A, not C
    assert frontier.points[0].plan.summary["time_cost"] == 0
    for point in frontier.points:
        assert check_solved(point.plan) == []


def _independent_cheapest(scenario: Scenario, metric: str, epsilon: float) -> float:
    """min cost s.t. metric ≤ ε on a fresh model, formulated here, not by hubopt.studies.pareto:
    avg_hours as Σ h·x ≤ ε·Σ q; max_hours as max_hours = ε on every demand row."""
    scenario = scenario.with_settings(value_of_time=0.0)
    if metric == "max_hours":
        scenario = replace(scenario, demand=tuple(
            replace(d, max_hours=min(epsilon, d.max_hours or epsilon)) for d in scenario.demand))
    network = build_network(scenario)
    model = build_model(network)
    if metric == "avg_hours":
        total = sum(d.quantity for d in network.demand.values())
        model.check = pyo.Constraint(expr=sum(network.arcs[a].hours * model.x[a]
                                              for a in model.A) <= (epsilon + 1e-6) * total)
    outcome = solve_model(model, time_limit=60, mip_gap=0.0)
    assert outcome.status == "optimal"
    plan = extract_plan(model, network, outcome)
    assert plan.summary[metric] <= epsilon + 1e-5
    return plan.summary["objective"]


@pytest.mark.parametrize("metric", ["avg_hours", "max_hours"])
def test_every_example_point_is_the_cheapest_within_its_metric(metric):
    scenario = hubopt.read_scenario(EXAMPLE).with_settings(mip_gap=0.0)
    frontier = pareto(scenario, 4, metric)
    assert len(frontier.points) >= 2
    metrics = [p.metric for p in frontier.points]
    costs = [p.cost for p in frontier.points]
    assert metrics == sorted(metrics, reverse=True)            # slower ...
    assert costs == sorted(costs)                              # ... and cheaper first
    assert len(set(metrics)) == len(metrics)
    for point in frontier.points:
        assert check_solved(point.plan) == []
        assert point.cost == pytest.approx(
            _independent_cheapest(scenario, metric, point.metric), rel=1e-6)


def test_dominated_and_duplicate_points_are_dropped():
    base = pareto(three_sites(), 3, "avg_hours").points
    a, b, c = base
    slow_and_dear = replace(b, metric=7.0, plan=replace(b.plan, summary={
        **b.plan.summary, "objective": 400.0}))
    kept = non_dominated([c, slow_and_dear, b, a, replace(b)])
    assert [p.metric for p in kept] == [10, 5, 2]
    assert mark_knee(kept) is kept[1]
    assert mark_knee(kept[:2]) is None                         # two points: no knee


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def test_cli_writes_the_pareto_sheet_chart_and_json(tmp_path):
    book_path = tmp_path / "three.xlsx"
    write_input_workbook(book_path, three_sites())
    out = tmp_path / "front.xlsx"
    result = run("pareto", book_path, "-n", "5", "-o", out, "--json", "-q")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data == {"metric": "avg_hours", "points": [
        {"avg_hours": pytest.approx(10), "total_cost": pytest.approx(200),
         "objective": pytest.approx(200), "open": [["A", "goods", "std"]]},
        {"avg_hours": pytest.approx(5), "total_cost": pytest.approx(350),
         "objective": pytest.approx(350), "open": [["B", "goods", "std"]]},
        {"avg_hours": pytest.approx(2), "total_cost": pytest.approx(700),
         "objective": pytest.approx(700), "open": [["C", "goods", "std"]]}]}

    book = load_workbook(out)
    assert book.sheetnames == ["Pareto", "Modules", "Inputs"]
    sheet = book["Pareto"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, [c.value for c in r])) for r in sheet.iter_rows(min_row=2)]
    assert [r["avg_hours [h]"] for r in rows] == pytest.approx([10, 5, 2])
    assert [r["total_cost [currency/year]"] for r in rows] == pytest.approx([200, 350, 700])
    assert [r["hub_cost [currency/year]"] for r in rows] == pytest.approx([100, 250, 600])
    assert [r["transport_cost [currency/year]"] for r in rows] == pytest.approx([100, 100, 100])
    assert [r["open_sites"] for r in rows] == [1, 1, 1]
    assert [r["opened"] for r in rows] == ["A/goods/std", "B/goods/std", "C/goods/std"]
    assert [r["closed"] for r in rows] == [None, "A/goods/std", "B/goods/std"]
    assert [r["knee"] for r in rows] == [None, "yes", None]
    charts = sheet._charts
    assert len(charts) == 1 and len(charts[0].series) == 2   # frontier and knee
    assert charts[0].series[1].xVal.numRef.f == "'Pareto'!$C$3"   # the knee row
    modules = [[c.value for c in r] for r in book["Modules"].iter_rows(min_row=2)]
    assert modules == [["A", "goods", "std", "yes", None, None],
                       ["B", "goods", "std", None, "yes", None],
                       ["C", "goods", "std", None, None, "yes"]]


def test_cli_pareto_without_any_plan_exits_4(tmp_path):
    scenario = three_sites()
    scenario = replace(scenario, demand=(Demand("K", "goods", 1000, row=2),))
    book_path = tmp_path / "short.xlsx"
    write_input_workbook(book_path, scenario)
    result = run("pareto", book_path, "-o", tmp_path / "f.xlsx", "-q")
    assert result.exit_code == 4
    assert "capacity" in result.stderr.lower()
    assert not (tmp_path / "f.xlsx").exists()
