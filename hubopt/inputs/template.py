"""Write input workbooks: the empty template and filled scenarios (SPEC §2, §4).

Every sheet, header, note, drop-down and instruction is generated from
:mod:`hubopt.schema`, so a column added there appears here without a change.
The workbook holds an ``Instructions`` sheet, one sheet per input sheet in
schema order, and a hidden ``Lists`` sheet with the country codes that the
country drop-downs point at (Excel caps an inline list at 255 characters).
Both helper sheets are skipped by the reader.

Cells written from scenario data are typed as the reader expects them back:
yes/no as ``yes``/``no``, numbers as numbers, ids and text always as text, so
that a value such as ``=HYPERLINK(...)`` can never become a live formula.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ..files.printing import WRAP
from ..files.xlsx import save_atomically, set_value
from .instance import SHEET_RECORDS, Scenario
from .schema import (
    HELPER_SHEETS,
    SETTINGS,
    SHEETS,
    SHEETS_BY_NAME,
    Column,
    Setting,
    Sheet,
    load_countries,
)

INSTRUCTIONS, LISTS = HELPER_SHEETS
# Drop-downs and tables cover at least rows 2..MIN_LAST_ROW, or every data row.
MIN_LAST_ROW = 1000
TABLE_STYLE = "TableStyleMedium2"
AUTHOR = "hubopt"

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_HEADING = Font(bold=True, size=12)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")

# Instructions sheet: column titles and widths of the column and settings tables.
_DOC_HEADERS = ("column", "required", "type", "unit", "default", "meaning")
_DOC_WIDTHS = (24, 10, 34, 20, 14, 64)


def write_input_workbook(path: str | Path, scenario: Scenario | None = None) -> None:
    """Write an input workbook to ``path``: empty template, or ``scenario``'s data.

    The parent folder is created when missing, and the file appears atomically:
    it is written next to ``path`` under a temporary name and then moved into place.
    """
    save_atomically(_build_workbook(scenario), path)


def header_text(column: Column) -> str:
    """The header cell text of ``column``: its name, then ``[unit]`` when it has one."""
    return f"{column.name} [{column.unit}]" if column.unit else column.name


def _build_workbook(scenario: Scenario | None) -> Workbook:
    book = Workbook()
    _write_instructions(book.active)
    countries = load_countries()
    rows = {sheet.name: _sheet_rows(sheet, scenario) for sheet in SHEETS}
    last_rows = {name: max(MIN_LAST_ROW, len(data) + 1) for name, data in rows.items()}
    country_source = f"{LISTS}!$A$2:$A${len(countries) + 1}"
    for sheet in SHEETS:
        worksheet = book.create_sheet(sheet.name)
        _write_input_sheet(worksheet, sheet, rows[sheet.name])
        _add_column_validations(worksheet, sheet, last_rows[sheet.name], country_source,
                                last_rows)
    _add_setting_validations(book["Settings"])
    _write_lists(book.create_sheet(LISTS), countries)
    return book


# --- Input sheets -----------------------------------------------------------------


def _sheet_rows(sheet: Sheet, scenario: Scenario | None) -> list[list[Any]]:
    """The data rows of ``sheet``, one value per schema column."""
    if sheet.name == "Settings":
        return [_setting_row(setting, scenario) for setting in SETTINGS]
    if scenario is None:
        return []
    field_name, _ = SHEET_RECORDS[sheet.name]
    return [[getattr(record, column.name) for column in sheet.columns]
            for record in getattr(scenario, field_name)]


def _setting_row(setting: Setting, scenario: Scenario | None) -> list[Any]:
    """``[key, value, description]``; the value is blank (= default) without a scenario."""
    value = getattr(scenario.settings, setting.key) if scenario is not None else None
    return [setting.key, value, _setting_description(setting)]


def _setting_description(setting: Setting) -> str:
    text = setting.description
    if "Default:" not in text:
        text += f" Default: {_shown(setting.default)}."
    if setting.unit:
        text += f" Unit: {setting.unit}."
    return text


def _write_input_sheet(worksheet: Worksheet, sheet: Sheet, rows: list[list[Any]]) -> None:
    """Headers with notes, data rows, frozen header row, an Excel table and widths."""
    headers = [header_text(column) for column in sheet.columns]
    for column_index, (column, header) in enumerate(zip(sheet.columns, headers), start=1):
        cell = worksheet.cell(row=1, column=column_index, value=header)
        cell.font = _BOLD
        note = _column_note(column)
        cell.comment = Comment(note, AUTHOR, height=30 + 16 * note.count("\n"), width=320)
    for row_index, values in enumerate(rows, start=2):
        for column_index, value in enumerate(values, start=1):
            set_value(worksheet.cell(row=row_index, column=column_index), value)
    worksheet.freeze_panes = "A2"
    table = Table(displayName=f"tbl{sheet.name}",
                  ref=f"A1:{get_column_letter(len(headers))}{max(2, len(rows) + 1)}")
    table.tableStyleInfo = TableStyleInfo(name=TABLE_STYLE, showRowStripes=True)
    worksheet.add_table(table)
    _fit_columns(worksheet, headers, rows)


def _column_note(column: Column) -> str:
    """The header note: meaning, type, unit, default and the required mark."""
    lines = [column.description, f"Type: {column.expectation}."]
    if column.unit:
        lines.append(f"Unit: {column.unit}.")
    if column.required:
        lines.append("*required*")
    else:
        lines.append(f"Optional. Default: {_shown(column.default)}.")
    return "\n".join(lines)


def _shown(value: Any) -> str:
    """A default or cell value as the planner reads it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _fit_columns(worksheet: Worksheet, headers: Sequence[str], rows: list[list[Any]]) -> None:
    """Width from the longest header or value (10-60 characters); wrap wider text."""
    for column_index, header in enumerate(headers, start=1):
        values = [row[column_index - 1] for row in rows]
        longest = max([len(header) + 4] + [len(_shown(v)) + 2 for v in values])
        width = min(max(longest, 10), 60)
        worksheet.column_dimensions[get_column_letter(column_index)].width = width
        if longest > width:
            for row_index in range(2, len(rows) + 2):
                worksheet.cell(row=row_index, column=column_index).alignment = WRAP


