"""The posture across scenarios (SPEC §3.5) end to end, against one deterministic solve
of the same size. Not part of the test suite; figures go to docs/posture.md.

    python -m benchmarks.posture [--instances example theatre:0.25] [--repeats 3]
        [--time-limit 60]

For each instance: a plain ``hubopt.solve`` of its ceasefire scenario alone (no stress
test: one §3 model of the size of one scenario block), then ``hubopt.posture`` over
its three scenarios (RP, WS per scenario, the regret table). Every run is its own
process, so that its peak resident memory (ru_maxrss) is its own; the table gives
medians of ``--repeats`` runs and the last run's figures.

Instances: ``example`` (the bundled example with its three scenarios) and
``theatre:S`` (:func:`benchmarks.theatre.theatre` at scale S, mip_gap 0.5 %) with
three scenarios: *ceasefire* (p 0.3: Ukrainian sites open), *no_ceasefire* (p 0.5:
allied sites only, demand × 0.8: a smaller force) and *strike* (p 0.2: no ceasefire,
the three Moldovan sites nearest the front lost).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import replace

import hubopt
from hubopt.inputs.instance import ScenarioCase


def scenario_of(instance: str):
    """The instance with its three scenarios."""
    if instance == "example":
        from hubopt.inputs.example import example_posture_scenario
        return example_posture_scenario()
    kind, _, scale = instance.partition(":")
    if kind != "theatre":
        raise SystemExit(f"unknown instance {instance!r}: example or theatre:SCALE")
    from benchmarks.theatre import theatre
    base = theatre(float(scale))
    front = sorted((s for s in base.sites if s.country == "MDA"),
                   key=lambda s: -s.longitude)[:3]
    return replace(base, scenarios=(
        ScenarioCase("ceasefire", 0.3, ceasefire=True),
        ScenarioCase("no_ceasefire", 0.5, ceasefire=False, demand_factor=0.8),
        ScenarioCase("strike", 0.2, ceasefire=False,
                     lost_sites=", ".join(s.site_id for s in front))))


def one(instance: str, mode: str, limit: float) -> dict:
    """One run in this process: ``mode`` is solve (the ceasefire scenario alone) or
    posture."""
    scenario = scenario_of(instance)
    begin = time.perf_counter()
    if mode == "solve":
        plan = hubopt.solve(hubopt.scenario_named(scenario, "ceasefire"), time_limit=limit,
                            stress=False)
        record = {"status": plan.status, "objective": plan.summary["objective"],
                  "gap": plan.summary["mip_gap"], "solves": 1}
    else:
        posture = hubopt.posture(scenario, time_limit=limit)
        record = {"status": posture.status, "objective": posture.objective,
                  "gap": posture.gap, "ws": posture.ws, "evpi": posture.evpi,
                  "vss": posture.vss, "now_modules": len(posture.now),
                  "solves": posture.run["solves"],
                  "unproven": posture.run.get("unproven_solves"),
                  "variables": posture.run.get("variables"),
                  "constraints": posture.run.get("constraints"),
                  "estimate_mb": posture.run.get("memory_estimate_mb")}
    record.update(seconds=time.perf_counter() - begin,
                  peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return record


def measure(instance: str, mode: str, limit: float, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-m", "benchmarks.posture", "one", instance,
                              mode, str(limit)], capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    last = runs[-1]
    return {**last, "seconds": statistics.median(r["seconds"] for r in runs),
            "peak_mb": statistics.median(r["peak_mb"] for r in runs), "repeats": repeats}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    single = sub.add_parser("one")
    single.add_argument("instance")
    single.add_argument("mode", choices=["solve", "posture"])
    single.add_argument("limit", type=float)
    parser.add_argument("--instances", nargs="+", default=["example", "theatre:0.25"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args()
    if args.command == "one":
        print(json.dumps(one(args.instance, args.mode, args.limit)))
        return
    print("| instance | run | seconds | peak MB | status | objective | gap | solves | "
          "WS | EVPI | VSS | not proven |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for instance in args.instances:
        for mode in ("solve", "posture"):
            r = measure(instance, mode, args.time_limit, args.repeats)
            figures = [f"{r.get(k):,.0f}" if isinstance(r.get(k), float) else "–"
                       for k in ("ws", "evpi", "vss")]
            gap = f"{r['gap']:.2%}" if r.get("gap") is not None else "–"
            print(f"| {instance} | {mode} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | "
                  f"{r['status']} | {r['objective']:,.0f} | {gap} | {r['solves']} | "
                  + " | ".join(figures) + f" | {r.get('unproven') or '–'} |", flush=True)


if __name__ == "__main__":
    main()
