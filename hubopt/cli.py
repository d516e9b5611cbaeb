"""The ``hubopt`` command line (SPEC §4): a thin shell over :mod:`hubopt.api`.

Logic lives elsewhere; this module parses options, sets up logging on stderr
and maps outcomes and typed errors to exit codes in one place:

0 a plan was written (also after a time limit with a feasible plan);
1 unexpected internal error; 2 usage error, also an output that cannot be
written (OutputError); 3 invalid input, also an input over a size limit;
4 no feasible plan exists (diagnosis written); 5 no plan within the time limit;
``batch`` only (SPEC §6): 6 some scenarios failed (the others were written),
75 another batch holds the output folder's lock.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import api
from .errors import (
    EXIT_BATCH_FAILED,
    EXIT_INFEASIBLE,
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_LOCKED,
    EXIT_NO_SOLUTION,
    EXIT_OK,
    EXIT_USAGE,
    STATUS_EXIT,
    HuboptError,
    InputError,
    Issue,
    UsageError,
)
from .inputs.guard import Limits
from .outputs.previous import read_previous_plan
from .outputs.results import Plan
from .solver.guard import clear_stop, stop_on_signals, stop_requested
from .solver.sizing import DEFAULT_MEMORY_BUDGET_MB

log = logging.getLogger("hubopt")


def _setup_logging(quiet: bool, verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("hubopt")
    root.handlers[:] = [handler]
    root.propagate = False
    root.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)


def _run(action: Callable[[], int], verbose: bool, *, solves: bool = False) -> None:
    """Run a command body and turn every outcome into its exit code. A command that
    ``solves`` in this process runs under the solve guard's signal handlers: Ctrl-C
    or SIGTERM stops the solve with the best plan found, which is still written
    (status ``interrupted``; SPEC §4)."""
    try:
        if solves:
            clear_stop()
            with stop_on_signals():
                code = action()
        else:
            code = action()
    except InputError as error:
        _print_issues(error.warnings)
        click.echo(str(error), err=True)
        code = EXIT_INPUT
    except UsageError as error:
        click.echo(f"Usage error: {error}", err=True)
        code = EXIT_USAGE
    except HuboptError as error:
        click.echo(f"Error: {error}", err=True)
        code = error.exit_code
    except (KeyboardInterrupt, click.exceptions.Exit, click.ClickException):
        raise
    except Exception as error:  # noqa: BLE001 - last line of defence: no bare traceback
        click.echo(f"Internal error: {type(error).__name__}: {error}", err=True)
        if verbose:
            click.echo(traceback.format_exc(), err=True)
        else:
            click.echo("Run again with -v for details, and report it with the input file.",
                       err=True)
        code = EXIT_INTERNAL
    sys.exit(code)


def _print_issues(issues: list[Issue], title: str | None = None) -> None:
    if not issues:
        return
    if title:
        click.echo(title, err=True)
    for issue in issues:
        label = {"warning": "warning", "info": "note"}.get(issue.severity, "error")
        click.echo(f"  {label}: {issue}", err=True)


def _parse_sets(pairs: tuple[str, ...]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set {pair!r}: expected key=value, e.g. --set ceasefire=yes")
        overrides[key.strip()] = value.strip()
    return overrides


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hubopt")
def main() -> None:
    """Plan coalition logistics hubs: where to open them, who staffs and funds
    them, and which sectors they serve, at least cost and resupply time."""


_FORCE = click.option("--force", is_flag=True,
                      help="Overwrite PATH if it exists (by default an existing file is kept).")


def _new_workbook_path(path: Path, force: bool) -> None:
    """UsageError (exit 2, nothing written) unless PATH ends in .xlsx and, without
    ``force``, does not exist yet: a filled workbook is never overwritten by mistake."""
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"{path}: an input workbook must end in .xlsx "
                         f"(e.g. {path.with_suffix('.xlsx').name}).")
    if path.exists() and not force:
        raise UsageError(f"{path} exists; nothing was written. Choose another name, or add "
                         "--force to overwrite it.")


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@_FORCE
def template(path: Path, force: bool) -> None:
    """Write an empty input workbook to PATH (.xlsx; an existing file only with --force)."""
    def action() -> int:
        from .inputs.template import write_input_workbook
        _new_workbook_path(path, force)
        write_input_workbook(path)
        click.echo(f"Wrote the input template to {path}")
        return EXIT_OK
    _run(action, verbose=False)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@_FORCE
@click.option("--scenarios", is_flag=True,
              help="With three scenarios (a ceasefire, none, none with the Rzeszów hub "
                   "struck): solving it gives the posture, what to build now.")
def example(path: Path, force: bool, scenarios: bool) -> None:
    """Write the bundled example scenario to PATH (.xlsx; an existing file only with
    --force)."""
    def action() -> int:
        _new_workbook_path(path, force)
        _write_example(path, scenarios)
        click.echo(f"Wrote the example scenario{' with three scenarios' if scenarios else ''}"
                   f" to {path}")
        return EXIT_OK
    _run(action, verbose=False)


def _write_example(path: Path, scenarios: bool = False) -> None:
    from .inputs.example import example_posture_scenario, example_scenario
    from .inputs.template import write_input_workbook
    write_input_workbook(path, example_posture_scenario() if scenarios else example_scenario())


_MAX_MEMORY_MB = click.option(
    "--max-memory-mb", type=click.FloatRange(min=0, min_open=True), metavar="MB",
    default=DEFAULT_MEMORY_BUDGET_MB, show_default=True,
    help="Memory limit: a model estimated to need more is refused before it is built, "
         "and a solve whose resident memory passes it stops with the best plan found "
         "(status memory_limit).")
_MAX_INPUT_MB = click.option(
    "--max-input-mb", type=click.FloatRange(min=0, min_open=True), metavar="MB",
    help="Largest input file accepted, in MB; it may unpack to 10 times that "
         "[default: 50]. Raise it for genuinely large workbooks.")


def _limits(max_input_mb: float | None) -> Limits | None:
    return None if max_input_mb is None else Limits.for_input_mb(max_input_mb)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a Settings key (repeatable).")
@_MAX_INPUT_MB
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
@click.option("-v", "--verbose", is_flag=True, help="More detail.")
def validate(file: Path, sets: tuple[str, ...], max_input_mb: float | None, quiet: bool,
             verbose: bool) -> None:
    """Check the workbook FILE and list its warnings and errors.

    Exit 0 when it is valid, 3 when it has errors, 4 when it is well formed
    but a pre-solve check proves that no plan can exist.
    """
    _setup_logging(quiet, verbose)

    def action() -> int:
        from .model.checks import presolve_findings
        from .model.network import build_network

        validated = api.load_scenario(file, _parse_sets(sets), _limits(max_input_mb))
        network = build_network(validated.scenario)
        _print_issues(validated.warnings + network.notes, "Warnings and notes:")
        findings = presolve_findings(network)
        if findings:
            _print_issues(findings, "No plan can exist:")
            return EXIT_INFEASIBLE
        click.echo(f"{file}: valid ({len(validated.warnings)} warning(s)); "
                   f"{len(network.sites)} usable sites, {len(network.demand)} demand rows, "
                   f"{len(network.arcs)} usable links.")
        return EXIT_OK
    _run(action, verbose)


@main.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Result workbook [default: outputs/<input name>_result.xlsx].")
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary as one JSON object on stdout, nothing else.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Solver wall-clock limit (overrides Settings time_limit_seconds).")
@click.option("--mip-gap", type=click.FloatRange(min=0), metavar="GAP",
              help="Relative optimality gap (overrides Settings mip_gap).")
@click.option("--previous", type=click.Path(dir_okay=False, path_type=Path),
              metavar="RESULT.xlsx",
              help="An earlier result workbook: its plan is priced by stability_penalty, "
                   "used as the MIP start, and compared in a Changes sheet.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a Settings key (repeatable), e.g. --set ceasefire=yes.")
@click.option("--explain", is_flag=True,
              help="Add an Explain sheet: cost and time without each open site, with the "
                   "nearest closed sites forced open, and with each contributor cap raised.")
@click.option("--explain-time", type=click.FloatRange(min=0, min_open=True), default=60.0,
              show_default=True, metavar="SECONDS", help="Time budget for all --explain re-solves.")
@click.option("--explain-candidates", type=click.IntRange(min=0), default=3, show_default=True,
              help="Closed sites forced open by --explain.")
@click.option("--loss-cases", type=click.Choice(["lazy", "full"]), default="lazy",
              show_default=True,
              help="With Settings resilience: add only the loss cases the plan needs, round "
                   "by round (lazy), or build every one up front (full; same plan, slower).")
@click.option("--scenario", "scenario_name", metavar="NAME",
              help="With a Scenarios sheet: solve this scenario alone as a plain plan "
                   "(its ceasefire, demand and lost sites) instead of the posture.")
@_MAX_INPUT_MB
@_MAX_MEMORY_MB
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
@click.option("-v", "--verbose", is_flag=True, help="Solver output and details on stderr.")
def solve(file: Path | None, output: Path | None, as_json: bool, time_limit: float | None,
          mip_gap: float | None, previous: Path | None, sets: tuple[str, ...], explain: bool,
          explain_time: float, explain_candidates: int, loss_cases: str,
          scenario_name: str | None, max_input_mb: float | None, max_memory_mb: float,
          quiet: bool, verbose: bool) -> None:
    """Validate and solve FILE and write the result workbook.

    Without FILE the bundled example scenario is solved. With a Scenarios sheet the
    posture across its scenarios is solved (SPEC §3.5): what to build now, what
    each scenario adds, and what hedging is worth (--scenario NAME: one alone).
    """
    _setup_logging(quiet, verbose)

    def action() -> int:
        overrides = _parse_sets(sets)
        if file is None:
            with tempfile.TemporaryDirectory() as folder:
                bundled = Path(folder) / "example.xlsx"
                _write_example(bundled)
                validated = api.load_scenario(bundled, overrides)
        else:
            validated = api.load_scenario(file, overrides, _limits(max_input_mb))
        target = output or Path("outputs") / f"{(file or Path('example.xlsx')).stem}_result.xlsx"
        if file is not None and target.resolve() == file.resolve():
            raise UsageError(f"-o {target}: that is the input file; choose another output path.")
        _print_issues(validated.warnings, f"{len(validated.warnings)} warning(s) in the input; "
                      "each may change the plan:")
        previous_plan = read_previous_plan(previous) if previous is not None else ()
        scenario = validated.scenario
        if scenario_name is not None:
            scenario = api.scenario_named(scenario, scenario_name)
        elif scenario.scenarios:
            if explain:
                raise UsageError("--explain explains one plan: add --scenario NAME to "
                                 "explain one scenario's plan.")
            return _solve_posture(scenario, target, as_json, time_limit, mip_gap, verbose,
                                  previous_plan, validated.warnings, max_memory_mb)
        plan = api.solve(scenario, time_limit=time_limit, mip_gap=mip_gap,
                         verbose=verbose, previous_plan=previous_plan,
                         warnings=validated.warnings, memory_budget_mb=max_memory_mb,
                         loss_cases=loss_cases)
        extra = {}
        if explain and plan.has_plan and not stop_requested():
            from .studies.explain import explain as explain_plan
            from .studies.explain import findings_first
            extra["Explain"] = findings_first(explain_plan(
                plan, time_budget=explain_time, candidates=explain_candidates,
                mip_gap=mip_gap, previous_plan=getattr(previous_plan, "keys", ()),
                memory_budget_mb=max_memory_mb))
        if plan.has_plan or plan.status == "infeasible":
            from .outputs.writer import write_result
            write_result(plan, target, extra_tables=extra)
            plan = plan.written_to(target)
            log.info("write: %s%s", target, " (with Explain)" if extra else "")
        _report(plan, as_json)
        if "Explain" in extra and not as_json:
            from .studies.explain import summary_lines
            click.echo("Explain (what each question changes against this plan):")
            for line in summary_lines(extra["Explain"]):
                click.echo(f"  {line}")
        return STATUS_EXIT[plan.status]
    _run(action, verbose, solves=True)


def _solve_posture(scenario, target: Path, as_json: bool, time_limit: float | None,
                   mip_gap: float | None, verbose: bool, previous_plan, warnings,
                   max_memory_mb: float) -> int:
    """``solve`` with a Scenarios sheet: the posture, its workbook and its report."""
    from .studies.posture_book import best_bet, module_text, posture_json, write_posture

    posture = api.posture(scenario, time_limit=time_limit, mip_gap=mip_gap, verbose=verbose,
                          previous_plan=previous_plan, warnings=warnings,
                          memory_budget_mb=max_memory_mb)
    if posture.has_plan or posture.status == "infeasible":
        write_posture(posture, target)
        log.info("write: %s", target)
    if as_json:
        click.echo(json.dumps(posture_json(posture, target)))
    if posture.diagnosis:
        click.echo("No posture holds in every scenario:", err=True)
        for number, issue in enumerate(posture.diagnosis[:SHOWN_FINDINGS], start=1):
            click.echo(f"  {number}. {issue}", err=True)
    if not posture.has_plan:
        if not as_json:
            click.echo(f"{scenario.name}: no posture ({posture.status})"
                       + (f"; diagnosis written to {target}" if posture.diagnosis else ""))
        return EXIT_INFEASIBLE if posture.status == "infeasible" else EXIT_NO_SOLUTION
    if not as_json:
        note = "" if posture.status == "optimal" else \
            f" ({_STOPPED.get(posture.status, posture.status)}, gap {posture.gap:.2%})"
        click.echo(f"{scenario.name}: posture over {len(posture.cases)} scenarios, "
                   f"{posture.status}{note}")
        click.echo(f"  build now: {module_text(posture.now) or 'nothing'} "
                   f"({posture.now_cost:,.0f} a year)")
        click.echo(f"  expected cost {posture.objective:,.0f}; knowing the future would save "
                   f"at most {posture.evpi:,.0f} (EVPI)" if posture.evpi is not None else
                   f"  expected cost {posture.objective:,.0f}")
        vss, bet = posture.vss, best_bet(posture)
        if vss is not None and math.isfinite(vss):
            click.echo(f"  hedging saves {vss:,.0f} a year against the best single bet, "
                       f"building now for '{bet}' (VSS)")
        elif vss is not None:
            click.echo("  every single-scenario bet leaves some scenario without a plan: "
                       "only the hedge holds in all of them")
        for case in posture.cases:
            cost = "no plan" if case.cost is None else f"{case.cost:,.0f}"
            click.echo(f"  if {case.name} (p {case.probability:.0%}): {cost}, adds "
                       f"{len(case.added)} module(s)"
                       + (f", loses {len(case.lost)} built now" if case.lost else ""))
        if posture.run.get("unproven_solves"):
            click.echo(f"  not proven within the time limit: {posture.run['unproven_solves']}")
        click.echo(f"  result: {target}")
    return EXIT_OK


def _report(plan: Plan, as_json: bool) -> None:
    if as_json:
        record = {k: _json_value(v) for k, v in plan.summary.items()}
        record["stress"] = [{k: _json_value(v) for k, v in row.items()}
                            for row in plan.stress.to_dict(orient="records")]
        click.echo(json.dumps(record))
    if plan.diagnosis:
        _print_diagnosis(plan)
    if as_json:
        return
    s = plan.summary
    if plan.has_plan:
        note = ""
        if plan.status != "optimal":
            gap = f", gap {s['mip_gap']:.2%}" if s["mip_gap"] is not None else ""
            note = f" ({_STOPPED[plan.status]}: feasible{gap})"
        click.echo(f"{s['scenario']}: {plan.status}{note}")
        click.echo(f"  total cost {s['total_cost']:,.0f} (hubs {s['hub_cost']:,.0f}, "
                   f"transport {s['transport_cost']:,.0f}); objective {s['objective']:,.0f}")
        click.echo(f"  {s['open_sites']} sites, {s['open_modules']} modules, "
                   f"{s['staff_required']:,.0f} staff; resupply avg {s['avg_hours']:.1f} h, "
                   f"max {s['max_hours']:.1f} h")
        click.echo(f"  result: {s['output']}")
    elif plan.status == "infeasible":
        what = "relaxed plan (NOT feasible) and diagnosis" if plan.relaxed else "diagnosis"
        click.echo(f"{s['scenario']}: infeasible; {what} written to {s['output']}")
        click.echo("What to change:")
        for number, issue in enumerate(plan.diagnosis[:SHOWN_FINDINGS], start=1):
            click.echo(f"  {number}. {issue.fix}")
    elif plan.run.get("stopped_by") == "memory_limit":
        click.echo(f"{s['scenario']}: no plan found before resident memory passed "
                   f"--max-memory-mb {plan.run.get('memory_limit_mb'):,.0f}; nothing written. "
                   "Raise --max-memory-mb on a machine that has the memory, or cut arcs "
                   "(max_hours on Demand rows).")
    elif plan.run.get("stopped_by") == "interrupted":
        click.echo(f"{s['scenario']}: interrupted before any plan was found; nothing written.")
    else:
        click.echo(f"{s['scenario']}: no plan found within the time limit; "
                   "raise --time-limit or relax --mip-gap.")


_STOPPED = {"time_limit": "time limit reached", "memory_limit": "memory limit reached, "
            "stopped with the best plan found", "interrupted": "interrupted, stopped with "
            "the best plan found"}


SHOWN_FINDINGS = 8  # the console lists the largest findings; the Diagnosis sheet has all


def _print_diagnosis(plan: Plan) -> None:
    """The findings on stderr, largest first, at most SHOWN_FINDINGS of them."""
    source = "the elastic re-solve" if plan.relaxed else "checks before solving"
    click.echo(f"No feasible plan exists. What stands in the way ({source}, largest first):",
               err=True)
    for number, issue in enumerate(plan.diagnosis[:SHOWN_FINDINGS], start=1):
        text = f"{issue.where}: {issue.message}" if issue.where else issue.message
        click.echo(f"  {number}. {text}", err=True)
    hidden = len(plan.diagnosis) - SHOWN_FINDINGS
    if hidden > 0:
        click.echo(f"  ... and {hidden} more in the Diagnosis sheet.", err=True)


def _json_value(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalar from a DataFrame
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@main.command("posture-sweep")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--scenario", "target", required=True, metavar="NAME",
              help="The scenario whose probability is swept from 0 to 1 (the others "
                   "scaled in proportion).")
@click.option("-n", "--points", type=click.IntRange(min=2), default=11, show_default=True,
              help="Evenly spaced probabilities from 0 to 1 solved first.")
@click.option("--resolution", type=click.FloatRange(min=0.001, max=0.5), default=0.01,
              show_default=True, help="How closely each change of the 'now' plan is located.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Sweep workbook [default: outputs/<input name>_sweep.xlsx].")
@click.option("--json", "as_json", is_flag=True,
              help="Print the sweep as one JSON object on stdout, nothing else.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Solver limit per probability (overrides Settings time_limit_seconds).")
@click.option("--mip-gap", type=click.FloatRange(min=0), metavar="GAP",
              help="Relative optimality gap per solve (overrides Settings mip_gap).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a Settings key (repeatable).")
@_MAX_INPUT_MB
@_MAX_MEMORY_MB
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
@click.option("-v", "--verbose", is_flag=True, help="Solver output and details on stderr.")
def posture_sweep(file: Path, target: str, points: int, resolution: float,
                  output: Path | None, as_json: bool, time_limit: float | None,
                  mip_gap: float | None, sets: tuple[str, ...], max_input_mb: float | None,
                  max_memory_mb: float, quiet: bool, verbose: bool) -> None:
    """How sure must we be of a scenario before we build differently now?

    Re-solves the posture of FILE (which has a Scenarios sheet) with scenario NAME's
    probability from 0 to 1, and reports the probabilities at which the plan built
    now changes, in a Sweep sheet with a chart and a Changes sheet.
    """
    _setup_logging(quiet, verbose)

    def action() -> int:
        from .solver.session import SolveOptions
        from .studies.posture_book import sweep_json, sweep_sentence, write_sweep
        from .studies.posture_sweep import sweep

        validated = api.load_scenario(file, _parse_sets(sets), _limits(max_input_mb))
        scenario = validated.scenario
        if not scenario.scenarios:
            raise UsageError(f"{file}: no Scenarios rows; posture-sweep needs the scenarios "
                             "of SPEC §2.11 (see hubopt example --scenarios).")
        _print_issues(validated.warnings)
        target_path = _output_path(file, output, "sweep")
        options = SolveOptions.of(scenario.settings, time_limit=time_limit, mip_gap=mip_gap,
                                  verbose=verbose, memory_limit_mb=max_memory_mb)
        result = sweep(scenario, target, options, points=points, resolution=resolution)
        write_sweep(result, target_path)
        log.info("write: %s", target_path)
        if as_json:
            click.echo(json.dumps(sweep_json(result)))
            return EXIT_OK
        click.echo(f"{scenario.name}: {sweep_sentence(result)}")
        for low, high, before, after in result.changes:
            gone = sorted(set(before) - set(after))
            new = sorted(set(after) - set(before))
            click.echo(f"  {low:.1%}-{high:.1%}: stops building "
                       f"{', '.join(' '.join(m) for m in gone) or 'nothing'}; starts "
                       f"{', '.join(' '.join(m) for m in new) or 'nothing'}")
        click.echo(f"  result: {target_path}")
        return EXIT_OK
    _run(action, verbose, solves=True)


@main.command("map")
@click.argument("result", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Image to write; .png, .svg or .pdf [default: <result stem>_map.png].")
@click.option("-q", "--quiet", is_flag=True, help="Only errors.")
def map_(result: Path, output: Path | None, quiet: bool) -> None:
    """Redraw the map of a plan from the result workbook RESULT alone.

    Exit 0 when the map was written, 3 when RESULT is not a hubopt result
    workbook, 1 when the map extra (matplotlib) is not installed.
    """
    _setup_logging(quiet, False)

    def action() -> int:
        from .outputs.mapdata import map_data_from_workbook
        from .outputs.mapsheet import can_draw, map_paths

        data = map_data_from_workbook(result)
        if not can_draw():
            raise HuboptError("the map needs matplotlib: pip install 'hubopt[map]'")
        from .outputs import mapping
        target = output or map_paths(result)[0]
        if target.resolve() == result.resolve():
            raise UsageError(f"-o {target}: that is the result workbook; choose an image path.")
        mapping.save(mapping.render(data), target)
        click.echo(f"Wrote the map of {data.scenario or result.name} ({data.status}) to {target}")
        return EXIT_OK
    _run(action, verbose=False)


def _output_path(file: Path, output: Path | None, suffix: str) -> Path:
    """``-o`` or ``outputs/<input name>_<suffix>.xlsx``; never the input file."""
    target = output or Path("outputs") / f"{file.stem}_{suffix}.xlsx"
    if target.resolve() == file.resolve():
        raise UsageError(f"-o {target}: that is the input file; choose another output path.")
    return target


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-n", "--points", type=click.IntRange(min=2), default=5, show_default=True,
              help="Points on the frontier (before dominated or duplicate ones are dropped).")
@click.option("--metric", type=click.Choice(["avg_hours", "max_hours"]), default="avg_hours",
              show_default=True, help="The resupply-time measure traded against cost.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Frontier workbook [default: outputs/<input name>_pareto.xlsx].")
@click.option("--json", "as_json", is_flag=True,
              help="Print the frontier as one JSON object on stdout, nothing else.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Solver limit per point (overrides Settings time_limit_seconds).")
@click.option("--mip-gap", type=click.FloatRange(min=0), metavar="GAP",
              help="Relative optimality gap per point (overrides Settings mip_gap).")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a Settings key (repeatable).")
@_MAX_MEMORY_MB
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
@click.option("-v", "--verbose", is_flag=True, help="Solver output and details on stderr.")
def pareto(file: Path, points: int, metric: str, output: Path | None, as_json: bool,
           time_limit: float | None, mip_gap: float | None, sets: tuple[str, ...],
           max_memory_mb: float, quiet: bool, verbose: bool) -> None:
    """Trade cost against resupply time: the cheapest plan for each time level.

    The first point is the cost-optimal plan (value_of_time ignored), the last
    the fastest plan, cheapest among the fastest; between them the cheapest
    plans with the metric at most evenly spaced bounds. Writes a Pareto sheet
    with a scatter chart and the knee marked.
    """
    _setup_logging(quiet, verbose)

    def action() -> int:
        from .studies.pareto import NoFrontier, frontier_json
        from .studies.pareto import pareto as trace_frontier
        from .studies.pareto_book import write_pareto

        validated = api.load_scenario(file, _parse_sets(sets))
        target = _output_path(file, output, "pareto")
        _print_issues(validated.warnings)
        try:
            frontier = trace_frontier(validated.scenario, points, metric, time_limit=time_limit,
                                      mip_gap=mip_gap, verbose=verbose,
                                      memory_budget_mb=max_memory_mb)
        except NoFrontier as none:
            _print_issues(none.diagnosis, "No feasible plan exists:")
            click.echo(f"{validated.scenario.name}: no plan ({none.status}); no frontier.",
                       err=True)
            return none.exit_code
        write_pareto(frontier, target)
        log.info("write: %s", target)
        if as_json:
            click.echo(json.dumps(frontier_json(frontier)))
            return EXIT_OK
        click.echo(f"{frontier.scenario.name}: {len(frontier.points)} point(s), cost against "
                   f"{metric} (total cost as in solve; the objective without time adds risk "
                   "and stability cost, and is what is minimised)")
        for i, point in enumerate(frontier.points, start=1):
            knee = "  <- knee" if point.knee else ""
            click.echo(f"  {i}. {point.metric:8.2f} h  total cost "
                       f"{point.plan.summary['total_cost']:>14,.0f}  objective without time "
                       f"{point.cost:>14,.0f}  {point.plan.summary['open_sites']} sites{knee}")
        click.echo(f"  result: {target}")
        return EXIT_OK
    _run(action, verbose, solves=True)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-n", "--count", type=click.IntRange(min=1), default=4, show_default=True,
              help="Alternatives to find after the optimum (at least 1).")
@click.option("--slack", type=click.FloatRange(min=0), default=0.05, show_default=True,
              metavar="EPS", help="How much dearer than the optimum an alternative may be: "
                                  "0.05 = 5 % (at least 0).")
@click.option("--by", type=click.Choice(["modules", "sites"]), default="modules",
              show_default=True,
              help="Count overlap in modules (SPEC §3.6: the same site at another size is "
                   "another module) or in sites (alternatives that differ in where hubs are).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Short-list workbook [default: outputs/<input name>_alternatives.xlsx].")
@click.option("--json", "as_json", is_flag=True,
              help="Print the short list as one JSON object on stdout, nothing else.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Solver limit for the optimum and for each alternative (overrides "
                   "Settings time_limit_seconds).")
@click.option("--mip-gap", type=click.FloatRange(min=0), metavar="GAP",
              help="Relative optimality gap per solve (overrides Settings mip_gap).")
@click.option("--previous", type=click.Path(dir_okay=False, path_type=Path),
              metavar="RESULT.xlsx",
              help="An earlier result workbook: its plan is priced by stability_penalty "
                   "and is the optimum's MIP start.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a Settings key (repeatable).")
@_MAX_INPUT_MB
@_MAX_MEMORY_MB
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
@click.option("-v", "--verbose", is_flag=True, help="Solver output and details on stderr.")
def alternatives(file: Path, count: int, slack: float, by: str, output: Path | None,
                 as_json: bool,
                 time_limit: float | None, mip_gap: float | None, previous: Path | None,
                 sets: tuple[str, ...], max_input_mb: float | None, max_memory_mb: float,
                 quiet: bool, verbose: bool) -> None:
    """A short list to negotiate with: the optimum, then up to N plans that each cost
    at most EPS more and share as few modules (or, with --by sites, sites) as
    possible with every plan before them (SPEC §3.6).

    Writes an Alternatives sheet (cost, time, sites by country, staff by
    contributor, what each adds and drops against the optimum), a Modules sheet
    and one map per plan. Stops early, saying so, when no further plan is within
    the slack.
    """
    _setup_logging(quiet, verbose)

    def action() -> int:
        from .studies.alternatives import NoOptimum
        from .studies.alternatives_book import (
            alternatives_json,
            ended_note,
            plan_label,
            write_alternatives,
        )

        validated = api.load_scenario(file, _parse_sets(sets), _limits(max_input_mb))
        target = _output_path(file, output, "alternatives")
        _print_issues(validated.warnings)
        previous_plan = read_previous_plan(previous) if previous is not None else ()
        try:
            short = api.alternatives(validated.scenario, n=count, slack=slack, by=by,
                                     time_limit=time_limit, mip_gap=mip_gap, verbose=verbose,
                                     previous_plan=previous_plan,
                                     memory_budget_mb=max_memory_mb)
        except NoOptimum as none:
            _print_issues(none.diagnosis, "No feasible plan exists:")
            click.echo(f"{validated.scenario.name}: no plan ({none.status}); no alternatives. "
                       "Run hubopt solve for the diagnosis.", err=True)
            return none.exit_code
        write_alternatives(short, target)
        log.info("write: %s", target)
        if as_json:
            click.echo(json.dumps(alternatives_json(short)))
            return EXIT_OK
        click.echo(f"{short.scenario.name}: the optimum and {len(short.plans) - 1} "
                   f"alternative(s) within {100 * slack:.4g} %")
        for alternative in short.plans:
            s = alternative.plan.summary
            shared = "" if alternative.score is None else \
                f", shares {alternative.score} of its " \
                f"{len(alternative.elements(by))} {by}"
            proven = "" if alternative.proven else "  (NOT proven: see the workbook)"
            click.echo(f"  {alternative.rank}. {plan_label(alternative):<14} objective "
                       f"{alternative.objective:>14,.0f} ({100 * short.delta(alternative):+.2f} %)"
                       f", {s['open_sites']} sites{shared}{proven}")
        click.echo(f"  {ended_note(short)}")
        click.echo(f"  result: {target}")
        return EXIT_OK
    _run(action, verbose, solves=True)


@main.command()
@click.argument("files", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@click.option("--variant", "variants", multiple=True, metavar="KEY=VALUE[,KEY=VALUE]",
              help="Solve each input workbook also with these Settings overrides "
                   "(repeatable; one variant per option).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("outputs") / "comparison.xlsx", show_default=True,
              help="Comparison workbook.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Solver limit for each input workbook solved.")
@click.option("--mip-gap", type=click.FloatRange(min=0), metavar="GAP",
              help="Relative optimality gap for each input workbook solved.")
@_MAX_MEMORY_MB
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
@click.option("-v", "--verbose", is_flag=True, help="Details on stderr.")
def compare(files: tuple[Path, ...], variants: tuple[str, ...], output: Path,
            time_limit: float | None, mip_gap: float | None, max_memory_mb: float,
            quiet: bool, verbose: bool) -> None:
    """Compare scenarios side by side: Summary figures, open modules, differences.

    FILES are result workbooks (from hubopt solve) or input workbooks; an input
    workbook is solved as it is and once per --variant, e.g.
    `hubopt compare inputs/example.xlsx --variant ceasefire=yes --variant budget=3e6`.
    The first scenario is the reference for every difference.
    """
    _setup_logging(quiet, verbose)

    def action() -> int:
        from .studies.compare import collect_cases, write_comparison

        if any(output.resolve() == f.resolve() for f in files):
            raise UsageError(f"-o {output}: that is one of the compared files.")
        def solve_input(path: Path, overrides: dict[str, str]) -> Plan:
            scenario = api.load_scenario(path, overrides).scenario
            return api.solve(scenario, time_limit=time_limit, mip_gap=mip_gap,
                             memory_budget_mb=max_memory_mb)
        cases = collect_cases(files, variants, solve_input)
        write_comparison(cases, output)
        for case in cases:
            s = case.summary
            cost = s.get("total_cost")
            relaxed = " (NOT FEASIBLE: relaxed plan)" if s.get("status") == "infeasible" else ""
            click.echo(f"  {case.label}: {s.get('status')}{relaxed}, total cost "
                       f"{'-' if cost is None else f'{cost:,.0f}'}, "
                       f"{len(case.sites)} sites, {len(case.modules)} modules")
        click.echo(f"  comparison: {output}")
        return EXIT_OK
    _run(action, verbose, solves=True)


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--output", "output_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder [default: outputs/<FOLDER name>].")
@click.option("--previous", "previous_dir", type=click.Path(file_okay=False, exists=True,
                                                            path_type=Path),
              help="Folder of earlier results: PREVDIR/<stem>_result.xlsx is each "
                   "scenario's previous plan when present (e.g. last night's output).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Scenarios solved at once, each in its own process.")
@click.option("--json", "as_json", is_flag=True, help="Print batch.json on stdout, nothing else.")
@click.option("--force", is_flag=True, help="Solve again even scenarios whose result is current.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run on a Dask cluster, e.g. tcp://10.0.0.5:8786 (hubopt[distributed]).")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Solver time limit of every scenario (overrides Settings).")
@click.option("--mip-gap", type=click.FloatRange(min=0), metavar="GAP",
              help="Relative optimality gap of every scenario (overrides Settings).")
@click.option("--wall-limit", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Kill a scenario's process after this long [default: 1.5 x time limit "
                   "+ 60 s, or 3600 s without --time-limit].")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Override a Settings key in every scenario (repeatable).")
@click.option("--max-memory-mb", type=click.FloatRange(min=0, min_open=True), metavar="MB",
              help="Each scenario's memory limit, as hubopt solve --max-memory-mb "
                   f"[default: {DEFAULT_MEMORY_BUDGET_MB:,.0f}].")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
@click.option("-v", "--verbose", is_flag=True, help="More detail on stderr.")
def batch(folder: Path, output_dir: Path | None, previous_dir: Path | None, workers: int,
          as_json: bool, force: bool, scheduler: str | None, time_limit: float | None,
          mip_gap: float | None, wall_limit: float | None, sets: tuple[str, ...],
          max_memory_mb: float | None, quiet: bool, verbose: bool) -> None:
    """Solve every scenario workbook (*.xlsx) in FOLDER, each in its own process.

    Writes <stem>_result.xlsx and logs/<stem>.log per scenario, batch.json and
    batch_summary.xlsx. Exit 0 when every scenario has a plan, 6 when any
    failed (the others are written), 75 when another batch holds the output
    folder.
    """
    _setup_logging(quiet, verbose)

    def action() -> int:
        import signal

        from .batch.nightly import BATCH_JSON, BatchLocked, BatchOptions, run_batch
        _parse_sets(sets)  # usage errors before any work
        target = output_dir or Path("outputs") / folder.resolve().name
        if target.resolve() == folder.resolve():
            raise UsageError(f"-o {target}: that is the input folder; choose another.")
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
        try:
            report = run_batch(folder, target, previous_dir=previous_dir, workers=workers,
                               force=force, scheduler=scheduler,
                               options=BatchOptions(time_limit, mip_gap, sets, wall_limit,
                                                    max_memory_mb))
        except BatchLocked as locked:
            click.echo(f"Error: {locked}", err=True)
            return EXIT_LOCKED
        if as_json:
            click.echo((target / BATCH_JSON).read_text(encoding="utf-8").rstrip())
        for record in report.failed:
            click.echo(f"failed: {record['input']}: {record['status']}: "
                       f"{(record['error'] or '').strip()}", err=True)
        click.echo(f"batch: {len(report.records)} scenario(s), "
                   f"{len(report.records) - len(report.failed)} with a plan "
                   f"({len(report.skipped)} skipped as current), {len(report.failed)} failed, "
                   f"{report.seconds:.1f} s; summary {target / BATCH_JSON}", err=True)
        return EXIT_BATCH_FAILED if report.failed else EXIT_OK
    _run(action, verbose)
