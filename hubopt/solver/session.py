"""One model, many solves: re-solve a Pyomo model after small changes, warm started.

Pyomo's HiGHS interface (``pyomo.contrib.solver.solvers.highs.Highs``) is
persistent: the first ``solve`` hands the whole model to a highspy ``Highs``
object and later solves of the same model send only what changed (a variable
bound, a mutable Param, an activated or deactivated constraint or objective).
:class:`ModelSession` keeps that interface alive for one model, and can hand
HiGHS a MIP start — the previous plan — which HiGHS checks for feasibility
and uses as its first incumbent when it is feasible (``setSolution``). The
start is set after Pyomo's incremental update, because HiGHS forgets a stored
solution whenever the model changes (see :class:`hubopt.solver.WarmStartHighs`).

Used by :mod:`hubopt.pareto` (a bound per frontier point) and
:mod:`hubopt.explain` (fix and unfix decisions).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap

from .outcome import SolveOutcome, WarmStartHighs, solve_model


class ModelSession:
    """A model and the persistent HiGHS interface that solves it again and again.

    ``solve()`` re-solves after whatever the caller changed (bounds, Params,
    (de)activated components); ``snapshot()`` returns the current values of
    every variable, for a later ``solve(start=...)``; ``deadline`` (seconds
    from now, None = none) caps the sum of all solve times.
    """

    def __init__(self, model, *, time_limit: float, mip_gap: float, threads: int = 0,
                 verbose: bool = False, deadline: float | None = None):
        self.model = model
        self.time_limit = time_limit
        self.mip_gap = mip_gap
        self.threads = threads
        self.verbose = verbose
        self.solver = WarmStartHighs()
        self.solves = 0
        self.seconds = 0.0
        self._deadline = None if deadline is None else time.perf_counter() + deadline

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None when there is none)."""
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - time.perf_counter())

    def solve(self, start: Mapping | None = None) -> SolveOutcome:
        """Solve the model as it now stands, from the MIP start ``start`` if given."""
        limit = self.time_limit
        remaining = self.remaining()
        if remaining is not None:
            limit = max(0.01, min(limit, remaining))
        outcome = solve_model(self.model, time_limit=limit, mip_gap=self.mip_gap,
                              threads=self.threads, verbose=self.verbose,
                              solver=self.solver, start=start)
        self.solves += 1
        self.seconds += outcome.seconds
        return outcome

    def snapshot(self) -> dict:
        """The current value of every variable of the model (a MIP start)."""
        return ComponentMap((var, var.value)
                            for var in self.model.component_data_objects(pyo.Var))

    @contextmanager
    def bounds(self, changes: Iterable[tuple]) -> Iterator[None]:
        """Temporarily set bounds ``[(var, lower, upper), ...]``; the old bounds come
        back afterwards."""
        changes = list(changes)
        old = [(var, var.lb, var.ub) for var, _, _ in changes]
        try:
            for var, lower, upper in changes:
                var.setlb(lower)
                var.setub(upper)
            yield
        finally:
            for var, lower, upper in old:
                var.setlb(lower)
                var.setub(upper)
