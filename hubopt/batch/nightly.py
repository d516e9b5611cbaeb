"""``hubopt batch``: solve every scenario workbook of a folder, nothing lost.

The batch orchestrates isolated single-scenario runs
(:func:`hubopt.scenario_run.run_scenario`: one process each, its own log and
wall-clock guard) and contains no model logic. It

- holds an exclusive OS lock on ``OUTDIR/.hubopt-batch.lock`` (``fcntl.flock``,
  released by the kernel when the process dies), so two batches never write
  the same folder: the second raises :class:`BatchLocked`;
- skips a scenario whose input SHA-256 and options (time limit, gap, --set
  pairs, the previous result's SHA-256, hubopt version) match a finished
  result recorded in ``OUTDIR/batch.json`` whose workbook is still there and
  unchanged, unless ``force``;
- writes ``OUTDIR/<stem>_result.xlsx``, ``OUTDIR/logs/<stem>.log``, and after
  every finished scenario ``OUTDIR/batch.json`` (so a killed batch can be
  resumed), then ``OUTDIR/batch_summary.xlsx``; every file goes to a
  temporary name in the same folder and is renamed into place;
- reports progress (done / failed / running, elapsed) through the ``hubopt``
  logger, i.e. on stderr in the CLI.

Exit codes are the CLI's business: :class:`BatchReport` says what happened.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import time
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from ..files.atomic import remove_stale, write_json_atomically, write_text_atomically
from ..files.atomic import write_bytes_atomically as write_atomically
from ..files.xlsx import save_atomically, set_value
from .scenario_run import (
    PLAN_STATUSES,
    ScenarioJob,
    ScenarioResult,
    kill_running,
    run_scenario,
)

log = logging.getLogger("hubopt")

LOCK_NAME = ".hubopt-batch.lock"
BATCH_JSON = "batch.json"
SUMMARY_XLSX = "batch_summary.xlsx"
RESULT_SUFFIX = "_result"
RECORD_FIELDS = ("input", "input_sha256", "status", "exit_code", "objective", "total_cost",
                 "avg_hours", "open_sites", "changes", "seconds", "error", "skipped", "result",
                 "result_sha256", "log", "previous", "options_sha256")


# Number formats of the batch summary's figures: money without decimals, hours one decimal
BATCH_FORMATS = {"objective": "#,##0", "total_cost": "#,##0", "avg_hours": "0.0",
                 "open_sites": "0", "changes": "0", "seconds": "0.0"}


class BatchLocked(Exception):
    """Another batch holds the output folder's lock."""


@dataclass(frozen=True)
class BatchOptions:
    """Options passed to every scenario's solve, and the wall-clock guard (s)."""

    time_limit: float | None = None
    mip_gap: float | None = None
    sets: tuple[str, ...] = ()
    guard_seconds: float | None = None
    memory_limit_mb: float | None = None    # each scenario's --max-memory-mb (None: default)

    @property
    def guard(self) -> float:
        """Seconds a scenario may run in all: given, else 1.5 × time limit + 60 s,
        else one hour (a scenario's own Settings may set a long time limit)."""
        if self.guard_seconds is not None:
            return self.guard_seconds
        return 1.5 * self.time_limit + 60 if self.time_limit is not None else 3600.0


@dataclass
class BatchReport:
    """One record per scenario (fields :data:`RECORD_FIELDS`) and where they went."""

    records: list[dict[str, Any]]
    output_dir: Path
    seconds: float = 0.0

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["status"] not in PLAN_STATUSES]

    @property
    def skipped(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r["skipped"]]


@dataclass
class _Progress:
    total: int
    started: float = field(default_factory=time.perf_counter)
    done: int = 0
    failed: int = 0

    def report(self, running: int, record: dict[str, Any]) -> None:
        lines = [line.strip() for line in (record["error"] or "").splitlines()]
        reason = next((line for line in lines if not line.endswith(":")), "")
        figure = (f"objective {record['objective']:,.2f}" if record["objective"] is not None
                  else reason)
        log.info("batch: %d/%d done, %d failed, %d running, %.1f s elapsed | %s: %s%s%s",
                 self.done, self.total, self.failed, running,
                 time.perf_counter() - self.started, record["input"], record["status"],
                 ", " if figure else "", figure)


