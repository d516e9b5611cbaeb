"""Measure the memory a model takes against :mod:`hubopt.solver.sizing`'s estimate.

    python -m benchmarks.memory            # sizes 20x50 .. 120x400, one process each

Each size runs in a fresh process: a synthetic scenario of S sites (two
sizes of one module each) and R sectors with computed routes, so every
site–sector pair is an arc. It records the peak resident set (ru_maxrss)
after ``build_network`` and after building the model and a 1-second HiGHS
run (model handed to HiGHS, presolve, root node), and prints the growth next
to the estimate. The constants in hubopt/solver/sizing.py were set from these runs
(see the table printed; machine shared, figures vary by some per cent).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys

from hubopt.inputs.instance import Demand, HubOption, Scenario, Sector, Service, Settings, Site

SIZES = [(20, 50), (40, 100), (60, 200), (120, 400)]


def synthetic(n_sites: int, n_sectors: int, single_sourcing: bool = False) -> Scenario:
    """Sites on a grid in POL, sectors in UKR, every pair within reach."""
    sites = tuple(Site(f"S{i}", "POL", latitude=49 + (i % 10) * 0.2,
                       longitude=19 + (i // 10) * 0.2, site_cost=1000 + 7 * i, row=i + 2)
                  for i in range(n_sites))
    options = tuple(HubOption(f"S{i}", "goods", size, capacity, fixed_cost=cost, row=2 * i + j)
                    for i in range(n_sites)
                    for j, (size, capacity, cost) in enumerate(
                        [("small", 400, 500 + i), ("large", 1200, 1300 + 2 * i)]))
    sectors = tuple(Sector(f"K{j}", "UKR", latitude=47 + (j % 20) * 0.25,
                           longitude=30 + (j // 20) * 0.3, row=j + 2) for j in range(n_sectors))
    demand = tuple(Demand(f"K{j}", "goods", 10 + j % 17, row=j + 2) for j in range(n_sectors))
    return Scenario(settings=Settings(scenario_name="synthetic", transport_cost_per_unit_km=0.01,
                                      single_sourcing=single_sourcing),
                    services=(Service("goods", "units"),), sites=sites, hub_options=options,
                    sectors=sectors, demand=demand)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000  # kB on Linux


def measure(n_sites: int, n_sectors: int) -> dict:
    from hubopt.model.build import build_model
    from hubopt.model.network import build_network
    from hubopt.solver.outcome import solve_model
    from hubopt.solver.sizing import model_size

    network = build_network(synthetic(n_sites, n_sectors))
    before = _peak_mb()
    size = model_size(network)
    model = build_model(network)
    solve_model(model, time_limit=1, mip_gap=0.5)
    return {"sites": n_sites, "sectors": n_sectors, "variables": size.variables,
            "rows": size.rows, "nonzeros": size.nonzeros,
            "estimate_mb": round(size.megabytes, 1), "measured_mb": round(_peak_mb() - before, 1)}


def main() -> None:
    print(f"{'sites':>6} {'sectors':>8} {'vars':>9} {'rows':>9} {'nonzeros':>10} "
          f"{'estimate MB':>12} {'measured MB':>12}")
    for n_sites, n_sectors in SIZES:
        done = subprocess.run([sys.executable, "-m", "benchmarks.memory", "--one",
                               str(n_sites), str(n_sectors)], capture_output=True, text=True,
                              check=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{row['sites']:>6} {row['sectors']:>8} {row['variables']:>9,} {row['rows']:>9,} "
              f"{row['nonzeros']:>10,} {row['estimate_mb']:>12,.1f} {row['measured_mb']:>12,.1f}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print(json.dumps(measure(int(sys.argv[2]), int(sys.argv[3]))))
    else:
        main()
