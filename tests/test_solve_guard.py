"""The solve guard (hubopt/solver/guard.py, SPEC §4): a memory limit, Ctrl-C or
SIGTERM stop a running solve with the best plan found, which is still written.

The real-process tests solve a theatre instance with single sourcing (660 sites
x sectors arcs at scale 0.1: HiGHS finds its first plan after about a second and
needs about ten to prove the optimum), so there is a solve to stop while it runs.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_guard import folder_state

import hubopt
from hubopt.inputs.example import example_scenario
from hubopt.model.build import build_model
from hubopt.model.network import build_network
from hubopt.solver import guard
from hubopt.solver.session import Session, SolveOptions

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def hard_book(tmp_path_factory) -> Path:
    from benchmarks.theatre import theatre
    from hubopt.inputs.template import write_input_workbook

    path = tmp_path_factory.mktemp("guard") / "theatre.xlsx"
    write_input_workbook(path, theatre(0.1).with_settings(single_sourcing=True))
    return path


def _sheet(path: Path, title: str) -> dict:
    sheet = load_workbook(path, read_only=True)[title]
    return {row[0]: row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}


def _hubopt(*args: str, script: str = "") -> subprocess.Popen:
    code = textwrap.dedent(script) + "\nfrom hubopt.cli import main\nmain()\n"
    return subprocess.Popen([sys.executable, "-c", code, "solve", *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(process: subprocess.Popen, text: str, timeout: float = 120.0) -> list[str]:
    """stderr lines up to the first that contains ``text``."""
    lines = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = process.stderr.readline()
        if not line:
            break
        lines.append(line)
        if text in line:
            return lines
    process.kill()
    raise AssertionError(f"{text!r} never came:\n{''.join(lines)}")


def test_sigterm_mid_solve_writes_the_best_plan_found_as_interrupted(hard_book, tmp_path):
    out = tmp_path / "r.xlsx"
    process = _hubopt(str(hard_book), "-o", str(out), "--mip-gap", "0", "--json")
    _wait_for(process, "solve: incumbent")
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr[-3000:]
    summary = json.loads(stdout)                      # stdout is one JSON object
    assert summary["status"] == "interrupted"
    assert summary["mip_gap"] > 0 and summary["objective"] > 0
    book = _sheet(out, "Summary")
    assert book["status"] == "interrupted"
    assert book["objective"] == pytest.approx(summary["objective"])
    assert "stress: not run, the solve was stopped (interrupted)" in stderr
    # a complete workbook: the plan's own tables are all there
    assert {"Summary", "Hubs", "Flows", "Sectors", "Inputs"} <= set(load_workbook(out).sheetnames)


def test_sigterm_before_any_plan_exits_5_and_writes_nothing(hard_book, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    before = folder_state(folder)
    process = _hubopt(str(hard_book), "-o", str(folder / "r.xlsx"))
    _wait_for(process, "read:")                       # before the model exists
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 5, stderr[-3000:]
    assert "interrupted before any plan was found; nothing written" in stdout
    assert folder_state(folder) == before


# After HiGHS's first plan, this process's memory grows by 4 MB every 20 ms (as a
# growing search tree would) for as long as HiGHS runs: the guard must stop the solve
# just past the limit and keep that plan.
_GROWING_MEMORY = """
    import resource, sys, threading, time
    from hubopt.solver import highs_log

    show = highs_log.LogWatcher._show
    held = []

    def grow():
        while any(t.name == "highs" for t in threading.enumerate()) and len(held) < 500:
            block = bytearray(4_000_000)
            block[::4096] = b"x" * len(block[::4096])      # touch every page
            held.append(block)
            time.sleep(0.02)

    def shown(self, text):
        show(self, text)
        if text.startswith("solve: incumbent") and not held:
            held.append(b"")
            threading.Thread(target=grow, daemon=True).start()
    highs_log.LogWatcher._show = shown

    import atexit
    atexit.register(lambda: print("max_rss_mb", resource.getrusage(resource.RUSAGE_SELF)
                                  .ru_maxrss / 1000, file=sys.stderr))