def find_inputs(folder: Path) -> list[Path]:
    """The scenario workbooks of ``folder``: ``*.xlsx`` except Office lock files
    (``~$*``), hidden files, hubopt's own outputs (``*_result.xlsx``,
    ``batch_summary.xlsx``) and any workbook whose sheets are a result's
    (Summary and Hubs, no Sites)."""
    inputs = []
    for path in sorted(folder.glob("*.xlsx")):
        name = path.name
        if name.startswith(("~$", ".")) or path.stem.endswith(RESULT_SUFFIX) \
                or name == SUMMARY_XLSX or not path.is_file() or _is_result_workbook(path):
            continue
        inputs.append(path)
    return inputs


def _is_result_workbook(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            sheets = archive.read("xl/workbook.xml").decode("utf-8", errors="replace").lower()
    except (zipfile.BadZipFile, KeyError, OSError):
        return False  # not readable: let the solve report why
    return 'name="summary"' in sheets and 'name="hubs"' in sheets and 'name="sites"' not in sheets


def run_batch(input_dir: Path, output_dir: Path, *, previous_dir: Path | None = None,
              workers: int = 1, force: bool = False, options: BatchOptions = BatchOptions(),
              scheduler: str | None = None) -> BatchReport:
    """Solve every scenario of ``input_dir`` into ``output_dir`` (module docstring)."""
    started = time.perf_counter()
    output_dir.mkdir(parents=True, exist_ok=True)
    with _locked(output_dir):
        (output_dir / "logs").mkdir(exist_ok=True)
        for folder in (output_dir, output_dir / "logs"):
            for stale in remove_stale(folder):
                log.info("batch: removed %s left by an interrupted run", stale.name)
        inputs = find_inputs(input_dir)
        earlier = _earlier_records(output_dir)
        header = _header(input_dir, output_dir, previous_dir, workers, options, scheduler)
        records: dict[str, dict[str, Any]] = {}
        jobs: list[ScenarioJob] = []
        for path in inputs:
            job = _job(path, previous_dir, options)
            record = _reusable(earlier.get(path.name), job, output_dir, force)
            if record is not None:
                records[path.name] = record
                log.info("batch: %s unchanged since its finished run; skipped", path.name)
            else:
                jobs.append(job)
        log.info("batch: %d scenario(s) in %s, %d to solve, %d skipped, %s", len(inputs),
                 input_dir, len(jobs), len(records),
                 f"scheduler {scheduler}" if scheduler else f"{workers} worker(s)")
        progress = _Progress(len(jobs))

        def finished(job: ScenarioJob, result: ScenarioResult, running: int) -> None:
            record = _store(job, result, output_dir, previous_dir)
            records[job.name] = record
            progress.done += 1
            progress.failed += record["status"] not in PLAN_STATUSES
            _write_json(output_dir, header, _ordered(records, inputs), final=False)
            progress.report(running, record)

        try:
            if scheduler:
                from .distributed import run_on_cluster
                run_on_cluster(jobs, scheduler, finished)
            else:
                _run_locally(jobs, workers, finished)
        finally:
            kill_running()
        ordered = _ordered(records, inputs)
        _write_json(output_dir, header, ordered, final=True)
        write_summary_workbook(output_dir / SUMMARY_XLSX, ordered)
    return BatchReport(ordered, output_dir, time.perf_counter() - started)


class _locked:
    """Hold ``fcntl.flock(LOCK_EX | LOCK_NB)`` on the folder's lock file."""

    def __init__(self, folder: Path):
        self.path = folder / LOCK_NAME

    def __enter__(self):
        self.handle = open(self.path, "a+")  # noqa: SIM115 - held for the whole batch
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            self.handle.close()
            raise BatchLocked(f"{self.path.parent}: another hubopt batch is writing this "
                              f"folder (it holds {self.path.name}).") from exc
        self.handle.seek(0)
        self.handle.truncate()
        self.handle.write(f"pid {os.getpid()} since {_now()}\n")
        self.handle.flush()
        return self

    def __exit__(self, *exc_info) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def _run_locally(jobs: list[ScenarioJob], workers: int,
                 finished: Callable[[ScenarioJob, ScenarioResult, int], None]) -> None:
    """Each job in its own process, at most ``workers`` at a time."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(run_scenario, job): job for job in jobs}
        try:
            pending = len(futures)
            for future in as_completed(futures):
                pending -= 1
                finished(futures[future], future.result(), min(pending, workers))
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _job(path: Path, previous_dir: Path | None, options: BatchOptions) -> ScenarioJob:
    previous = previous_dir / f"{path.stem}{RESULT_SUFFIX}.xlsx" if previous_dir else None
    has_previous = previous is not None and previous.is_file()
    return ScenarioJob(path.name, path.read_bytes(),
                       previous.read_bytes() if has_previous else None,
                       previous.name if has_previous else None,
                       options.time_limit, options.mip_gap, tuple(options.sets), options.guard,
                       options.memory_limit_mb)


def options_sha256(job: ScenarioJob) -> str:
    """What, besides the input, decides a scenario's result."""
    key = {"time_limit": job.time_limit, "mip_gap": job.mip_gap, "sets": list(job.sets),
           **({"memory_limit_mb": job.memory_limit_mb} if job.memory_limit_mb else {}),
           "previous_sha256": _sha256(job.previous) if job.previous is not None else None,
           "hubopt": _hubopt_version()}
    return _sha256(json.dumps(key, sort_keys=True).encode())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _reusable(record: dict[str, Any] | None, job: ScenarioJob, output_dir: Path,
              force: bool) -> dict[str, Any] | None:
    """The earlier record when its result still stands, else None."""
    if force or not record or record.get("status") not in PLAN_STATUSES:
        return None
    if record.get("input_sha256") != _sha256(job.data) \
            or record.get("options_sha256") != options_sha256(job):
        return None
    result = output_dir / str(record.get("result"))
    if not result.is_file() or _sha256(result.read_bytes()) != record.get("result_sha256"):
        return None
    return {**record, "skipped": True}


def _store(job: ScenarioJob, result: ScenarioResult, output_dir: Path,
           previous_dir: Path | None) -> dict[str, Any]:
    """Write the run's workbook and log into ``output_dir``; return its record."""
    result_name = f"{job.stem}{RESULT_SUFFIX}.xlsx"
    if result.result is not None:
        write_atomically(output_dir / result_name, result.result)
    log_name = f"logs/{job.stem}.log"
    write_text_atomically(output_dir / log_name, result.log)
    summary = result.summary
    return {
        "input": job.name, "input_sha256": _sha256(job.data), "status": result.status,
        "exit_code": result.exit_code, "objective": summary.get("objective"),
        "total_cost": summary.get("total_cost"), "avg_hours": summary.get("avg_hours"),
        "open_sites": summary.get("open_sites"), "changes": result.changes,
        "seconds": round(result.seconds, 3), "error": result.error, "skipped": False,
        "result": result_name if result.result is not None else None,
        "result_sha256": _sha256(result.result) if result.result is not None else None,
        "log": log_name, "previous": str(previous_dir / job.previous_name)
        if job.previous_name and previous_dir else None,
        "options_sha256": options_sha256(job),
    }


def _ordered(records: dict[str, dict[str, Any]], inputs: Iterable[Path]) -> list[dict]:
    return [records[p.name] for p in inputs if p.name in records]


def _earlier_records(output_dir: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads((output_dir / BATCH_JSON).read_text(encoding="utf-8"))
        return {r["input"]: r for r in data.get("scenarios", []) if isinstance(r, dict)}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _header(input_dir, output_dir, previous_dir, workers, options, scheduler) -> dict[str, Any]:
    return {"hubopt_version": _hubopt_version(), "started": _now(),
            "input_dir": str(input_dir.resolve()),
            "output_dir": str(output_dir.resolve()),
            "previous_dir": str(previous_dir.resolve()) if previous_dir else None,
            "workers": workers, "scheduler": scheduler,
            "options": {"time_limit": options.time_limit, "mip_gap": options.mip_gap,
                        "sets": list(options.sets), "guard_seconds": options.guard,
                        "memory_limit_mb": options.memory_limit_mb}}


def _write_json(output_dir: Path, header: dict, records: list[dict], final: bool) -> None:
    ok = sum(r["status"] in ("optimal", "time_limit") for r in records)
    write_json_atomically(output_dir / BATCH_JSON, {
        **header, "finished": _now() if final else None, "complete": final,
        "counts": {"scenarios": len(records), "with_plan": ok, "failed": len(records) - ok,
                   "skipped": sum(bool(r["skipped"]) for r in records)},
        "scenarios": records})


def write_summary_workbook(path: Path, records: list[dict[str, Any]]) -> Path:
    """``batch_summary.xlsx``: one row per scenario, the fields of batch.json."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Batch"
    columns = [c for c in RECORD_FIELDS if c not in ("options_sha256",)]
    for column, name in enumerate(columns, start=1):
        set_value(sheet.cell(row=1, column=column), name)
    for row, record in enumerate(records, start=2):
        for column, name in enumerate(columns, start=1):
            value = record.get(name)
            set_value(sheet.cell(row=row, column=column), value, BATCH_FORMATS.get(name))
    sheet.freeze_panes = "A2"
    return save_atomically(book, path)


def _hubopt_version() -> str:
    from .. import __version__
    return __version__


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
