"""The active network: the sets of SPEC §3 and the useful arcs, before any model.

- sites S: status ≠ closed, ceasefire or not requires_ceasefire, and threat ≤
  max_threat when set;
- modules M: HubOptions rows of sites in S with build_weeks ≤ readiness_weeks;
- demand rows R: quantity > 0 and the sector active;
- arcs A: (s, r) with s ∈ S having a module of r's service, the route allowed
  and hours(s, r) ≤ max_hours(r) when set.

Arcs that can never be used are never created, so the model's size follows
the useful arcs, not sites × demand rows. Everything is sorted by id so that
models and LP files are deterministic.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError, Issue
from .instance import Demand, HubOption, Route, Scenario, Sector, Site
from .routes import road_km, route_cost_per_unit, route_hours

ModuleKey = tuple[str, str, str]   # (site_id, service, size)
DemandKey = tuple[str, str]        # (sector_id, service)
ArcKey = tuple[str, str, str]      # (site_id, sector_id, service)


@dataclass(frozen=True)
class Arc:
    """A usable site → demand-row link with its resupply hours and unit cost."""

    site_id: str
    sector_id: str
    service: str
    hours: float
    cost_per_unit: float

    @property
    def key(self) -> ArcKey:
        return (self.site_id, self.sector_id, self.service)

    @property
    def demand_key(self) -> DemandKey:
        return (self.sector_id, self.service)


@dataclass
class Network:
    """Active sets and arcs of one scenario (SPEC §3), all sorted by key."""

    scenario: Scenario
    sites: dict[str, Site]
    modules: dict[ModuleKey, HubOption]
    demand: dict[DemandKey, Demand]
    sectors: dict[str, Sector]
    arcs: dict[ArcKey, Arc]
    notes: list[Issue] = field(default_factory=list)

    def modules_of(self, site_id: str, service: str | None = None) -> list[ModuleKey]:
        """M(s, k), or M(s) when ``service`` is None."""
        return self._modules_by_site_service.get((site_id, service), []) if service else \
            self._modules_by_site.get(site_id, [])

    def arcs_into(self, demand_key: DemandKey) -> list[Arc]:
        return self._arcs_by_demand.get(demand_key, [])

    def arcs_from(self, site_id: str, service: str) -> list[Arc]:
        return self._arcs_by_site_service.get((site_id, service), [])

    def __post_init__(self) -> None:
        self._modules_by_site: dict[str, list[ModuleKey]] = defaultdict(list)
        self._modules_by_site_service: dict[tuple[str, str], list[ModuleKey]] = defaultdict(list)
        for key in self.modules:
            self._modules_by_site[key[0]].append(key)
            self._modules_by_site_service[key[:2]].append(key)
        self._arcs_by_demand: dict[DemandKey, list[Arc]] = defaultdict(list)
        self._arcs_by_site_service: dict[tuple[str, str], list[Arc]] = defaultdict(list)
        for arc in self.arcs.values():
            self._arcs_by_demand[arc.demand_key].append(arc)
            self._arcs_by_site_service[(arc.site_id, arc.service)].append(arc)

    @property
    def services(self) -> list[str]:
        return sorted({key[1] for key in self.modules} | {key[1] for key in self.demand})


def build_network(scenario: Scenario) -> Network:
    """Filter the scenario to its active sets and compute the usable arcs.

    Raises InputError when a route must be computed but an end has no
    coordinates (SPEC §2.7), naming every such site and sector.
    """
    settings = scenario.settings
    notes: list[Issue] = []
    sites = {s.site_id: s for s in sorted(scenario.sites, key=lambda s: s.site_id)
             if s.status != "closed" and (settings.ceasefire or not s.requires_ceasefire)}
    left_out = [s for s in scenario.sites if s.status != "closed" and s.site_id not in sites]
    if left_out:
        notes.append(Issue("info", "Sites",
                           f"{len(left_out)} site(s) need a ceasefire and are left out: "
                           + ", ".join(s.site_id for s in left_out) + "."))
    threatened = threatened_sites(scenario)
    if any(s in sites for s in threatened):
        notes.append(Issue("info", "Sites",
                           f"{sum(s in sites for s in threatened)} site(s) have a threat above "
                           f"max_threat {settings.max_threat:g} and may not open: "
                           + ", ".join(s for s in threatened if s in sites) + "."))
        sites = {k: v for k, v in sites.items() if k not in threatened}
    modules = {m.key: m for m in sorted(scenario.hub_options, key=lambda m: m.key)
               if m.site_id in sites and (settings.readiness_weeks is None
                                          or m.build_weeks <= settings.readiness_weeks)}
    sectors = {s.sector_id: s for s in sorted(scenario.sectors, key=lambda s: s.sector_id)
               if settings.ceasefire or not s.requires_ceasefire}
    demand = {d.key: d for d in sorted(scenario.demand, key=lambda d: d.key)
              if d.quantity > 0 and d.sector_id in sectors}
    arcs = _build_arcs(scenario, sites, modules, sectors, demand)
    return Network(scenario, sites, modules, demand, sectors, arcs, notes)


def threatened_sites(scenario: Scenario) -> list[str]:
    """Sites whose threat is above Settings max_threat (SPEC §3, threat): they may not open."""
    limit = scenario.settings.max_threat
    if limit is None:
        return []
    return sorted(s.site_id for s in scenario.sites if s.threat > limit)


def _build_arcs(scenario: Scenario, sites: dict[str, Site], modules: dict[ModuleKey, HubOption],
                sectors: dict[str, Sector], demand: dict[DemandKey, Demand]) -> dict[ArcKey, Arc]:
    settings = scenario.settings
    routes: dict[tuple[str, str], Route] = {(r.site_id, r.sector_id): r for r in scenario.routes}
    sites_by_service: dict[str, list[str]] = defaultdict(list)
    for site_id, service in sorted({key[:2] for key in modules}):
        sites_by_service[service].append(site_id)

    # Every (site, sector) pair some demand row could use, and whether it needs computing.
    pairs: set[tuple[str, str]] = set()
    for sector_id, service in demand:
        for site_id in sites_by_service.get(service, []):
            route = routes.get((site_id, sector_id))
            if route is None and settings.missing_routes == "forbid":
                continue
            if route is not None and not route.allowed:
                continue
            pairs.add((site_id, sector_id))
    computed = _computed_routes(sorted(pairs), routes, sites, sectors, scenario)

    arcs: dict[ArcKey, Arc] = {}
    for (sector_id, service), row in demand.items():
        for site_id in sites_by_service.get(service, []):
            if (site_id, sector_id) not in pairs:
                continue
            route = routes.get((site_id, sector_id))
            hours, cost = computed.get((site_id, sector_id), (None, None))
            if route is not None and route.hours is not None:
                hours = route.hours
            if route is not None and route.cost_per_unit is not None:
                cost = route.cost_per_unit
            if row.max_hours is not None and hours > row.max_hours:
                continue
            arc = Arc(site_id, sector_id, service, float(hours), float(cost))
            arcs[arc.key] = arc
    return dict(sorted(arcs.items()))


def _computed_routes(pairs: list[tuple[str, str]], routes: dict[tuple[str, str], Route],
                     sites: dict[str, Site], sectors: dict[str, Sector],
                     scenario: Scenario) -> dict[tuple[str, str], tuple[float, float]]:
    """Hours and unit cost for every pair whose Routes row leaves either blank."""
    needed = [p for p in pairs if p not in routes
              or routes[p].hours is None or routes[p].cost_per_unit is None]
    _require_coordinates(needed, sites, sectors)
    if not needed:
        return {}
    settings = scenario.settings
    site_list = [sites[s] for s, _ in needed]
    sector_list = [sectors[t] for _, t in needed]
    km = road_km(np.array([s.latitude for s in site_list], dtype=float),
                 np.array([s.longitude for s in site_list], dtype=float),
                 np.array([t.latitude for t in sector_list], dtype=float),
                 np.array([t.longitude for t in sector_list], dtype=float),
                 settings.road_factor)
    cross = np.array([s.country != t.country for s, t in zip(site_list, sector_list)])
    hours = route_hours(km, cross, settings.road_speed_kmh, settings.border_delay_hours)
    cost = route_cost_per_unit(km, settings.transport_cost_per_unit_km)
    return {pair: (float(h), float(c)) for pair, h, c in zip(needed, hours, cost)}


def _require_coordinates(needed: list[tuple[str, str]], sites: dict[str, Site],
                         sectors: dict[str, Sector]) -> None:
    lacking: dict[tuple[str, str], list[str]] = defaultdict(list)
    for site_id, sector_id in needed:
        site, sector = sites[site_id], sectors[sector_id]
        if site.latitude is None or site.longitude is None:
            lacking[("Sites", site_id)].append(sector_id)
        if sector.latitude is None or sector.longitude is None:
            lacking[("Sectors", sector_id)].append(site_id)
    if not lacking:
        return
    issues = []
    for (sheet, ident), others in sorted(lacking.items()):
        record = sites[ident] if sheet == "Sites" else sectors[ident]
        where = f"{sheet} row {record.row}" if record.row else sheet
        other = "sectors" if sheet == "Sites" else "sites"
        sample = ", ".join(sorted(set(others))[:5]) + (", ..." if len(set(others)) > 5 else "")
        issues.append(Issue(
            "error", where,
            f"'{ident}' has no latitude/longitude, but its route to {len(set(others))} "
            f"{other} ({sample}) must be computed.",
            "Fill in latitude and longitude, give those pairs hours and cost_per_unit in "
            "Routes, or set missing_routes = forbid."))
    raise InputError(issues)
