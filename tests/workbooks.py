"""Raw input workbooks for tests: any cell content, including the malformed.

``tiny_sheets()`` is tests/tiny.py's base case as sheet rows; a test edits
one cell and writes it with ``write_book``, so each validation rule is shown
on an otherwise valid workbook.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from openpyxl import Workbook

Rows = list[list[Any]]


def tiny_sheets() -> dict[str, Rows]:
    return copy.deepcopy({
        "Settings": [["key", "value"], ["scenario_name", "tiny"], ["missing_routes", "forbid"],
                     ["mip_gap", 0]],
        "Services": [["service_id", "unit"], ["goods", "units"]],
        "Sites": [["site_id", "name", "country", "latitude", "longitude", "status", "site_cost"],
                  ["A", "Alpha", "POL", 50.0, 22.0, "candidate", 0],
                  ["B", "Bravo", "POL", 50.0, 21.0, "candidate", 0]],
        "HubOptions": [["site_id", "service", "size", "capacity [units/period]", "fixed_cost",
                        "staff"],
                       ["A", "goods", "std", 100, 100, 10],
                       ["B", "goods", "std", 100, 80, 10]],
        "Sectors": [["sector_id", "country", "latitude", "longitude"],
                    ["K", "UKR", 50.0, 36.0], ["L", "UKR", 48.0, 37.0]],
        "Demand": [["sector_id", "service", "quantity", "max_hours"],
                   ["K", "goods", 60, None], ["L", "goods", 40, None]],
        "Routes": [["site_id", "sector_id", "hours", "cost_per_unit", "allowed"],
                   ["A", "K", 2, 1, "yes"], ["A", "L", 2, 1, "yes"],
                   ["B", "K", 2, 3, "yes"], ["B", "L", 2, 3, "yes"]],
    })


def write_book(path: Path, sheets: dict[str, Rows]) -> Path:
    """Write ``sheets`` (name -> rows of cell values) to ``path`` as given; strings
    starting with '=' are stored as text, not formulas."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula, as typed with '

    book.save(path)
    return path


def set_cell(sheets: dict[str, Rows], sheet: str, row: int, column: str, value: Any) -> None:
    """Set the cell of ``column`` (a header name) in Excel row ``row`` (2 = first record)."""
    header = sheets[sheet][0]
    index = next(i for i, h in enumerate(header) if str(h).split(" [")[0] == column)
    while len(sheets[sheet]) < row:
        sheets[sheet].append([None] * len(header))
    sheets[sheet][row - 1][index] = value
