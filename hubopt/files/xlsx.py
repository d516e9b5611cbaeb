"""Excel writing shared by the input template and the result workbook.

Two promises live here so that every workbook hubopt writes keeps them:

- a cell written from data is never a live formula: text is stored as text
  (and gets Excel's quote prefix when it starts like a formula, so editing it
  in Excel keeps it text), control characters Excel cannot hold are removed,
  and text is cut at Excel's 32,767-character cell limit (SPEC §5);
- a workbook appears at its final path complete or not at all: it is saved
  under a temporary name in the same folder and renamed into place. When that
  fails (the file is open in Excel, the folder is read-only, the path is a
  folder), :class:`~hubopt.errors.OutputError` says so and the folder is left
  as it was: the temporary file and any folder made for the output are removed.
  Only a process killed in the middle of a save can leave a hidden
  ``.NAME.XXXXXXXX.tmp`` behind; the previous file under the final name stays
  intact.

For CSV, :func:`csv_text` applies the same rule to one field (a leading
quote keeps a spreadsheet from running it as a formula, as OWASP advises).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .atomic import write_files_atomically
from .printing import print_ready

EXCEL_CELL_LIMIT = 32_767
FORMULA_STARTS = ("=", "+", "-", "@")


def set_value(cell, value: Any, number_format: str | None = None) -> None:
    """Store ``value`` in ``cell``: None and NaN leave it blank, a bool becomes
    ``yes``/``no``, numbers stay numbers (with ``number_format``), text stays text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, bool):
        value = "yes" if value else "no"
    if isinstance(value, str):
        cell.value = safe_text(value)
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
        return
    cell.value = value
    if number_format and isinstance(value, (int, float)):
        cell.number_format = number_format


def safe_text(text: str) -> str:
    """Text Excel can hold: no illegal control characters, at most 32,767 characters."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text if len(text) <= EXCEL_CELL_LIMIT else text[:EXCEL_CELL_LIMIT - 1] + "…"


def csv_text(value: Any) -> Any:
    """``value`` for a CSV field: text that a spreadsheet would read as a formula
    (starting with ``= + - @``, tab or carriage return) gets a leading ``'``;
    numbers and other values pass unchanged."""
    if isinstance(value, str) and value.startswith((*FORMULA_STARTS, "\t", "\r")):
        return "'" + value
    return value


def save_atomically(book: Workbook, path: str | Path) -> Path:
    """Save ``book`` to ``path`` via a temporary file in the same folder and a rename,
    made ready to print first (:func:`hubopt.files.printing.print_ready`).

    Raises OutputError when the file cannot be written; the folder is then as before.
    """
    print_ready(book)
    return write_files_atomically([(Path(path), book.save)])[0]
