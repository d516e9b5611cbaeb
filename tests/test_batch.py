"""``hubopt batch``: isolated runs, failures reported, lock, atomic files, re-runs, Dask."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from workbooks import set_cell, tiny_sheets, write_book

from hubopt import cli
from hubopt.batch.nightly import BatchOptions, find_inputs, run_batch
from hubopt.batch.scenario_run import ScenarioResult

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def b_cheaper() -> dict:
    """tiny with A's routes at 5 per unit: B only, 80 + 100·3 = 380, is optimal."""
    sheets = tiny_sheets()
    for row in (2, 3):
        set_cell(sheets, "Routes", row, "cost_per_unit", 5)
    return sheets


@pytest.fixture
def scenarios(tmp_path) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    write_book(folder / "alpha.xlsx", tiny_sheets())                   # optimum 200
    write_book(folder / "bravo.xlsx", b_cheaper())                     # optimum 380
    invalid = tiny_sheets()
    set_cell(invalid, "Sites", 3, "latitude", "north")
    write_book(folder / "invalid.xlsx", invalid)
    infeasible = tiny_sheets()
    infeasible["Settings"].append(["budget", 50])
    write_book(folder / "infeasible.xlsx", infeasible)
    (folder / "~$alpha.xlsx").write_bytes(b"office lock file")
    write_book(folder / "old_result.xlsx", {"Summary": [["key", "value"]]})
    return folder


def keep_only(folder: Path, *names: str) -> Path:
    """Leave only the named scenarios in ``folder`` (fewer processes, faster tests)."""
    for path in folder.glob("*.xlsx"):
        if path.stem not in names:
            path.unlink()
    return folder


def records_of(outdir: Path) -> dict[str, dict]:
    data = json.loads((outdir / "batch.json").read_text())
    return {r["input"]: r for r in data["scenarios"]}


def test_good_invalid_and_infeasible_scenarios(scenarios, tmp_path):
    out = tmp_path / "out"
    result = run("batch", scenarios, "-o", out, "--workers", "2", "--json")
    assert result.exit_code == 6
    printed = json.loads(result.stdout)
    assert printed["counts"] == {"scenarios": 4, "with_plan": 2, "failed": 2, "skipped": 0}
    records = records_of(out)
    assert sorted(records) == ["alpha.xlsx", "bravo.xlsx", "infeasible.xlsx", "invalid.xlsx"]

    for name, objective in (("alpha", 200), ("bravo", 380)):
        record = records[f"{name}.xlsx"]
        assert (record["status"], record["exit_code"], record["error"]) == ("optimal", 0, None)
        assert record["objective"] == pytest.approx(objective)
        assert record["total_cost"] == pytest.approx(objective)
        assert record["open_sites"] == 1
        written = pd.read_excel(out / f"{name}_result.xlsx", sheet_name="Summary")
        assert dict(zip(written["key"], written["value"]))["objective"] == pytest.approx(objective)
        assert (out / "logs" / f"{name}.log").read_text().count("solve: optimal") == 1

    invalid = records["invalid.xlsx"]
    assert (invalid["status"], invalid["exit_code"]) == ("invalid_input", 3)
    assert "Sites!D3" in invalid["error"] and "'north' is not a number" in invalid["error"]
    assert invalid["result"] is None and not (out / "invalid_result.xlsx").exists()

    infeasible = records["infeasible.xlsx"]
    assert (infeasible["status"], infeasible["exit_code"]) == ("infeasible", 4)
    assert "No feasible plan exists" in infeasible["error"]
    assert "Diagnosis" in load_workbook(out / "infeasible_result.xlsx").sheetnames

    summary = pd.read_excel(out / "batch_summary.xlsx", sheet_name="Batch")
    assert list(summary["input"]) == sorted(records)
    assert dict(zip(summary["input"], summary["status"]))["invalid.xlsx"] == "invalid_input"
    sheet = load_workbook(out / "batch_summary.xlsx")["Batch"]
    header = [c.value for c in sheet[1]]
    assert [sheet.cell(2, header.index(k) + 1).number_format
            for k in ("objective", "avg_hours", "seconds")] == ["#,##0", "0.0", "0.0"]
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"
    assert "failed: invalid.xlsx: invalid_input" in result.stderr
    assert "4/4 done, 2 failed" in result.stderr.replace("batch: ", "") or \
        "done, 2 failed" in result.stderr


