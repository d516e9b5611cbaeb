"""Give the C heap's free memory back to the operating system.

HiGHS allocates and frees in many pieces; after a large HiGHS object is gone,
glibc keeps its freed pages in the process (0.5 GB after the strong_link row
generation at theatre scale 1, hubopt/strong_links.py) unless asked to return
them with ``malloc_trim``. Elsewhere (macOS, Windows, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys


@functools.cache
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def release_free_heap() -> bool:
    """Return the heap's free pages to the operating system; True when glibc did."""
    trim = _malloc_trim()
    return bool(trim is not None and trim(0))
