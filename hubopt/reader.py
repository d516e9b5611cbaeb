"""Read an input workbook into raw tables: cell values with their addresses.

This is the only module that opens input workbooks. It matches sheet and
header names to the schema (case-insensitive, a bracketed unit ignored) and
keeps every non-empty row with its Excel row number. It converts nothing:
typing and checking values is :mod:`hubopt.validate`'s job.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from .errors import InputError, Issue, did_you_mean
from .schema import HELPER_SHEETS, SHEETS, SHEETS_BY_NAME

_UNIT_SUFFIX = re.compile(r"\s*[\[(].*[\])]\s*$")


@dataclass
class RawTable:
    """One sheet as found: header positions and the non-empty rows.

    ``columns`` maps a schema column name to its 1-based column index;
    ``rows`` holds ``(excel_row_number, values)`` with ``values`` indexed
    from 0 for column A.
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


def read_workbook(path: str | Path) -> RawWorkbook:
    """Open ``path`` and return its schema sheets as raw tables.

    Raises :class:`InputError` when the file cannot be read as a workbook at all.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError([Issue("error", str(path), "no such file.",
                                "Give the path of an .xlsx input workbook.")])
    if not zipfile.is_zipfile(path):
        raise InputError([Issue("error", path.name, "is not an Excel .xlsx workbook.",
                                "Save it from Excel as 'Excel Workbook (*.xlsx)'.")])
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            tables, issues = _read_sheets(book)  # read-only sheets parse while iterating
        finally:
            book.close()
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged file
        raise InputError([Issue("error", path.name, f"cannot be read as a workbook "
                                f"({type(exc).__name__}: {exc}).",
                                "Open it in Excel and save it again as .xlsx.")]) from exc
    return RawWorkbook(path, file_sha256(path), tables, issues)


def _read_sheets(book) -> tuple[dict[str, RawTable], list[Issue]]:
    by_lower = {sheet.name.lower(): sheet.name for sheet in SHEETS}
    helpers = {name.lower() for name in HELPER_SHEETS}
    tables: dict[str, RawTable] = {}
    issues: list[Issue] = []
    for worksheet in book.worksheets:
        canonical = by_lower.get(worksheet.title.strip().lower())
        if canonical is None:
            if worksheet.title.strip().lower() not in helpers:
                issues.append(Issue("warning", worksheet.title,
                                    "sheet is not one hubopt reads; it is ignored."))
            continue
        tables[canonical] = _read_table(canonical, worksheet, issues)
    return tables, issues


def _read_table(canonical: str, worksheet, issues: list[Issue]) -> RawTable:
    sheet = SHEETS_BY_NAME[canonical]
    table = RawTable(canonical, worksheet.title)
    if hasattr(worksheet, "reset_dimensions"):
        worksheet.reset_dimensions()  # some writers store a wrong sheet size
    rows = worksheet.iter_rows(values_only=True)
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
    for number, values in enumerate(rows, start=2):
        if values and any(_is_filled(v) for v in values):
            table.rows.append((number, values))
    return table


def _is_filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())
