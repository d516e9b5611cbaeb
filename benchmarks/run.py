"""Run benchmarks in isolated processes and write their tables to docs/.

Each instance runs in a fresh process, so its peak memory (max RSS) is its
own. Figures are wall-clock seconds on the machine that runs them; the
tables say which machine and when.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import resource
import tempfile
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.instances import load_instance, published_optima
from hubopt.files.atomic import write_text_atomically
from hubopt.solver.highs_log import SearchMilestones

RESULTS = Path(__file__).resolve().parent / "results" / "published"

SMOKE = ("cap41", "cap71", "cap131", "holmberg-p1", "pmed1")
SMALL = (tuple(f"cap{n}" for n in (41, 42, 43, 44, 51, 61, 62, 63, 64, 71, 72, 73, 74, 81, 82,
                                   83, 84, 91, 92, 93, 94, 101, 102, 103, 104, 111, 112, 113,
                                   114, 121, 122, 123, 124, 131, 132, 133, 134))
         + tuple(f"holmberg-p{n}" for n in [*range(1, 25), *range(41, 56)])
         + tuple(f"pmed{n}" for n in range(1, 21)))
LARGE = (tuple(f"{f}-{c}" for f, caps in (("capa", (8000, 10000, 12000, 14000)),
                                          ("capb", (5000, 6000, 7000, 8000)),
                                          ("capc", (5000, 5750, 6500, 7250))) for c in caps)
         + tuple(f"holmberg-p{n}" for n in [*range(25, 41), *range(56, 72)])
         + tuple(f"yang-p{n}" for n in range(1, 21)))
SETS = {"smoke": SMOKE, "small": SMALL, "large": LARGE, "all": SMALL + LARGE}


def peak_mb() -> float:
    """Peak resident memory of this process in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def isolated(function: Callable, *args) -> dict:
    """Run ``function(*args)`` in a fresh process and return its result dict."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, maxtasksperchild=1) as pool:
        return pool.apply(function, args)


def solve_published(key: str, time_limit: float, threads: int = 0) -> dict:
    """Solve one public instance at gap 0: status, objective, seconds, peak memory.
    ``threads`` caps HiGHS's threads (0: HiGHS's default, every core)."""
    import hubopt

    started = time.perf_counter()
    scenario = load_instance(key)
    read_seconds = time.perf_counter() - started
    # no memory limit: the proofs of some Yang instances need up to 14 GB of search tree
    plan = hubopt.solve(scenario, time_limit=time_limit, mip_gap=0.0, threads=threads or None,
                        memory_budget_mb=None)
    return {"instance": key, "threads": threads, "status": plan.status,
            "objective": plan.summary["objective"],
            "bound_gap": plan.summary["mip_gap"], "read_seconds": read_seconds,
            "build_seconds": plan.run.get("network_seconds", 0.0)
            + plan.run.get("build_seconds", 0.0),
            "solve_seconds": plan.run.get("solve_seconds"), "peak_mb": peak_mb()}


def run_published(keys: Iterable[str], time_limit: float, log=print,
                  results: Path = RESULTS, threads: int = 0) -> list[dict]:
    """Solve each instance in its own process and store its row in
    ``results/<instance>.json`` as soon as it finishes, so a long run that is
    interrupted keeps what it measured; returns the new rows."""
    optima = published_optima()
    rows = []
    for key in keys:
        row = isolated(solve_published, key, time_limit, threads)
        row.update(published=optima.get(key), time_limit=time_limit, machine=machine())
        row["matches"] = _matches(row["objective"], row["published"])
        log(f"{key}: {row['status']} {row['objective']} (published {row['published']}) "
            f"{row['solve_seconds']:.1f} s, {row['peak_mb']:.0f} MB")
        store_result(row, results)
        rows.append(row)
    return rows


def store_result(row: dict, results: Path = RESULTS) -> Path:
    """Write one instance's row as JSON, atomically (a killed run leaves the old row)."""
    results.mkdir(parents=True, exist_ok=True)
    return write_text_atomically(results / f"{row['instance']}.json",
                                 json.dumps(row, indent=1, sort_keys=True) + "\n")


