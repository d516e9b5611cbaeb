"""What the plan map shows, from a solved Plan or from a result workbook alone.

The result workbook carries a ``Locations`` sheet (one row per input site and
sector: coordinates, threat, whether it was usable and open), so that
``hubopt map RESULT.xlsx`` can redraw a plan with no input workbook and no
solver. :class:`MapData` is the one hand-off to the renderer
(:mod:`hubopt.mapping`); it holds plain DataFrames, no Excel or matplotlib
objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .reading import read_result_book
from .results import TABLE_COLUMNS, Plan

LOCATION_COLUMNS = ("kind", "id", "name", "country", "latitude", "longitude", "threat",
                    "status", "usable", "open")
LOCATIONS_SHEET = "Locations"
LOCATIONS_MEANING = (
    "One row per input site and sector: where it is (WGS84 degrees), the site's threat "
    "(0–1) and input status, whether it was usable in this run (not closed, and no "
    "ceasefire needed or ceasefire = yes) and whether the plan opened it. The map is drawn "
    "from this sheet with Hubs, Flows and Sectors.")


def locations_table(plan: Plan) -> pd.DataFrame:
    """The Locations sheet of ``plan``: sites then sectors, each sorted by id.

    ``usable`` follows the active sets of SPEC §3 (sites: status ≠ closed and
    ceasefire or not requires_ceasefire; sectors: ceasefire or not
    requires_ceasefire); ``open`` is yes for a site with an open module.
    """
    scenario = plan.scenario
    ceasefire = scenario.settings.ceasefire
    opened = set(plan.hubs["site_id"]) if len(plan.hubs) else set()
    rows = [("site", s.site_id, s.label, s.country, s.latitude, s.longitude, s.threat,
             s.status, s.status != "closed" and (ceasefire or not s.requires_ceasefire),
             s.site_id in opened)
            for s in sorted(scenario.sites, key=lambda s: s.site_id)]
    rows += [("sector", s.sector_id, s.label, s.country, s.latitude, s.longitude, None,
              None, ceasefire or not s.requires_ceasefire, None)
             for s in sorted(scenario.sectors, key=lambda s: s.sector_id)]
    return pd.DataFrame(rows, columns=list(LOCATION_COLUMNS))


@dataclass
class MapData:
    """Everything the map draws. ``sites``/``sectors`` are the Locations rows of
    each kind with coordinates; ``hubs``, ``flows``, ``demand`` are the Hubs,
    Flows and Sectors tables (``demand`` has sector_id, service, quantity)."""

    scenario: str
    status: str
    sites: pd.DataFrame
    sectors: pd.DataFrame
    hubs: pd.DataFrame
    flows: pd.DataFrame
    demand: pd.DataFrame
    summary: dict

    @property
    def services(self) -> list[str]:
        """Services in a stable order: those with demand or modules, sorted."""
        found = set(self.demand["service"]) | set(self.hubs["service"])
        return sorted(str(s) for s in found)


def map_data_from_plan(plan: Plan) -> MapData:
    """Map data of a solved (or infeasible) plan, straight from its tables."""
    locations = locations_table(plan)
    return _assemble(dict(plan.summary), locations, plan.hubs, plan.flows, plan.sectors)


def map_data_from_workbook(path: str | Path) -> MapData:
    """Read a hubopt result workbook (Summary, Locations, Hubs, Flows, Sectors).

    Raises InputError (exit 3) when the file is not an Excel workbook or not a
    result workbook with a Locations sheet.
    """
    book = read_result_book(path, needs=("Summary", LOCATIONS_SHEET),
                            wants=("Hubs", "Flows", "Sectors"),
                            fix="Give a result workbook written by hubopt solve (re-solve "
                                "the scenario if it was written by a hubopt without maps).")
    locations = book.table(LOCATIONS_SHEET)[list(LOCATION_COLUMNS)]
    return _assemble(book.summary, locations, book.table("Hubs")[list(TABLE_COLUMNS["hubs"])],
                     book.table("Flows")[list(TABLE_COLUMNS["flows"])],
                     book.table("Sectors")[list(TABLE_COLUMNS["sectors"])])


def _assemble(summary: dict, locations: pd.DataFrame, hubs: pd.DataFrame, flows: pd.DataFrame,
              sectors: pd.DataFrame) -> MapData:
    located = locations.dropna(subset=["latitude", "longitude"]).copy()
    located["latitude"] = located["latitude"].astype(float)
    located["longitude"] = located["longitude"].astype(float)
    located["threat"] = pd.to_numeric(located["threat"], errors="coerce").fillna(0.0)
    sites = located[located["kind"] == "site"].reset_index(drop=True)
    sector_rows = located[located["kind"] == "sector"].reset_index(drop=True)
    demand = sectors[["sector_id", "service", "quantity"]].copy() if len(sectors) else \
        pd.DataFrame(columns=["sector_id", "service", "quantity"])
    demand["quantity"] = pd.to_numeric(demand["quantity"], errors="coerce").fillna(0.0)
    return MapData(str(summary.get("scenario") or ""), str(summary.get("status") or ""),
                   sites, sector_rows, hubs.reset_index(drop=True),
                   flows.reset_index(drop=True), demand, summary)
