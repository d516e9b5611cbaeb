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

from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.chart.marker import Marker
from openpyxl.utils import get_column_letter

from ..files.printing import WRAP
from ..files.xlsx import save_atomically
from ..outputs.record import run_record
from ..outputs.writer import header_row, inputs_sheet, modules_sheet, put
from .pareto import Frontier, module_changes

_MONEY, _HOURS = "#,##0", "0.00"


def _label(module) -> str:
    return "/".join(module)


def pareto_columns(metric: str) -> list[tuple[str, str | None]]:
    """(header, number format) of the Pareto sheet's columns."""
    return [("point", None), ("role", None), (f"{metric} [h]", _HOURS),
            ("epsilon [h]", _HOURS), ("objective_without_time [currency/year]", _MONEY),
            ("total_cost [currency/year]", _MONEY), ("hub_cost [currency/year]", _MONEY),
            ("transport_cost [currency/year]", _MONEY), ("risk_cost [currency/year]", _MONEY),
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
        for column, (value, (name, fmt)) in enumerate(zip(values, columns), start=1):
            cell = put(sheet, row, column, value, fmt)
            if name in ("opened", "closed"):
                cell.alignment = WRAP
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
    chart.scatterStyle = "lineMarker"
    chart.x_axis.title = f"{frontier.metric} [h]"
    chart.y_axis.title = "objective without time [currency/year]"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "b"
    xs = Reference(sheet, min_col=3, min_row=2, max_row=count + 1)
    ys = Reference(sheet, min_col=5, min_row=2, max_row=count + 1)
    frontier_series = Series(ys, xs, title="frontier")
    frontier_series.marker = Marker(symbol="circle", size=7)
    frontier_series.smooth = False  # straight segments: a curve would dip below real plans
    chart.series.append(frontier_series)
    knee = next((i for i, p in enumerate(frontier.points) if p.knee), None)
    if knee is not None:
        row = knee + 2
        knee_series = Series(Reference(sheet, min_col=5, min_row=row, max_row=row),
                             Reference(sheet, min_col=3, min_row=row, max_row=row), title="knee")
        knee_series.marker = Marker(symbol="diamond", size=14)
        knee_series.marker.graphicalProperties.solidFill = "C00000"
        knee_series.graphicalProperties.line.noFill = True
        knee_series.smooth = False
        chart.series.append(knee_series)
    chart.width, chart.height = 18, 10
    sheet.add_chart(chart, f"A{count + 4}")


def _modules_sheet(book, frontier: Frontier) -> None:
    modules_sheet(book, [f"point {i}" for i in range(1, len(frontier.points) + 1)],
                  [p.modules for p in frontier.points])


def _inputs_sheet(book, frontier: Frontier) -> None:
    inputs_sheet(book, run_record(frontier.scenario, frontier.run), frontier.scenario.settings,
                 [("knee normalisation", "min-max over the frontier on both axes")],
                 value_width=60)


def write_pareto(frontier: Frontier, path: str | Path) -> Path:
    """Write the frontier workbook to ``path`` atomically."""
    return save_atomically(build_pareto_workbook(frontier), path)
