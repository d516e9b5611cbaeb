"""A short list to negotiate with: the optimum and diverse near-optimal alternatives
(SPEC §3.6).

Let c* be the optimum's objective (SPEC §3, the stability term included with a
previous plan) and ε ≥ 0 the slack. Alternative j = 1, 2, … is the plan that
shares the fewest modules with every plan before it:

    minimise   score_j = Σ_{m ∈ U_j} y_m        U_j = modules open in the optimum
                                                 or in an earlier alternative
    subject to every constraint of §3
               alternatives_slack:   objective ≤ c* + ε·|c*|
               alternatives_nogood:  Σ_{m ∈ P} (1 − y_m) + Σ_{m ∉ P} y_m ≥ 1
                                     for each earlier plan P (the optimum included)

and, among the plans with the least score, the cheapest (the rows are built in
:mod:`hubopt.model.alternatives`). That is three solves of
the one session the optimum was solved in (:class:`hubopt.solver.session.Session`;
nothing is rebuilt, rows are added and objectives swapped in place):

0. *seed*: the model's own objective, stopped at the first plan HiGHS finds
   (``mip_max_improving_sols`` = 1): any plan within the slack that differs from
   the earlier ones, as a start for 1 (score_j alone gives HiGHS's heuristics
   nothing to find a plan under the dense slack row with);
1. *least overlap*: the session's objective set to score_j, from the seed;
2. *cheapest among them*: the model's own objective again, with the row
   alternatives_score_j: Σ_{m ∈ U_j} y_m ≤ score_j* (freed afterwards), from
   solve 1's plan as the MIP start.

The list ends early when solves 0 and 1 find no plan: none is left within the slack
(infeasible), or none was found in the time (reported as such). A solve stopped
by its time limit gives a plan that is not proven least-overlap (or not proven
cheapest among them): :attr:`Alternative.proven` is False and its gaps say by how
much, never silently. With lazy resilience the loss-case loop runs inside every
solve (its cuts hold for every plan, so they stay).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field, replace

import pyomo.environ as pyo

from ..errors import NoPlan
from ..inputs.instance import Scenario
from ..model.alternatives import (
    OVERLAP,
    add_alternatives_slack,
    add_nogood,
    add_score_bound,
    score,
)
from ..model.build import start_values
from ..model.checks import presolve_findings
from ..model.network import ModuleKey, Network, build_network
from ..outputs.results import Plan, extract_plan
from ..solver.guard import stop_requested
from ..solver.outcome import SolveOutcome
from ..solver.session import Session, SolveOptions, open_session
from ..solver.sizing import DEFAULT_MEMORY_BUDGET_MB
from .burden import share_burden

log = logging.getLogger(__name__)

SEED_SHARE = 0.25          # of the time limit: the seed's most, and the least left for solve 1
SECOND_SOLVE_SHARE = 0.2   # the least share of the time limit left for solve 2


class NoOptimum(NoPlan):
    """No optimum to start from: the scenario has no plan (``status`` infeasible, with
    the pre-solve findings when they show why) or none was found in the time."""


@dataclass
class Alternative:
    """One plan of the short list: ``rank`` 0 is the optimum.

    ``score`` (alternatives only) is the number of its modules (or sites, with
    overlap by sites) also open in an earlier plan; ``score_gap`` the relative gap
    of the least-overlap solve (0 when proven least), ``cost_gap`` that of the
    cheapest-among-them solve (for the optimum: its MIP gap)."""

    rank: int
    plan: Plan
    modules: frozenset[ModuleKey]
    score: int | None = None
    score_status: str = "optimal"
    score_gap: float | None = None
    cost_status: str = "optimal"
    cost_gap: float | None = None

    @property
    def objective(self) -> float:
        return float(self.plan.summary["objective"])

    @property
    def sites(self) -> frozenset[str]:
        """The open sites (those with an open module)."""
        return frozenset(site for site, _, _ in self.modules)

    def elements(self, by: str) -> frozenset:
        """Its open modules, or its open sites: what overlap is counted in."""
        return self.modules if by == "modules" else self.sites

    @property
    def proven(self) -> bool:
        """Least overlap and cheapest among the least, both proven (the optimum: proven
        optimal), within the requested MIP gap."""
        return self.score_status == "optimal" and self.cost_status == "optimal"

    @property
    def gap(self) -> float | None:
        """The gap that qualifies the plan: the score's for an alternative (how far it
        may be from the least overlap), the cost's for the optimum."""
        return self.cost_gap if self.rank == 0 else self.score_gap


