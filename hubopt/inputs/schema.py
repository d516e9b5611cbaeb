"""The input workbook's schema: every sheet, column and setting, described once.

This module is data, not logic. The reader, the validator, the template writer,
the Instructions sheet and the docs all read these tables, so a column is
added, renamed or re-documented here and nowhere else (SPEC §2).

Column kinds
------------
``id``       identifier text; a whole number typed as a number is its integer text
``text``     free text
``number``   a real number (Excel number or text that is a plain decimal)
``integer``  a whole number
``yesno``    yes/no, y/n, true/false, 1/0 or an Excel boolean
``choice``   one of ``choices`` (case-insensitive, stored lower-case)
``country``  an ISO 3166-1 alpha-3 code, stored upper-case
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Column:
    """One column of an input sheet.

    ``required`` columns must be present in the header row and filled in every
    record (they are starred in SPEC §2). Optional columns may be absent or
    blank; they then take ``default``. ``lower``/``upper`` bound numbers,
    ``lower_strict`` makes the lower bound exclusive (``> 0``). ``ref`` names a
    ``(sheet, column)`` whose values this column must be one of.
    """

    name: str
    kind: str
    required: bool = False
    default: Any = None
    unit: str = ""
    description: str = ""
    lower: float | None = None
    lower_strict: bool = False
    upper: float | None = None
    choices: tuple[str, ...] = ()
    ref: tuple[str, str] | None = None

    @property
    def expectation(self) -> str:
        """What a valid value looks like, in words, for error messages."""
        if self.kind == "yesno":
            return "yes or no"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.kind == "country":
            return "a three-letter ISO 3166-1 alpha-3 code such as POL"
        if self.kind in ("number", "integer"):
            what = "a whole number" if self.kind == "integer" else "a number"
            if self.lower is not None and self.upper is not None and self.lower_strict:
                return f"{what} above {_fmt(self.lower)}, at most {_fmt(self.upper)}"
            if self.lower is not None and self.upper is not None:
                return f"{what} from {_fmt(self.lower)} to {_fmt(self.upper)}"
            if self.lower is not None:
                return f"{what} {'>' if self.lower_strict else '≥'} {_fmt(self.lower)}"
            return what
        return "text"


@dataclass(frozen=True)
class Sheet:
    """One input sheet: its columns and the columns that must be unique together."""

    name: str
    required: bool
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    required_with: str | None = None  # sheet that makes this one required when it has rows

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@dataclass(frozen=True)
class Setting:
    """One key of the Settings sheet (SPEC §2.1). ``default`` None means 'none'."""

    key: str
    kind: str
    default: Any = None
    unit: str = ""
    description: str = ""
    lower: float | None = None
    lower_strict: bool = False
    upper: float | None = None
    choices: tuple[str, ...] = ()

    def as_column(self) -> Column:
        """The setting seen as a column, so one parser serves cells and settings."""
        return Column(self.key, self.kind, default=self.default, unit=self.unit,
                      description=self.description, lower=self.lower,
                      lower_strict=self.lower_strict, upper=self.upper,
                      choices=self.choices)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


YES_NO = "yesno"

SETTINGS: tuple[Setting, ...] = (
    Setting("scenario_name", "text", None, "",
            "Name shown in outputs. Default: the file name without extension."),
    Setting("ceasefire", YES_NO, False, "",
            "When no, sites and sectors with requires_ceasefire = yes are left out."),
    Setting("period", "choice", "year", "",
            "The period of Demand quantities and HubOptions capacities (units per period). "
            "Per-unit costs (Routes cost_per_unit, transport_cost_per_unit_km, value_of_time, "
            "value_at_risk) are per unit moved, so the model multiplies flow costs by the "
            "periods in a year (year 1, month 12, week 52, day 365): every money figure is "
            "per year, like site and module costs.",
            choices=("year", "month", "week", "day")),
    Setting("value_of_time", "number", 0.0, "currency per unit-hour",
            "Cost of one unit of demand waiting one hour, times the demand row's priority.",
            lower=0),
    Setting("road_speed_kmh", "number", 60.0, "km/h", "Speed for computed routes.",
            lower=0, lower_strict=True),
    Setting("road_factor", "number", 1.3, "",
            "Road distance over great-circle distance, for computed routes.", lower=1),
    Setting("border_delay_hours", "number", 0.0, "hours",
            "Added to a computed route whose site and sector are in different countries.",
            lower=0),
    Setting("transport_cost_per_unit_km", "number", 0.0, "currency per unit-km",
            "Cost per unit of demand per road km, for computed routes.", lower=0),
    Setting("missing_routes", "choice", "compute", "",
            "What a site-sector pair with no Routes row gets: compute it or forbid it.",
            choices=("compute", "forbid")),
    Setting("min_sites", "integer", None, "sites", "Least number of open sites.", lower=0),
    Setting("max_sites", "integer", None, "sites", "Largest number of open sites.", lower=0),
    Setting("budget", "number", None, "currency per year",
            "Bound on the hub cost (site costs plus module fixed costs).", lower=0),
    Setting("single_sourcing", YES_NO, False, "",
            "Each demand row is served by exactly one site."),
    Setting("redundancy", "integer", 1, "modules",
            "Each demand row must have at least this many open modules of its service "
            "within reach.", lower=1),
    Setting("resilience", "number", 0.0, "share",
            "If > 0: after the loss of any open site (or two: resilience_losses) the rest "
            "of the network still serves this share of every demand row, within its "
            "max_hours.", lower=0, upper=1),
    Setting("resilience_losses", "integer", 1, "sites",
            "How many sites are lost together in each loss case of resilience: 1 = any one "
            "site, 2 = any two sites at once (a salvo). Only open sites matter.",
            lower=1, upper=2),
    Setting("value_at_risk", "number", 0.0, "currency per unit",
            "Expected-loss cost per unit of demand served from a site, times the site's "
            "threat.", lower=0),
    Setting("max_threat", "number", None, "share",
            "Sites with a higher threat (Sites threat, 0-1) may not open; blank = no limit.",
            lower=0, upper=1),
    Setting("max_share_per_site", "number", None, "share",
            "No open site may serve more than this share of a service's total demand; "
            "blank = no limit.", lower=0, lower_strict=True, upper=1),
    Setting("readiness_weeks", "number", None, "weeks",
            "Hub options with a longer build time are left out.", lower=0),
    Setting("max_arcs_per_demand", "integer", None, "arcs",
            "Keep only this many fastest site links per demand row, to shrink a very large "
            "model. A heuristic: it can cut the optimal plan. Blank = keep every usable link.",
            lower=1),
    Setting("stability_penalty", "number", 0.0, "currency per module",
            "Cost per module opened or closed relative to the previous plan.", lower=0),
    Setting("burden_sharing", "choice", "proportional", "",
            "Who staffs and funds each open hub once the plan is chosen. proportional: each "
            "contributor carries personnel and money in proportion to its staff_share and "
            "money_share (Contributors), as far as its caps and permissions allow, so that "
            "no contributor carries more per share than it must; none: whatever split the "
            "solver found. The plan and its cost are the same either way.",
            choices=("proportional", "none")),
    Setting("later_cost_factor", "number", 1.25, "",
            "With a Scenarios sheet: site and module costs of what is opened only after "
            "the future is known are multiplied by this (building in a hurry costs more). "
            "1 = no dearer later.", lower=1),
    Setting("time_limit_seconds", "number", 600.0, "seconds", "Solver wall-clock limit.",
            lower=0, lower_strict=True),
    Setting("mip_gap", "number", 0.0001, "share",
            "Relative optimality gap at which the solver stops.", lower=0),
    Setting("threads", "integer", 0, "threads", "Solver threads, 0 = solver default.",
            lower=0),
)

SETTINGS_BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}

SHEETS: tuple[Sheet, ...] = (
    Sheet("Settings", False, "Run settings as key/value rows; a missing key takes its default.", (
        Column("key", "text", True, description="A setting name from the list below."),
        Column("value", "text", description="The setting's value; blank = default."),
        Column("description", "text", description="Free text, ignored by hubopt."),
    ), key=("key",)),
    Sheet("Services", True, "One row per service the hubs provide.", (
        Column("service_id", "id", True, description="Unique service name, e.g. storage."),
        Column("unit", "text", description="Unit of capacity and demand, e.g. equipment sets."),
        Column("description", "text", description="Free text."),
    ), key=("service_id",)),
    Sheet("Sites", True, "Candidate hub locations.", (
        Column("site_id", "id", True, description="Unique site identifier."),
        Column("name", "text", description="Display name; default the site_id."),
        Column("country", "country", True, description="ISO 3166-1 alpha-3 code (POL, ROU, UKR…)."),
        Column("latitude", "number", unit="degrees", lower=-90, upper=90,
               description="WGS84 latitude; needed for computed routes."),
        Column("longitude", "number", unit="degrees", lower=-180, upper=180,
               description="WGS84 longitude; needed for computed routes."),
        Column("requires_ceasefire", YES_NO, default=False,
               description="Usable only when Settings ceasefire = yes."),
        Column("status", "choice", default="candidate", choices=("candidate", "open", "closed"),
               description="open: must be open (an existing hub); closed: left out."),
        Column("site_cost", "number", default=0.0, unit="currency/year", lower=0,
               description="Annual cost paid once the site has any open module."),
        Column("threat", "number", default=0.0, lower=0, upper=1,
               description="Exposure to strikes (0-1), priced with Settings value_at_risk."),
    ), key=("site_id",)),
    Sheet("HubOptions", True,
          "The modules a site can host; at most one size per site and service opens.", (
        Column("site_id", "id", True, ref=("Sites", "site_id"), description="A site from Sites."),
        Column("service", "id", True, ref=("Services", "service_id"),
               description="A service from Services."),
        Column("size", "id", True, description="Size label, unique per site and service."),
        Column("capacity", "number", True, unit="units/period", lower=0, lower_strict=True,
               description="Units of the service the module provides per period."),
        Column("fixed_cost", "number", default=0.0, unit="currency/year", lower=0,
               description="Annual cost of the open module."),
        Column("staff", "number", default=0.0, unit="personnel", lower=0,
               description="Personnel needed to run the module."),
        Column("build_weeks", "number", default=0.0, unit="weeks", lower=0,
               description="Weeks to build; compared with Settings readiness_weeks."),
    ), key=("site_id", "service", "size")),
    Sheet("Sectors", True, "Where demand is.", (
        Column("sector_id", "id", True, description="Unique sector identifier."),
        Column("name", "text", description="Display name; default the sector_id."),
        Column("country", "country", True, description="ISO 3166-1 alpha-3 code."),
        Column("latitude", "number", unit="degrees", lower=-90, upper=90,
               description="WGS84 latitude; needed for computed routes."),
        Column("longitude", "number", unit="degrees", lower=-180, upper=180,
               description="WGS84 longitude; needed for computed routes."),
        Column("requires_ceasefire", YES_NO, default=False,
               description="Active only when Settings ceasefire = yes."),
    ), key=("sector_id",)),
    Sheet("Demand", True, "Demand per sector and service.", (
        Column("sector_id", "id", True, ref=("Sectors", "sector_id"),
               description="A sector from Sectors."),
        Column("service", "id", True, ref=("Services", "service_id"),
               description="A service from Services."),
        Column("quantity", "number", True, unit="units/period", lower=0,
               description="Units of the service needed per period."),
        Column("priority", "number", default=1.0, lower=0, lower_strict=True,
               description="Multiplies value_of_time for this row."),
        Column("max_hours", "number", unit="hours", lower=0, lower_strict=True,
               description="Resupply time limit for this row; blank = none."),
    ), key=("sector_id", "service")),
    Sheet("Routes", False, "Measured or negotiated site-sector links; override computed ones.", (
        Column("site_id", "id", True, ref=("Sites", "site_id"), description="A site from Sites."),
        Column("sector_id", "id", True, ref=("Sectors", "sector_id"),
               description="A sector from Sectors."),
        Column("hours", "number", unit="hours", lower=0,
               description="Resupply time; blank = computed."),
        Column("cost_per_unit", "number", unit="currency/unit", lower=0,
               description="Transport cost per unit; blank = computed."),
        Column("allowed", YES_NO, default=True, description="no forbids the link."),
    ), key=("site_id", "sector_id")),
    Sheet("Countries", False, "Bounds on the number of open sites per country.", (
        Column("country", "country", True, description="ISO 3166-1 alpha-3 code."),
        Column("min_sites", "integer", unit="sites", lower=0,
               description="Least number of open sites in the country."),
        Column("max_sites", "integer", unit="sites", lower=0,
               description="Largest number of open sites in the country."),
    ), key=("country",)),
    Sheet("Contributors", False,
          "Coalition members; with rows here staffing and funding are planned.", (
        Column("contributor_id", "id", True, description="Unique contributor identifier."),
        Column("name", "text", description="Display name; default the contributor_id."),
        Column("max_staff", "number", unit="personnel", lower=0,
               description="Cap on personnel over all sites; blank = unlimited."),
        Column("max_budget", "number", unit="currency/year", lower=0,
               description="Cap on funding over all sites; blank = unlimited."),
        Column("staff_share", "number", lower=0, lower_strict=True,
               description="Weight of this contributor's share of the personnel, e.g. its "
               "pledge: with burden_sharing = proportional each contributor carries staff "
               "in proportion to it, as far as its caps and permissions allow. Blank = its "
               "max_staff (or the largest max_staff of the others when it has none)."),
        Column("money_share", "number", lower=0, lower_strict=True,
               description="Weight of this contributor's share of the funding, as "
               "staff_share is for personnel. Blank = its max_budget (or the largest "
               "max_budget of the others when it has none)."),
    ), key=("contributor_id",)),
    Sheet("Permissions", False, "Where each contributor may staff and fund hubs: one row "
          "per contributor and country it may work in. A country without a row is NOT "
          "allowed: a contributor with no rows staffs and funds nothing.", (
        Column("contributor_id", "id", True, ref=("Contributors", "contributor_id"),
               description="A contributor from Contributors."),
        Column("country", "country", True,
               description="ISO 3166-1 alpha-3 code. Countries without a row for this "
               "contributor are not allowed."),
        Column("may_staff", YES_NO, default=True,
               description="The contributor may staff sites in this country (blank = yes; "
               "only for the country of this row)."),
        Column("may_fund", YES_NO, default=True,
               description="The contributor may fund sites in this country (blank = yes; "
               "only for the country of this row)."),
        Column("max_staff", "number", unit="personnel", lower=0,
               description="Cap on the contributor's personnel in this country; blank = none."),
    ), key=("contributor_id", "country"), required_with="Contributors"),
    Sheet("Scenarios", False,
          "The futures a plan made now must hold in. With rows here hubopt chooses what "
          "to build now so that the expected cost over these futures is least, and what "
          "each future then adds. The probabilities are the planner's judgement, not "
          "hubopt's: try others with hubopt posture-sweep.", (
        Column("scenario", "id", True, description="Unique scenario name, e.g. ceasefire."),
        Column("probability", "number", True, unit="share", lower=0, upper=1,
               description="How likely this future is, 0-1; the column must sum to 1."),
        Column("ceasefire", YES_NO,
               description="Whether a ceasefire holds in this future (sites and sectors "
               "that need one are usable only then); blank = the Settings value."),
        Column("demand_factor", "number", default=1.0, lower=0,
               description="Multiplies every Demand quantity in this future (e.g. 2 for a "
               "force twice as large); ScenarioDemand rows replace single quantities."),
        Column("lost_sites", "text",
               description="Sites that cannot be used in this future (e.g. struck), as "
               "site ids separated by commas; what was built there now is paid and serves "
               "nothing. Blank = none."),
        Column("description", "text", description="Free text."),
    ), key=("scenario",)),
    Sheet("ScenarioDemand", False,
          "Demand quantities that differ in one scenario: each row replaces that Demand "
          "row's quantity in that scenario (demand_factor does not apply to it); a sector "
          "and service with no Demand row adds one (priority 1, no max_hours).", (
        Column("scenario", "id", True, ref=("Scenarios", "scenario"),
               description="A scenario from Scenarios."),
        Column("sector_id", "id", True, ref=("Sectors", "sector_id"),
               description="A sector from Sectors."),
        Column("service", "id", True, ref=("Services", "service_id"),
               description="A service from Services."),
        Column("quantity", "number", True, unit="units/period", lower=0,
               description="The demand in this scenario."),
    ), key=("scenario", "sector_id", "service")),
)

SHEETS_BY_NAME: dict[str, Sheet] = {s.name: s for s in SHEETS}

# Sheets that hubopt's own template adds for people; the reader skips them silently.
HELPER_SHEETS: tuple[str, ...] = ("Instructions", "Lists")

YES_WORDS = frozenset({"yes", "y", "true", "1"})
NO_WORDS = frozenset({"no", "n", "false", "0"})


def load_countries() -> dict[str, str]:
    """Return ``{ISO alpha-3 code: name}`` from the packaged country list."""
    import csv
    from importlib.resources import files

    text = files("hubopt.data").joinpath("countries.csv").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    return {row["code"]: row["name"] for row in csv.DictReader(lines)}
