"""Seconds to read + validate a 100,000-row Routes workbook and to build the network.

    python -m benchmarks.io_profile [--runs 5]

Prints medians of ``--runs`` runs (docs/profile.md quotes them):

- read: ``reader.read_workbook`` through calamine (now) and with every sheet
  forced through openpyxl (``_needs_openpyxl`` → True: the parser used before);
- validate: ``validate.validate`` on the read tables;
- network: ``network.build_network`` at theatre scale 1 (numpy), and the arc
  loop it replaced (tests/network_reference.py) on the same sets.

The workbook is tests/test_fast_read.py's: 200 sites × 500 sectors of Routes,
written by openpyxl in write-only mode.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def routes_workbook(path: Path) -> Path:
    from openpyxl import Workbook

    sys.path.insert(0, str(ROOT / "tests"))
    from workbooks import tiny_sheets

    sheets = tiny_sheets()
    sheets["Sectors"] = [sheets["Sectors"][0]] + [
        [f"K{j}", "UKR", 48 + j % 300 / 100, 35 + j % 200 / 100] for j in range(500)]
    sheets["Demand"] = [sheets["Demand"][0]] + [[f"K{j}", "goods", 1, None] for j in range(500)]
    sheets["Sites"] = [sheets["Sites"][0]] + [
        [f"S{i}", None, "POL", 50, 20 + i / 100, "candidate", 0] for i in range(200)]
    sheets["HubOptions"] = [sheets["HubOptions"][0]] + [
        [f"S{i}", "goods", "std", 1000, 100, 1] for i in range(200)]
    sheets["Routes"] = [sheets["Routes"][0]] + [
        [f"S{i}", f"K{j}", 5, 1, "yes"] for i in range(200) for j in range(500)]
    book = Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def _median(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.io_profile")
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args(argv).runs
    sys.path.insert(0, str(ROOT))
    from benchmarks.theatre import theatre
    from hubopt.inputs import reader
    from hubopt.inputs.validate import validate
    from hubopt.model.network import build_network
    from tests.network_reference import reference_arcs

    with tempfile.TemporaryDirectory() as folder:
        path = routes_workbook(Path(folder) / "routes100k.xlsx")
        raw = reader.read_workbook(path)
        fast = _median(lambda: reader.read_workbook(path), runs)
        check = _median(lambda: validate(raw), runs)
        original = reader._needs_openpyxl
        reader._needs_openpyxl = lambda worksheet: True
        try:
            slow = _median(lambda: reader.read_workbook(path), max(1, runs // 2))
        finally:
            reader._needs_openpyxl = original
    print(f"read 100k Routes, calamine:  {fast:.2f} s")
    print(f"read 100k Routes, openpyxl:  {slow:.2f} s")
    print(f"validate 100k Routes:        {check:.2f} s")
    scenario = theatre(1.0)
    network = build_network(scenario)
    now = _median(lambda: build_network(scenario), runs)
    before = _median(lambda: reference_arcs(scenario, network.sites, network.modules,
                                            network.sectors, network.demand),
                     max(1, runs // 2))
    print(f"build_network theatre 1 ({len(network.arcs):,} arcs), numpy: {now:.2f} s")
    print(f"arc loop it replaced (arcs only):                 {before:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
