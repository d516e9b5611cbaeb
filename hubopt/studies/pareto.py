"""Cost against resupply time: the frontier of cheapest plans by the epsilon constraint.

The cost is SPEC §3's objective without the time term (value_of_time = 0):
``cost = hub_cost + transport_cost + risk_cost (+ stability_cost)``. The time
metric is one of

- ``avg_hours`` = Σ_A h_sr·x_sr / Q, with Q = Σ_R q_r (every row is served in
  full, so Σ x = Q). "avg_hours ≤ ε" is the linear constraint
  ``pareto_avg_hours``: Σ_A (h_sr / Q)·x_sr ≤ ε (hours), one row added to the
  session whose upper bound is set to ε for each point (free for none);
- ``max_hours`` = the longest arc in use. "max_hours ≤ ε" is an upper bound of
  0 on x_sr for every arc with h_sr > ε (arcs are pruned, nothing is added).
  The metric only takes arc-hour values, so ε is rounded down to one.

Points (one model, built once and handed to HiGHS once; only a bound or the
objective changes in place between solves, and each solve starts from the best
plan already known to satisfy its bound):

1. the cost-optimal plan (no bound);
2. the fastest plan, cheapest among the fastest: for avg_hours, minimise the
   metric (the session's objective set to it for one solve), then minimise cost with
   ε = that minimum + tolerance; for max_hours, the smallest arc-hour level at
   which a plan exists (bisection over the levels, each a cost-minimising solve);
3. POINTS − 2 plans between, the cheapest with metric ≤ ε for ε evenly spaced
   between the fastest and the cost-optimal metric, solved in increasing ε.

Dominated and duplicate points are dropped (a point stays only if it is
strictly cheaper than every faster-or-equal point, beyond the MIP gap). The
knee is the point farthest from the chord between the first and the last
point, both axes normalised by min-max over the frontier
(``(v − min) / (max − min)``), so hours and currency weigh the same.
"""

from __future__ import annotations

import bisect
import logging
import math
import time
from dataclasses import dataclass, field

import pyomo.environ as pyo

from ..errors import NoPlan
from ..inputs.instance import Scenario
from ..model.checks import presolve_findings
from ..model.network import ModuleKey, Network, build_network
from ..outputs.results import Plan, extract_plan
from ..solver.session import Session, SolveOptions, open_session
from ..solver.sizing import DEFAULT_MEMORY_BUDGET_MB
from .burden import share_burden

log = logging.getLogger(__name__)

METRICS = ("avg_hours", "max_hours")
HOURS_TOLERANCE = 1e-6   # hours, relative to max(1, ε): bounds and ties in the metric
COST_TOLERANCE = 1e-7    # relative: costs closer than this are the same cost


class NoFrontier(NoPlan):
    """No plan at all: the cost-optimal solve found none (carries the outcome status)."""


@dataclass
class ParetoPoint:
    """One plan on the frontier: its metric (hours), the bound ε it was solved
    for (None = no bound) and how it was found."""

    metric: float
    epsilon: float | None
    role: str          # "cost-optimal", "epsilon" or "fastest"
    plan: Plan
    knee: bool = False

    @property
    def cost(self) -> float:
        """The minimised cost (objective without the time term), currency."""
        return float(self.plan.summary["objective"])

    @property
    def modules(self) -> set[ModuleKey]:
        hubs = self.plan.hubs
        return {(str(s), str(k), str(z)) for s, k, z in
                zip(hubs["site_id"], hubs["service"], hubs["size"])}


@dataclass
class Frontier:
    """The non-dominated points, cost-optimal first and fastest last."""

    scenario: Scenario
    metric: str
    points: list[ParetoPoint]
    dropped: int = 0
    solves: int = 0
    seconds: float = 0.0
    run: dict = field(default_factory=dict)

    @property
    def knee(self) -> ParetoPoint | None:
        return next((p for p in self.points if p.knee), None)