@dataclass
class ShortList:
    """The optimum first, then the alternatives in the order found; ``ended`` says why
    the list has fewer than ``requested`` alternatives (None: it has them all)."""

    scenario: Scenario
    slack: float
    requested: int
    plans: list[Alternative]
    ended: str | None = None
    by: str = "modules"
    run: dict = field(default_factory=dict)

    @property
    def optimum(self) -> Alternative:
        return self.plans[0]

    def delta(self, alternative: Alternative) -> float:
        """(objective − c*) / |c*|: how much dearer than the optimum (0 when c* = 0)."""
        best = self.optimum.objective
        return (alternative.objective - best) / abs(best) if best else 0.0


def alternatives(scenario: Scenario, n: int = 4, slack: float = 0.05, *,
                 by: str = "modules", time_limit: float | None = None, mip_gap: float | None = None,
                 threads: int | None = None, verbose: bool = False,
                 previous_plan=(), memory_budget_mb: float | None = DEFAULT_MEMORY_BUDGET_MB,
                 strong_links: str | int = "auto") -> ShortList:
    """The optimum of ``scenario`` and up to ``n`` alternatives within ``slack`` of it.

    ``by`` says what overlap is counted in: ``modules`` (SPEC §3.6: a site at another
    size is another module) or ``sites`` (each alternative differs from every earlier
    plan in its set of open sites and shares as few sites with them as possible).
    ``time_limit`` (seconds, default Settings) applies to the optimum and to each
    alternative: its seed may use a quarter of it, its least-overlap solve what is
    left (at least a quarter) and the cheapest-among-them solve what is left then
    (at least a fifth).
    ``previous_plan`` (modules (site, service, size), or a PreviousPlan) prices
    changes as in :func:`hubopt.solve` and is the optimum's MIP start. The model goes
    through the same steps as :func:`hubopt.solve` (memory budget, row selection,
    lazy resilience, solve guard). Raises :class:`NoOptimum` when there is no plan
    at all; ValueError for ``n`` < 1 or a negative ``slack``.
    """
    if n < 1:
        raise ValueError(f"the number of alternatives must be at least 1, not {n}")
    if not (slack >= 0 and math.isfinite(slack)):
        raise ValueError(f"the slack must be a number >= 0 (0.05 = 5 %), not {slack}")
    if by not in OVERLAP:
        raise ValueError(f"overlap is counted in one of {OVERLAP}, not {by!r}")
    started = time.perf_counter()
    previous = list(getattr(previous_plan, "keys", previous_plan))
    network = build_network(scenario)
    findings = presolve_findings(network)
    if findings:
        raise NoOptimum("infeasible", findings)
    options = SolveOptions.of(scenario.settings, time_limit=time_limit, mip_gap=mip_gap,
                              threads=threads, verbose=verbose,
                              memory_limit_mb=memory_budget_mb, strong_links=strong_links)
    session, _, _ = open_session(network, previous, options)
    try:
        search = _Search(session, network, slack, by)
        found = search.optimum(start_values(session.model, network, previous)
                               if previous else None)
        plans = [found]
        ended = None
        while len(plans) <= n:
            if stop_requested():
                ended = "stopped (interrupted) before the next alternative"
                break
            alternative, ended = search.next(len(plans))
            if alternative is None:
                break
            plans.append(alternative)
        short = ShortList(scenario, slack, n, plans, ended, by)
        short.run = {"alternatives_requested": n, "alternatives_found": len(plans) - 1,
                     "slack": slack, "overlap_by": by,
                     "ended": ended or "all requested alternatives found",
                     "solves": session.solves, "solve_seconds": session.seconds,
                     "total_seconds": time.perf_counter() - started,
                     "mip_gap_requested": options.mip_gap,
                     "time_limit_seconds_per_plan": options.time_limit,
                     "strong_link_rows": None if session.links is None else session.links.kept,
                     "highs_options": session.highs_options or None}
        if session.losses is not None:
            short.run.update(session.losses.as_run_record(session.model))
    finally:
        session.close()
    log.info("alternatives: the optimum and %d alternative(s) within %.4g %% from %d solve(s)"
             " (%.1f s)%s", len(plans) - 1, 100 * slack, short.run["solves"],
             short.run["total_seconds"], f"; {ended}" if ended else "")
    return short


