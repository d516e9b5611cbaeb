"""Files that appear complete or not at all.

Every file a batch writes goes to a temporary name in the target folder
(``.<name>.<random>.tmp``), is flushed to disk, and is renamed into place with
:func:`os.replace`, which is atomic on one file system. A run killed at any
moment leaves the earlier file (or none) under the final name, never a
truncated one; stale temporary files are removed by :func:`remove_stale`.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

TEMPORARY_SUFFIX = ".tmp"


def temporary_name(path: Path) -> Path:
    """A fresh temporary path beside ``path`` (same folder, so the rename is atomic)."""
    return path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}{TEMPORARY_SUFFIX}")


def write_bytes_atomically(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file, fsync and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = temporary_name(path)
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


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
