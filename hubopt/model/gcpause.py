"""Pause Python's cyclic garbage collector around bulk object construction.

Building a theatre-scale Pyomo model (or reading it into matrices) allocates
millions of long-lived objects; every generation-2 collection on the way walks
all of them again, for nothing: none of them is cyclic garbage. Pausing the
collector for the duration is the standard remedy; it is re-enabled (if it was
enabled) on the way out, and collects as usual from then on.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collection_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
