"""Outcome classification with real HiGHS runs, and determinism."""

from __future__ import annotations

import pytest
from plan_check import check_solved
from tiny import base

import hubopt
from hubopt.inputs.example import example_scenario
from hubopt.model.build import build_model
from hubopt.model.network import build_network
from hubopt.solver.outcome import relative_gap
from hubopt.solver.session import solve_model


def example_model():
    return build_model(build_network(example_scenario()))


def test_stopped_early_with_a_plan_is_time_limit_with_its_gap():
    # HiGHS stops at its first improving solution: a plan, not proven optimal
    model = example_model()
    outcome = solve_model(model, time_limit=60, mip_gap=0,
                          highs_options={"mip_max_improving_sols": 1})
    assert outcome.status == "time_limit"
    assert outcome.has_plan
    assert outcome.gap == pytest.approx(relative_gap(outcome.objective, outcome.bound))
    assert outcome.gap > 0
    assert outcome.bound < outcome.objective


def test_optimal_reports_objective_bound_and_gap():
    outcome = solve_model(example_model(), time_limit=60, mip_gap=0)
    assert outcome.status == "optimal"
    assert outcome.gap == pytest.approx(0, abs=1e-9)
    assert outcome.bound == pytest.approx(outcome.objective, rel=1e-9)
    assert "MIP has 226 rows" in outcome.log       # the HiGHS log is kept


def test_proven_infeasible_has_no_objective():
    scenario = base(budget=50)
    outcome = solve_model(build_model(build_network(scenario)), time_limit=60, mip_gap=0)
    assert (outcome.status, outcome.objective, outcome.gap) == ("infeasible", None, None)


def test_relative_gap():
    assert relative_gap(100.0, 90.0) == pytest.approx(0.1)
    assert relative_gap(0.0, 0.0) == 0.0
    assert relative_gap(None, 1.0) is None


def test_same_input_same_plan():
    first, second = hubopt.solve(example_scenario()), hubopt.solve(example_scenario())
    assert first.summary["objective"] == second.summary["objective"]
    assert first.flows.equals(second.flows)
    assert first.staffing.equals(second.staffing)


@pytest.mark.parametrize("ceasefire", [False, True])
def test_example_plans_pass_the_independent_check(ceasefire):
    # contributors, computed routes with border delays and max_hours all at once
    plan = hubopt.solve(example_scenario().with_settings(ceasefire=ceasefire, mip_gap=0))
    assert plan.status == "optimal"
    assert check_solved(plan) == []
    assert plan.summary["mip_gap"] == pytest.approx(0, abs=1e-9)
