"""Read a result workbook back: the one reader behind ``--previous``, ``compare`` and ``map``.

What a result workbook holds is described once, in :data:`RESULT_SHEETS`, as
:mod:`hubopt.inputs.schema` describes the input: each sheet this reader knows,
its columns and their kinds (``id``, ``text``, ``number``, ``yesno``). The
columns are those the writer writes (:data:`hubopt.outputs.results.TABLE_COLUMNS`
and the Locations sheet), headers matched like input headers (case, spaces and
a bracketed unit ignored), cells parsed like input cells
(:func:`hubopt.inputs.cells.parse`).

A caller names the sheets it ``needs`` (absent, or a column missing: an error)
and those it can use when present (``wants``: a sheet without its columns is
treated as absent). Every problem is an :class:`InputError` naming the file,
sheet and cell, raised before anything is used: re-optimising against a plan
that was misread would price the wrong changes. The file passes the input guard
(size caps, zip bombs, non-xlsx) before any parser sees it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ..errors import InputError, Issue
from ..inputs.cells import CellProblem, is_blank, parse, show
from ..inputs.guard import check_input_file
from ..inputs.reader import file_sha256, normalise_header
from ..inputs.schema import Column


def _id(name: str) -> Column:
    return Column(name, "id", True)


def _text(name: str) -> Column:
    return Column(name, "text")


def _number(name: str) -> Column:
    return Column(name, "number")


def _yes(name: str) -> Column:
    return Column(name, "yesno", default=False)


@dataclass(frozen=True)
class ResultSheet:
    """A sheet of the result workbook: its title and columns (``key_value``: a
    Summary-style sheet of key and value rows, read as a dict)."""

    title: str
    columns: tuple[Column, ...] = ()
    key_value: bool = False


RESULT_SHEETS: dict[str, ResultSheet] = {sheet.title: sheet for sheet in (
    ResultSheet("Summary", key_value=True),
    ResultSheet("Hubs", (_id("site_id"), _text("name"), _text("country"), _id("service"),
                         _id("size"), _number("capacity"), _number("used"),
                         _number("utilisation"), _number("fixed_cost"), _number("staff"))),
    ResultSheet("Flows", (_id("site_id"), _id("sector_id"), _id("service"),
                          _number("quantity"), _number("hours"), _number("cost_per_unit"))),
    ResultSheet("Sectors", (_id("sector_id"), _text("name"), _id("service"),
                            _number("quantity"), _number("served"), _number("avg_hours"),
                            _number("max_hours"), _number("max_hours_limit"),
                            _number("shortfall"))),
    ResultSheet("Locations", (Column("kind", "text", True), _id("id"), _text("name"),
                              _text("country"), _number("latitude"), _number("longitude"),
                              _number("threat"), _text("status"), _yes("usable"),
                              _yes("open"))),
)}
# columns a row of each table sheet needs filled in (the rest may be blank)
NOT_FEASIBLE_MARK = "NOT FEASIBLE"   # how the writer's banner over a relaxed plan begins
_FILLED = {"Hubs": ("site_id", "service", "size"), "Flows": ("site_id", "sector_id", "service"),
           "Sectors": ("sector_id", "service"), "Locations": ("kind", "id")}


@dataclass(frozen=True)
class ResultBook:
    """What was read: the file's name and SHA-256, the Summary (key → value, {} when
    not read) and a typed table per sheet read (absent sheets: no entry)."""

    file: str
    sha256: str
    summary: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def table(self, title: str) -> pd.DataFrame:
        """The sheet's table, or an empty one with its columns when it was not there."""
        if title in self.tables:
            return self.tables[title]
        return pd.DataFrame(columns=[c.name for c in RESULT_SHEETS[title].columns])


