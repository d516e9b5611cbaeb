"""Run HiGHS on a Pyomo model and classify the outcome.

The runner returns a :class:`SolveOutcome` record and loads the solution into
the model when there is one. It neither prints nor exits: the caller decides
what an outcome means (SPEC §4 exit codes live in the CLI).

Statuses (SPEC §5):

- ``optimal``     proven optimal within the requested relative gap;
- ``time_limit``  stopped early (time or another limit) with a feasible plan;
- ``infeasible``  proven to have no feasible plan;
- ``no_solution`` stopped without any feasible plan.
"""

from __future__ import annotations

import io
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import highspy
import numpy as np
from pyomo.common.tee import capture_output
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from ..errors import SolverError
from .handoff import CompiledLp, compile_lp
from .highs_log import finite_number
from .rows import (
    PER_DEMAND,
    SELECT_ABOVE,
    LinkSelection,
    select_strong_links,
    with_every_strong_link,
)

log = logging.getLogger(__name__)

RANDOM_SEED = 1  # fixed, so that the same input gives the same plan
# HiGHS options for a model whose strong_link rows are selected (more than SELECT_ABOVE
# arcs). HiGHS's root reduced-cost and RENS sub-MIPs copy nearly the whole model: at
# theatre scale they held 1-2 GB and found worse plans later than RINS alone
# (docs/theatre.md). Below that size hubopt keeps HiGHS's defaults, which the published
# benchmarks were measured with.
LARGE_MODEL_OPTIONS = {"mip_heuristic_run_root_reduced_cost": False,
                       "mip_heuristic_run_rens": False}


@dataclass(frozen=True)
class MipStart:
    """What HiGHS made of a MIP start: ``accepted`` when the given values of the
    discrete variables complete to a feasible plan, whose ``objective`` is then
    the solver's first incumbent; ``rejected`` when they cannot."""

    status: str               # "accepted" or "rejected"
    objective: float | None   # objective of the completed start, when accepted
    values: int               # number of discrete variables given

    def __str__(self) -> str:
        if self.status == "accepted":
            return f"accepted ({self.values} values; objective {self.objective:,.2f})"
        return f"rejected ({self.values} values; no feasible plan completes them)"


@dataclass(frozen=True)
class SolveOutcome:
    """What the solver achieved: status, objective, best bound, relative gap, time."""

    status: str
    termination: str
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    log: str = ""
    start: MipStart | None = None
    highs_seconds: float | None = None  # inside HiGHS; the rest of ``seconds`` is hand-off
    links: LinkSelection | None = None  # strong_link rows handed to HiGHS, when selected
    highs_options: str = ""   # HiGHS options set beyond seed, gap and time limit ("name=value, …")

    @property
    def has_plan(self) -> bool:
        return self.status in ("optimal", "time_limit")


HANDOFFS = ("direct", "pyomo")


