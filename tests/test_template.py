"""The input workbook writer: template layout, drop-downs and scenario round trips."""

from __future__ import annotations

import dataclasses
import re

import pytest
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

import hubopt
from hubopt.inputs.example import example_scenario
from hubopt.inputs.instance import SHEET_RECORDS, Scenario, Sector, Site
from hubopt.inputs.reader import normalise_header
from hubopt.inputs.schema import SETTINGS, SHEETS, SHEETS_BY_NAME, load_countries
from hubopt.inputs.template import header_text, write_input_workbook

RANGE = re.compile(r"^(\w+)!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)$")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "template.xlsx"
    write_input_workbook(path)
    return load_workbook(path)


@pytest.fixture(scope="module")
def example_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("example") / "example.xlsx"
    write_input_workbook(path, example_scenario())
    return path


@pytest.fixture(scope="module")
def example(example_path):
    return load_workbook(example_path)


def validation_of(worksheet, cell: str):
    """The one data validation covering ``cell``, or None."""
    found = [dv for dv in worksheet.data_validations.dataValidation if cell in dv.sqref]
    assert len(found) <= 1, f"{worksheet.title}!{cell} has {len(found)} validations"
    return found[0] if found else None


def sheet_values(worksheet) -> list[tuple]:
    """The data rows below the header, skipping empty ones."""
    return [row for row in worksheet.iter_rows(min_row=2, values_only=True)
            if any(value is not None for value in row)]


def expected_cells(record, sheet) -> tuple:
    """What the writer should put in a row for ``record``: bools as yes/no."""
    values = (getattr(record, column.name) for column in sheet.columns)
    return tuple(("yes" if v else "no") if isinstance(v, bool) else v for v in values)


# --- Layout -------------------------------------------------------------------------


def test_sheets_are_instructions_then_schema_order_then_hidden_lists(template):
    assert template.sheetnames == ["Instructions", *(s.name for s in SHEETS), "Lists"]
    assert template["Lists"].sheet_state == "hidden"
    assert all(template[s.name].sheet_state == "visible" for s in SHEETS)


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_headers_are_column_names_with_units(template, sheet):
    headers = [cell.value for cell in template[sheet.name][1]]
    assert headers == [header_text(column) for column in sheet.columns]
    assert [normalise_header(h) for h in headers] == list(sheet.column_names)
    for header, column in zip(headers, sheet.columns):
        assert header == (f"{column.name} [{column.unit}]" if column.unit else column.name)


def test_a_unit_header_reads_back_as_its_column():
    capacity = SHEETS_BY_NAME["HubOptions"].column("capacity")
    assert header_text(capacity) == "capacity [units/period]"


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_every_header_has_a_note_with_meaning_type_unit_and_required_mark(template, sheet):
    for cell, column in zip(template[sheet.name][1], sheet.columns):
        assert cell.comment is not None, f"{sheet.name}!{cell.coordinate} has no note"
        note = cell.comment.text
        assert column.description in note
        assert column.expectation in note
        if column.unit:
            assert column.unit in note
        assert ("*required*" in note) == column.required
        assert cell.font.bold


@pytest.mark.parametrize("sheet", SHEETS, ids=lambda s: s.name)
def test_header_row_frozen_and_one_table_over_the_columns(template, sheet):
    worksheet = template[sheet.name]
    assert worksheet.freeze_panes == "A2"
    assert len(worksheet.tables) == 1
    table = next(iter(worksheet.tables.values()))
    first, last = table.ref.split(":")
    assert first == "A1"
    last_column = re.match(r"([A-Z]+)(\d+)", last)
    assert column_index_from_string(last_column[1]) == len(sheet.columns)
    assert int(last_column[2]) >= 2
    assert " " not in table.displayName


def test_table_names_are_unique(template):
    names = [name for s in SHEETS for name in template[s.name].tables]
    assert len(names) == len(set(names)) == len(SHEETS)


def test_columns_have_sensible_widths(template):
    for sheet in SHEETS:
        for index in range(1, len(sheet.columns) + 1):
            width = template[sheet.name].column_dimensions[get_column_letter(index)].width
            assert 10 <= width <= 60


# --- Drop-downs ---------------------------------------------------------------------


def columns_of_kind(kind: str):
    for sheet in SHEETS:
        for index, column in enumerate(sheet.columns, start=1):
            if column.kind == kind and column.ref is None:
                yield sheet, get_column_letter(index), column


