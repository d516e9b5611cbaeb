"""The bundled example scenario: sound data, real places, the reported positions."""

from __future__ import annotations

from collections import Counter

import pytest

import hubopt
from hubopt.inputs.cells import parse
from hubopt.inputs.example import example_scenario
from hubopt.inputs.instance import SHEET_RECORDS
from hubopt.inputs.schema import SHEETS_BY_NAME

# Rough boxes (lat_min, lat_max, lon_min, lon_max) around the places used.
BOXES = {
    "POL": (49.0, 52.5, 14.0, 24.5),
    "SVK": (47.7, 49.7, 16.8, 22.6),
    "ROU": (43.6, 48.3, 20.2, 29.8),
    "DEU": (50.5, 53.0, 13.0, 15.1),  # the eastern rear, by the Oder and Neisse
    "LTU": (53.9, 56.5, 20.9, 26.9),
    "UKR": (44.3, 52.4, 22.1, 40.3),
}


@pytest.fixture(scope="module")
def scenario():
    return example_scenario()


def test_every_value_fits_its_schema_column(scenario):
    for sheet_name, (field_name, _) in SHEET_RECORDS.items():
        sheet = SHEETS_BY_NAME[sheet_name]
        for record in getattr(scenario, field_name):
            for column in sheet.columns:
                value = getattr(record, column.name)
                assert not (column.required and value is None), (sheet_name, record)
                parse(column, value)  # raises CellProblem when out of range or mistyped


@pytest.mark.parametrize("sheet_name", list(SHEET_RECORDS))
def test_keys_are_unique(scenario, sheet_name):
    field_name, _ = SHEET_RECORDS[sheet_name]
    key = SHEETS_BY_NAME[sheet_name].key
    keys = [tuple(getattr(r, k) for k in key) for r in getattr(scenario, field_name)]
    assert [k for k, n in Counter(keys).items() if n > 1] == []


def test_size_suits_a_quick_optimal_solve(scenario):
    assert 12 <= len(scenario.sites) <= 16
    assert 6 <= len(scenario.sectors) <= 10
    assert {s.service_id for s in scenario.services} == {"storage", "maintenance"}


@pytest.mark.parametrize("kind", ["sites", "sectors"])
def test_coordinates_are_in_range_and_in_their_country(scenario, kind):
    for place in getattr(scenario, kind):
        lat_min, lat_max, lon_min, lon_max = BOXES[place.country]
        assert lat_min <= place.latitude <= lat_max, place
        assert lon_min <= place.longitude <= lon_max, place


def test_sites_cover_the_named_host_countries(scenario):
    by_country = Counter(site.country for site in scenario.sites)
    assert by_country["POL"] >= 3 and by_country["ROU"] >= 2 and by_country["UKR"] >= 5
    assert {"SVK", "DEU", "LTU"} <= set(by_country)
    assert {site.name for site in scenario.sites} >= {"Lviv", "Kyiv", "Vinnytsia", "Dnipro",
                                                      "Odesa", "Košice"}


def test_sectors_lie_along_the_line_of_contact(scenario):
    assert all(sector.country == "UKR" for sector in scenario.sectors)
    assert {s.name for s in scenario.sectors} >= {"Kharkiv", "Kramatorsk", "Zaporizhzhia",
                                                 "Kherson", "Sumy", "Dnipro"}
    assert any(s.requires_ceasefire for s in scenario.sectors)  # the monitoring zone


def test_only_ukrainian_sites_require_a_ceasefire(scenario):
    for site in scenario.sites:
        assert site.requires_ceasefire == (site.country == "UKR"), site.site_id


def test_threat_grows_towards_the_east(scenario):
    threat = {site.name: site.threat for site in scenario.sites}
    allied = max(s.threat for s in scenario.sites if s.country != "UKR")
    assert threat["Lviv"] >= 0.2 > allied
    assert threat["Dnipro"] > threat["Kyiv"] > threat["Lviv"]
    assert threat["Dnipro"] == max(threat.values())


