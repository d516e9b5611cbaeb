"""The Python API: read a workbook, solve a scenario, write the result.

The CLI is a thin shell over these functions::

    import hubopt
    scenario = hubopt.read_scenario("inputs/example.xlsx", overrides={"ceasefire": "yes"})
    plan = hubopt.solve(scenario)
    plan.hubs, plan.flows, plan.summary["total_cost"]
    hubopt.write_result(plan, "outputs/example_result.xlsx")
    short = hubopt.alternatives(scenario, n=4, slack=0.05)   # SPEC §3.6
    [a.objective for a in short.plans]
    hedge = hubopt.posture(hubopt.read_scenario("inputs/posture.xlsx"))   # SPEC §3.5
    hedge.now, hedge.objective, hedge.evpi, hedge.vss
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from .errors import Issue
from .inputs.guard import Limits
from .inputs.instance import Scenario
from .inputs.reader import read_workbook
from .inputs.validate import Validated, validate
from .model.build import build_model, constraint_count, start_values
from .model.checks import presolve_findings
from .model.network import ModuleKey, Network, build_network
from .outputs.previous import PreviousPlan
from .outputs.record import run_record
from .outputs.results import Plan, empty_summary, extract_plan
from .solver.guard import stop_requested
from .solver.highs_log import search_milestones
from .solver.outcome import STOP_REASONS, SolveOutcome
from .solver.session import Session, SolveOptions, open_session
from .solver.sizing import DEFAULT_MEMORY_BUDGET_MB, check_memory_budget, check_posture_memory
from .studies.alternatives import ShortList, alternatives
from .studies.burden import share_burden
from .studies.changes import plan_changes
from .studies.diagnosis import diagnose
from .studies.posture import Posture, solve_posture
from .studies.stress import resilience_table, stress_test

log = logging.getLogger("hubopt")


def load_scenario(path: str | Path, overrides: Mapping[str, str] | None = None,
                  limits: Limits | None = None) -> Validated:
    """Read and validate a workbook: the scenario and the warnings found.

    ``limits`` caps the input file (:class:`hubopt.guard.Limits`; default 50 MB,
    500 MB unpacked). Raises :class:`hubopt.errors.InputError` listing every error.
    """
    start = time.perf_counter()
    raw = read_workbook(path, limits)
    log.info("read: %s, %d sheet(s) (%.2f s)", Path(path).name, len(raw.tables),
             time.perf_counter() - start)
    start = time.perf_counter()
    validated = validate(raw, overrides)
    scenario = validated.scenario
    log.info("validate: %d sites, %d modules, %d sectors, %d demand rows, %d warning(s) (%.2f s)",
             len(scenario.sites), len(scenario.hub_options), len(scenario.sectors),
             len(scenario.demand), len(validated.warnings), time.perf_counter() - start)
    return validated


def read_scenario(path: str | Path, overrides: Mapping[str, str] | None = None,
                  limits: Limits | None = None) -> Scenario:
    """Read and validate a workbook into a :class:`Scenario` (warnings are logged)."""
    validated = load_scenario(path, overrides, limits)
    for warning in validated.warnings:
        log.warning("%s", warning)
    return validated.scenario


def solve(scenario: Scenario, *, time_limit: float | None = None, mip_gap: float | None = None,
          threads: int | None = None, verbose: bool = False,
          previous_plan: PreviousPlan | Iterable[ModuleKey] = (), mip_start: bool = True,
          warnings: Iterable[Issue] = (),
          memory_budget_mb: float | None = DEFAULT_MEMORY_BUDGET_MB,
          stress: bool = True, strong_links: str | int = "auto",
          loss_cases: str = "lazy") -> Plan:
    """Find the cheapest plan for ``scenario`` (SPEC §3).

    Options left as None take the scenario's Settings. ``memory_budget_mb`` caps
    memory twice (None: no cap): a model whose estimate (:mod:`hubopt.solver.sizing`)
    exceeds it is refused with InputError before it is built, and while HiGHS runs
    the process's resident memory is watched and the solve stopped past it
    (:mod:`hubopt.solver.guard`), keeping the best plan found. The returned Plan's
    ``status`` is ``optimal``, ``time_limit``, ``memory_limit`` or ``interrupted``
    (Ctrl-C or SIGTERM) with a plan not proven optimal, ``infeasible``
    (``plan.diagnosis`` says why, from the pre-solve checks or the elastic re-solve
    of §3.4, whose relaxed plan fills the tables) or ``no_solution``. A plan gets its
    stress test (``plan.stress``) unless ``stress`` is False or the solve was
    stopped; with resilience > 0 also ``plan.resilience``, which compares it with the
    plan solved without resilience (same options).

    ``previous_plan`` (a :class:`PreviousPlan` from :func:`read_previous_plan`,
    or the open modules as (site_id, service, size)) prices changes with
    stability_penalty, is handed to HiGHS as a MIP start (unless ``mip_start``
    is false; ``plan.run["mip_start"]`` says whether HiGHS accepted it) and
    gives ``plan.changes``, the Changes sheet (§3.3).

    ``strong_links`` says which ``strong_link`` rows HiGHS gets (``auto``: a
    selection on large models, :mod:`hubopt.solver.rows`; ``all``; or a number of
    arcs per demand row); the optimum is the same either way. ``loss_cases`` (with
    resilience > 0): ``lazy`` adds only the loss cases that bind, round by round
    (:mod:`hubopt.solver.losses`; ``plan.run`` says how many rounds and which cases),
    ``full`` builds every one up front; the optimum is the same either way.
    """
    previous = previous_plan if isinstance(previous_plan, PreviousPlan) \
        else PreviousPlan.of_modules(previous_plan)
    options = SolveOptions.of(scenario.settings, time_limit=time_limit, mip_gap=mip_gap,
                              threads=threads, verbose=verbose,
                              memory_limit_mb=memory_budget_mb, strong_links=strong_links,
                              loss_cases=loss_cases)
    started = time.perf_counter()
    network = build_network(scenario)
    timings = {"network_seconds": time.perf_counter() - started,
               "time_limit_seconds": options.time_limit,
               "mip_gap_requested": options.mip_gap, "threads": options.threads,
               "memory_limit_mb": options.memory_limit_mb}
    notes = list(warnings) + network.notes
    for note in network.notes:
        log.info("%s", note)
    findings = presolve_findings(network)
    if findings:
        log.info("checks: %d reason(s) why no plan can exist, found before solving",
                 len(findings))
        plan = Plan(scenario, "infeasible", empty_summary(scenario, "infeasible"),
                    diagnosis=findings, warnings=notes)
        return _finish(plan, started, timings)
    session, outcome, timings = _solve_once(network, previous, options, mip_start, timings)
    try:
        plan = _plan_of(session, network, outcome, previous, options, timings)
    finally:
        session.close()
    plan = replace(plan, warnings=notes)
    if plan.has_plan:
        plan = _studies(plan, network, previous, options, stress)
    return _finish(plan, started, timings)


def _solve_once(network: Network, previous: PreviousPlan, options: SolveOptions,
                mip_start: bool, timings: dict):
    """Build, hand over and solve: the session, the outcome and the run record so far."""
    session, _, build_seconds = open_session(network, previous.keys, options)
    model = session.model
    variables, constraints = model.nvariables(), constraint_count(model)   # each walks the model
    log.info("build: %d variables, %d constraints from %d arcs (%.2f s)",
             variables, constraints, len(network.arcs), build_seconds)
    start = start_values(model, network, previous.keys) if previous.keys and mip_start \
        else None
    outcome = session.solve(start)
    if outcome.start is not None:
        log.info("start: previous plan %s", outcome.start)
    log.info("solve: %s, objective %s, gap %s (%.2f s)", outcome.status,
             _fmt(outcome.objective), _fmt_gap(outcome.gap), outcome.seconds)
    if outcome.stopped_by is not None:
        log.warning("solve: stopped (%s) after %.1f s, resident memory peak %.0f MB; %s",
                    outcome.stopped_by, outcome.seconds, outcome.peak_memory_mb or 0.0,
                    "the best plan found is kept" if outcome.has_plan
                    else "no plan had been found")
    timings = {**timings, "build_seconds": build_seconds, "solve_seconds": outcome.seconds,
               "highs_seconds": outcome.highs_seconds, "variables": variables,
               "constraints": constraints, "arcs": len(network.arcs),
               "peak_memory_mb": outcome.peak_memory_mb, "stopped_by": outcome.stopped_by}
    if outcome.links is not None:
        timings.update(outcome.links.as_run_record())
    if session.losses is not None:
        timings.update(session.losses.as_run_record(model))
    elif network.scenario.settings.resilience > 0:
        timings.update(loss_cases="full", loss_cases_in_model=len(model.loss_cases))
    if outcome.highs_options:
        timings["highs_options"] = outcome.highs_options
    milestones = search_milestones(outcome.log)
    if milestones.nodes is not None:     # HiGHS printed its branch-and-cut table
        timings.update(milestones.as_run_record())
    if previous.keys:
        timings.update(previous_plan=previous.source or None, previous_sha256=previous.sha256,
                       previous_modules=len(previous.keys),
                       mip_start=str(outcome.start) if outcome.start else "not used")
    return session, outcome, timings


def _plan_of(session: Session, network: Network, outcome: SolveOutcome,
             previous: PreviousPlan, options: SolveOptions, timings: dict) -> Plan:
    """The plan read from the solved model; the diagnosis when there is none."""
    scenario = network.scenario
    if outcome.has_plan:
        clock = time.perf_counter()
        plan = extract_plan(session.model, network, outcome)
        timings["extract_seconds"] = time.perf_counter() - clock
        if scenario.contributors:
            clock = time.perf_counter()
            plan = share_burden(plan, network)
            timings["burden_seconds"] = time.perf_counter() - clock
        return plan
    if outcome.status == "infeasible":
        session.close()      # the diagnosis builds a model of its own
        plan = diagnose(network, previous.keys, options)
        log.info("diagnose: %d change(s) would make a plan possible", len(plan.diagnosis))
        return plan
    summary = {**empty_summary(scenario, outcome.status), "solve_seconds": outcome.seconds}
    return Plan(scenario, outcome.status, summary)


def _studies(plan: Plan, network: Network, previous: PreviousPlan, options: SolveOptions,
             stress: bool) -> Plan:
    """The stress test, the resilience effect and the changes against the previous plan;
    the stress studies are skipped when the solve was stopped (memory, Ctrl-C, SIGTERM)."""
    extra: dict = {}
    stopped = plan.status in STOP_REASONS or stop_requested()
    if stress and not stopped:
        start = time.perf_counter()
        extra["stress"] = stress_test(plan, network, time_limit=options.time_limit)
        log.info("stress: %d loss(es) of open sites tried in turn (%.2f s)",
                 len(extra["stress"]), time.perf_counter() - start)
        if network.scenario.settings.resilience > 0 and not stop_requested():
            extra["resilience"] = _resilience_effect(plan, extra["stress"], previous, options)
    elif stress:
        log.warning("stress: not run, the solve was stopped (%s)", plan.status)
    if previous.keys:
        extra["changes"] = plan_changes(previous, plan)
    return replace(plan, **extra) if extra else plan


def _resilience_effect(plan: Plan, stress, previous: PreviousPlan, options: SolveOptions):
    """Solve once more without resilience, with the same options, and stress that plan:
    per site, the demand that would go unserved without the resilience constraint (§3.2)."""
    base = solve(plan.scenario.with_settings(resilience=0.0), time_limit=options.time_limit,
                 mip_gap=options.mip_gap, threads=options.threads, verbose=options.verbose,
                 previous_plan=previous, memory_budget_mb=options.memory_limit_mb,
                 strong_links=options.strong_links)
    planned = replace(plan, stress=stress)
    if not base.has_plan:
        return resilience_table(planned, None)
    log.info("resilience: the plan costs %s more than without resilience",
             _fmt(plan.summary["total_cost"] - base.summary["total_cost"]))
    return resilience_table(planned, base)


def _finish(plan: Plan, started: float, timings: dict) -> Plan:
    summary = {**plan.summary, "total_seconds": time.perf_counter() - started}
    return replace(plan, summary=summary, run=run_record(plan.scenario, timings))


def _fmt(value: float | None) -> str:
    return "none" if value is None else f"{value:,.2f}"


def _fmt_gap(value: float | None) -> str:
    return "none" if value is None else f"{value:.4%}"


def posture(scenario: Scenario, *, time_limit: float | None = None,
            mip_gap: float | None = None, threads: int | None = None, verbose: bool = False,
            previous_plan: PreviousPlan | Iterable[ModuleKey] = (),
            warnings: Iterable[Issue] = (),
            memory_budget_mb: float | None = DEFAULT_MEMORY_BUDGET_MB) -> Posture:
    """What to build now across the scenario's Scenarios (SPEC §3.5): the posture (RP),
    each scenario's own optimum (WS_ω), the regret table, EVPI and VSS
    (:mod:`hubopt.studies.posture`). Options as for :func:`solve`; ``time_limit`` is
    per solve (the posture makes 1 + |Ω| + |Ω|·(|Ω| + 1) of them at most)."""
    if not scenario.scenarios:
        raise ValueError("posture needs a scenario with Scenarios rows (SPEC §2.11)")
    previous = previous_plan if isinstance(previous_plan, PreviousPlan) \
        else PreviousPlan.of_modules(previous_plan)
    options = SolveOptions.of(scenario.settings, time_limit=time_limit, mip_gap=mip_gap,
                              threads=threads, verbose=verbose,
                              memory_limit_mb=memory_budget_mb)
    result = solve_posture(scenario, options, tuple(previous.keys), list(warnings))
    return replace(result, run=run_record(scenario, {
        **result.run, "time_limit_seconds": options.time_limit,
        "mip_gap_requested": options.mip_gap,
        **({"previous_plan": previous.source, "previous_modules": len(previous.keys)}
           if previous.keys else {})}))


def scenario_named(scenario: Scenario, name: str) -> Scenario:
    """One row of the Scenarios sheet as a plain scenario (``solve --scenario NAME``):
    its ceasefire, quantities and lost sites (:func:`hubopt.model.posture.scenario_alone`).
    UsageError naming the scenarios there are when ``name`` is not one."""
    from .errors import UsageError
    from .model.posture import scenario_alone

    for case in scenario.scenarios:
        if case.scenario == name:
            return scenario_alone(scenario, case)
    known = ", ".join(c.scenario for c in scenario.scenarios) or "none (no Scenarios rows)"
    raise UsageError(f"--scenario {name}: no such scenario in the Scenarios sheet; "
                     f"there are: {known}.")


def write_lp(scenario: Scenario, path: str | Path,
             previous_plan: Iterable[ModuleKey] = (),
             memory_budget_mb: float | None = DEFAULT_MEMORY_BUDGET_MB, *,
             elastic: bool = False) -> Path:
    """Write the scenario's model as a CPLEX LP file with readable names
    (e.g. ``capacity(A_goods)``), for review and for other solvers; with
    ``elastic`` the elastic model of the diagnosis (SPEC §3.4). A scenario with
    Scenarios gets the posture model of SPEC §3.5."""
    path = Path(path)
    if scenario.scenarios and not elastic:
        from .model.posture import build_posture_model, futures
        future = futures(scenario)
        check_posture_memory(future.now, list(future.cases.values()), memory_budget_mb)
        model = build_posture_model(future, previous_plan)
        model.write(str(path), io_options={"symbolic_solver_labels": True})
        return path
    network = build_network(scenario)
    check_memory_budget(network, memory_budget_mb)
    model = build_model(network, previous_plan, elastic=elastic)
    model.write(str(path), io_options={"symbolic_solver_labels": True})
    return path


__all__ = ["Posture", "ShortList", "alternatives", "load_scenario", "posture", "read_scenario",
           "scenario_named", "solve", "write_lp"]
