"""The aggregate-capacity valid inequality: its row, and that it is exact.

Tiny case with two sizes at A (std 100, big 250) and B's 100: D_goods = 100,
so the big module's coefficient is lowered to min(250, 100) = 100.
"""

from __future__ import annotations

from dataclasses import replace

import pyomo.environ as pyo
import pytest
from plan_check import check_solved
from tiny import HubOption, base, with_option

import hubopt
from hubopt.model.build import build_model
from hubopt.model.network import build_network
from hubopt.solver.session import solve_model


def _two_sizes():
    scenario = base()
    return replace(scenario, hub_options=scenario.hub_options + (
        HubOption("A", "goods", "big", 250, fixed_cost=150, staff=10, row=4),))


def _coefficients(model) -> dict:
    from pyomo.repn import generate_standard_repn
    row = model.aggregate_capacity["goods"]
    repn = generate_standard_repn(row.body)
    return ({v.name: c for v, c in zip(repn.linear_vars, repn.linear_coefs)}, row.lower)


def test_row_uses_min_of_capacity_and_service_demand():
    coefficients, lower = _coefficients(build_model(build_network(_two_sizes())))
    assert coefficients == {"y[A,goods,std]": 100, "y[A,goods,big]": 100,
                            "y[B,goods,std]": 100}
    assert pyo.value(lower) == 100


def test_elastic_model_leaves_it_out():
    model = build_model(build_network(_two_sizes()), elastic=True)
    assert not hasattr(model, "aggregate_capacity")


def test_switch_leaves_it_out():
    model = build_model(build_network(base()), aggregate_capacity=False)
    assert not hasattr(model, "aggregate_capacity")


@pytest.mark.parametrize(("capacity", "optimum"), [(40, 450), (60, 330), (100, 200)])
def test_same_optimum_with_and_without(capacity, optimum):
    """Sites A (100/yr, 1 per unit), B (80, 3), C (90, 2), each one module of
    ``capacity``; demand 100. 40: all three, 270 + 40·1 + 40·2 + 20·3 = 450.
    60: two; A+C 190 + 60 + 80 = 330 (A+B 360, B+C 410). 100: A alone, 200.
    The optimum is the same with and without the inequality."""
    scenario = with_option(with_option(base(), "A", capacity=capacity), "B",
                           capacity=capacity)
    scenario = replace(scenario, sites=scenario.sites + (
        replace(scenario.sites[0], site_id="C", row=4),),
        hub_options=scenario.hub_options + (
        HubOption("C", "goods", "std", capacity, fixed_cost=90, staff=10, row=4),),
        routes=scenario.routes + tuple(replace(r, site_id="C", cost_per_unit=2.0)
                                       for r in scenario.routes if r.site_id == "A"))
    objectives = []
    for aggregate in (False, True):
        network = build_network(scenario)
        model = build_model(network, aggregate_capacity=aggregate)
        outcome = solve_model(model, time_limit=30, mip_gap=0.0)
        assert outcome.status == "optimal"
        objectives.append(pyo.value(model.objective))
    assert objectives == pytest.approx([optimum, optimum], rel=1e-9)
    plan = hubopt.solve(scenario)
    assert plan.summary["objective"] == pytest.approx(objectives[1], rel=1e-9)
    assert check_solved(plan) == []
