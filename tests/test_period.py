"""Settings ``period`` (SPEC §2.1): demand and capacity per period, per-unit costs per
unit moved, money per year. The model multiplies flow costs by the periods in a
year, so ``period = day`` must give the plan and objective of the same workbook
with every per-unit cost multiplied by 365.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from plan_check import check_solved
from tiny import base
from workbooks import set_cell, tiny_sheets, write_book

import hubopt
from hubopt.errors import InputError
from hubopt.inputs.example import example_scenario


def open_modules(plan) -> list[tuple]:
    return sorted(zip(plan.hubs["site_id"], plan.hubs["service"], plan.hubs["size"]))


def costs_times(scenario, factor: float):
    """Every per-unit cost of ``scenario`` multiplied by ``factor`` (Routes cost_per_unit,
    transport_cost_per_unit_km, value_of_time, value_at_risk)."""
    s = scenario.settings
    routes = tuple(replace(r, cost_per_unit=None if r.cost_per_unit is None
                           else r.cost_per_unit * factor) for r in scenario.routes)
    return replace(scenario, routes=routes).with_settings(
        transport_cost_per_unit_km=s.transport_cost_per_unit_km * factor,
        value_of_time=s.value_of_time * factor, value_at_risk=s.value_at_risk * factor)


@pytest.mark.parametrize(("period", "per_year"), [("day", 365), ("week", 52), ("month", 12)])
def test_a_period_prices_flows_as_per_unit_costs_times_periods_per_year(period, per_year):
    scenario = example_scenario().with_settings(mip_gap=0.0)
    by_period = hubopt.solve(scenario.with_settings(period=period), stress=False)
    scaled = hubopt.solve(costs_times(scenario, per_year), stress=False)
    assert by_period.status == scaled.status == "optimal"
    assert by_period.summary["objective"] == pytest.approx(scaled.summary["objective"],
                                                           rel=1e-7)
    assert open_modules(by_period) == open_modules(scaled)
    for key in ("transport_cost", "time_cost", "risk_cost", "hub_cost"):
        assert by_period.summary[key] == pytest.approx(scaled.summary[key], rel=1e-6), key
    # the Flows sheet keeps cost per unit moved; the summary's transport is per year
    flows = by_period.flows
    assert by_period.summary["transport_cost"] == pytest.approx(
        per_year * float((flows["quantity"] * flows["cost_per_unit"]).sum()), rel=1e-9)
    assert check_solved(by_period) == []


def test_a_shorter_period_makes_transport_weigh_more():
    """The tiny case: A (100 + 1/unit) against B (80 + 3/unit), 100 units. Per year A
    wins (200 < 380); per day B's dearer transport is 365 times as heavy: still A,
    100 + 36,500 against 80 + 109,500."""
    plan = hubopt.solve(base(period="day"), stress=False)
    assert plan.summary["objective"] == pytest.approx(100 + 365 * 100)
    assert plan.summary["transport_cost"] == pytest.approx(36_500)


def test_an_unknown_period_is_an_error_naming_the_cell(tmp_path):
    sheets = tiny_sheets()
    sheets["Settings"].append(["period", "fortnight"])
    with pytest.raises(InputError) as caught:
        hubopt.load_scenario(write_book(tmp_path / "in.xlsx", sheets))
    (issue,) = caught.value.issues
    assert issue.where == "Settings!B5"
    assert "period" in str(issue) and "year, month, week, day" in str(issue)


def test_period_comes_from_the_workbook(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Settings", 5, "key", "period")
    set_cell(sheets, "Settings", 5, "value", "week")
    scenario = hubopt.read_scenario(write_book(tmp_path / "in.xlsx", sheets))
    assert scenario.settings.period == "week" and scenario.settings.periods_per_year == 52
