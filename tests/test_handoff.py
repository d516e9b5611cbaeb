"""The bulk hand-off (hubopt.solver.handoff, solver.solve_direct) gives HiGHS the same LP as
Pyomo's persistent interface, and its outcomes are classified the same way."""

from __future__ import annotations

import highspy
import pandas as pd
import pytest
from test_baselines import ELASTIC, PREVIOUS, SCENARIOS
from tiny import base

import hubopt
from hubopt.inputs.example import example_scenario
from hubopt.model.build import build_model
from hubopt.model.network import build_network
from hubopt.solver.handoff import compile_lp
from hubopt.solver.outcome import WarmStartHighs, solve_model

CASES = {name: (SCENARIOS[name], PREVIOUS.get(name, ()), name in ELASTIC) for name in SCENARIOS}
CASES["example"] = (example_scenario, (), False)
CASES["example_elastic"] = (lambda: example_scenario().with_settings(budget=1), (), True)
CASES["example_resilience"] = (lambda: example_scenario().with_settings(resilience=0.5), (),
                               False)


def _model(name):
    scenario, previous, elastic = CASES[name]
    return build_model(build_network(scenario()), previous, elastic=elastic)


def _by_name(lp, column_names, row_names):
    """Columns, rows and matrix of a HighsLp keyed by Pyomo names (order-free)."""
    columns = {column_names[j]: (lp.col_lower_[j], lp.col_upper_[j], lp.col_cost_[j],
                                 int(lp.integrality_[j]) if len(lp.integrality_) else 0)
               for j in range(lp.num_col_)}
    rows = {row_names[i]: (lp.row_lower_[i], lp.row_upper_[i]) for i in range(lp.num_row_)}
    matrix = lp.a_matrix_
    assert matrix.format_ == highspy.MatrixFormat.kColwise
    entries = {}
    for j in range(lp.num_col_):
        for k in range(matrix.start_[j], matrix.start_[j + 1]):
            if matrix.value_[k] != 0:
                entries[(row_names[matrix.index_[k]], column_names[j])] = matrix.value_[k]
    return columns, rows, entries, lp.offset_


