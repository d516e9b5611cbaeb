"""The Python API: read a workbook, solve a scenario, write the result.

The CLI is a thin shell over these functions::

    import hubopt
    scenario = hubopt.read_scenario("inputs/example.xlsx", overrides={"ceasefire": "yes"})
    plan = hubopt.solve(scenario)
    plan.hubs, plan.flows, plan.summary["total_cost"]
    hubopt.write_result(plan, "outputs/example_result.xlsx")
"""

from __future__ import annotations

import logging
import platform
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .errors import Issue
from .inputs.guard import Limits
from .inputs.instance import Scenario
from .inputs.reader import read_workbook
from .inputs.validate import Validated, validate
from .model.build import build_model, constraint_count, start_values
from .model.checks import presolve_findings
from .model.network import ModuleKey, build_network
from .outputs.previous import PreviousPlan
from .outputs.results import Plan, empty_summary, extract_plan
from .solver.highs_log import search_milestones
from .solver.outcome import selects_strong_links, solve_model
from .solver.sizing import DEFAULT_MEMORY_BUDGET_MB, check_memory_budget
from .studies.changes import plan_changes
from .studies.diagnosis import diagnose
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
          stress: bool = True, handoff: str = "direct",
          strong_links: str | int = "auto") -> Plan:
    """Find the cheapest plan for ``scenario`` (SPEC §3).

    Options left as None take the scenario's Settings. A model whose estimated
    memory (:mod:`hubopt.sizing`) exceeds ``memory_budget_mb`` is refused with
    InputError before it is built (None: no budget). The returned Plan's
    ``status`` is ``optimal``, ``time_limit`` (a plan, not proven optimal),
    ``infeasible`` (``plan.diagnosis`` says why, from the pre-solve checks or
    the elastic re-solve of §3.4, whose relaxed plan fills the tables) or
    ``no_solution``. A plan gets its stress test (``plan.stress``) unless
    ``stress`` is False; with resilience > 0 also ``plan.resilience``, which
    compares it with the plan solved without resilience.

    ``previous_plan`` (a :class:`PreviousPlan` from :func:`read_previous_plan`,
    or the open modules as (site_id, service, size)) prices changes with
    stability_penalty, is handed to HiGHS as a MIP start (unless ``mip_start``
    is false; ``plan.run["mip_start"]`` says whether HiGHS accepted it) and
    gives ``plan.changes``, the Changes sheet (§3.3).

    ``handoff`` selects how the main solve reaches HiGHS: ``direct`` (bulk
    matrix, the default) or ``pyomo`` (Pyomo's persistent interface, for
    comparison); see :func:`hubopt.solver.solve_model`. ``strong_links`` says
    which ``strong_link`` rows HiGHS gets on the direct path (``auto``: a
    selection on large models, :mod:`hubopt.strong_links`; ``all``; or a number
    of arcs per demand row); the optimum is the same either way.
    """
    previous = previous_plan if isinstance(previous_plan, PreviousPlan) \
        else PreviousPlan.of_modules(previous_plan)
    previous_plan = previous.keys
    started = time.perf_counter()
    settings = scenario.settings
    time_limit = settings.time_limit_seconds if time_limit is None else time_limit
    mip_gap = settings.mip_gap if mip_gap is None else mip_gap
    threads = settings.threads if threads is None else threads

    network = build_network(scenario)
    network_seconds = time.perf_counter() - started
    notes = list(warnings) + network.notes
    for note in network.notes:
        log.info("%s", note)
    findings = presolve_findings(network)
    if findings:
        log.info("checks: %d reason(s) why no plan can exist, found before solving",
                 len(findings))
        return _finish(Plan(scenario, "infeasible", empty_summary(scenario, "infeasible"),
                            diagnosis=findings, warnings=notes), started, {})

    as_arrays = handoff == "direct" and selects_strong_links(strong_links, len(network.arcs))
    size = check_memory_budget(network, memory_budget_mb, selected_links=as_arrays)
    log.debug("size: %d variables, %d constraints, %d nonzeros, about %.0f MB",
              size.variables, size.rows, size.nonzeros, size.megabytes)
    start = time.perf_counter()
    model = build_model(network, previous_plan, strong_link_as_arrays=as_arrays)
    build_seconds = time.perf_counter() - start
    variables, constraints = model.nvariables(), constraint_count(model)   # each walks the model
    log.info("build: %d variables, %d constraints from %d arcs (%.2f s)",
             variables, constraints, len(network.arcs), build_seconds)
    start = start_values(model, network, previous_plan) if previous_plan and mip_start else None
    outcome = solve_model(model, time_limit=time_limit, mip_gap=mip_gap, threads=threads,
                          verbose=verbose, start=start, handoff=handoff,
                          strong_links=strong_links)
    if outcome.start is not None:
        log.info("start: previous plan %s", outcome.start)
    log.info("solve: %s, objective %s, gap %s (%.2f s)", outcome.status,
             _fmt(outcome.objective), _fmt_gap(outcome.gap), outcome.seconds)
    timings = {"network_seconds": network_seconds, "build_seconds": build_seconds,
               "solve_seconds": outcome.seconds, "highs_seconds": outcome.highs_seconds,
               "time_limit_seconds": time_limit, "mip_gap_requested": mip_gap,
               "threads": threads, "variables": variables,
               "constraints": constraints, "arcs": len(network.arcs)}
    if outcome.links is not None:
        timings.update(outcome.links.as_run_record())
    if outcome.highs_options:
        timings["highs_options"] = outcome.highs_options
    milestones = search_milestones(outcome.log)
    if milestones.nodes is not None:     # HiGHS printed its branch-and-cut table
        timings.update(milestones.as_run_record())
    if previous_plan:
        timings.update(previous_plan=previous.source or None, previous_sha256=previous.sha256,
                       previous_modules=len(previous_plan),
                       mip_start=str(outcome.start) if outcome.start else "not used")
    if outcome.has_plan:
        clock = time.perf_counter()
        plan = extract_plan(model, network, outcome)
        timings["extract_seconds"] = time.perf_counter() - clock
        if stress:
            start = time.perf_counter()
            plan.stress = stress_test(plan, network, time_limit=time_limit)
            log.info("stress: lost each of %d open site(s) in turn (%.2f s)", len(plan.stress),
                     time.perf_counter() - start)
            if settings.resilience > 0:
                plan.resilience = _resilience_effect(plan, scenario, time_limit, mip_gap,
                                                     threads, previous_plan)
    elif outcome.status == "infeasible":
        plan = diagnose(network, previous_plan, time_limit=time_limit, mip_gap=mip_gap,
                        threads=threads, verbose=verbose)
        log.info("diagnose: %d change(s) would make a plan possible", len(plan.diagnosis))
    else:
        plan = Plan(scenario, outcome.status, empty_summary(scenario, outcome.status))
        plan.summary["solve_seconds"] = outcome.seconds
    plan.warnings = notes
    if previous_plan and plan.has_plan:
        plan.changes = plan_changes(previous, plan)
    return _finish(plan, started, timings)


