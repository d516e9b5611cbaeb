"""Excel writing shared by the input template and the result workbook.

Two promises live here so that every workbook hubopt writes keeps them:

- a cell written from data is never a live formula: text is stored as text
  (and gets Excel's quote prefix when it starts like a formula, so editing it
  in Excel keeps it text), control characters Excel cannot hold are removed,
  and text is cut at Excel's 32,767-character cell limit (SPEC §5);
- a workbook appears at its final path complete or not at all: it is saved
  under a temporary name in the same folder and renamed into place.
"""

from __future__ import annotations

import math
import os
import uuid
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

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


def save_atomically(book: Workbook, path: str | Path) -> Path:
    """Save ``book`` to ``path`` via a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        book.save(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
