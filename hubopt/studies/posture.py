"""What to build now, across scenarios: the posture of SPEC §3.5 and its value.

One model (:mod:`hubopt.model.posture`, the extensive form), one session, many
solves, each a change in place:

0. **seed**: the model as built, stopped at its first plan (``mip_max_improving_sols``
   = 1): a value for every scenario's variables.
1. **WS_ω**, each scenario alone with probability 1: the objective set to
   now_cost + recourse_cost[ω] + stability_cost, the other scenarios' posture links
   dropped and their variables fixed at the seed (feasible for them: a constant).
   WS = Σ p_ω·WS_ω.
2. **The bets**: for each scenario ω′, build now what WS_ω′ builds now and price each
   scenario ω: stage 1 fixed, scenario ω alone re-optimised (objective
   scenario_cost[ω] + stability_cost, the others fixed as in 1), or "no plan" when ω
   then has none. EC_ω′ = Σ_ω p_ω·cost(ω′, ω) (infinite, and named, where some ω has
   no plan).
3. **RP**, the posture: the model as built, from the cheapest bet as its MIP start
   (stage 1 and every scenario's recourse from 2: a plan of this model), so that
   RP ≤ min EC_ω′ even when the time limit stops it. EVPI = RP − WS,
   VSS = min_ω′ EC_ω′ − RP.
4. **The hedge row**: the cost in each scenario of building now what RP builds, as
   in 2; these solves give each scenario's plan in the result (Hubs, Flows,
   Sectors with a ``scenario`` column).

Given the stage-1 choice the scenarios decouple, so the per-scenario solves of 3
re-optimise exactly what the expected cost does.
Every solve gets the options' time limit; one stopped by it is kept with its gap
and named in the run record, never silently.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap

from ..errors import Issue
from ..inputs.instance import Scenario
from ..model.checks import presolve_findings
from ..model.network import ModuleKey
from ..model.posture import Futures, build_posture_model, built_now, futures, now_start
from ..outputs.results import Plan, extract_plan
from ..solver.guard import stop_requested
from ..solver.outcome import SolveOutcome
from ..solver.session import Session, SolveOptions
from ..solver.sizing import check_posture_memory
from .burden import share_burden

log = logging.getLogger("hubopt")

HEDGE = ""   # the regret table's row of the posture's own "now" choice (no id is blank)


@dataclass(frozen=True)
class Case:
    """One scenario of the posture: its probability, the hedge plan's ``cost`` if it
    happens (currency/year; None: no plan), ``ws`` its own optimum WS_ω, what the
    hedge adds there (``added``) and what built now it cannot use (``lost``), and
    ``plan``: the hedge's plan in it (tables as a plain plan's)."""

    name: str
    probability: float
    cost: float | None
    ws: float | None
    ws_status: str
    ws_now: tuple[ModuleKey, ...]
    added: tuple[ModuleKey, ...]
    lost: tuple[ModuleKey, ...]
    plan: Plan | None


@dataclass(frozen=True)
class Posture:
    """The posture's result: ``status`` of the RP solve, RP (``objective``), WS, EVPI,
    VSS, the modules built ``now``, one :class:`Case` per scenario, the regret table
    (rows: ``hedge`` then each scenario's own "now" choice; columns: each scenario,
    then ``expected``; None = no plan) and the scenarios without a plan per row."""

    scenario: Scenario
    status: str
    objective: float | None
    gap: float | None
    now: tuple[ModuleKey, ...] = ()
    now_cost: float | None = None
    cases: tuple[Case, ...] = ()
    regret: pd.DataFrame = field(default_factory=pd.DataFrame)
    no_plan: dict[str, list[str]] = field(default_factory=dict)
    diagnosis: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)

    @property
    def has_plan(self) -> bool:
        return self.objective is not None

    @property
    def ws(self) -> float | None:
        """WS = Σ p_ω·WS_ω (None when a WS_ω is missing)."""
        if any(c.ws is None for c in self.cases):
            return None
        return sum(c.probability * c.ws for c in self.cases)

    @property
    def evpi(self) -> float | None:
        """RP − WS: what knowing the future before building would be worth."""
        return None if self.ws is None or self.objective is None else self.objective - self.ws

    def ec(self, row: str) -> float:
        """EC of a regret row: the expected cost of building that "now" choice."""
        return float(self.regret.loc[row, "expected"])

    @property
    def vss(self) -> float | None:
        """min_ω′ EC_ω′ − RP: what hedging saves over planning for the one most
        convenient scenario (infinite when every such plan fails somewhere)."""
        if self.objective is None or not len(self.regret):
            return None
        rows = [r for r in self.regret.index if r != HEDGE]
        return min(self.ec(r) for r in rows) - self.objective

    @property
    def expected_later(self) -> float | None:
        """Σ p_ω·(cost in ω − now cost): the expected cost after the future is known."""
        if self.now_cost is None or any(c.cost is None for c in self.cases):
            return None
        return sum(c.probability * c.cost for c in self.cases) - self.now_cost


def solve_posture(scenario: Scenario, options: SolveOptions,
                  previous_plan: tuple[ModuleKey, ...] = (),
                  warnings: list[Issue] | tuple = ()) -> Posture:
    """The posture of ``scenario`` (which has Scenarios), SPEC §3.5 (module docstring)."""
    started = time.perf_counter()
    future = futures(scenario)
    notes = list(warnings)
    findings = [replace(issue, message=f"in scenario '{name}': {issue.message}")
                for name, network in future.cases.items()
                for issue in presolve_findings(network)]
    if findings:
        return Posture(scenario, "infeasible", None, None, diagnosis=findings, warnings=notes,
                       run={"total_seconds": time.perf_counter() - started})
    size = check_posture_memory(future.now, list(future.cases.values()),
                                options.memory_limit_mb)
    clock = time.perf_counter()
    model = build_posture_model(future, previous_plan)
    build_seconds = time.perf_counter() - clock
    log.info("posture: %d scenarios, %d variables, %d constraints (%.2f s)",
             len(future.cases), model.nvariables(), model.nconstraints(), build_seconds)
    session = Session(model, replace(options, strong_links="all"))
    try:
        result = _solve(session, model, future, options)
    finally:
        session.close()
    run = {**result.run, "scenarios": len(future.cases), "build_seconds": build_seconds,
           "variables": size.variables, "constraints": size.rows,
           "memory_estimate_mb": round(size.megabytes),
           "total_seconds": time.perf_counter() - started}
    return replace(result, warnings=notes, run=run)


class _Solves:
    """The solves of one posture, for the run record: (what, status, gap, seconds)."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str, float | None, float]] = []

    def add(self, what: str, outcome: SolveOutcome) -> SolveOutcome:
        self.log.append((what, outcome.status, outcome.gap, outcome.seconds))
        log.info("posture: %s %s, objective %s (%.2f s)", what, outcome.status,
                 "none" if outcome.objective is None else f"{outcome.objective:,.2f}",
                 outcome.seconds)
        return outcome

    def record(self) -> dict:
        unproven = [what for what, status, _, _ in self.log if status != "optimal"
                    and status != "infeasible"]
        return {"solves": len(self.log),
                "solve_seconds": sum(seconds for *_, seconds in self.log),
                "unproven_solves": ", ".join(unproven) or None,
                "solve_log": "; ".join(f"{what}: {status}"
                                       + ("" if gap is None else f" (gap {gap:.2%})")
                                       for what, status, gap, _ in self.log)}


