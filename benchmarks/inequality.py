"""With and without the aggregate-capacity inequality: nodes, seconds, bounds.

    python -m benchmarks inequality --only cap131 capa-8000 --time-limit 300

Each instance is solved twice in its own process at mip_gap 0, once with
``aggregate_capacity`` (model.add_aggregate_capacity) and once without, with
the same HiGHS seed. HiGHS's own counters (branch-and-bound nodes, dual bound)
are read from the session's HiGHS after the solve.
"""

from __future__ import annotations

import time


def solve_with(key: str, time_limit: float, aggregate: bool) -> dict:
    """Solve public instance ``key`` with or without the inequality."""
    from benchmarks.instances import load_instance
    from hubopt.model.build import build_model
    from hubopt.model.network import build_network
    from hubopt.solver.session import Session, SolveOptions

    scenario = load_instance(key)
    started = time.perf_counter()
    model = build_model(build_network(scenario), aggregate_capacity=aggregate)
    build = time.perf_counter() - started
    session = Session(model, SolveOptions(time_limit=time_limit, mip_gap=0.0))
    outcome = session.solve()
    info = session.highs.getInfo()
    objective = float(model.objective()) if outcome.has_plan else None
    return {"instance": key, "aggregate": aggregate, "status": outcome.status,
            "objective": objective, "bound": info.mip_dual_bound,
            "gap": info.mip_gap, "nodes": int(info.mip_node_count), "build_seconds": build,
            "solve_seconds": outcome.seconds}


def compare(keys, time_limit: float, log=print) -> list[dict]:
    from benchmarks.instances import published_optima
    from benchmarks.run import isolated

    optima = published_optima()
    rows = []
    for key in keys:
        for aggregate in (False, True):
            row = isolated(solve_with, key, time_limit, aggregate)
            row["published"] = optima.get(key)
            log(f"{key} aggregate={aggregate}: {row['status']} {row['objective']} "
                f"nodes {row['nodes']} {row['solve_seconds']:.1f} s")
            rows.append(row)
    return rows


def markdown(rows: list[dict], command: str) -> str:
    lines = [f"Regenerate with `{command}`.", "",
             "| instance | inequality | status | objective | published | nodes | solve s |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        objective = "–" if r["objective"] is None else f"{r['objective']:.3f}"
        published = "–" if r["published"] is None else f"{r['published']:.3f}"
        lines.append(f"| {r['instance']} | {'on' if r['aggregate'] else 'off'} | {r['status']} "
                     f"| {objective} | {published} | {r['nodes']} | {r['solve_seconds']:.1f} |")
    return "\n".join(lines) + "\n"
