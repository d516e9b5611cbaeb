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

from ..errors import InputError, Issue
from ..inputs.instance import Demand, HubOption, Route, Scenario, Sector, Site
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
    arcs = _build_arcs(scenario, sites, modules, sectors, demand, notes)
    return Network(scenario, sites, modules, demand, sectors, arcs, notes)


def threatened_sites(scenario: Scenario) -> list[str]:
    """Sites whose threat is above Settings max_threat (SPEC §3, threat): they may not open."""
    limit = scenario.settings.max_threat
    if limit is None:
        return []
    return sorted(s.site_id for s in scenario.sites if s.threat > limit)


def _build_arcs(scenario: Scenario, sites: dict[str, Site], modules: dict[ModuleKey, HubOption],
                sectors: dict[str, Sector], demand: dict[DemandKey, Demand],
                notes: list[Issue]) -> dict[ArcKey, Arc]:
    """The usable arcs, sorted by key, built with numpy over all candidate pairs.

    A candidate is (s, r) with s offering r's service. It is an arc when the
    Routes row allows it (or, with no row, missing_routes = compute) and its
    hours ≤ max_hours(r). Hours and cost come from the Routes row, blanks
    computed from coordinates (:mod:`hubopt.routes`). With Settings
    max_arcs_per_demand = k only the k fastest arcs of each row are kept (ties:
    the smaller site id), with a note that this heuristic can cut the optimum.
    """
    site_ids, sector_ids = list(sites), list(sectors)  # both sorted by id
    services = sorted({key[1] for key in modules} | {key[1] for key in demand})
    site_pos = {s: i for i, s in enumerate(site_ids)}
    sector_pos = {t: j for j, t in enumerate(sector_ids)}
    table = _RouteTable(scenario, site_pos, sector_pos, len(sector_ids))
    forbid_missing = scenario.settings.missing_routes == "forbid"

    offering: dict[str, list[int]] = defaultdict(list)
    for site_id, service in sorted({key[:2] for key in modules}):
        offering[service].append(site_pos[site_id])
    parts = []
    for k, service in enumerate(services):
        rows = [row for key, row in demand.items() if key[1] == service]
        if not rows or not offering.get(service):
            continue
        s_idx = np.repeat(np.array(offering[service], dtype=np.int64), len(rows))
        t_idx = np.tile(np.array([sector_pos[r.sector_id] for r in rows], dtype=np.int64),
                        len(offering[service]))
        limit = np.tile(np.array([np.inf if r.max_hours is None else r.max_hours for r in rows],
                                 dtype=float), len(offering[service]))
        found, hours, cost, allowed = table.lookup(s_idx, t_idx)
        keep = allowed if forbid_missing else (allowed | ~found)
        parts.append((s_idx[keep], t_idx[keep], np.full(int(keep.sum()), k), hours[keep],
                      cost[keep], limit[keep]))
    if not parts:
        return {}
    s_idx, t_idx, k_idx, hours, cost, limit = (np.concatenate(c) for c in zip(*parts))

    blank = np.isnan(hours) | np.isnan(cost)
    if blank.any():
        code = s_idx[blank] * len(sector_ids) + t_idx[blank]
        unique, back = np.unique(code, return_inverse=True)
        c_hours, c_cost = _computed_routes(unique // len(sector_ids), unique % len(sector_ids),
                                           site_ids, sector_ids, sites, sectors, scenario)
        hours[blank] = np.where(np.isnan(hours[blank]), c_hours[back], hours[blank])
        cost[blank] = np.where(np.isnan(cost[blank]), c_cost[back], cost[blank])
    usable = ~(hours > limit)
    s_idx, t_idx, k_idx, hours, cost = (a[usable] for a in (s_idx, t_idx, k_idx, hours, cost))

    k_max = scenario.settings.max_arcs_per_demand
    if k_max is not None:
        kept = _fastest(t_idx, k_idx, hours, s_idx, k_max)
        if not kept.all():
            notes.append(Issue(
                "warning", "Settings",
                f"max_arcs_per_demand = {k_max} keeps only the {k_max} fastest arcs of each "
                f"demand row ({int((~kept).sum()):,} of {len(kept):,} arcs dropped): a "
                "heuristic that can cut the optimal plan.",
                "Leave max_arcs_per_demand blank for a proven optimum."))
            s_idx, t_idx, k_idx, hours, cost = (a[kept] for a in
                                                (s_idx, t_idx, k_idx, hours, cost))

    order = np.lexsort((k_idx, t_idx, s_idx))  # by (site_id, sector_id, service)
    arcs: dict[ArcKey, Arc] = {}
    for i, j, k, h, c in zip(s_idx[order].tolist(), t_idx[order].tolist(),
                             k_idx[order].tolist(), hours[order].tolist(), cost[order].tolist()):
        key = (site_ids[i], sector_ids[j], services[k])
        arcs[key] = Arc(*key, h, c)
    return arcs