# --- Drop-downs ---------------------------------------------------------------------


def _list_source(column: Column, country_source: str,
                 last_rows: dict[str, int]) -> str | None:
    """The list formula of ``column``'s drop-down, or None when it gets none."""
    if column.ref is not None:
        sheet_name, column_name = column.ref
        return _column_range(sheet_name, column_name, last_rows[sheet_name])
    if column.kind == "country":
        return country_source
    return _inline_list(column)


def _inline_list(column: Column) -> str | None:
    if column.kind == "yesno":
        return '"yes,no"'
    if column.kind == "choice":
        return '"' + ",".join(column.choices) + '"'
    return None


def _column_range(sheet_name: str, column_name: str, last_row: int) -> str:
    """Absolute range of a schema column's data cells, e.g. ``Services!$A$2:$A$1000``.

    Schema sheet names are plain words, so they need no quotes.
    """
    letter = get_column_letter(SHEETS_BY_NAME[sheet_name].column_names.index(column_name) + 1)
    return f"{sheet_name}!${letter}$2:${letter}${last_row}"


def _add_list_validation(worksheet: Worksheet, source: str, cells: Iterable[str], *,
                         allow_blank: bool, title: str, expected: str) -> None:
    """A drop-down on ``cells`` (ranges) that warns about, but does not block, other values."""
    validation = DataValidation(
        type="list", formula1=source, allow_blank=allow_blank, showErrorMessage=True,
        errorStyle="warning", errorTitle=title,
        error=f"Expected {expected}. hubopt validate checks every value.")
    for cell_range in cells:
        validation.add(cell_range)
    worksheet.add_data_validation(validation)


def _add_column_validations(worksheet: Worksheet, sheet: Sheet, last_row: int,
                            country_source: str, last_rows: dict[str, int]) -> None:
    """Drop-downs on rows 2..``last_row`` of every yes/no, choice, country and id column."""
    for column_index, column in enumerate(sheet.columns, start=1):
        source = _list_source(column, country_source, last_rows)
        if source is None:
            continue
        letter = get_column_letter(column_index)
        expected = (f"a {column.ref[1]} from the {column.ref[0]} sheet" if column.ref
                    else column.expectation)
        _add_list_validation(worksheet, source, [f"{letter}2:{letter}{last_row}"],
                             allow_blank=not column.required, title=column.name,
                             expected=expected)


def _add_setting_validations(worksheet: Worksheet) -> None:
    """Per-cell drop-downs on the Settings value cells of yes/no and choice settings."""
    letter = get_column_letter(SHEETS_BY_NAME["Settings"].column_names.index("value") + 1)
    cells_by_source: dict[str, list[str]] = defaultdict(list)
    expected_by_source: dict[str, str] = {}
    for row_index, setting in enumerate(SETTINGS, start=2):
        column = setting.as_column()
        source = _inline_list(column)
        if source is not None:
            cells_by_source[source].append(f"{letter}{row_index}")
            expected_by_source[source] = column.expectation
    for source, cells in cells_by_source.items():
        _add_list_validation(worksheet, source, cells, allow_blank=True,
                             title="Settings value", expected=expected_by_source[source])


def _write_lists(worksheet: Worksheet, countries: dict[str, str]) -> None:
    """The hidden sheet of country codes (A) and names (B) behind the drop-downs."""
    worksheet.append(["country", "name"])
    for code, name in countries.items():
        worksheet.append([code, name])
    worksheet.sheet_state = "hidden"


