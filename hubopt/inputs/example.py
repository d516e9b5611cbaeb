"""The bundled example: coalition hubs behind Ukraine after the Paris declaration.

At the Paris summit 35 nations pledged "logistical and protective hubs, including
equipment storage and maintenance facilities" to support Ukraine: in allied
countries now, and on Ukrainian soil only after a ceasefire. This scenario asks
where to open such hubs, which coalition members staff and fund them, and which
sectors along the line of contact each hub supplies.

Sources and honesty note
------------------------
* Coordinates (WGS84) are those of the named cities or, for Rzeszów, of the
  Rzeszów-Jasionka airport logistics hub, rounded to four decimals.
* Contributor positions are modelled loosely on public reporting: Poland hosts
  and staffs hubs on its own soil only; Germany staffs hubs in neighbouring
  NATO countries but not in Ukraine, while it may fund there; the United
  Kingdom and France are prepared to deploy personnel to Ukraine.
* Every cost, capacity, staffing figure, demand, threat score and contributor
  cap is **illustrative**, chosen to make a sensible planning exercise, not
  taken from any plan. Costs are in EUR; site and module costs per year.

With ``ceasefire = no`` only allied sites and the present sectors count; set
``ceasefire = yes`` (e.g. ``hubopt solve --set ceasefire=yes``) and hubs in
Ukraine, much closer to the sectors, enter the plan, as does the monitoring zone.
"""

from __future__ import annotations

from typing import NamedTuple

from .instance import (
    Contributor,
    CountryBound,
    Demand,
    HubOption,
    Permission,
    Route,
    Scenario,
    ScenarioCase,
    ScenarioDemand,
    Sector,
    Service,
    Settings,
    Site,
)

ILLUSTRATIVE = "Illustrative figures, not an actual plan."

SERVICES = (
    Service("storage", "equipment sets",
            f"Covered, guarded storage of vehicle and equipment sets. {ILLUSTRATIVE}"),
    Service("maintenance", "repair hours per week",
            f"Repair and maintenance workshop capacity. {ILLUSTRATIVE}"),
)


class _SiteData(NamedTuple):
    """A candidate site and how its modules differ from the standard ones."""

    site_id: str
    name: str
    country: str
    latitude: float
    longitude: float
    requires_ceasefire: bool
    status: str
    site_cost: float  # EUR/year
    threat: float
    cost_factor: float  # module fixed costs relative to _MODULES (labour, land)
    build_weeks: float
    sizes: tuple[str, ...]


_SITES = tuple(_SiteData(*row) for row in (
    ("RZE", "Rzeszów-Jasionka", "POL", 50.1100, 22.0190, False, "open", 400_000, 0.05,
     1.0, 4, ("small", "medium", "large")),
    ("LUB", "Lublin", "POL", 51.2465, 22.5684, False, "candidate", 450_000, 0.03,
     1.0, 16, ("small", "medium", "large")),
    ("KRK", "Kraków", "POL", 50.0647, 19.9450, False, "candidate", 400_000, 0.02,
     1.0, 14, ("small", "medium", "large")),
    ("KSC", "Košice", "SVK", 48.7164, 21.2611, False, "candidate", 350_000, 0.02,
     0.95, 18, ("small", "medium")),
    ("SUC", "Suceava", "ROU", 47.6514, 26.2556, False, "candidate", 350_000, 0.03,
     0.9, 20, ("small", "medium", "large")),
    ("GLT", "Galați", "ROU", 45.4353, 28.0080, False, "candidate", 380_000, 0.05,
     0.9, 20, ("small", "medium", "large")),
    ("COT", "Cottbus", "DEU", 51.7563, 14.3329, False, "candidate", 250_000, 0.0,
     1.1, 12, ("medium", "large")),
    ("KUN", "Kaunas", "LTU", 54.8985, 23.9036, False, "candidate", 350_000, 0.03,
     1.05, 16, ("small", "medium")),
    ("LVI", "Lviv", "UKR", 49.8397, 24.0297, True, "candidate", 900_000, 0.25,
     0.85, 10, ("small", "medium", "large")),
    ("KYI", "Kyiv", "UKR", 50.4501, 30.5234, True, "candidate", 1_100_000, 0.35,
     0.85, 12, ("small", "medium", "large")),
    ("VIN", "Vinnytsia", "UKR", 49.2331, 28.4682, True, "candidate", 1_000_000, 0.35,
     0.85, 12, ("small", "medium")),
    ("DNP", "Dnipro", "UKR", 48.4647, 35.0462, True, "candidate", 1_300_000, 0.6,
     0.85, 12, ("small", "medium", "large")),
    ("ODS", "Odesa", "UKR", 46.4825, 30.7233, True, "candidate", 1_200_000, 0.45,
     0.85, 12, ("small", "medium")),
))

