"""The short list as a workbook and as JSON.

Sheets:

- ``Alternatives``: the plans side by side, one column each, the optimum first;
  one row per figure: objective and its rise against the optimum, the score
  (modules, or sites, shared with earlier plans), cost and time figures, open sites by
  country, staff by contributor, the sites and modules it adds and drops against
  the optimum, and whether it is proven (least overlap, cheapest among the least)
  with its gaps; below the table why the list ended, if early;
- ``Modules``: every module open in some plan, a yes per plan where open;
- ``Map``: one map per plan, small multiples on one sheet, all drawn over the
  same extent (every site and sector of the scenario), when the ``hubopt[map]``
  extra is installed;
- ``Inputs``: slack, alternatives asked and found, solves and timings, settings.
"""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..files.printing import WRAP
from ..files.xlsx import save_atomically
from ..outputs.mapdata import map_data_from_plan
from ..outputs.record import run_record
from ..outputs.writer import (
    header_row,
    inputs_sheet,
    modules_sheet,
    put,
)
from .alternatives import Alternative, ShortList

_MONEY, _HOURS, _SHARE = "#,##0", "0.0", "0.00%"

# (column, header with unit, number format) of the Alternatives sheet
COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("rank", "rank", None),
    ("plan", "plan", None),
    ("objective", "objective [currency]", _MONEY),
    ("vs_optimum", "vs_optimum", _SHARE),
    ("score", "score [modules shared with earlier plans]", None),   # or sites: score_header
    ("total_cost", "total_cost [currency]", _MONEY),
    ("hub_cost", "hub_cost [currency/year]", _MONEY),
    ("transport_cost", "transport_cost [currency]", _MONEY),
    ("avg_hours", "avg_hours [h]", _HOURS),
    ("max_hours", "max_hours [h]", _HOURS),
    ("open_sites", "open_sites", None),
    ("sites_by_country", "sites_by_country", None),
    ("staff_by_contributor", "staff_by_contributor [personnel]", None),
    ("sites_added", "sites_added (against the optimum)", None),
    ("sites_dropped", "sites_dropped (against the optimum)", None),
    ("modules_opened", "modules_opened (against the optimum)", None),
    ("modules_closed", "modules_closed (against the optimum)", None),
    ("proven", "proven", None),
    ("score_gap", "score_gap", _SHARE),
    ("cost_gap", "cost_gap", _SHARE),
)
FIGURE_CHARACTERS = 30   # width of the Alternatives sheet's figure column
PLAN_CHARACTERS = 34     # and of each plan's column
LINE_POINTS = 15       # row height per line of wrapped text
MAPS_PER_ROW = 2
MAP_WIDTH_PX = 760
ROWS_PER_MAP = 29      # sheet rows of 20 px below each map, with room for its caption
COLUMNS_PER_MAP = 12   # sheet columns of 64 px (the default width) across each map


def module_label(module) -> str:
    return "/".join(module)


def plan_label(alternative: Alternative) -> str:
    return "optimum" if alternative.rank == 0 else f"alternative {alternative.rank}"


def _sites(alternative: Alternative) -> set[str]:
    return {site for site, _, _ in alternative.modules}


