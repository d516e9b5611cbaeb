"""The numpy arc construction equals the loop it replaced, and max_arcs_per_demand.

tests/network_reference.py keeps the loop over demand rows and sites as it was
before issue 6; the vectorised network.build_network must give the same arcs in
the same order with the same hours and costs to the last bit.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from network_reference import reference_arcs
from plan_check import check_solved
from tiny import Route, base, with_routes, with_site

import hubopt
from benchmarks.theatre import theatre
from hubopt.model.network import build_network

ROOT = Path(__file__).resolve().parents[1]


def _same_arcs(scenario) -> int:
    network = build_network(scenario)
    expected = reference_arcs(scenario, network.sites, network.modules, network.sectors,
                              network.demand)
    # dict equality ignores order; compare the item lists (Arc equality is exact on floats)
    assert list(network.arcs.items()) == list(expected.items())
    return len(network.arcs)


def test_example_arcs_equal_the_reference():
    scenario = hubopt.load_scenario(ROOT / "inputs" / "example.xlsx").scenario
    assert _same_arcs(scenario) > 0
    assert _same_arcs(replace(scenario, settings=scenario.settings.updated(
        missing_routes="forbid"))) > 0


def test_scaled_theatre_arcs_equal_the_reference():
    """Computed routes, max_hours cuts and two services; a quarter of theatre scale."""
    scenario = theatre(0.25)
    assert _same_arcs(scenario) > 10_000


def test_mixed_routes_rows_equal_the_reference():
    """Rows with blank hours or cost (computed), forbidden rows, missing rows
    (computed) and a max_hours cut, on the tiny case plus a third site."""
    scenario = base(missing_routes="compute")
    scenario = replace(scenario, routes=(
        Route("A", "K", None, 1.0, row=2), Route("A", "L", 2.0, None, row=3),
        Route("B", "K", 2.0, 3.0, allowed=False, row=4)))
    scenario = replace(scenario, demand=(replace(scenario.demand[0], max_hours=30.0),
                                         scenario.demand[1]))
    assert _same_arcs(scenario) == 3   # A-K, A-L, B-L computed (B-K forbidden)


def _k_fastest_case():
    """A is 10 hours from K, B 2: K's fastest arc is B; L is 2 hours from both, a
    tie that goes to the smaller id, A."""
    return with_routes(base(), A_K=10)


def test_max_arcs_per_demand_keeps_the_fastest_and_warns():
    scenario = _k_fastest_case()
    full = build_network(scenario)
    assert set(full.arcs) == {("A", "K", "goods"), ("A", "L", "goods"),
                              ("B", "K", "goods"), ("B", "L", "goods")}
    cut = build_network(replace(scenario, settings=scenario.settings.updated(
        max_arcs_per_demand=1)))
    assert list(cut.arcs) == [("A", "L", "goods"), ("B", "K", "goods")]
    assert [n.severity for n in cut.notes] == ["warning"]
    assert "heuristic" in cut.notes[0].message and "2 of 4 arcs dropped" in cut.notes[0].message
    same = build_network(replace(scenario, settings=scenario.settings.updated(
        max_arcs_per_demand=2)))
    assert list(same.arcs) == list(full.arcs) and same.notes == []


def test_max_arcs_per_demand_can_cut_the_optimum():
    """Without the cap: open A only, 100 + 100·1 = 200. With k = 1, K can only be
    served from B and L only from A: open both, 100 + 80 + 60·3 + 40·1 = 400."""
    scenario = _k_fastest_case()
    plan = hubopt.solve(scenario)
    assert plan.status == "optimal" and check_solved(plan) == []
    assert plan.summary["objective"] == pytest.approx(200)
    capped = hubopt.solve(replace(scenario, settings=scenario.settings.updated(
        max_arcs_per_demand=1)))
    assert capped.status == "optimal" and check_solved(capped) == []
    assert capped.summary["objective"] == pytest.approx(400)
    assert set(capped.hubs["site_id"]) == {"A", "B"}


def test_max_arcs_per_demand_is_validated():
    with pytest.raises(hubopt.InputError, match="max_arcs_per_demand"):
        hubopt.load_scenario(ROOT / "inputs" / "example.xlsx",
                             overrides={"max_arcs_per_demand": "0"})
    scenario = hubopt.load_scenario(ROOT / "inputs" / "example.xlsx",
                                    overrides={"max_arcs_per_demand": "3"}).scenario
    assert scenario.settings.max_arcs_per_demand == 3
    assert all(len(build_network(scenario).arcs_into(key)) <= 3
               for key in build_network(scenario).demand)


def test_unknown_coordinates_still_named():
    """The vectorised path raises the same InputError for a computed route with no
    coordinates."""
    scenario = with_site(base(missing_routes="compute"), "B", latitude=None)
    scenario = replace(scenario, routes=scenario.routes[:2])
    with pytest.raises(hubopt.InputError, match="'B' has no latitude/longitude"):
        build_network(scenario)
