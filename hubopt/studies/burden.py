"""Burden sharing (SPEC §3.1a): split a fixed plan's personnel and money fairly.

The plan's sites and modules are fixed and never change here: only who staffs
and funds them. With Settings ``burden_sharing = proportional`` each resource is
shared out by the LP of :mod:`hubopt.model.burden` (min τ, the largest load over
fair share λ_c = Σ_s p_cs / F_c), solved as a *water-filling*:

1. minimise τ over the contributors not yet fixed;
2. the contributors whose link λ_c ≤ τ has a non-zero dual are at τ in every
   optimal split (complementary slackness): fix their λ_c ≤ τ and drop their link;
3. repeat until every contributor is fixed, or the rest can give nothing (τ = 0).

Each round fixes at least one contributor (the objective is N·τ, so the duals
of the links sum to N: some are non-zero), so there are at most |C| rounds, all on
one session, warm-started from the last basis. The result is the leximin split:
the largest load per weight is as small as the rules allow (the §3.1a min-max),
then the next largest, and so on; contributors held below by a cap or by where
they may serve carry what they can, and the others share the rest in
proportion to their weights. A split chosen only by min-max would leave every
contributor below the largest free to carry anything, including nothing.

``burden_sharing = none`` keeps the solver's split (any split within §3.1).
"""

from __future__ import annotations

import logging
import math

import pandas as pd
import pyomo.environ as pyo

from ..errors import SolverError
from ..model.burden import build_share_model
from ..model.network import ModuleKey, Network
from ..outputs.results import Plan, assignments, open_module_keys, with_contributions
from ..solver.session import Session, SolveOptions

log = logging.getLogger("hubopt")

# a link's dual below this, relative to N (the objective is N·τ), is taken as zero
DUAL_TOLERANCE = 1e-9
# a level fixed at τ gets this relative room, so that round-off cannot make it infeasible
LEVEL_ROOM = 1e-9
LP_OPTIONS = SolveOptions(time_limit=60.0, mip_gap=0.0, threads=1)


def share_burden(plan: Plan, network: Network) -> Plan:
    """``plan`` with its staffing and funding split by the Settings rule
    (``proportional`` or ``none``), its Contributors table and the Summary's
    ``burden_sharing``, ``max_staff_per_weight`` and ``max_money_per_weight``.
    A plan without contributors, or without a feasible plan, comes back as it was."""
    scenario = network.scenario
    if not scenario.contributors or not plan.has_plan or plan.relaxed:
        return plan
    if scenario.settings.burden_sharing == "none":
        return plan
    opened = open_module_keys(plan.hubs)
    try:
        staffing = fair_split(network, opened, "staff")
        funding = fair_split(network, opened, "money")
    except SolverError as exc:
        log.warning("burden sharing: kept the solver's split of staff and money (%s)", exc)
        return plan
    shared = with_contributions(plan, network, staffing, funding, rule="proportional")
    log.info("burden sharing: proportional; largest load per weight: staff %.4g, money %.4g",
             shared.summary["max_staff_per_weight"], shared.summary["max_money_per_weight"])
    return shared


def fair_split(network: Network, open_modules: list[ModuleKey], kind: str) -> pd.DataFrame:
    """The leximin split of ``kind`` ("staff" or "money") over the plan whose open
    modules are ``open_modules``, as a Staffing or Funding table (amounts above 1e-6).
    Raises SolverError when HiGHS finds no split (the plan breaks §3.1)."""
    model = build_share_model(network, open_modules, kind)
    variable, pairs = ("p", "CS") if kind == "staff" else ("f", "CF")
    if not len(getattr(model, pairs)):       # nobody may serve the open sites' needs
        return assignments(model, network, variable, pairs, open_modules)
    session = Session(model, LP_OPTIONS)
    try:
        if kind == "staff":
            for row in model.staffing.values():      # no personnel a site does not need
                lower, _ = session.row_bounds(row)
                session.set_row_bounds(row, lower, lower)
        rounds = _water_fill(session, model)
    finally:
        session.close()
    log.debug("burden sharing: %s split in %d LP round(s)", kind, rounds)
    return assignments(model, network, variable, pairs, open_modules)


def _water_fill(session: Session, model) -> int:
    """Solve, fix the contributors at the common level, repeat (module docstring);
    returns the number of LP solves."""
    free = list(model.C)
    rounds = 0
    while True:
        outcome = session.solve()
        rounds += 1
        if outcome.status != "optimal":
            raise SolverError(f"the {model.name} LP ended {outcome.status}")
        top = float(pyo.value(model.share_top))
        if not free or top <= DUAL_TOLERANCE:
            return rounds
        links = [model.share_top_link[c] for c in free]
        duals = session.row_duals(links)
        scale = DUAL_TOLERANCE * model.objective_scale   # the link duals sum to N
        binding = [c for c, dual in zip(free, duals, strict=True) if abs(dual) > scale]
        if not binding:   # all duals round to 0: fall back to the contributors at τ
            binding = [c for c in free
                       if pyo.value(model.share_level[c]) >= top * (1 - 1e-7)]
        for contributor in binding:
            session.set_bounds(model.share_level[contributor], 0.0, top * (1 + LEVEL_ROOM))
            session.set_row_bounds(model.share_top_link[contributor], -math.inf, math.inf)
        free = [c for c in free if c not in binding]
        if not free:
            return rounds