def test_rzeszow_is_an_existing_hub(scenario):
    assert [s.site_id for s in scenario.sites if s.status == "open"] == ["RZE"]


def test_hub_options_reference_sites_and_services_with_two_or_three_sizes(scenario):
    sites = {s.site_id for s in scenario.sites}
    services = {s.service_id for s in scenario.services}
    sizes = Counter((o.site_id, o.service) for o in scenario.hub_options)
    assert all(o.site_id in sites and o.service in services for o in scenario.hub_options)
    assert set(sizes) == {(site, service) for site in sites for service in services}
    assert set(sizes.values()) <= {2, 3}


def test_demand_references_sectors_and_services_for_every_pair(scenario):
    sectors = {s.sector_id for s in scenario.sectors}
    services = {s.service_id for s in scenario.services}
    pairs = {(d.sector_id, d.service) for d in scenario.demand}
    assert pairs == {(sector, service) for sector in sectors for service in services}
    limited = [d for d in scenario.demand if d.max_hours is not None]
    assert limited and all(d.priority > 1 for d in limited)
    assert all(30 <= d.max_hours <= 40 for d in limited
               if not _sector(scenario, d.sector_id).requires_ceasefire)


def _sector(scenario, sector_id):
    return next(s for s in scenario.sectors if s.sector_id == sector_id)


def test_routes_and_country_bounds_reference_known_places(scenario):
    sites = {s.site_id for s in scenario.sites}
    sectors = {s.sector_id for s in scenario.sectors}
    assert all(r.site_id in sites and r.sector_id in sectors for r in scenario.routes)
    assert [(c.country, c.max_sites) for c in scenario.countries] == [("UKR", 3)]


def permissions_of(scenario, contributor_id):
    return {p.country: p for p in scenario.permissions if p.contributor_id == contributor_id}


def test_permissions_reference_contributors(scenario):
    contributors = {c.contributor_id for c in scenario.contributors}
    assert {p.contributor_id for p in scenario.permissions} == contributors


def test_poland_hosts_and_staffs_in_poland_only(scenario):
    assert list(permissions_of(scenario, "POL")) == ["POL"]


def test_germany_staffs_its_neighbours_and_funds_but_does_not_staff_in_ukraine(scenario):
    germany = permissions_of(scenario, "DEU")
    assert {"POL", "LTU", "DEU"} <= {c for c, p in germany.items() if p.may_staff}
    assert not germany["UKR"].may_staff and germany["UKR"].may_fund


def test_britain_and_france_may_staff_in_ukraine_within_caps(scenario):
    for contributor in ("GBR", "FRA"):
        ukraine = permissions_of(scenario, contributor)["UKR"]
        assert ukraine.may_staff and ukraine.max_staff is not None and ukraine.max_staff > 0


def test_settings_are_the_documented_ones(scenario):
    settings = scenario.settings
    assert "illustrative" in settings.scenario_name.lower()
    assert settings.ceasefire is False
    assert 2 <= settings.value_of_time <= 10
    assert (settings.road_speed_kmh, settings.road_factor) == (60.0, 1.3)
    assert settings.border_delay_hours > 0 and settings.value_at_risk > 0
    assert (settings.time_limit_seconds, settings.mip_gap) == (60.0, 0.0001)
    assert all("llustrative" in s.description for s in scenario.services)


def test_the_plan_is_feasible_either_way_and_the_ceasefire_moves_hubs_forward(scenario):
    ukrainian = {s.site_id for s in scenario.sites if s.country == "UKR"}
    plans = {ceasefire: hubopt.solve(scenario.with_settings(ceasefire=ceasefire))
             for ceasefire in (False, True)}
    for plan in plans.values():
        assert plan.status == "optimal"
        assert plan.summary["shortfall"] == pytest.approx(0.0, abs=1e-6)
        assert plan.summary["solve_seconds"] < 30
    assert not set(plans[False].hubs["site_id"]) & ukrainian
    assert set(plans[True].hubs["site_id"]) & ukrainian
    assert plans[True].summary["avg_hours"] < plans[False].summary["avg_hours"]
