"""hubopt.solver.heap: freed C heap goes back to the operating system where glibc runs."""

from __future__ import annotations

import platform

import numpy as np
import pytest

from hubopt.solver.heap import release_free_heap


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_freed_small_allocations_are_returned():
    # 200,000 arrays of 1 KiB: below glibc's mmap threshold, so they live in the heap
    # and stay resident after they are freed, until the heap is trimmed
    chunks = [np.ones(128) for _ in range(200_000)]
    for chunk in chunks[::2]:
        chunk += 1
    del chunks
    before = _resident_bytes()
    assert release_free_heap() is True
    assert _resident_bytes() < before - 50_000_000