# service -> size -> (capacity [units/period], fixed_cost [EUR/year], staff)
_MODULES = {
    "storage": {
        "small": (150, 900_000, 30),
        "medium": (300, 1_500_000, 55),
        "large": (500, 2_200_000, 85),
    },
    "maintenance": {
        "small": (1_500, 1_200_000, 50),
        "medium": (3_000, 2_000_000, 95),
        "large": (5_000, 3_000_000, 150),
    },
}

# sector_id, name, latitude, longitude, requires_ceasefire
_SECTORS = (
    ("SUM", "Sumy", 50.9077, 34.7981, False),
    ("KHA", "Kharkiv", 49.9935, 36.2304, False),
    ("KRA", "Kramatorsk", 48.7231, 37.5564, False),
    ("DNI", "Dnipro", 48.4647, 35.0462, False),
    ("ZAP", "Zaporizhzhia", 47.8388, 35.1396, False),
    ("KHE", "Kherson", 46.6354, 32.6169, False),
    ("MZN", "Monitoring zone north (Kupiansk)", 49.7106, 37.6153, True),
    ("MZS", "Monitoring zone south (Orikhiv)", 47.5678, 35.7858, True),
)

# sector_id, service, quantity [units/period], priority, max_hours
_DEMAND = (
    ("SUM", "storage", 200, 1.0, None),
    ("SUM", "maintenance", 2_000, 1.0, None),
    ("KHA", "storage", 350, 1.0, None),
    ("KHA", "maintenance", 4_000, 2.0, 36),
    ("KRA", "storage", 400, 1.0, None),
    ("KRA", "maintenance", 4_500, 2.0, 32),
    ("DNI", "storage", 300, 1.0, None),
    ("DNI", "maintenance", 2_500, 1.0, None),
    ("ZAP", "storage", 320, 1.0, None),
    ("ZAP", "maintenance", 3_500, 2.0, 32),
    ("KHE", "storage", 250, 1.0, None),
    ("KHE", "maintenance", 2_500, 1.5, 30),
    ("MZN", "storage", 120, 1.0, None),
    ("MZN", "maintenance", 1_500, 1.5, 16),
    ("MZS", "storage", 120, 1.0, None),
    ("MZS", "maintenance", 1_500, 1.5, 16),
)

# contributor_id, name, max_staff, max_budget [EUR/year]
_CONTRIBUTORS = (
    ("POL", "Poland", 700, 8_000_000),
    ("DEU", "Germany", 500, 15_000_000),
    ("GBR", "United Kingdom", 400, 10_000_000),
    ("FRA", "France", 400, 10_000_000),
    ("NLD", "Netherlands", 150, 5_000_000),
    ("CAN", "Canada", 100, 6_000_000),
    ("SWE", "Sweden", 120, 4_000_000),
    ("ROU", "Romania", 250, 3_000_000),
    ("SVK", "Slovakia", 80, 1_500_000),
)

# contributor_id, country, may_staff, may_fund, max_staff in that country
_PERMISSIONS = (
    ("POL", "POL", True, True, None),
    ("DEU", "DEU", True, True, None),
    ("DEU", "POL", True, True, None),
    ("DEU", "LTU", True, True, None),
    ("DEU", "SVK", True, True, 150),
    ("DEU", "ROU", True, True, 150),
    ("DEU", "UKR", False, True, None),
    ("GBR", "POL", True, True, None),
    ("GBR", "ROU", True, True, None),
    ("GBR", "UKR", True, True, 200),
    ("FRA", "ROU", True, True, None),
    ("FRA", "POL", True, True, None),
    ("FRA", "UKR", True, True, 150),
    ("NLD", "POL", True, True, None),
    ("NLD", "DEU", True, True, None),
    ("NLD", "LTU", True, True, None),
    ("NLD", "UKR", False, True, None),
    ("CAN", "POL", True, True, 100),
    ("CAN", "LTU", True, True, None),
    ("CAN", "UKR", False, True, None),
    ("SWE", "LTU", True, True, None),
    ("SWE", "POL", True, True, None),
    ("SWE", "UKR", False, True, None),
    ("ROU", "ROU", True, True, None),
    ("SVK", "SVK", True, True, None),
)