def _solve(session: Session, model, future: Futures, options: SolveOptions) -> Posture:
    """WS_ω, the bets' rows of the regret table, RP from the best bet, the hedge row
    (module docstring)."""
    solves = _Solves()
    scenario = future.scenario
    names = future.names
    others = {name: _others(model, name) for name in names}
    ws: dict[str, tuple[float | None, str, tuple]] = {}
    for name in names:
        if stop_requested():
            break
        ws[name] = _wait_and_see(session, model, name, others[name], solves)
        if ws[name][0] is None:
            status = ws[name][1]
            return Posture(scenario, status, None, None, diagnosis=_no_posture(
                future, status, name), run=solves.record())
    cells: dict[str, dict[str, float | None]] = {}
    done: dict[tuple, dict[str, float | None]] = {}
    starts: dict[str, ComponentMap] = {}
    for row in ws:
        chosen = ws[row][2]
        if chosen in done:
            cells[row] = done[chosen]
            continue
        cells[row], start = {}, now_start(model, chosen)
        for name in names:
            if stop_requested():
                break
            cost, _, values = _cost_if(session, model, name, chosen, others[name], solves,
                                       f"{row} now, {name} happens", keep_plan=False)
            cells[row][name] = cost
            if values is not None:
                start.update(_values_of(_variables(model, name), values))
        done[chosen] = cells[row]
        if all(cells[row].get(n) is not None for n in names):
            starts[row] = start
    best = min(starts, key=lambda row: _expected(cells[row], future), default=None)
    # RP from the cheapest bet: a plan of the posture model (now fixed at the bet, each
    # scenario its re-optimised recourse), so RP ≤ min EC even when stopped early
    rp = solves.add("RP", session.solve(starts.get(best)))
    if not rp.has_plan:
        return Posture(scenario, rp.status, None, rp.gap,
                       diagnosis=_no_posture(future, rp.status), run=solves.record())
    rp_values = session.snapshot()
    hedge = tuple(built_now(model))
    now_cost = float(pyo.value(model.now_cost))
    plans: dict[str, Plan | None] = {}
    cells = {HEDGE: {}, **cells}
    for name in names:
        if stop_requested():
            break
        cost, plan, _ = _cost_if(session, model, name, hedge, others[name], solves,
                                 f"hedge now, {name} happens", keep_plan=True,
                                 start=rp_values)
        cells[HEDGE][name], plans[name] = cost, plan
    session.load(rp_values)
    regret = _regret_table(cells, future)
    cases = tuple(Case(
        name, future.probability[name], cells[HEDGE].get(name),
        ws.get(name, (None, "not solved", ()))[0], ws.get(name, (None, "not solved", ()))[1],
        ws.get(name, (None, "not solved", ()))[2],
        _added(plans.get(name), hedge), tuple(m for m in hedge if m[0] in future.lost(name)),
        plans.get(name)) for name in names)
    no_plan = {row: [n for n in names if cells[row].get(n) is None] for row in cells}
    return Posture(scenario, rp.status, float(rp.objective), rp.gap, hedge, now_cost, cases,
                   regret, {row: miss for row, miss in no_plan.items() if miss},
                   run=solves.record())