"""


def test_memory_limit_during_branch_and_bound_keeps_the_incumbent(hard_book, tmp_path):
    limit = 700.0
    out = tmp_path / "r.xlsx"
    process = _hubopt(str(hard_book), "-o", str(out), "--mip-gap", "0",
                      "--max-memory-mb", str(limit), script=_GROWING_MEMORY)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr[-3000:]
    assert "memory_limit (memory limit reached, stopped with the best plan found" in stdout
    assert _sheet(out, "Summary")["status"] == "memory_limit"
    inputs = _sheet(out, "Inputs")
    assert inputs["stopped_by"] == "memory_limit"
    # stopped within a few of the guard's polls: peak just past the limit
    assert limit < inputs["peak_memory_mb"] < limit + 100
    max_rss = float(stderr.rsplit("max_rss_mb", 1)[1].split()[0])
    assert max_rss < limit + 150


def test_a_memory_limit_below_the_process_itself_stops_at_once_without_a_plan(hard_book,
                                                                              tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    before = folder_state(folder)
    # the model's estimate (about 100 MB) passes; the process itself is over 150 MB
    process = _hubopt(str(hard_book), "-o", str(folder / "r.xlsx"), "--max-memory-mb", "150")
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 5, stderr[-3000:]
    assert "no plan found before resident memory passed --max-memory-mb 150" in stdout
    assert "solve: stopped (memory_limit)" in stderr
    assert folder_state(folder) == before


def test_ctrl_c_in_the_python_api_stops_with_the_plan(monkeypatch):
    """A KeyboardInterrupt while HiGHS runs (Ctrl-C without the CLI's handlers) stops
    the run; the incumbent is kept and later stages are skipped."""
    calls = []

    def memory() -> float:          # Ctrl-C arrives at the guard's first poll, after 0.05 s
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return 100.0
    session = Session(build_model(build_network(example_scenario())),
                      SolveOptions(time_limit=60, mip_gap=0))
    real = guard.run_guarded
    monkeypatch.setattr("hubopt.solver.session.run_guarded",
                        lambda highs, limit, **kw: real(highs, limit, memory=memory, **kw))
    try:
        outcome = session.solve()
    finally:
        guard.clear_stop()
    assert outcome.stopped_by == "interrupted"
    # the example solves in about 0.2 s: stopped at 0.05 s, with or without a plan yet
    assert outcome.status in ("interrupted", "no_solution")


def test_a_run_stopped_at_an_incumbent_leaves_the_next_run_alone():
    """Session.run's on_improving sees each improving incumbent (every column, its
    objective, the bound) and returning True stops the run with that incumbent.
    HiGHS keeps its interrupt flag from one run to the next: the next run of the same
    session, without a stop, must still solve to optimality."""
    session = Session(build_model(build_network(example_scenario())),
                      SolveOptions(time_limit=60, mip_gap=0))
    seen = []

    def first_incumbent(values, objective, bound):
        seen.append((objective, bound, len(values)))
        return True
    try:
        stopped = session.run(on_improving=first_incumbent)
        assert len(seen) == 1 and seen[0][2] == len(session.compiled.columns)
        assert stopped.has_plan and stopped.objective == pytest.approx(seen[0][0])
        again = session.run()
        assert again.status == "optimal" and again.termination == "kOptimal"
        assert again.objective <= stopped.objective + 1e-6
    finally:
        session.close()


def test_the_guard_leaves_an_unhindered_solve_alone():
    guard.clear_stop()
    plan = hubopt.solve(example_scenario(), stress=False)
    assert plan.status == "optimal" and plan.run["stopped_by"] is None
    assert plan.summary["objective"] == pytest.approx(25781695.80747515, rel=1e-9)
    assert plan.run["peak_memory_mb"] > 50
