"""The posture across scenarios (SPEC §3.5): the extensive form, RP, WS, EC, EVPI, VSS.

Figures are re-computed by tests/posture_reference.py (enumeration of every now
choice and every recourse, flows by a bare HiGHS LP), never by the product's path.
"""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from posture_reference import Reference, as_choice
from test_baselines import every_family
from tiny import Demand, HubOption, Route, Site, base

import hubopt
from hubopt.inputs.example import example_posture_scenario, example_scenario
from hubopt.inputs.instance import ScenarioCase, ScenarioDemand

REL = 1e-6


def posture_base(**settings):
    """The tiny base case (A: 100 + 1/unit, B: 80 + 3/unit, 100 units) with a small size
    at A, a Ukrainian site C that needs a ceasefire (60 + 0.5/unit) and three futures:
    calm (a ceasefire; L needs 70), war (no ceasefire, demand × 1.2: A and B both
    needed) and strike (no ceasefire, A lost)."""
    scenario = base(**settings)
    return replace(
        scenario,
        sites=(*scenario.sites, Site("C", "UKR", latitude=49.0, longitude=30.0,
                                     requires_ceasefire=True, row=4)),
        hub_options=(*scenario.hub_options,
                     HubOption("A", "goods", "small", 50, fixed_cost=70, row=4),
                     HubOption("C", "goods", "std", 100, fixed_cost=60, row=5)),
        routes=(*scenario.routes, Route("C", "K", 1.0, 0.5, row=6),
                Route("C", "L", 1.0, 0.5, row=7)),
        scenarios=(ScenarioCase("calm", 0.5, ceasefire=True, row=2),
                   ScenarioCase("war", 0.3, ceasefire=False, demand_factor=1.2, row=3),
                   ScenarioCase("strike", 0.2, ceasefire=False, lost_sites="A", row=4)),
        scenario_demand=(ScenarioDemand("calm", "L", "goods", 70, row=2),))


def seeded(seed: int):
    """Three sites (one needs a ceasefire, one may be status open), one or two sizes
    each, two sectors, two or three scenarios with random probabilities, factors and
    losses."""
    rng = random.Random(seed)
    sites, options, routes = [], [], []
    for i, name in enumerate("PQR"):
        sites.append(Site(name, "UKR" if i == 2 else "POL", latitude=50.0, longitude=20.0 + i,
                          requires_ceasefire=i == 2,
                          status="open" if i == 0 and rng.random() < 0.5 else "candidate",
                          site_cost=float(rng.randint(0, 40)), row=i + 2))
        for size, capacity in (("l", 110), ("s", 60))[:rng.randint(1, 2)]:
            options.append(HubOption(name, "goods", size, capacity,
                                     fixed_cost=float(rng.randint(30, 120)), row=len(options) + 2))
        for sector in "KL":
            cost = 1.0 if i == 2 else float(rng.randint(1, 5))
            routes.append(Route(name, sector, 2.0, cost, row=len(routes) + 2))
    count = rng.randint(2, 3)
    weights = [rng.randint(1, 5) for _ in range(count)]
    cases = []
    for j in range(count):
        lost = rng.choice([None, None, "P", "Q"])
        cases.append(ScenarioCase(f"w{j}", weights[j] / sum(weights),
                                  ceasefire=rng.random() < 0.5,
                                  demand_factor=rng.choice([0.8, 1.0, 1.5]), lost_sites=lost,
                                  row=j + 2))
    scenario = replace(base(later_cost_factor=rng.choice([1.0, 1.25, 2.0])),
                       sites=tuple(sites), hub_options=tuple(options), routes=tuple(routes),
                       demand=(Demand("K", "goods", 50, row=2), Demand("L", "goods", 40, row=3)),
                       scenarios=tuple(cases))
    # probabilities that sum to 1 exactly, as validation requires
    total = sum(c.probability for c in scenario.scenarios[:-1])
    last = replace(scenario.scenarios[-1], probability=1.0 - total)
    return replace(scenario, scenarios=(*scenario.scenarios[:-1], last))


def solved(scenario):
    return hubopt.posture(scenario, mip_gap=0.0, time_limit=60)


def test_posture_base_against_the_reference():
    scenario = posture_base()
    posture = solved(scenario)
    reference = Reference(scenario)
    rp, best_now = reference.rp()
    assert posture.status == "optimal"
    assert posture.objective == pytest.approx(rp, rel=REL)
    # the reported now plan costs RP in the reference too
    assert reference.expected(as_choice(scenario, posture.now)) == pytest.approx(rp, rel=REL)
    for case in posture.cases:
        assert case.ws == pytest.approx(reference.ws(case.name), rel=REL)
        assert case.cost == pytest.approx(
            reference.cost_in(case.name, as_choice(scenario, posture.now)), rel=REL)
    assert posture.ws == pytest.approx(sum(c.probability * reference.ws(c.name)
                                           for c in posture.cases), rel=REL)


