"""Tiny scenarios solved by hand (see tests/tiny.py for the base case).

Each test states the hand calculation, asserts the optimal objective and
plan, and re-checks the plan independently from its result tables.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from plan_check import check_solved
from tiny import (
    Contributor,
    CountryBound,
    Demand,
    HubOption,
    Permission,
    Route,
    Sector,
    Site,
    base,
    with_contributors,
    with_option,
    with_routes,
    with_site,
)

import hubopt


def solve(scenario):
    plan = hubopt.solve(scenario)
    assert plan.status == "optimal", plan.diagnosis
    assert check_solved(plan) == []
    return plan


def open_sites(plan) -> set[str]:
    return set(plan.hubs["site_id"])


def test_base_case_opens_the_cheaper_network():
    plan = solve(base())
    # A: 100 + 100·1 = 200 beats B: 80 + 100·3 = 380
    assert plan.summary["objective"] == pytest.approx(200)
    assert plan.summary["hub_cost"] == pytest.approx(100)
    assert plan.summary["transport_cost"] == pytest.approx(100)
    assert open_sites(plan) == {"A"}
    assert plan.hubs.iloc[0]["utilisation"] == pytest.approx(1.0)
    assert dict(zip(plan.flows["sector_id"], plan.flows["quantity"])) == {"K": 60, "L": 40}
    assert plan.summary["avg_hours"] == pytest.approx(2.0)
    assert plan.summary["open_modules"] == 1
    assert plan.summary["staff_required"] == pytest.approx(10)


def test_capacity_and_one_size_pick_the_smallest_size_that_fits():
    # A offers S (cap 50, 40/yr) and L (cap 120, 100/yr); B is dropped by a closed status.
    scenario = with_site(base(), "B", status="closed")
    options = (HubOption("A", "goods", "S", 50, fixed_cost=40),
               HubOption("A", "goods", "L", 120, fixed_cost=100))
    scenario = replace(scenario, hub_options=options)
    assert solve(scenario).hubs["size"].tolist() == ["L"]          # demand 100 > 50
    small = replace(scenario, demand=(Demand("K", "goods", 30), Demand("L", "goods", 20)))
    plan = solve(small)
    assert plan.hubs["size"].tolist() == ["S"]                     # 40 + 50·1 = 90
    assert plan.summary["objective"] == pytest.approx(90)


def test_capacity_splits_demand_over_two_sites():
    # capacity 70 each: A serves 70 at 1, B the other 30 at 3: 180 + 70 + 90 = 340
    plan = solve(with_option(with_option(base(), "A", capacity=70), "B", capacity=70))
    assert plan.summary["objective"] == pytest.approx(340)
    assert open_sites(plan) == {"A", "B"}


def test_single_sourcing_serves_each_row_from_one_site():
    # K (60) and L (40) cannot share A's 70 units: K→A, L→B = 180 + 60 + 120 = 360
    scenario = with_option(with_option(base(single_sourcing=True), "A", capacity=70),
                           "B", capacity=70)
    plan = solve(scenario)
    assert plan.summary["objective"] == pytest.approx(360)
    assert sorted(zip(plan.flows["sector_id"], plan.flows["site_id"])) == [("K", "A"),
                                                                          ("L", "B")]


def test_redundancy_two_opens_a_backup_module():
    # every row needs two open modules in reach: both sites, all flow from A: 180 + 100 = 280
    plan = solve(base(redundancy=2))
    assert open_sites(plan) == {"A", "B"}
    assert plan.summary["objective"] == pytest.approx(280)


def test_country_bounds_keep_a_country_closed():
    scenario = replace(with_site(base(), "A", country="SVK"),
                       countries=(CountryBound("SVK", max_sites=0),))
    plan = solve(scenario)
    assert open_sites(plan) == {"B"}
    assert plan.summary["objective"] == pytest.approx(380)
    scenario = replace(scenario, countries=(CountryBound("SVK", min_sites=1),
                                            CountryBound("POL", min_sites=1)))
    assert open_sites(solve(scenario)) == {"A", "B"}


@pytest.mark.parametrize(("budget", "expected_sites", "objective"),
                         [(90, {"B"}, 380), (99.99, {"B"}, 380), (100, {"A"}, 200)])
def test_budget_bounds_the_hub_cost(budget, expected_sites, objective):
    plan = solve(base(budget=budget))
    assert open_sites(plan) == expected_sites
    assert plan.summary["objective"] == pytest.approx(objective)


def test_readiness_leaves_out_slow_builds():
    scenario = with_option(with_option(base(readiness_weeks=4), "A", build_weeks=12),
                           "B", build_weeks=2)
    plan = solve(scenario)
    assert open_sites(plan) == {"B"}
    assert plan.summary["objective"] == pytest.approx(380)


def test_site_counts_and_status_open():
    assert open_sites(solve(base(min_sites=2))) == {"A", "B"}
    plan = solve(with_site(base(), "B", status="open"))
    # B must open (80) and A still serves everything: 80 + 100 + 100 = 280
    assert open_sites(plan) == {"A", "B"}
    assert plan.summary["objective"] == pytest.approx(280)


def test_ceasefire_filters_sites_and_sectors():
    cheap_ukraine = replace(base(), sites=base().sites + (
        Site("C", "UKR", requires_ceasefire=True),), hub_options=base().hub_options + (
        HubOption("C", "goods", "std", 100, fixed_cost=10),), routes=base().routes + (
        Route("C", "K", 1.0, 0.5), Route("C", "L", 1.0, 0.5)))
    assert open_sites(solve(cheap_ukraine)) == {"A"}
    plan = solve(replace(cheap_ukraine, settings=cheap_ukraine.settings.updated(ceasefire=True)))
    assert open_sites(plan) == {"C"}                     # 10 + 100·0.5 = 60
    assert plan.summary["objective"] == pytest.approx(60)

    monitoring = replace(base(), sectors=base().sectors + (
        Sector("Z", "UKR", requires_ceasefire=True),), demand=base().demand + (
        Demand("Z", "goods", 500),), routes=base().routes + (Route("A", "Z", 1.0, 1.0),))
    plan = solve(monitoring)                             # Z's 500 units wait for a ceasefire
    assert plan.summary["objective"] == pytest.approx(200)
    z_row = plan.sectors.set_index("sector_id").loc["Z"]
    assert z_row["served"] == 0 and z_row["shortfall"] == 0


def test_value_of_time_and_max_hours():
    slow_a = with_routes(base(value_of_time=1.0), A_K=10, A_L=10, B_K=1, B_L=1)
    plan = solve(slow_a)
    # A: 100 + 100 + 100·10 = 1200; B: 80 + 300 + 100·1 = 480
    assert open_sites(plan) == {"B"}
    assert plan.summary["time_cost"] == pytest.approx(100)
    assert plan.summary["objective"] == pytest.approx(480)

    limited = with_routes(base(), A_L=10, B_L=1)
    limited = replace(limited, demand=(Demand("K", "goods", 60),
                                       Demand("L", "goods", 40, max_hours=5)))
    plan = solve(limited)
    # L only within 5 h from B: 180 + 60·1 + 40·3 = 360
    assert plan.summary["objective"] == pytest.approx(360)
    assert plan.summary["max_hours"] == pytest.approx(2.0)


def test_priority_scales_time_cost_and_threat_prices_risk():
    scenario = replace(base(value_of_time=2.0, value_at_risk=10.0),
                       demand=(Demand("K", "goods", 60, priority=3), Demand("L", "goods", 40)))
    scenario = with_site(scenario, "A", threat=0.5)
    plan = solve(scenario)
    # A: 100 + 100 + 2·2·(3·60 + 40) + 10·0.5·100 = 1580; B: 80 + 300 + 880 = 1260
    assert open_sites(plan) == {"B"}
    assert plan.summary["time_cost"] == pytest.approx(880)
    assert plan.summary["risk_cost"] == pytest.approx(0)
    assert plan.summary["objective"] == pytest.approx(1260)


def test_computed_routes_follow_the_haversine_formula():
    scenario = replace(base(missing_routes="compute", road_speed_kmh=50, road_factor=1.2,
                            border_delay_hours=3, transport_cost_per_unit_km=0.01), routes=())
    plan = solve(scenario)
    flow = plan.flows.set_index("sector_id").loc["K"]
    # A (50.0 N, 22.0 E) to K (50.0 N, 36.0 E): great circle 1000.0 km (haversine)
    import math
    km = 2 * 6371.0088 * math.asin(math.sqrt(math.cos(math.radians(50)) ** 2
                                             * math.sin(math.radians(14) / 2) ** 2)) * 1.2
    assert flow["hours"] == pytest.approx(km / 50 + 3)
    assert flow["cost_per_unit"] == pytest.approx(km * 0.01)


# -- contributors (SPEC §3.1) ---------------------------------------------------------

def test_a_site_no_permitted_contributor_can_staff_stays_closed():
    # A is in UKR, where only POL-limited Poland is a contributor: nobody may staff A.
    scenario = with_contributors(with_site(base(), "A", country="UKR"),
                                 [Contributor("POL")], [Permission("POL", "POL")])
    plan = solve(scenario)
    assert open_sites(plan) == {"B"}
    assert plan.summary["objective"] == pytest.approx(380)
    assert plan.staffing[["contributor_id", "site_id", "amount"]].values.tolist() == [
        ["POL", "B", 10.0]]
    assert plan.funding[["contributor_id", "site_id", "amount"]].values.tolist() == [
        ["POL", "B", 80.0]]


@pytest.mark.parametrize(("cap", "expected"), [(9, {"B"}), (10, {"A"})])
def test_per_country_staff_cap_decides_whether_a_site_opens(cap, expected):
    scenario = with_contributors(
        with_site(base(), "A", country="UKR"),
        [Contributor("POL"), Contributor("GBR")],
        [Permission("POL", "POL"), Permission("GBR", "UKR", may_fund=True, max_staff=cap)])
    assert open_sites(solve(scenario)) == expected


def test_contributor_caps_on_staff_and_budget():
    # only one contributor; its budget (90) cannot fund A (100), so B opens
    scenario = with_contributors(base(), [Contributor("POL", max_budget=90)],
                                 [Permission("POL", "POL")])
    assert open_sites(solve(scenario)) == {"B"}
    # staff cap 9 < 10 needed by either site: nobody can run a hub -> infeasible
    scenario = with_contributors(base(), [Contributor("POL", max_staff=9)],
                                 [Permission("POL", "POL")])
    assert hubopt.solve(scenario).status == "infeasible"


def test_staff_and_money_can_come_from_different_contributors():
    # DEU may staff POL but not fund it; NLD funds only. Both are needed for A.
    scenario = with_contributors(
        base(), [Contributor("DEU"), Contributor("NLD", max_budget=1000)],
        [Permission("DEU", "POL", may_fund=False), Permission("NLD", "POL", may_staff=False)])
    plan = solve(scenario)
    assert open_sites(plan) == {"A"}
    assert plan.staffing["contributor_id"].tolist() == ["DEU"]
    assert plan.funding["contributor_id"].tolist() == ["NLD"]
    assert plan.contributors.set_index("contributor_id").loc["NLD", "funding"] == 100


# -- no plan --------------------------------------------------------------------------

def test_unreachable_demand_is_found_before_solving():
    scenario = replace(base(), demand=(Demand("K", "goods", 60, max_hours=1, row=2),
                                       Demand("L", "goods", 40, row=3)))
    plan = hubopt.solve(scenario)
    assert plan.status == "infeasible"
    assert len(plan.diagnosis) == 1
    assert plan.diagnosis[0].where == "Demand row 2"
    assert "within 1 h" in plan.diagnosis[0].message


def test_capacity_below_demand_is_found_before_solving():
    plan = hubopt.solve(with_option(with_option(base(), "A", capacity=30), "B", capacity=30))
    assert plan.status == "infeasible"
    assert "total demand 100 exceeds" in plan.diagnosis[0].message


def test_infeasibility_only_the_solver_sees_is_diagnosed_by_the_elastic_model():
    # budget 50 < 80, the cheapest hub: raise it by 30; the relaxed plan opens B
    plan = hubopt.solve(base(budget=50))
    assert plan.status == "infeasible" and plan.relaxed and not plan.has_plan
    assert [str(i) for i in plan.diagnosis] == [
        "Settings budget: the hubs needed cost 80 a year, 30 over the budget of 50. "
        "Raise Settings budget by 30 to 80."]
    assert set(plan.hubs["site_id"]) == {"B"}
    assert plan.summary["shortfall"] == pytest.approx(0, abs=1e-6)
    assert plan.stress.empty


def test_stability_penalty_needs_a_previous_plan():
    # without a previous plan nothing can change, so the penalty costs nothing
    assert solve(base(stability_penalty=1000)).summary["stability_cost"] == 0
    # keeping B (the previous plan) saves 2·150 against switching to A: 80 + 300 < 200 + 300
    plan = hubopt.solve(base(stability_penalty=150), previous_plan=[("B", "goods", "std")])
    assert set(plan.hubs["site_id"]) == {"B"}
    assert plan.summary["objective"] == pytest.approx(380)
    plan = hubopt.solve(base(stability_penalty=50), previous_plan=[("B", "goods", "std")])
    assert set(plan.hubs["site_id"]) == {"A"}                 # 200 + 2·50 = 300 < 380
    assert plan.summary["stability_cost"] == pytest.approx(100)
