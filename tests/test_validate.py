"""One test per validation rule (hubopt/inputs/validate.py, hubopt/inputs/cells.py; SPEC §2).

Each test breaks one thing in an otherwise valid workbook and asserts the
exact place and words of the message.
"""

from __future__ import annotations

import datetime as dt

import pytest
from workbooks import set_cell, tiny_sheets, write_book

import hubopt
from hubopt.errors import InputError, UsageError


def load(tmp_path, sheets, overrides=None):
    return hubopt.load_scenario(write_book(tmp_path / "in.xlsx", sheets), overrides)


def errors_of(tmp_path, sheets, overrides=None) -> list[str]:
    with pytest.raises(InputError) as caught:
        load(tmp_path, sheets, overrides)
    return [str(issue) for issue in caught.value.issues]


def warnings_of(tmp_path, sheets) -> list[str]:
    return [str(w) for w in load(tmp_path, sheets).warnings]


def test_the_tiny_workbook_is_valid(tmp_path):
    validated = load(tmp_path, tiny_sheets())
    scenario = validated.scenario
    assert validated.warnings == []
    assert scenario.name == "tiny"
    assert [s.site_id for s in scenario.sites] == ["A", "B"]
    assert scenario.sites[0].name == "Alpha" and scenario.sites[0].row == 2
    assert scenario.hub_options[1].capacity == 100.0
    assert scenario.settings.missing_routes == "forbid"
    assert scenario.settings.mip_gap == 0.0
    assert scenario.settings.road_speed_kmh == 60.0          # default
    assert len(scenario.source.sha256) == 64


def test_missing_required_sheet(tmp_path):
    sheets = tiny_sheets()
    del sheets["Demand"]
    assert errors_of(tmp_path, sheets) == [
        "Demand: sheet is missing. Add a sheet named 'Demand' with columns sector_id, service, "
        "quantity, priority, max_hours (see `hubopt template`)."]


def test_permissions_required_with_contributors(tmp_path):
    sheets = tiny_sheets()
    sheets["Contributors"] = [["contributor_id"], ["POL"]]
    assert errors_of(tmp_path, sheets)[0].startswith(
        "Permissions: sheet is missing (required because Contributors has rows).")


def test_missing_required_column(tmp_path):
    sheets = tiny_sheets()
    sheets["Sites"] = [row[:2] + row[3:] for row in sheets["Sites"]]  # drop country
    assert errors_of(tmp_path, sheets) == [
        "Sites!1: required column 'country' is missing. Add a header 'country' in row 1."]


def test_required_sheet_without_rows(tmp_path):
    sheets = tiny_sheets()
    sheets["Services"] = sheets["Services"][:1]
    errors = errors_of(tmp_path, sheets)
    assert errors[0].startswith("Services: has no rows.")
    # the HubOptions and Demand rows now name an unknown service too
    assert "HubOptions!B2: service: 'goods' is not a service_id in Services." in errors[1]


