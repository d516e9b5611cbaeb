"""How N-1 resilience (SPEC §3.2) grows the model and the solve time with the number
of sites. Not part of the test suite; figures go to docs/resilience.md.

    python -m benchmarks.resilience [--sizes 5 10 20 40] [--repeats 3] [--alpha 0.5]

Instances are synthetic and seeded (reproducible): N candidate sites and 2N
sectors placed uniformly in a 600 km × 400 km box, one service, two sizes per
site (capacity 0.5 and 1 times 1.5 × the average demand per site, fixed cost
with economies of scale), computed routes at 60 km/h, and every demand row
with max_hours = 5 h, so each row is reached by a handful of sites and arcs are
pruned as in the base model (a row whose third-nearest site is further gets
max_hours just above it, so every row has at least three sites in reach).
For each N the base model (α = 0) and the resilient model (α) are built and
solved; the table gives medians of
``--repeats`` runs of build and solve seconds, the model size, and the cost
of resilience.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from hubopt.inputs.instance import Demand, HubOption, Scenario, Sector, Service, Settings, Site
from hubopt.model.build import build_model
from hubopt.model.network import build_network
from hubopt.model.routes import road_km
from hubopt.solver.session import solve_model

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


def run(n_sites: int, alpha: float, repeats: int, time_limit: float) -> dict:
    builds, solves, outcome, model = [], [], None, None
    for _ in range(repeats):
        network = build_network(synthetic(n_sites, alpha=alpha))
        start = time.perf_counter()
        model = build_model(network)
        builds.append(time.perf_counter() - start)
        outcome = solve_model(model, time_limit=time_limit, mip_gap=1e-4)
        solves.append(outcome.seconds)
    return {"sites": n_sites, "alpha": alpha, "arcs": len(network.arcs),
            "variables": model.nvariables(), "constraints": model.nconstraints(),
            "build_s": statistics.median(builds), "solve_s": statistics.median(solves),
            "status": outcome.status, "objective": outcome.objective}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 20, 40])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--alpha", type=float, default=0.8)
    parser.add_argument("--time-limit", type=float, default=300.0)
    args = parser.parse_args()
    print("| sites | α | arcs | variables | constraints | build s | solve s | status | "
          "objective | resilience cost |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        base = run(n, 0.0, args.repeats, args.time_limit)
        resilient = run(n, args.alpha, args.repeats, args.time_limit)
        for row in (base, resilient):
            extra = ""
            if row is resilient and base["objective"] and row["objective"]:
                extra = f"{row['objective'] / base['objective'] - 1:+.1%}"
            print(f"| {row['sites']} | {row['alpha']:g} | {row['arcs']} | {row['variables']} | "
                  f"{row['constraints']} | {row['build_s']:.2f} | {row['solve_s']:.2f} | "
                  f"{row['status']} | {row['objective'] or 0:,.0f} | {extra} |", flush=True)


if __name__ == "__main__":
    main()