def test_result_workbooks_and_lock_files_are_not_inputs(scenarios):
    names = [p.name for p in find_inputs(scenarios)]
    assert names == ["alpha.xlsx", "bravo.xlsx", "infeasible.xlsx", "invalid.xlsx"]


def test_rerun_skips_finished_scenarios_and_resolves_changed_ones(scenarios, tmp_path):
    out = tmp_path / "out"
    keep_only(scenarios, "alpha", "bravo", "invalid")
    first = run_batch(scenarios, out, workers=2)
    solved_at = {r["input"]: r["result_sha256"] for r in first.records}

    again = run_batch(scenarios, out, workers=2)
    skipped = {r["input"] for r in again.records if r["skipped"]}
    assert skipped == {"alpha.xlsx", "bravo.xlsx"}                  # failures are retried
    assert {r["input"]: r["result_sha256"] for r in again.records
            if r["skipped"]} == {k: solved_at[k] for k in skipped}

    write_book(scenarios / "bravo.xlsx", tiny_sheets())            # bravo's data changed
    changed = {r["input"]: r for r in run_batch(scenarios, out, workers=2).records}
    assert changed["alpha.xlsx"]["skipped"] and not changed["bravo.xlsx"]["skipped"]
    assert changed["bravo.xlsx"]["objective"] == pytest.approx(200)

    keep_only(scenarios, "alpha")
    other = run_batch(scenarios, out, options=BatchOptions(mip_gap=0.01))
    assert other.skipped == []                                   # other options, a new run
    assert run_batch(scenarios, out, force=True,
                     options=BatchOptions(mip_gap=0.01)).skipped == []


def test_previous_folder_gives_changes(scenarios, tmp_path):
    keep_only(scenarios, "alpha", "bravo")
    yesterday = tmp_path / "yesterday"
    run_batch(scenarios, yesterday, workers=2)
    write_book(scenarios / "alpha.xlsx", b_cheaper())              # alpha now prefers B
    today = tmp_path / "today"
    records = {r["input"]: r for r in run_batch(scenarios, today, previous_dir=yesterday,
                                                   workers=2).records}
    alpha, bravo = records["alpha.xlsx"], records["bravo.xlsx"]
    assert alpha["previous"] == str(yesterday / "alpha_result.xlsx")
    assert alpha["changes"] == 4          # A closed, B opened, sectors K and L re-assigned
    assert bravo["changes"] == 0
    changes = pd.read_excel(today / "alpha_result.xlsx", sheet_name="Changes")
    assert set(changes["change"]) >= {"module opened", "module closed", "sector re-assigned"}


LOCK_HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from hubopt.batch.nightly import _locked
    with _locked(Path(sys.argv[1])):
        print("locked", flush=True)
        time.sleep(60)
""")


def test_a_second_concurrent_batch_exits_75(scenarios, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    keep_only(scenarios, "alpha", "invalid")
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(out)],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "locked"     # the first batch's lock
        result = run("batch", scenarios, "-o", out)
        assert result.exit_code == 75
        assert "another hubopt batch is writing this folder" in result.stderr
        assert not (out / "batch.json").exists() and not list(out.glob("*_result.xlsx"))
    finally:
        holder.kill()
        holder.wait()
    assert run("batch", scenarios, "-o", out, "-q").exit_code == 6   # lock gone with it


KILLED_WRITER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    import hubopt.files.atomic as atomic
    from hubopt.batch.nightly import run_batch

    real_fsync = os.fsync

    def fsync_then_hang(fd):
        name = os.readlink(f"/proc/self/fd/{fd}")
        if "_result.xlsx" in name:
            os.ftruncate(fd, os.fstat(fd).st_size // 2)      # half a workbook on disk
            Path(sys.argv[3]).write_text(name)
            time.sleep(120)                                 # the test kills us here
        real_fsync(fd)

    atomic.os.fsync = fsync_then_hang
    run_batch(Path(sys.argv[1]), Path(sys.argv[2]), force=True)
""")


