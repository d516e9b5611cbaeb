"""N-1 resilience (SPEC §3.2) and the threat settings on tiny cases solved by hand."""

from __future__ import annotations

from dataclasses import replace

import pytest
from plan_check import check_solved
from tiny import HubOption, Route, base, with_routes, with_site

import hubopt
from hubopt.model.build import build_model, loss_sites
from hubopt.model.network import build_network


def solve(scenario):
    plan = hubopt.solve(scenario)
    assert plan.status == "optimal", plan.diagnosis
    assert check_solved(plan) == []
    return plan


def survives_each_loss(plan, alpha: float) -> bool:
    """Independent check for the one-service tiny cases where every open site reaches
    every sector: after losing any open site the rest's capacity covers α of each row
    (with one service and full reach this is Σ_{s≠t} cap_s ≥ α·Σ_r q_r)."""
    capacity = plan.hubs.groupby("site_id")["capacity"].sum()
    total = sum(d.quantity for d in plan.scenario.demand)
    return all(capacity.drop(t).sum() >= alpha * total - 1e-6 for t in capacity.index)


def test_full_resilience_forces_a_backup_hub():
    # α = 1: losing A must leave 100 units of capacity: B opens as an idle backup.
    # 100 + 80 (hubs) + 100·1 (A ships all) = 280, against 200 without resilience
    plan = solve(base(resilience=1.0))
    assert plan.summary["objective"] == pytest.approx(280)
    assert set(plan.hubs["site_id"]) == {"A", "B"}
    assert plan.flows.groupby("site_id")["quantity"].sum().to_dict() == {"A": 100}
    assert survives_each_loss(plan, 1.0)
    # per site, the demand that would go unserved without the constraint: all 100 at A
    table = plan.resilience.set_index("site_id")
    assert table.loc["A", "unserved_without"] == pytest.approx(100)
    assert bool(table.loc["A", "open_without"]) and not bool(table.loc["B", "open_without"])
    assert table.loc["A", "unserved_with"] == pytest.approx(0, abs=1e-6)
    assert table.loc["B", "unserved_with"] == pytest.approx(0, abs=1e-6)


def test_half_resilience_takes_the_small_backup():
    # B offers S (50 units, 40/yr) and L (100, 80/yr). α = 0.5 needs 50 units besides A,
    # so B opens small: 100 + 40 + 100 = 240. α = 0.6 needs 60: B large, 280.
    options = (HubOption("A", "goods", "std", 100, fixed_cost=100, row=2),
               HubOption("B", "goods", "S", 50, fixed_cost=40, row=3),
               HubOption("B", "goods", "L", 100, fixed_cost=80, row=4))
    half = solve(replace(base(resilience=0.5), hub_options=options))
    assert half.summary["objective"] == pytest.approx(240)
    assert sorted(half.hubs["size"]) == ["S", "std"]
    assert survives_each_loss(half, 0.5)
    more = solve(replace(base(resilience=0.6), hub_options=options))
    assert more.summary["objective"] == pytest.approx(280)
    assert sorted(more.hubs["size"]) == ["L", "std"]


def test_resilience_respects_max_hours_of_each_row():
    # L may only be reached within 3 h and B→L takes 10 h. A third site C (cap 40, 30/yr,
    # ships at 5) reaches only L. α = 1: after losing A, K (60) needs B and L (40) needs C,
    # so all three open; A still serves everything in normal times: 100+80+30 + 100 = 310
    scenario = with_routes(base(resilience=1.0), B_L=10)
    scenario = replace(
        scenario,
        sites=scenario.sites + (replace(scenario.sites[0], site_id="C", row=4),),
        hub_options=scenario.hub_options + (HubOption("C", "goods", "std", 40,
                                                      fixed_cost=30, row=4),),
        routes=scenario.routes + (Route("C", "L", 2.0, 5.0, row=6),),
        demand=(scenario.demand[0], replace(scenario.demand[1], max_hours=3)))
    plan = solve(scenario)
    assert set(plan.hubs["site_id"]) == {"A", "B", "C"}
    assert plan.summary["objective"] == pytest.approx(310)


def test_only_sites_with_arcs_get_a_loss_scenario():
    # C hosts a module but has no route: losing it changes nothing, so no scenario
    scenario = base(resilience=0.5)
    scenario = replace(
        scenario, sites=scenario.sites + (replace(scenario.sites[0], site_id="C", row=4),),
        hub_options=scenario.hub_options + (HubOption("C", "goods", "std", 40, row=4),))
    network = build_network(scenario)
    assert loss_sites(network) == ["A", "B"]
    model = build_model(network)
    assert list(model.T) == ["A", "B"]
    # each scenario keeps the other site's 2 arcs: 4 flows, 4 rows, 2 capacity rows
    assert len(model.xt) == 4
    assert len(model.resilience_demand) == 4
    assert len(model.resilience_capacity) == 2


def test_a_row_only_one_site_reaches_cannot_be_resilient():
    plan = hubopt.solve(with_routes(base(resilience=0.5), B_K=10)
                        .with_settings(resilience=0.5))
    assert plan.status == "optimal"  # no max_hours: B still reaches K
    far = replace(base(resilience=0.5), routes=tuple(r for r in base().routes
                                                     if (r.site_id, r.sector_id) != ("B", "K")))
    plan = hubopt.solve(far)
    assert plan.status == "infeasible" and not plan.relaxed
    assert [str(i) for i in plan.diagnosis] == [
        "Demand row 2: sector K, goods: only site A (Sites row 2) can reach it, so losing "
        "that site leaves it unserved; resilience 0.5 requires 30 units from elsewhere. "
        "Give it a second site in reach (raise max_hours, allow a route, add an option), or "
        "set Settings resilience to 0."]


def test_max_threat_keeps_a_threatened_site_shut():
    # A's threat 0.5 is above 0.3: only B may open: 80 + 100·3 = 380
    plan = solve(with_site(base(max_threat=0.3), "A", threat=0.5))
    assert set(plan.hubs["site_id"]) == {"B"}
    assert plan.summary["objective"] == pytest.approx(380)
    assert any("max_threat" in str(n) and "A" in str(n) for n in plan.warnings)
    # at the limit a site may open
    assert set(solve(with_site(base(max_threat=0.5), "A", threat=0.5)).hubs["site_id"]) == {"A"}


def test_max_share_per_site_splits_a_service():
    # no site may hold more than 60 of the 100 units: A 60 at 1, B 40 at 3: 180 + 60 + 120
    plan = solve(base(max_share_per_site=0.6))
    assert plan.summary["objective"] == pytest.approx(360)
    assert plan.flows.groupby("site_id")["quantity"].sum().to_dict() == {
        "A": pytest.approx(60), "B": pytest.approx(40)}


def test_max_share_per_site_too_small_for_the_sites_is_found_before_solving():
    plan = hubopt.solve(base(max_share_per_site=0.4))
    assert plan.status == "infeasible" and not plan.relaxed
    assert [str(i) for i in plan.diagnosis] == [
        "Settings max_share_per_site: goods: with at most 40% of 100 units per site, the 2 "
        "site(s) that can serve it cover only 80. Raise max_share_per_site to at least 0.51, "
        "or add goods options at more sites."]