# --- Instructions -----------------------------------------------------------------


def _write_instructions(worksheet: Worksheet) -> None:
    """What the workbook is, the workflow, every sheet's columns and every setting."""
    worksheet.title = INSTRUCTIONS
    for index, width in enumerate(_DOC_WIDTHS, start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = width
    writer = _DocWriter(worksheet)
    writer.line("hubopt input workbook", _TITLE)
    writer.paragraph(
        "This workbook describes one hub-planning scenario for hubopt: the services hubs "
        "provide, candidate hub sites and the modules each can host, the sectors that need "
        "supplies and how much, and optionally measured routes, per-country bounds and the "
        "coalition members who staff and fund hubs. Each sheet is a table: row 1 holds the "
        "headers, every later row is one record.")
    writer.line("Workflow", _HEADING)
    required = ", ".join(sheet.name for sheet in SHEETS if sheet.required)
    for step in (
        f"1. Fill the sheets. Required: {required}. Leave optional sheets empty if unused.",
        ("2. Run  hubopt validate FILE  and fix every error it lists; each names the sheet, "
         "cell, value found and what was expected."),
        "3. Run  hubopt solve FILE  to write the plan to outputs/<file name>_result.xlsx.",
    ):
        writer.paragraph(step)
    writer.line("Rules", _HEADING)
    for rule in (
        "Keep the header texts; a unit in brackets after a column name is ignored.",
        ("Blank optional cells take the default shown below. yes/no cells also accept "
         "y/n, true/false and 1/0. Type identifiers as text."),
        "Drop-downs are a convenience: they warn about, but do not block, other values.",
        "Header notes repeat each column's meaning, type, unit and default.",
        f"The {INSTRUCTIONS} sheet and the hidden {LISTS} sheet are ignored by hubopt.",
    ):
        writer.paragraph(rule)
    for sheet in SHEETS:
        _document_sheet(writer, sheet)
    _document_settings(writer)


def _document_sheet(writer: _DocWriter, sheet: Sheet) -> None:
    if sheet.required:
        need = "required"
    elif sheet.required_with:
        need = f"optional; required when {sheet.required_with} has rows"
    else:
        need = "optional"
    writer.blank()
    writer.line(f"{sheet.name} ({need})", _HEADING)
    writer.paragraph(sheet.description)
    writer.table(_DOC_HEADERS, [
        (column.name, "yes" if column.required else "no", column.expectation, column.unit or None,
         None if column.required else _shown(column.default), column.description)
        for column in sheet.columns])


def _document_settings(writer: _DocWriter) -> None:
    writer.blank()
    writer.line("Settings keys", _HEADING)
    writer.paragraph("Give each as a key/value row on the Settings sheet; a blank or missing "
                     "key takes its default.")
    writer.table(("key", *_DOC_HEADERS[1:]), [
        (s.key, "no", s.as_column().expectation, s.unit or None, _shown(s.default),
         s.description)
        for s in SETTINGS])


class _DocWriter:
    """Appends headings, wrapped paragraphs and small tables to the Instructions sheet."""

    def __init__(self, worksheet: Worksheet):
        self.worksheet = worksheet
        self.row = 1

    def line(self, text: str, font: Font | None = None) -> None:
        cell = self.worksheet.cell(row=self.row, column=1, value=text)
        if font is not None:
            cell.font = font
        self.row += 1

    def blank(self) -> None:
        self.row += 1

    def paragraph(self, text: str) -> None:
        """Text over the full width of the documentation columns, wrapped."""
        last = len(_DOC_WIDTHS)
        self.worksheet.merge_cells(start_row=self.row, start_column=1,
                                   end_row=self.row, end_column=last)
        cell = self.worksheet.cell(row=self.row, column=1, value=text)
        cell.alignment = WRAP
        # Excel does not grow merged rows to fit, so size the row from the text.
        lines = math.ceil(len(text) / sum(_DOC_WIDTHS))
        self.worksheet.row_dimensions[self.row].height = 15 * max(lines, 1)
        self.row += 1

    def table(self, headers: Sequence[str], rows: Iterable[Sequence[str | None]]) -> None:
        """A bold, shaded header row, then one wrapped row per entry."""
        for column_index, header in enumerate(headers, start=1):
            cell = self.worksheet.cell(row=self.row, column=column_index, value=header)
            cell.font = _BOLD
            cell.fill = _HEADER_FILL
        self.row += 1
        for values in rows:
            for column_index, value in enumerate(values, start=1):
                cell = self.worksheet.cell(row=self.row, column=column_index)
                set_value(cell, value)
                cell.alignment = WRAP
            self.row += 1


# --- Saving -------------------------------------------------------------------------