def test_a_batch_killed_mid_write_leaves_no_partial_workbook(scenarios, tmp_path):
    out = tmp_path / "out"
    keep_only(scenarios, "alpha", "bravo")
    run_batch(scenarios, out, workers=2)
    before = {p.name: p.read_bytes() for p in out.glob("*_result.xlsx")}
    json_before = (out / "batch.json").read_bytes()
    assert set(before) == {"alpha_result.xlsx", "bravo_result.xlsx"}

    marker = tmp_path / "writing"
    child = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(scenarios), str(out),
                              str(marker)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.05)
        assert marker.exists(), "the batch never reached a result write"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()

    partial = Path(marker.read_text())
    assert partial.parent == out and partial.name.startswith(".") and partial.exists()
    after = {p.name: p.read_bytes() for p in out.glob("*_result.xlsx")}
    assert after == before                                  # earlier results untouched
    for name in after:
        load_workbook(out / name)                            # each one complete
    assert (out / "batch.json").read_bytes() == json_before

    rerun = run_batch(scenarios, out, workers=2)             # the next night cleans up
    assert not partial.exists()
    assert len([r for r in rerun.records if r["status"] == "optimal"]) == 2


def test_dask_cluster_gives_the_local_objectives(scenarios, tmp_path):
    distributed = pytest.importorskip("distributed")
    keep_only(scenarios, "alpha", "bravo")
    local = {r["input"]: r for r in run_batch(scenarios, tmp_path / "local", workers=2).records}
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        remote = {r["input"]: r for r in run_batch(
            scenarios, tmp_path / "dask", scheduler=cluster.scheduler_address).records}
    assert {k: r["status"] for k, r in remote.items()} == \
        {k: r["status"] for k, r in local.items()}
    for name, record in local.items():
        assert remote[name]["objective"] == record["objective"]
        assert remote[name]["exit_code"] == record["exit_code"]
    assert (tmp_path / "dask" / "alpha_result.xlsx").is_file()


def test_dask_retries_a_lost_worker_once_then_reports_it(monkeypatch, tmp_path):
    distributed = pytest.importorskip("distributed")
    from hubopt.batch import distributed as hubopt_distributed
    from hubopt.batch.scenario_run import ScenarioJob

    def flaky(job):  # runs on the worker: attempts are counted on disk
        attempt = tmp_path / f"{job.name}.{len(list(tmp_path.glob(job.name + '.*')))}"
        attempt.touch()
        if job.name == "always.xlsx" or attempt.suffix == ".0":
            raise OSError("worker connection closed")
        return ScenarioResult(job.name, "optimal", 0, 0.1, {"objective": 1.0})

    monkeypatch.setattr(hubopt_distributed, "run_scenario", flaky)
    results = {}
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        hubopt_distributed.run_on_cluster(
            [ScenarioJob("once.xlsx", b""), ScenarioJob("always.xlsx", b"")], "", lambda job,
            result, running: results.__setitem__(job.name, result), client=client)
    assert sorted(p.name for p in tmp_path.glob("*.xlsx.*")) == [
        "always.xlsx.0", "always.xlsx.1", "once.xlsx.0", "once.xlsx.1"]
    assert results["once.xlsx"].status == "optimal"
    assert results["always.xlsx"].status == "lost"
    assert "lost twice" in results["always.xlsx"].error
