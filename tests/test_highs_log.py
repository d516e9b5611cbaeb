"""Milestones of HiGHS's branch-and-cut read from its log (hubopt/solver/highs_log.py)."""

from __future__ import annotations

import numpy as np
import pytest
from relaxation import lp_relaxation_value

import hubopt
from hubopt.inputs.example import example_scenario
from hubopt.model.build import build_model
from hubopt.model.network import build_network
from hubopt.solver.handoff import compile_lp
from hubopt.solver.highs_log import search_milestones

# The progress table of the theatre instance at scale 1 (docs/theatre.md), HiGHS 1.16
THEATRE_TABLE = """\
        Nodes      |    B&B Tree     |            Objective Bounds              |  Dynamic Constraints |       Work
Src  Proc. InQueue |  Leaves   Expl. | BestBound       BestSol              Gap |   Cuts   InLp Confl. | LpIters     Time

         0       0         0   0.00%   0               inf                  inf        0      0      0         0    14.0s
         0       0         0   0.00%   207027630.1936  inf                  inf        0      0      0    182708   504.0s
 R       0       0         0   0.00%   207027631.3638  209394716.0351     1.13%       58      1      0    182775   520.4s
         0       0         0   0.00%   207027652.4635  209394716.0351     1.13%      186     12      0    183383   529.1s
         0       0         0   0.00%   207027672.7709  209394716.0351     1.13%     2183     71      0    185967   600.1s

Solving report
  Nodes             0
"""  # noqa: E501


def test_theatre_table_milestones():
    found = search_milestones(THEATRE_TABLE)
    assert found.root_lp_seconds == 504.0
    assert found.root_lp_bound == pytest.approx(207027630.1936)
    assert found.root_end_seconds == 600.1
    assert found.root_end_bound == pytest.approx(207027672.7709)
    assert found.first_incumbent_seconds == 520.4
    assert found.first_incumbent == pytest.approx(209394716.0351)
    assert found.first_incumbent_source == "R"
    assert found.nodes == 0


def test_branching_rows_and_no_table():
    table = THEATRE_TABLE.replace("Solving report", "") + (
        " B      12       3         5  41.20%   207100000.0    208900000.0        0.86%"
        "     2200     70     12    190000   650.0s\n")
    assert search_milestones(table).nodes == 12
    assert search_milestones(table).root_end_seconds == 600.1     # still the last root row
    assert search_milestones("Solving LP without presolve\nModel status : Optimal\n") \
        == search_milestones("")
    assert search_milestones("").nodes is None


def test_root_lp_interrupted_by_the_time_limit():
    """At the limit HiGHS prints a root row with LP iterations but the trivial bound:
    the root LP was not solved, and there is no incumbent."""
    table = "\n".join(THEATRE_TABLE.splitlines()[:4]) + (
        "\n         0       0         0   0.00%   0               inf                  inf"
        "        0      0      0    171002   601.0s\n")
    found = search_milestones(table)
    assert found.root_lp_seconds is None and found.root_lp_bound is None
    assert found.first_incumbent is None and found.nodes == 0


def _lp_relaxation(network) -> float:
    """The plain LP relaxation of the model, solved by a separate HiGHS."""
    return lp_relaxation_value(compile_lp(build_model(network, [])))


def test_example_run_records_the_root():
    """On the bundled example the recorded root LP bound lies between the plain LP
    relaxation (HiGHS's presolve may only tighten it) and the optimum."""
    scenario = example_scenario()
    plan = hubopt.solve(scenario, stress=False)
    run = plan.run
    assert plan.status == "optimal"
    assert run["highs_nodes"] is not None and run["highs_nodes"] >= 0
    lower = _lp_relaxation(build_network(scenario))
    objective = plan.summary["objective"]
    assert lower - 1e-6 * abs(lower) <= run["highs_root_lp_bound"] <= objective * (1 + 1e-9)
    assert run["highs_first_incumbent"] >= objective * (1 - 1e-9)
    assert 0 <= run["highs_root_lp_seconds"] <= run["highs_seconds"]
    assert np.isfinite(run["highs_root_end_bound"])
