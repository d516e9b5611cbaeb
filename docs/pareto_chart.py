"""Draw the README's frontier chart: cost against avg_hours on the bundled example.

    pip install '.[docs]' && python docs/pareto_chart.py

Runs ``hubopt pareto inputs/example.xlsx -n 6`` through the API and writes
docs/pareto_example.png (the Excel workbook carries the same chart natively).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import hubopt  # noqa: E402
from hubopt.studies.pareto import pareto  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    frontier = pareto(hubopt.read_scenario(ROOT / "inputs" / "example.xlsx"), 6, "avg_hours")
    hours = [p.metric for p in frontier.points]
    costs = [p.cost / 1e6 for p in frontier.points]
    figure, axes = plt.subplots(figsize=(7, 4))
    axes.plot(hours, costs, "o-", color="#1F4E78", label="frontier")
    for point in frontier.points:
        axes.annotate(f"{point.plan.summary['open_sites']} sites",
                      (point.metric, point.cost / 1e6), textcoords="offset points",
                      xytext=(6, 6), fontsize=8)
    knee = frontier.knee
    if knee is not None:
        axes.plot([knee.metric], [knee.cost / 1e6], "D", color="#C00000", markersize=10,
                  label="knee")
    axes.set_xlabel("avg_hours [h]")
    axes.set_ylabel("cost [million currency/year]")
    axes.set_title(f"{frontier.scenario.name}: cost against resupply time")
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(ROOT / "docs" / "pareto_example.png", dpi=110)


if __name__ == "__main__":
    main()