def example_scenario() -> Scenario:
    """The bundled example scenario (see the module docstring); ceasefire = no."""
    return Scenario(
        settings=_settings(),
        services=SERVICES,
        sites=tuple(_site(data) for data in _SITES),
        hub_options=tuple(option for data in _SITES for option in _hub_options(data)),
        sectors=tuple(Sector(sector_id, "UKR", name, lat, lon, ceasefire)
                      for sector_id, name, lat, lon, ceasefire in _SECTORS),
        demand=tuple(Demand(sector_id, service, float(quantity), priority, _real(max_hours))
                     for sector_id, service, quantity, priority, max_hours in _DEMAND),
        routes=(
            # Negotiated broad-gauge rail link from the Rzeszów hub via Przemyśl.
            Route("RZE", "KHA", hours=20.0),
            # Danube crossing at Reni-Izmail, measured convoy time.
            Route("GLT", "KHE", hours=9.0),
        ),
        countries=(CountryBound("UKR", max_sites=3),),
        contributors=tuple(Contributor(cid, name, _real(staff), _real(budget))
                           for cid, name, staff, budget in _CONTRIBUTORS),
        permissions=tuple(Permission(cid, country, staff, fund, _real(max_staff))
                          for cid, country, staff, fund, max_staff in _PERMISSIONS),
    )


# The three futures of the posture example (SPEC §3.5): scenario, probability,
# ceasefire, demand_factor, lost_sites, description. The probabilities are
# illustrative: the planner's judgement, not a forecast.
_SCENARIOS = (
    ("ceasefire", 0.3, True, 1.0, None,
     "A ceasefire holds: the force deploys in Ukraine, Ukrainian sites open, the monitoring "
     "zones need support and the eastern sectors need more."),
    ("no_ceasefire", 0.5, False, 1.0, None,
     "No ceasefire: support from allied countries only, today's demand."),
    ("strike", 0.2, False, 1.0, "RZE",
     "No ceasefire, and the Rzeszów hub near the Ukrainian border is struck (a missile hit "
     "energy infrastructure near Lviv, under 100 km from the Polish border)."),
)

# scenario, sector_id, service, quantity [units/period]: the ceasefire's larger eastern needs
_SCENARIO_DEMAND = (
    ("ceasefire", "KHA", "maintenance", 5_000),
    ("ceasefire", "KRA", "maintenance", 5_500),
    ("ceasefire", "KHA", "storage", 450),
    ("ceasefire", "KRA", "storage", 500),
)


def example_posture_scenario() -> Scenario:
    """The bundled example with three scenarios (``hubopt example --scenarios``): a
    ceasefire that holds, none, and none with the Rzeszów hub struck. Solving it gives
    the posture of SPEC §3.5: what to build now in Poland, Romania or Slovakia."""
    from dataclasses import replace

    base = example_scenario()
    return replace(
        base,
        settings=base.settings.updated(scenario_name="Paris declaration hubs, three futures "
                                       "(illustrative)", later_cost_factor=1.25),
        scenarios=tuple(ScenarioCase(name, p, ceasefire, factor, lost, text)
                        for name, p, ceasefire, factor, lost, text in _SCENARIOS),
        scenario_demand=tuple(ScenarioDemand(name, sector, service, float(quantity))
                              for name, sector, service, quantity in _SCENARIO_DEMAND))


def _settings() -> Settings:
    return Settings(
        scenario_name="Paris declaration hubs (illustrative)",
        ceasefire=False,
        value_of_time=5.0,
        road_speed_kmh=60.0,
        road_factor=1.3,
        border_delay_hours=4.0,
        transport_cost_per_unit_km=0.05,
        value_at_risk=50.0,
        time_limit_seconds=60.0,
        mip_gap=0.0001,
    )


def _real(value: float | None) -> float | None:
    """``value`` as a float, as the reader returns number cells; None stays None."""
    return None if value is None else float(value)


def _site(data: _SiteData) -> Site:
    return Site(data.site_id, data.country, data.name, data.latitude, data.longitude,
                data.requires_ceasefire, data.status, float(data.site_cost), data.threat)


def _hub_options(data: _SiteData) -> list[HubOption]:
    """Every size the site offers for every service, costs scaled by the site's factor."""
    return [
        HubOption(data.site_id, service, size, float(capacity),
                  float(round(fixed_cost * data.cost_factor, -3)), float(staff),
                  float(data.build_weeks))
        for service, by_size in _MODULES.items()
        for size, (capacity, fixed_cost, staff) in by_size.items()
        if size in data.sizes
    ]
