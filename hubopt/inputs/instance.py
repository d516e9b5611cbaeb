"""Validated scenario data: plain, typed, free of any Excel object.

Field names equal the column names of :mod:`hubopt.schema`, so a validated
record becomes a dataclass with ``Site(**record)``. ``row`` is the Excel row
the record came from (None for scenarios built in code); diagnoses use it to
point the planner at the sheet and row behind a finding.

Units: quantities and capacities in units of the service per period; costs in
the scenario's currency (site and module costs per year); hours in hours;
coordinates in WGS84 degrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

PERIODS_PER_YEAR = {"year": 1, "month": 12, "week": 52, "day": 365}


@dataclass(frozen=True)
class Settings:
    """SPEC §2.1. ``None`` means 'no bound'."""

    scenario_name: str | None = None
    ceasefire: bool = False
    period: str = "year"
    value_of_time: float = 0.0
    road_speed_kmh: float = 60.0
    road_factor: float = 1.3
    border_delay_hours: float = 0.0
    transport_cost_per_unit_km: float = 0.0
    missing_routes: str = "compute"
    min_sites: int | None = None
    max_sites: int | None = None
    budget: float | None = None
    single_sourcing: bool = False
    redundancy: int = 1
    resilience: float = 0.0
    resilience_losses: int = 1
    value_at_risk: float = 0.0
    max_threat: float | None = None
    max_share_per_site: float | None = None
    readiness_weeks: float | None = None
    max_arcs_per_demand: int | None = None
    stability_penalty: float = 0.0
    burden_sharing: str = "proportional"
    later_cost_factor: float = 1.25
    time_limit_seconds: float = 600.0
    mip_gap: float = 0.0001
    threads: int = 0

    def updated(self, **changes) -> Settings:
        return replace(self, **changes)

    @property
    def periods_per_year(self) -> int:
        """P: how many of Settings ``period`` make a year (year 1, month 12, week 52,
        day 365); flow costs are multiplied by it so that money is per year."""
        return PERIODS_PER_YEAR[self.period]


@dataclass(frozen=True)
class Service:
    service_id: str
    unit: str | None = None
    description: str | None = None
    row: int | None = None


@dataclass(frozen=True)
class Site:
    site_id: str
    country: str
    name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    requires_ceasefire: bool = False
    status: str = "candidate"
    site_cost: float = 0.0
    threat: float = 0.0
    row: int | None = None

    @property
    def label(self) -> str:
        return self.name or self.site_id


@dataclass(frozen=True)
class HubOption:
    """A module a site can host: one size of one service (SPEC §2.4)."""

    site_id: str
    service: str
    size: str
    capacity: float
    fixed_cost: float = 0.0
    staff: float = 0.0
    build_weeks: float = 0.0
    row: int | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.site_id, self.service, self.size)


@dataclass(frozen=True)
class Sector:
    sector_id: str
    country: str
    name: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    requires_ceasefire: bool = False
    row: int | None = None

    @property
    def label(self) -> str:
        return self.name or self.sector_id


@dataclass(frozen=True)
class Demand:
    """One demand row: a sector's need for one service (SPEC §2.6)."""

    sector_id: str
    service: str
    quantity: float
    priority: float = 1.0
    max_hours: float | None = None
    row: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.sector_id, self.service)


@dataclass(frozen=True)
class Route:
    """A Routes row; ``None`` hours or cost mean 'compute it' (SPEC §2.7)."""

    site_id: str
    sector_id: str
    hours: float | None = None
    cost_per_unit: float | None = None
    allowed: bool = True
    row: int | None = None


@dataclass(frozen=True)
class CountryBound:
    country: str
    min_sites: int | None = None
    max_sites: int | None = None
    row: int | None = None


@dataclass(frozen=True)
class Contributor:
    contributor_id: str
    name: str | None = None
    max_staff: float | None = None
    max_budget: float | None = None
    staff_share: float | None = None   # weight of §3.1a; None: from the caps
    money_share: float | None = None
    row: int | None = None


@dataclass(frozen=True)
class Permission:
    contributor_id: str
    country: str
    may_staff: bool = True
    may_fund: bool = True
    max_staff: float | None = None
    row: int | None = None


@dataclass(frozen=True)
class ScenarioCase:
    """One future the plan made now must hold in (SPEC §2.11, §3.5).

    ``ceasefire`` None takes the Settings value; ``lost_sites`` is the cell's text
    (site ids separated by commas), :attr:`lost` the ids."""

    scenario: str
    probability: float
    ceasefire: bool | None = None
    demand_factor: float = 1.0
    lost_sites: str | None = None
    description: str | None = None
    row: int | None = None

    @property
    def lost(self) -> tuple[str, ...]:
        return split_ids(self.lost_sites)


@dataclass(frozen=True)
class ScenarioDemand:
    """A Demand quantity replaced in one scenario (SPEC §2.12), units/period."""

    scenario: str
    sector_id: str
    service: str
    quantity: float
    row: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.sector_id, self.service)


def split_ids(text: str | None) -> tuple[str, ...]:
    """The ids of a comma-separated cell, stripped, blanks dropped, in cell order."""
    if not text:
        return ()
    return tuple(part.strip() for part in str(text).split(",") if part.strip())


@dataclass(frozen=True)
class Source:
    """Where a scenario came from, for the result's Inputs sheet."""

    path: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class Scenario:
    """A complete, validated scenario: every input sheet as typed records."""

    settings: Settings
    services: tuple[Service, ...]
    sites: tuple[Site, ...]
    hub_options: tuple[HubOption, ...]
    sectors: tuple[Sector, ...]
    demand: tuple[Demand, ...]
    routes: tuple[Route, ...] = ()
    countries: tuple[CountryBound, ...] = ()
    contributors: tuple[Contributor, ...] = ()
    permissions: tuple[Permission, ...] = ()
    scenarios: tuple[ScenarioCase, ...] = ()
    scenario_demand: tuple[ScenarioDemand, ...] = ()
    source: Source = field(default_factory=Source)

    @property
    def name(self) -> str:
        return self.settings.scenario_name or "scenario"

    def with_settings(self, **changes) -> Scenario:
        return replace(self, settings=self.settings.updated(**changes))


# Which Scenario field holds which sheet's records, and the record type.
SHEET_RECORDS: dict[str, tuple[str, type]] = {
    "Services": ("services", Service),
    "Sites": ("sites", Site),
    "HubOptions": ("hub_options", HubOption),
    "Sectors": ("sectors", Sector),
    "Demand": ("demand", Demand),
    "Routes": ("routes", Route),
    "Countries": ("countries", CountryBound),
    "Contributors": ("contributors", Contributor),
    "Permissions": ("permissions", Permission),
    "Scenarios": ("scenarios", ScenarioCase),
    "ScenarioDemand": ("scenario_demand", ScenarioDemand),
}


def record_fields(record_type: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(record_type))