def _fastest(t_idx: np.ndarray, k_idx: np.ndarray, hours: np.ndarray, s_idx: np.ndarray,
             k_max: int) -> np.ndarray:
    """Mask of the ``k_max`` fastest arcs of each demand row (sector, service),
    ties broken by site (ids sort like their indices)."""
    order = np.lexsort((s_idx, hours, k_idx, t_idx))
    group = t_idx[order] * (int(k_idx.max()) + 1) + k_idx[order]
    start = np.r_[True, group[1:] != group[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
    keep = np.zeros(len(order), dtype=bool)
    keep[order] = (np.arange(len(order)) - first) < k_max
    return keep


class _RouteTable:
    """Routes rows between active sites and sectors, looked up by pair code
    site_index·n_sectors + sector_index (binary search in the sorted codes)."""

    def __init__(self, scenario: Scenario, site_pos: dict[str, int],
                 sector_pos: dict[str, int], n_sectors: int):
        routes: dict[tuple[str, str], Route] = {(r.site_id, r.sector_id): r
                                                for r in scenario.routes}
        rows = [(site_pos[a] * n_sectors + sector_pos[b], r) for (a, b), r in routes.items()
                if a in site_pos and b in sector_pos]
        rows.sort(key=lambda item: item[0])
        self.n_sectors = n_sectors
        self.code = np.array([c for c, _ in rows], dtype=np.int64)
        self.hours = np.array([np.nan if r.hours is None else r.hours for _, r in rows],
                              dtype=float)
        self.cost = np.array([np.nan if r.cost_per_unit is None else r.cost_per_unit
                              for _, r in rows], dtype=float)
        self.allowed = np.array([r.allowed for _, r in rows], dtype=bool)

    def lookup(self, s_idx: np.ndarray, t_idx: np.ndarray):
        """(found, hours, cost, allowed) per pair; NaN hours/cost where the row
        leaves them blank or there is no row; allowed False where there is no row."""
        code = s_idx * self.n_sectors + t_idx
        if not len(self.code):
            n = len(code)
            return (np.zeros(n, bool), np.full(n, np.nan), np.full(n, np.nan),
                    np.zeros(n, bool))
        pos = np.minimum(np.searchsorted(self.code, code), len(self.code) - 1)
        found = self.code[pos] == code
        hours = np.where(found, self.hours[pos], np.nan)
        cost = np.where(found, self.cost[pos], np.nan)
        return found, hours, cost, found & self.allowed[pos]


def _computed_routes(s_idx: np.ndarray, t_idx: np.ndarray, site_ids: list[str],
                     sector_ids: list[str], sites: dict[str, Site], sectors: dict[str, Sector],
                     scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """Hours and unit cost of the pairs (site_ids[s_idx], sector_ids[t_idx]) from
    coordinates (:mod:`hubopt.routes`); InputError when an end has none."""
    site_list = [sites[i] for i in site_ids]
    sector_list = [sectors[j] for j in sector_ids]
    lat_s = np.array([np.nan if s.latitude is None else s.latitude for s in site_list])
    lon_s = np.array([np.nan if s.longitude is None else s.longitude for s in site_list])
    lat_t = np.array([np.nan if t.latitude is None else t.latitude for t in sector_list])
    lon_t = np.array([np.nan if t.longitude is None else t.longitude for t in sector_list])
    no_site = np.isnan(lat_s) | np.isnan(lon_s)
    no_sector = np.isnan(lat_t) | np.isnan(lon_t)
    lacking = no_site[s_idx] | no_sector[t_idx]
    if lacking.any():
        _require_coordinates([(site_ids[i], sector_ids[j]) for i, j in
                              zip(s_idx[lacking].tolist(), t_idx[lacking].tolist())],
                             sites, sectors)
    settings = scenario.settings
    country_s = np.array([s.country for s in site_list], dtype=object)
    country_t = np.array([t.country for t in sector_list], dtype=object)
    km = road_km(lat_s[s_idx], lon_s[s_idx], lat_t[t_idx], lon_t[t_idx], settings.road_factor)
    cross = country_s[s_idx] != country_t[t_idx]
    hours = route_hours(km, cross, settings.road_speed_kmh, settings.border_delay_hours)
    cost = route_cost_per_unit(km, settings.transport_cost_per_unit_km)
    return np.asarray(hours, dtype=float), np.asarray(cost, dtype=float)


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