def _approx(mapping):
    return {key: pytest.approx(value, rel=1e-12, abs=1e-12) for key, value in mapping.items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_both_handoffs_give_highs_the_same_lp_and_optimum(name):
    direct_model = _model(name)
    compiled = compile_lp(direct_model)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(compiled.highs_lp(names=True))
    lp = highs.getLp()
    direct = _by_name(lp, list(lp.col_names_), list(lp.row_names_))

    pyomo_model = _model(name)
    solver = WarmStartHighs()
    via_pyomo = solve_model(pyomo_model, time_limit=60, mip_gap=0, solver=solver)
    var_of = {id(v): v.name for v in pyomo_model.component_data_objects(hubopt.model.build.pyo.Var)}
    column_names = {j: var_of[v] for v, j in solver._pyomo_var_to_solver_var_map.items()}
    row_names = {i: con.name for con, i in solver._pyomo_con_to_solver_con_map.items()}
    reference = _by_name(solver._solver_model.getLp(), column_names, row_names)

    assert set(direct[0]) == set(reference[0]) and len(direct[0]) == lp.num_col_
    assert set(direct[1]) == set(reference[1]) and len(direct[1]) == lp.num_row_
    assert direct[0] == _approx(reference[0])            # bounds, cost, integrality
    assert direct[1] == _approx(reference[1])            # row bounds
    assert direct[2] == _approx(reference[2])            # every non-zero, by (row, column)
    assert direct[3] == pytest.approx(reference[3])      # objective constant

    outcome = solve_model(direct_model, time_limit=60, mip_gap=0, handoff="direct")
    assert outcome.status == via_pyomo.status == "optimal"
    assert outcome.objective == pytest.approx(via_pyomo.objective, rel=1e-9)
    assert compiled.nonzeros == len(direct[2])


def _example():
    return build_model(build_network(example_scenario()))


@pytest.mark.parametrize("handoff", ["direct", "pyomo"])
def test_outcomes_are_classified_alike(handoff):
    optimal = solve_model(_example(), time_limit=60, mip_gap=0, handoff=handoff)
    assert (optimal.status, optimal.termination) == ("optimal", "convergenceCriteriaSatisfied")
    assert optimal.bound == pytest.approx(optimal.objective, rel=1e-9) and optimal.gap == 0
    assert optimal.objective == pytest.approx(25781695.80747515, rel=1e-9)
    assert "MIP has 226 rows" in optimal.log and optimal.highs_seconds > 0

    early = solve_model(_example(), time_limit=60, mip_gap=0, handoff=handoff,
                        highs_options={"mip_max_improving_sols": 1})
    assert early.status == "time_limit" and early.gap > 0 and early.bound < early.objective

    infeasible = solve_model(build_model(build_network(base(budget=50))), time_limit=60,
                             mip_gap=0, handoff=handoff)
    assert (infeasible.status, infeasible.objective, infeasible.bound) == ("infeasible", None,
                                                                          None)
    # no time at all: stopped before any plan
    nothing = solve_model(_example(), time_limit=0, mip_gap=0, handoff=handoff)
    assert (nothing.status, nothing.termination) == ("no_solution", "maxTimeLimit")
    assert (nothing.objective, nothing.bound, nothing.gap) == (None, None, None)


def test_direct_handoff_loads_the_plan_the_persistent_path_finds():
    direct = hubopt.solve(example_scenario(), stress=False)
    pyomo = hubopt.solve(example_scenario(), stress=False, handoff="pyomo")
    assert direct.summary["objective"] == pytest.approx(pyomo.summary["objective"], rel=1e-9)
    # same hubs and sizes; used/utilisation equal up to the solvers' float noise
    pd.testing.assert_frame_equal(direct.hubs, pyomo.hubs, check_exact=False, rtol=1e-9,
                                  atol=1e-6)


def test_fixed_variables_are_constants_of_the_matrix():
    model = build_model(build_network(base()))
    every = compile_lp(model)
    model.z["A"].fix(1)
    fixed = compile_lp(model)
    assert len(fixed.columns) == len(every.columns) - 1
    assert id(model.z["A"]) not in {id(var) for var in fixed.columns}


@pytest.mark.parametrize("handoff, target", [("direct", "run"), ("pyomo", "solve")])
def test_a_solver_crash_is_a_solver_error_on_both_paths(handoff, target, monkeypatch):
    from hubopt.errors import SolverError
    from hubopt.solver import outcome as solver

    def crash(self, *args, **kwargs):
        raise RuntimeError("HiGHS aborted: out of memory")
    owner = solver.highspy.Highs if handoff == "direct" else solver.Highs
    monkeypatch.setattr(owner, target, crash)
    with pytest.raises(SolverError, match="HiGHS failed: HiGHS aborted: out of memory"):
        solve_model(build_model(build_network(base())), time_limit=60, mip_gap=0,
                    handoff=handoff)


def test_forms_outside_the_hub_model_compile_to_the_same_optimum():
    # ranged rows, a constant on the left, a maximised objective with a constant, a
    # mutable parameter and a non-linear-looking but linear product (fallback walk)
    m = hubopt.model.build.pyo.ConcreteModel()
    pyo = hubopt.model.build.pyo
    m.p = pyo.Param(initialize=2.0, mutable=True)
    m.x = pyo.Var(bounds=(0, 10))
    m.y = pyo.Var(within=pyo.NonNegativeIntegers, bounds=(0, 7))
    m.ranged = pyo.Constraint(expr=pyo.inequality(1, m.x + m.y, 8.5))
    m.left = pyo.Constraint(expr=3 >= m.x - m.y)   # noqa: SIM300 - the constant on the left
    m.product = pyo.Constraint(expr=(m.x + 1) * (m.p - 1) <= 6)     # x + 1 ≤ 6
    m.objective = pyo.Objective(expr=m.p * m.x + 3 * m.y + 5, sense=pyo.maximize)
    compiled = compile_lp(m)
    assert list(compiled.row_lower) == [1, -float("inf"), -float("inf")]
    assert list(compiled.row_upper) == [8.5, 3, 5]              # x − y ≤ 3; x ≤ 5
    assert compiled.offset == 5 and compiled.sense == -1
    assert list(compiled.integrality) == [0, 1]
    outcome = solve_model(m, time_limit=60, mip_gap=0)
    # y is worth more than x: y = 7 (its bound), then x = 8.5 − 7 = 1.5: 3 + 21 + 5 = 29
    assert outcome.status == "optimal"
    assert outcome.objective == pytest.approx(29)
    assert (m.x.value, m.y.value) == (pytest.approx(1.5), pytest.approx(7))
