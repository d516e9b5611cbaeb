"""Read the plan of an earlier result workbook: the previous plan P of SPEC §3.3.

A result workbook (written by :mod:`hubopt.writer`) lists its open modules
on the ``Hubs`` sheet, one row per module with ``site_id``, ``service`` and
``size`` (and ``capacity [units/period]``); its ``Flows`` sheet says which
sites serve each demand row; its ``Summary`` sheet carries ``objective``,
``total_cost`` and ``avg_hours``. Headers are matched like input headers
(case, spaces and a bracketed unit ignored).

Only ``Hubs`` is required. A malformed previous workbook is an input error
naming the file, sheet and cell (exit 3 in the CLI): re-optimising against a
plan that was misread would price the wrong changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from ..errors import InputError, Issue
from ..inputs.cells import CellProblem, is_blank, parse, show
from ..inputs.guard import check_input_file
from ..inputs.reader import file_sha256, normalise_header
from ..inputs.schema import Column
from ..model.network import ModuleKey

_ID = {name: Column(name, "id", True) for name in ("site_id", "service", "size", "sector_id")}
_NUMBER = Column("number", "number")
_HUB_COLUMNS = ("site_id", "service", "size")
_SUMMARY_FIGURES = ("objective", "total_cost", "avg_hours", "max_hours")


@dataclass
class PreviousPlan:
    """An earlier plan: its open modules (with capacities when known), which
    sites served each demand row, and its headline figures."""

    modules: dict[ModuleKey, float | None]
    served_from: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    summary: dict[str, float] = field(default_factory=dict)
    source: str = ""
    sha256: str | None = None

    @classmethod
    def of_modules(cls, modules) -> PreviousPlan:
        """A previous plan known only by its open modules (site_id, service, size)."""
        return cls({tuple(m): None for m in modules})

    @property
    def keys(self) -> list[ModuleKey]:
        return sorted(self.modules)


def read_previous_plan(path: str | Path) -> PreviousPlan:
    """Read the previous plan from the result workbook at ``path``.

    Raises :class:`InputError` naming the file, sheet and cell of every problem.
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise InputError([Issue("error", f"--previous {path}", "no such file.",
                                "Give the result workbook of an earlier solve.")])
    check_input_file(path)  # size caps, zip bombs, non-xlsx: before any parser (guard.py)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheets = {ws.title.strip().lower(): ws for ws in book.worksheets}
            issues: list[Issue] = []
            hubs = _rows(sheets.get("hubs"), name, "Hubs", issues)
            flows = _rows(sheets.get("flows"), name, "Flows", issues, required=False)
            summary = _rows(sheets.get("summary"), name, "Summary", issues, required=False)
        finally:
            book.close()
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types for a damaged file
        raise InputError([Issue("error", f"--previous {name}",
                                f"cannot be read as a workbook ({type(exc).__name__}: {exc}).",
                                "Give the result workbook of an earlier solve.")]) from exc
    modules = _modules(hubs, name, issues)
    served = _served_from(flows, name, issues)
    figures = _figures(summary)
    if issues:
        raise InputError(issues)
    return PreviousPlan(modules, served, figures, name, file_sha256(path))


_Table = tuple[dict[str, int], list[tuple[int, tuple[Any, ...]]], str] | None


def _rows(sheet, file: str, title: str, issues: list[Issue], required: bool = True) -> _Table:
    """Header positions (name → 1-based column) and non-empty rows of ``sheet``."""
    if sheet is None:
        if required:
            issues.append(Issue("error", f"{file}", f"has no '{title}' sheet, so it is not a "
                                "hubopt result workbook.",
                                "Give the result workbook of an earlier solve."))
        return None
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    columns: dict[str, int] = {}
    for index, text in enumerate(header, start=1):
        columns.setdefault(normalise_header(text), index)
    records = [(number, values) for number, values in enumerate(rows, start=2)
               if values and any(not is_blank(v) for v in values)]
    return columns, records, sheet.title


def _modules(table: _Table, file: str, issues: list[Issue]) -> dict[ModuleKey, float | None]:
    if table is None:
        return {}
    columns, records, title = table
    missing = [c for c in _HUB_COLUMNS if c not in columns]
    if missing:
        issues.append(Issue("error", f"{file}: {title}!1:1",
                            f"missing column(s) {', '.join(missing)}.",
                            "Give the result workbook of an earlier solve, unedited headers."))
        return {}
    modules: dict[ModuleKey, float | None] = {}
    for number, values in records:
        key = tuple(_cell(values, columns, c, _ID[c], file, title, number, issues)
                    for c in _HUB_COLUMNS)
        capacity = (_cell(values, columns, "capacity", _NUMBER, file, title, number, issues)
                    if "capacity" in columns else None)
        if None in key:
            continue
        if key in modules:
            issues.append(Issue("error", f"{file}: {title} row {number}",
                                f"module {'/'.join(key)} is listed twice.",
                                "Delete the duplicate row."))
        modules[key] = capacity
    return modules


def _served_from(table: _Table, file: str, issues: list[Issue]
                 ) -> dict[tuple[str, str], tuple[str, ...]]:
    if table is None:
        return {}
    columns, records, title = table
    if any(c not in columns for c in ("site_id", "sector_id", "service")):
        return {}
    served: dict[tuple[str, str], set[str]] = {}
    for number, values in records:
        site, sector, service = (
            _cell(values, columns, c, _ID.get(c, _ID["service"]), file, title, number, issues)
            for c in ("site_id", "sector_id", "service"))
        if None not in (site, sector, service):
            served.setdefault((sector, service), set()).add(site)
    return {key: tuple(sorted(sites)) for key, sites in served.items()}


def _figures(table: _Table) -> dict[str, float]:
    if table is None or "key" not in table[0] or "value" not in table[0]:
        return {}
    columns, records, _ = table
    figures = {}
    for _, values in records:
        key = _value(values, columns["key"])
        value = _value(values, columns["value"])
        if key in _SUMMARY_FIGURES and isinstance(value, (int, float)) \
                and not isinstance(value, bool):
            figures[key] = float(value)
    return figures


def _value(values: tuple[Any, ...], index: int) -> Any:
    return values[index - 1] if index <= len(values) else None


def _cell(values, columns, name, column: Column, file, title, number, issues) -> Any:
    raw = _value(values, columns[name])
    where = f"{file}: {title}!{get_column_letter(columns[name])}{number}"
    if is_blank(raw):
        if column.required:
            issues.append(Issue("error", where, f"{name} is blank.",
                                "Every row of a result sheet names its module."))
        return None
    try:
        return parse(column, raw)
    except CellProblem as problem:
        issues.append(Issue("error", where, f"{name}: {show(raw)} {problem}.",
                            "Give the result workbook of an earlier solve, unedited."))
        return None