class _Search:
    """The solves of one short list on one session: rows added, objectives swapped."""

    def __init__(self, session: Session, network: Network, slack: float, by: str):
        self.session = session
        self.by = by
        self.network = network
        self.model = session.model
        self.slack = slack
        self.limit = session.options.time_limit
        self.earlier: list[frozenset] = []   # open modules (or sites) of each plan found
        self.c_star = 0.0

    def optimum(self, start) -> Alternative:
        """Solve the model as built; add alternatives_slack and the optimum's no-good."""
        outcome = self.session.solve(start)
        if not outcome.has_plan:
            raise NoOptimum(outcome.status, [])
        best = self._plan(outcome)
        c_star = self.c_star = best.objective
        log.info("alternatives: optimum %s, %d module(s) open (%s)", f"{c_star:,.2f}",
                 len(best.modules), outcome.status)
        self.session.add_constraints([add_alternatives_slack(self.model, c_star, self.slack)])
        self._exclude(best)
        return replace(best, cost_status=outcome.status, cost_gap=outcome.gap)

    def next(self, rank: int) -> tuple[Alternative | None, str | None]:
        """Alternative ``rank`` and None, or None and why there is none."""
        used = set().union(*self.earlier)
        shared = score(self.model, used, self.by)
        begin = time.perf_counter()
        seed = self._seed()
        if seed is not None and seed.status == "infeasible":
            return None, f"no further plan within {100 * self.slack:.4g} % of the optimum"
        start = self.session.snapshot() if seed is not None and seed.has_plan else None
        left = max(self.limit - (time.perf_counter() - begin), SEED_SHARE * self.limit)
        with self.session.objective(shared):
            least = self.session.solve(start, time_limit=left)
        if not least.has_plan:
            if least.status == "infeasible":
                return None, (f"no further plan within {100 * self.slack:.4g} % of the "
                              "optimum")
            why = least.stopped_by or "time limit"
            return None, f"no plan found for alternative {rank} ({why})"
        least_score = round(float(pyo.value(shared)))
        start = self.session.snapshot()
        left = max(self.limit - (time.perf_counter() - begin), SECOND_SOLVE_SHARE * self.limit)
        bound = add_score_bound(self.model, used, least_score, self.by)
        self.session.add_constraints([bound])
        cheapest = self.session.solve(start, time_limit=left)
        self.session.set_row_bounds(bound, -math.inf, math.inf)   # alternative j only
        bound.deactivate()
        if cheapest.has_plan:
            found, cost = self._plan(cheapest), cheapest
        else:     # solve 2 found nothing better in its time: solve 1's plan stands
            for var, value in start.items():
                var.set_value(value, skip_validation=True)
            found = self._plan(replace(least, objective=float(pyo.value(self.model.objective))))
            cost = replace(cheapest, gap=None)
        self._exclude(found)
        alternative = replace(found, rank=rank, score=least_score,
                              score_status=least.status, score_gap=least.gap,
                              cost_status=cost.status, cost_gap=cost.gap)
        log.info("alternatives: %d. objective %s (%+.2f %% against the optimum), shares %d "
                 "%s with earlier plans%s", rank, f"{found.objective:,.2f}",
                 100 * self._delta(found.objective), least_score, self.by,
                 "" if alternative.proven else " (NOT proven least-overlap or cheapest: "
                 f"{least.status}/{cost.status})")
        return alternative, None

    def _seed(self) -> SolveOutcome | None:
        """The first plan HiGHS finds within the slack that differs from every earlier
        plan, under the model's own objective (within a quarter of the time limit):
        the start of the least-overlap solve. Its objective alone gives HiGHS nothing
        to find plans with under the dense alternatives_slack row (at theatre scale
        it found none in 120 s); the cost objective does. None when the run was
        stopped (Ctrl-C, memory)."""
        with self.session.option("mip_max_improving_sols", 1):
            seed = self.session.solve(time_limit=SEED_SHARE * self.limit)
        return None if seed.stopped_by else seed

    def _plan(self, outcome: SolveOutcome) -> Alternative:
        """The loaded plan as an Alternative of rank 0 (the caller sets the rest)."""
        plan = share_burden(extract_plan(self.model, self.network, outcome), self.network)
        opened = frozenset(m for m in self.model.M if (self.model.y[m].value or 0.0) > 0.5)
        return Alternative(0, plan, opened)

    def _exclude(self, found: Alternative) -> None:
        """alternatives_nogood against ``found``'s open modules (or sites)."""
        chosen = found.elements(self.by)
        self.session.add_constraints([add_nogood(self.model, chosen, self.by)])
        self.earlier.append(chosen)

    def _delta(self, objective: float) -> float:
        return (objective - self.c_star) / abs(self.c_star) if self.c_star else 0.0
