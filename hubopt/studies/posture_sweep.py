"""How sure must we be? The posture re-solved as one scenario's probability moves.

``hubopt posture-sweep FILE --scenario NAME``: the posture of SPEC §3.5 with the
probability of scenario NAME set to π ∈ [0, 1] and every other scenario's scaled in
proportion, p_ω(π) = (1 − π)·p_ω / (1 − p_NAME) (equal shares when p_NAME = 1),
so the weights still sum to 1. One model, one session: each point only changes
the objective's weights (``now_cost + Σ_ω p_ω(π)·recourse_cost[ω] +
stability_cost``) and starts from the previous point's plan, which stays feasible
(the constraints do not depend on π).

The grid is ``points`` evenly spaced probabilities from 0 to 1; between two grid
points whose "now" plans differ, the change is located by bisection to within
``resolution``. Reported: per probability solved, the plan built now, its cost and
the expected cost; and each change point: the interval in which the "now" plan
changes, and what it builds before and after.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace

import pandas as pd
import pyomo.environ as pyo

from ..errors import InputError, Issue, UsageError
from ..inputs.instance import Scenario
from ..model.checks import presolve_findings
from ..model.network import ModuleKey
from ..model.posture import build_posture_model, built_now, futures
from ..solver.session import Session, SolveOptions
from ..solver.sizing import check_posture_memory

log = logging.getLogger("hubopt")


@dataclass(frozen=True)
class Point:
    """One solve of the sweep: the swept scenario's probability, the status, the
    expected cost (RP at these weights), the cost built now and the modules."""

    probability: float
    status: str
    objective: float | None
    now_cost: float | None
    now: tuple[ModuleKey, ...]
    gap: float | None


@dataclass(frozen=True)
class Sweep:
    """The sweep of scenario ``target``: points sorted by probability and the changes
    (``(below, above, now below, now above)``: the "now" plan changes between these
    probabilities)."""

    scenario: Scenario
    target: str
    points: tuple[Point, ...]
    changes: tuple[tuple[float, float, tuple, tuple], ...]
    run: dict = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "probability": p.probability, "status": p.status, "expected_cost": p.objective,
            "now_cost": p.now_cost, "now_modules": len(p.now),
            "now": ", ".join(" ".join(m) for m in p.now)} for p in self.points])

    def change_table(self) -> pd.DataFrame:
        rows = []
        for low, high, before, after in self.changes:
            rows.append({"from_probability": low, "to_probability": high,
                         "stops_building": ", ".join(" ".join(m) for m in
                                                     sorted(set(before) - set(after))),
                         "starts_building": ", ".join(" ".join(m) for m in
                                                      sorted(set(after) - set(before)))})
        return pd.DataFrame(rows, columns=["from_probability", "to_probability",
                                           "stops_building", "starts_building"])


def weights(scenario: Scenario, target: str, probability: float) -> dict[str, float]:
    """p_ω(π): ``target`` at ``probability``, the others scaled in proportion (equal
    shares when the others had no weight)."""
    base = {c.scenario: c.probability for c in scenario.scenarios}
    rest = 1.0 - base[target]
    others = [name for name in base if name != target]
    shares = {name: (base[name] / rest if rest > 1e-12 else 1.0 / len(others))
              for name in others}
    return {target: probability, **{name: (1.0 - probability) * shares[name]
                                    for name in others}}


def sweep(scenario: Scenario, target: str, options: SolveOptions, *, points: int = 11,
          resolution: float = 0.01, previous_plan: tuple[ModuleKey, ...] = ()) -> Sweep:
    """The sweep of ``target`` (module docstring). UsageError for an unknown scenario,
    or one alone (nothing to sweep against); InputError when a scenario cannot have a
    plan (the pre-solve checks) or the model is over the memory budget."""
    names = [c.scenario for c in scenario.scenarios]
    if target not in names:
        raise UsageError(f"--scenario {target}: no such scenario in the Scenarios sheet; "
                         f"there are: {', '.join(names) or 'none'}.")
    if len(names) < 2:
        raise UsageError("posture-sweep needs at least two scenarios: with one, its "
                         "probability is 1.")
    started = time.perf_counter()
    future = futures(scenario)
    findings = [replace(issue, message=f"in scenario '{name}': {issue.message}")
                for name, network in future.cases.items()
                for issue in presolve_findings(network)]
    if findings:
        raise InputError(findings)
    check_posture_memory(future.now, list(future.cases.values()), options.memory_limit_mb)
    model = build_posture_model(future, previous_plan)
    session = Session(model, replace(options, strong_links="all"))
    solved: dict[float, Point] = {}
    start = None

    def at(probability: float) -> Point:
        nonlocal start
        probability = round(probability, 9)
        if probability in solved:
            return solved[probability]
        w = weights(scenario, target, probability)
        session.set_objective(model.now_cost + sum(
            w[name] * model.recourse_cost[name] for name in names if w[name])
            + model.stability_cost)
        outcome = session.solve(start)
        if outcome.has_plan:
            start = session.snapshot()
            point = Point(probability, outcome.status, float(outcome.objective),
                          float(pyo.value(model.now_cost)), tuple(built_now(model)),
                          outcome.gap)
        else:
            point = Point(probability, outcome.status, None, None, (), None)
        log.info("sweep: p(%s) = %.3f: %s, %d module(s) built now (%.2f s)", target,
                 probability, outcome.status, len(point.now), outcome.seconds)
        solved[probability] = point
        return point

    try:
        grid = [i / (points - 1) for i in range(points)]
        found = [at(p) for p in grid]

        def locate(low: Point, high: Point) -> list:
            """Every change between two points whose plans differ, by bisection."""
            if low.now == high.now:
                return []
            if high.probability - low.probability <= resolution + 1e-12:
                return [(low.probability, high.probability, low.now, high.now)]
            middle = at((low.probability + high.probability) / 2)
            return locate(low, middle) + locate(middle, high)

        changes = [change for low, high in zip(found, found[1:])
                   for change in locate(low, high)]
    finally:
        session.close()
    run = {"swept_scenario": target, "grid_points": points, "resolution": resolution,
           "mip_gap_requested": options.mip_gap, "time_limit_seconds": options.time_limit,
           "solves": len(solved), "total_seconds": time.perf_counter() - started}
    return Sweep(scenario, target, tuple(solved[p] for p in sorted(solved)), tuple(changes),
                 run)


def sweep_issue(sweep_result: Sweep) -> list[Issue]:
    """Points without a plan, as warnings for the console."""
    return [Issue("warning", "posture-sweep", f"p({sweep_result.target}) = "
                  f"{p.probability:.3f}: no plan ({p.status}).")
            for p in sweep_result.points if p.objective is None]
