"""A seeded theatre-scale scenario generator for speed benchmarks.

``theatre(scale=1.0, seed=7)`` builds, at scale 1, about the size of a
coalition-wide plan: 300 candidate sites in eight countries with three sizes
of two services, 1,500 sectors along the line of contact with demand for both
services, twelve contributors with staffing and funding permissions and caps,
routes computed from coordinates (SPEC §2.7) and a ``max_hours`` limit on every
demand row. Sites and sectors scale linearly with ``scale``; the data are
random but reproducible, and sized so that the plan is feasible.

The numbers are synthetic: they exercise the model's size and structure, not
any real plan.
"""

from __future__ import annotations

import numpy as np

from hubopt.inputs.instance import (
    Contributor,
    Demand,
    HubOption,
    Permission,
    Scenario,
    Sector,
    Service,
    Settings,
    Site,
)

# country: (latitude range, longitude range) of candidate sites, roughly inside the country
SITE_BOXES: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "POL": ((49.5, 53.5), (16.0, 23.5)),
    "SVK": ((48.3, 49.3), (18.0, 22.2)),
    "HUN": ((46.5, 48.3), (18.0, 22.5)),
    "ROU": ((44.5, 47.8), (22.5, 28.0)),
    "LTU": ((54.2, 55.8), (22.0, 26.0)),
    "DEU": ((50.5, 53.5), (11.0, 14.5)),
    "MDA": ((46.2, 48.2), (27.5, 29.5)),
    "UKR": ((46.5, 51.0), (23.5, 33.0)),
}
# sectors: along and behind the line of contact in eastern and southern Ukraine
SECTOR_BOX = ((46.3, 51.3), (31.5, 38.5))
SERVICES = ("storage", "maintenance")
SIZES = {"small": (1.0, 1.0), "medium": (2.2, 1.8), "large": (4.0, 3.0)}  # capacity, cost
CONTRIBUTORS = ("POL", "DEU", "GBR", "FRA", "NLD", "CAN", "SWE", "ROU", "SVK", "NOR", "DNK",
                "FIN")


def theatre(scale: float = 1.0, seed: int = 7) -> Scenario:
    """The theatre scenario at ``scale`` (1 = 300 sites, 1,500 sectors)."""
    rng = np.random.default_rng(seed)
    n_sites, n_sectors = max(8, round(300 * scale)), max(10, round(1500 * scale))
    sites, options = _sites(rng, n_sites)
    sectors, demand = _sectors(rng, n_sectors)
    contributors, permissions = _contributors(rng, n_sites)
    settings = Settings(scenario_name=f"theatre x{scale:g}", ceasefire=True, value_of_time=2.0,
                        road_speed_kmh=55.0, road_factor=1.3, border_delay_hours=3.0,
                        transport_cost_per_unit_km=0.08, value_at_risk=40.0,
                        time_limit_seconds=600.0, mip_gap=0.005)
    return Scenario(settings=settings, services=tuple(Service(s, "units") for s in SERVICES),
                    sites=sites, hub_options=options, sectors=sectors, demand=demand,
                    contributors=contributors, permissions=permissions)


def _sites(rng, count: int) -> tuple[tuple[Site, ...], tuple[HubOption, ...]]:
    countries = list(SITE_BOXES)
    sites, options = [], []
    for i in range(count):
        country = countries[i % len(countries)]
        (lat0, lat1), (lon0, lon1) = SITE_BOXES[country]
        site_id = f"S{i + 1:04d}"
        ukraine = country == "UKR"
        sites.append(Site(site_id, country, latitude=round(rng.uniform(lat0, lat1), 4),
                          longitude=round(rng.uniform(lon0, lon1), 4),
                          requires_ceasefire=ukraine,
                          site_cost=float(rng.integers(200, 900) * 1000),
                          threat=round(float(rng.uniform(0.2, 0.6) if ukraine
                                             else rng.uniform(0.0, 0.1)), 3)))
        for service in SERVICES:
            base_capacity = 900.0 if service == "storage" else 9000.0
            base_cost = float(rng.integers(400, 900) * 1000)
            for size, (capacity, cost) in SIZES.items():
                options.append(HubOption(site_id, service, size, base_capacity * capacity,
                                         fixed_cost=round(base_cost * cost),
                                         staff=round(40 * capacity),
                                         build_weeks=float(rng.integers(2, 20))))
    return tuple(sites), tuple(options)


def _sectors(rng, count: int) -> tuple[tuple[Sector, ...], tuple[Demand, ...]]:
    (lat0, lat1), (lon0, lon1) = SECTOR_BOX
    sectors, demand = [], []
    for j in range(count):
        sector_id = f"K{j + 1:05d}"
        sectors.append(Sector(sector_id, "UKR", latitude=round(rng.uniform(lat0, lat1), 4),
                              longitude=round(rng.uniform(lon0, lon1), 4)))
        limit = float(rng.choice([24.0, 30.0, 36.0, 48.0]))
        demand.append(Demand(sector_id, "storage", float(rng.integers(20, 120)),
                             priority=float(rng.choice([1, 1, 2, 3])), max_hours=limit))
        demand.append(Demand(sector_id, "maintenance", float(rng.integers(200, 1200)),
                             priority=1.0, max_hours=limit))
    return tuple(sectors), tuple(demand)


def _contributors(rng, n_sites: int) -> tuple[tuple[Contributor, ...], tuple[Permission, ...]]:
    contributors, permissions = [], []
    for code in CONTRIBUTORS:
        contributors.append(Contributor(code, max_staff=float(rng.integers(40, 120) * n_sites),
                                        max_budget=float(rng.integers(2, 6) * 1e6 * n_sites)))
        for country in SITE_BOXES:
            if code == "POL" and country != "POL":
                continue  # hosts and staffs in Poland only
            may_staff = not (code == "DEU" and country == "UKR")
            permissions.append(Permission(code, country, may_staff=may_staff, may_fund=True))
    return tuple(contributors), tuple(permissions)
