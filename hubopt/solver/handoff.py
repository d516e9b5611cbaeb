"""Hand a built Pyomo model to HiGHS in bulk: one matrix, one ``passModel``.

Pyomo's persistent HiGHS interface walks every constraint with
``generate_standard_repn``, keeps per-variable reference bookkeeping for later
updates and adds rows to HiGHS in pieces; on the theatre instance that costs
more than building the model. This module
reads the same Pyomo model — the formulation stays defined once, in
:mod:`hubopt.model` — into compressed-column arrays and passes them to a
``highspy.Highs`` at once.

The matrix (:func:`compile_lp`) is the LP

    min  c·x + offset   s.t.   row_lower ≤ A·x ≤ row_upper,  col_lower ≤ x ≤ col_upper,

over the unfixed variables that occur in an active constraint or the
objective (a fixed variable is a constant, as in Pyomo's own writers).
Linear expressions (``LinearExpression``, sums, named ``Expression``\\ s,
constant multiples) are read directly; anything else falls back to Pyomo's
``generate_standard_repn``. Repeated terms of one row are summed.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.tee import capture_output
from pyomo.core.base.var import VarData
from pyomo.core.expr.numeric_expr import (
    LinearExpression,
    MonomialTermExpression,
    NegationExpression,
    ProductExpression,
    SumExpression,
)
from pyomo.core.expr.relational_expr import EqualityExpression, InequalityExpression
from pyomo.repn import generate_standard_repn

from ..model.gcpause import collection_paused

_NUMBER = (int, float)
_VAR = VarData
RANDOM_SEED = 1  # HiGHS's seed in every run: the same input gives the same plan


def new_highs(options: Mapping[str, Any] | None = None) -> highspy.Highs:
    """A ``highspy.Highs`` with ``random_seed`` = :data:`RANDOM_SEED` and ``options``.

    The first Highs of a process prints HiGHS's banner on file descriptor 1, which
    would put "Running HiGHS ..." before ``--json``'s object: it is caught here and
    dropped (the version is in every run record). A refused option raises ValueError.
    """
    banner = io.StringIO()
    with capture_output(banner, capture_fd=True):
        highs = highspy.Highs()
    for name, value in {"random_seed": RANDOM_SEED, **(options or {})}.items():
        if highs.setOptionValue(name, value) == highspy.HighsStatus.kError:
            raise ValueError(f"HiGHS refused the option {name} = {value!r}")
    return highs


def linear_terms(expr) -> tuple[list, np.ndarray, float]:
    """A linear Pyomo expression as (variables, coefficients, constant), repeated
    variables summed; fixed variables count as constants."""
    collect = _Collector()
    constant = collect.add(expr, 0)
    values = np.zeros(len(collect.columns))
    np.add.at(values, np.asarray(collect.cols, dtype=np.int64), collect.values)
    return collect.columns, values, float(constant)


@dataclass
class CompiledLp:
    """A Pyomo model as HiGHS arrays. ``columns[j]`` is the Pyomo variable of
    column j and ``rows[i]`` the constraint of row i; costs in the objective's
    units, the matrix column-wise (``start``, ``index``, ``value``)."""

    columns: list
    rows: list
    cost: np.ndarray
    offset: float
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray          # 1 = integer (binaries have bounds 0..1), 0 = continuous
    row_lower: np.ndarray
    row_upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    sense: int                       # 1 minimise, -1 maximise

    @property
    def nonzeros(self) -> int:
        return len(self.value)

    def column_positions(self) -> dict[int, int]:
        """``id(variable) → column`` for every column (keyed by id, as in the compiler:
        cheaper than a ComponentMap on hundreds of thousands of variables)."""
        return {id(var): j for j, var in enumerate(self.columns)}

    def highs_lp(self, names: bool = False) -> highspy.HighsLp:
        """The matrix as a ``highspy.HighsLp``; with ``names`` also the Pyomo names
        of columns and rows (costly on large models: Pyomo builds each name)."""
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.columns), len(self.rows)
        lp.col_cost_, lp.offset_ = self.cost, self.offset
        lp.col_lower_, lp.col_upper_ = self.col_lower, self.col_upper
        lp.row_lower_, lp.row_upper_ = self.row_lower, self.row_upper
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = len(self.columns), len(self.rows)
        lp.a_matrix_.start_, lp.a_matrix_.index_ = self.start, self.index
        lp.a_matrix_.value_ = self.value
        lp.sense_ = highspy.ObjSense.kMinimize if self.sense == 1 else highspy.ObjSense.kMaximize
        if self.integrality.any():
            lp.integrality_ = [highspy.HighsVarType.kInteger if flag else
                               highspy.HighsVarType.kContinuous for flag in self.integrality]
        if names:
            lp.col_names_ = [var.name for var in self.columns]
            lp.row_names_ = [con.name for con in self.rows]
        return lp


class _Collector:
    """Gathers (row, column, coefficient) triplets and the column of each variable."""

    def __init__(self):
        self.column_of: dict[int, int] = {}
        self.columns: list = []
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.values: list[float] = []

    def column(self, var) -> int:
        j = self.column_of.get(id(var))
        if j is None:
            j = self.column_of[id(var)] = len(self.columns)
            self.columns.append(var)
        return j

    def add(self, expr, row: int, factor: float = 1.0) -> float:
        """Add ``factor·expr`` to ``row``; return its constant part."""
        if expr.__class__ in _NUMBER or isinstance(expr, _NUMBER):
            return factor * expr
        if expr.is_variable_type():
            return self._term(expr, factor, row)
        kind = expr.__class__
        if kind is MonomialTermExpression:
            coef, var = expr.args
            if coef.__class__ in _NUMBER or not coef.is_potentially_variable():
                return self._term(var, factor * pyo.value(coef), row)
        elif kind is LinearExpression or kind is SumExpression:
            return self._sum(expr, row, factor)
        elif kind is NegationExpression:
            return self.add(expr.args[0], row, -factor)
        elif kind is ProductExpression:
            left, right = expr.args
            if left.__class__ in _NUMBER or not left.is_potentially_variable():
                return self.add(right, row, factor * pyo.value(left))
            if right.__class__ in _NUMBER or not right.is_potentially_variable():
                return self.add(left, row, factor * pyo.value(right))
        elif expr.is_named_expression_type():
            return self.add(expr.expr, row, factor)
        elif not expr.is_potentially_variable():
            return factor * pyo.value(expr)
        return self._fallback(expr, row, factor)

    def _sum(self, expr, row: int, factor: float) -> float:
        """A sum, its plain terms (c·v, v with a numeric c) read inline: the hot loop."""
        column_of, rows, cols, values = self.column_of, self.rows, self.cols, self.values
        constant = 0.0
        for arg in expr.args:
            kind = arg.__class__
            if kind is MonomialTermExpression:
                coef, var = arg._args_
                if coef.__class__ not in _NUMBER or var.fixed:
                    constant += self.add(arg, row, factor)
                    continue
                coef = factor * coef
            elif kind is _VAR and not arg.fixed:
                var, coef = arg, factor
            else:
                constant += self.add(arg, row, factor)
                continue
            j = column_of.get(id(var))
            if j is None:
                j = self.column(var)
            rows.append(row)
            cols.append(j)
            values.append(coef)
        return constant

    def _term(self, var, coef: float, row: int) -> float:
        if var.fixed:
            return coef * var.value
        self.rows.append(row)
        self.cols.append(self.column(var))
        self.values.append(coef)
        return 0.0

    def _fallback(self, expr, row: int, factor: float) -> float:
        repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
        if not repn.is_linear():
            raise ValueError(f"the hand-off to HiGHS needs a linear model, got {expr}")
        for var, coef in zip(repn.linear_vars, repn.linear_coefs, strict=True):
            self._term(var, factor * coef, row)
        return factor * pyo.value(repn.constant)


def _constant(expr) -> bool:
    return isinstance(expr, _NUMBER) or not expr.is_potentially_variable()


def compile_lp(model) -> CompiledLp:
    """The active constraints and the one active objective of ``model`` as a
    :class:`CompiledLp` (row i is the i-th active constraint in Pyomo's order)."""
    with collection_paused():
        return _compile(model)


def _compile(model) -> CompiledLp:
    collect = _Collector()
    objectives = list(model.component_data_objects(pyo.Objective, active=True))
    if len(objectives) != 1:
        raise ValueError(f"the model needs exactly one active objective, has {len(objectives)}")
    objective = objectives[0]
    offset = collect.add(objective.expr, -1)
    rows = list(model.component_data_objects(pyo.Constraint, active=True, descend_into=True))
    lower, upper = _read_rows(collect, rows)
    return _assemble(collect, rows, lower, upper, offset,
                     1 if objective.sense == pyo.minimize else -1)


def _read_rows(collect: _Collector, rows: list) -> tuple[list[float], list[float]]:
    """Read each constraint of ``rows`` into ``collect`` as row i (its position);
    return the rows' lower and upper bounds (constants moved to the bounds)."""
    lower: list[float] = []
    upper: list[float] = []
    for i, con in enumerate(rows):
        expr = con.expr
        kind = expr.__class__
        if (kind is InequalityExpression or kind is EqualityExpression) \
                and len(expr.args) == 2:
            # Pyomo's normal form: a constant side is a bound, else body = left − right
            left, right = expr.args
            if _constant(left):
                bound, constant = pyo.value(left), collect.add(right, i)
                low, high = bound - constant, np.inf
            elif _constant(right):
                bound, constant = pyo.value(right), collect.add(left, i)
                low, high = -np.inf, bound - constant
            else:
                bound, constant = 0.0, collect.add(left, i) + collect.add(right, i, -1.0)
                low, high = -np.inf, -constant
            if kind is EqualityExpression:
                low = high = bound - constant
        else:   # ranged and everything else: lower ≤ body ≤ upper
            low_value, body, high_value = con.to_bounded_expression(evaluate_bounds=True)
            constant = collect.add(body, i)
            low = -np.inf if low_value is None else low_value - constant
            high = np.inf if high_value is None else high_value - constant
        lower.append(low)
        upper.append(high)
    return lower, upper


@dataclass
class CompiledRows:
    """Constraints added to a model after it was compiled, as row-wise arrays over
    their own numbering of variables: row i is ``rows[i]``; its entries are
    ``value[start[i]:start[i+1]]`` in the columns ``index`` of ``columns``."""

    columns: list
    rows: list
    lower: np.ndarray
    upper: np.ndarray
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray


def compile_rows(constraints) -> CompiledRows:
    """``constraints`` (linear Pyomo constraints) as :class:`CompiledRows`."""
    with collection_paused():
        collect = _Collector()
        rows = list(constraints)
        lower, upper = _read_rows(collect, rows)
    row = np.asarray(collect.rows, dtype=np.int64)
    col = np.asarray(collect.cols, dtype=np.int64)
    value = np.asarray(collect.values, dtype=np.float64)
    order = np.lexsort((col, row))
    row, col, value = _summed(row[order], col[order], value[order])
    start = np.zeros(len(rows) + 1, dtype=np.int32)
    np.cumsum(np.bincount(row, minlength=len(rows)), out=start[1:])
    return CompiledRows(collect.columns, rows, np.asarray(lower, dtype=np.float64),
                        np.asarray(upper, dtype=np.float64), start, col.astype(np.int32),
                        value)


def _summed(row: np.ndarray, col: np.ndarray, value: np.ndarray):
    """Sorted triplets with repeated (row, column) terms summed and zeros dropped."""
    if len(row):
        first = np.ones(len(row), dtype=bool)
        first[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
        starts = np.flatnonzero(first)
        value = np.add.reduceat(value, starts)
        row, col = row[starts], col[starts]
    keep = value != 0
    return row[keep], col[keep], value[keep]


def _assemble(collect: _Collector, rows, lower, upper, offset: float, sense: int) -> CompiledLp:
    n = len(collect.columns)
    row = np.asarray(collect.rows, dtype=np.int64)
    col = np.asarray(collect.cols, dtype=np.int64)
    value = np.asarray(collect.values, dtype=np.float64)
    in_objective = row < 0
    cost = np.zeros(n)
    np.add.at(cost, col[in_objective], value[in_objective])
    row, col, value = row[~in_objective], col[~in_objective], value[~in_objective]
    order = np.lexsort((row, col))                      # column-major, rows ascending
    row, col, value = _summed(row[order], col[order], value[order])
    start = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(col, minlength=n), out=start[1:])
    col_lower = np.array([-np.inf if v.lb is None else v.lb for v in collect.columns],
                         dtype=np.float64)
    col_upper = np.array([np.inf if v.ub is None else v.ub for v in collect.columns],
                         dtype=np.float64)
    integrality = np.array([not v.is_continuous() for v in collect.columns], dtype=np.int8)
    return CompiledLp(collect.columns, rows, cost, float(offset), col_lower, col_upper,
                      integrality, np.asarray(lower, dtype=np.float64),
                      np.asarray(upper, dtype=np.float64), start, row.astype(np.int32),
                      value, sense)
