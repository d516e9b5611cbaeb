"""Files that appear complete or not at all: every file hubopt writes.

Every file a batch writes goes to a temporary name in the target folder
(``.<name>.<random>.tmp``), is flushed to disk, and is renamed into place with
:func:`os.replace`, which is atomic on one file system. A run killed at any
moment leaves the earlier file (or none) under the final name, never a
truncated one; stale temporary files are removed by :func:`remove_stale`.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import OutputError

TEMPORARY_SUFFIX = ".tmp"


def temporary_name(path: Path) -> Path:
    """A fresh temporary path beside ``path`` (same folder, so the rename is atomic)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{TEMPORARY_SUFFIX}")


def write_bytes_atomically(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file, fsync and a rename."""
    return write_files_atomically([(Path(path), lambda temporary: Path(temporary).write_bytes(
        data))])[0]


def write_text_atomically(path: str | Path, text: str) -> Path:
    return write_bytes_atomically(path, text.encode("utf-8"))


def write_json_atomically(path: str | Path, data: Any) -> Path:
    return write_text_atomically(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def remove_stale(folder: Path) -> list[Path]:
    """Remove temporary files a killed run left in ``folder``; return them."""
    stale = [p for p in folder.glob(f".*{TEMPORARY_SUFFIX}") if p.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


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
            temporary = temporary_name(current)
            staged.append((temporary, current))
            writer(temporary)
            _flush_to_disk(temporary)
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


def _flush_to_disk(path: Path) -> None:
    """fsync a written file, so the rename never publishes data still in a cache."""
    with open(path, "r+b") as handle:
        os.fsync(handle.fileno())