def _expected(costs: dict[str, float | None], future: Futures) -> float:
    """Σ_ω p_ω·cost; inf when a scenario has no plan."""
    if any(costs.get(name) is None for name in future.names):
        return math.inf
    return sum(future.probability[name] * costs[name] for name in future.names)


def _others(model, name: str) -> list:
    """The rows that tie scenario ``name`` to the others: every other scenario's posture
    links and constraints. Dropped, ``name`` is alone with stage 1, and the other
    blocks' variables (no cost in its objective) are left free to HiGHS's presolve."""
    rows = [con for (w, *_), con in model.posture_link_module.items() if w != name]
    rows += [con for (w, _), con in model.posture_link_site.items() if w != name]
    rows += [con for w in model.W if w != name
             for con in model.scenario[w].component_data_objects(pyo.Constraint,
                                                                   active=True)]
    return rows


def _variables(model, name: str) -> list:
    return list(model.scenario[name].component_data_objects(pyo.Var))


def _wait_and_see(session: Session, model, name: str, others: list, solves: _Solves):
    """WS_ω: (objective, status, what it builds now) of scenario ``name`` alone."""
    with session.dropped(others), \
            session.objective(model.now_cost + model.recourse_cost[name]
                              + model.stability_cost):
        outcome = solves.add(f"WS {name}", session.solve())
        chosen = tuple(built_now(model)) if outcome.has_plan else ()
    return (float(outcome.objective) if outcome.has_plan else None, outcome.status, chosen)


def _cost_if(session: Session, model, name: str, chosen, others: list, solves: _Solves,
             what: str, keep_plan: bool, start=None):
    """The cost if scenario ``name`` happens after building ``chosen`` now, with its
    recourse re-optimised and the other scenarios dropped (:func:`_others`): (cost or
    None when there is no plan, with ``keep_plan`` that plan, the solution's
    snapshot)."""
    with session.dropped(others), session.fixed(now_start(model, chosen)), \
            session.objective(model.scenario_cost[name] + model.stability_cost):
        outcome = solves.add(what, session.solve(start))
        if not outcome.has_plan:
            return None, None, None
        cost = float(outcome.objective)
        values = session.snapshot()
        if not keep_plan:
            return cost, None, values
        block = model.scenario[name]
        plan = extract_plan(block, block.network, replace(outcome, objective=cost))
        if block.network.scenario.contributors:
            plan = share_burden(plan, block.network)
        return cost, plan, values


def _values_of(variables, values) -> ComponentMap:
    """``variables`` → their value in the snapshot ``values`` (those it holds)."""
    return ComponentMap((v, values[v]) for v in variables if v in values)


def _added(plan: Plan | None, now: tuple[ModuleKey, ...]) -> tuple[ModuleKey, ...]:
    """Modules the scenario's plan opens beyond what was built now."""
    if plan is None:
        return ()
    opened = set(zip(plan.hubs["site_id"], plan.hubs["service"], plan.hubs["size"]))
    return tuple(sorted(opened - set(now)))


def _regret_table(cells: dict[str, dict[str, float | None]], future: Futures) -> pd.DataFrame:
    """Rows: the "now" choices; columns: each scenario's cost, then ``expected``
    (Σ p_ω·cost; inf when some scenario with p_ω > 0 has no plan, or any has none)."""
    rows = []
    for row, by_name in cells.items():
        values = [by_name.get(name) for name in future.names]
        if any(v is None for v in values):
            expected = math.inf
        else:
            expected = sum(future.probability[n] * v for n, v in zip(future.names, values))
        rows.append([row, *values, expected])
    return pd.DataFrame(rows, columns=["now", *future.names, "expected"]).set_index("now")


def _no_posture(future: Futures, status: str, name: str | None = None) -> list[Issue]:
    """Why the posture has no plan (every scenario passed the pre-solve checks):
    scenario ``name`` alone has none, or the scenarios together have none."""
    if status == "infeasible" and name is not None:
        return [Issue("error", "Scenarios",
                      f"in scenario '{name}': no plan meets its constraints, whatever is "
                      "built now, though it passes the checks that need no model.",
                      f"Solve it alone (hubopt solve FILE --scenario {name}) for its "
                      "diagnosis: what to change so that it has a plan.")]
    if status == "infeasible":
        return [Issue("error", "Scenarios",
                      "no plan meets every scenario's constraints together, though each "
                      "scenario has one alone.",
                      "Solve each scenario alone (hubopt solve FILE --scenario NAME) and "
                      "compare what each must build at its existing hubs (status open).")]
    where = f" for scenario '{name}' alone" if name else ""
    return [Issue("error", "Scenarios", f"no plan was found{where} ({status}).",
                  "Raise --time-limit, or solve each scenario alone with --scenario NAME.")]
