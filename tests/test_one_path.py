"""Every command reaches HiGHS the same way (hubopt/solver/session.py): pareto and
explain get the strong_link row selection and the large-model options like solve,
give the same answers as with every row, and --json keeps stdout for its object.

"Above the row-selection threshold" is made two ways: by lowering
``rows.SELECT_ABOVE`` for a small model (fast, in process), and by a real model of
more than 100,000 arcs solved by the batch in child processes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from test_baselines import SCENARIOS
from tiny import Contributor, Permission, with_contributors

import hubopt
from hubopt.inputs.example import example_scenario
from hubopt.inputs.template import write_input_workbook
from hubopt.model.network import build_network
from hubopt.outputs.previous import PreviousPlan
from hubopt.solver import rows
from hubopt.solver.session import LARGE_MODEL_OPTIONS, Session
from hubopt.studies.explain import explain
from hubopt.studies.pareto import pareto

ROOT = Path(__file__).resolve().parents[1]
LARGE = ", ".join(f"{name}={value}" for name, value in LARGE_MODEL_OPTIONS.items())


@pytest.fixture
def sessions(monkeypatch):
    """Every Session opened on a plan's model: (rows selected or None, HiGHS options
    set); the small burden-sharing LPs over a found plan are not counted."""
    opened = []
    real = Session.__init__

    def spy(self, model, options, **kwargs):
        real(self, model, options, **kwargs)
        if not model.name.startswith("hubopt_share"):
            opened.append((self.links, self.highs_options))
    monkeypatch.setattr(Session, "__init__", spy)
    return opened


def _above_the_threshold(monkeypatch) -> None:
    """Every model is above the selection threshold, and keeps 1 arc per demand row."""
    monkeypatch.setattr(rows, "SELECT_ABOVE", 0)
    monkeypatch.setattr(rows, "PER_DEMAND", 1)


def _points(frontier):
    return [(round(p.metric, 6), round(p.cost, 2), sorted(p.modules)) for p in frontier.points]


@pytest.mark.parametrize("name", ["example", "base", "every_family"])
def test_pareto_above_the_threshold_selects_rows_and_keeps_the_frontier(name, monkeypatch,
                                                                        sessions):
    scenario = example_scenario() if name == "example" else SCENARIOS[name]()
    every_row = pareto(scenario, points=4, mip_gap=0, strong_links="all")
    assert sessions[-1] == (None, "")
    _above_the_threshold(monkeypatch)
    selected = pareto(scenario, points=4, mip_gap=0)
    links, options = sessions[-1]
    arcs = len(build_network(scenario).arcs)
    assert links is not None and links.kept <= links.total == arcs
    if name == "example":           # 92 arcs, 46 demand rows: some rows left out
        assert links.kept < links.total
    assert options == LARGE
    assert selected.run["strong_link_rows"] == links.kept
    assert selected.run["highs_options"] == LARGE
    assert _points(selected) == _points(every_row)
    assert len(selected.points) >= (3 if name == "example" else 1)


def _explained(plan, **options) -> pd.DataFrame:
    return explain(plan, time_budget=120, candidates=2, mip_gap=0, **options)


def test_explain_above_the_threshold_selects_rows_and_gives_the_same_answers(monkeypatch,
                                                                           sessions):
    plan = hubopt.solve(example_scenario(), mip_gap=0, stress=False)
    every_row = _explained(plan, strong_links="all")
    _above_the_threshold(monkeypatch)
    selected = _explained(plan)
    links, options = sessions[-1]
    assert links is not None and links.kept < links.total and options == LARGE
    assert list(selected["status"]) == list(every_row["status"])
    figures = ["total_cost", "objective", "avg_hours", "saving"]
    pd.testing.assert_frame_equal(selected[figures], every_row[figures], rtol=1e-9, atol=1e-6)
    assert (selected["status"] == "optimal").sum() >= 5


def test_explain_with_a_previous_plan_prices_savings_without_the_stability_cost():
    """A non-binding cap saves nothing. With a previous plan that differs from the
    optimum, the plan's objective includes its stability cost; the explain re-solves
    must include it too, or every "cap removed" shows that cost as a saving."""
    scenario = with_contributors(
        example_scenario().with_settings(stability_penalty=500_000),
        [Contributor("XX", max_staff=100_000)],
        [Permission("XX", country) for country in
         sorted({site.country for site in example_scenario().sites})])
    optimum = hubopt.solve(scenario, mip_gap=0, stress=False)
    first_site = sorted(set(optimum.hubs["site_id"]))[0]
    previous = PreviousPlan.of_modules(
        [tuple(row) for row in optimum.hubs[["site_id", "service", "size"]].itertuples(
            index=False) if row[0] != first_site])
    plan = hubopt.solve(scenario, mip_gap=0, stress=False, previous_plan=previous)
    assert plan.summary["stability_cost"] > 0
    table = explain(plan, time_budget=120, candidates=0, mip_gap=0,
                    previous_plan=previous.keys)
    removed = table[table["question"] == "cap removed"]
    assert len(removed) == 1
    assert removed["saving"].iloc[0] == pytest.approx(0.0, abs=1e-6)
    assert removed["objective"].iloc[0] == pytest.approx(plan.summary["objective"], rel=1e-9)
    # without the previous plan the re-solve is the plain optimum: the "saving" would
    # be the stability cost, the bug this guards against
    unpriced = explain(plan, time_budget=120, candidates=0, mip_gap=0)
    wrong = unpriced[unpriced["question"] == "cap removed"]["saving"].iloc[0]
    assert wrong == pytest.approx(plan.summary["objective"] - optimum.summary["objective"],
                                  rel=1e-6)
    assert wrong > 0


_LOW_THRESHOLD = """
import sys
import hubopt.solver.rows as rows
rows.SELECT_ABOVE = 0      # every model is above the row-selection threshold
rows.PER_DEMAND = 1
from hubopt.cli import main
main()
"""


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(_LOW_THRESHOLD), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def example_book(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("json") / "example.xlsx"
    write_input_workbook(path, example_scenario())
    return path


def test_json_stdout_is_one_object_for_solve_pareto_and_compare(example_book, tmp_path):
    solved = _cli("solve", str(example_book), "-o", str(tmp_path / "r.xlsx"), "--json")
    assert solved.returncode == 0, solved.stderr[-2000:]
    summary = json.loads(solved.stdout)
    assert summary["status"] == "optimal"
    assert summary["objective"] == pytest.approx(25781695.80747515, rel=1e-6)
    assert "strong links: kept" in solved.stderr       # the selection was made
    traced = _cli("pareto", str(example_book), "-n", "3", "-o", str(tmp_path / "p.xlsx"),
                  "--json")
    assert traced.returncode == 0, traced.stderr[-2000:]
    assert json.loads(traced.stdout)["metric"] == "avg_hours"
    compared = _cli("compare", str(tmp_path / "r.xlsx"), str(example_book), "-o",
                    str(tmp_path / "c.xlsx"))
    assert compared.returncode == 0, compared.stderr[-2000:]
    assert "Running HiGHS" not in compared.stdout + solved.stdout + traced.stdout


def test_batch_json_on_a_model_above_the_threshold(tmp_path):
    """120 sites x 600 sectors, 103,846 arcs: the rows are selected for real in each
    child `hubopt solve --json`, whose stdout the batch reads as JSON."""
    from benchmarks.theatre import theatre

    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    write_input_workbook(scenarios / "large.xlsx", theatre(0.4))
    done = subprocess.run([sys.executable, "-m", "hubopt", "batch", str(scenarios), "-o",
                           str(tmp_path / "out"), "--json", "--time-limit", "60",
                           "--mip-gap", "0.05"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    (record,) = report["scenarios"]
    assert record["status"] in ("optimal", "time_limit")
    assert record["objective"] > 0
    inputs = pd.read_excel(tmp_path / "out" / "large_result.xlsx", sheet_name="Inputs")
    run = dict(zip(inputs.iloc[:, 0], inputs.iloc[:, 1]))
    assert run["strong_link_rows_total"] == 103_846
    assert run["strong_link_rows"] < 103_846
