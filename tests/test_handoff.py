"""The hand-off (hubopt.solver.handoff) gives HiGHS the LP the model defines: the
same matrix HiGHS reads from Pyomo's own LP writer, and the session
(hubopt.solver.session) classifies its outcomes as SPEC §5 says."""

from __future__ import annotations

import math
import re

import highspy
import pytest
from test_baselines import ELASTIC, PREVIOUS, SCENARIOS
from tiny import base

import hubopt
from hubopt.inputs.example import example_scenario
from hubopt.model.build import build_model
from hubopt.model.network import build_network
from hubopt.solver.handoff import compile_lp
from hubopt.solver.session import solve_model

CASES = {name: (SCENARIOS[name], PREVIOUS.get(name, ()), name in ELASTIC) for name in SCENARIOS}
CASES["example"] = (example_scenario, (), False)
CASES["example_elastic"] = (lambda: example_scenario().with_settings(budget=1), (), True)
CASES["example_resilience"] = (lambda: example_scenario().with_settings(resilience=0.5), (),
                               False)


def _model(name):
    scenario, previous, elastic = CASES[name]
    return build_model(build_network(scenario()), previous, elastic=elastic)


_ROW = re.compile(r"^(c_e|c_l|c_u|r_l|r_u)_(.*)_$")


def _written_by_pyomo(model, path):
    """The model as HiGHS reads it from Pyomo's LP writer, keyed by Pyomo's names:
    the reference the compiled matrix must equal (ranged rows, which the writer
    splits in two, joined again)."""
    _, symbols = model.write(str(path), io_options={"symbolic_solver_labels": True})
    label = {id(obj): _row_name(name) for name, obj in
             model.solutions.symbol_map[symbols].bySymbol.items()}
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    assert highs.readModel(str(path)) == highspy.HighsStatus.kOk
    lp = highs.getLp()
    row_names = [_row_name(name) for name in lp.row_names_]
    columns, rows, entries, offset = _by_name(lp, list(lp.col_names_), row_names,
                                              merge_rows=True)
    constant = columns.pop("ONE_VAR_CONSTANT", None)   # the writer's objective constant
    if constant is not None:
        offset += constant[2] * constant[0]
    return label, (columns, rows, entries, offset)


def _row_name(name: str) -> str:
    """A row's name without the LP writer's sense prefix: demand(K_goods) for
    c_e_demand(K_goods)_."""
    match = _ROW.match(name)
    return match.group(2) if match else name


def _by_name(lp, column_names, row_names, merge_rows=False):
    """Columns, rows and matrix of a HighsLp keyed by names (order-free); with
    ``merge_rows`` rows of one name are one row (the tightest bounds of them)."""
    columns = {column_names[j]: (lp.col_lower_[j], lp.col_upper_[j], lp.col_cost_[j],
                                 int(lp.integrality_[j]) if len(lp.integrality_) else 0)
               for j in range(lp.num_col_)}
    rows: dict = {}
    for i in range(lp.num_row_):
        low, high = rows.get(row_names[i], (-math.inf, math.inf)) if merge_rows \
            else (-math.inf, math.inf)
        rows[row_names[i]] = (max(low, lp.row_lower_[i]), min(high, lp.row_upper_[i]))
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
def test_the_compiled_matrix_is_the_lp_pyomo_writes(name, tmp_path):
    model = _model(name)
    label, reference = _written_by_pyomo(model, tmp_path / f"{name}.lp")
    compiled = compile_lp(model)
    lp = compiled.highs_lp()
    direct = _by_name(lp, [label[id(v)] for v in compiled.columns],
                      [label[id(c)] for c in compiled.rows])
    assert set(direct[0]) == set(reference[0]) and len(direct[0]) == len(compiled.columns)
    assert set(direct[1]) == set(reference[1]) and len(direct[1]) == len(compiled.rows)
    assert direct[0] == _approx(reference[0])            # bounds, cost, integrality
    assert direct[1] == _approx(reference[1])            # row bounds
    assert direct[2] == _approx(reference[2])            # every non-zero, by (row, column)
    assert direct[3] == pytest.approx(reference[3])      # objective constant
    assert compiled.nonzeros == len(direct[2])


def _example():
    return build_model(build_network(example_scenario()))


def test_outcomes_are_classified():
    optimal = solve_model(_example(), time_limit=60, mip_gap=0)
    assert (optimal.status, optimal.termination) == ("optimal", "kOptimal")
    assert optimal.bound == pytest.approx(optimal.objective, rel=1e-9) and optimal.gap == 0
    assert optimal.objective == pytest.approx(25781695.80747515, rel=1e-9)
    assert "MIP has 226 rows" in optimal.log and optimal.highs_seconds > 0

    early = solve_model(_example(), time_limit=60, mip_gap=0,
                        highs_options={"mip_max_improving_sols": 1})
    assert early.status == "time_limit" and early.gap > 0 and early.bound < early.objective

    infeasible = solve_model(build_model(build_network(base(budget=50))), time_limit=60,
                             mip_gap=0)
    assert (infeasible.status, infeasible.objective, infeasible.bound) == ("infeasible", None,
                                                                          None)
    # no time at all: stopped before any plan
    nothing = solve_model(_example(), time_limit=0, mip_gap=0)
    assert (nothing.status, nothing.termination) == ("no_solution", "kTimeLimit")
    assert (nothing.objective, nothing.bound, nothing.gap) == (None, None, None)


def test_fixed_variables_are_constants_of_the_matrix():
    model = build_model(build_network(base()))
    every = compile_lp(model)
    model.z["A"].fix(1)
    fixed = compile_lp(model)
    assert len(fixed.columns) == len(every.columns) - 1
    assert id(model.z["A"]) not in {id(var) for var in fixed.columns}


def test_a_solver_crash_is_a_solver_error(monkeypatch):
    from hubopt.errors import SolverError

    def crash(self, *args, **kwargs):
        raise RuntimeError("HiGHS aborted: out of memory")
    monkeypatch.setattr(highspy.Highs, "run", crash)
    with pytest.raises(SolverError, match="HiGHS failed: HiGHS aborted: out of memory"):
        solve_model(build_model(build_network(base())), time_limit=60, mip_gap=0)


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
