"""One isolated scenario run of a batch: bytes in, bytes out.

:func:`run_scenario` is the unit of work a batch hands out, locally or to a
Dask worker. It writes the input (and the previous result) to a private
temporary folder, runs ``python -m hubopt solve`` there in its own process
(its own session, so the whole process group can be killed), under a
wall-clock guard beyond the solver's time limit, and returns the result
workbook, the run's log and the JSON summary as plain data. It needs no
shared disk and contains no model logic: the solve is the same command a
planner runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from ..errors import EXIT_INPUT
from ..solver.outcome import PLAN_STATUSES

_ERROR_START = re.compile(r"^(\d+ errors? in the input:|No feasible plan exists:|Internal error:|"
                          r"Usage error:|Error:)")

_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()


@dataclass(frozen=True)
class ScenarioJob:
    """One scenario to solve: the input workbook's name and bytes, the previous
    result's bytes (or None), and the options passed to ``hubopt solve``."""

    name: str
    data: bytes
    previous: bytes | None = None
    previous_name: str | None = None
    time_limit: float | None = None
    mip_gap: float | None = None
    sets: tuple[str, ...] = ()
    guard_seconds: float = 3600.0
    memory_limit_mb: float | None = None

    @property
    def stem(self) -> str:
        return Path(self.name).stem


@dataclass
class ScenarioResult:
    """What one run produced. ``status`` is the solve's (optimal, time_limit,
    memory_limit, interrupted, infeasible, no_solution) or ``invalid_input``,
    ``timeout`` (killed by the guard), ``lost`` (its worker died twice) or ``error``."""

    name: str
    status: str
    exit_code: int | None
    seconds: float
    summary: dict[str, Any] = field(default_factory=dict)
    result: bytes | None = None
    log: str = ""
    error: str | None = None
    changes: int | None = None

    @property
    def has_plan(self) -> bool:
        return self.status in PLAN_STATUSES


def solve_command(job: ScenarioJob, input_path: Path, output: Path,
                  previous: Path | None) -> list[str]:
    """The ``hubopt solve`` command line for ``job``."""
    command = [sys.executable, "-m", "hubopt", "solve", str(input_path), "-o", str(output),
               "--json"]
    if job.time_limit is not None:
        command += ["--time-limit", repr(float(job.time_limit))]
    if job.mip_gap is not None:
        command += ["--mip-gap", repr(float(job.mip_gap))]
    if job.memory_limit_mb is not None:
        command += ["--max-memory-mb", repr(float(job.memory_limit_mb))]
    if previous is not None:
        command += ["--previous", str(previous)]
    for pair in job.sets:
        command += ["--set", pair]
    return command


def run_scenario(job: ScenarioJob) -> ScenarioResult:
    """Solve ``job`` in its own process and return everything it produced."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hubopt-scenario-") as folder:
        root = Path(folder)
        input_path = root / Path(job.name).name
        input_path.write_bytes(job.data)
        previous = None
        if job.previous is not None:
            (root / "previous").mkdir()
            previous = root / "previous" / (job.previous_name or "previous_result.xlsx")
            previous.write_bytes(job.previous)
        output = root / "out" / f"{job.stem}_result.xlsx"
        log_path = root / "solve.log"
        with open(log_path, "wb") as log_file:
            code, stdout, timed_out = _run(solve_command(job, input_path, output, previous),
                                           log_file, job.guard_seconds)
        log = log_path.read_text(encoding="utf-8", errors="replace")
        seconds = time.perf_counter() - started
        if timed_out:
            return ScenarioResult(job.name, "timeout", None, seconds, log=log, error=(
                f"killed after {job.guard_seconds:.0f} s by the batch's wall-clock guard "
                "(the solver's time limit did not stop it)."))
        summary = _summary(stdout)
        result = output.read_bytes() if output.is_file() else None
    status = summary.get("status") or ("invalid_input" if code == EXIT_INPUT else "error")
    outcome = ScenarioResult(job.name, status, code, seconds, summary, result, log)
    if not outcome.has_plan:
        outcome.error = error_text(log) or f"hubopt solve ended with exit code {code}."
    if result is not None and job.previous is not None and outcome.has_plan:
        outcome.changes = count_changes_in(result)
    return outcome


def _run(command: list[str], log_file, guard: float) -> tuple[int | None, str, bool]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log_file,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    with _running_lock:
        _running.add(process)
    try:
        stdout, _ = process.communicate(timeout=guard)
        return process.returncode, stdout.decode("utf-8", errors="replace"), False
    except subprocess.TimeoutExpired:
        _kill(process)
        process.communicate()
        return None, "", True
    finally:
        with _running_lock:
            _running.discard(process)


def _kill(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def kill_running() -> int:
    """Kill every solve process this process started and that still runs."""
    with _running_lock:
        processes = list(_running)
    for process in processes:
        _kill(process)
    return len(processes)


def _summary(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return {}
    return {}


def error_text(log: str, limit: int = 4000) -> str | None:
    """The reason a run failed, from its log: from the first error heading
    (``3 errors in the input:``, ``No feasible plan exists:``...) to the end."""
    lines = log.splitlines()
    start = next((i for i, line in enumerate(lines) if _ERROR_START.match(line)), None)
    if start is None:
        tail = [line for line in lines if line.strip()][-5:]
        return "\n".join(tail) or None
    text = "\n".join(line.rstrip() for line in lines[start:] if line.strip())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def count_changes_in(result: bytes) -> int | None:
    """Modules opened, closed, resized and sectors re-assigned, from a result
    workbook's Changes sheet (None when it has none)."""
    from openpyxl import load_workbook

    from ..studies.changes import PLAN_CHANGES
    book = load_workbook(BytesIO(result), read_only=True, data_only=True)
    try:
        if "Changes" not in book.sheetnames:
            return None
        rows = book["Changes"].iter_rows(min_row=2, max_col=1, values_only=True)
        return sum(1 for (kind,) in rows if kind in PLAN_CHANGES)
    finally:
        book.close()
