"""The solve guard: stop HiGHS cleanly on a memory limit, Ctrl-C or SIGTERM (SPEC §4).

HiGHS has no memory limit of its own (``kMemoryLimit`` is only reported when
presolve fails to allocate), and a branch-and-bound tree can grow until the
operating system kills the process, incumbent and all (Yang p20 grew to 14 GB).
So while HiGHS runs, :func:`run_guarded` runs it in a worker thread (highspy
releases the GIL) and the calling thread watches:

- the process's resident memory (RSS, :mod:`psutil`) every ``POLL_SECONDS``;
  past ``memory_limit_mb`` the run is stopped: ``memory_limit``;
- a stop request: SIGTERM or SIGINT (with :func:`stop_on_signals`, as the CLI
  installs) or Ctrl-C as KeyboardInterrupt: ``interrupted``.

The run is stopped through HiGHS's interrupt callbacks (simplex, IPM and MIP
``user_interrupt``): HiGHS ends at its next check with status ``kInterrupt``
and keeps its incumbent, which the session then reads like any other plan.

A stop request outlives the run it stopped (:func:`stop_requested`): the
stages after it (stress test, explain, the rest of a frontier) are skipped, and
the result with what was found is still written.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import highspy
import psutil

POLL_SECONDS = 0.05
MB = 1_000_000

_stop = threading.Event()


def stop_requested() -> bool:
    """Whether Ctrl-C or SIGTERM asked this process to stop."""
    return _stop.is_set()


def clear_stop() -> None:
    """Forget a stop request (for a process that runs several commands, e.g. tests)."""
    _stop.clear()


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """While inside: SIGTERM and SIGINT request a stop instead of ending the process
    (a second SIGINT ends it as usual). Only the main thread can set handlers;
    elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if signum == signal.SIGINT and _stop.is_set():
            raise KeyboardInterrupt
        _stop.set()
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def resident_mb() -> float:
    """This process's resident memory, MB (10^6 bytes)."""
    return psutil.Process().memory_info().rss / MB


@dataclass(frozen=True)
class GuardReport:
    """Why a guarded run ended early (None: it was not stopped) and the largest
    resident memory seen while it ran (MB)."""

    stopped_by: str | None
    peak_mb: float


def run_guarded(highs: highspy.Highs, memory_limit_mb: float | None = None, *,
                memory: Callable[[], float] = resident_mb,
                stop_when: Callable[[], bool] | None = None) -> GuardReport:
    """``highs.run()``, stopped early past ``memory_limit_mb`` of resident memory
    (None: no limit), on a stop request, or once ``stop_when()`` is true (the
    caller's own reason, not reported here). ``memory`` reads the resident memory
    (MB); tests give their own."""
    stop = threading.Event()

    def interrupt(event) -> None:
        # written every time: HiGHS keeps the flag from one run to the next, so a run
        # stopped here would otherwise stop the next one at its first check
        event.interrupt(stop.is_set() or (stop_when is not None and stop_when()))
    callbacks = (highs.cbSimplexInterrupt, highs.cbIpmInterrupt, highs.cbMipInterrupt)
    for callback in callbacks:
        callback.subscribe(interrupt)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            highs.run()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            failure.append(exc)
    worker = threading.Thread(target=run, name="highs", daemon=True)
    reason = None
    if _stop.is_set():          # asked to stop before the run: HiGHS stops at its first check
        reason = "interrupted"
        stop.set()
    peak = memory()
    worker.start()
    try:
        while worker.is_alive():
            worker.join(POLL_SECONDS)
            if reason is not None:
                continue
            used = memory()
            peak = max(peak, used)
            if memory_limit_mb is not None and used > memory_limit_mb:
                reason = "memory_limit"
            elif _stop.is_set():
                reason = "interrupted"
            if reason is not None:
                stop.set()
    except KeyboardInterrupt:       # Ctrl-C without stop_on_signals: stop, keep the plan
        _stop.set()
        reason = reason or "interrupted"
        stop.set()
        while worker.is_alive():
            worker.join(POLL_SECONDS)
    finally:
        for callback in callbacks:
            callback.unsubscribe(interrupt)
    if failure:
        raise failure[0]
    if reason is None and _stop.is_set() and _interrupted(highs):
        reason = "interrupted"
    return GuardReport(reason, max(peak, memory()))


def _interrupted(highs: highspy.Highs) -> bool:
    return highs.getModelStatus() == highspy.HighsModelStatus.kInterrupt