@pytest.mark.parametrize("seed", range(12))
def test_ws_rp_ec_order_and_values_on_seeded_instances(seed):
    scenario = seeded(seed)
    posture = solved(scenario)
    reference = Reference(scenario)
    rp, _ = reference.rp()
    if rp == float("inf"):      # some scenario has no plan whatever is built now
        assert posture.status == "infeasible" and posture.objective is None
        assert posture.diagnosis
        return
    assert posture.objective == pytest.approx(rp, rel=REL)
    for case in posture.cases:
        ws = reference.ws(case.name)
        assert case.ws == pytest.approx(ws, rel=REL)
        # what WS_ω builds now is optimal for ω alone, and EC is its expected cost
        built = as_choice(scenario, case.ws_now)
        assert reference.cost_in(case.name, built) == pytest.approx(ws, rel=REL)
        ec = posture.ec(case.name)
        assert ec == pytest.approx(reference.expected(built), rel=REL)
    ecs = [posture.ec(c.name) for c in posture.cases]
    tolerance = REL * abs(rp)
    assert posture.ws <= posture.objective + tolerance
    assert posture.objective <= min(ecs) + tolerance
    assert posture.evpi >= -tolerance
    assert posture.vss >= -tolerance
    assert posture.vss == pytest.approx(min(ecs) - posture.objective, abs=1e-6)


def test_posture_base_tells_a_story():
    posture = solved(posture_base())
    cases = {c.name: c for c in posture.cases}
    # C needs a ceasefire: never built now, opened (added) only in calm
    assert not any(m[0] == "C" for m in posture.now)
    hubs = {c.name: set(c.plan.hubs["site_id"]) for c in posture.cases}
    assert "C" not in hubs["war"] and "C" not in hubs["strike"]
    assert all(m[0] != "C" for m in cases["war"].added + cases["strike"].added)


def test_a_lost_site_built_now_is_paid_and_carries_nothing_there():
    # A is an existing hub (status open): it must be built now, and strike loses it
    scenario = posture_base()
    scenario = replace(scenario, sites=tuple(replace(s, status="open") if s.site_id == "A"
                                             else s for s in scenario.sites))
    posture = solved(scenario)
    reference = Reference(scenario)
    assert any(m[0] == "A" for m in posture.now)
    strike = next(c for c in posture.cases if c.name == "strike")
    assert [m[0] for m in strike.lost] == ["A"]
    assert "A" not in set(strike.plan.flows["site_id"])
    assert "A" not in set(strike.plan.hubs["site_id"])
    # paid: the cost there includes what was built at A now (reference prices it so)
    built = as_choice(scenario, posture.now)
    assert strike.cost == pytest.approx(reference.cost_in("strike", built), rel=REL)
    now_at_a = sum(o.fixed_cost for o in scenario.hub_options
                   if o.key in set(posture.now) and o.site_id == "A")
    flows = float((strike.plan.flows["quantity"] * strike.plan.flows["cost_per_unit"]).sum())
    later = strike.plan.summary["hub_cost"] - sum(
        o.fixed_cost for o in scenario.hub_options
        if o.key in set(posture.now) and o.site_id != "A")
    assert strike.cost == pytest.approx(posture.now_cost + 1.25 * later + flows, rel=REL)
    assert now_at_a > 0


def one_scenario(scenario):
    """The workbook with one scenario equal to Settings: probability 1, its ceasefire
    the Settings value, factor 1, no lost sites; later_cost_factor 1."""
    return replace(scenario.with_settings(later_cost_factor=1.0),
                   scenarios=(ScenarioCase("only", 1.0,
                                           ceasefire=scenario.settings.ceasefire),))


GOLDEN = {"base": base, "every_family": every_family,
          "base_two_sizes": lambda: replace(base(), hub_options=(
              *base().hub_options, HubOption("B", "goods", "small", 40, fixed_cost=30, row=4))),
          "posture_base_no_scenarios": lambda: replace(posture_base(), scenarios=(),
                                                       scenario_demand=()),
          "example": example_scenario,
          "example_ceasefire": lambda: example_scenario().with_settings(ceasefire=True)}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_one_scenario_equals_the_deterministic_plan(name):
    scenario = GOLDEN[name]()
    plain = hubopt.solve(scenario, mip_gap=0.0, stress=False)
    posture = hubopt.posture(one_scenario(scenario), mip_gap=0.0)
    assert posture.objective == pytest.approx(plain.summary["objective"], rel=REL)
    only = posture.cases[0]
    opened = set(zip(plain.hubs["site_id"], plain.hubs["service"], plain.hubs["size"]))
    assert set(zip(only.plan.hubs["site_id"], only.plan.hubs["service"],
                   only.plan.hubs["size"])) == opened
    # with λ = 1 the posture may build now or later at the same price; what is
    # built now is part of the one plan
    assert set(posture.now) <= opened
    assert posture.evpi == pytest.approx(0.0, abs=1e-6 * abs(posture.objective))


