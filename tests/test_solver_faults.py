"""Solver faults: a model over the memory budget refused before it is built, a
solver that fails or reports numerical trouble, a process killed mid-solve."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import highspy
import pytest
from click.testing import CliRunner
from test_guard import folder_state
from tiny import base
from workbooks import tiny_sheets, write_book

import hubopt
import hubopt.solver.session
from hubopt import cli
from hubopt.errors import InputError, SolverError
from hubopt.inputs.example import example_scenario
from hubopt.model.build import build_model
from hubopt.model.network import build_network
from hubopt.solver import outcome as solver
from hubopt.solver.sizing import DEFAULT_MEMORY_BUDGET_MB, model_size


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("scenario", [base(), base(single_sourcing=True),
                                      base(redundancy=2), example_scenario(),
                                      example_scenario().with_settings(resilience=0.5,
                                                                       max_share_per_site=0.5)],
                         ids=["base", "single_sourcing", "redundancy", "example",
                              "example_resilience"])
def test_size_is_counted_without_building(scenario):
    network = build_network(scenario)
    size = model_size(network)
    model = build_model(network)
    if not scenario.contributors:
        assert size.variables == model.nvariables()
    else:   # contributor pairs are bounded from the permissions, not enumerated
        assert model.nvariables() <= size.variables <= 1.5 * model.nvariables()
    assert 0.8 * model.nconstraints() <= size.rows <= 1.2 * model.nconstraints()


def test_model_over_the_memory_budget_is_refused_before_it_is_built(tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the model was built")
    monkeypatch.setattr(hubopt.solver.session, "build_model", never)
    size = model_size(build_network(base()))
    with pytest.raises(InputError) as caught:
        hubopt.solve(base(), memory_budget_mb=1)
    assert str(caught.value.issues[0]) == (
        f"model size: the model would have {size.variables} variables, {size.rows} constraints "
        f"and {size.nonzeros} nonzeros (4 usable site-sector links, 2 modules) and need about "
        f"{size.megabytes:,.0f} MB, above the memory budget of 1 MB; nothing was built. Cut the "
        "links a plan can never use (max_hours on Demand rows, allowed = no or missing_routes = "
        f"forbid), or raise the budget with --max-memory-mb {int(size.megabytes * 1.2) + 1} on "
        "a machine that has the memory.")

    book = write_book(tmp_path / "tiny.xlsx", tiny_sheets())
    out = tmp_path / "outputs"
    out.mkdir()
    before = folder_state(out)
    result = run("solve", book, "-o", out / "r.xlsx", "--max-memory-mb", "1")
    assert result.exit_code == 3
    assert "above the memory budget of 1 MB; nothing was built" in result.stderr
    assert folder_state(out) == before


def test_memory_budget_scales_with_the_network():
    small = model_size(build_network(base())).megabytes
    large = model_size(build_network(example_scenario())).megabytes
    assert 10 < small < large < 4_000          # both solve under the default budget


def test_solver_crash_is_exit_1_and_writes_nothing(tmp_path, monkeypatch):
    def crash(self, *args, **kwargs):
        raise RuntimeError("HiGHS aborted: out of memory")
    monkeypatch.setattr(solver.highspy.Highs, "run", crash)     # the direct hand-off's run
    book = write_book(tmp_path / "tiny.xlsx", tiny_sheets())
    out = tmp_path / "outputs"
    out.mkdir()
    (out / "r.xlsx").write_bytes(b"yesterday")
    before = folder_state(out)
    result = run("solve", book, "-o", out / "r.xlsx")
    assert result.exit_code == 1
    assert "Error: HiGHS failed: HiGHS aborted: out of memory" in result.stderr
    assert "Traceback" not in result.output
    assert folder_state(out) == before


class _Highs:
    """What a highspy.Highs reports after a run, reduced to what classify reads."""

    def __init__(self, status: str, objective=None, bound=None, nodes=5):
        self.status = getattr(highspy.HighsModelStatus, status)
        self.info = SimpleNamespace(
            primal_solution_status=2 if objective is not None else 0,
            objective_function_value=objective if objective is not None else 0.0,
            mip_node_count=nodes, mip_dual_bound=bound)
        self.read = False

    def getModelStatus(self):
        return self.status

    def getInfo(self):
        return self.info

    def getSolution(self):
        self.read = True
        return SimpleNamespace(col_value=[1.0])

    def getRunTime(self):
        return 1.0


def test_numerical_trouble_is_a_solver_error_with_the_log():
    with pytest.raises(SolverError, match="HiGHS stopped with an error .*\nnumerical trouble"):
        solver.classify(_Highs("kSolveError"), "numerical trouble in simplex", seconds=1.0)


@pytest.mark.parametrize(("objective", "status"), [(120.0, "time_limit"), (None, "no_solution")])
def test_unknown_stop_is_a_plan_only_with_an_incumbent(objective, status):
    highs = _Highs("kUnknown", objective, 100.0)
    outcome, values = solver.classify(highs, "", seconds=1.0)
    assert outcome.status == status
    assert highs.read is (objective is not None)
    assert (values is not None) is (objective is not None)


@pytest.mark.parametrize(("reason", "objective", "status"),
                         [("memory_limit", 120.0, "memory_limit"),
                          ("interrupted", 120.0, "interrupted"),
                          ("memory_limit", None, "no_solution")])
def test_a_guard_stop_keeps_the_incumbent_under_its_own_status(reason, objective, status):
    outcome, _ = solver.classify(_Highs("kInterrupt", objective, 100.0), "", seconds=1.0,
                                 stopped_by=reason)
    assert (outcome.status, outcome.stopped_by, outcome.has_plan) == \
        (status, reason, objective is not None)
    if objective is not None:
        assert outcome.gap == pytest.approx(20.0 / 120.0)


def test_a_killed_solve_leaves_the_previous_result_intact(tmp_path):
    book = write_book(tmp_path / "tiny.xlsx", tiny_sheets())
    out = tmp_path / "outputs"
    out.mkdir()
    (out / "tiny_result.xlsx").write_bytes(b"yesterday's plan")
    before = folder_state(out)
    script = textwrap.dedent(f"""
        import os, signal, sys
        import highspy, hubopt.api
        def killed(self, *args, **kwargs):
            os.kill(os.getpid(), signal.SIGKILL)     # the process dies inside the solver
        highspy.Highs.run = killed
        from hubopt.cli import main
        sys.argv = ["hubopt", "solve", {str(book)!r}, "-o", {str(out / "tiny_result.xlsx")!r}]
        main()
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=Path(__file__).parent.parent)
    assert done.returncode == -signal.SIGKILL, done.stderr[-2000:]
    assert "solve:" not in done.stderr               # it died before any outcome
    assert folder_state(out) == before


def test_pareto_checks_the_memory_budget_before_building(monkeypatch):
    from hubopt.solver import session
    from hubopt.studies import pareto
    monkeypatch.setattr(session, "build_model", lambda *a, **k: pytest.fail("built"))
    with pytest.raises(InputError, match="above the memory budget of 1 MB; nothing was built"):
        pareto.pareto(base(), points=3, memory_budget_mb=1)


def test_selected_strong_link_rows_are_what_the_estimate_counts():
    """At theatre scale 1 the direct hand-off keeps 60,000 of 656,094 strong_link rows
    (as arrays, docs/theatre.md): the estimate counts those, so the default budget
    admits the instance it would refuse if every row were a Pyomo constraint."""
    from benchmarks.theatre import theatre

    network = build_network(theatre(1.0))
    every_row = model_size(network)
    selected = model_size(network, selected_links=True)
    assert len(network.arcs) == 656_094 and len(network.demand) == 3_000
    assert every_row.rows - selected.rows == 656_094 - 20 * 3_000
    assert selected.variables == every_row.variables
    assert selected.megabytes < DEFAULT_MEMORY_BUDGET_MB < every_row.megabytes
