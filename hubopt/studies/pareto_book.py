"""The frontier as a workbook: a ``Pareto`` table with an Excel scatter chart,
the modules open at each point, and the run record.

Sheets:

- ``Pareto``: one row per point, cost-optimal first: the metric, the bound ε
  it was solved for, cost figures, both time figures, open sites and modules,
  the modules opened and closed compared with the previous point, and
  ``knee`` = yes on the knee; beside it a scatter chart of cost against the
  metric with the knee as a separate, larger marker;
- ``Modules``: every module open at some point, a yes per point where open;
- ``Inputs``: settings, input file and hash, versions, solves and timings.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.chart.marker import Marker
from openpyxl.utils import get_column_letter

from ..files.xlsx import save_atomically
from ..outputs.record import run_record
from ..outputs.writer import header_row, put
from .pareto import Frontier, module_changes

_MONEY, _HOURS = "#,##0", "0.00"


def _label(module) -> str:
    return "/".join(module)


def pareto_columns(metric: str) -> list[tuple[str, str | None]]:
    """(header, number format) of the Pareto sheet's columns."""
    return [("point", None), ("role", None), (f"{metric} [h]", _HOURS),
            ("epsilon [h]", _HOURS), ("cost [currency]", _MONEY),
            ("total_cost [currency]", _MONEY), ("hub_cost [currency/year]", _MONEY),
            ("transport_cost [currency]", _MONEY), ("risk_cost [currency]", _MONEY),
            ("avg_hours [h]", _HOURS), ("max_hours [h]", _HOURS), ("open_sites", None),
            ("open_modules", None), ("opened", None), ("closed", None), ("knee", None),
            ("status", None), ("mip_gap", "0.00%")]


def build_pareto_workbook(frontier: Frontier) -> Workbook:
    """The frontier workbook (not yet saved)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Pareto"
    columns = pareto_columns(frontier.metric)
    header_row(sheet, [name for name, _ in columns])
    for row, (point, (opened, closed)) in enumerate(
            zip(frontier.points, module_changes(frontier.points)), start=2):
        s = point.plan.summary
        values = [row - 1, point.role, point.metric, point.epsilon, point.cost, s["total_cost"],
                  s["hub_cost"], s["transport_cost"], s["risk_cost"], s["avg_hours"],
                  s["max_hours"], s["open_sites"], s["open_modules"],
                  ", ".join(map(_label, opened)), ", ".join(map(_label, closed)),
                  "yes" if point.knee else "", point.plan.status, s["mip_gap"]]
        for column, (value, (_, fmt)) in enumerate(zip(values, columns), start=1):
            put(sheet, row, column, value, fmt)
    for column, (name, _) in enumerate(columns, start=1):
        width = 40 if name in ("opened", "closed") else max(10, len(name) + 2)
        sheet.column_dimensions[get_column_letter(column)].width = width
    _chart(sheet, frontier, len(columns))
    _modules_sheet(book, frontier)
    _inputs_sheet(book, frontier)
    return book


def _chart(sheet, frontier: Frontier, width: int) -> None:
    """Scatter chart: x = metric (column C), y = cost (column E); knee as its own series."""
    count = len(frontier.points)
    chart = ScatterChart()
    chart.title = f"Cost against {frontier.metric}"
    chart.style = 13
    chart.x_axis.title = f"{frontier.metric} [h]"
    chart.y_axis.title = "cost [currency]"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    xs = Reference(sheet, min_col=3, min_row=2, max_row=count + 1)
    ys = Reference(sheet, min_col=5, min_row=2, max_row=count + 1)
    frontier_series = Series(ys, xs, title="frontier")
    frontier_series.marker = Marker(symbol="circle", size=7)
    chart.series.append(frontier_series)
    knee = next((i for i, p in enumerate(frontier.points) if p.knee), None)
    if knee is not None:
        row = knee + 2
        knee_series = Series(Reference(sheet, min_col=5, min_row=row, max_row=row),
                             Reference(sheet, min_col=3, min_row=row, max_row=row), title="knee")
        knee_series.marker = Marker(symbol="diamond", size=14)
        knee_series.marker.graphicalProperties.solidFill = "C00000"
        knee_series.graphicalProperties.line.noFill = True
        chart.series.append(knee_series)
    chart.width, chart.height = 18, 10
    sheet.add_chart(chart, f"A{count + 4}")


def _modules_sheet(book, frontier: Frontier) -> None:
    sheet = book.create_sheet("Modules")
    modules = sorted(set().union(*(p.modules for p in frontier.points)))
    header_row(sheet, ["site_id", "service", "size"]
            + [f"point {i}" for i in range(1, len(frontier.points) + 1)])
    for row, module in enumerate(modules, start=2):
        for column, value in enumerate(module, start=1):
            put(sheet, row, column, value)
        for i, point in enumerate(frontier.points, start=4):
            put(sheet, row, i, "yes" if module in point.modules else "")
    for column in range(1, len(frontier.points) + 4):
        sheet.column_dimensions[get_column_letter(column)].width = 12


def _inputs_sheet(book, frontier: Frontier) -> None:
    sheet = book.create_sheet("Inputs")
    header_row(sheet, ["key", "value"])
    rows = list(run_record(frontier.scenario, frontier.run).items())
    rows += [(f"setting {k}", v) for k, v in asdict(frontier.scenario.settings).items()]
    rows.append(("knee normalisation", "min-max over the frontier on both axes"))
    for row, (key, value) in enumerate(rows, start=2):
        put(sheet, row, 1, key)
        put(sheet, row, 2, value)
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 60


def write_pareto(frontier: Frontier, path: str | Path) -> Path:
    """Write the frontier workbook to ``path`` atomically."""
    return save_atomically(build_pareto_workbook(frontier), path)