def stored_results(keys: Iterable[str], results: Path = RESULTS) -> dict[str, dict]:
    """The stored row of each of ``keys`` that has been run."""
    rows = {}
    for key in keys:
        path = results / f"{key}.json"
        if path.exists():
            rows[key] = json.loads(path.read_text())
    return rows


def _matches(objective: float | None, published: float | None) -> bool:
    """Equal within 1e-6 relative, or 1e-3 absolute for capopt's 3-decimal rounding."""
    if objective is None or published is None:
        return False
    return abs(objective - published) <= max(1e-6 * abs(published), 1e-3)


def profile_theatre(scale: float, time_limit: float, mip_gap: float,
                    memory_budget_mb: float | None = None,
                    strong_links: str | int = "auto", threads: int = 0) -> dict:
    """Every stage of one theatre run, read to written result: seconds and peak memory."""
    import hubopt
    from benchmarks.theatre import theatre
    from hubopt.inputs.template import write_input_workbook

    stages: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        workbook = Path(folder) / "theatre.xlsx"
        write_input_workbook(workbook, theatre(scale))
        setup_mb = peak_mb()
        start = time.perf_counter()
        validated = hubopt.load_scenario(workbook)
        stages["read + validate"] = time.perf_counter() - start
        plan = hubopt.solve(validated.scenario, time_limit=time_limit, mip_gap=mip_gap,
                            memory_budget_mb=memory_budget_mb,
                            strong_links=strong_links, threads=threads or None)
        run = plan.run
        stages["network"] = run.get("network_seconds", 0.0)
        stages["build (Pyomo)"] = run.get("build_seconds", 0.0)
        highs = run.get("highs_seconds") or 0.0
        selection = run.get("strong_link_seconds") or 0.0
        stages["select strong links"] = selection
        stages["hand-off to HiGHS + load"] = (run.get("solve_seconds") or 0.0) - highs - selection
        stages["HiGHS"] = highs
        stages["extract"] = run.get("extract_seconds", 0.0)
        start = time.perf_counter()
        hubopt.write_result(plan, Path(folder) / "theatre_result.xlsx")
        stages["write"] = time.perf_counter() - start
    return {"scale": scale, "status": plan.status, "objective": plan.summary["objective"],
            "gap": plan.summary["mip_gap"], "arcs": run.get("arcs"),
            "variables": run.get("variables"), "constraints": run.get("constraints"),
            "strong_link_rows": run.get("strong_link_rows"),
            "strong_link_rows_total": run.get("strong_link_rows_total"),
            "stages": stages, "total": sum(stages.values()), "setup_mb": setup_mb,
            "peak_mb": peak_mb(),
            **{name: run.get(f"highs_{name}") for name in SearchMilestones.__dataclass_fields__}}


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, {datetime.now(UTC).date().isoformat()}")


