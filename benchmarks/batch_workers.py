"""Benchmark ``hubopt batch``: 20 variants of the bundled example, workers 1 vs 2.

Variants scale every demand row by a factor in 0.8–1.2, alternate the
ceasefire, and vary value_of_time (a fixed seed, so every run sees the same
20 workbooks). Each configuration runs ``REPEATS`` times with ``--force``;
the table in docs/batch.md reports the median wall time and the peak
resident memory of the batch process and of its largest solve process
(``ru_maxrss`` of the children, i.e. one scenario's peak).

    python -m benchmarks.batch_workers [--repeats 3] [--out docs/batch_benchmark.json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from hubopt.inputs.example import example_scenario
from hubopt.inputs.template import write_input_workbook

VARIANTS = 20


def write_variants(folder: Path, count: int = VARIANTS, seed: int = 5) -> None:
    rng = random.Random(seed)
    base = example_scenario()
    for index in range(count):
        factor = rng.uniform(0.8, 1.2)
        scenario = replace(base, demand=tuple(replace(d, quantity=round(d.quantity * factor))
                                              for d in base.demand))
        scenario = scenario.with_settings(
            scenario_name=f"variant {index:02d}", ceasefire=index % 2 == 1,
            value_of_time=base.settings.value_of_time * rng.uniform(0.5, 2.0))
        write_input_workbook(folder / f"variant_{index:02d}.xlsx", scenario)


def run_once(inputs: Path, out: Path, workers: int) -> dict:
    command = [sys.executable, "-c",
               "import resource, sys; from hubopt.cli import main; sys.argv = sys.argv[1:];"
               "\ntry:\n    main()\nfinally:\n"
               "    print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,"
               " resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)",
               "hubopt", "batch", str(inputs), "-o", str(out), "--workers", str(workers),
               "--force", "-q"]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak = next(line for line in done.stderr.splitlines() if line.startswith("PEAK")).split()
    records = json.loads((out / "batch.json").read_text())["scenarios"]
    return {"workers": workers, "exit_code": done.returncode, "seconds": seconds,
            "batch_peak_mib": int(peak[1]) / 1024, "solve_peak_mib": int(peak[2]) / 1024,
            "with_plan": sum(r["status"] == "optimal" for r in records),
            "objectives": [r["objective"] for r in records]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("docs/batch_benchmark.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        inputs = Path(folder) / "inputs"
        inputs.mkdir()
        write_variants(inputs)
        runs = []
        for _ in range(args.repeats):
            for workers in (1, 2):
                run = run_once(inputs, Path(folder) / f"out{workers}", workers)
                print(json.dumps({k: v for k, v in run.items() if k != "objectives"}),
                      flush=True)
                runs.append(run)
    table = {}
    for workers in (1, 2):
        mine = [r for r in runs if r["workers"] == workers]
        table[workers] = {
            "median_seconds": statistics.median(r["seconds"] for r in mine),
            "seconds": [round(r["seconds"], 2) for r in mine],
            "batch_peak_mib": max(r["batch_peak_mib"] for r in mine),
            "solve_peak_mib": max(r["solve_peak_mib"] for r in mine),
            "with_plan": mine[0]["with_plan"],
            "same_objectives": all(r["objectives"] == mine[0]["objectives"] for r in runs),
        }
    args.out.write_text(json.dumps({"variants": VARIANTS, "repeats": args.repeats,
                                    "cpu_count": __import__("os").cpu_count(),
                                    "results": table}, indent=2) + "\n")
    print(json.dumps(table, indent=2))


if __name__ == "__main__":
    main()