def test_two_identical_scenarios_give_the_one_scenario_optimum():
    scenario = posture_base()
    case = replace(scenario.scenarios[0], scenario="a", probability=0.3)
    twin = replace(case, scenario="b", probability=0.7)
    demand = tuple(replace(r, scenario=s) for r in scenario.scenario_demand for s in "ab")
    two = solved(replace(scenario, scenarios=(case, twin), scenario_demand=demand))
    one = solved(replace(scenario, scenarios=(replace(case, probability=1.0),),
                         scenario_demand=demand[:1]))
    assert two.objective == pytest.approx(one.objective, rel=REL)
    assert two.now == one.now
    assert two.evpi == pytest.approx(0.0, abs=1e-6)
    assert two.vss == pytest.approx(0.0, abs=1e-6)


def test_example_posture_hedges():
    posture = hubopt.posture(example_posture_scenario())
    assert posture.status == "optimal"
    names = [c.name for c in posture.cases]
    assert names == ["ceasefire", "no_ceasefire", "strike"]
    ws, rp = posture.ws, posture.objective
    ecs = [posture.ec(n) for n in names]
    assert ws < rp < min(ecs)
    assert posture.evpi > 0 and posture.vss > 0
    # Ukrainian sites need a ceasefire: never built now, added only when one holds
    ukraine = {s.site_id for s in example_scenario().sites if s.requires_ceasefire}
    assert not ukraine & {m[0] for m in posture.now}
    for case in posture.cases:
        if case.name != "ceasefire":
            assert not ukraine & {m[0] for m in case.added}
    strike = posture.cases[2]
    assert {m[0] for m in strike.lost} == {"RZE"}
    assert "RZE" not in set(strike.plan.flows["site_id"])


def east_or_west():
    """Sites A (1/unit to K, 5 to L), B (5 to K, 1 to L) and M (1.5 to both), 100 a
    year each, capacity 100; all 100 units in K in scenario k, in L in scenario l
    (p 0.5 each); later_cost_factor 2. By hand: building M now costs 100 + 150 = 250
    in both (RP 250); k alone builds A now (200), l alone B (200): WS = 200,
    EVPI = 50; building A now costs 600 or 100 + 2·100 + 100 = 400 in l, so
    EC = 300 for either bet and VSS = 50."""
    scenario = base(later_cost_factor=2.0)
    sites = (*scenario.sites, Site("M", "POL", latitude=50.0, longitude=21.5, row=4))
    options = (HubOption("A", "goods", "std", 100, fixed_cost=100, row=2),
               HubOption("B", "goods", "std", 100, fixed_cost=100, row=3),
               HubOption("M", "goods", "std", 100, fixed_cost=100, row=4))
    routes = (Route("A", "K", 2.0, 1.0), Route("A", "L", 2.0, 5.0),
              Route("B", "K", 2.0, 5.0), Route("B", "L", 2.0, 1.0),
              Route("M", "K", 2.0, 1.5), Route("M", "L", 2.0, 1.5))
    return replace(scenario, sites=sites, hub_options=options, routes=routes,
                   scenarios=(ScenarioCase("k", 0.5, row=2), ScenarioCase("l", 0.5, row=3)),
                   scenario_demand=(ScenarioDemand("k", "K", "goods", 100),
                                    ScenarioDemand("k", "L", "goods", 0),
                                    ScenarioDemand("l", "K", "goods", 0),
                                    ScenarioDemand("l", "L", "goods", 100)))


def test_hedging_has_value_when_each_future_wants_another_site():
    scenario = east_or_west()
    posture = solved(scenario)
    assert posture.now == (("M", "goods", "std"),)
    assert posture.objective == pytest.approx(250)
    assert posture.ws == pytest.approx(200)
    assert posture.evpi == pytest.approx(50)
    assert posture.vss == pytest.approx(50)
    assert [c.ws_now for c in posture.cases] == [(("A", "goods", "std"),),
                                                 (("B", "goods", "std"),)]
    assert posture.regret.loc["k", "l"] == pytest.approx(400)
    reference = Reference(scenario)
    assert reference.rp()[0] == pytest.approx(250)
    assert reference.expected(as_choice(scenario, [("A", "goods", "std")])) == \
        pytest.approx(posture.ec("k"))


def test_sweep_finds_where_the_now_plan_changes():
    # east_or_west with π = p(k): building B now costs 200 + 200π in expectation, A
    # 400 − 200π, M 250 (nothing: 300): B below π = 1/4, M between, A above 3/4
    from hubopt.solver.session import SolveOptions
    from hubopt.studies.posture_sweep import sweep, weights

    scenario = east_or_west()
    assert weights(scenario, "k", 0.2) == pytest.approx({"k": 0.2, "l": 0.8})
    result = sweep(scenario, "k", SolveOptions(mip_gap=0.0), points=5, resolution=0.01)
    b, m, a = (("B", "goods", "std"),), (("M", "goods", "std"),), (("A", "goods", "std"),)
    assert [(c[2], c[3]) for c in result.changes] == [(b, m), (m, a)]
    for (low, high, _, _), turn in zip(result.changes, (0.25, 0.75)):
        assert low <= turn + 1e-9 and high >= turn - 1e-9 and high - low <= 0.01 + 1e-9
    for point in result.points:
        expected = min(200 + 200 * point.probability, 400 - 200 * point.probability, 250)
        assert point.objective == pytest.approx(expected)