def _by_country(plan) -> str:
    """``POL 3, ROU 1``: open sites per country, most first."""
    hubs = plan.hubs
    if not len(hubs):
        return ""
    counts = hubs.drop_duplicates("site_id")["country"].astype(str).value_counts()
    return ", ".join(f"{country} {count}" for country, count in
                     sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _by_contributor(plan) -> str:
    """``DEU 120, POL 300``: staff per contributor (empty without contributors)."""
    staffing = plan.staffing
    if not len(staffing):
        return ""
    totals = staffing.groupby("contributor_id")["amount"].sum()
    return ", ".join(f"{contributor} {amount:,.0f}" for contributor, amount in
                     sorted(totals.items()) if amount > 0)


def proven_text(alternative: Alternative) -> str:
    """yes, or what is not proven and why (the solves' statuses)."""
    if alternative.proven:
        return "yes"
    if alternative.rank == 0:
        return f"no: the optimum is not proven ({alternative.cost_status})"
    parts = []
    if alternative.score_status != "optimal":
        parts.append(f"least overlap not proven ({alternative.score_status})")
    if alternative.cost_status != "optimal":
        parts.append(f"cheapest among the least not proven ({alternative.cost_status})")
    return "no: " + "; ".join(parts)


def alternatives_table(short: ShortList) -> pd.DataFrame:
    """The Alternatives sheet as a table (:data:`COLUMNS`), the optimum first."""
    best = short.optimum
    rows = []
    for alternative in short.plans:
        s = alternative.plan.summary
        rows.append({
            "rank": alternative.rank, "plan": plan_label(alternative),
            "objective": alternative.objective, "vs_optimum": short.delta(alternative),
            "score": alternative.score, "total_cost": s["total_cost"],
            "hub_cost": s["hub_cost"], "transport_cost": s["transport_cost"],
            "avg_hours": s["avg_hours"], "max_hours": s["max_hours"],
            "open_sites": s["open_sites"], "sites_by_country": _by_country(alternative.plan),
            "staff_by_contributor": _by_contributor(alternative.plan),
            "sites_added": ", ".join(sorted(_sites(alternative) - _sites(best))),
            "sites_dropped": ", ".join(sorted(_sites(best) - _sites(alternative))),
            "modules_opened": ", ".join(map(module_label,
                                            sorted(alternative.modules - best.modules))),
            "modules_closed": ", ".join(map(module_label,
                                            sorted(best.modules - alternative.modules))),
            "proven": proven_text(alternative), "score_gap": alternative.score_gap,
            "cost_gap": alternative.cost_gap})
    return pd.DataFrame(rows, columns=[name for name, _, _ in COLUMNS])


def ended_note(short: ShortList) -> str:
    """Why the list is as long as it is, in a sentence."""
    found = len(short.plans) - 1
    if short.ended is None:
        return f"{found} alternative(s) found, as asked."
    if found == 0 and short.ended.startswith("no further plan"):
        return f"No alternative within {100 * short.slack:.4g} % of the optimum."
    return f"{found} of {short.requested} alternative(s) asked for: {short.ended}."


def build_alternatives_workbook(short: ShortList, draw_maps: bool = True) -> Workbook:
    """The short-list workbook (not yet saved); maps when ``draw_maps`` and the
    ``hubopt[map]`` extra is installed."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Alternatives"
    _comparison(sheet, alternatives_table(short), short.by)
    unit = short.by[:-1]    # module or site
    notes = [ended_note(short),
             f"Every alternative costs at most {100 * short.slack:.4g} % more than the "
             "optimum (objective, SPEC §3) and differs from every plan before it by at least "
             f"one {unit}.",
             f"score: the {short.by} it shares with the optimum and the alternatives before "
             "it; each alternative has the least score possible, and is the cheapest of those.",
             "A module is a (site, service, size): the same site at another size counts "
             "as a different module (hubopt alternatives --by sites counts sites instead)."
             if short.by == "modules" else
             "Overlap counted in sites: an alternative differs in where hubs are, not only "
             "in their sizes."]
    first = len(COLUMNS) + 3
    for offset, text in enumerate(notes):
        cell = put(sheet, first + offset, 1, text)
        if offset == 0:
            cell.font = Font(bold=True)
    _modules_sheet(book, short)
    if draw_maps:
        _maps_sheet(book, short)
    _inputs_sheet(book, short)
    return book


def score_header(by: str) -> str:
    """The score row's name: what the overlap is counted in."""
    return f"score [{by} shared with earlier plans]"


def _comparison(sheet, table: pd.DataFrame, by: str) -> None:
    """The table side by side: one row per figure (column A: its name and unit), one
    column per plan, the optimum first; wrapped text with row heights to match
    (LibreOffice and Excel do not grow a row for wrapped text written by openpyxl),
    printed landscape, one page wide."""
    records = table.to_dict("records")
    header_row(sheet, ["figure"] + [str(r["plan"]) for r in records])
    headers = {name: header for name, header, _ in COLUMNS}
    headers["score"] = score_header(by)
    for row, (name, _, fmt) in enumerate(COLUMNS[2:], start=2):
        header = headers[name]
        label = put(sheet, row, 1, header)
        label.font, label.alignment = Font(bold=True), WRAP
        lines = _lines(header, FIGURE_CHARACTERS)
        for column, record in enumerate(records, start=2):
            put(sheet, row, column, record[name], fmt).alignment = WRAP
            if isinstance(record[name], str):
                lines = max(lines, _lines(record[name], PLAN_CHARACTERS))
        sheet.row_dimensions[row].height = LINE_POINTS * lines
    sheet.column_dimensions["A"].width = FIGURE_CHARACTERS
    for column in range(2, len(records) + 2):
        sheet.column_dimensions[get_column_letter(column)].width = PLAN_CHARACTERS
    sheet.freeze_panes = "B2"


def _lines(text: str, width: float) -> int:
    """Lines ``text`` takes wrapped at spaces in a column ``width`` characters wide
    (a character of the default font is about one width unit)."""
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > width - 1:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
    return lines


def _modules_sheet(book, short: ShortList) -> None:
    modules_sheet(book, [plan_label(a) for a in short.plans],
                  [a.modules for a in short.plans], width=14)


def plan_maps(short: ShortList) -> list:
    """One drawn map (:class:`hubopt.outputs.mapping.DrawnMap`) per plan, titled with
    its rank and cost against the optimum. The extent is that of every site and
    sector of the scenario, so it is the same on every map."""
    from ..outputs import mapping

    drawn = []
    for alternative in short.plans:
        data = map_data_from_plan(alternative.plan)
        title = f"{short.scenario.name} — {plan_label(alternative)}"
        status = alternative.cost_status if alternative.rank == 0 else \
            f"{100 * short.delta(alternative):+.2f} % against the optimum"
        drawn.append(mapping.render(replace(data, scenario=title, status=status)))
    return drawn


def _maps_sheet(book, short: ShortList) -> None:
    from ..outputs import mapping
    from ..outputs.mapsheet import can_draw

    if not can_draw():
        return
    from openpyxl.drawing.image import Image

    sheet = book.create_sheet("Map", 1)
    put(sheet, 1, 1, "Each plan on the same map extent: the optimum first, then the "
        "alternatives in order (rank as in the Alternatives sheet).")
    for index, drawn in enumerate(plan_maps(short)):
        picture = Image(io.BytesIO(mapping.png_bytes(drawn)))
        scale = MAP_WIDTH_PX / picture.width
        picture.width, picture.height = MAP_WIDTH_PX, round(picture.height * scale)
        row = 3 + (index // MAPS_PER_ROW) * ROWS_PER_MAP
        column = 1 + (index % MAPS_PER_ROW) * COLUMNS_PER_MAP
        sheet.add_image(picture, f"{get_column_letter(column)}{row}")
        drawn.figure.clear()
    count = len(short.plans)
    last_row = 3 + -(-count // MAPS_PER_ROW) * ROWS_PER_MAP
    sheet.print_area = f"A1:{get_column_letter(MAPS_PER_ROW * COLUMNS_PER_MAP)}{last_row}"


def _inputs_sheet(book, short: ShortList) -> None:
    inputs_sheet(book, run_record(short.scenario, short.run), short.scenario.settings,
                 value_width=60)


def write_alternatives(short: ShortList, path: str | Path, draw_maps: bool = True) -> Path:
    """Write the short-list workbook to ``path`` atomically."""
    return save_atomically(build_alternatives_workbook(short, draw_maps), path)


def alternatives_json(short: ShortList) -> dict:
    """``{"slack": ε, "by": modules|sites, "requested": N, "ended": why or None,
    "plans": [...]}``, the
    optimum first (rank 0), each plan with ``rank``, ``objective``, ``score``,
    ``total_cost``, ``avg_hours``, ``open`` ([site_id, service, size] each), ``gap``,
    ``proven`` and ``status``."""
    return {"slack": short.slack, "by": short.by, "requested": short.requested,
            "ended": short.ended,
            "plans": [{"rank": a.rank, "objective": a.objective, "score": a.score,
                       "total_cost": float(a.plan.summary["total_cost"]),
                       "avg_hours": float(a.plan.summary["avg_hours"]),
                       "open": [list(m) for m in sorted(a.modules)],
                       "gap": a.gap, "proven": a.proven,
                       "status": a.cost_status if a.rank == 0 else a.score_status}
                      for a in short.plans]}
