"""Write a Plan as the result workbook of SPEC §5.

Sheets: Summary, Map (the plan drawn, with the ``hubopt[map]`` extra) and
Charts (native Excel charts of the tables), Diagnosis when no plan exists,
Hubs, Flows, Sectors, Stress (the loss of each open site in turn, and of each
pair with resilience_losses = 2), Resilience (with resilience > 0), then
Staffing, Funding and Contributors when the
scenario has contributors, Changes against a previous plan, Locations
(coordinates and threat of every site and sector, what ``hubopt map`` redraws
from) and Inputs (settings, input hash, versions, timings). With a plan,
``<stem>_map.png`` and ``<stem>_map.svg`` are written beside the workbook.

When no plan exists the elastic re-solve's relaxed plan (SPEC §3.4) fills
Hubs to Contributors so the planner sees what the diagnosis assumes; those
sheets get a red tab and a note in A1, and the Summary says NOT FEASIBLE.

Every string is written as a text cell, so a site called ``=HYPERLINK(...)``
stays text; numbers stay numbers with a number format. The file is written
to a temporary name in the target folder and renamed into place, so a crash
never leaves a half-written workbook under the final name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from ..files.atomic import write_files_atomically
from ..files.printing import WRAP, print_one_page_wide, print_ready
from ..files.xlsx import set_value
from .charts import add_charts
from .mapdata import LOCATIONS_SHEET, locations_table, map_data_from_plan
from .results import Plan

# Number formats: money without decimals, quantities (units, personnel) and hours
# one decimal, shares as per cent.
_MONEY, _UNITS, _HOURS, _SHARE = "#,##0", "#,##0.0", "0.0", "0.0%"

# Header text (with unit) and number format of each result column.
COLUMN_FORMATS: dict[str, tuple[str, str | None]] = {
    "capacity": ("capacity [units/period]", _UNITS),
    "used": ("used [units/period]", _UNITS),
    "utilisation": ("utilisation", "0.0%"),
    "fixed_cost": ("fixed_cost [currency/year]", _MONEY),
    "site_cost": ("site_cost [currency/year]", _MONEY),
    "staff": ("staff [personnel]", _UNITS),
    "quantity": ("quantity [units/period]", _UNITS),
    "served": ("served [units/period]", _UNITS),
    "shortfall": ("shortfall [units/period]", _UNITS),
    "hours": ("hours [h]", "0.0"),
    "avg_hours": ("avg_hours [h]", "0.0"),
    "max_hours": ("max_hours [h]", "0.0"),
    "max_hours_limit": ("max_hours_limit [h]", "0.0"),
    "cost_per_unit": ("cost_per_unit [currency/unit]", _MONEY),
    "amount": ("amount", _UNITS),
    "max_staff": ("max_staff [personnel]", _UNITS),
    "funding": ("funding [currency/year]", _MONEY),
    "max_budget": ("max_budget [currency/year]", _MONEY),
    "staff_weight": ("staff_weight", "#,##0.0##"),
    "staff_per_weight": ("staff_per_weight [personnel per weight]", "#,##0.0000"),
    "staff_fair_share": ("staff_fair_share [personnel]", _UNITS),
    "money_weight": ("money_weight", "#,##0.0##"),
    "money_per_weight": ("money_per_weight [currency/year per weight]", "#,##0.0000"),
    "money_fair_share": ("money_fair_share [currency/year]", _MONEY),
    "latitude": ("latitude [deg]", "0.0000"),
    "longitude": ("longitude [deg]", "0.0000"),
    "threat": ("threat [0-1]", "0.00"),
    "unserved": ("unserved [units/period]", _UNITS),
    "unserved_share": ("unserved_share", "0.0%"),
    "avg_hours_rise": ("avg_hours_rise [h]", "0.0"),
    "max_hours_rise": ("max_hours_rise [h]", "0.0"),
    "cost_rise": ("cost_rise [currency/year]", _MONEY),
    "unserved_without": ("unserved_without [units/period]", _UNITS),
    "unserved_with": ("unserved_with [units/period]", _UNITS),
    "unserved_share_without": ("unserved_share_without", "0.0%"),
    "unserved_share_with": ("unserved_share_with", "0.0%"),
    # Explain (hubopt/studies/explain.py)
    "total_cost": ("total_cost [currency/year]", _MONEY),
    "delta_total_cost": ("delta_total_cost [currency/year]", _MONEY),
    "objective": ("objective [currency/year]", _MONEY),
    "delta_objective": ("delta_objective [currency/year]", _MONEY),
    "delta_avg_hours": ("delta_avg_hours [h]", _HOURS),
    "delta_max_hours": ("delta_max_hours [h]", _HOURS),
    "open_sites": ("open_sites", "0"),
    "cap": ("cap", _UNITS),
    "use": ("use", _UNITS),
    "saving": ("saving [currency/year]", _MONEY),
    "value_per_unit": ("value_per_unit [currency/year]", "#,##0.00"),
}

# Number format of each Summary value (others: none for text, two decimals for numbers)
SUMMARY_FORMATS: dict[str, str] = {
    **dict.fromkeys(("objective", "total_cost", "hub_cost", "transport_cost", "time_cost",
                     "risk_cost", "stability_cost", "max_money_per_weight"), _MONEY),
    **dict.fromkeys(("avg_hours", "max_hours", "solve_seconds", "total_seconds"), _HOURS),
    **dict.fromkeys(("open_sites", "open_modules", "staff_required"), "#,##0"),
    "shortfall": _UNITS,
    "max_staff_per_weight": "0.00",
    "mip_gap": "0.00%",
}

SUMMARY_MEANING: dict[str, str] = {
    "scenario": "Scenario name (Settings scenario_name).",
    "status": "optimal; time_limit, memory_limit or interrupted = the best plan found when "
              "the time limit, the memory limit (--max-memory-mb) or Ctrl-C/SIGTERM stopped "
              "the solve, not proven optimal (see mip_gap); infeasible; no_solution.",
    "objective": "The minimised value: total_cost + time_cost + risk_cost + stability_cost.",
    "total_cost": "hub_cost + transport_cost (currency/year).",
    "hub_cost": "Site costs plus module fixed costs of the open hubs (currency/year).",
    "transport_cost": "Σ cost_per_unit × quantity over the flows, times the periods per "
                      "year of Settings period (currency/year).",
    "time_cost": "Σ value_of_time × priority × hours × quantity, times the periods per year "
                 "(currency/year).",
    "risk_cost": "Σ value_at_risk × threat × quantity, times the periods per year "
                 "(currency/year).",
    "stability_cost": "stability_penalty × modules changed against the previous plan.",
    "avg_hours": "Quantity-weighted average resupply time (h).",
    "max_hours": "Longest resupply time of any used link (h).",
    "open_sites": "Number of open sites.",
    "open_modules": "Number of open modules.",
    "staff_required": "Personnel needed by the open modules.",
    "shortfall": "Demand left unserved (units/period); 0 unless diagnosing.",
    "burden_sharing": "How staff and money were split among contributors (Settings "
                      "burden_sharing): proportional = each in proportion to its weight "
                      "as far as its caps and permissions allow; none = the solver's split.",
    "max_staff_per_weight": "The largest staff / staff_weight of any contributor "
                            "(Contributors sheet); with weights = max_staff, the largest "
                            "share of a cap in use.",
    "max_money_per_weight": "The largest funding / money_weight of any contributor.",
    "mip_gap": "Relative gap between the plan and the best bound the solver proved.",
    "solve_seconds": "Seconds spent in HiGHS.",
    "total_seconds": "Seconds from validated input to plan.",
    "output": "Path of this workbook.",
}

# What each Stress column means (hubopt/studies/stress.py): the notes on its headers
STRESS_NOTES = {
    "unserved": "Units/period of demand (all services) the remaining hubs cannot serve.",
    "unserved_share": "Mean over services of unserved / total demand of the service.",
    "avg_hours_rise": "Rise of the quantity-weighted average resupply hours of the demand "
                      "still served.",
    "max_hours_rise": "Rise of the longest resupply hours of the demand still served.",
    "cost_rise": "Rise of transport cost per year when all demand is still served (the lost "
                 "hub's own costs are still paid). Blank when demand goes unserved: see "
                 "cost_note.",
    "cost_note": "Why cost_rise is blank: unserved demand no longer travels, so the cost "
                 "would fall; the damage is the unserved demand, not a saving.",
}

NOT_FEASIBLE = ("NOT FEASIBLE: the relaxed plan of the diagnosis, which breaks the limits "
                "listed in the Diagnosis sheet. Do not implement it.")
RELAXED_TAB = "C00000"
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor="1F4E78")


def write_result(plan: Plan, path: str | Path, draw_map: bool = True,
                 extra_tables: Mapping[str, pd.DataFrame] | None = None) -> Path:
    """Write ``plan`` to ``path`` atomically and return the path written.

    ``extra_tables`` adds sheets (title → table) before Inputs, e.g. Explain.

    With a plan and ``draw_map``, the map is drawn beside it
    (``<stem>_map.png``/``.svg``) and embedded on the Map sheet, when the
    ``hubopt[map]`` extra is installed (else one warning, no map).
    """
    from . import mapsheet

    plan = plan.written_to(path)
    book = build_workbook(plan, extra_tables)
    files = [(Path(path), book.save)]
    if draw_map and plan.has_plan and mapsheet.can_draw():
        png, svg = mapsheet.map_paths(path)
        picture, vector = mapsheet.map_file_bytes(map_data_from_plan(plan))
        mapsheet.add_map_sheet(book, picture, f"The plan on a map; also in {png.name} and "
                               f"{svg.name}. Redraw with: hubopt map {Path(path).name}")
        print_one_page_wide(book[mapsheet.MAP_SHEET], header_rows=0)
        files += [(png, lambda p: p.write_bytes(picture)), (svg, lambda p: p.write_bytes(vector))]
    return write_files_atomically(files)[0]  # all three or none, the workbook renamed first


def build_workbook(plan: Plan,
                   extra_tables: Mapping[str, pd.DataFrame] | None = None) -> Workbook:
    """The result workbook of ``plan`` as an openpyxl Workbook (not yet saved)."""
    book = Workbook()
    book.remove(book.active)
    _summary_sheet(book, plan)
    if plan.diagnosis:
        table_sheet(book, "Diagnosis", pd.DataFrame(
            [(issue.where, issue.message, issue.fix) for issue in plan.diagnosis],
            columns=["where", "finding", "what to change"]), wide=True)
    if plan.has_plan or plan.relaxed:
        sheets = [table_sheet(book, "Hubs", plan.hubs),
                  table_sheet(book, "Flows", plan.flows),
                  table_sheet(book, "Sectors", plan.sectors)]
        if plan.has_plan and len(plan.stress.columns):
            _header_notes(table_sheet(book, "Stress", plan.stress), plan.stress,
                          STRESS_NOTES)
        if plan.has_plan and len(plan.resilience.columns):
            table_sheet(book, "Resilience", plan.resilience)
        if plan.scenario.contributors:
            sheets += [table_sheet(book, "Staffing", plan.staffing, amount_unit="personnel"),
                       table_sheet(book, "Funding", plan.funding, amount_unit="currency/year"),
                       table_sheet(book, "Contributors", plan.contributors)]
        if plan.relaxed:
            for sheet in sheets:
                _mark_not_feasible(sheet)
    if plan.changes is not None:
        table_sheet(book, "Changes", plan.changes)
    table_sheet(book, LOCATIONS_SHEET, locations_table(plan))
    if plan.has_plan:
        add_charts(book)
        book.move_sheet("Charts", offset=1 - book.sheetnames.index("Charts"))
    for title, table in (extra_tables or {}).items():
        table_sheet(book, title, table, wide=True)
    _inputs_sheet(book, plan)
    print_ready(book)
    return book


def _header_notes(sheet, frame: pd.DataFrame, notes: Mapping[str, str]) -> None:
    """A note on each header cell whose column ``notes`` explains."""
    for column, name in enumerate(frame.columns, start=1):
        if name in notes:
            sheet.cell(row=1, column=column).comment = Comment(notes[name], "hubopt")


def _mark_not_feasible(sheet) -> None:
    """A banner in row 1 (the table moves down a row), a red tab and a note on the
    banner: this sheet shows the relaxed plan, not a plan, also when printed alone."""
    sheet.insert_rows(1)
    banner = put(sheet, 1, 1, NOT_FEASIBLE)
    banner.font = Font(bold=True, color=RELAXED_TAB)
    banner.alignment = WRAP
    banner.comment = Comment(NOT_FEASIBLE, "hubopt")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1,
                      end_column=max(sheet.max_column, 4))
    sheet.row_dimensions[1].height = 32
    sheet.freeze_panes = "A3"
    sheet.sheet_properties.tabColor = RELAXED_TAB


def column_format(column: str) -> tuple[str, str | None]:
    """Header text with unit, and number format, of a result column."""
    if column in COLUMN_FORMATS:
        return COLUMN_FORMATS[column]
    if column.startswith("unserved_"):  # unserved_<service> of the Stress sheet
        return (f"{column} [units/period]", _UNITS)
    return (column, None)


def put(sheet, row: int, column: int, value: Any, number_format: str | None = None):
    """Write one cell through :func:`hubopt.xlsx.set_value` and return it."""
    cell = sheet.cell(row=row, column=column)
    set_value(cell, value, number_format)
    return cell


def header_row(sheet, names: list[str]) -> None:
    for column, name in enumerate(names, start=1):
        cell = put(sheet, 1, column, name)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    sheet.freeze_panes = "A2"


def table_sheet(book, title: str, frame: pd.DataFrame, amount_unit: str | None = None,
                 wide: bool = False):
    sheet = book.create_sheet(title)
    columns = list(frame.columns)
    headers = [column_format(c)[0] for c in columns]
    if amount_unit:
        headers = [f"amount [{amount_unit}]" if c == "amount" else h
                   for c, h in zip(columns, headers)]
    header_row(sheet, headers)
    formats = [column_format(c)[1] for c in columns]
    for row, values in enumerate(frame.itertuples(index=False, name=None), start=2):
        for column, (value, fmt) in enumerate(zip(values, formats), start=1):
            put(sheet, row, column, value, fmt)
    fit_widths(sheet, headers, frame, wide)
    return sheet


def fit_widths(sheet, headers: list[str], frame: pd.DataFrame, wide: bool) -> None:
    """Widths from the longest header or (formatted) value of the first 200 rows, at
    most 40 characters (100 when ``wide``); longer text wraps."""
    limit = 100 if wide else 40
    for column, header in enumerate(headers, start=1):
        sample = frame.iloc[:200, column - 1] if len(frame) else []
        longest = max([len(header)] + [_shown_length(v) for v in sample])
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = min(limit, longest + 2)
        if longest > limit:
            for cell in sheet[letter][1:]:
                cell.alignment = WRAP


def _shown_length(value: Any) -> int:
    """Characters ``value`` takes on screen: numbers as formatted (one decimal)."""
    if isinstance(value, float):
        return len(f"{value:,.1f}") if math.isfinite(value) else 0
    return len(str(value))


def summary_format(key: str) -> str:
    """Number format of the Summary figure ``key``."""
    return SUMMARY_FORMATS.get(key, "#,##0.00")


def _summary_sheet(book, plan: Plan) -> None:
    sheet = book.create_sheet("Summary")
    header_row(sheet, ["key", "value", "meaning"])
    for row, (key, value) in enumerate(plan.summary.items(), start=2):
        put(sheet, row, 1, key)
        put(sheet, row, 2, value, summary_format(key))
        put(sheet, row, 3, SUMMARY_MEANING.get(key, "")).alignment = WRAP
    if plan.relaxed:
        row = len(plan.summary) + 2
        put(sheet, row, 1, "note")
        put(sheet, row, 2, NOT_FEASIBLE)
        put(sheet, row, 3, "Figures above are those of the relaxed plan; shortfall is the "
            "demand it leaves unserved.")
        sheet.cell(row=row, column=2).font = Font(bold=True, color=RELAXED_TAB)
        sheet.sheet_properties.tabColor = RELAXED_TAB
    sheet.column_dimensions["A"].width = max(18, max(map(len, plan.summary), default=0) + 2)
    sheet.column_dimensions["B"].width = 40
    sheet.column_dimensions["C"].width = 80


def _inputs_sheet(book, plan: Plan) -> None:
    inputs_sheet(book, plan.run, plan.scenario.settings,
                 [(f"warning {i}", str(w)) for i, w in enumerate(plan.warnings, start=1)])


def inputs_sheet(book, run: dict, settings, extra: list[tuple[str, Any]] = (),
                 value_width: int = 90) -> None:
    """An ``Inputs`` sheet: the run record's keys, then ``setting <key>`` for every
    Settings field, then ``extra`` rows (key, value)."""
    sheet = book.create_sheet("Inputs")
    header_row(sheet, ["key", "value"])
    rows: list[tuple[str, Any]] = list(run.items())
    rows += [(f"setting {k}", v) for k, v in asdict(settings).items()]
    rows += list(extra)
    for row, (key, value) in enumerate(rows, start=2):
        put(sheet, row, 1, key)
        put(sheet, row, 2, value)
    sheet.column_dimensions["A"].width = 30
    sheet.column_dimensions["B"].width = value_width


def modules_sheet(book, labels: list[str], open_modules: list[set], width: int = 12):
    """A ``Modules`` sheet: every module open in some plan (site_id, service, size),
    then one column per plan (``labels``) with yes where ``open_modules`` has it."""
    sheet = book.create_sheet("Modules")
    header_row(sheet, ["site_id", "service", "size"] + list(labels))
    for row, module in enumerate(sorted(set().union(*open_modules)), start=2):
        for column, value in enumerate(module, start=1):
            put(sheet, row, column, value)
        for column, opened in enumerate(open_modules, start=4):
            put(sheet, row, column, "yes" if module in opened else "")
    for column in range(1, len(labels) + 4):
        sheet.column_dimensions[get_column_letter(column)].width = width
    return sheet
