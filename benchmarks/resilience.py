"""Resilience (SPEC §3.2) at scale: the full model against lazy loss cases. Not part
of the test suite; figures go to docs/resilience.md.

    python -m benchmarks.resilience series [--sizes 5 10 20 30 40] [--repeats 3]
    python -m benchmarks.resilience theatre [--scales 0.1 0.25 0.5] [--losses 1 2]

``series``: synthetic, seeded instances (:func:`synthetic`): N candidate sites
and 2N sectors placed uniformly in a 600 km × 400 km box, one service, two
sizes per site (capacity 0.5 and 1 times 1.5 × the average demand per site,
fixed cost with economies of scale), computed routes at 60 km/h, and every
demand row with max_hours = 5 h, so each row is reached by a handful of sites
(a row whose third-nearest site is further gets max_hours just above it). For
each N: α = 0, then α with ``--loss-cases full`` and ``lazy``.

``theatre``: :func:`benchmarks.theatre.theatre` at each scale with α = 0.8,
mip_gap 0.5 %, N-1 and N-2 (lazy; the full model at scale 0.1 for comparison).

Every run is its own process (``python -m benchmarks.resilience one ...``), so
that its peak resident memory (ru_maxrss) is its own; the table gives medians of
``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

import hubopt
from hubopt.inputs.instance import Demand, HubOption, Scenario, Sector, Service, Settings, Site
from hubopt.model.routes import road_km

KM_PER_DEGREE = 111.0


def synthetic(n_sites: int, seed: int = 7, alpha: float = 0.0) -> Scenario:
    rng = np.random.default_rng(seed + n_sites)
    sites, options, sectors, demand = [], [], [], []
    for i in range(n_sites):
        lat, lon = 48 + rng.uniform(0, 400) / KM_PER_DEGREE, 22 + rng.uniform(0, 600) / 74
        sites.append(Site(f"S{i:03d}", "POL", latitude=lat, longitude=lon,
                          site_cost=float(rng.uniform(50, 150)), row=i + 2))
    for j in range(2 * n_sites):
        lat, lon = 48 + rng.uniform(0, 400) / KM_PER_DEGREE, 22 + rng.uniform(0, 600) / 74
        sectors.append(Sector(f"T{j:03d}", "POL", latitude=lat, longitude=lon, row=j + 2))
        km = road_km(np.array([x.latitude for x in sites]), np.array([x.longitude for x in sites]),
                     np.full(n_sites, lat), np.full(n_sites, lon), 1.3)
        third = float(np.sort(km)[min(2, n_sites - 1)]) / 60.0  # hours to the 3rd-nearest
        demand.append(Demand(f"T{j:03d}", "goods", float(rng.integers(10, 60)),
                             max_hours=max(5.0, round(third + 0.01, 2)), row=j + 2))
    per_site = sum(d.quantity for d in demand) / n_sites * 1.5
    for i, site in enumerate(sites):
        options.append(HubOption(site.site_id, "goods", "S", 0.5 * per_site,
                                 fixed_cost=100.0, row=2 * i + 2))
        options.append(HubOption(site.site_id, "goods", "L", 1.0 * per_site,
                                 fixed_cost=160.0, row=2 * i + 3))
    settings = Settings(scenario_name=f"synthetic{n_sites}", road_speed_kmh=60.0,
                        road_factor=1.3, transport_cost_per_unit_km=0.01, resilience=alpha,
                        mip_gap=1e-4, time_limit_seconds=300.0)
    return Scenario(settings, (Service("goods"),), tuple(sites), tuple(options),
                    tuple(sectors), tuple(demand))


def scenario_of(kind: str, size: float, alpha: float, losses: int) -> Scenario:
    if kind == "synthetic":
        return synthetic(int(size), alpha=alpha).with_settings(resilience_losses=losses)
    from benchmarks.theatre import theatre
    return theatre(size).with_settings(resilience=alpha, resilience_losses=losses,
                                       mip_gap=0.005)


def one(kind: str, size: float, alpha: float, losses: int, mode: str, limit: float) -> dict:
    """Solve one instance in this process; the figures as a dict."""
    scenario = scenario_of(kind, size, alpha, losses)
    start = time.perf_counter()
    plan = hubopt.solve(scenario, stress=False, time_limit=limit, loss_cases=mode,
                        memory_budget_mb=20_000)
    seconds = time.perf_counter() - start
    run = plan.run
    return {"kind": kind, "size": size, "alpha": alpha, "losses": losses, "mode": mode,
            "arcs": run.get("arcs"), "variables": run.get("variables"),
            "status": plan.status, "objective": plan.summary.get("objective"),
            "gap": plan.summary.get("mip_gap"), "open_sites": plan.summary.get("open_sites"),
            "seconds": seconds, "solve_seconds": run.get("solve_seconds"),
            "rounds": run.get("resilience_rounds"), "added": run.get("loss_cases_added",
                                                                      run.get("loss_cases_in_model")),
            "cuts": run.get("resilience_cuts"), "plans": run.get("resilience_plans_checked"),
            "check_seconds": run.get("loss_check_seconds"),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def measured(kind: str, size: float, alpha: float, losses: int, mode: str, limit: float,
             repeats: int) -> dict:
    """Medians of ``repeats`` runs, each in a fresh process."""
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-m", "benchmarks.resilience", "one", kind,
                              str(size), str(alpha), str(losses), mode, str(limit)],
                             capture_output=True, text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    row = dict(runs[-1])
    for key in ("seconds", "solve_seconds", "peak_mb"):
        values = [r[key] for r in runs if r[key] is not None]
        row[key] = statistics.median(values) if values else None
    return row


def _line(row: dict, base: dict | None) -> str:
    cost = ""
    if base and base["objective"] and row["objective"] and row["alpha"] > 0:
        cost = f"{row['objective'] / base['objective'] - 1:+.1%}"
    gap = "" if row["gap"] is None else f"{row['gap']:.2%}"
    return (f"| {row['size']:g} | {row['alpha']:g} | {row['losses'] if row['alpha'] else ''} | "
            f"{row['mode'] if row['alpha'] else ''} | {row['arcs']:,} | {row['variables']:,} | "
            f"{row['rounds'] or ''} | {row['added'] if row['alpha'] else ''} | "
            f"{row.get('cuts') or ''} | {row.get('plans') or ''} | "
            f"{'' if row.get('check_seconds') is None else format(row['check_seconds'], '.1f')} | "
            f"{row['seconds']:.1f} | {row['peak_mb']:,.0f} | {row['status']} | {gap} | "
            f"{row['objective'] or 0:,.0f} | {cost} |")


HEADER = ("| size | α | L | loss cases | arcs | variables (first round) | rounds | "
          "cases in model | cuts | plans checked | check s | seconds | peak MB | status | gap | "
          "objective | resilience cost |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    series = sub.add_parser("series")
    series.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 20, 30, 40])
    series.add_argument("--repeats", type=int, default=3)
    series.add_argument("--alpha", type=float, default=0.8)
    series.add_argument("--time-limit", type=float, default=600.0)
    series.add_argument("--full-repeats-above", type=int, default=30,
                        help="sizes above this run the full model once")
    theatre = sub.add_parser("theatre")
    theatre.add_argument("--scales", type=float, nargs="+", default=[0.1, 0.25, 0.5])
    theatre.add_argument("--losses", type=int, nargs="+", default=[1, 2])
    theatre.add_argument("--alpha", type=float, default=0.8)
    theatre.add_argument("--time-limit", type=float, default=600.0)
    theatre.add_argument("--full-at", type=float, nargs="*", default=[0.1])
    single = sub.add_parser("one")
    for name in ("kind", "size", "alpha", "losses", "mode", "limit"):
        single.add_argument(name)
    args = parser.parse_args()
    if args.command == "one":
        print(json.dumps(one(args.kind, float(args.size), float(args.alpha), int(args.losses),
                             args.mode, float(args.limit))))
        return
    print(HEADER, flush=True)
    if args.command == "series":
        for n in args.sizes:
            base = measured("synthetic", n, 0.0, 1, "lazy", args.time_limit, args.repeats)
            print(_line(base, None), flush=True)
            for mode in ("full", "lazy"):
                repeats = 1 if mode == "full" and n > args.full_repeats_above else args.repeats
                row = measured("synthetic", n, args.alpha, 1, mode, args.time_limit, repeats)
                print(_line(row, base), flush=True)
        return
    for scale in args.scales:
        base = measured("theatre", scale, 0.0, 1, "lazy", args.time_limit, 1)
        print(_line(base, None), flush=True)
        for losses in args.losses:
            modes = ["full", "lazy"] if scale in args.full_at else ["lazy"]
            for mode in modes:
                row = measured("theatre", scale, args.alpha, losses, mode, args.time_limit, 1)
                print(_line(row, base), flush=True)


if __name__ == "__main__":
    main()
