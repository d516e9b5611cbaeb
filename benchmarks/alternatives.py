"""Diverse alternatives (SPEC §3.6) end to end, against one plain solve of the same
instance. Not part of the test suite; figures go to docs/alternatives.md.

    python -m benchmarks.alternatives [--instances example theatre:0.1] [--repeats 3]
        [--count 4] [--slack 0.05] [--time-limit 120]

For each instance: a plain ``hubopt.solve`` (no stress test), then
``hubopt.alternatives`` with overlap by modules and by sites. Every run is its own
process (``python -m benchmarks.alternatives one ...``), so that its peak resident
memory (ru_maxrss) is its own; the table gives medians of ``--repeats`` runs and
the last run's list (objective against the optimum, score, proven).

Instances: ``example`` (the bundled example workbook) and ``theatre:S``
(:func:`benchmarks.theatre.theatre` at scale S, its own mip_gap of 0.5 %).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import hubopt


def scenario_of(instance: str):
    if instance == "example":
        from hubopt.inputs.example import example_scenario
        return example_scenario()
    kind, _, scale = instance.partition(":")
    if kind != "theatre":
        raise SystemExit(f"unknown instance {instance!r}: example or theatre:SCALE")
    from benchmarks.theatre import theatre
    return theatre(float(scale))


def one(instance: str, mode: str, count: int, slack: float, limit: float) -> dict:
    """One run in this process: ``mode`` is solve, modules or sites."""
    scenario = scenario_of(instance)
    begin = time.perf_counter()
    if mode == "solve":
        plan = hubopt.solve(scenario, time_limit=limit, stress=False)
        record = {"status": plan.status, "objective": plan.summary["objective"], "plans": 1,
                  "solves": 1}
    else:
        short = hubopt.alternatives(scenario, n=count, slack=slack, by=mode,
                                    time_limit=limit)
        record = {"plans": len(short.plans), "solves": short.run["solves"],
                  "ended": short.ended, "list": [
                      {"rank": a.rank, "vs_optimum": short.delta(a), "score": a.score,
                       "proven": a.proven, "score_gap": a.score_gap}
                      for a in short.plans]}
    record.update(seconds=time.perf_counter() - begin,
                  peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return record


def measure(instance: str, mode: str, count: int, slack: float, limit: float,
            repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-m", "benchmarks.alternatives", "one", instance,
                              mode, str(count), str(slack), str(limit)],
                             capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    last = runs[-1]
    return {**last, "seconds": statistics.median(r["seconds"] for r in runs),
            "peak_mb": statistics.median(r["peak_mb"] for r in runs), "repeats": repeats}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    single = sub.add_parser("one")
    single.add_argument("instance")
    single.add_argument("mode", choices=["solve", "modules", "sites"])
    single.add_argument("count", type=int)
    single.add_argument("slack", type=float)
    single.add_argument("limit", type=float)
    parser.add_argument("--instances", nargs="+", default=["example", "theatre:0.1"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--slack", type=float, default=0.05)
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args()
    if args.command == "one":
        print(json.dumps(one(args.instance, args.mode, args.count, args.slack, args.limit)))
        return
    print("| instance | run | plans | solves | seconds (median) | peak MB | ratio to solve |")
    print("|---|---|---:|---:|---:|---:|---:|")
    lists = []
    for instance in args.instances:
        repeats = args.repeats if instance == "example" else 1
        base = measure(instance, "solve", args.count, args.slack, args.time_limit, repeats)
        print(f"| {instance} | solve | 1 | 1 | {base['seconds']:.1f} | {base['peak_mb']:.0f} "
              "| 1.0 |", flush=True)
        for mode in ("modules", "sites"):
            run = measure(instance, mode, args.count, args.slack, args.time_limit, repeats)
            print(f"| {instance} | alternatives --by {mode} | {run['plans']} | {run['solves']} "
                  f"| {run['seconds']:.1f} | {run['peak_mb']:.0f} "
                  f"| {run['seconds'] / base['seconds']:.1f} |", flush=True)
            lists.append((instance, mode, run))
    for instance, mode, run in lists:
        shown = ", ".join(f"{p['rank']}: {100 * p['vs_optimum']:+.2f} % score {p['score']}"
                          f"{'' if p['proven'] else ' (not proven)'}" for p in run["list"])
        print(f"\n{instance} --by {mode}: {shown}; ended: {run['ended'] or 'as asked'}")


if __name__ == "__main__":
    main()