def _resilience_effect(plan: Plan, scenario: Scenario, time_limit: float, mip_gap: float,
                       threads: int, previous_plan: list[ModuleKey]):
    """Solve once more without resilience and stress that plan: per site, the demand
    that would go unserved without the resilience constraint (§3.2)."""
    base = solve(scenario.with_settings(resilience=0.0), time_limit=time_limit,
                 mip_gap=mip_gap, threads=threads, previous_plan=previous_plan)
    if not base.has_plan:
        return resilience_table(plan, None)
    log.info("resilience: the plan costs %s more than without resilience",
             _fmt(plan.summary["total_cost"] - base.summary["total_cost"]))
    return resilience_table(plan, base)


def _finish(plan: Plan, started: float, timings: dict) -> Plan:
    plan.summary["total_seconds"] = time.perf_counter() - started
    plan.run = run_record(plan.scenario, timings)
    return plan


def run_record(scenario: Scenario, timings: dict) -> dict:
    """What produced a plan: input, versions, settings and timings (Inputs sheet)."""
    record = {
        "input_file": Path(scenario.source.path).name if scenario.source.path else None,
        "input_sha256": scenario.source.sha256,
        "hubopt_version": _version("hubopt"),
        "pyomo_version": _version("pyomo"),
        "highs_version": _version("highspy"),
        "python_version": platform.python_version(),
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    record.update(timings)
    return record


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def _fmt(value: float | None) -> str:
    return "none" if value is None else f"{value:,.2f}"


def _fmt_gap(value: float | None) -> str:
    return "none" if value is None else f"{value:.4%}"


def write_lp(scenario: Scenario, path: str | Path,
             previous_plan: Iterable[ModuleKey] = (),
             memory_budget_mb: float | None = DEFAULT_MEMORY_BUDGET_MB, *,
             elastic: bool = False) -> Path:
    """Write the scenario's model as a CPLEX LP file with readable names
    (e.g. ``capacity(A_goods)``), for review and for other solvers; with
    ``elastic`` the elastic model of the diagnosis (SPEC §3.4)."""
    path = Path(path)
    network = build_network(scenario)
    check_memory_budget(network, memory_budget_mb)
    model = build_model(network, previous_plan, elastic=elastic)
    model.write(str(path), io_options={"symbolic_solver_labels": True})
    return path