def solve_model(model, *, time_limit: float, mip_gap: float, threads: int = 0,
                verbose: bool = False, highs_options: Mapping[str, Any] | None = None,
                solver: Highs | None = None, start: Mapping[Any, float] | None = None,
                handoff: str = "direct", strong_links: str | int = "auto") -> SolveOutcome:
    """Solve ``model`` with HiGHS; load the incumbent into the model if there is one.

    ``time_limit`` in seconds, ``mip_gap`` relative, ``threads`` 0 = HiGHS default.
    With ``verbose`` the full HiGHS log goes to stderr; otherwise only incumbent
    improvements do. ``highs_options`` passes further HiGHS options by name.
    ``solver`` reuses a (persistent) HiGHS interface that has solved ``model``
    before: only what changed since is sent to HiGHS (see :mod:`hubopt.session`).
    ``start`` maps discrete Pyomo variables to values (a MIP start, SPEC §3.3):
    HiGHS completes the continuous variables and, when that is feasible, starts
    from the result; ``outcome.start`` says whether it did.

    ``handoff`` says how the model reaches HiGHS: ``direct`` (default) compiles it
    to one matrix (:mod:`hubopt.handoff`) and runs a fresh ``highspy.Highs``;
    ``pyomo`` goes through Pyomo's persistent interface, as a given ``solver``
    always does. Both hand HiGHS the same LP (tests/test_handoff.py).

    ``strong_links`` (direct hand-off only) says which ``strong_link`` rows HiGHS
    gets (:mod:`hubopt.strong_links`; the optimum is the same either way):
    ``auto`` selects them when the model has more than ``SELECT_ABOVE``, ``all``
    never does, a number k always selects with k arcs per demand row. A model
    built with ``strong_link_as_arrays`` solves on the direct hand-off only.
    """
    if handoff not in HANDOFFS:
        raise ValueError(f"handoff must be one of {HANDOFFS}, not {handoff!r}")
    if (solver is not None or handoff != "direct") \
            and getattr(model, "strong_link_rows", None) is not None:
        raise ValueError("a model with strong_link rows as arrays needs the direct hand-off")
    if solver is None and handoff == "direct":
        return solve_direct(model, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                            verbose=verbose, highs_options=highs_options, start=start,
                            strong_links=strong_links)
    solver = solver if solver is not None else WarmStartHighs()
    if start and not isinstance(solver, WarmStartHighs):
        raise TypeError("a MIP start needs a WarmStartHighs solver")
    if not solver.available():
        raise SolverError("HiGHS is not available: install highspy (pip install highspy).")
    options = {"random_seed": RANDOM_SEED, "mip_rel_gap": mip_gap, **(highs_options or {})}
    begin = time.perf_counter()
    with _HighsLogWatcher(verbose) as watcher:
        if start:
            solver.start = start
        try:
            results = solver.solve(
                model, tee=[watcher], time_limit=time_limit,
                threads=threads or None, load_solutions=False,
                raise_exception_on_nonoptimal_result=False, solver_options=options)
        except SolverError:
            raise
        except Exception as exc:  # noqa: BLE001 - a solver crash is not the planner's fault
            raise SolverError(f"HiGHS failed: {exc}") from exc
        finally:
            if start:
                solver.start = None
    seconds = time.perf_counter() - begin
    outcome = _classify(results, model, seconds, watcher.text)
    if start:
        outcome = replace(outcome, start=read_start_report(watcher.text, len(start)))
    return outcome


def solve_direct(model, *, time_limit: float, mip_gap: float, threads: int = 0,
                 verbose: bool = False, highs_options: Mapping[str, Any] | None = None,
                 start: Mapping[Any, float] | None = None,
                 strong_links: str | int = "auto") -> SolveOutcome:
    """:func:`solve_model` through the bulk hand-off: compile ``model`` with
    :func:`hubopt.handoff.compile_lp`, select its ``strong_link`` rows as
    ``strong_links`` says, pass it to a fresh ``highspy.Highs`` with the same
    options as the persistent path (and :data:`LARGE_MODEL_OPTIONS` when rows were
    selected; ``highs_options`` override both), classify the outcome the same way
    and load the incumbent into the Pyomo variables. The selection's seconds
    count against ``time_limit``."""
    choice = _link_choice(strong_links)
    begin = time.perf_counter()
    compiled = compile_lp(model)
    links = None
    if choice is not None and time_limit > 0:
        per_demand, above = choice
        compiled, links = select_strong_links(compiled, model, per_demand=per_demand,
                                              above=above, time_limit=time_limit / 2,
                                              threads=threads)
        if links is not None:
            log.info("strong links: %s", links)
    else:
        compiled = with_every_strong_link(compiled, model)
    remaining = max(0.0, time_limit - (time.perf_counter() - begin))
    chosen = {**(LARGE_MODEL_OPTIONS if links is not None else {}), **(highs_options or {})}
    options = {"random_seed": RANDOM_SEED, "mip_rel_gap": mip_gap, "time_limit": remaining,
               "log_to_console": False, "output_flag": True, **chosen}
    if threads:
        options["threads"] = threads
    with _HighsLogWatcher(verbose) as watcher:
        banner = io.StringIO()      # HiGHS's banner (first Highs of a process) goes to fd 1
        with capture_output(banner, capture_fd=True):
            highs = highspy.Highs()
        watcher.write(banner.getvalue())
        highs.cbLogging.subscribe(lambda event: watcher.write(event.message))
        try:
            for name, value in options.items():
                if highs.setOptionValue(name, value) == highspy.HighsStatus.kError:
                    raise SolverError(f"HiGHS refused the option {name} = {value!r}")
            if highs.passModel(compiled.highs_lp()) == highspy.HighsStatus.kError:
                raise SolverError("HiGHS refused the model (passModel failed)")
            if start:
                _set_start(highs, compiled, start)
            highs.run()
        except SolverError:
            raise
        except Exception as exc:  # noqa: BLE001 - a solver crash is not the planner's fault
            raise SolverError(f"HiGHS failed: {exc}") from exc
        finally:
            highs.cbLogging.clear()
    outcome = _classify_direct(highs, compiled, watcher.text)
    outcome = replace(outcome, seconds=time.perf_counter() - begin, links=links,
                      highs_options=", ".join(f"{name}={value}" for name, value in chosen.items()))
    if start:
        outcome = replace(outcome, start=read_start_report(watcher.text, len(start)))
    return outcome


