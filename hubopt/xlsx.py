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

import contextlib
import math
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .errors import OutputError

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
    """Save ``book`` to ``path`` via a temporary file in the same folder and a rename.

    Raises OutputError when the file cannot be written; the folder is then as before.
    """
    return write_files_atomically([(Path(path), book.save)])[0]


def write_files_atomically(files: Sequence[tuple[Path, Callable[[Path], Any]]]) -> list[Path]:
    """Write files that belong together (a result workbook and its map images).

    Each ``writer(temporary_path)`` writes one file under a temporary name beside
    its final path; only when all are written are they renamed into place, the
    first (the workbook, the one most likely open in Excel) first. If any write or
    that first rename fails, every temporary file and every folder made for them
    is removed and OutputError is raised: the folders are as they were.
    """
    created: list[Path] = []  # folders made for these files, deepest first
    staged: list[tuple[Path, Path]] = []
    current = Path(files[0][0]) if files else Path()
    try:
        for path, writer in files:
            current = Path(path)
            _make_folders(current.parent, created)
            temporary = current.with_name(f".{current.name}.{uuid.uuid4().hex[:8]}.tmp")
            staged.append((temporary, current))
            writer(temporary)
        for temporary, path in staged:
            current = path
            os.replace(temporary, path)
    except OSError as exc:
        _remove_quietly([t for t, _ in staged], created)
        raise OutputError(current, exc) from exc
    except BaseException:
        _remove_quietly([t for t, _ in staged], created)
        raise
    return [path for _, path in staged]


def _make_folders(folder: Path, created: list[Path]) -> None:
    """Create ``folder`` and its missing parents, recording each in ``created``
    (deepest first) as soon as it exists."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for each in reversed(missing):
        each.mkdir()
        created.insert(0, each)


def _remove_quietly(temporaries: list[Path], folders: list[Path]) -> None:
    for temporary in temporaries:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            break