def published_markdown(sets: dict[str, tuple[str, ...]], stored: dict[str, dict],
                       command: str) -> str:
    """docs/benchmarks.md: one table per set, every instance of the set listed
    (``not run`` when nothing is stored for it), and a line of totals."""
    lines = ["# Published optima reproduced", "",
             f"Regenerate with `{command}` (runs the set and rewrites this page from every "
             "stored result in benchmarks/results/published/; `--report` only rewrites the "
             "page).", "",
             "Every instance is solved at mip_gap 0 in its own process. `match` is the objective "
             "equal to the published optimum within 1e-6 relative (1e-3 absolute for "
             "OR-Library capopt, which is rounded to 3 decimals). `gap` is the gap HiGHS proved "
             "(0 = optimality proven). Seconds are wall clock on the machine named in the "
             "row's JSON; build s is network + Pyomo model.", ""]
    for name, keys in sets.items():
        rows = [stored.get(key) for key in keys]
        done = [r for r in rows if r is not None]
        matched = sum(r["matches"] for r in done)
        proven = sum(r["status"] == "optimal" for r in done)
        lines += [f"## {name} set: {matched} of {len(keys)} published optima reproduced, "
                  f"{proven} proven optimal", "",
                  "| instance | status | objective | published | match | gap | build s | "
                  "solve s | peak MB |", "|---|---|---|---|---|---|---|---|---|"]
        for key, r in zip(keys, rows):
            if r is None:
                lines.append(f"| {key} | not run | – | – | – | – | – | – | – |")
                continue
            objective = "–" if r["objective"] is None else f"{r['objective']:.3f}"
            published = "–" if r["published"] is None else f"{r['published']:.3f}"
            gap = "–" if r.get("bound_gap") is None else f"{r['bound_gap']:.2%}"
            lines.append(f"| {key} | {r['status']} | {objective} | {published} | "
                         f"{'yes' if r['matches'] else 'NO'} | {gap} | "
                         f"{r['build_seconds']:.2f} | {r['solve_seconds']:.2f} | "
                         f"{r['peak_mb']:.0f} |")
        seconds = sum(r["solve_seconds"] or 0.0 for r in done)
        lines += ["", f"{len(done)} of {len(keys)} run, {seconds:,.0f} solve seconds in all.", ""]
    return "\n".join(lines)


def theatre_markdown(rows: list[dict], command: str) -> str:
    stages = list(rows[0]["stages"]) if rows else []
    lines = ["# Theatre-scale runs, stage by stage", "",
             f"Regenerate with `{command}`. Machine: {machine()}.", "",
             "`benchmarks/theatre.py` at scale 1: 300 candidate sites in eight countries, three "
             "sizes of two services, 1,500 sectors with two services, twelve contributors, "
             "computed routes with max_hours. Seconds per stage, read to written result, each "
             "scale in its own process; peak MB is the process's max RSS (the workbook is "
             "written before the clock starts). `strong_link` rows: how many of them HiGHS "
             "got (hubopt/solver/rows.py; `all` when there was no selection).", "",
             "| scale | arcs | variables | constraints | strong_link rows | "
             + " | ".join(stages) + " | total s | status | gap | peak MB |",
             "|---" * (9 + len(stages)) + "|"]
    for r in rows:
        gap = "–" if r["gap"] is None else f"{r['gap']:.2%}"
        links = "all" if r.get("strong_link_rows") is None else \
            f"{r['strong_link_rows']:,} of {r['strong_link_rows_total']:,}"
        lines.append(f"| {r['scale']:g} | {r['arcs']} | {r['variables']} | {r['constraints']} | "
                     f"{links} | " + " | ".join(f"{r['stages'].get(s, 0.0):.1f}" for s in stages)
                     + f" | {r['total']:.1f} | {r['status']} | {gap} | {r['peak_mb']:.0f} |")
    lines += ["", "Inside HiGHS (read from its progress table, hubopt/solver/highs_log.py): "
              "when the root LP relaxation was solved, the bound it gave and after the root's "
              "cuts, the "
              "first incumbent (source letter as HiGHS prints it: R randomized rounding, "
              "S solve LP, F feasibility pump, ...), nodes processed, and the objective.", "",
              "| scale | root LP solved at s | root LP bound | bound after root cuts | "
              "first incumbent | at s | source | nodes | objective |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['scale']:g} | {_fmt(r.get('root_lp_seconds'), '.1f')} | "
                     f"{_fmt(r.get('root_lp_bound'), ',.0f')} | "
                     f"{_fmt(r.get('root_end_bound'), ',.0f')} | "
                     f"{_fmt(r.get('first_incumbent'), ',.0f')} | "
                     f"{_fmt(r.get('first_incumbent_seconds'), '.1f')} | "
                     f"{r.get('first_incumbent_source') or '–'} | {_fmt(r.get('nodes'), 'd')} | "
                     f"{_fmt(r.get('objective'), ',.0f')} |")
    return "\n".join(lines) + "\n"


def _fmt(value, spec: str) -> str:
    return "–" if value is None else format(value, spec)