def test_required_cell_blank(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Sites", 3, "country", None)
    assert errors_of(tmp_path, sheets) == [
        "Sites!C3: country: is blank. Fill it in: expected a three-letter ISO 3166-1 alpha-3 "
        "code such as POL."]


def test_text_in_a_number_cell(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Sites", 3, "latitude", "north")
    assert errors_of(tmp_path, sheets) == [
        "Sites!D3: latitude: 'north' is not a number. Expected a number from -90 to 90."]


@pytest.mark.parametrize("value", ["1,2k", "n/a", "12 units"])  # '#DIV/0!': test_hostile_cells
def test_number_cells_reject_non_numbers(tmp_path, value):
    sheets = tiny_sheets()
    set_cell(sheets, "Demand", 2, "quantity", value)
    assert errors_of(tmp_path, sheets) == [
        f"Demand!C2: quantity: '{value}' is not a number. Expected a number ≥ 0."]


def test_number_as_plain_text_is_accepted(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Demand", 2, "quantity", " 60.5 ")
    assert load(tmp_path, sheets).scenario.demand[0].quantity == 60.5


def test_date_in_a_number_cell(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "HubOptions", 2, "fixed_cost", dt.datetime(2026, 3, 1))
    assert errors_of(tmp_path, sheets) == [
        "HubOptions!E2: fixed_cost: '2026-03-01' is a date or time, not a number. "
        "Expected a number ≥ 0."]


@pytest.mark.parametrize(("sheet", "column", "value", "expected"), [
    ("Sites", "latitude", 95, "Sites!D2: latitude: '95' is out of range; expected a number "
                              "from -90 to 90."),
    ("HubOptions", "capacity", 0, "HubOptions!D2: capacity: '0' is out of range; expected a "
                                  "number > 0."),
    ("Demand", "quantity", -1, "Demand!C2: quantity: '-1' is out of range; expected a number "
                               "≥ 0."),
])
def test_numbers_out_of_range(tmp_path, sheet, column, value, expected):
    sheets = tiny_sheets()
    set_cell(sheets, sheet, 2, column, value)
    assert errors_of(tmp_path, sheets) == [expected]


def test_integer_cells_reject_fractions(tmp_path):
    sheets = tiny_sheets()
    sheets["Countries"] = [["country", "min_sites"], ["POL", 1.5]]
    assert errors_of(tmp_path, sheets) == [
        "Countries!B2: min_sites: '1.5' is not a whole number. Expected a whole number ≥ 0."]


@pytest.mark.parametrize(("text", "value"), [("yes", True), ("Y", True), ("TRUE", True),
                                             (1, True), (True, True), ("no", False),
                                             ("n", False), ("False", False), (0, False)])
def test_yes_no_spellings(tmp_path, text, value):
    sheets = tiny_sheets()
    set_cell(sheets, "Routes", 2, "allowed", text)
    assert load(tmp_path, sheets).scenario.routes[0].allowed is value


def test_yes_no_rejects_other_words(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Routes", 2, "allowed", "maybe")
    assert errors_of(tmp_path, sheets) == [
        "Routes!E2: allowed: 'maybe' is not yes or no. Expected yes or no."]


def test_choice_must_be_allowed(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Sites", 2, "status", "opened")
    assert errors_of(tmp_path, sheets) == [
        "Sites!F2: status: 'opened' is not allowed; expected one of candidate, open, closed."]


def test_choice_is_case_insensitive(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Sites", 2, "status", "Open")
    assert load(tmp_path, sheets).scenario.sites[0].status == "open"


def test_country_must_be_a_three_letter_code(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Sites", 2, "country", "Poland")
    assert errors_of(tmp_path, sheets) == [
        "Sites!C2: country: 'Poland' is not a country code; expected a three-letter ISO 3166-1 "
        "alpha-3 code such as POL."]


def test_unknown_country_code_of_a_site_is_an_error(tmp_path):
    """Permissions and counts match sites by country: a typo would shut the site out."""
    sheets = tiny_sheets()
    set_cell(sheets, "Sites", 2, "country", "xyz")
    assert errors_of(tmp_path, sheets) == [
        "Sites!C2: country: 'XYZ' is not an ISO 3166-1 alpha-3 code hubopt knows; "
        "permissions and site counts match countries by this code. "
        "Use the ISO 3166-1 alpha-3 code (e.g. POL, ROU, UKR)."]


def test_a_familiar_non_iso_code_names_the_code_meant(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Sites", 3, "country", "ROM")
    assert errors_of(tmp_path, sheets) == [
        "Sites!C3: country: 'ROM' is not an ISO 3166-1 alpha-3 code hubopt knows; "
        "permissions and site counts match countries by this code. "
        "Did you mean ROU (Romania)? Use the ISO 3166-1 alpha-3 code."]


def test_unknown_country_code_in_permissions_is_an_error(tmp_path):
    sheets = with_contributor(tiny_sheets(), country="GER")
    assert errors_of(tmp_path, sheets) == [
        "Permissions!B2: country: 'GER' is not an ISO 3166-1 alpha-3 code hubopt knows; "
        "permissions and site counts match countries by this code. "
        "Did you mean DEU (Germany)? Use the ISO 3166-1 alpha-3 code."]


def test_unknown_country_code_of_a_sector_is_a_warning(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Sectors", 2, "country", "UKX")
    validated = load(tmp_path, sheets)
    assert validated.scenario.sectors[0].country == "UKX"
    assert [str(w) for w in validated.warnings] == [
        "Sectors!B2: country: 'UKX' is not an ISO 3166-1 alpha-3 code hubopt knows; "
        "a wrong code adds the border delay to every route. "
        "Use the ISO 3166-1 alpha-3 code (e.g. POL, ROU, UKR)."]


def with_contributor(sheets, *, country="POL", may_staff="yes", may_fund="yes",
                     permissions=True):
    sheets["Contributors"] = [["contributor_id", "max_staff"], ["MDA", 50]]
    sheets["Permissions"] = [["contributor_id", "country", "may_staff", "may_fund"]]
    if permissions:
        sheets["Permissions"].append(["MDA", country, may_staff, may_fund])
    return sheets


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"permissions": False},
     "it has no Permissions rows, and a country without a row is not allowed"),
    ({"may_staff": "no", "may_fund": "no"},
     "none of its Permissions rows allows staffing or funding in a country with a site "
     "usable in this run (ceasefire = no)"),
    ({"country": "UKR"},
     "none of its Permissions rows allows staffing or funding in a country with a site "
     "usable in this run (ceasefire = no)"),
])
def test_a_contributor_that_can_do_nothing_is_a_warning_naming_it(tmp_path, kwargs, reason):
    assert warnings_of(tmp_path, with_contributor(tiny_sheets(), **kwargs)) == [
        f"Contributors row 2: contributor 'MDA' can neither staff nor fund any hub: {reason}. "
        "Add Permissions rows for MDA (contributor_id, country, may_staff, may_fund) for the "
        "countries it may work in, or delete the contributor."]


def test_a_contributor_allowed_where_sites_are_gets_no_warning(tmp_path):
    assert warnings_of(tmp_path, with_contributor(tiny_sheets())) == []


def test_whole_number_identifiers_become_text(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Sites", 2, "site_id", 12.0)
    set_cell(sheets, "HubOptions", 2, "site_id", "12")
    set_cell(sheets, "Routes", 2, "site_id", 12)
    set_cell(sheets, "Routes", 3, "site_id", 12)
    scenario = load(tmp_path, sheets).scenario
    assert scenario.sites[0].site_id == "12"
    assert scenario.hub_options[0].site_id == "12"


def test_duplicate_keys(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Sites", 3, "site_id", "A")
    errors = errors_of(tmp_path, sheets)
    assert errors[0] == ("Sites row 3: duplicate site_id 'A' (first in row 2). "
                         "Each must be unique: remove or rename one row.")


def test_duplicate_composite_keys(tmp_path):
    sheets = tiny_sheets()
    sheets["Demand"].append(["K", "goods", 5, None])
    assert errors_of(tmp_path, sheets) == [
        "Demand row 4: duplicate sector_id 'K', service 'goods' (first in row 2). "
        "Each must be unique: remove or rename one row."]


def test_unknown_reference_suggests_the_nearest_id(tmp_path):
    sheets = tiny_sheets()
    sheets["Sites"][1][0] = "RZE"
    for row in sheets["HubOptions"][1:] + sheets["Routes"][1:]:
        if row[0] == "A":
            row[0] = "RZE"
    set_cell(sheets, "HubOptions", 2, "site_id", "RZEE")
    assert errors_of(tmp_path, sheets) == [
        "HubOptions!A2: site_id: 'RZEE' is not a site_id in Sites. Did you mean 'RZE'? "
        "Add it to Sites or correct the spelling."]


def test_settings_rules(tmp_path):
    sheets = tiny_sheets()
    sheets["Settings"] += [["budgett", 5], ["ceasefire", "perhaps"], ["mip_gap", 0.01]]
    with pytest.raises(InputError) as caught:
        load(tmp_path, sheets)
    assert [str(i) for i in caught.value.issues] == [
        "Settings!B6: ceasefire: 'perhaps' is not yes or no. Expected yes or no.",
        "Settings!A7: setting 'mip_gap' is given twice (also in row 4). Keep one of the two rows.",
    ]
    assert [str(w) for w in caught.value.warnings] == [
        "Settings!A5: unknown setting 'budgett' is ignored. Did you mean 'budget'?"]


def test_settings_values_are_typed(tmp_path):
    sheets = tiny_sheets()
    sheets["Settings"] += [["ceasefire", "yes"], ["budget", "3e6"], ["max_sites", 4],
                           ["single_sourcing", True]]
    settings = load(tmp_path, sheets).scenario.settings
    assert (settings.ceasefire, settings.budget, settings.max_sites, settings.single_sourcing) \
        == (True, 3e6, 4, True)


def test_set_overrides_are_validated(tmp_path):
    assert load(tmp_path, tiny_sheets(), {"budget": "250"}).scenario.settings.budget == 250.0
    assert errors_of(tmp_path, tiny_sheets(), {"budget": "lots"}) == [
        "--set budget: 'lots' is not a number. Expected a number ≥ 0."]
    with pytest.raises(UsageError, match="--set budgett: unknown setting. Did you mean 'budget'"):
        load(tmp_path, tiny_sheets(), {"budgett": "1"})


def test_min_above_max(tmp_path):
    sheets = tiny_sheets()
    sheets["Settings"] += [["min_sites", 3], ["max_sites", 2]]
    sheets["Countries"] = [["country", "min_sites", "max_sites"], ["POL", 2, 1]]
    assert errors_of(tmp_path, sheets) == [
        "Settings: min_sites 3 is above max_sites 2. Lower min_sites or raise max_sites.",
        "Countries!B2: min_sites 2 is above max_sites 1 for POL. Lower min_sites or raise "
        "max_sites."]


def test_site_without_options(tmp_path):
    sheets = tiny_sheets()
    sheets["Sites"].append(["C", None, "POL", 50, 20, "candidate", 0])
    assert warnings_of(tmp_path, sheets) == [
        "Sites row 4: site 'C' has no HubOptions rows, so it can never open. "
        "Add its modules to HubOptions."]
    sheets["Sites"][-1][5] = "open"
    assert errors_of(tmp_path, sheets) == [
        "Sites row 4: site 'C' has no HubOptions rows, so it can never open. "
        "Add its modules to HubOptions."]


def test_headers_ignore_case_units_and_unknown_columns(tmp_path):
    sheets = tiny_sheets()
    sheets["sites"] = sheets.pop("Sites")
    sheets["sites"][0] = [" Site_ID ", "Name", "COUNTRY", "latitude (deg)", "longitude [deg]",
                          "status", "site cost", "notes"]
    sheets["sites"][1].append("x")
    validated = load(tmp_path, sheets)
    assert validated.scenario.sites[0].longitude == 22.0
    assert [str(w) for w in validated.warnings] == ["sites!H1: unknown column 'notes' is ignored."]


def test_misspelt_header_and_duplicate_column(tmp_path):
    sheets = tiny_sheets()
    sheets["HubOptions"][0][5] = "staf"
    assert [str(w) for w in load(tmp_path, sheets).warnings] == [
        "HubOptions!F1: unknown column 'staf' is ignored. Did you mean 'staff'?"]
    sheets["HubOptions"][0][5] = "fixed_cost"
    assert errors_of(tmp_path, sheets) == [
        "HubOptions!F1: column 'fixed_cost' appears twice (also in column E). "
        "Delete or rename one of them."]


def test_every_error_is_reported_at_once(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Sites", 2, "latitude", "north")
    set_cell(sheets, "Demand", 3, "quantity", "lots")
    set_cell(sheets, "Routes", 5, "allowed", "maybe")
    errors = errors_of(tmp_path, sheets)
    assert [e.split(":")[0] for e in errors] == ["Sites!D2", "Demand!C3", "Routes!E5"]


def test_blank_rows_are_skipped_and_other_sheets_warned(tmp_path):
    sheets = tiny_sheets()
    sheets["Demand"].insert(2, [None, " ", None, None])
    sheets["Notes"] = [["anything"]]
    validated = load(tmp_path, sheets)
    assert len(validated.scenario.demand) == 2
    assert validated.scenario.demand[1].row == 4
    assert [str(w) for w in validated.warnings] == [
        "Notes: sheet is not one hubopt reads; it is ignored."]


def test_not_a_workbook(tmp_path):
    bad = tmp_path / "plan.xlsx"
    bad.write_text("site_id,country\nA,POL\n")
    with pytest.raises(InputError, match=r"is a text \(CSV\) file, not an .xlsx workbook"):
        hubopt.load_scenario(bad)
    with pytest.raises(InputError, match="no such file"):
        hubopt.load_scenario(tmp_path / "missing.xlsx")


def test_computed_route_needs_coordinates(tmp_path):
    sheets = tiny_sheets()
    sheets["Settings"] = [["key", "value"], ["missing_routes", "compute"]]
    del sheets["Routes"]
    set_cell(sheets, "Sites", 3, "latitude", None)
    scenario = load(tmp_path, sheets).scenario
    with pytest.raises(InputError) as caught:
        hubopt.solve(scenario)
    assert [str(i) for i in caught.value.issues] == [
        "Sites row 3: 'B' has no latitude/longitude, but its route to 2 sectors (K, L) must be "
        "computed. Fill in latitude and longitude, give those pairs hours and cost_per_unit in "
        "Routes, or set missing_routes = forbid."]


def test_resilience_is_accepted_and_threat_settings_are_range_checked(tmp_path):
    sheets = tiny_sheets()
    sheets["Settings"] += [["resilience", 0.5], ["max_threat", 0.4],
                           ["max_share_per_site", 0.7]]
    settings = load(tmp_path, sheets).scenario.settings
    assert (settings.resilience, settings.max_threat, settings.max_share_per_site) == \
        (0.5, 0.4, 0.7)
    sheets = tiny_sheets()
    sheets["Settings"] += [["max_threat", 1.5], ["max_share_per_site", 0]]
    assert errors_of(tmp_path, sheets) == [
        "Settings!B5: max_threat: '1.5' is out of range; expected a number from 0 to 1.",
        "Settings!B6: max_share_per_site: '0' is out of range; expected a number above 0, "
        "at most 1."]


def test_input_errors_survive_being_sent_between_processes():
    import pickle
    error = InputError([hubopt.Issue("error", "Sites!D3", "latitude: 'north' is not a number.")],
                       [hubopt.Issue("warning", "Notes", "ignored.")])
    copy = pickle.loads(pickle.dumps(error))
    assert copy.issues == error.issues and copy.warnings == error.warnings
    assert str(copy) == str(error)


@pytest.mark.parametrize(("text", "message"), [
    ("4.000", "'4.000' is text that reads two ways: 4 if '.' is a decimal mark, 4,000 if it "
              "separates thousands. Type the number itself in the cell (4000 or 4), not as "
              "text."),
    ("1,000", "'1,000' is text that reads two ways: 1 if ',' is a decimal mark, 1,000 if it "
              "separates thousands. Type the number itself in the cell (1000 or 1), not as "
              "text."),
    ("1.234.567", "'1.234.567' is text with thousands separators. Type the number itself in "
                  "the cell (1234567), not as text."),
])
def test_numbers_as_text_with_separators_are_errors(tmp_path, text, message):
    sheets = tiny_sheets()
    set_cell(sheets, "Demand", 2, "quantity", text)
    assert errors_of(tmp_path, sheets) == [f"Demand!C2: quantity: {message}"]


def test_a_plain_decimal_as_text_is_still_read(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Demand", 2, "quantity", "60.5")
    assert load(tmp_path, sheets).scenario.demand[0].quantity == 60.5
