"""What one HiGHS run achieved, as a small typed record.

The session (:mod:`hubopt.solver.session`) classifies every run with
:func:`classify` and returns a :class:`SolveOutcome`. Nothing here prints or
exits: the caller decides what an outcome means (SPEC §4 exit codes live in
:mod:`hubopt.errors`).

Statuses (SPEC §5):

- ``optimal``       proven optimal within the requested relative gap;
- ``time_limit``    stopped by the time limit (or another HiGHS limit) with a plan;
- ``memory_limit``  stopped by the solve guard, resident memory past the limit, with a plan;
- ``interrupted``   stopped by Ctrl-C or SIGTERM, with a plan;
- ``infeasible``    proven to have no feasible plan;
- ``no_solution``   stopped without any feasible plan (``stopped_by`` says what stopped it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import highspy

from ..errors import SolverError
from .highs_log import finite_number

PLAN_STATUSES = ("optimal", "time_limit", "memory_limit", "interrupted")
STOP_REASONS = ("memory_limit", "interrupted")   # set by the solve guard, not by HiGHS


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
    """What the solver achieved: status, objective, best bound, relative gap, time.

    ``termination`` is HiGHS's model status by name (``kOptimal``, ``kTimeLimit``,
    ``kInterrupt``, ...); ``stopped_by`` is ``memory_limit`` or ``interrupted``
    when the solve guard stopped the run (also without a plan), else None."""

    status: str
    termination: str
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    log: str = ""
    start: MipStart | None = None
    highs_seconds: float | None = None  # inside HiGHS; the rest of ``seconds`` is hand-off
    links: object | None = None         # strong_link rows handed to HiGHS (rows.LinkSelection)
    highs_options: str = ""   # HiGHS options set beyond seed, gap and time limit ("name=value, …")
    stopped_by: str | None = None
    peak_memory_mb: float | None = None  # resident memory seen by the guard during the run

    @property
    def has_plan(self) -> bool:
        return self.status in PLAN_STATUSES


_ERRORS = ("kLoadError", "kModelError", "kPresolveError", "kSolveError", "kPostsolveError",
           "kMemoryLimit")
_INFEASIBLE = ("kInfeasible", "kUnboundedOrInfeasible")


def classify(highs: highspy.Highs, text: str, *, seconds: float,
             stopped_by: str | None = None) -> tuple[SolveOutcome, list | None]:
    """The outcome of the run ``highs`` just made, and the column values of its
    incumbent (None without a plan). ``text`` is the run's log; ``stopped_by`` the
    solve guard's reason when it stopped the run.

    Stopped early with an incumbent is ``time_limit`` (or the guard's reason),
    without one ``no_solution``. The bound of an LP is its optimum when proven;
    a MIP's is HiGHS's dual bound. A HiGHS error raises :class:`SolverError`."""
    status = highs.getModelStatus()
    name = status.name if hasattr(status, "name") else str(status).split(".")[-1]
    info = highs.getInfo()
    feasible = info.primal_solution_status == 2
    objective = info.objective_function_value if feasible else None
    if info.mip_node_count == -1:       # an LP: the bound is the optimum, when proven
        bound = objective if feasible and name == "kOptimal" else None
    else:
        bound = info.mip_dual_bound
    if name == "kOptimal":
        outcome = "optimal"
    elif name in _INFEASIBLE:
        outcome = "infeasible"
    elif name in _ERRORS:
        raise SolverError(f"HiGHS stopped with an error ({name}):\n{text[-2000:]}")
    elif objective is None:
        outcome = "no_solution"
    else:
        outcome = stopped_by if stopped_by in STOP_REASONS else "time_limit"
    values = None
    if outcome in PLAN_STATUSES:
        values = highs.getSolution().col_value
        if bound is None and outcome == "optimal":
            bound = objective
    else:
        objective = bound = None
    return SolveOutcome(outcome, name, objective, bound, relative_gap(objective, bound),
                        seconds, text, highs_seconds=highs.getRunTime(),
                        stopped_by=stopped_by), values


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



def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """HiGHS's relative gap |objective − bound| / |objective| (0 when both are 0)."""
    if objective is None or bound is None:
        return None
    difference = abs(objective - bound)
    if difference <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return difference / abs(objective) if objective else float("inf")
