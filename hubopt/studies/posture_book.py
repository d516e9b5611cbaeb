"""The posture (SPEC §3.5) as a result workbook and as JSON.

Sheets:

- ``Summary``: RP (the posture's expected cost), WS, EVPI, VSS, what is built now
  and what it costs, the expected cost later, in planner words;
- ``Now``: the modules to build now, with who staffs and funds them;
- ``Posture``: per scenario its probability, the posture's cost there, its own
  optimum WS_ω and the regret, what it adds and what built now it cannot use;
  below, the regret table (rows: build now what the hedge, or one scenario alone,
  would build; columns: the scenario that happens; "no plan" where none exists),
  and a native Excel chart of the expected cost of each "now" choice;
- ``Hubs``, ``Flows``, ``Sectors`` (and ``Staffing``, ``Funding`` with contributors):
  the posture's plan in every scenario, a ``scenario`` column first; Hubs says
  whether each module is built ``now`` or ``later``;
- ``Map`` (with the ``hubopt[map]`` extra): what is built now, and what each
  scenario adds;
- ``Diagnosis`` when there is no posture; ``Inputs``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..files.printing import WRAP
from ..files.xlsx import save_atomically
from ..outputs.record import run_record
from ..outputs.writer import header_row, inputs_sheet, put, summary_format, table_sheet
from .posture import HEDGE, Posture

_MONEY, _SHARE = "#,##0", "0.0%"
NO_PLAN = "no plan"

SUMMARY_MEANING: dict[str, str] = {
    "scenario": "Workbook (Settings scenario_name).",
    "status": "optimal, or time_limit etc. when the posture solve stopped before proving "
              "its plan optimal (see mip_gap); infeasible; no_solution.",
    "objective": "RP: the posture's expected cost over the scenarios, weighted by their "
                 "probabilities (currency/year): what is built now, plus what each future "
                 "adds at later_cost_factor and its transport, time and risk costs.",
    "now_cost": "Site and module costs of what is built now (currency/year), paid in every "
                "scenario.",
    "expected_later_cost": "Expected cost after the future is known: objective − now_cost "
                           "(currency/year).",
    "now_modules": "Modules built now (the Now sheet).",
    "now_sites": "Sites with a module built now.",
    "ws": "WS: the expected cost if the future were known before building (each scenario "
          "planned alone, weighted by its probability).",
    "evpi": "EVPI = objective − ws: the most it would be worth to know which future comes "
            "before building.",
    "vss": "VSS = the cheapest expected cost of building now what one scenario alone would "
           "build, minus objective: what the posture saves over betting on one future. "
           "Infinite (blank) when every such bet leaves some scenario without a plan.",
    "best_bet": "The scenario whose own 'now' plan has the least expected cost (VSS is "
                "measured against it).",
    "mip_gap": "Achieved relative gap of the posture solve.",
    "scenarios": "Number of scenarios.",
    "solves": "Solves of the one model: RP, one per scenario alone, and the regret table.",
    "unproven_solves": "Solves stopped before proving optimality (their figures are the "
                       "best found); blank when every solve was proven.",
    "total_seconds": "Wall-clock seconds for the whole posture.",
    "output": "This workbook.",
}

SUMMARY_FORMATS = {"now_cost": _MONEY, "expected_later_cost": _MONEY, "ws": _MONEY,
                   "evpi": _MONEY, "vss": _MONEY, "now_modules": "0", "now_sites": "0",
                   "scenarios": "0", "solves": "0"}


def module_text(modules) -> str:
    """'RZE storage medium, LUB maintenance small' (blank for none)."""
    return ", ".join(" ".join(m) for m in modules)


def best_bet(posture: Posture) -> str | None:
    """The scenario whose own "now" choice has the least expected cost."""
    rows = [r for r in posture.regret.index if r != HEDGE]
    return min(rows, key=posture.ec) if rows else None


def posture_summary(posture: Posture, output: str | Path | None = None) -> dict[str, Any]:
    """The Summary figures (also the JSON's top-level keys)."""
    vss = posture.vss
    return {
        "scenario": posture.scenario.name,
        "status": posture.status,
        "objective": posture.objective,
        "now_cost": posture.now_cost,
        "expected_later_cost": None if posture.objective is None or posture.now_cost is None
        else posture.objective - posture.now_cost,
        "now_modules": len(posture.now),
        "now_sites": len({m[0] for m in posture.now}),
        "ws": posture.ws,
        "evpi": posture.evpi,
        "vss": vss if vss is None or math.isfinite(vss) else None,
        "best_bet": best_bet(posture) if posture.has_plan else None,
        "mip_gap": posture.gap,
        "scenarios": len(posture.scenario.scenarios),
        "solves": posture.run.get("solves"),
        "unproven_solves": posture.run.get("unproven_solves"),
        "total_seconds": posture.run.get("total_seconds"),
        "output": None if output is None else str(output),
    }


def scenario_table(posture: Posture) -> pd.DataFrame:
    """One row per scenario (the Posture sheet's first table)."""
    cases = {c.scenario: c for c in posture.scenario.scenarios}
    rows = []
    for case in posture.cases:
        record = cases[case.name]
        ceasefire = posture.scenario.settings.ceasefire if record.ceasefire is None \
            else record.ceasefire
        rows.append({
            "scenario": case.name, "probability": case.probability,
            "ceasefire": "yes" if ceasefire else "no",
            "demand_factor": record.demand_factor,
            "lost_sites": ", ".join(record.lost),
            "cost": NO_PLAN if case.cost is None else case.cost,
            "ws": NO_PLAN if case.ws is None else case.ws,
            "regret": None if case.cost is None or case.ws is None else case.cost - case.ws,
            "added": module_text(case.added), "lost": module_text(case.lost),
            "ws_builds_now": module_text(case.ws_now)})
    return pd.DataFrame(rows)


POSTURE_HEADERS = {
    "probability": ("probability", _SHARE), "cost": ("cost [currency/year]", _MONEY),
    "ws": ("ws: its own optimum [currency/year]", _MONEY),
    "regret": ("regret: cost − ws [currency/year]", _MONEY),
    "demand_factor": ("demand_factor", "0.00"), "lost_sites": ("lost_sites", None),
    "added": ("added there (modules)", None),
    "lost": ("built now, lost there (modules)", None),
    "ws_builds_now": ("planned alone, it builds now", None),
}


def regret_rows(posture: Posture) -> list[tuple[str, list]]:
    """(row label, [cost per scenario ..., expected]) of the regret table, hedge first."""
    rows = []
    for row, values in posture.regret.iterrows():
        label = "build now the posture (hedge)" if row == HEDGE \
            else f"build now what '{row}' alone builds"
        rows.append((label, [NO_PLAN if v is None or (isinstance(v, float) and
                                                     not math.isfinite(v)) or pd.isna(v)
                             else float(v) for v in values.tolist()]))
    return rows


def build_posture_workbook(posture: Posture, output: str | Path | None = None,
                           draw_map: bool = True) -> Workbook:
    """The posture's result workbook (not yet saved)."""
    book = Workbook()
    book.remove(book.active)
    _summary_sheet(book, posture_summary(posture, output))
    if posture.diagnosis:
        table_sheet(book, "Diagnosis", pd.DataFrame(
            [(issue.where, issue.message, issue.fix) for issue in posture.diagnosis],
            columns=["where", "finding", "what to change"]), wide=True)
    if posture.has_plan:
        table_sheet(book, "Now", now_table(posture))
        _posture_sheet(book, posture)
        for title, frame in scenario_tables(posture).items():
            table_sheet(book, title, frame)
        if draw_map:
            _map_sheet(book, posture)
    inputs_sheet(book, run_record(posture.scenario, posture.run), posture.scenario.settings,
                 [(f"warning {i}", str(w)) for i, w in enumerate(posture.warnings, start=1)])
    return book


def write_posture(posture: Posture, path: str | Path, draw_map: bool = True) -> Path:
    """Write the posture workbook to ``path`` atomically."""
    return save_atomically(build_posture_workbook(posture, path, draw_map), path)


def _summary_sheet(book, summary: dict[str, Any]) -> None:
    sheet = book.create_sheet("Summary")
    header_row(sheet, ["key", "value", "meaning"])
    for row, (key, value) in enumerate(summary.items(), start=2):
        put(sheet, row, 1, key)
        put(sheet, row, 2, value, SUMMARY_FORMATS.get(key, summary_format(key)))
        put(sheet, row, 3, SUMMARY_MEANING.get(key, "")).alignment = WRAP
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 44
    sheet.column_dimensions["C"].width = 90


def now_table(posture: Posture) -> pd.DataFrame:
    """The modules built now, with their site and who staffs and funds them (per
    scenario when that differs)."""
    network_sites = {s.site_id: s for s in posture.scenario.sites}
    options = {o.key: o for o in posture.scenario.hub_options}
    rows = []
    for key in posture.now:
        site, option = network_sites[key[0]], options[key]
        rows.append({"site_id": key[0], "name": site.label, "country": site.country,
                     "service": key[1], "size": key[2], "capacity": option.capacity,
                     "fixed_cost": option.fixed_cost, "site_cost": site.site_cost,
                     "staff": option.staff,
                     "staffed_by": _contributions(posture, key[0], "staffing"),
                     "funded_by": _contributions(posture, key[0], "funding")})
    columns = ["site_id", "name", "country", "service", "size", "capacity", "fixed_cost",
               "site_cost", "staff", "staffed_by", "funded_by"]
    return pd.DataFrame(rows, columns=columns)


def _contributions(posture: Posture, site_id: str, table: str) -> str:
    """'DEU 55, POL 30' at ``site_id`` in the posture's plans; prefixed by the scenario
    where the scenarios differ."""
    if not posture.scenario.contributors:
        return ""
    texts = {}
    for case in posture.cases:
        if case.plan is None:
            continue
        frame = getattr(case.plan, table)
        here = frame[frame["site_id"] == site_id] if len(frame) else frame
        money = table == "funding"
        texts[case.name] = ", ".join(
            f"{r.contributor_id} {r.amount:,.0f}" if money else f"{r.contributor_id} "
            f"{r.amount:,.1f}".rstrip("0").rstrip(".") for r in here.itertuples())
    distinct = set(texts.values())
    if len(distinct) == 1:
        return distinct.pop()
    return "; ".join(f"{name}: {text or 'none'}" for name, text in texts.items())


def scenario_tables(posture: Posture) -> dict[str, pd.DataFrame]:
    """Hubs (with ``built``: now or later), Flows, Sectors, and with contributors
    Staffing and Funding: every scenario's plan, a ``scenario`` column first."""
    now = set(posture.now)
    names = ["hubs", "flows", "sectors"]
    if posture.scenario.contributors:
        names += ["staffing", "funding"]
    tables = {}
    for name in names:
        parts = []
        for case in posture.cases:
            if case.plan is None:
                continue
            frame = getattr(case.plan, name).copy()
            if name == "hubs":
                frame.insert(5, "built", ["now" if key in now else "later" for key in
                                          zip(frame["site_id"], frame["service"],
                                              frame["size"])])
            frame.insert(0, "scenario", case.name)
            parts.append(frame)
        if parts:
            tables[name.capitalize()] = pd.concat(parts, ignore_index=True)
    return tables


# Posture sheet column widths (characters): A holds the scenario or the regret row's
# label, B-H figures, I-K module lists (wrapped)
POSTURE_WIDTHS = (34, 14, 14, 14, 14, 16, 16, 16, 32, 26, 44)


def _posture_sheet(book, posture: Posture) -> None:
    sheet = book.create_sheet("Posture")
    table = scenario_table(posture)
    columns = list(table.columns)
    header_row(sheet, [POSTURE_HEADERS.get(c, (c, None))[0] for c in columns])
    for column in range(1, len(columns) + 1):
        sheet.cell(1, column).alignment = WRAP
    for row, values in enumerate(table.itertuples(index=False, name=None), start=2):
        for column, (name, value) in enumerate(zip(columns, values), start=1):
            cell = put(sheet, row, column, value, POSTURE_HEADERS.get(name, (name, None))[1])
            if isinstance(value, str) and len(value) > POSTURE_WIDTHS[column - 1]:
                cell.alignment = WRAP
    first = len(table) + 4
    title = put(sheet, first - 1, 1, "Regret table: the cost [currency/year] if a scenario "
                "happens (column) after building now what the row says; 'no plan' = that "
                "scenario then has no feasible plan. Expected = weighted by the "
                "probabilities; above the posture = expected − the posture's expected cost.")
    title.font = Font(bold=True)
    names = [c.name for c in posture.cases]
    header = ["build now", *[f"{n} happens" for n in names], "expected",
              "above the posture"]
    for column, text in enumerate(header, start=1):
        cell = put(sheet, first, column, text)
        cell.font, cell.alignment = Font(bold=True), WRAP
    rows = regret_rows(posture)
    for offset, (label, values) in enumerate(rows, start=1):
        put(sheet, first + offset, 1, label)
        expected = values[-1]
        above = NO_PLAN if isinstance(expected, str) else expected - posture.objective
        for column, value in enumerate([*values, above], start=2):
            put(sheet, first + offset, column, value, _MONEY)
    notes = ["The probabilities are the planner's judgement (Scenarios sheet); "
             "hubopt posture-sweep shows how the 'now' plan changes with them.",
             "later_cost_factor = "
             f"{posture.scenario.settings.later_cost_factor:g}: what is built only after "
             "the future is known costs that much more."]
    for offset, text in enumerate(notes, start=len(rows) + 2):
        put(sheet, first + offset, 1, text)
    for column, width in enumerate(POSTURE_WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    _expected_chart(sheet, first, rows, len(header))


def _expected_chart(sheet, first: int, rows, last_column: int) -> None:
    """A bar per "now" choice: its expected cost above the posture's (the last column),
    from 0, so that the bars compare what each bet costs more than the hedge."""
    finite = [i for i, (_, values) in enumerate(rows, start=1)
              if not isinstance(values[-1], str)]
    if not finite or finite != list(range(1, len(finite) + 1)):
        finite = finite[:1]   # the chart needs one contiguous block: the hedge at least
    if not finite:
        return
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Expected cost above the posture, per 'now' choice"
    chart.y_axis.title = "currency/year"
    chart.y_axis.number_format = "#,##0"
    chart.y_axis.scaling.min = 0
    chart.x_axis.scaling.orientation = "maxMin"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.majorGridlines = None
    chart.add_data(Reference(sheet, min_col=last_column, min_row=first + finite[0],
                             max_row=first + finite[-1]))
    chart.set_categories(Reference(sheet, min_col=1, min_row=first + finite[0],
                                   max_row=first + finite[-1]))
    chart.legend = None
    chart.dataLabels = DataLabelList(showVal=True, showSerName=False, showCatName=False,
                                     showLegendKey=False, showPercent=False, numFmt="#,##0")
    chart.width, chart.height = 22, 7
    sheet.add_chart(chart, f"A{first + len(rows) + 5}")


MAPS_PER_ROW = 2
MAP_WIDTH_PX = 760
ROWS_PER_MAP = 29      # sheet rows of 20 px below each map, with room for its caption
COLUMNS_PER_MAP = 12   # sheet columns of 64 px (the default width) across each map


def posture_maps(posture: Posture) -> list:
    """One drawn map per scenario: the posture's plan there, what is built now with a
    solid ring, what the scenario adds hatched (a site only added: dashed ring). The
    extent is every site and sector of the scenario, the same on every map."""
    from dataclasses import replace as with_

    from ..outputs import mapping
    from ..outputs.mapdata import map_data_from_plan

    tables = scenario_tables(posture)
    drawn = []
    for case in posture.cases:
        if case.plan is None:
            continue
        hubs = tables["Hubs"]
        hubs = hubs[hubs["scenario"] == case.name].drop(columns="scenario")
        data = map_data_from_plan(with_(case.plan, hubs=hubs.reset_index(drop=True)))
        added = len({m[0] for m in case.added})
        status = (f"p = {case.probability:.0%}; solid: built now, hatched/dashed: added "
                  f"here ({len(case.added)} modules at {added} sites)")
        drawn.append(mapping.render(with_(data, scenario=f"{posture.scenario.name} — "
                                          f"{case.name}", status=status)))
    return drawn


def _map_sheet(book, posture: Posture) -> None:
    """The Map sheet: :func:`posture_maps` as small multiples."""
    import io

    from openpyxl.drawing.image import Image
    from openpyxl.utils import get_column_letter

    from ..outputs import mapping
    from ..outputs.mapsheet import can_draw

    if not can_draw():
        return
    sheet = book.create_sheet("Map", 1)
    put(sheet, 1, 1, "The posture in each scenario: what is built now (solid ring, full "
        "wedges) and what that scenario adds (hatched wedges; dashed ring for a site "
        "opened only there).")
    maps = posture_maps(posture)
    for index, drawn in enumerate(maps):
        picture = Image(io.BytesIO(mapping.png_bytes(drawn)))
        scale = MAP_WIDTH_PX / picture.width
        picture.width, picture.height = MAP_WIDTH_PX, round(picture.height * scale)
        row = 3 + (index // MAPS_PER_ROW) * ROWS_PER_MAP
        column = 1 + (index % MAPS_PER_ROW) * COLUMNS_PER_MAP
        sheet.add_image(picture, f"{get_column_letter(column)}{row}")
        drawn.figure.clear()
    last_row = 3 + -(-len(maps) // MAPS_PER_ROW) * ROWS_PER_MAP
    sheet.print_area = f"A1:{get_column_letter(MAPS_PER_ROW * COLUMNS_PER_MAP)}{last_row}"


def posture_json(posture: Posture, output: str | Path | None = None) -> dict:
    """The JSON summary: the Summary keys, ``now`` ([site_id, service, size] each) and
    ``scenarios`` (``scenario``, ``probability``, ``cost``, ``ws``, ``ec`` — the expected
    cost of building now what that scenario alone builds —, ``added``, ``lost``)."""
    record = posture_summary(posture, output)
    record["now"] = [list(m) for m in posture.now]
    record["scenarios"] = [{
        "scenario": c.name, "probability": c.probability, "cost": c.cost, "ws": c.ws,
        "ec": _finite(posture.ec(c.name)) if c.name in posture.regret.index else None,
        "added": [list(m) for m in c.added], "lost": [list(m) for m in c.lost]}
        for c in posture.cases]
    return record


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


# -- the probability sweep (hubopt posture-sweep) -------------------------------------

SWEEP_HEADERS = {"probability": ("probability", _SHARE),
                 "expected_cost": ("expected_cost [currency/year]", _MONEY),
                 "now_cost": ("now_cost [currency/year]", _MONEY),
                 "from_probability": ("from_probability", _SHARE),
                 "to_probability": ("to_probability", _SHARE)}


def sweep_sentence(result) -> str:
    """The answer in one sentence: where the "now" plan changes, if anywhere."""
    if not result.changes:
        return (f"The plan built now is the same for every probability of "
                f"'{result.target}' from 0 to 1 tried.")
    where = "; ".join(f"between {low:.1%} and {high:.1%}" for low, high, _, _ in
                      result.changes)
    return (f"The plan built now changes {len(result.changes)} time(s) as the probability "
            f"of '{result.target}' rises: {where} (Changes below).")


def build_sweep_workbook(result) -> Workbook:
    from openpyxl.chart import LineChart

    book = Workbook()
    sheet = book.active
    sheet.title = "Sweep"
    put(sheet, 1, 1, sweep_sentence(result)).font = Font(bold=True)
    put(sheet, 2, 1, "Every other scenario's probability is scaled in proportion. "
        "Each row is the posture re-solved at that probability.")
    table = result.table()
    _frame_at(sheet, table, 4, SWEEP_HEADERS)
    chart = LineChart()
    chart.title = f"Cost against the probability of '{result.target}'"
    chart.y_axis.title = "currency/year"
    chart.x_axis.title = f"probability of {result.target}"
    chart.y_axis.number_format = "#,##0"
    chart.x_axis.number_format = "0%"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    last = 4 + len(table)
    chart.add_data(Reference(sheet, min_col=3, min_row=4, max_row=last), titles_from_data=True)
    chart.add_data(Reference(sheet, min_col=4, min_row=4, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=5, max_row=last))
    for series in chart.series:
        series.smooth = False
    chart.width, chart.height = 22, 9
    sheet.add_chart(chart, "H4")
    changes = book.create_sheet("Changes")
    put(changes, 1, 1, sweep_sentence(result)).font = Font(bold=True)
    _frame_at(changes, result.change_table(), 3, SWEEP_HEADERS)
    inputs_sheet(book, run_record(result.scenario, result.run), result.scenario.settings)
    return book


def _frame_at(sheet, frame: pd.DataFrame, row: int, headers: dict) -> None:
    """``frame`` with its header in ``row`` (bold), formats from ``headers``."""
    columns = list(frame.columns)
    for column, name in enumerate(columns, start=1):
        cell = put(sheet, row, column, headers.get(name, (name, None))[0])
        cell.font, cell.alignment = Font(bold=True), WRAP
        width = 60 if name in ("now", "stops_building", "starts_building") else 16
        sheet.column_dimensions[get_column_letter(column)].width = width
    for offset, values in enumerate(frame.itertuples(index=False, name=None), start=1):
        for column, (name, value) in enumerate(zip(columns, values), start=1):
            cell = put(sheet, row + offset, column, value, headers.get(name, (name, None))[1])
            if isinstance(value, str) and len(value) > 60:
                cell.alignment = WRAP


def write_sweep(result, path: str | Path) -> Path:
    return save_atomically(build_sweep_workbook(result), path)


def sweep_json(result) -> dict:
    """``scenario`` swept, ``points`` (probability, status, expected_cost, now_cost,
    now) and ``changes`` (from, to, stops_building, starts_building)."""
    return {"scenario": result.target,
            "points": [{"probability": p.probability, "status": p.status,
                        "expected_cost": p.objective, "now_cost": p.now_cost,
                        "now": [list(m) for m in p.now]} for p in result.points],
            "changes": [{"from": low, "to": high,
                         "stops_building": [list(m) for m in sorted(set(b) - set(a))],
                         "starts_building": [list(m) for m in sorted(set(a) - set(b))]}
                        for low, high, b, a in result.changes]}
