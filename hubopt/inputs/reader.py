"""Read an input workbook into raw tables: cell values with their addresses.

This is the only module that opens input workbooks. It matches sheet and
header names to the schema (case-insensitive, a bracketed unit ignored) and
keeps every non-empty row with its Excel row number. It converts nothing:
typing and checking values is :mod:`hubopt.validate`'s job.

Before anything parses the file, :mod:`hubopt.guard` refuses files that are
too large, zip bombs, and what is not a plain .xlsx. Cell values are read by
calamine (Rust, about 25× faster than openpyxl on a 100,000-row Routes sheet)
unless a sheet's XML mentions a formula, a merged range or an error value:
calamine cannot tell those apart from plain values or blanks, so such sheets
(rare, and usually small) are parsed by openpyxl instead. Cell values are what
Excel saved; two kinds that a data-only read would blur reach the tables as
objects instead: :class:`ExcelError` (``#DIV/0!``, not the text "#DIV/0!")
and :class:`Formula` (a formula Excel never calculated, not a blank cell).
Merged ranges over a column hubopt reads are errors; hidden sheets are read
with a warning; formulas with saved values are read with one warning a sheet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet._read_only import ReadOnlyWorksheet
from python_calamine import CalamineWorkbook

from ..errors import InputError, Issue, closest, did_you_mean
from .guard import Limits, check_input_file
from .schema import HELPER_SHEETS, SHEETS, SHEETS_BY_NAME

_UNIT_SUFFIX = re.compile(r"\s*[\[(].*[\])]\s*$")


@dataclass(frozen=True)
class ExcelError:
    """A cell holding an Excel error value, e.g. ``#DIV/0!`` or ``#N/A``."""

    code: str

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True)
class Formula:
    """A formula cell. ``saved`` tells whether Excel stored its calculated value;
    a formula without one reaches the tables as this object, not as blank."""

    text: str
    saved: bool = False

    def __str__(self) -> str:
        return self.text


@dataclass
class RawTable:
    """One sheet as found: header positions and the non-empty rows.

    ``columns`` maps a schema column name to its 1-based column index;
    ``rows`` holds ``(excel_row_number, values)`` with ``values`` indexed
    from 0 for column A (a row may stop early or run on with None: read
    values through :meth:`value`).
    """

    sheet: str
    title: str
    columns: dict[str, int] = field(default_factory=dict)
    rows: list[tuple[int, tuple[Any, ...]]] = field(default_factory=list)

    def cell(self, column: str, row: int) -> str:
        """The Excel address of ``column`` in ``row``, e.g. ``Sites!E7``."""
        return f"{self.title}!{get_column_letter(self.columns[column])}{row}"

    def value(self, values: tuple[Any, ...], column: str) -> Any:
        index = self.columns.get(column)
        if index is None or index > len(values):
            return None
        return values[index - 1]


@dataclass
class RawWorkbook:
    """Every schema sheet found, the issues met while reading, and the file's hash."""

    path: Path
    sha256: str
    tables: dict[str, RawTable]
    issues: list[Issue]