def pareto(scenario: Scenario, points: int = 5, metric: str = "avg_hours", *,
           time_limit: float | None = None, mip_gap: float | None = None,
           threads: int | None = None, verbose: bool = False,
           memory_budget_mb: float | None = DEFAULT_MEMORY_BUDGET_MB,
           strong_links: str | int = "auto") -> Frontier:
    """The cost/time frontier of ``scenario`` with at most ``points`` points.

    ``time_limit`` applies to each solve; the model goes through the same steps as
    :func:`hubopt.solve` (``memory_budget_mb``, row selection with ``strong_links``,
    the solve guard). A stop (Ctrl-C, SIGTERM, memory) ends the sweep with the
    points found so far. Raises :class:`NoFrontier` when the scenario has no plan
    at all.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, not {metric!r}")
    if points < 2:
        raise ValueError("a frontier needs at least 2 points")
    started = time.perf_counter()
    scenario = scenario.with_settings(value_of_time=0.0)
    settings = scenario.settings
    network = build_network(scenario)
    findings = presolve_findings(network)
    if findings:
        raise NoFrontier("infeasible", findings)
    options = SolveOptions.of(settings, time_limit=time_limit, mip_gap=mip_gap,
                              threads=threads, verbose=verbose,
                              memory_limit_mb=memory_budget_mb, strong_links=strong_links)
    session, _, _ = open_session(network, (), options)
    try:
        return _trace(session, network, scenario, points, metric, started)
    finally:
        session.close()


def _trace(session: Session, network: Network, scenario: Scenario, points: int, metric: str,
           started: float) -> Frontier:
    sweep = _Sweep(session, network, metric)

    first = sweep.solve(None, "cost-optimal")
    if first is None:
        raise NoFrontier(sweep.last_status, [])
    fastest = sweep.fastest(first)
    found = [first, fastest]
    low, high = fastest.metric, first.metric
    if high - low > _tolerance(high):
        for i in range(1, points - 1):
            if sweep.stopped:
                log.warning("pareto: stopped (%s); the frontier has the points found so far",
                            sweep.stopped)
                break
            epsilon = low + (high - low) * i / (points - 1)
            point = sweep.solve(epsilon, "epsilon")
            if point is not None:
                found.append(point)
    kept = non_dominated(found)
    mark_knee(kept)
    frontier = Frontier(scenario, metric, kept, len(found) - len(kept), session.solves,
                        session.seconds)
    frontier.run = {"points_requested": points, "metric": metric, "solves": session.solves,
                    "solve_seconds": session.seconds,
                    "total_seconds": time.perf_counter() - started,
                    "mip_gap_requested": session.options.mip_gap,
                    "time_limit_seconds_per_solve": session.options.time_limit,
                    "strong_link_rows": None if session.links is None else session.links.kept,
                    "highs_options": session.highs_options or None,
                    "stopped_by": sweep.stopped}
    log.info("pareto: %d point(s) from %d solve(s), %d dropped as dominated or duplicate "
             "(%.1f s)", len(kept), session.solves, frontier.dropped, frontier.run["total_seconds"])
    return frontier


def average_hours(model, network: Network):
    """Σ_A (h_sr / Q)·x_sr: the quantity-weighted average resupply time (h), Q the
    total demand (units/period)."""
    total = sum(d.quantity for d in network.demand.values())
    return sum(network.arcs[a].hours / total * model.x[a] for a in model.A
               if network.arcs[a].hours)


class _Sweep:
    """The solves of one frontier on one model: bounds set, plans read, starts kept."""

    def __init__(self, session: Session, network: Network, metric: str):
        self.session = session
        self.network = network
        self.metric = metric
        self.model = session.model
        self.known: list[tuple[float, dict]] = []   # (metric, variable values) of plans found
        self.last_status = ""
        self.stopped: str | None = None             # memory_limit or interrupted, once stopped
        self.levels = sorted({a.hours for a in network.arcs.values()})
        self.average = average_hours(self.model, network)
        # pareto_avg_hours: Σ_A (h/Q)·x ≤ ε, a row that is free (no bound) until ε is set
        self.bound_row = session.add_row(self.average) if metric == "avg_hours" else None

    def solve(self, epsilon: float | None, role: str) -> ParetoPoint | None:
        """The cheapest plan with metric ≤ ``epsilon`` (None = no bound), or None."""
        if self.metric == "max_hours" and epsilon is not None:
            epsilon = self._level_at_or_below(epsilon)
        self._bound(epsilon)
        start = self._start(epsilon)
        outcome = self.session.solve(start)
        self.last_status = outcome.status
        self.stopped = self.stopped or outcome.stopped_by
        if not outcome.has_plan:
            if role == "epsilon":
                log.warning("pareto: no plan with %s <= %.4g h (%s)", self.metric, epsilon,
                            outcome.status)
            return None
        plan = share_burden(extract_plan(self.model, self.network, outcome), self.network)
        value = float(plan.summary[self.metric])
        self.known.append((value, self.session.snapshot()))
        log.info("pareto: %s %s <= %s: cost %s, %s %.3f h", role, self.metric,
                 "none" if epsilon is None else f"{epsilon:.3f} h",
                 f"{plan.summary['objective']:,.2f}", self.metric, value)
        return ParetoPoint(value, epsilon, role, plan)

    def fastest(self, first: ParetoPoint) -> ParetoPoint:
        """The fastest plan, cheapest among the fastest."""
        if self.metric == "avg_hours":
            self._bound(None)
            with self.session.objective(self.average):
                outcome = self.session.solve(self._start(None))
            self.stopped = self.stopped or outcome.stopped_by
            if not outcome.has_plan or self.stopped:
                return first
            best = float(pyo.value(self.average))
            point = self.solve(best + _tolerance(best), "fastest")
            return point if point is not None else first
        # max_hours: bisection over the arc-hour levels up to the cost-optimal metric
        high = bisect.bisect_right(self.levels, first.metric + _tolerance(first.metric)) - 1
        low, best = 0, first
        while low < high and not self.stopped:
            middle = (low + high) // 2
            point = self.solve(self.levels[middle], "fastest")
            if point is None:
                low = middle + 1
            else:
                best = point
                high = min(middle, bisect.bisect_right(
                    self.levels, point.metric + _tolerance(point.metric)) - 1)
        if best is first:
            return ParetoPoint(first.metric, first.epsilon, "fastest", first.plan)
        return best

    def _bound(self, epsilon: float | None) -> None:
        model = self.model
        if self.metric == "avg_hours":
            self.session.set_row_bounds(self.bound_row, -math.inf,
                                        math.inf if epsilon is None else epsilon)
            return
        limit = math.inf if epsilon is None else epsilon + _tolerance(epsilon)
        for key in model.A:
            upper = 0.0 if self.network.arcs[key].hours > limit else None
            self.session.set_bounds(model.x[key], 0.0, upper)

    def _start(self, epsilon: float | None) -> dict | None:
        """Values of the last plan found that satisfies the bound."""
        limit = math.inf if epsilon is None else epsilon + _tolerance(epsilon)
        fitting = [values for value, values in self.known if value <= limit]
        return fitting[-1] if fitting else None

    def _level_at_or_below(self, epsilon: float) -> float:
        index = bisect.bisect_right(self.levels, epsilon + _tolerance(epsilon)) - 1
        return self.levels[max(index, 0)]


def _tolerance(hours: float) -> float:
    return HOURS_TOLERANCE * max(1.0, abs(hours))


def non_dominated(points: list[ParetoPoint]) -> list[ParetoPoint]:
    """Drop dominated and duplicate points; return them cost-optimal first.

    Sorted by (metric, cost), a point stays only when it is cheaper than every
    point kept so far (all of which are at least as fast) by more than
    :data:`COST_TOLERANCE`·max(1, |cost|); a point as fast as the last kept one
    (within the hours tolerance) replaces it when cheaper and is dropped otherwise.
    The tolerance is not the MIP gap: points closer than the gap are real plans
    and a flat frontier would lose them.
    """
    ordered = sorted(points, key=lambda p: (p.metric, p.cost))
    kept: list[ParetoPoint] = []
    for point in ordered:
        while kept and abs(point.metric - kept[-1].metric) <= _tolerance(kept[-1].metric) \
                and point.cost < kept[-1].cost:
            kept.pop()   # as fast (within tolerance) and cheaper: replaces it
        if kept:
            best = kept[-1]
            margin = COST_TOLERANCE * max(1.0, abs(best.cost))
            if point.cost >= best.cost - margin:
                continue
        kept.append(point)
    return kept[::-1]


def mark_knee(points: list[ParetoPoint]) -> ParetoPoint | None:
    """Mark the point farthest from the chord between the first and last point.

    Both axes are normalised by min-max over the points; with fewer than three
    points there is no knee.
    """
    for point in points:
        point.knee = False
    if len(points) < 3:
        return None
    hours = [p.metric for p in points]
    costs = [p.cost for p in points]

    def scale(values):
        low, high = min(values), max(values)
        span = high - low
        return [(v - low) / span if span else 0.0 for v in values]

    xs, ys = scale(hours), scale(costs)
    (x0, y0), (x1, y1) = (xs[0], ys[0]), (xs[-1], ys[-1])
    length = math.hypot(x1 - x0, y1 - y0)
    if not length:
        return None
    distance = [abs((x1 - x0) * (y0 - y) - (x0 - x) * (y1 - y0)) / length
                for x, y in zip(xs, ys)]
    best = max(range(1, len(points) - 1), key=lambda i: distance[i])
    if distance[best] <= 1e-9:
        return None
    points[best].knee = True
    return points[best]


def module_changes(points: list[ParetoPoint]) -> list[tuple[list[ModuleKey], list[ModuleKey]]]:
    """For each point, the modules (site, service, size) it opens and closes
    compared with the previous point (the first point: all its modules open)."""
    changes = []
    previous: set[ModuleKey] = set()
    for point in points:
        current = point.modules
        changes.append((sorted(current - previous), sorted(previous - current)))
        previous = current
    return changes


def frontier_json(frontier: Frontier) -> dict:
    """``{"metric": ..., "points": [{metric: h, "total_cost", "objective", "open"}, ...]}``."""
    return {"metric": frontier.metric, "points": [
        {frontier.metric: p.metric, "total_cost": float(p.plan.summary["total_cost"]),
         "objective": p.cost, "open": [list(m) for m in sorted(p.modules)]}
        for p in frontier.points]}