def selects_strong_links(strong_links: str | int, rows: int) -> bool:
    """Whether the direct hand-off selects among ``rows`` strong_link rows for this
    ``strong_links`` choice (then the model may keep them as arrays)."""
    choice = _link_choice(strong_links)
    return choice is not None and rows > choice[1]


def _link_choice(strong_links: str | int) -> tuple[int, int] | None:
    """(arcs kept per demand row, select only above this many rows) for a
    ``strong_links`` value; None for ``all``."""
    if strong_links == "all":
        return None
    if strong_links == "auto":
        return PER_DEMAND, SELECT_ABOVE
    if isinstance(strong_links, int) and not isinstance(strong_links, bool) \
            and strong_links >= 0:
        return strong_links, 0
    raise ValueError(f"strong_links must be 'auto', 'all' or a count, not {strong_links!r}")


def _set_start(highs: highspy.Highs, compiled: CompiledLp, start: Mapping[Any, float]) -> None:
    column_of = compiled.column_positions()
    pairs = sorted((column_of[id(var)], float(value)) for var, value in start.items()
                   if id(var) in column_of and value is not None)
    index = np.array([j for j, _ in pairs], dtype=np.int32)
    values = np.array([v for _, v in pairs], dtype=np.double)
    if highs.setSolution(len(pairs), index, values) == highspy.HighsStatus.kError:
        raise SolverError("HiGHS refused the MIP start (setSolution failed).")


_ERRORS = ("kLoadError", "kModelError", "kPresolveError", "kSolveError", "kPostsolveError")
# HiGHS model status → the name of Pyomo's TerminationCondition, as the persistent path reports
_TERMINATION = {"kOptimal": "convergenceCriteriaSatisfied", "kInfeasible": "provenInfeasible",
                "kUnboundedOrInfeasible": "infeasibleOrUnbounded", "kUnbounded": "unbounded",
                "kObjectiveBound": "objectiveLimit", "kObjectiveTarget": "objectiveLimit",
                "kTimeLimit": "maxTimeLimit", "kIterationLimit": "iterationLimit",
                "kSolutionLimit": "iterationLimit", **dict.fromkeys(_ERRORS, "error")}


