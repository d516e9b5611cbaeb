"""Check raw tables against the schema and build a :class:`Scenario`.

Every rule adds :class:`Issue` objects instead of raising, so the planner sees
every problem at once (SPEC §2). Rules, in order:

1. required sheets are present, and Permissions when Contributors has rows;
2. required columns are present in each sheet's header row;
3. each cell parses for its column (type, range, allowed values) and
   required cells are filled;
4. Settings keys are known and given once; ``--set`` overrides parse too;
5. key columns are unique (``duplicate_keys``);
6. ids refer to existing records (``references``);
7. cross-field rules: min ≤ max bounds, unknown country codes (an error where
   permissions or site counts use them: Sites, Permissions, Countries; a warning
   in Sectors), contributors that can neither staff nor fund anywhere (warning),
   sites that can never open (warning);
8. scenarios (SPEC §2.11–2.12): probabilities summing to 1, lost sites that exist,
   ScenarioDemand only with Scenarios, and no Resilience combined with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from ..errors import InputError, Issue, UsageError, did_you_mean
from .cells import CellProblem, is_blank, parse, show
from .instance import SHEET_RECORDS, Scenario, Settings, Source, split_ids
from .reader import RawTable, RawWorkbook
from .schema import SETTINGS_BY_KEY, SHEETS, Sheet, load_countries

Record = dict[str, Any]  # one parsed row: column name -> typed value, plus "row"


@dataclass(frozen=True)
class Validated:
    scenario: Scenario
    warnings: list[Issue]


def validate(raw: RawWorkbook, overrides: Mapping[str, str] | None = None) -> Validated:
    """Turn ``raw`` into a Scenario, or raise InputError listing every error."""
    issues: list[Issue] = list(raw.issues)
    tables = raw.tables
    records: dict[str, list[Record]] = {}
    partial: dict[str, list[Record]] = {}  # also rows with a bad cell, for references
    _check_sheets_present(tables, issues)
    for sheet in SHEETS:
        if sheet.name == "Settings" or sheet.name not in tables:
            continue
        parsed = _parse_sheet(sheet, tables[sheet.name], issues)
        if parsed is None:
            continue
        partial[sheet.name] = parsed
        records[sheet.name] = [r for r in parsed if not r.get("_bad")]
        _check_duplicate_keys(sheet, tables[sheet.name], records[sheet.name], issues)
    settings = _parse_settings(tables.get("Settings"), issues)
    settings = _apply_overrides(settings, overrides or {}, issues)
    if settings.scenario_name is None:
        settings = settings.updated(scenario_name=raw.path.stem)
    _check_references(tables, records, partial, issues)
    _check_bounds_order(settings, tables, records, issues)
    _check_countries(tables, records, issues)
    _check_contributors_can_act(settings, tables, records, issues)
    _check_sites_can_open(tables, records, issues)
    _check_scenarios(settings, tables, records, partial, issues)

    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity != "error"]
    if errors:
        raise InputError(errors, warnings)
    scenario = _build_scenario(settings, records, Source(str(raw.path), raw.sha256))
    return Validated(scenario, warnings)


# -- 1, 2: sheets and headers ---------------------------------------------------------

def _check_sheets_present(tables: dict[str, RawTable], issues: list[Issue]) -> None:
    for sheet in SHEETS:
        needed = sheet.required or (
            sheet.required_with is not None
            and bool(tables.get(sheet.required_with) and tables[sheet.required_with].rows))
        if sheet.name in tables or not needed:
            continue
        reason = (f" (required because {sheet.required_with} has rows)"
                  if sheet.required_with else "")
        issues.append(Issue("error", sheet.name, f"sheet is missing{reason}.",
                            f"Add a sheet named '{sheet.name}' with columns "
                            f"{', '.join(sheet.column_names)} (see `hubopt template`)."))


def _parse_sheet(sheet: Sheet, table: RawTable, issues: list[Issue]) -> list[Record] | None:
    """Every row's record; a row with a bad cell is marked ``_bad``. None when a
    required column is missing, so that nothing is checked against this sheet."""
    missing = [c.name for c in sheet.columns if c.required and c.name not in table.columns]
    for name in missing:
        issues.append(Issue("error", f"{table.title}!1", f"required column '{name}' is missing.",
                            f"Add a header '{name}' in row 1."))
    if missing:
        return None
    if not table.rows and sheet.required:
        issues.append(Issue("error", table.title, "has no rows.",
                            f"Add at least one row below the header ({sheet.description})"))
    plan = [(column, table.columns.get(column.name), {}) for column in sheet.columns]
    return [_parse_row(table, plan, row_number, values, issues)
            for row_number, values in table.rows]


# -- 3: cells -------------------------------------------------------------------------

_BLANK = object()  # outcome of a required cell left blank


def _parse_row(table: RawTable, plan: list, row_number: int, values: tuple,
               issues: list[Issue]) -> Record:
    """One row's record. ``plan`` holds (column, 1-based index or None, cache) per
    schema column; the cache maps (type, raw value) to its outcome, because a big
    sheet repeats few distinct values per column (ids, yes/no, hours)."""
    record: Record = {"row": row_number}
    width = len(values)
    for column, index, cache in plan:
        if index is None:
            record[column.name] = column.default
            continue
        raw = values[index - 1] if index <= width else None
        key = (raw.__class__, raw)
        try:
            outcome = cache[key]
        except KeyError:
            outcome = cache[key] = _parse_cell(column, raw)
        except TypeError:  # an unhashable value; none of the reader's types is
            outcome = _parse_cell(column, raw)
        if outcome is not _BLANK and not isinstance(outcome, CellProblem):
            record[column.name] = outcome
            continue
        where = table.cell(column.name, row_number)
        if outcome is _BLANK:
            issues.append(Issue("error", where, f"{column.name}: is blank.",
                                f"Fill it in: expected {column.expectation}."))
        else:
            issues.append(Issue("error", where, f"{column.name}: '{show(raw)}' {outcome}.",
                                _expected(column, outcome)))
        record["_bad"] = True
    return record


def _parse_cell(column, raw: Any) -> Any:
    """The typed value, :data:`_BLANK` or the :class:`CellProblem` of one cell."""
    if column.required and is_blank(raw):
        return _BLANK
    try:
        return parse(column, raw)
    except CellProblem as problem:
        return problem


def _expected(column, problem: str | CellProblem) -> str:
    if isinstance(problem, CellProblem) and problem.fix:
        return problem.fix
    return "" if "expected" in str(problem) else f"Expected {column.expectation}."


# -- 4: settings ----------------------------------------------------------------------

def _parse_settings(table: RawTable | None, issues: list[Issue]) -> Settings:
    if table is None:
        return Settings()
    if "key" not in table.columns or "value" not in table.columns:
        for name in ("key", "value"):
            if name not in table.columns:
                issues.append(Issue("error", f"{table.title}!1",
                                    f"required column '{name}' is missing.",
                                    f"Add a header '{name}' in row 1."))
        return Settings()
    values: dict[str, Any] = {}
    first_row: dict[str, int] = {}
    for row_number, row in table.rows:
        key_raw = table.value(row, "key")
        if is_blank(key_raw):
            if not is_blank(table.value(row, "value")):
                issues.append(Issue("error", table.cell("key", row_number),
                                    "key: is blank but the row has a value.",
                                    "Type the setting name in the key column."))
            continue
        key = str(key_raw).strip().lower()
        where = table.cell("value", row_number)
        setting = SETTINGS_BY_KEY.get(key)
        if setting is None:
            issues.append(Issue("warning", table.cell("key", row_number),
                                f"unknown setting '{show(key_raw)}' is ignored.",
                                did_you_mean(key, SETTINGS_BY_KEY)))
            continue
        if key in first_row:
            issues.append(Issue("error", table.cell("key", row_number),
                                f"setting '{key}' is given twice (also in row {first_row[key]}).",
                                "Keep one of the two rows."))
            continue
        first_row[key] = row_number
        raw = table.value(row, "value")
        try:
            values[key] = parse(setting.as_column(), raw)
        except CellProblem as problem:
            issues.append(Issue("error", where, f"{key}: '{show(raw)}' {problem}.",
                                _expected(setting.as_column(), problem)))
    return Settings(**values)


def _apply_overrides(settings: Settings, overrides: Mapping[str, str],
                     issues: list[Issue]) -> Settings:
    changes: dict[str, Any] = {}
    for key, raw in overrides.items():
        setting = SETTINGS_BY_KEY.get(key.strip().lower())
        if setting is None:
            raise UsageError(f"--set {key}: unknown setting. "
                             f"{did_you_mean(key.strip().lower(), SETTINGS_BY_KEY)}".rstrip())
        try:
            changes[setting.key] = parse(setting.as_column(), raw)
        except CellProblem as problem:
            issues.append(Issue("error", f"--set {setting.key}", f"'{show(raw)}' {problem}.",
                                _expected(setting.as_column(), problem)))
    return settings.updated(**changes)


# -- 5, 6: keys and references --------------------------------------------------------

def _check_duplicate_keys(sheet: Sheet, table: RawTable, records: list[Record],
                          issues: list[Issue]) -> None:
    if not sheet.key:
        return
    seen: dict[tuple, int] = {}
    for record in records:
        key = tuple(record[c] for c in sheet.key)
        if key in seen:
            shown = ", ".join(f"{c} '{v}'" for c, v in zip(sheet.key, key))
            issues.append(Issue("error", f"{table.title} row {record['row']}",
                                f"duplicate {shown} (first in row {seen[key]}).",
                                "Each must be unique: remove or rename one row."))
        else:
            seen[key] = record["row"]


def _check_references(tables: dict[str, RawTable], records: dict[str, list[Record]],
                      partial: dict[str, list[Record]], issues: list[Issue]) -> None:
    """Ids must exist in the referenced sheet; a referenced row with a bad cell elsewhere
    still counts, so one typo is reported once, not again at every reference."""
    for sheet in SHEETS:
        for column in sheet.columns:
            if column.ref is None or sheet.name not in records:
                continue
            target_sheet, target_column = column.ref
            if target_sheet not in partial:
                continue  # the missing sheet or column is reported already
            known = {r.get(target_column) for r in partial[target_sheet]} - {None}
            table = tables[sheet.name]
            for record in records[sheet.name]:
                value = record[column.name]
                if value not in known:
                    issues.append(Issue(
                        "error", table.cell(column.name, record["row"]),
                        f"{column.name}: '{value}' is not a {target_column} in {target_sheet}.",
                        (did_you_mean(value, known) + f" Add it to {target_sheet} or correct "
                         "the spelling.").strip()))


# -- 7: cross-field rules -------------------------------------------------------------

def _check_bounds_order(settings: Settings, tables: dict[str, RawTable],
                        records: dict[str, list[Record]], issues: list[Issue]) -> None:
    if (settings.min_sites is not None and settings.max_sites is not None
            and settings.min_sites > settings.max_sites):
        issues.append(Issue("error", "Settings",
                            f"min_sites {settings.min_sites} is above max_sites "
                            f"{settings.max_sites}.", "Lower min_sites or raise max_sites."))
    for record in records.get("Countries", []):
        low, high = record["min_sites"], record["max_sites"]
        if low is not None and high is not None and low > high:
            issues.append(Issue("error", tables["Countries"].cell("min_sites", record["row"]),
                                f"min_sites {low} is above max_sites {high} for "
                                f"{record['country']}.", "Lower min_sites or raise max_sites."))


# Sheets whose country takes part in permissions or site counts: an unknown code there
# silently shuts a site out (no Permissions row matches it) or escapes a count, so it
# is an error. Elsewhere (Sectors: only the border delay) it is a warning.
COUNTRY_RULES = ("Sites", "Permissions", "Countries")
# Three-letter codes planners type for European countries that are not ISO alpha-3
# (the old code of Romania, sporting codes), with the ISO code meant.
FAMILIAR_CODES = {"ROM": "ROU", "GER": "DEU", "NED": "NLD", "DEN": "DNK", "POR": "PRT",
                  "SUI": "CHE", "LAT": "LVA", "BUL": "BGR", "CRO": "HRV", "SLO": "SVN",
                  "GRE": "GRC", "ENG": "GBR"}


def _check_countries(tables: dict[str, RawTable], records: dict[str, list[Record]],
                     issues: list[Issue]) -> None:
    known = load_countries()
    for sheet in SHEETS:
        if "country" not in sheet.column_names or sheet.name not in records:
            continue
        severity = "error" if sheet.name in COUNTRY_RULES else "warning"
        why = ("permissions and site counts match countries by this code"
               if severity == "error" else "a wrong code adds the border delay to every route")
        for record in records[sheet.name]:
            code = record["country"]
            if code not in known:
                issues.append(Issue(
                    severity, tables[sheet.name].cell("country", record["row"]),
                    f"country: '{code}' is not an ISO 3166-1 alpha-3 code hubopt knows; "
                    f"{why}.",
                    _country_fix(code, known)))


def _country_fix(code: str, known: dict[str, str]) -> str:
    meant = FAMILIAR_CODES.get(code)
    if meant:
        return f"Did you mean {meant} ({known[meant]})? Use the ISO 3166-1 alpha-3 code."
    return (did_you_mean(code, known) + " Use the ISO 3166-1 alpha-3 code (e.g. POL, ROU, "
            "UKR).").strip()


def _check_contributors_can_act(settings: Settings, tables: dict[str, RawTable],
                                records: dict[str, list[Record]],
                                issues: list[Issue]) -> None:
    """Warn about a contributor that can neither staff nor fund any site: it has no
    Permissions row, or none that allows anything in a country with a site usable in
    this run (not closed; with ceasefire = no, not one that requires a ceasefire)."""
    if "Permissions" not in records or "Sites" not in records:
        return   # the sheet or a column is missing, reported already
    site_countries = {r["country"] for r in records.get("Sites", [])
                      if r["status"] != "closed"
                      and (settings.ceasefire or not r["requires_ceasefire"])}
    allowed: dict[str, list[str]] = {}
    for permission in records.get("Permissions", []):
        if (permission["may_staff"] or permission["may_fund"]) \
                and permission["country"] in site_countries:
            allowed.setdefault(permission["contributor_id"], []).append(permission["country"])
    for contributor in records.get("Contributors", []):
        name = contributor["contributor_id"]
        if name in allowed:
            continue
        rows = [p for p in records.get("Permissions", []) if p["contributor_id"] == name]
        reason = ("it has no Permissions rows, and a country without a row is not allowed"
                  if not rows else "none of its Permissions rows allows staffing or funding "
                  "in a country with a site usable in this run"
                  + ("" if settings.ceasefire else " (ceasefire = no)"))
        issues.append(Issue(
            "warning", f"{tables['Contributors'].title} row {contributor['row']}",
            f"contributor '{name}' can neither staff nor fund any hub: {reason}.",
            f"Add Permissions rows for {name} (contributor_id, country, may_staff, may_fund) "
            "for the countries it may work in, or delete the contributor."))


def _check_sites_can_open(tables: dict[str, RawTable], records: dict[str, list[Record]],
                          issues: list[Issue]) -> None:
    if "HubOptions" not in records:
        return   # the sheet or a column is missing, reported already: no false warnings
    with_options = {r["site_id"] for r in records["HubOptions"]}
    for record in records.get("Sites", []):
        if record["site_id"] not in with_options and record["status"] != "closed":
            severity = "error" if record["status"] == "open" else "warning"
            issues.append(Issue(severity, f"{tables['Sites'].title} row {record['row']}",
                                f"site '{record['site_id']}' has no HubOptions rows, so it can "
                                "never open.", "Add its modules to HubOptions."))


# -- 8: scenarios (SPEC §2.11, §2.12, §3.5) -------------------------------------------

PROBABILITY_TOLERANCE = 1e-6   # |Σ probability − 1| allowed (SPEC §2.11)


def _check_scenarios(settings: Settings, tables: dict[str, RawTable],
                     records: dict[str, list[Record]], partial: dict[str, list[Record]],
                     issues: list[Issue]) -> None:
    scenarios = tables.get("Scenarios")
    demand = tables.get("ScenarioDemand")
    if demand is not None and demand.rows and (scenarios is None or not scenarios.rows):
        issues.append(Issue(
            "error", demand.title, "has rows but there is no Scenarios sheet with rows: "
            "these quantities belong to no scenario.",
            "Add the scenarios to a Scenarios sheet (scenario, probability, ...) or delete "
            "the ScenarioDemand rows."))
    if scenarios is None or "Scenarios" not in partial or not scenarios.rows:
        return
    rows = partial["Scenarios"]
    if settings.resilience > 0:
        issues.append(Issue(
            "error", _setting_cell(tables, "resilience"),
            f"resilience = {settings.resilience:g} cannot be combined with the Scenarios "
            f"sheet ({len(rows)} scenario(s)): the posture across scenarios (SPEC §3.5) "
            "has no loss cases.",
            "Set resilience to 0 (or blank) to plan across scenarios, or delete the "
            "Scenarios rows to plan with resilience; a struck hub can be a scenario's "
            "lost_sites."))
    if not any(r.get("_bad") for r in rows):
        total = sum(r["probability"] for r in rows)
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            first = scenarios.cell("probability", rows[0]["row"])
            last = scenarios.cell("probability", rows[-1]["row"]).split("!")[1]
            issues.append(Issue(
                "error", f"{first}:{last}",
                f"probability: the scenarios' probabilities sum to {total:.6g}, not 1.",
                "Give each future its probability so that the column sums to 1 (e.g. "
                "0.5, 0.3, 0.2)."))
    known = {r.get("site_id") for r in partial.get("Sites", [])} - {None}
    if "Sites" not in partial:
        return   # the Sites sheet or a column is missing, reported already
    for record in records.get("Scenarios", []):
        for site in split_ids(record["lost_sites"]):
            if site not in known:
                issues.append(Issue(
                    "error", scenarios.cell("lost_sites", record["row"]),
                    f"lost_sites: '{site}' is not a site_id in Sites.",
                    (did_you_mean(site, known) + " List site ids from Sites, separated by "
                     "commas.").strip()))


def _setting_cell(tables: dict[str, RawTable], key: str) -> str:
    """The Settings value cell of ``key`` (e.g. Settings!B7), or "Settings" when the
    key has no row (then it came from a default or --set)."""
    table = tables.get("Settings")
    if table is not None and "key" in table.columns and "value" in table.columns:
        for row_number, row in table.rows:
            if str(table.value(row, "key") or "").strip().lower() == key:
                return table.cell("value", row_number)
    return f"Settings {key}"


# -- building the scenario ------------------------------------------------------------

def _build_scenario(settings: Settings, records: dict[str, list[Record]],
                    source: Source) -> Scenario:
    parts: dict[str, tuple] = {}
    for sheet_name, (attribute, record_type) in SHEET_RECORDS.items():
        names = {f.name for f in fields(record_type)}
        parts[attribute] = tuple(
            record_type(**{k: v for k, v in record.items() if k in names})
            for record in records.get(sheet_name, []))
    return Scenario(settings=settings, source=source, **parts)
