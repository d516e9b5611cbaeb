"""The rows and the objective that diverse alternatives add to the model of SPEC §3
(§3.6), as Pyomo components named as in ``models/formulation.md``:

=========================  =====================================  ===========================
formulation.md             meaning                                Pyomo component
=========================  =====================================  ===========================
score_j = Σ_{m∈U_j} y_m    modules shared with the earlier plans  :func:`score`
alternatives_slack         objective ≤ c* + (ε + 10⁻⁷)·|c*|       ``alternatives_slack``
alternatives_nogood        Σ_{m∉P} y_m − Σ_{m∈P} y_m ≥ 1 − |P|    ``alternatives_nogood[i]``
alternatives_score         score_j ≤ score_j* + ½                 ``alternatives_score[j]``
=========================  =====================================  ===========================

Each function adds its component to the Pyomo model and returns the new
constraint, for :meth:`hubopt.solver.session.Session.add_constraints` to hand to
HiGHS; :mod:`hubopt.studies.alternatives` runs the solves.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyomo.environ as pyo

from .network import ModuleKey

SLACK_TOLERANCE = 1e-7   # relative: the optimum's own plan must satisfy alternatives_slack


def score(model, used: Iterable[ModuleKey]):
    """score_j = Σ_{m ∈ U_j} y_m: how many of the modules ``used`` (U_j) are open."""
    return sum(model.y[m] for m in sorted(used))


def add_alternatives_slack(model, c_star: float, slack: float):
    """``alternatives_slack``: objective ≤ c* + (ε + 10⁻⁷)·|c*| (the tolerance lets
    the optimum's own plan fit; none is needed when c* = 0)."""
    model.alternatives_slack = pyo.Constraint(
        expr=model.objective.expr <= c_star + (slack + SLACK_TOLERANCE) * abs(c_star))
    return model.alternatives_slack


def add_nogood(model, plan: frozenset[ModuleKey]):
    """``alternatives_nogood``: every later plan differs from ``plan`` (its open modules
    P) in at least one module, Σ_{m∈P}(1 − y_m) + Σ_{m∉P} y_m ≥ 1, written as
    Σ_{m∉P} y_m − Σ_{m∈P} y_m ≥ 1 − |P|."""
    if not hasattr(model, "alternatives_nogood"):
        model.alternatives_nogood = pyo.ConstraintList()
    differ = sum(model.y[m] for m in model.M if m not in plan) \
        - sum(model.y[m] for m in sorted(plan))
    return model.alternatives_nogood.add(differ >= 1 - len(plan))


def add_score_bound(model, used: Iterable[ModuleKey], least: int):
    """``alternatives_score``: score_j ≤ score_j* + ½ (the score is an integer), for
    the cheapest plan among those with the least score."""
    if not hasattr(model, "alternatives_score"):
        model.alternatives_score = pyo.ConstraintList()
    return model.alternatives_score.add(score(model, used) <= least + 0.5)


__all__ = ["SLACK_TOLERANCE", "add_alternatives_slack", "add_nogood", "add_score_bound",
           "score"]
