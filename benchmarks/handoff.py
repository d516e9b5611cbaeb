"""Where the seconds of model build and hand-off to HiGHS go, on the theatre instance.

``python -m benchmarks handoff --scales 0.25,0.5,1 --repeat 3`` → docs/profile.md.

Each (scale, repeat) runs in a fresh process: theatre(scale) → network →
Pyomo model → ``solve_model(..., time_limit=0)``. With no time HiGHS stops at
once, so ``solve seconds − seconds inside HiGHS`` is the hand-off alone
(compile to CSC + passModel; the "pyomo" rows of docs/profile.md are Pyomo's
persistent interface, measured before hubopt left it). µs/nz divides build +
hand-off by the constraint matrix's non-zeros plus the objective's.
"""

from __future__ import annotations

import statistics
import time

from benchmarks.run import isolated, machine, peak_mb


def measure(scale: float) -> dict:
    """One fresh-process run: seconds per stage, non-zeros, peak MB."""
    from benchmarks.theatre import theatre
    from hubopt.model.build import build_model
    from hubopt.model.network import build_network
    from hubopt.solver.handoff import compile_lp
    from hubopt.solver.session import solve_model

    scenario = theatre(scale)
    start = time.perf_counter()
    network = build_network(scenario)
    network_seconds = time.perf_counter() - start
    start = time.perf_counter()
    model = build_model(network)
    build_seconds = time.perf_counter() - start
    outcome = solve_model(model, time_limit=0, mip_gap=0.005)
    handoff_seconds = outcome.seconds - (outcome.highs_seconds or 0.0)
    peak = peak_mb()
    compiled = compile_lp(model)       # after the peak is read: only for the counts
    nonzeros = compiled.nonzeros + int((compiled.cost != 0).sum())
    return {"scale": scale, "handoff": "matrix", "arcs": len(network.arcs),
            "columns": len(compiled.columns), "rows": len(compiled.rows),
            "nonzeros": nonzeros, "network": network_seconds, "build": build_seconds,
            "hand-off": handoff_seconds, "status": outcome.status, "peak_mb": peak}


def profile(scales: list[float], repeat: int, log=print) -> list[dict]:
    rows = []
    for scale in scales:
        runs = [isolated(measure, scale) for _ in range(repeat)]
        row = dict(runs[0])
        for stage in ("network", "build", "hand-off", "peak_mb"):
            row[stage] = statistics.median(r[stage] for r in runs)
        row["repeat"] = repeat
        row["us_per_nz"] = (row["build"] + row["hand-off"]) / row["nonzeros"] * 1e6
        log(f"scale {scale:g}: build {row['build']:.1f} s, hand-off "
            f"{row['hand-off']:.1f} s, {row['us_per_nz']:.2f} µs/nz, "
            f"{row['peak_mb']:.0f} MB")
        rows.append(row)
    return rows


def markdown(rows: list[dict], command: str) -> str:
    lines = ["| scale | hand-off | arcs | columns | rows | non-zeros | network s | build s | "
             "hand-off s | build + hand-off µs/nz | peak MB | runs |",
             "|---" * 12 + "|"]
    for r in rows:
        lines.append(f"| {r['scale']:g} | {r['handoff']} | {r['arcs']:,} | {r['columns']:,} | "
                     f"{r['rows']:,} | {r['nonzeros']:,} | {r['network']:.1f} | "
                     f"{r['build']:.1f} | {r['hand-off']:.1f} | {r['us_per_nz']:.2f} | "
                     f"{r['peak_mb']:.0f} | {r['repeat']} |")
    return (f"Regenerate with `{command}`. Machine: {machine()} (shared with other jobs: "
            "figures are medians of the runs and still noisy).\n\n" + "\n".join(lines) + "\n")