def read_result_book(path: str | Path, *, needs: Iterable[str], wants: Iterable[str] = (),
                     what: str = "", fix: str = "Give the result workbook of an earlier "
                     "solve.") -> ResultBook:
    """The sheets ``needs`` and ``wants`` of the result workbook at ``path``.

    ``what`` prefixes the file in messages about the file itself (``--previous``);
    ``fix`` is the advice when the file is not a usable result workbook."""
    path = Path(path)
    name = path.name
    where = f"{what} {path}".strip() if what else name
    if not path.is_file():
        raise InputError([Issue("error", where, "no such file.", fix)])
    check_input_file(path)  # size caps, zip bombs, non-xlsx: before any parser
    needs, wants = list(needs), list(wants)
    issues: list[Issue] = []
    raw: dict[str, list[tuple[Any, ...]]] = {}
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheets = {ws.title.strip().lower(): ws for ws in book.worksheets}
            for title in needs + wants:
                sheet = sheets.get(title.lower())
                if sheet is not None:
                    raw[title] = list(sheet.iter_rows(values_only=True))
                elif title in needs:
                    issues.append(Issue("error", name, f"has no '{title}' sheet, so it is not "
                                        "a hubopt result workbook.", fix))
        finally:
            book.close()
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged file
        raise InputError([Issue("error", where, f"cannot be read as a workbook "
                                f"({type(exc).__name__}: {exc}).", fix)]) from exc
    summary: dict[str, Any] = {}
    tables: dict[str, pd.DataFrame] = {}
    for title, rows in raw.items():
        sheet = RESULT_SHEETS[title]
        if sheet.key_value:
            summary = _key_values(rows, name, title, issues, fix)
        else:
            frame = _table(rows, sheet, name, issues, strict=title in needs)
            if frame is not None:
                tables[title] = frame
    if issues:
        raise InputError(issues)
    return ResultBook(name, file_sha256(path), summary, tables)


def _key_values(rows, file: str, title: str, issues: list[Issue], fix: str) -> dict[str, Any]:
    header = [normalise_header(v) for v in (rows[0] if rows else ())]
    if header[:2] != ["key", "value"]:
        issues.append(Issue("error", f"{file}: {title}!A1:B1",
                            f"expected the headers key, value; found {header[:2]}.", fix))
        return {}
    return {str(row[0]).strip(): row[1] for row in rows[1:]
            if row and not is_blank(row[0])}


def _table(rows, sheet: ResultSheet, file: str, issues: list[Issue], strict: bool
           ) -> pd.DataFrame | None:
    """The typed rows of a table sheet; None when a column is missing and the sheet
    is only wanted. The NOT FEASIBLE banner of a relaxed plan's sheet (row 1, the
    table below it) is skipped."""
    first_row = 1
    if rows and rows[0] and isinstance(rows[0][0], str) \
            and rows[0][0].startswith(NOT_FEASIBLE_MARK):
        rows, first_row = rows[1:], 2
    header = rows[0] if rows else ()
    position: dict[str, int] = {}
    for index, text in enumerate(header):
        position.setdefault(normalise_header(text), index)
    filled = _FILLED[sheet.title]
    missing = [c for c in filled if c not in position]
    if missing:
        if strict:
            issues.append(Issue("error", f"{file}: {sheet.title}!{first_row}:{first_row}",
                                f"missing column(s) {', '.join(missing)}.",
                                "Give the result workbook of an earlier solve, unedited "
                                "headers."))
        return None
    records = []
    for number, values in enumerate(rows[1:], start=first_row + 1):
        if not values or all(is_blank(v) for v in values):
            continue
        record = {}
        for column in sheet.columns:
            if column.name not in position:
                record[column.name] = column.default
                continue
            index = position[column.name]
            value = values[index] if index < len(values) else None
            cell = f"{file}: {sheet.title}!{get_column_letter(index + 1)}{number}"
            if is_blank(value) and column.name in filled:
                issues.append(Issue("error", cell, f"{column.name} is blank.",
                                    "Every row of a result sheet names what it is about."))
                record[column.name] = None
                continue
            try:
                record[column.name] = parse(column, value)
            except CellProblem as problem:
                issues.append(Issue("error", cell, f"{column.name}: {show(value)} {problem}.",
                                    "Give the result workbook of an earlier solve, unedited."))
                record[column.name] = None
        records.append(record)
    return pd.DataFrame(records, columns=[c.name for c in sheet.columns])