def _classify_direct(highs: highspy.Highs, compiled: CompiledLp, text: str) -> SolveOutcome:
    """The persistent path's classification (:func:`_classify`) on a highspy run."""
    status = highs.getModelStatus()
    name = status.name if hasattr(status, "name") else str(status).split(".")[-1]
    termination = _TERMINATION.get(name, "unknown")
    info = highs.getInfo()
    feasible = info.primal_solution_status == 2
    objective = info.objective_function_value if feasible else None
    if info.mip_node_count == -1:       # an LP: the bound is the optimum, when proven
        bound = objective if feasible and name == "kOptimal" else None
    else:
        bound = info.mip_dual_bound
    outcome = status_of(optimal=name == "kOptimal",
                        infeasible=name in ("kInfeasible", "kUnboundedOrInfeasible"),
                        error=termination == "error", has_incumbent=objective is not None,
                        log_text=text)
    if outcome in ("optimal", "time_limit"):
        values = highs.getSolution().col_value
        for var, value in zip(compiled.columns, values, strict=True):
            var.set_value(value, skip_validation=True)
        if bound is None and outcome == "optimal":
            bound = objective
    else:
        objective = bound = None
    return SolveOutcome(outcome, termination, objective, bound, relative_gap(objective, bound),
                        0.0, text, highs_seconds=highs.getRunTime())


class WarmStartHighs(Highs):
    """Pyomo's persistent HiGHS interface, handing HiGHS a MIP start just before it runs.

    Pyomo's interface has no warm-start option, but it is persistent: the first
    ``solve`` loads the model into ``_solver_model`` (a ``highspy.Highs``) and
    later solves only send what changed. HiGHS forgets a stored solution
    whenever the model changes, so the start (``self.start``: Pyomo variable →
    value) is set in ``_solve``, after Pyomo's update and right before the run.
    HiGHS fixes the given discrete values, solves for the rest and, when that
    is feasible, takes the result as its first incumbent.
    """

    def __init__(self, **kwds):
        # set_instance re-runs __init__ (Highs._reinit): keep a start set before it
        start = getattr(self, "start", None)
        super().__init__(**kwds)
        self.start: Mapping[Any, float] | None = start

    def _solve(self):
        if self.start:
            columns = self._pyomo_var_to_solver_var_map
            pairs = sorted((columns[id(var)], float(value)) for var, value in self.start.items()
                           if id(var) in columns and value is not None)
            index = np.array([i for i, _ in pairs], dtype=np.int32)
            values = np.array([v for _, v in pairs], dtype=np.double)
            status = self._solver_model.setSolution(len(pairs), index, values)
            if status == highspy.HighsStatus.kError:
                raise SolverError("HiGHS refused the MIP start (setSolution failed).")
        return super()._solve()


_START_LINE = "Attempting to find feasible solution"
_LP_STATUS = re.compile(r"^Model status\s*:\s*(.+?)\s*$")
_LP_OBJECTIVE = re.compile(r"^Objective value\s*:\s*(\S+)")
_MIP_STATUS = re.compile(r"^\s*Status\s+(\S+)")
_MIP_PRIMAL = re.compile(r"^\s*Primal bound\s+(\S+)")


def read_start_report(text: str, values: int) -> MipStart | None:
    """What HiGHS's log says about a MIP start given to it.

    HiGHS prints ``Attempting to find feasible solution by solving LP|MIP for
    user-supplied values of discrete variables``, then the result of that LP
    (``Model status``, ``Objective value``) or sub-MIP (``Status``, ``Primal
    bound``, or ``Presolve: Infeasible``). None when the log has no such line.
    """
    lines = text.splitlines()
    begin = next((i for i, line in enumerate(lines) if line.startswith(_START_LINE)), None)
    if begin is None:
        return None
    status = objective = None
    for line in lines[begin + 1:]:
        if "Presolve: Infeasible" in line:
            status = "Infeasible"
        elif match := (_LP_STATUS.match(line) or _MIP_STATUS.match(line)):
            status = status or match.group(1)
        elif match := (_LP_OBJECTIVE.match(line) or _MIP_PRIMAL.match(line)):
            objective = finite_number(match.group(1))
        if status is not None and (objective is not None or status != "Optimal"):
            break
    if status == "Optimal" and objective is not None:
        return MipStart("accepted", objective, values)
    return MipStart("rejected", None, values)



