"""The burden-sharing LPs of SPEC §3.1a: who staffs and funds a fixed plan.

The cost-optimal plan leaves open *who* staffs and funds each open site among
the permitted contributors: p and f carry no cost in §3. Once the plan's sites
and modules are fixed, :func:`build_share_model` builds the LP that splits one
resource — personnel (``kind = "staff"``, the ``staffing`` rules) or money
(``kind = "money"``, the ``funding`` rules) — so that the largest load per
weight is as small as possible:

=========================  ===============================================  ======================
formulation.md             meaning                                          Pyomo component
=========================  ===============================================  ======================
z_s, y_m                   the plan's sites and modules, fixed              ``z[s]``, ``y[m]``
p_cs  or  f_cs ≥ 0         personnel or funding of c at open site s         ``p[c,s]``, ``f[c,s]``
§3.1 rules                 staffing (= need), caps; or funding, cap         as in :mod:`.build`
λ_c ≥ 0                    c's load over its fair share                     ``share_level[c]``
τ ≥ 0                      the largest λ_c                                  ``share_top``
share_load                 Σ_s p_cs − F_c·λ_c ≤ 0                           ``share_load[c]``
share_top_link             λ_c − τ ≤ 0                                      ``share_top_link[c]``
objective                  min N·τ (N scales the duals to O(1))             ``objective``
=========================  ===============================================  ======================

F_c = N·w_c / Σ_c′ w_c′ is c's fair share of the plan's need N (personnel, or
currency/year), w_c its weight (:func:`contributor_weights`). Minimising the
largest Σ_s p_cs / F_c is minimising the largest load per weight Σ_s p_cs / w_c
of §3.1a (the two differ by the constant N / Σ w); the fair-share form keeps
every λ near 1 whatever the unit. The staffing rows are equalities here (no
contributor sends personnel a site does not need): every ≥ solution can be
trimmed to one without raising any load. :mod:`hubopt.studies.burden` solves
the LP repeatedly, fixing the contributors that bind, to share out the rest.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyomo.environ as pyo

from ..inputs.instance import Scenario
from .build import add_contributor_variables, add_funding, add_staffing
from .network import ModuleKey, Network

KINDS = ("staff", "money")
SHARE_COLUMN = {"staff": "staff_share", "money": "money_share"}
CAP_COLUMN = {"staff": "max_staff", "money": "max_budget"}


def contributor_weights(scenario: Scenario, kind: str) -> dict[str, float]:
    """w_c of §3.1a for every contributor: its ``staff_share`` (``money_share``);
    blank, its ``max_staff`` (``max_budget``); without that cap either, the largest
    cap of the others; 1 when no contributor has a positive cap. A contributor whose
    cap is 0 weighs 0: it carries nothing."""
    share, cap = SHARE_COLUMN[kind], CAP_COLUMN[kind]
    caps = [getattr(c, cap) for c in scenario.contributors if getattr(c, cap) is not None]
    fallback = max(caps) if caps and max(caps) > 0 else 1.0
    weights = {}
    for contributor in scenario.contributors:
        given, limit = getattr(contributor, share), getattr(contributor, cap)
        weights[contributor.contributor_id] = float(
            given if given is not None else limit if limit is not None else fallback)
    return weights


def plan_need(network: Network, open_modules: Iterable[ModuleKey], kind: str) -> dict[str, float]:
    """What each open site of the plan needs: personnel Σ_m staff_m, or money
    site_cost + Σ_m fixed_cost_m (currency/year); sites needing nothing left out."""
    need: dict[str, float] = {}
    for key in open_modules:
        module = network.modules[key]
        site = network.sites[key[0]]
        if key[0] not in need:
            need[key[0]] = 0.0 if kind == "staff" else float(site.site_cost)
        need[key[0]] += module.staff if kind == "staff" else module.fixed_cost
    return {site: value for site, value in need.items() if value > 0}


def build_share_model(network: Network, open_modules: Iterable[ModuleKey],
                      kind: str) -> pyo.ConcreteModel:
    """The §3.1a LP for ``kind`` ("staff" or "money") over the plan whose open
    modules are ``open_modules`` (see the module docstring for its components)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    open_modules = set(open_modules)
    sites = {key[0] for key in open_modules}
    model = pyo.ConcreteModel(name=f"hubopt_share_{kind}")
    model.network = network
    model.elastic = False
    model.S = pyo.Set(initialize=sorted(sites), ordered=True, doc="the plan's open sites")
    model.M = pyo.Set(initialize=[k for k in network.modules if k[0] in sites], dimen=3,
                      ordered=True, doc="modules of the open sites")
    model.z = pyo.Var(model.S, within=pyo.Binary, doc="site open (fixed at 1)")
    model.y = pyo.Var(model.M, within=pyo.Binary, doc="module open (fixed at the plan)")
    for site in model.S:
        model.z[site].fix(1)
    for key in model.M:
        model.y[key].fix(1 if key in open_modules else 0)
    add_contributor_variables(model, network, sites)
    if kind == "staff":
        add_staffing(model, network)
        pairs, variable = model.CS, model.p
    else:
        add_funding(model, network)
        pairs, variable = model.CF, model.f
    by_contributor: dict[str, list] = {}
    for contributor, site in pairs:
        by_contributor.setdefault(contributor, []).append(variable[contributor, site])
    need = sum(plan_need(network, open_modules, kind).values())
    fair = fair_shares(network.scenario, need, kind)
    sharing = sorted(c for c in by_contributor if fair[c] > 0)
    model.C = pyo.Set(initialize=sharing, ordered=True,
                      doc="contributors with a positive weight that may take part")
    model.share_level = pyo.Var(model.C, within=pyo.NonNegativeReals,
                                doc="load over fair share")
    model.share_top = pyo.Var(within=pyo.NonNegativeReals, doc="the largest load over fair share")
    model.share_load = pyo.Constraint(model.C, rule=lambda m, c: (
        sum(by_contributor[c]) - fair[c] * m.share_level[c] <= 0))
    model.share_top_link = pyo.Constraint(
        model.C, rule=lambda m, c: m.share_level[c] - m.share_top <= 0)
    # N·τ, not τ: the duals of the need rows are then O(1) per person or per currency
    # unit, not 1/N, which HiGHS's dual tolerance (1e-7) would take for zero and stop early
    model.objective_scale = max(1.0, need)
    model.objective = pyo.Objective(expr=model.objective_scale * model.share_top,
                                    sense=pyo.minimize)
    return model


def fair_shares(scenario: Scenario, need: float, kind: str) -> dict[str, float]:
    """F_c = N·w_c / Σ_c′ w_c′: what each contributor would carry of the total
    need N if everyone carried exactly in proportion to its weight."""
    weights = contributor_weights(scenario, kind)
    total = sum(weights.values())
    return {c: (need * w / total if total > 0 else 0.0) for c, w in weights.items()}