def test_yes_no_columns_have_a_yes_no_drop_down_on_rows_2_to_1000(template):
    found = list(columns_of_kind("yesno"))
    assert len(found) >= 5  # requires_ceasefire twice, allowed, may_staff, may_fund
    for sheet, letter, column in found:
        worksheet = template[sheet.name]
        validation = validation_of(worksheet, f"{letter}2")
        assert validation is not None, f"{sheet.name}.{column.name}"
        assert validation.type == "list"
        assert validation.formula1 == '"yes,no"'
        assert f"{letter}1000" in validation.sqref
        assert validation.allowBlank
        assert validation_of(worksheet, f"{letter}1") is None


def test_status_has_its_choices(template):
    validation = validation_of(template["Sites"], "G2")
    assert validation.formula1 == '"candidate,open,closed"'


def test_country_columns_point_at_every_code_on_the_hidden_lists_sheet(template):
    codes = list(load_countries())
    found = list(columns_of_kind("country"))
    assert {sheet.name for sheet, _, _ in found} >= {"Sites", "Sectors", "Countries",
                                                     "Permissions"}
    for sheet, letter, column in found:
        validation = validation_of(template[sheet.name], f"{letter}2")
        assert validation is not None and validation.type == "list"
        match = RANGE.match(validation.formula1)
        assert match, validation.formula1
        list_sheet, first_col, first_row, last_col, last_row = match.groups()
        assert list_sheet == "Lists" and first_col == last_col
        listed = [template["Lists"][f"{first_col}{row}"].value
                  for row in range(int(first_row), int(last_row) + 1)]
        assert listed == codes
        assert validation.allowBlank is not column.required
        assert len(validation.formula1) < 255


def test_ref_columns_point_at_the_referenced_column(template):
    found = [(sheet, get_column_letter(index), column)
             for sheet in SHEETS for index, column in enumerate(sheet.columns, start=1)
             if column.ref is not None]
    assert {(s.name, c.name) for s, _, c in found} >= {
        ("HubOptions", "site_id"), ("HubOptions", "service"), ("Demand", "sector_id"),
        ("Demand", "service"), ("Permissions", "contributor_id")}
    for sheet, letter, column in found:
        validation = validation_of(template[sheet.name], f"{letter}500")
        assert validation is not None, f"{sheet.name}.{column.name}"
        match = RANGE.match(validation.formula1)
        assert match, validation.formula1
        target, first_col, first_row, last_col, last_row = match.groups()
        assert target == column.ref[0]
        assert first_col == last_col and first_row == "2" and int(last_row) >= 1000
        assert normalise_header(template[target][f"{first_col}1"].value) == column.ref[1]
        assert validation.errorStyle == "warning" and validation.showErrorMessage


def test_validations_grow_with_the_data(tmp_path):
    scenario = example_scenario()
    sectors = tuple(Sector(f"S{i:04d}", "UKR", latitude=48.0, longitude=35.0)
                    for i in range(1200))
    path = tmp_path / "big.xlsx"
    write_input_workbook(path, dataclasses.replace(scenario, sectors=sectors))
    book = load_workbook(path)
    assert validation_of(book["Sectors"], "C1201") is not None  # country
    demand_sector = validation_of(book["Demand"], "A2")
    assert demand_sector.formula1 == "Sectors!$A$2:$A$1201"
    assert next(iter(book["Sectors"].tables.values())).ref == "A1:F1201"


# --- Settings -------------------------------------------------------------------------


def test_settings_sheet_lists_every_key_blank_in_the_template(template):
    rows = sheet_values(template["Settings"])
    assert [row[0] for row in rows] == [s.key for s in SETTINGS]
    assert all(row[1] is None for row in rows)
    for row, setting in zip(rows, SETTINGS):
        assert setting.description.split(".")[0] in row[2]
        assert "Default" in row[2]


def test_settings_value_cells_of_yes_no_and_choice_keys_have_drop_downs(template):
    worksheet = template["Settings"]
    for row, setting in enumerate(SETTINGS, start=2):
        validation = validation_of(worksheet, f"B{row}")
        if setting.kind == "yesno":
            assert validation.formula1 == '"yes,no"', setting.key
        elif setting.kind == "choice":
            assert validation.formula1 == '"' + ",".join(setting.choices) + '"'
        else:
            assert validation is None, setting.key


def test_settings_of_a_scenario_are_written(example):
    values = {row[0]: row[1] for row in sheet_values(example["Settings"])}
    settings = example_scenario().settings
    assert values["scenario_name"] == settings.scenario_name
    assert values["ceasefire"] == "no"
    assert values["value_of_time"] == settings.value_of_time
    assert values["budget"] is None


