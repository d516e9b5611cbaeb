"""The arc construction of hubopt.model.network before it was vectorised (issue 6), kept
as the slow, obviously-correct reference that the numpy version must equal."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from hubopt.inputs.instance import Route, Scenario
from hubopt.model.network import Arc, _require_coordinates
from hubopt.model.routes import road_km, route_cost_per_unit, route_hours


def reference_arcs(scenario: Scenario, sites, modules, sectors, demand) -> dict:
    """The usable arcs, by loops over demand rows and sites (no max_arcs_per_demand)."""
    return _build_arcs(scenario, sites, modules, sectors, demand)


def _build_arcs(scenario: Scenario, sites, modules, sectors, demand) -> dict:
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

    arcs: dict = {}
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


def _computed_routes(pairs, routes, sites, sectors, scenario) -> dict:
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
