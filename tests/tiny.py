"""Tiny scenarios whose optimal plans are worked out by hand in the tests.

Base case: one service "goods"; sectors K (60 units) and L (40 units) in UKR;
sites A and B in POL, each with one module of capacity 100. A costs 100 a
year and ships at 1 per unit, B costs 80 and ships at 3 per unit, both in
2 hours:

    open A only: 100 + 100·1 = 200   ← optimal
    open B only:  80 + 100·3 = 380
"""

from __future__ import annotations

from dataclasses import replace

from hubopt.inputs.instance import (
    Contributor,
    CountryBound,
    Demand,
    HubOption,
    Permission,
    Route,
    Scenario,
    Sector,
    Service,
    Settings,
    Site,
)


def base(**settings) -> Scenario:
    """The base case above; keyword arguments override Settings."""
    return Scenario(
        settings=Settings(**{"scenario_name": "tiny", "missing_routes": "forbid",
                             "mip_gap": 0.0, "time_limit_seconds": 60, **settings}),
        services=(Service("goods", "units"),),
        sites=(Site("A", "POL", latitude=50.0, longitude=22.0, row=2),
               Site("B", "POL", latitude=50.0, longitude=21.0, row=3)),
        hub_options=(HubOption("A", "goods", "std", 100, fixed_cost=100, staff=10, row=2),
                     HubOption("B", "goods", "std", 100, fixed_cost=80, staff=10, row=3)),
        sectors=(Sector("K", "UKR", latitude=50.0, longitude=36.0, row=2),
                 Sector("L", "UKR", latitude=48.0, longitude=37.0, row=3)),
        demand=(Demand("K", "goods", 60, row=2), Demand("L", "goods", 40, row=3)),
        routes=(Route("A", "K", 2.0, 1.0, row=2), Route("A", "L", 2.0, 1.0, row=3),
                Route("B", "K", 2.0, 3.0, row=4), Route("B", "L", 2.0, 3.0, row=5)),
    )


def with_site(scenario: Scenario, site_id: str, **changes) -> Scenario:
    sites = tuple(replace(s, **changes) if s.site_id == site_id else s for s in scenario.sites)
    return replace(scenario, sites=sites)


def with_option(scenario: Scenario, site_id: str, **changes) -> Scenario:
    options = tuple(replace(o, **changes) if o.site_id == site_id else o
                    for o in scenario.hub_options)
    return replace(scenario, hub_options=options)


def with_routes(scenario: Scenario, **hours_by_pair: float) -> Scenario:
    """Set route hours, e.g. ``with_routes(s, A_L=10)``."""
    routes = tuple(replace(r, hours=hours_by_pair.get(f"{r.site_id}_{r.sector_id}", r.hours))
                   for r in scenario.routes)
    return replace(scenario, routes=routes)


def with_contributors(scenario: Scenario, contributors, permissions) -> Scenario:
    return replace(scenario, contributors=tuple(contributors), permissions=tuple(permissions))


__all__ = ["Contributor", "CountryBound", "Demand", "HubOption", "Permission", "Route",
           "Sector", "Site", "base", "with_contributors", "with_option", "with_routes",
           "with_site"]