# --- Instructions ---------------------------------------------------------------------


def test_instructions_document_every_sheet_column_and_setting(template):
    worksheet = template["Instructions"]
    texts = [cell.value for row in worksheet.iter_rows() for cell in row if cell.value]
    joined = "\n".join(map(str, texts))
    assert "hubopt validate" in joined and "hubopt solve" in joined
    for sheet in SHEETS:
        assert any(str(t).startswith(f"{sheet.name} (") for t in texts), sheet.name
        for column in sheet.columns:
            assert column.name in texts and column.description in texts
    for setting in SETTINGS:
        assert setting.key in texts and setting.description in texts
    assert worksheet["A1"].font.bold


# --- Writing scenarios ----------------------------------------------------------------


@pytest.mark.parametrize("sheet_name", list(SHEET_RECORDS))
def test_every_record_is_written_cell_by_cell(example, sheet_name):
    field_name, _ = SHEET_RECORDS[sheet_name]
    sheet = SHEETS_BY_NAME[sheet_name]
    records = getattr(example_scenario(), field_name)
    assert sheet_values(example[sheet_name]) == [expected_cells(r, sheet) for r in records]


def test_site_coordinates_and_option_count_round_trip(example):
    scenario = example_scenario()
    rows = {row[0]: row for row in sheet_values(example["Sites"])}
    for site in scenario.sites:
        assert rows[site.site_id][3:5] == (site.latitude, site.longitude)
    assert rows["RZE"][5:7] == ("no", "open")
    assert len(sheet_values(example["HubOptions"])) == len(scenario.hub_options)


def test_ids_and_text_stay_text_and_numbers_stay_numbers(example):
    assert example["HubOptions"]["A2"].data_type == "s"
    assert example["HubOptions"]["D2"].data_type == "n"
    assert example["Demand"]["E2"].value is None  # max_hours None is a blank cell


def test_formula_like_text_is_written_as_text(tmp_path):
    scenario = example_scenario()
    tricky = Site("007", "POL", name='=HYPERLINK("x")', latitude=50.0, longitude=20.0)
    path = tmp_path / "tricky.xlsx"
    write_input_workbook(path, dataclasses.replace(scenario, sites=(tricky,)))
    worksheet = load_workbook(path)["Sites"]
    assert worksheet["A2"].value == "007" and worksheet["A2"].data_type == "s"
    assert worksheet["B2"].value == '=HYPERLINK("x")'
    assert worksheet["B2"].data_type == "s"
    assert worksheet["B2"].quotePrefix


def test_empty_optional_sheets_keep_their_headers(tmp_path):
    scenario = dataclasses.replace(example_scenario(), routes=(), countries=(),
                                   contributors=(), permissions=())
    path = tmp_path / "bare.xlsx"
    write_input_workbook(path, scenario)
    book = load_workbook(path)
    for name in ("Routes", "Countries", "Contributors", "Permissions"):
        assert book[name]["A1"].value == SHEETS_BY_NAME[name].columns[0].name
        assert sheet_values(book[name]) == []


def test_writes_atomically_into_a_new_folder_and_overwrites(tmp_path):
    path = tmp_path / "new" / "folder" / "book.xlsx"
    write_input_workbook(path)
    write_input_workbook(path, example_scenario())
    assert [p.name for p in path.parent.iterdir()] == ["book.xlsx"]
    assert load_workbook(path)["Sites"]["A2"].value == "RZE"


# --- Through the reader ---------------------------------------------------------------


def comparable(scenario: Scenario) -> dict:
    """The scenario's records without ``row`` numbers, and without ``source``."""
    result = {"settings": scenario.settings}
    for field_name, _ in SHEET_RECORDS.values():
        result[field_name] = [dataclasses.replace(r, row=None)
                              for r in getattr(scenario, field_name)]
    return result


def test_the_example_reads_back_as_the_same_scenario(example_path):
    assert comparable(hubopt.read_scenario(example_path)) == comparable(example_scenario())


def test_the_empty_template_is_an_input_error_naming_the_required_sheets(tmp_path):
    path = tmp_path / "empty.xlsx"
    write_input_workbook(path)
    with pytest.raises(hubopt.InputError) as caught:
        hubopt.read_scenario(path)
    text = str(caught.value)
    for sheet in SHEETS:
        assert (sheet.name in text) == sheet.required
