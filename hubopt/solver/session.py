"""One model, one HiGHS: compiled once, changed in place, solved again and again.

Every command that solves goes through a :class:`Session`: ``solve``, the
stress test and the diagnosis (one solve, or two for a lexicographic second
objective), pareto (a bound per frontier point), explain (fix and unfix
decisions, relax caps) and the features that re-solve one model many times.
A session

1. compiles the built Pyomo model to one matrix (:mod:`hubopt.solver.handoff`);
2. picks the ``strong_link`` rows HiGHS gets (:mod:`hubopt.solver.rows`; on a
   large model a selection, with :data:`LARGE_MODEL_OPTIONS`);
3. passes it to one ``highspy.Highs`` and keeps it there;
4. changes it in place (``changeColBounds``, ``changeRowBounds``,
   ``changeColsCost``, ``addRow``) and re-solves, optionally from a MIP start
   (``setSolution``, set right before the run because HiGHS forgets a stored
   solution whenever the model changes);
5. runs HiGHS under the solve guard (:mod:`hubopt.solver.guard`: memory limit,
   Ctrl-C, SIGTERM) and classifies each run (:func:`hubopt.solver.outcome.classify`),
   loading the incumbent into the Pyomo variables so that results are read from
   the model as built.

Pyomo stays the modelling layer: every constraint family is defined once, in
:mod:`hubopt.model.build`; no Pyomo solver interface is involved.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import highspy
import numpy as np
from pyomo.common.collections import ComponentMap

from ..errors import SolverError
from ..model.build import build_model
from ..model.network import ModuleKey, Network
from .guard import run_guarded
from .handoff import compile_lp, compile_rows, linear_terms, new_highs
from .heap import release_free_heap
from .highs_log import LogWatcher
from .losses import LazyLosses
from .outcome import SolveOutcome, classify, read_start_report
from .rows import hand_over, selects
from .sizing import ModelSize, check_memory_budget

log = logging.getLogger("hubopt")

# HiGHS options for a model whose strong_link rows are selected (more than
# rows.SELECT_ABOVE arcs). HiGHS's root reduced-cost and RENS sub-MIPs copy nearly the
# whole model: at theatre scale they held 1-2 GB and found worse plans later than RINS
# alone (docs/theatre.md). Below that size hubopt keeps HiGHS's defaults, which the
# published benchmarks were measured with.
LARGE_MODEL_OPTIONS = {"mip_heuristic_run_root_reduced_cost": False,
                       "mip_heuristic_run_rens": False}


@dataclass(frozen=True)
class SolveOptions:
    """How to solve: ``time_limit`` (seconds per solve), ``mip_gap`` (relative),
    ``threads`` (0: HiGHS's default), ``verbose`` (the whole HiGHS log on stderr),
    ``memory_limit_mb`` (resident memory; refused up front when the estimate is
    above it, stopped during the solve past it; None: no limit), ``strong_links``
    (:func:`hubopt.solver.rows.link_choice`), further ``highs_options`` by name, and
    ``loss_cases`` with resilience (§3.2): ``lazy`` (only those that bind,
    :mod:`hubopt.solver.losses`) or ``full`` (every loss case built up front)."""

    time_limit: float = 60.0
    mip_gap: float = 1e-4
    threads: int = 0
    verbose: bool = False
    memory_limit_mb: float | None = None
    strong_links: str | int = "auto"
    highs_options: Mapping[str, Any] = field(default_factory=dict)
    loss_cases: str = "lazy"

    @classmethod
    def of(cls, settings, *, time_limit: float | None = None, mip_gap: float | None = None,
           threads: int | None = None, **rest) -> SolveOptions:
        """The scenario's Settings (time_limit_seconds, mip_gap, threads), each
        replaced by the caller's value when given."""
        return cls(time_limit=settings.time_limit_seconds if time_limit is None else time_limit,
                   mip_gap=settings.mip_gap if mip_gap is None else mip_gap,
                   threads=settings.threads if threads is None else threads, **rest)


# The loss-check LP of lazy resilience (hubopt.solver.losses): an LP, solved to optimality.
CHECK_OPTIONS = SolveOptions(time_limit=600.0, mip_gap=0.0)

Row = Any   # a Pyomo constraint of the model, or the number add_row returned


class Session:
    """A model handed to one HiGHS, re-solved after in-place changes.

    ``deadline`` (seconds from now, None: none) caps the sum of all solve times;
    each solve gets ``options.time_limit`` or what is left of the deadline. The
    first solve's time includes compiling and selecting rows (as one ``solve``
    always has)."""

    def __init__(self, model, options: SolveOptions, *, deadline: float | None = None,
                 losses: LazyLosses | None = None):
        begin = time.perf_counter()
        self.model = model
        self.losses = losses
        self.options = options
        compiled = compile_lp(model)
        compiled, self.links = hand_over(compiled, model, options.strong_links,
                                         time_limit=options.time_limit,
                                         threads=options.threads)
        if self.links is not None:
            log.info("strong links: %s", self.links)
        chosen = {**(LARGE_MODEL_OPTIONS if self.links is not None else {}),
                  **options.highs_options}
        self.highs_options = ", ".join(f"{name}={value}" for name, value in chosen.items())
        settings = {"mip_rel_gap": options.mip_gap, "log_to_console": False,
                    "output_flag": True, **({"threads": options.threads}
                                            if options.threads else {}), **chosen}
        try:
            self.highs = new_highs(settings)
        except ValueError as exc:
            raise SolverError(str(exc)) from None
        self._watcher: LogWatcher | None = None
        self.highs.cbLogging.subscribe(self._log)
        if self.highs.passModel(compiled.highs_lp()) == highspy.HighsStatus.kError:
            raise SolverError("HiGHS refused the model (passModel failed)")
        self.compiled = compiled
        self._columns: dict[int, int] | None = None
        self._rows: dict[int, int] | None = None
        self._cost = compiled.cost.copy()
        # row bounds as HiGHS holds them (asking HiGHS would copy the whole LP per question)
        self._row_lower = compiled.row_lower.copy()
        self._row_upper = compiled.row_upper.copy()
        self._offset = compiled.offset
        self.solves = 0
        self.seconds = 0.0
        self.prepare_seconds = time.perf_counter() - begin
        self._deadline = None if deadline is None else begin + deadline
        self._values: np.ndarray | None = None

    # --- solving -------------------------------------------------------------------

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None when there is none)."""
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - time.perf_counter())

    def solve(self, start: Mapping[Any, float] | None = None, *,
              time_limit: float | None = None) -> SolveOutcome:
        """Solve the model as it now stands, from the MIP start ``start`` (Pyomo
        variable → value; HiGHS completes the continuous ones) if given, within
        ``time_limit`` seconds (default: the options' limit); load the incumbent into
        the Pyomo variables when there is one. With lazy resilience (``losses``) this
        is the loop of :mod:`hubopt.solver.losses`: as many runs as it takes for the
        plan to survive every loss case, within the one time limit."""
        if self.losses is not None:
            return self.losses.solve(self, start, time_limit=time_limit)
        return self.run(start, time_limit=time_limit)

    def run(self, start: Mapping[Any, float] | None = None, *,
            time_limit: float | None = None, on_improving: Callable | None = None,
            _retried: bool = False) -> SolveOutcome:
        """One HiGHS run of the model as it now stands (see :meth:`solve`), within
        ``time_limit`` seconds (default: the options' limit, less the time spent
        preparing on the first run) and what is left of the deadline.
        ``on_improving(values, objective, bound)`` is called with each improving MIP
        incumbent HiGHS finds (every column's value, its objective, HiGHS's dual
        bound then); when it returns True the run stops there, as at a time limit,
        with that incumbent."""
        first = self.solves == 0
        spent = self.prepare_seconds if first else 0.0
        limit = max(0.0, (self.options.time_limit if time_limit is None else time_limit)
                    - spent)
        remaining = self.remaining()
        if remaining is not None:
            limit = max(0.01, min(limit, remaining))
        self.highs.setOptionValue("time_limit", limit)
        if start:
            self._set_start(start)
        begin = time.perf_counter()
        # progress lines for the session's first run only: a study's dozens of re-solves
        # would repeat them (each study logs its own line per re-solve)
        self._watcher = LogWatcher(self.options.verbose, progress=first)
        with self._watcher, _improving(self.highs, on_improving) as (stop, failure):
            try:
                report = run_guarded(self.highs, self.options.memory_limit_mb,
                                     stop_when=stop.is_set)
            except SolverError:
                raise
            except Exception as exc:  # noqa: BLE001 - a solver crash is not the planner's fault
                raise SolverError(f"HiGHS failed: {exc}") from exc
        if failure:
            raise failure[0]
        text = self._watcher.text
        self._watcher = None
        seconds = time.perf_counter() - begin
        outcome, values = classify(self.highs, text, seconds=seconds + spent,
                                   stopped_by=report.stopped_by)
        if values is not None and not self._agrees(outcome.objective, values):
            # HiGHS can report a re-solve's optimum while handing back the columns of an
            # earlier solution (seen after a MIP start, when the changed model's MIP was
            # solved at the root): the plan would not be the one whose cost is reported.
            # Clear HiGHS's solution and run again from scratch, once.
            if _retried:
                raise SolverError(f"HiGHS reported objective {outcome.objective} for a "
                                  "solution that does not have it, twice")
            log.debug("run: the solution returned does not have the objective reported "
                      "(%s); solving again from scratch", outcome.objective)
            self.solves += 1
            self.seconds += seconds
            self.highs.clearSolver()
            return self.run(None, time_limit=time_limit, on_improving=on_improving,
                            _retried=True)
        if values is not None:
            self._values = np.asarray(values)
            for var, value in zip(self.compiled.columns, values, strict=True):
                var.set_value(value, skip_validation=True)
        self.solves += 1
        self.seconds += seconds
        return replace(outcome, links=self.links if first else None,
                       highs_options=self.highs_options, peak_memory_mb=report.peak_mb,
                       start=read_start_report(text, len(start)) if start else None)

    def _agrees(self, objective: float | None, values) -> bool:
        """Whether ``values`` have the reported ``objective`` under the objective HiGHS
        holds (relative 1e-7, or 1e-6 absolute near 0)."""
        if objective is None:
            return True
        own = float(self._cost @ np.asarray(values, dtype=float)) + self._offset
        return abs(own - objective) <= 1e-7 * max(1.0, abs(objective)) + 1e-6

    @contextmanager
    def option(self, name: str, value: Any) -> Iterator[None]:
        """Temporarily set the HiGHS option ``name`` (e.g. ``mip_max_improving_sols``
        = 1 to stop at the first plan found); its value comes back afterwards."""
        _, old = self.highs.getOptionValue(name)
        if self.highs.setOptionValue(name, value) == highspy.HighsStatus.kError:
            raise SolverError(f"HiGHS refused the option {name}={value!r}")
        try:
            yield
        finally:
            self.highs.setOptionValue(name, old)

    def row_duals(self, rows: Iterable[Row]) -> list[float]:
        """The dual value of each of ``rows`` in the last solve of an LP (HiGHS's
        signs: on a minimisation, ≤ 0 where an upper bound binds, ≥ 0 a lower)."""
        duals = self.highs.getSolution().row_dual
        return [float(duals[self.row(row)]) for row in rows]

    def forget_solution(self) -> None:
        """Drop HiGHS's solution and basis, keeping the model: the next solve starts
        from scratch, with presolve, as a new HiGHS would. For an LP whose objective
        changed entirely (a lexicographic second phase) the old basis is no better a
        start than none, and a warm start skips presolve."""
        self.highs.clearSolver()

    def snapshot(self) -> ComponentMap:
        """The last plan's value of every column's variable (a MIP start)."""
        if self._values is None:
            return ComponentMap()
        return ComponentMap(zip(self.compiled.columns, self._values.tolist(), strict=True))

    def load(self, values: ComponentMap) -> None:
        """Put a :meth:`snapshot` back into the model's variables (the plan to report);
        columns added since the snapshot (a lazy family's) get 0."""
        self._values = np.array([values.get(var, 0.0) for var in self.compiled.columns],
                                dtype=float)
        for var, value in zip(self.compiled.columns, self._values, strict=True):
            var.set_value(float(value), skip_validation=True)

    def close(self) -> None:
        """Free HiGHS and the matrix (the Pyomo model and its values stay)."""
        if self.losses is not None:
            self.losses.close()
        if self.highs is not None:
            self.highs.cbLogging.clear()
            self.highs = None
            self.compiled = None
            self._columns = self._rows = None
            release_free_heap()

    # --- changes in place ----------------------------------------------------------

    def column(self, var) -> int:
        """The column of Pyomo variable ``var``; KeyError when it is not one (a fixed
        variable, or one in no active row nor the objective)."""
        if self._columns is None:
            self._columns = self.compiled.column_positions()
        try:
            return self._columns[id(var)]
        except KeyError:
            raise KeyError(f"{var.name} is not a column of the model HiGHS holds") from None

    def set_bounds(self, var, lower: float | None, upper: float | None) -> None:
        """Bounds of ``var`` (None: unbounded on that side)."""
        j = self.column(var)
        self.highs.changeColBounds(j, -math.inf if lower is None else float(lower),
                                   math.inf if upper is None else float(upper))

    @contextmanager
    def bounds(self, changes: Iterable[tuple]) -> Iterator[None]:
        """Temporarily set bounds ``[(var, lower, upper), ...]``; the bounds as
        compiled come back afterwards."""
        changes = list(changes)
        try:
            for var, lower, upper in changes:
                self.set_bounds(var, lower, upper)
            yield
        finally:
            for var, _, _ in changes:
                j = self.column(var)
                self.highs.changeColBounds(j, self.compiled.col_lower[j],
                                           self.compiled.col_upper[j])

    @contextmanager
    def fixed(self, values: Mapping[Any, float]) -> Iterator[None]:
        """Temporarily fix each variable of ``values`` (Pyomo variable → value) at its
        value, in one HiGHS call; the bounds as compiled come back afterwards.
        Variables that are not columns (in no row nor the objective) are skipped."""
        if self._columns is None:
            self._columns = self.compiled.column_positions()
        pairs = sorted((self._columns[id(var)], float(value)) for var, value in values.items()
                       if id(var) in self._columns)
        index = np.array([j for j, _ in pairs], dtype=np.int32)
        value = np.array([v for _, v in pairs], dtype=np.double)
        try:
            if len(index):
                self.highs.changeColsBounds(len(index), index, value, value)
            yield
        finally:
            if len(index):
                self.highs.changeColsBounds(len(index), index,
                                            self.compiled.col_lower[index].astype(np.double),
                                            self.compiled.col_upper[index].astype(np.double))

    @contextmanager
    def dropped(self, rows: Iterable[Row]) -> Iterator[None]:
        """Temporarily drop ``rows`` (bounds −inf..inf), in one HiGHS call; their bounds
        come back afterwards. Constraints that are not rows of the model HiGHS holds
        (none of their terms is a column) are skipped."""
        if self._rows is None:
            self._rows = {id(con): i for i, con in enumerate(self.compiled.rows)}
        index = np.array(sorted({int(r) if isinstance(r, int | np.integer)
                                 else self._rows[id(r)] for r in rows
                                 if isinstance(r, int | np.integer) or id(r) in self._rows}),
                         dtype=np.int32)
        lower, upper = self._row_lower[index].copy(), self._row_upper[index].copy()
        free = np.full(len(index), math.inf)
        try:
            if len(index):
                self.highs.changeRowsBounds(len(index), index, -free, free)
                self._row_lower[index], self._row_upper[index] = -free, free
            yield
        finally:
            if len(index):
                self.highs.changeRowsBounds(len(index), index, lower.astype(np.double),
                                            upper.astype(np.double))
                self._row_lower[index], self._row_upper[index] = lower, upper

    def row(self, row: Row) -> int:
        """The row number of a constraint of the model (or a number from add_row)."""
        if isinstance(row, int | np.integer):
            return int(row)
        if self._rows is None:
            self._rows = {id(con): i for i, con in enumerate(self.compiled.rows)}
        try:
            return self._rows[id(row)]
        except KeyError:
            raise KeyError(f"{row.name} is not a row of the model HiGHS holds") from None

    def row_bounds(self, row: Row) -> tuple[float, float]:
        """(lower, upper) of ``row`` as HiGHS holds it now (constants moved to the
        bounds: lower ≤ Σ a·x ≤ upper)."""
        i = self.row(row)
        return float(self._row_lower[i]), float(self._row_upper[i])

    def set_row_bounds(self, row: Row, lower: float, upper: float) -> None:
        """Set lower ≤ Σ a·x ≤ upper on ``row``; (−inf, inf) drops it in effect."""
        i = self.row(row)
        self.highs.changeRowBounds(i, float(lower), float(upper))
        self._row_lower[i], self._row_upper[i] = lower, upper

    @contextmanager
    def row_bounds_changed(self, row: Row, lower: float, upper: float) -> Iterator[None]:
        """Temporarily :meth:`set_row_bounds`; the old bounds come back afterwards."""
        old = self.row_bounds(row)
        try:
            self.set_row_bounds(row, lower, upper)
            yield
        finally:
            self.set_row_bounds(row, *old)

    def add_row(self, expr, lower: float = -math.inf, upper: float = math.inf) -> int:
        """Add the row lower ≤ ``expr`` ≤ upper (a linear expression of the model's
        variables; its constant moves to the bounds) and return its number."""
        variables, coefficients, constant = linear_terms(expr)
        index = np.array([self.column(var) for var in variables], dtype=np.int32)
        self.highs.addRow(lower - constant, upper - constant, len(index), index,
                          coefficients.astype(np.double))
        self._row_lower = np.append(self._row_lower, lower - constant)
        self._row_upper = np.append(self._row_upper, upper - constant)
        return len(self._row_lower) - 1

    def add_constraints(self, constraints) -> int:
        """Hand HiGHS constraints added to the Pyomo model after the session opened
        (a lazy family's new members), with their new variables as new columns:
        bounds and integrality from Pyomo, cost 0 (a new variable must not be in the
        objective). Returns the number of new columns."""
        part = compile_rows(constraints)
        if not part.rows:
            return 0
        if self._columns is None:
            self._columns = self.compiled.column_positions()
        compiled = self.compiled
        new = [var for var in part.columns if id(var) not in self._columns]
        if new:
            lower = np.array([-np.inf if v.lb is None else v.lb for v in new], dtype=np.double)
            upper = np.array([np.inf if v.ub is None else v.ub for v in new], dtype=np.double)
            empty = np.array([], dtype=np.int32)
            self.highs.addCols(len(new), np.zeros(len(new)), lower, upper, 0, empty, empty,
                               np.array([], dtype=np.double))
            first = len(compiled.columns)
            for j, var in enumerate(new, start=first):
                self._columns[id(var)] = j
            integer = [j for j, var in enumerate(new, start=first) if not var.is_continuous()]
            if integer:
                self.highs.changeColsIntegrality(
                    len(integer), np.array(integer, dtype=np.int32),
                    np.array([highspy.HighsVarType.kInteger] * len(integer)))
            compiled.columns.extend(new)
            compiled.col_lower = np.append(compiled.col_lower, lower)
            compiled.col_upper = np.append(compiled.col_upper, upper)
            self._cost = np.append(self._cost, np.zeros(len(new)))
        index = np.array([self._columns[id(var)] for var in part.columns],
                         dtype=np.int32)[part.index]
        self.highs.addRows(len(part.rows), part.lower, part.upper, len(index), part.start,
                           index, part.value)
        if self._rows is None:
            self._rows = {id(con): i for i, con in enumerate(compiled.rows)}
        first = len(self._row_lower)
        self._rows.update((id(con), i) for i, con in enumerate(part.rows, start=first))
        compiled.rows.extend(part.rows)
        self._row_lower = np.append(self._row_lower, part.lower)
        self._row_upper = np.append(self._row_upper, part.upper)
        return len(new)

    def set_objective(self, expr) -> None:
        """Minimise ``expr`` (linear in the model's variables) from now on."""
        variables, coefficients, constant = linear_terms(expr)
        cost = np.zeros(len(self._cost))
        for var, value in zip(variables, coefficients, strict=True):
            cost[self.column(var)] += value
        self._change_cost(cost, constant)

    @contextmanager
    def objective(self, expr) -> Iterator[None]:
        """Temporarily minimise ``expr``; the model's own objective comes back."""
        cost, offset = self._cost.copy(), self._offset
        try:
            self.set_objective(expr)
            yield
        finally:
            self._change_cost(cost, offset)

    def _change_cost(self, cost: np.ndarray, offset: float) -> None:
        columns = np.arange(len(cost), dtype=np.int32)
        self.highs.changeColsCost(len(cost), columns, cost.astype(np.double))
        self.highs.changeObjectiveOffset(float(offset))
        self._cost, self._offset = cost, offset

    def _set_start(self, start: Mapping[Any, float]) -> None:
        if self._columns is None:
            self._columns = self.compiled.column_positions()
        pairs = sorted((self._columns[id(var)], float(value)) for var, value in start.items()
                       if id(var) in self._columns and value is not None)
        index = np.array([j for j, _ in pairs], dtype=np.int32)
        values = np.array([v for _, v in pairs], dtype=np.double)
        if self.highs.setSolution(len(pairs), index, values) == highspy.HighsStatus.kError:
            raise SolverError("HiGHS refused the MIP start (setSolution failed).")

    def _log(self, event) -> None:
        if self._watcher is not None:
            self._watcher.write(event.message)


@contextmanager
def _improving(highs: highspy.Highs, on_improving: Callable | None
               ) -> Iterator[tuple[threading.Event, list]]:
    """While inside, call ``on_improving`` with each improving MIP incumbent of
    ``highs``. Yields an event set once it returns True (the run is stopped at
    HiGHS's next interrupt check: HiGHS reads an interrupt only there) and a list
    that holds the exception ``on_improving`` raised, if any (the run is stopped
    then too; an exception must not escape into HiGHS)."""
    stop, failure = threading.Event(), []
    if on_improving is None:
        yield stop, failure
        return

    def improving(event) -> None:
        if stop.is_set():
            return
        out = event.data_out
        try:
            if on_improving(np.array(out.mip_solution, dtype=float),
                            float(out.objective_function_value), float(out.mip_dual_bound)):
                stop.set()
        except BaseException as exc:  # noqa: BLE001 - re-raised after the run
            failure.append(exc)
            stop.set()
    highs.cbMipImprovingSolution.subscribe(improving)
    try:
        yield stop, failure
    finally:
        highs.cbMipImprovingSolution.unsubscribe(improving)


def open_session(network: Network, previous_plan: Iterable[ModuleKey], options: SolveOptions,
                 *, deadline: float | None = None) -> tuple[Session, ModelSize, float]:
    """Check the memory estimate against ``options.memory_limit_mb`` (InputError
    before anything is built), build the model of SPEC §3 — without the Pyomo
    strong_link family when the hand-off will select its rows, and with lazy
    resilience without any loss case yet — and open a session on it. Returns the
    session, the size estimate and the build's seconds."""
    select = selects(options.strong_links, len(network.arcs))
    lazy = network.scenario.settings.resilience > 0 and options.loss_cases == "lazy"
    size = check_memory_budget(network, options.memory_limit_mb, selected_links=select,
                               loss_cases=0 if lazy else None)
    log.debug("size: %d variables, %d constraints, %d nonzeros, about %.0f MB",
              size.variables, size.rows, size.nonzeros, size.megabytes)
    begin = time.perf_counter()
    model = build_model(network, previous_plan, strong_link=not select,
                        losses=() if lazy else None)
    build_seconds = time.perf_counter() - begin
    losses = LazyLosses(network, lambda lp: Session(lp, CHECK_OPTIONS),
                        memory_limit_mb=options.memory_limit_mb,
                        selected_links=select) if lazy else None
    return Session(model, options, deadline=deadline, losses=losses), size, build_seconds


def solve_model(model, *, time_limit: float, mip_gap: float, threads: int = 0,
                verbose: bool = False, highs_options: Mapping[str, Any] | None = None,
                start: Mapping[Any, float] | None = None, strong_links: str | int = "auto",
                memory_limit_mb: float | None = None) -> SolveOutcome:
    """Solve ``model`` once in a session of its own; load the incumbent into the
    model if there is one. The arguments are those of :class:`SolveOptions`."""
    options = SolveOptions(time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                           verbose=verbose, memory_limit_mb=memory_limit_mb,
                           strong_links=strong_links, highs_options=dict(highs_options or {}))
    session = Session(model, options)
    try:
        return session.solve(start)
    finally:
        session.close()


__all__ = ["LARGE_MODEL_OPTIONS", "Session", "SolveOptions", "open_session",
           "solve_model"]
