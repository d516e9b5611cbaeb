"""The stress test (hubopt/studies/stress.py) on every solved plan, re-computed
independently from the plan's Hubs and Flows tables (tests/stress_check.py)."""

from __future__ import annotations

import pytest
from stress_check import recompute_stress
from tiny import base, with_option, with_routes

import hubopt
from hubopt.inputs.example import example_scenario


def assert_matches_recomputation(plan) -> None:
    expected = recompute_stress(plan.scenario, plan.hubs, plan.flows)
    table = plan.stress.set_index("site_id")
    assert sorted(table.index) == sorted(expected)
    services = sorted({d.service for d in plan.scenario.demand})
    for site, figures in expected.items():
        row = table.loc[site]
        for service in services:
            assert row[f"unserved_{service}"] == pytest.approx(
                figures["unserved"].get(service, 0.0), rel=1e-6, abs=1e-4), (site, service)
        assert row["unserved"] == pytest.approx(sum(figures["unserved"].values()),
                                                rel=1e-6, abs=1e-4)
        if figures["cost_rise"] is None:
            assert pd_isna(row["cost_rise"]) and "unserved: not a saving" in row["cost_note"]
        else:
            assert row["cost_rise"] == pytest.approx(figures["cost_rise"], rel=1e-6, abs=1e-3)
            assert pd_isna(row["cost_note"])
        for key in ("avg_hours_rise", "max_hours_rise"):
            if figures[key] is None:
                assert pd_isna(row[key])
            else:
                assert row[key] == pytest.approx(figures[key], rel=1e-6, abs=1e-6), (site, key)
    # sorted by damage: unserved share, then cost rise (blank, i.e. demand unserved, first)
    assert list(table["rank"]) == list(range(1, len(table) + 1))
    damage = [(share, float("inf") if pd_isna(cost) else cost)
              for share, cost in zip(table["unserved_share"], table["cost_rise"])]
    assert damage == sorted(damage, key=lambda d: (-d[0], -d[1]))


def pd_isna(value) -> bool:
    return value is None or value != value


def test_two_hubs_each_loss_leaves_thirty_units_unserved():
    # capacity 70 each: A serves K 60 + L 10 at 1, B serves L 30 at 3 (hours 2, L→B 5 h).
    # With value_of_time = 0, B's 70 units after A's loss could go to K or L at the same
    # cost, and the hours rise would be whichever vertex the LP ends on; a small value
    # of time makes the re-routing (like the planning model) prefer the faster arc.
    scenario = with_routes(with_option(with_option(base(), "A", capacity=70), "B",
                                       capacity=70), B_L=5)
    scenario = scenario.with_settings(value_of_time=0.01)
    plan = hubopt.solve(scenario)
    stress = plan.stress.set_index("site_id")
    # lose A: B has 70 for 100 units, 30 unserved; lose B: A is full, 30 unserved
    assert stress.loc["A", "unserved"] == pytest.approx(30)
    assert stress.loc["B", "unserved"] == pytest.approx(30)
    # losing B would drop 30 units at 3 (transport −90), losing A would move 40 more
    # to B (+50): with demand unserved neither is a cost figure, and neither a saving
    assert pd_isna(stress.loc["B", "cost_rise"]) and pd_isna(stress.loc["A", "cost_rise"])
    assert stress.loc["B", "cost_note"] == "30 units/period unserved: not a saving"
    assert list(plan.stress["site_id"]) == ["A", "B"]
    assert_matches_recomputation(plan)


def test_losing_the_only_hub_serves_nothing():
    plan = hubopt.solve(base())
    row = plan.stress.iloc[0]
    assert (row["site_id"], row["unserved"], row["unserved_share"]) == ("A", 100, 1.0)
    assert pd_isna(row["avg_hours_rise"]) and pd_isna(row["max_hours_rise"])
    assert_matches_recomputation(plan)


def test_example_stress_matches_the_independent_recomputation():
    plan = hubopt.solve(example_scenario())
    assert plan.status == "optimal"
    assert len(plan.stress) == plan.summary["open_sites"]
    assert_matches_recomputation(plan)


def test_stress_can_be_switched_off():
    assert hubopt.solve(base(), stress=False).stress.empty
