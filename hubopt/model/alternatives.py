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

Overlap is counted in modules (y_m, SPEC §3.6, ``by="modules"``) or in sites (z_s,
``by="sites"``: U_j and P are then sets of sites, so that an alternative differs
in where hubs are, not only in their sizes). Each function adds its component
to the Pyomo model and returns the new constraint, for
:meth:`hubopt.solver.session.Session.add_constraints` to hand to HiGHS;
:mod:`hubopt.studies.alternatives` runs the solves.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyomo.environ as pyo

SLACK_TOLERANCE = 1e-7   # relative: the optimum's own plan must satisfy alternatives_slack
OVERLAP = ("modules", "sites")


def elements(model, by: str):
    """The binaries overlap is counted in and their index set: (y, M) or (z, S)."""
    if by not in OVERLAP:
        raise ValueError(f"overlap is counted in one of {OVERLAP}, not {by!r}")
    return (model.y, model.M) if by == "modules" else (model.z, model.S)


def score(model, used: Iterable, by: str = "modules"):
    """score_j = Σ_{m ∈ U_j} y_m (or Σ_{s ∈ U_j} z_s): how many of the modules (sites)
    ``used`` (U_j) are open."""
    var, _ = elements(model, by)
    return sum(var[e] for e in sorted(used))


def add_alternatives_slack(model, c_star: float, slack: float):
    """``alternatives_slack``: objective ≤ c* + (ε + 10⁻⁷)·|c*| (the tolerance lets
    the optimum's own plan fit; none is needed when c* = 0)."""
    model.alternatives_slack = pyo.Constraint(
        expr=model.objective.expr <= c_star + (slack + SLACK_TOLERANCE) * abs(c_star))
    return model.alternatives_slack


def add_nogood(model, plan: frozenset, by: str = "modules"):
    """``alternatives_nogood``: every later plan differs from ``plan`` (its open modules
    P, or its open sites) in at least one of them, Σ_{m∈P}(1 − y_m) + Σ_{m∉P} y_m ≥ 1,
    written as Σ_{m∉P} y_m − Σ_{m∈P} y_m ≥ 1 − |P|."""
    var, index = elements(model, by)
    if not hasattr(model, "alternatives_nogood"):
        model.alternatives_nogood = pyo.ConstraintList()
    differ = sum(var[e] for e in index if e not in plan) - sum(var[e] for e in sorted(plan))
    return model.alternatives_nogood.add(differ >= 1 - len(plan))


def add_score_bound(model, used: Iterable, least: int, by: str = "modules"):
    """``alternatives_score``: score_j ≤ score_j* + ½ (the score is an integer), for
    the cheapest plan among those with the least score."""
    if not hasattr(model, "alternatives_score"):
        model.alternatives_score = pyo.ConstraintList()
    return model.alternatives_score.add(score(model, used, by) <= least + 0.5)


__all__ = ["OVERLAP", "SLACK_TOLERANCE", "add_alternatives_slack", "add_nogood",
           "add_score_bound", "elements", "score"]
