"""Cells that a data-only read would misread, and ids that would break things:
each gives a message naming the cell, or is read as the planner meant."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from test_guard import folder_state
from workbooks import set_cell, tiny_sheets, write_book

import hubopt
from hubopt import cli
from hubopt.errors import InputError


def errors_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        hubopt.load_scenario(path)
    return [str(issue) for issue in caught.value.issues]


def book_with(tmp_path: Path, edit=None, sheets=None) -> Path:
    """tiny_sheets() written, then ``edit(book)`` applied with openpyxl and saved."""
    path = write_book(tmp_path / "in.xlsx", sheets or tiny_sheets())
    if edit is not None:
        book = load_workbook(path)
        edit(book)
        book.save(path)
    return path


def set_formula(cell_ref: str, formula: str, sheet: str = "Sites"):
    def edit(book):
        book[sheet][cell_ref] = formula      # openpyxl stores a formula with no value
    return edit


def save_formula_value(path: Path, formula: str, value: str) -> None:
    """Give a stored formula the value Excel would have saved with it."""
    with zipfile.ZipFile(path) as source:
        items = {name: source.read(name) for name in source.namelist()}
    for name, data in items.items():
        if name.startswith("xl/worksheets/"):
            items[name] = data.replace(f"<f>{formula}</f><v />".encode(),
                                       f"<f>{formula}</f><v>{value}</v>".encode())
    with zipfile.ZipFile(path, "w") as target:
        for name, data in items.items():
            target.writestr(name, data)


def test_formula_without_a_saved_value_is_named_not_read_as_blank(tmp_path):
    path = book_with(tmp_path, set_formula("D3", "=A1*2"))
    assert errors_of(path) == [
        "Sites!D3: latitude: '=A1*2' is a formula with no saved value. Open the workbook in "
        "Excel and save it, so that the value is calculated and saved, or type the value itself."]


def test_formula_in_a_required_id_cell_is_not_called_blank(tmp_path):
    path = book_with(tmp_path, set_formula("A2", '=CONCAT("K","")', sheet="Demand"))
    errors = errors_of(path)
    assert errors[0].startswith("Demand!A2: sector_id: '=CONCAT(\"K\",\"\")' is a formula with "
                                "no saved value.")
    assert not any("is blank" in e for e in errors)


def test_formula_with_a_saved_value_uses_it_with_one_warning(tmp_path):
    path = book_with(tmp_path, set_formula("D3", "=A1*2"))
    save_formula_value(path, "A1*2", "49.5")
    validated = hubopt.load_scenario(path)
    assert validated.scenario.sites[1].latitude == 49.5
    assert [str(w) for w in validated.warnings] == [
        "Sites: 1 cell(s) hold formulas, e.g. Sites!D3 '=A1*2'; the values Excel last "
        "calculated are used. Recalculate and save in Excel if their inputs changed."]


@pytest.mark.parametrize("code", ["#DIV/0!", "#REF!", "#N/A", "#VALUE!"])
def test_excel_errors_are_named_as_such(tmp_path, code):
    sheets = tiny_sheets()
    set_cell(sheets, "Demand", 2, "quantity", code)     # openpyxl stores these as error cells
    set_cell(sheets, "Sites", 3, "site_id", code)
    errors = errors_of(write_book(tmp_path / "e.xlsx", sheets))
    assert f"Demand!C2: quantity: '{code}' is an Excel error value. Correct the formula or " \
           "the cell it refers to, or type the value." in errors
    assert f"Sites!A3: site_id: '{code}' is an Excel error value. Correct the formula or the " \
           "cell it refers to, or type the value." in errors


def test_error_code_typed_as_text_is_text(tmp_path):
    def edit(book):
        cell = book["Sites"]["B2"]
        cell.value, cell.data_type = "#N/A", "s"        # typed as '#N/A: plain text
    scenario = hubopt.load_scenario(book_with(tmp_path, edit)).scenario
    assert scenario.sites[0].name == "#N/A"


def test_a_date_where_a_number_belongs(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Demand", 2, "quantity", dt.datetime(2024, 3, 1))
    assert errors_of(write_book(tmp_path / "d.xlsx", sheets)) == [
        "Demand!C2: quantity: '2024-03-01' is a date or time, not a number. "
        "Expected a number ≥ 0."]


@pytest.mark.parametrize(("text", "reason"), [
    ("nan", "is not a number"), ("inf", "is not a number"), ("-Infinity", "is not a number"),
    ("1e999", "is not a finite number")])
def test_nan_and_infinity_as_text(tmp_path, text, reason):
    sheets = tiny_sheets()
    set_cell(sheets, "Demand", 2, "quantity", text)
    assert errors_of(write_book(tmp_path / "n.xlsx", sheets)) == [
        f"Demand!C2: quantity: '{text}' {reason}. Expected a number ≥ 0."]


def test_infinite_number_stored_in_the_file(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Demand", 2, "quantity", 123456789)
    path = write_book(tmp_path / "inf.xlsx", sheets)
    with zipfile.ZipFile(path) as source:
        items = {n: source.read(n).replace(b"<v>123456789</v>", b"<v>1E999</v>")
                 for n in source.namelist()}
    with zipfile.ZipFile(path, "w") as target:
        for name, data in items.items():
            target.writestr(name, data)
    assert errors_of(path) == [
        "Demand!C2: quantity: 'inf' is not a finite number. Expected a number ≥ 0."]


def test_a_10000_character_id(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Sites", 3, "site_id", "B" * 10_000)
    errors = errors_of(write_book(tmp_path / "long.xlsx", sheets))
    assert errors[0] == (
        f"Sites!A3: site_id: '{'B' * 57}...' is 10,000 characters long, above the limit of 200 "
        "for an identifier. Use a short code as the id and put the long text in a name or "
        "description column.")
    assert all(len(e) < 400 for e in errors)            # no message repeats the 10,000


@pytest.mark.parametrize(("value", "shown", "code"), [
    ("B\u200b", "B\\u200b", "U+200B"), ("B\nC", "B\\nC", "U+000A"), ("B\tC", "B\\tC", "U+0009")])
def test_invisible_characters_in_ids(tmp_path, value, shown, code):
    sheets = tiny_sheets()
    set_cell(sheets, "Sites", 3, "site_id", value)
    errors = errors_of(write_book(tmp_path / "c.xlsx", sheets))
    assert errors[0].startswith(f"Sites!A3: site_id: '{shown}' contains the invisible "
                                f"character {code}. Retype the id")


def test_spaces_around_ids_and_words_are_ignored(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Sites", 3, "site_id", "  B ")
    set_cell(sheets, "HubOptions", 2, "service", " goods")
    set_cell(sheets, "Routes", 2, "allowed", " yes ")
    set_cell(sheets, "Sites", 2, "country", " pol ")
    scenario = hubopt.load_scenario(write_book(tmp_path / "s.xlsx", sheets)).scenario
    assert [s.site_id for s in scenario.sites] == ["A", "B"]
    assert scenario.hub_options[0].service == "goods"
    assert scenario.sites[0].country == "POL"


def test_merged_cells_over_a_read_column_are_an_error(tmp_path):
    path = book_with(tmp_path, lambda book: book["Demand"].merge_cells("C2:C3"))
    assert errors_of(path) == [
        "Demand!C2:C3: cells are merged; only the first one holds a value and the others would "
        "read as blank. Unmerge them (Home > Merge & Center) and fill every cell.",
        "Demand!C3: quantity: is blank. Fill it in: expected a number ≥ 0."]


def test_merged_cells_outside_the_table_are_ignored(tmp_path):
    path = book_with(tmp_path, lambda book: book["Demand"].merge_cells("H1:J4"))
    assert len(hubopt.load_scenario(path).scenario.demand) == 2


def test_a_hidden_sheet_is_read_with_a_warning(tmp_path):
    def hide(book):
        book["Routes"].sheet_state = "hidden"
    validated = hubopt.load_scenario(book_with(tmp_path, hide))
    assert len(validated.scenario.routes) == 4
    assert [str(w) for w in validated.warnings] == [
        "Routes: sheet is hidden in Excel; it is read all the same. Unhide it (right-click a "
        "sheet tab > Unhide) to check what it holds."]


def test_a_misspelt_sheet_name_gets_a_suggestion(tmp_path):
    sheets = tiny_sheets()
    sheets["Site"] = sheets.pop("Sites")
    with pytest.raises(InputError) as caught:
        hubopt.load_scenario(write_book(tmp_path / "t.xlsx", sheets))
    assert "Site: sheet is not one hubopt reads; it is ignored. Did you mean 'Sites'? " \
           "Rename it." in [str(w) for w in caught.value.warnings]
    assert str(caught.value.issues[0]).startswith("Sites: sheet is missing.")


def test_cli_reports_the_cell_and_writes_nothing(tmp_path):
    path = book_with(tmp_path, set_formula("D3", "=A1*2"))
    out = tmp_path / "outputs"
    out.mkdir()
    (out / "in_result.xlsx").write_bytes(b"old")
    before = folder_state(out)
    result = CliRunner().invoke(cli.main, ["solve", str(path), "-o", str(out / "in_result.xlsx")],
                                catch_exceptions=False)
    assert result.exit_code == 3
    assert re.search(r"Sites!D3: latitude: '=A1\*2' is a formula with no saved value",
                     result.stderr)
    assert folder_state(out) == before