def normalise_header(text: Any) -> str:
    """``' Capacity [units/week] '`` → ``'capacity'``; ``'Max staff'`` → ``'max_staff'``."""
    if text is None:
        return ""
    name = _UNIT_SUFFIX.sub("", str(text).strip())
    return re.sub(r"\s+", "_", name.strip()).lower()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_workbook(path: str | Path, limits: Limits | None = None) -> RawWorkbook:
    """Open ``path`` and return its schema sheets as raw tables.

    The file passes :func:`hubopt.guard.check_input_file` (size, zip caps, file
    type) within ``limits`` before openpyxl parses it. Raises
    :class:`InputError` when the file cannot be read as a workbook at all.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError([Issue("error", str(path), "no such file.",
                                "Give the path of an .xlsx input workbook.")])
    file_warnings = check_input_file(path, limits)
    try:
        # read-only: opening parses the workbook part only; sheets parse while iterating
        book = _open_workbook(path)
        values = _CalamineValues(path)
        try:
            tables, issues = _read_sheets(book, values)
        finally:
            book.close()
            values.close()
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged file
        raise InputError([Issue("error", path.name, f"cannot be read as a workbook "
                                f"({type(exc).__name__}: {exc}).",
                                "Open it in Excel and save it again as .xlsx.")]) from exc
    return RawWorkbook(path, file_sha256(path), tables, file_warnings + issues)


class _LazySheet(ReadOnlyWorksheet):
    """openpyxl's read-only sheet, minus the scan for the sheet's size at opening.

    openpyxl looks for the <dimension> element when it opens a sheet; a file that
    has none (e.g. written by openpyxl's write-only mode) is parsed in full for it,
    which on a 100,000-row sheet costs more than reading its values. The readers
    here call ``reset_dimensions()`` and read to the end anyway.
    """

    def _get_size(self) -> None:
        pass


class _WorkbookReader(ExcelReader):
    """openpyxl's reader, opening worksheets as :class:`_LazySheet` (charts skipped)."""

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                continue
            worksheet = _LazySheet(self.wb, sheet.name, rel.target, self.shared_strings)
            worksheet.sheet_state = sheet.state
            self.wb._sheets.append(worksheet)


def _open_workbook(path: Path):
    """The workbook read-only and data-only (as ``load_workbook``), sheets unparsed."""
    reader = _WorkbookReader(path, read_only=True, data_only=True, keep_links=False)
    reader.read()
    return reader.wb


def _read_sheets(book, values: _CalamineValues) -> tuple[dict[str, RawTable], list[Issue]]:
    by_lower = {sheet.name.lower(): sheet.name for sheet in SHEETS}
    helpers = {name.lower() for name in HELPER_SHEETS}
    tables: dict[str, RawTable] = {}
    issues: list[Issue] = []
    for worksheet in book.worksheets:
        title = worksheet.title.strip().lower()
        canonical = by_lower.get(title)
        if canonical is None:
            if title not in helpers:
                match = closest(title, by_lower)
                hint = f"Did you mean '{by_lower[match]}'? Rename it." if match else ""
                issues.append(Issue("warning", worksheet.title,
                                    "sheet is not one hubopt reads; it is ignored.", hint))
            continue
        if getattr(worksheet, "sheet_state", "visible") != "visible":
            issues.append(Issue("warning", worksheet.title,
                                "sheet is hidden in Excel; it is read all the same.",
                                "Unhide it (right-click a sheet tab > Unhide) to check what "
                                "it holds."))
        tables[canonical] = _read_table(canonical, worksheet, values, issues)
    return tables, issues


def _read_table(canonical: str, worksheet, values: _CalamineValues,
                issues: list[Issue]) -> RawTable:
    sheet = SHEETS_BY_NAME[canonical]
    table = RawTable(canonical, worksheet.title)
    if hasattr(worksheet, "reset_dimensions"):
        worksheet.reset_dimensions()  # some writers store a wrong sheet size
    formulas, merged = {}, []
    rows = None if _needs_openpyxl(worksheet) else values.rows(worksheet.title)
    if rows is None:
        formulas, merged = _formulas_and_merges(worksheet)
        rows = (tuple(_raw_value(cell, number, index, formulas)
                      for index, cell in enumerate(cells, start=1))
                for number, cells in enumerate(worksheet.iter_rows(), start=1))
    header = next(rows, None) or ()
    known = set(sheet.column_names)
    for index, text in enumerate(header, start=1):
        name = normalise_header(text)
        if not name:
            continue
        letter = get_column_letter(index)
        if name not in known:
            issues.append(Issue("warning", f"{worksheet.title}!{letter}1",
                                f"unknown column '{text}' is ignored.",
                                did_you_mean(name, known)))
        elif name in table.columns:
            first = get_column_letter(table.columns[name])
            issues.append(Issue("error", f"{worksheet.title}!{letter}1",
                                f"column '{name}' appears twice (also in column {first}).",
                                "Delete or rename one of them."))
        else:
            table.columns[name] = index
    for number, cells in enumerate(rows, start=2):
        if cells and any(_is_filled(v) for v in cells):
            table.rows.append((number, cells))
    _check_merged(table, merged, issues)
    _note_formulas(table, formulas, issues)
    return table


def _raw_value(cell, row: int, column: int, formulas: dict[tuple[int, int], Formula]) -> Any:
    """The cell's value; an Excel error as :class:`ExcelError`, a formula without a
    saved value as :class:`Formula` (openpyxl reads it as blank)."""
    value = cell.value
    if getattr(cell, "data_type", None) == "e" and value is not None:
        return ExcelError(str(value))
    if value is None:
        formula = formulas.get((row, column))
        if formula is not None and not formula.saved:
            return formula
    return value


def _is_filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


# -- plain sheets: values by calamine ------------------------------------------------

class _CalamineValues:
    """Cell values of plain sheets (no formula, merge or error value) by calamine.

    Rows come as tuples from column A, numbered from row 1, with openpyxl's
    types: blank → None (calamine gives ''), whole numbers → int, a date cell →
    datetime (calamine gives a date when the time is 00:00). The workbook opens
    on first use only. Where calamine cannot read a file or sheet that openpyxl
    opened, :meth:`rows` gives None and the sheet is read by openpyxl.
    """

    def __init__(self, path: Path):
        self.path = path
        self._book: CalamineWorkbook | None = None
        self._failed = False

    def rows(self, title: str):
        if self._failed:
            return None
        try:
            if self._book is None:
                self._book = CalamineWorkbook.from_path(str(self.path))
            data = self._book.get_sheet_by_name(title).to_python(skip_empty_area=False)
        except Exception:  # noqa: BLE001 - calamine is stricter than openpyxl on some files
            self._failed = True
            return None
        return (tuple(_typed(v) for v in row) for row in data)

    def close(self) -> None:
        if self._book is not None:
            self._book.close()


def _typed(value: Any) -> Any:
    """A calamine value as openpyxl gives it (see :class:`_CalamineValues`)."""
    kind = type(value)
    if kind is str:
        return value if value else None
    if kind is float:
        return int(value) if value.is_integer() and abs(value) < 2 ** 53 else value
    if kind is dt.date:
        return dt.datetime(value.year, value.month, value.day)
    return value


# -- formulas, merged cells and error values: openpyxl, only at sheets that have any --

_MARKERS = re.compile(rb"<(?:\w+:)?(?:f|mergeCell)[\s>/]")
_OPENPYXL_MARKERS = re.compile(
    rb"<(?:\w+:)?(?:f|mergeCell)[\s>/]|\st=[\"']e[\"']|<!DOCTYPE")


def _needs_openpyxl(worksheet) -> bool:
    """Whether the sheet's XML has a formula, a merged range or an error cell
    (``t="e"``), which calamine reads as plain values or blanks, or a DTD:
    openpyxl parses through defusedxml, which refuses entity tricks by name."""
    return _scan(worksheet, _OPENPYXL_MARKERS)


def _formulas_and_merges(worksheet) -> tuple[dict[tuple[int, int], Formula], list[str]]:
    """Formula cells by (row, column) and merged ranges of ``worksheet``.

    A data-only read keeps a formula's saved value but loses the formula, and
    reads a formula that was never calculated as blank; a read-only sheet has no
    merged ranges. So sheets whose XML mentions a formula or a merge are parsed
    once more, formulas kept. Others (most) cost one byte scan.
    """
    if not _mentions_formulas_or_merges(worksheet):
        return {}, []
    from openpyxl.worksheet._reader import VALUE_TAG, WorkSheetParser

    class FormulaParser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            # Excel saves a result as <v>2</v>, an empty-text result as t="str" and <v/>;
            # a formula never calculated (e.g. written by a script) has no or an empty <v>
            saved = element.find(VALUE_TAG)
            cell["saved"] = saved is not None and (bool(saved.text) or element.get("t") == "str")
            return cell

    book = worksheet.parent
    formulas: dict[tuple[int, int], Formula] = {}
    with worksheet._get_source() as source:
        parser = FormulaParser(source, worksheet._shared_strings, data_only=False,
                               epoch=book.epoch, date_formats=book._date_formats,
                               timedelta_formats=book._timedelta_formats)
        for _, row in parser.parse():
            for cell in row:
                if cell["data_type"] == "f":
                    text = getattr(cell["value"], "text", cell["value"]) or "="
                    formulas[(cell["row"], cell["column"])] = Formula(str(text), cell["saved"])
        merged = [str(r) for r in parser.merged_cells.mergeCell] if parser.merged_cells else []
    return formulas, merged


def _mentions_formulas_or_merges(worksheet) -> bool:
    return _scan(worksheet, _MARKERS)


def _scan(worksheet, pattern: re.Pattern) -> bool:
    member = getattr(worksheet, "_worksheet_path", None)
    if member is None:
        return True
    tail = b""
    with worksheet.parent._archive.open(member) as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            if pattern.search(tail + block):
                return True
            tail = block[-32:]
    return False


def _check_merged(table: RawTable, merged: list[str], issues: list[Issue]) -> None:
    """A merged range holds its value in the first cell only, so the other cells
    would read as blank: an error wherever it touches a column hubopt reads."""
    used = set(table.columns.values())
    for ref in merged:
        first_col, _, last_col, _ = range_boundaries(ref)
        if used & set(range(first_col, last_col + 1)):
            issues.append(Issue("error", f"{table.title}!{ref}",
                                "cells are merged; only the first one holds a value and the "
                                "others would read as blank.",
                                "Unmerge them (Home > Merge & Center) and fill every cell."))


def _note_formulas(table: RawTable, formulas: dict[tuple[int, int], Formula],
                   issues: list[Issue]) -> None:
    """One warning per sheet for formulas whose saved values are used."""
    used = set(table.columns.values())
    saved = sorted((row, column) for (row, column), f in formulas.items()
                   if f.saved and column in used)
    if saved:
        row, column = saved[0]
        issues.append(Issue("warning", table.title,
                            f"{len(saved)} cell(s) hold formulas, e.g. "
                            f"{table.title}!{get_column_letter(column)}{row} "
                            f"'{formulas[saved[0]].text[:60]}'; the values Excel last "
                            "calculated are used.",
                            "Recalculate and save in Excel if their inputs changed."))
