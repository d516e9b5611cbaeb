"""Native Excel charts on a ``Charts`` sheet of the result workbook.

Every chart references the workbook's own cells, so Excel redraws it when a
planner edits a table:

1. cost breakdown: Summary ``hub_cost`` … ``risk_cost`` (and
   ``stability_cost`` when non-zero), currency/year, labelled with values only;
2. utilisation per open module: Hubs ``utilisation`` (0–100 %);
3. resupply hours per demand row with demand this run: Sectors ``avg_hours``,
   ``max_hours`` and ``max_hours_limit`` (grey) as bars side by side (h);
4. contributor use against fair share and caps: Contributors ``staff`` against
   ``staff_fair_share`` and ``max_staff`` (personnel), ``funding`` against
   ``money_fair_share`` and ``max_budget`` (currency/year).

Category labels that combine two columns (site and service of a module,
sector and service of a demand row) are written as text in columns A–B of
the Charts sheet, one row per table row in the same order; the values are
references into the tables.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import SeriesLabel

from ..files.xlsx import set_value
from ..inputs.reader import normalise_header

CHART_WIDTH, CHART_HEIGHT = 22.0, 9.0   # cm
ROW_STEP = 20                           # rows between chart anchors
LIMIT_COLOUR = "7F7F7F"                 # grey bars: the max_hours_limit series


def add_charts(book) -> None:
    """Add the Charts sheet to a result workbook that has its tables written."""
    if "Hubs" not in book.sheetnames:
        return
    sheet = book.create_sheet("Charts")
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = 30
    anchors = iter(f"D{1 + i * ROW_STEP}" for i in range(10))
    for chart in (_cost_chart(book), _utilisation_chart(book, sheet),
                  _hours_chart(book, sheet), *_contributor_charts(book)):
        if chart is not None:
            chart.width, chart.height = CHART_WIDTH, CHART_HEIGHT
            sheet.add_chart(chart, next(anchors))


def _columns(sheet) -> dict[str, int]:
    return {normalise_header(cell.value): cell.column for cell in sheet[1] if cell.value}


def _last_row(sheet) -> int:
    row = sheet.max_row
    while row > 1 and sheet.cell(row, 1).value is None:
        row -= 1
    return row


def _bar(title: str, y_title: str, horizontal: bool = True) -> BarChart:
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.title = title
    chart.y_axis.title = y_title
    chart.y_axis.majorGridlines = None
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    if horizontal:
        chart.x_axis.scaling.orientation = "maxMin"   # first table row on top
    return chart


def _cost_chart(book) -> BarChart | None:
    summary = book["Summary"]
    rows = {summary.cell(r, 1).value: r for r in range(2, summary.max_row + 1)}
    keys = ["hub_cost", "transport_cost", "time_cost", "risk_cost"]
    stability = summary.cell(rows["stability_cost"], 2).value if "stability_cost" in rows else 0
    if stability:
        keys.append("stability_cost")
    wanted = [rows.get(k) for k in keys]
    if None in wanted or wanted != list(range(wanted[0], wanted[0] + len(wanted))):
        return None
    chart = _bar("Cost breakdown", "currency/year")
    chart.add_data(Reference(summary, min_col=2, min_row=wanted[0], max_row=wanted[-1]))
    chart.set_categories(Reference(summary, min_col=1, min_row=wanted[0], max_row=wanted[-1]))
    chart.series[0].tx = SeriesLabel(v="cost")
    chart.legend = None
    chart.dataLabels = DataLabelList(showVal=True, showSerName=False, showCatName=False,
                                     showLegendKey=False, showPercent=False, numFmt="#,##0")
    chart.y_axis.number_format = "#,##0"
    return chart


def _labels(chart_sheet, column: int, title: str, table, parts: list[str],
            last: int | None = None) -> Reference | None:
    """Write 'a · b' labels from ``parts`` columns of ``table`` (rows 2 to ``last``,
    default all) into ``chart_sheet``."""
    columns = _columns(table)
    last = _last_row(table) if last is None else last
    if last < 2 or any(p not in columns for p in parts):
        return None
    set_value(chart_sheet.cell(1, column), title)
    for row in range(2, last + 1):
        text = " · ".join(str(table.cell(row, columns[p]).value) for p in parts)
        set_value(chart_sheet.cell(row, column), text)
    return Reference(chart_sheet, min_col=column, min_row=2, max_row=last)


def _utilisation_chart(book, chart_sheet) -> BarChart | None:
    hubs = book["Hubs"]
    columns, last = _columns(hubs), _last_row(hubs)
    labels = _labels(chart_sheet, 1, "module (Hubs rows)", hubs, ["site_id", "service", "size"])
    if labels is None or "utilisation" not in columns:
        return None
    chart = _bar("Utilisation per open module", "share of capacity used")
    column = columns["utilisation"]
    chart.add_data(Reference(hubs, min_col=column, min_row=1, max_row=last), titles_from_data=True)
    chart.set_categories(labels)
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0.0, 1.0
    chart.y_axis.number_format = "0%"
    chart.legend = None
    chart.height = max(CHART_HEIGHT, 0.6 * (last - 1))
    return chart


def _hours_chart(book, chart_sheet) -> BarChart | None:
    """avg_hours, max_hours and max_hours_limit of each demand row with demand this
    run (the Sectors table lists those first), as three bars side by side."""
    sectors = book["Sectors"]
    columns, last = _columns(sectors), _last_row(sectors)
    needed = ("avg_hours", "max_hours", "max_hours_limit")
    if any(c not in columns for c in needed):
        return None
    last = _last_served_row(sectors, columns["avg_hours"], last)
    labels = _labels(chart_sheet, 2, "demand row (Sectors rows)", sectors,
                     ["sector_id", "service"], last)
    if labels is None:
        return None
    chart = _bar("Resupply hours per demand row against its limit", "hours", horizontal=False)
    for name in needed:
        chart.add_data(Reference(sectors, min_col=columns[name], min_row=1, max_row=last),
                       titles_from_data=True)
    chart.set_categories(labels)
    limit = chart.series[2].graphicalProperties
    limit.solidFill = LIMIT_COLOUR
    limit.line.solidFill = LIMIT_COLOUR
    chart.y_axis.number_format = "0"
    return chart


def _last_served_row(sectors, column: int, last: int) -> int:
    """The last row of the first block of rows with a value in ``column`` (1 if none)."""
    row = 1
    while row < last and sectors.cell(row + 1, column).value is not None:
        row += 1
    return row


def _contributor_charts(book) -> list[BarChart]:
    if "Contributors" not in book.sheetnames:
        return []
    sheet = book["Contributors"]
    columns, last = _columns(sheet), _last_row(sheet)
    if last < 2 or "name" not in columns:
        return []
    charts = []
    for series, title, unit in (
            (("staff", "staff_fair_share", "max_staff"),
             "Contributor staff against fair share and cap", "personnel"),
            (("funding", "money_fair_share", "max_budget"),
             "Contributor funding against fair share and cap", "currency/year")):
        if series[0] not in columns:
            continue
        chart = _bar(title, unit)
        for name in series:
            if name in columns:
                chart.add_data(Reference(sheet, min_col=columns[name], min_row=1,
                                         max_row=last), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=columns["name"], min_row=2,
                                       max_row=last))
        chart.y_axis.number_format = "#,##0"
        charts.append(chart)
    return charts


def chart_references(chart) -> list[str]:
    """Every cell reference a chart's series use (values and categories), for tests."""
    refs = []
    for series in chart.series:
        if series.val is not None and series.val.numRef is not None:
            refs.append(series.val.numRef.f)
        if series.cat is not None:
            ref = series.cat.numRef or series.cat.strRef
            if ref is not None:
                refs.append(ref.f)
    return refs