def status_of(*, optimal: bool, infeasible: bool, error: bool, has_incumbent: bool,
              log_text: str) -> str:
    """The SPEC §5 status from what HiGHS reports, the same on both hand-off paths:
    stopped early with an incumbent is ``time_limit``, without one ``no_solution``."""
    if optimal:
        return "optimal"
    if infeasible:
        return "infeasible"
    if error:
        raise SolverError(f"HiGHS stopped with an error:\n{log_text[-2000:]}")
    return "time_limit" if has_incumbent else "no_solution"


def _classify(results, model, seconds: float, text: str) -> SolveOutcome:
    condition = results.termination_condition
    objective = results.incumbent_objective
    bound = results.objective_bound
    status = status_of(
        optimal=condition == TerminationCondition.convergenceCriteriaSatisfied,
        infeasible=condition in (TerminationCondition.provenInfeasible,
                                 TerminationCondition.infeasibleOrUnbounded),
        error=condition == TerminationCondition.error, has_incumbent=objective is not None,
        log_text=text)
    if status in ("optimal", "time_limit"):
        results.solution_loader.load_vars()
        if bound is None and status == "optimal":
            bound = objective
    else:
        objective = bound = None
    return SolveOutcome(status, condition.name, objective, bound,
                        relative_gap(objective, bound), seconds, text,
                        highs_seconds=getattr(getattr(results, "timing_info", None),
                                              "highs_time", None))


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """HiGHS's relative gap |objective − bound| / |objective| (0 when both are 0)."""
    if objective is None or bound is None:
        return None
    difference = abs(objective - bound)
    if difference <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return difference / abs(objective) if objective else float("inf")


class _HighsLogWatcher(io.TextIOBase):
    """A text stream that HiGHS writes its log to.

    It keeps the whole log, and shows each improvement of the incumbent (the
    BestSol column of HiGHS's branch-and-bound table) as one progress line —
    or, when ``verbose``, every log line. Pyomo captures the process's stderr
    while HiGHS runs, so anything logged then would be fed back into this
    stream; progress is therefore written to a duplicate of the real stderr
    taken before the solve, and only when the ``hubopt`` logger is at INFO.
    """

    _ROW = re.compile(r"^\s*[A-Za-z]?\s+\d+\s+\d+\s+\d+\s+[\d.]+%\s+(\S+)\s+(\S+)\s+(\S+)")

    def __init__(self, verbose: bool):
        super().__init__()
        self.verbose = verbose
        self._buffer = ""
        self._lines: list[str] = []
        self._best: str | None = None
        self._started = time.perf_counter()
        self._sink = None

    def __enter__(self):
        if log.isEnabledFor(logging.INFO):
            try:
                self._sink = os.fdopen(os.dup(2), "w", buffering=1)
            except OSError:
                self._sink = None
        return self

    def __exit__(self, *exc_info) -> None:
        self.flush()
        if self._sink is not None:
            self._sink.close()
            self._sink = None

    def write(self, text: str) -> int:
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            self._line(line)
        return len(text)

    def flush(self) -> None:
        if self._buffer:
            self._line(self._buffer)
            self._buffer = ""

    @property
    def text(self) -> str:
        return "\n".join(self._lines)

    def _line(self, line: str) -> None:
        self._lines.append(line)
        if self.verbose:
            self._show(f"highs: {line}")
            return
        match = self._ROW.match(line)
        if match and match.group(2) not in ("inf", self._best):
            self._best = match.group(2)
            self._show(f"solve: incumbent {match.group(2)}, bound {match.group(1)}, gap "
                       f"{match.group(3)} ({time.perf_counter() - self._started:.1f} s)")

    def _show(self, text: str) -> None:
        if self._sink is not None:
            self._sink.write(text + "\n")
