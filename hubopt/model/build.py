"""The hub-location model of SPEC §3 as a Pyomo ConcreteModel.

``build_model(network)`` is one plain function over the active network; it
imports no I/O library. Each constraint family has its own function and the
Pyomo component carries the same name as in ``models/formulation.md``:

=========================  ==============================================  ===================
formulation.md             meaning                                         Pyomo component
=========================  ==============================================  ===================
z_s ∈ {0,1}                site s open                                     ``z[s]``
y_m ∈ {0,1}                module m open                                   ``y[s,k,size]``
x_sr ≥ 0                   units of row r served from s per period         ``x[s,sector,k]``
a_sr ∈ {0,1}               single sourcing: r served from s                ``a[s,sector,k]``
p_cs ≥ 0                   personnel of contributor c at s                 ``p[c,s]``
f_cs ≥ 0                   funding of contributor c at s (currency/year)   ``f[c,s]``
(1) demand                 Σ_s x_sr = q_r                                  ``demand``
(2) capacity               Σ_r x_sr ≤ Σ_m cap_m·y_m                        ``capacity``
(2a) aggregate_capacity    Σ_{m of k} min(cap_m, D_k)·y_m ≥ D_k (valid)    ``aggregate_capacity``
(3) one_size               Σ_{m∈M(s,k)} y_m ≤ 1                            ``one_size``
(4) site_link              y_m ≤ z_s;  z_s ≤ Σ_{m∈M(s)} y_m                ``site_link_module``,
                                                                           ``site_link_any``
(5) strong_link            x_sr ≤ q_r·Σ_{m∈M(s,k)} y_m                     ``strong_link``
(6) single_sourcing        x_sr = q_r·a_sr;  Σ_s a_sr = 1                  ``single_sourcing_flow``,
                                                                           ``single_sourcing_one``
(7) status_open            z_s = 1                                         ``status_open``
(8) site counts            min ≤ Σ z ≤ max, overall and per country        ``site_count_min/max``,
                                                                           ``country_sites_min/max``
(9) budget                 hub_cost ≤ budget                               ``budget``
(10) redundancy            Σ_{s:(s,r)∈A} Σ_{m∈M(s,k)} y_m ≥ redundancy      ``redundancy``
§3.1 staffing              Σ_c p_cs ≥ Σ_m staff_m·y_m, and caps            ``staffing``,
                                                                           ``staffing_country_cap``,
                                                                           ``staffing_contributor_cap``
§3.1 funding               Σ_c f_cs = site_cost·z_s + Σ_m fixed_m·y_m      ``funding``,
                                                                           ``funding_contributor_cap``
(11) site_share            Σ_{r of k} x_sr ≤ max_share·D_k                 ``site_share``
§3.2 x^t_sr ≥ 0            flows after the loss of site t                  ``xt[t,s,sector,k]``
§3.2 resilience            Σ_{s≠t} x^t_sr ≥ α·q_r;                         ``resilience_demand``,
                           Σ_r x^t_sr ≤ Σ_m cap_m·y_m                      ``resilience_capacity``
§3.4 elastic slacks        one non-negative slack per relaxable row        ``slack_<family>[...]``
=========================  ==============================================  ===================

With ``elastic=True`` (SPEC §3.4) every relaxable family adds its own slack
variable ``slack_<family>`` and the objective becomes the weighted total slack
Σ_f w_f·Σ_i slack_i / scale_i (:data:`SLACK_WEIGHTS`, :func:`slack_scales`);
the cost expressions stay, for the second, cheapest-relaxed-plan phase.

Constraints that are implied by variable bounds are not generated: ``one_size``
for a (site, service) with a single size (y ≤ 1 is its bound) and
``redundancy`` when redundancy = 1 (implied by demand and strong_link).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations

import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap
from pyomo.core.expr.numeric_expr import LinearExpression

from .gcpause import collection_paused
from .network import ModuleKey, Network

LossCase = tuple[str, ...]   # the sites lost together in one loss case (§3.2), sorted

# Weight w_f of each slack family in the elastic objective (SPEC §3.4). A slack is
# first divided by its scale (slack_scales), so "1" means: the whole demand row, the
# dearest hub's cost, the largest hub's staff, one site, one module, the whole demand
# of a service. Unserved demand is the last resort; a missing permission (nobody may
# staff or fund a site) weighs more than raising a cap that exists.
SLACK_WEIGHTS: dict[str, float] = {
    "demand": 100.0,
    "resilience_demand": 10.0,
    "staffing": 2.0,
    "funding": 2.0,
    "staffing_country_cap": 1.0,
    "staffing_contributor_cap": 1.0,
    "funding_contributor_cap": 1.0,
    "budget": 1.0,
    "site_count_min": 1.0,
    "site_count_max": 1.0,
    "country_sites_min": 1.0,
    "country_sites_max": 1.0,
    "status_open": 1.0,
    "redundancy": 1.0,
    "site_share": 1.0,
}


@dataclass(frozen=True)
class SlackFamily:
    """The slacks of one relaxable constraint family in an elastic model.

    ``variable`` is the Pyomo Var ``slack_<family>``; ``unit`` the unit of its
    values; ``scales`` maps each index to the scale its slack is divided by.
    """

    family: str
    unit: str
    weight: float
    scales: dict


def build_model(network: Network, previous_plan: Iterable[ModuleKey] = (), *,
                elastic: bool = False, aggregate_capacity: bool = True,
                strong_link: bool = True,
                losses: Iterable[LossCase] | None = None) -> pyo.ConcreteModel:
    """Build the MIP of SPEC §3 over ``network``.

    ``previous_plan`` lists the modules open in an earlier plan; with a
    positive stability_penalty it prices every change against it (§3.3).
    With ``elastic`` every relaxable family gets a slack and the objective is
    the weighted total slack (§3.4): the model always has a solution, and its
    non-zero slacks say what stands between the scenario and a plan.
    ``aggregate_capacity=False`` leaves out the valid inequality of that name
    (for measuring what it does; the feasible set and optimum are the same);
    the elastic model never has it. ``strong_link=False`` leaves out the Pyomo
    family of the valid inequality (5) and marks the model
    ``strong_link_omitted``: its rows are then given by :func:`strong_link_terms`,
    from which the hand-off to HiGHS picks those it passes on a large model
    (:mod:`hubopt.solver.rows`); the elastic model always has the family.
    ``losses`` (with resilience > 0) builds only these loss cases of §3.2 (None:
    every one; the elastic model always has every one); more are added later by
    :func:`add_loss_cases` (:mod:`hubopt.solver.losses`).
    """
    if not strong_link and elastic:
        raise ValueError("the elastic model keeps its strong_link rows in Pyomo")
    with collection_paused():
        return _build(network, previous_plan, elastic, aggregate_capacity, strong_link,
                      losses)


def _build(network: Network, previous_plan: Iterable[ModuleKey], elastic: bool,
           aggregate_capacity: bool, strong_link: bool, losses):
    model = pyo.ConcreteModel(name="hubopt_elastic" if elastic else "hubopt")
    add_families(model, network, previous_plan, elastic=elastic,
                 aggregate_capacity=aggregate_capacity, strong_link=strong_link,
                 losses=losses)
    if elastic:
        model.objective = pyo.Objective(expr=slack_total(model), sense=pyo.minimize)
    else:
        model.objective = pyo.Objective(expr=plan_cost(model), sense=pyo.minimize)
    return model


def plan_cost(block):
    """The §3 objective of one plan: hub, transport, time, risk and stability cost."""
    return (block.hub_cost + block.transport_cost + block.time_cost + block.risk_cost
            + block.stability_cost)


def add_families(block, network: Network, previous_plan: Iterable[ModuleKey] = (), *,
                 elastic: bool = False, aggregate_capacity: bool = True,
                 strong_link: bool = True, losses=None) -> None:
    """Every variable, cost expression and constraint family of SPEC §3 over
    ``network``, on ``block`` (the model itself, or one scenario's block of the
    posture model, :mod:`hubopt.model.posture`); no objective."""
    block.network = network  # kept for result extraction; not a Pyomo component
    block.elastic = elastic
    block.slack_families = {}
    add_variables(block, network)
    add_cost_expressions(block, network, set(previous_plan))
    add_demand(block, network)
    add_capacity(block, network)
    if aggregate_capacity and not elastic:
        add_aggregate_capacity(block, network)
    add_one_size(block, network)
    add_site_link(block, network)
    block.strong_link_omitted = not strong_link
    if strong_link:
        add_strong_link(block, network)
    add_single_sourcing(block, network)
    add_status_open(block, network)
    add_site_counts(block, network)
    add_budget(block, network)
    add_redundancy(block, network)
    add_staffing(block, network)
    add_funding(block, network)
    add_site_share(block, network)
    add_resilience(block, network, losses)


# -- elastic slacks (SPEC §3.4) ---------------------------------------------------------

def slack_scales(network: Network) -> dict[str, float]:
    """Scales that make slacks of different units comparable (all ≥ 1).

    money: the dearest single site with its dearest size of every service
    (currency/year); staff: the largest staff one site can need (personnel).
    """
    money, staff = 1.0, 1.0
    for site_id, site in network.sites.items():
        dearest: dict[str, float] = defaultdict(float)
        largest: dict[str, float] = defaultdict(float)
        for key in network.modules_of(site_id):
            module = network.modules[key]
            dearest[key[1]] = max(dearest[key[1]], module.fixed_cost)
            largest[key[1]] = max(largest[key[1]], module.staff)
        money = max(money, site.site_cost + sum(dearest.values()))
        staff = max(staff, sum(largest.values()))
    return {"money": money, "staff": staff}


def add_slack(model, family: str, index: list | None, unit: str, scale):
    """Create ``slack_<family>`` (indexed by ``index``, or scalar when None) in an
    elastic model and return it; return None in the ordinary model.

    ``scale`` is a number or a function of the index giving the slack's scale.
    """
    if not model.elastic:
        return None
    name = f"slack_{family}"
    scale_of = scale if callable(scale) else (lambda *_: scale)
    if index is None:
        var = pyo.Var(within=pyo.NonNegativeReals, doc=f"{family} slack, {unit}")
        scales = {None: float(scale_of(None))}
    else:
        dimen = len(index[0]) if index and isinstance(index[0], tuple) else 1
        model.add_component(f"{name}_index", pyo.Set(initialize=index, dimen=dimen,
                                                     ordered=True))
        var = pyo.Var(getattr(model, f"{name}_index"), within=pyo.NonNegativeReals,
                      doc=f"{family} slack, {unit}")
        scales = {i: float(scale_of(i)) for i in index}
    model.add_component(name, var)
    model.slack_families[family] = SlackFamily(family, unit, SLACK_WEIGHTS[family], scales)
    return var


def slack_total(model):
    """Σ_f w_f·Σ_i slack_i / scale_i over the slack families of an elastic model."""
    terms = []
    for family, info in model.slack_families.items():
        var = getattr(model, f"slack_{family}")
        for index, scale in info.scales.items():
            terms.append(info.weight / scale * (var if index is None else var[index]))
    return sum(terms)


def _s(var, index=None):
    """The slack ``var[index]`` or 0 when the model is not elastic."""
    if var is None:
        return 0
    return var if index is None else var[index]


# -- sets and variables ---------------------------------------------------------------

def add_variables(model, network: Network) -> None:
    model.S = pyo.Set(initialize=list(network.sites), ordered=True, doc="active sites")
    model.M = pyo.Set(initialize=list(network.modules), dimen=3, ordered=True,
                      doc="active modules (site, service, size)")
    model.R = pyo.Set(initialize=list(network.demand), dimen=2, ordered=True,
                      doc="active demand rows (sector, service)")
    model.A = pyo.Set(initialize=list(network.arcs), dimen=3, ordered=True,
                      doc="usable arcs (site, sector, service)")
    model.z = pyo.Var(model.S, within=pyo.Binary, doc="site open")
    model.y = pyo.Var(model.M, within=pyo.Binary, doc="module open")
    model.x = pyo.Var(model.A, within=pyo.NonNegativeReals, doc="units served per period")
    if network.scenario.settings.single_sourcing:
        model.a = pyo.Var(model.A, within=pyo.Binary, doc="row served from this site")
    add_contributor_variables(model, network)


def add_contributor_variables(model, network: Network, sites: set[str] | None = None) -> None:
    """CS, CF and the personnel p and funding f of §3.1 (when there are contributors),
    at ``sites`` only when given (the burden-sharing LP's open sites, §3.1a)."""
    if not network.scenario.contributors:
        return
    staffing, funding = contributor_pairs(network)
    if sites is not None:
        staffing = [pair for pair in staffing if pair[1] in sites]
        funding = [pair for pair in funding if pair[1] in sites]
    model.CS = pyo.Set(initialize=staffing, dimen=2, ordered=True,
                       doc="(contributor, site) pairs allowed to staff")
    model.CF = pyo.Set(initialize=funding, dimen=2, ordered=True,
                       doc="(contributor, site) pairs allowed to fund")
    model.p = pyo.Var(model.CS, within=pyo.NonNegativeReals, doc="personnel")
    model.f = pyo.Var(model.CF, within=pyo.NonNegativeReals, doc="funding, currency/year")


def contributor_pairs(network: Network) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(c, s) pairs where c may staff s, and where c may fund s.

    Pairs are created only at sites that need personnel (some module with
    staff > 0) or money (a positive site or module cost): elsewhere p and f
    would be free variables with nothing to do.
    """
    allowed_staff = {(p.contributor_id, p.country) for p in network.scenario.permissions
                     if p.may_staff}
    allowed_fund = {(p.contributor_id, p.country) for p in network.scenario.permissions
                    if p.may_fund}
    contributors = sorted(c.contributor_id for c in network.scenario.contributors)
    staffing, funding = [], []
    for site_id, site in network.sites.items():
        modules = [network.modules[m] for m in network.modules_of(site_id)]
        needs_staff = any(m.staff > 0 for m in modules)
        needs_money = site.site_cost > 0 or any(m.fixed_cost > 0 for m in modules)
        for contributor in contributors:
            if needs_staff and (contributor, site.country) in allowed_staff:
                staffing.append((contributor, site_id))
            if needs_money and (contributor, site.country) in allowed_fund:
                funding.append((contributor, site_id))
    return sorted(staffing, key=lambda p: (p[1], p[0])), sorted(funding, key=lambda p: (p[1], p[0]))


# -- objective ------------------------------------------------------------------------

def arc_unit_cost(network: Network, key) -> float:
    """Objective coefficient of x_sr: P·(cost_per_unit + value_of_time·priority·hours
    + value_at_risk·threat_s), currency per year per unit/period moved (P = periods
    per year of Settings ``period``)."""
    settings = network.scenario.settings
    arc = network.arcs[key]
    priority = network.demand[arc.demand_key].priority
    threat = network.sites[arc.site_id].threat
    return settings.periods_per_year * (arc.cost_per_unit + settings.value_of_time * priority
                                        * arc.hours + settings.value_at_risk * threat)


def add_cost_expressions(model, network: Network, previous_plan: set[ModuleKey]) -> None:
    """The objective's parts as named expressions, reported in the Summary (§3), each
    in currency per year: flow costs are multiplied by P, the periods per year."""
    settings = network.scenario.settings
    arcs, demand, sites = network.arcs, network.demand, network.sites
    model.hub_cost = pyo.Expression(expr=(
        sum(sites[s].site_cost * model.z[s] for s in model.S if sites[s].site_cost)
        + sum(network.modules[m].fixed_cost * model.y[m] for m in model.M
              if network.modules[m].fixed_cost)))
    flows = list(model.x.items())    # (arc, x) in the order of A, without per-arc lookups
    # per-unit costs are per unit moved; x is per period: P periods make the year
    per_year = settings.periods_per_year
    model.transport_cost = pyo.Expression(expr=_linear([
        per_year * arcs[a].cost_per_unit * x for a, x in flows if arcs[a].cost_per_unit]))
    value_of_time = per_year * settings.value_of_time
    value_at_risk = per_year * settings.value_at_risk
    model.time_cost = pyo.Expression(expr=_linear([
        value_of_time * demand[arcs[a].demand_key].priority * arcs[a].hours * x
        for a, x in flows if value_of_time and arcs[a].hours]))
    model.risk_cost = pyo.Expression(expr=_linear([
        value_at_risk * sites[a[0]].threat * x
        for a, x in flows if value_at_risk and sites[a[0]].threat]))
    penalty = settings.stability_penalty if previous_plan else 0.0  # no plan, no change
    model.stability_cost = pyo.Expression(expr=sum(
        penalty * ((1 - model.y[m]) if m in previous_plan else model.y[m])
        for m in model.M if penalty) + sum(
        penalty for m in previous_plan if penalty and m not in network.modules))


def _linear(terms: list):
    """Σ terms as one LinearExpression, built in one step: the same expression as
    ``sum(terms)`` (0 for no term, the term itself for one), without growing it
    term by term."""
    if len(terms) <= 1:
        return terms[0] if terms else 0
    return LinearExpression(terms)


def _open_modules(model, network: Network) -> dict[tuple[str, str], object]:
    """Σ_{m ∈ M(s,k)} y_m for every (site, service), built once and shared by the
    constraints that use it (Pyomo expressions may share sub-expressions)."""
    return {(s, k): sum(model.y[key] for key in network.modules_of(s, k))
            for s, k in {(s, k) for s, k, _ in network.modules}}


# -- constraints (SPEC §3, numbered as there) ------------------------------------------

def add_demand(model, network: Network) -> None:
    """(1) Σ_s x_sr = quantity_r: every active demand row is served in full.

    Elastic: + slack_demand[r] (units/period left unserved; scale q_r)."""
    slack = add_slack(model, "demand", list(network.demand), "units/period",
                      lambda r: network.demand[r].quantity)

    flows = dict(model.x.items())

    def rule(m, sector, service):
        arcs = network.arcs_into((sector, service))
        if not arcs:
            raise ValueError(f"demand row {(sector, service)} has no arc; run the pre-solve checks")
        return (_linear([flows[a.key] for a in arcs]) + _s(slack, (sector, service))
                == network.demand[(sector, service)].quantity)
    model.demand = pyo.Constraint(model.R, rule=rule)


def _site_services_with_arcs(network: Network) -> list[tuple[str, str]]:
    return sorted({(s, k) for s, k, _ in network.modules if network.arcs_from(s, k)})


def add_capacity(model, network: Network) -> None:
    """(2) Σ_{r of service k} x_sr ≤ Σ_{m ∈ M(s,k)} capacity_m·y_m."""
    flows = dict(model.x.items())

    def rule(m, site, service):
        return (_linear([flows[a.key] for a in network.arcs_from(site, service)])
                <= sum(network.modules[k].capacity * m.y[k]
                       for k in network.modules_of(site, service)))
    model.capacity = pyo.Constraint(
        pyo.Set(initialize=_site_services_with_arcs(network), dimen=2, ordered=True), rule=rule)


def add_aggregate_capacity(model, network: Network) -> None:
    """Valid inequality, per service k with demand:
    Σ_{(s,k) with an arc} Σ_{m ∈ M(s,k)} min(capacity_m, D_k)·y_m ≥ D_k,
    D_k = Σ_{r of service k} q_r (units/period).

    Exact: every row is served in full (demand), only through open modules of
    its service at sites with an arc (capacity), and a module at least as large
    as D_k covers the service alone, hence min(·, D_k). Its plain form is the
    sum of those rows, so it adds little to the LP bound (the min lifting some,
    with several sizes); what it adds is one explicit knapsack row per service
    from which HiGHS derives cover and MIR cuts (docs/benchmarks.md measures it).

    Not in the elastic model (build_model leaves it out there): the diagnosis
    model is small and solved for its slacks, not for speed. Should it be
    added, + Σ_{r of k} slack_demand[r] keeps it valid when rows go unserved.
    """
    total: dict[str, float] = defaultdict(float)
    for (_, service), row in network.demand.items():
        total[service] += row.quantity
    modules = defaultdict(list)
    for site, service in _site_services_with_arcs(network):
        modules[service].extend(network.modules_of(site, service))

    def rule(m, service):
        return (sum(min(network.modules[key].capacity, total[service]) * m.y[key]
                    for key in modules[service]) >= total[service])
    model.aggregate_capacity = pyo.Constraint(
        pyo.Set(initialize=sorted(s for s in total if modules[s]), ordered=True), rule=rule)


def add_one_size(model, network: Network) -> None:
    """(3) Σ_{m ∈ M(s,k)} y_m ≤ 1: at most one size per site and service."""
    pairs = sorted({(s, k) for s, k, _ in network.modules
                    if len(network.modules_of(s, k)) > 1})
    model.one_size = pyo.Constraint(
        pyo.Set(initialize=pairs, dimen=2, ordered=True),
        rule=lambda m, s, k: sum(m.y[key] for key in network.modules_of(s, k)) <= 1)


def add_site_link(model, network: Network) -> None:
    """(4) y_m ≤ z_s (a module opens only at an open site) and z_s ≤ Σ_{m ∈ M(s)} y_m
    (an open site has at least one open module, so site_cost is paid only when used)."""
    model.site_link_module = pyo.Constraint(model.M, rule=lambda m, s, k, size:
                                            m.y[s, k, size] <= m.z[s])

    def any_rule(m, s):
        modules = network.modules_of(s)
        if not modules:
            return m.z[s] == 0
        return m.z[s] <= sum(m.y[key] for key in modules)
    model.site_link_any = pyo.Constraint(model.S, rule=any_rule)


def strong_link_terms(model, network: Network) -> Iterator[tuple]:
    """(5) term by term, one per arc in the order of ``model.A``: (arc, x_sr, q_r,
    (s, k)) for the row x_sr ≤ q_r·Σ_{m∈M(s,k)} y_m (units per period). The Pyomo
    family and the hand-off's rows (:class:`hubopt.solver.rows.LinkTerms`) are both
    built from these terms."""
    demand = network.demand
    for (site, sector, service), flow in model.x.items():
        yield (site, sector, service), flow, demand[(sector, service)].quantity, (site, service)


def add_strong_link(model, network: Network) -> None:
    """(5) x_sr ≤ q_r·Σ_{m ∈ M(s,k)} y_m: a valid inequality that tightens the
    LP relaxation (nothing flows from a closed module)."""
    terms = strong_link_terms(model, network)
    modules = _open_modules(model, network)

    def rule(m, site, sector, service):
        arc, flow, quantity, pair = next(terms)
        if arc != (site, sector, service):
            raise AssertionError(f"strong_link terms out of order at {arc}")
        return flow <= quantity * modules.get(pair, 0)
    model.strong_link = pyo.Constraint(model.A, rule=rule)


def constraint_count(model) -> int:
    """Constraints of ``model``, the rows of an omitted strong_link family included."""
    omitted = len(model.A) if getattr(model, "strong_link_omitted", False) else 0
    return model.nconstraints() + omitted


def add_single_sourcing(model, network: Network) -> None:
    """(6) x_sr = quantity_r·a_sr and Σ_s a_sr = 1 (only with single_sourcing = yes).

    Elastic: x_sr ≤ quantity_r·a_sr and Σ_s a_sr ≤ 1, so that a row may be served
    in part (from its one source) and slack_demand takes the rest."""
    if not network.scenario.settings.single_sourcing:
        return
    if model.elastic:
        model.single_sourcing_flow = pyo.Constraint(model.A, rule=lambda m, s, t, k: (
            m.x[s, t, k] <= network.demand[(t, k)].quantity * m.a[s, t, k]))
        model.single_sourcing_one = pyo.Constraint(model.R, rule=lambda m, t, k: (
            sum(m.a[arc.key] for arc in network.arcs_into((t, k))) <= 1))
        return
    model.single_sourcing_flow = pyo.Constraint(model.A, rule=lambda m, s, t, k: (
        m.x[s, t, k] == network.demand[(t, k)].quantity * m.a[s, t, k]))
    model.single_sourcing_one = pyo.Constraint(model.R, rule=lambda m, t, k: (
        sum(m.a[arc.key] for arc in network.arcs_into((t, k))) == 1))


def add_status_open(model, network: Network) -> None:
    """(7) z_s = 1 for sites with status = open (existing hubs).

    Elastic: z_s + slack_status_open[s] ≥ 1 (sites; scale 1)."""
    forced = [s for s, site in network.sites.items() if site.status == "open"]
    slack = add_slack(model, "status_open", forced, "sites", 1.0)
    model.status_open = pyo.Constraint(
        pyo.Set(initialize=forced, ordered=True),
        rule=lambda m, s: (m.z[s] + slack[s] >= 1) if slack is not None else m.z[s] == 1)


def add_site_counts(model, network: Network) -> None:
    """(8) min_sites ≤ Σ_s z_s ≤ max_sites, and the same per country (Countries sheet).

    Elastic: + slack_site_count_min, − slack_site_count_max, and the same per
    country (slack_country_sites_min/max[n]); sites, scale 1."""
    settings = network.scenario.settings
    if settings.min_sites is not None:
        low = add_slack(model, "site_count_min", None, "sites", 1.0)
        model.site_count_min = pyo.Constraint(expr=sum(model.z[s] for s in model.S)
                                              + _s(low) >= settings.min_sites)
    if settings.max_sites is not None:
        high = add_slack(model, "site_count_max", None, "sites", 1.0)
        model.site_count_max = pyo.Constraint(expr=sum(model.z[s] for s in model.S)
                                              - _s(high) <= settings.max_sites)
    by_country: dict[str, list[str]] = defaultdict(list)
    for site_id, site in network.sites.items():
        by_country[site.country].append(site_id)
    bounds = sorted(network.scenario.countries, key=lambda b: b.country)
    lows = [b.country for b in bounds if b.min_sites is not None]
    highs = [b.country for b in bounds if b.max_sites is not None]
    highs = [n for n in highs if by_country.get(n)]
    minimum = {b.country: b.min_sites for b in bounds}
    maximum = {b.country: b.max_sites for b in bounds}
    low = add_slack(model, "country_sites_min", lows, "sites", 1.0)
    high = add_slack(model, "country_sites_max", highs, "sites", 1.0)
    model.country_sites_min = pyo.Constraint(
        pyo.Set(initialize=lows, ordered=True),
        rule=lambda m, n: sum(m.z[s] for s in by_country.get(n, [])) + _s(low, n) >= minimum[n])
    model.country_sites_max = pyo.Constraint(
        pyo.Set(initialize=highs, ordered=True),
        rule=lambda m, n: sum(m.z[s] for s in by_country[n]) - _s(high, n) <= maximum[n])


def add_budget(model, network: Network) -> None:
    """(9) Σ site_cost·z + Σ fixed_cost·y ≤ budget.

    Elastic: − slack_budget (currency/year; scale: the dearest hub)."""
    budget = network.scenario.settings.budget
    if budget is not None:
        slack = add_slack(model, "budget", None, "currency/year",
                          slack_scales(network)["money"])
        model.budget = pyo.Constraint(expr=model.hub_cost - _s(slack) <= budget)


def add_redundancy(model, network: Network) -> None:
    """(10) Σ_{s:(s,r) ∈ A} Σ_{m ∈ M(s,k(r))} y_m ≥ redundancy for every demand row.

    Elastic: + slack_redundancy[r] (modules; scale 1)."""
    level = network.scenario.settings.redundancy
    if level <= 1:
        return
    slack = add_slack(model, "redundancy", list(network.demand), "modules", 1.0)
    model.redundancy = pyo.Constraint(model.R, rule=lambda m, t, k: sum(
        m.y[key] for arc in network.arcs_into((t, k))
        for key in network.modules_of(arc.site_id, k)) + _s(slack, (t, k)) >= level)


def _group_pairs(pairs) -> tuple[dict[str, list], dict[str, list]]:
    """(contributor, site) pairs grouped by site and by contributor."""
    by_site: dict[str, list[tuple[str, str]]] = defaultdict(list)
    by_contributor: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for contributor, site in pairs:
        by_site[site].append((contributor, site))
        by_contributor[contributor].append((contributor, site))
    return by_site, by_contributor


def add_staffing(model, network: Network) -> None:
    """§3.1 staffing: Σ_c p_cs ≥ Σ_{m ∈ M(s)} staff_m·y_m at every site needing staff;
    Σ_{s in country n} p_cs ≤ Permissions max_staff(c, n); Σ_s p_cs ≤ max_staff(c)."""
    scenario = network.scenario
    if not scenario.contributors:
        return
    staffers, by_contributor = _group_pairs(model.CS)
    needy = [s for s in model.S
             if any(network.modules[k].staff > 0 for k in network.modules_of(s))]
    staff_scale = slack_scales(network)["staff"] if model.elastic else 1.0
    slack = add_slack(model, "staffing", needy, "personnel", staff_scale)
    model.staffing = pyo.Constraint(pyo.Set(initialize=needy, ordered=True), rule=lambda m, s: (
        sum(m.p[pair] for pair in staffers[s]) + _s(slack, s)
        >= sum(network.modules[k].staff * m.y[k] for k in network.modules_of(s))))

    country_caps = {(p.contributor_id, p.country): p.max_staff for p in scenario.permissions
                    if p.may_staff and p.max_staff is not None}
    in_country = {key: [pair for pair in by_contributor[key[0]]
                        if network.sites[pair[1]].country == key[1]] for key in country_caps}
    capped = sorted(k for k in country_caps if in_country[k])
    country_slack = add_slack(model, "staffing_country_cap", capped, "personnel", staff_scale)
    model.staffing_country_cap = pyo.Constraint(
        pyo.Set(initialize=capped, dimen=2, ordered=True),
        rule=lambda m, c, n: sum(m.p[pair] for pair in in_country[(c, n)])
        - _s(country_slack, (c, n)) <= country_caps[(c, n)])
    caps = {c.contributor_id: c.max_staff for c in scenario.contributors
            if c.max_staff is not None}
    capped_contributors = sorted(c for c in caps if by_contributor[c])
    cap_slack = add_slack(model, "staffing_contributor_cap", capped_contributors, "personnel",
                          staff_scale)
    model.staffing_contributor_cap = pyo.Constraint(
        pyo.Set(initialize=capped_contributors, ordered=True),
        rule=lambda m, c: sum(m.p[pair] for pair in by_contributor[c]) - _s(cap_slack, c)
        <= caps[c])


def add_funding(model, network: Network) -> None:
    """§3.1 funding: Σ_c f_cs = site_cost_s·z_s + Σ_{m ∈ M(s)} fixed_cost_m·y_m at every
    site with costs; Σ_s f_cs ≤ max_budget(c)."""
    scenario = network.scenario
    if not scenario.contributors:
        return
    funders, by_contributor = _group_pairs(model.CF)
    costly = [s for s in model.S if network.sites[s].site_cost > 0
              or any(network.modules[k].fixed_cost > 0 for k in network.modules_of(s))]
    money = slack_scales(network)["money"] if model.elastic else 1.0
    slack = add_slack(model, "funding", costly, "currency/year", money)
    model.funding = pyo.Constraint(pyo.Set(initialize=costly, ordered=True), rule=lambda m, s: (
        sum(m.f[pair] for pair in funders[s]) + _s(slack, s)
        == network.sites[s].site_cost * m.z[s]
        + sum(network.modules[k].fixed_cost * m.y[k] for k in network.modules_of(s))))
    caps = {c.contributor_id: c.max_budget for c in scenario.contributors
            if c.max_budget is not None}
    capped = sorted(c for c in caps if by_contributor[c])
    cap_slack = add_slack(model, "funding_contributor_cap", capped, "currency/year", money)
    model.funding_contributor_cap = pyo.Constraint(
        pyo.Set(initialize=capped, ordered=True),
        rule=lambda m, c: sum(m.f[pair] for pair in by_contributor[c]) - _s(cap_slack, c)
        <= caps[c])


def service_demand(network: Network) -> dict[str, float]:
    """D_k: total active demand of each service (units/period)."""
    totals: dict[str, float] = defaultdict(float)
    for (_, service), row in network.demand.items():
        totals[service] += row.quantity
    return dict(totals)


def add_site_share(model, network: Network) -> None:
    """(11) Σ_{r of service k} x_sr ≤ max_share_per_site·D_k: no site holds more than
    this share of a service's total demand (threat: do not put every egg in one basket).

    Elastic: − slack_site_share[s,k] (units/period; scale D_k)."""
    share = network.scenario.settings.max_share_per_site
    if share is None:
        return
    totals = service_demand(network)
    pairs = _site_services_with_arcs(network)
    slack = add_slack(model, "site_share", pairs, "units/period", lambda p: totals[p[1]])
    model.site_share = pyo.Constraint(
        pyo.Set(initialize=pairs, dimen=2, ordered=True),
        rule=lambda m, s, k: sum(m.x[a.key] for a in network.arcs_from(s, k))
        - _s(slack, (s, k)) <= share * totals[k])


def loss_sites(network: Network) -> list[str]:
    """Sites that can be lost (§3.2): those with at least one usable arc. A site
    without arcs serves nothing, so losing it changes nothing."""
    return sorted({arc.site_id for arc in network.arcs.values()})


def loss_cases(network: Network, sites: Iterable[str] | None = None) -> list[LossCase]:
    """The §3.2 loss cases over ``sites`` (default: every loss site): with
    resilience_losses L = 1 each site alone, with L = 2 each pair of sites. With
    fewer than L sites, the one case of losing all of them.

    Losing more sites is never easier (the flows that survive a pair's loss also
    survive the loss of either site alone), and a closed site carries nothing: so
    a plan survives every loss case of all candidate sites exactly when it
    survives the loss cases of its open sites — which is what the lazy solve
    (:mod:`hubopt.solver.losses`) adds and checks."""
    chosen = sorted(set(loss_sites(network) if sites is None else sites))
    size = network.scenario.settings.resilience_losses
    if len(chosen) < size:
        return [tuple(chosen)] if chosen else []
    return list(combinations(chosen, size))


def loss_label(case: LossCase) -> str:
    """The index of a loss case in the model: the site id, or "A & B" for a pair."""
    return " & ".join(case)


def add_resilience(model, network: Network, cases: Iterable[LossCase] | None = None) -> None:
    """§3.2 resilience (resilience = α > 0). For every loss case t (a site, or a pair
    of sites with resilience_losses = 2; label ``loss_label``), flows x^t_sr ≥ 0
    over the usable arcs of the sites t does not lose, such that

    - resilience_demand:   Σ_{s∉t} x^t_sr ≥ α·q_r                for r ∈ R;
    - resilience_capacity: Σ_{r of k} x^t_sr ≤ Σ_{m∈M(s,k)} cap_m·y_m  for s ∉ t.

    The design y must survive every loss case. ``cases`` (default: every case of
    :func:`loss_cases`) builds only those; :func:`add_loss_cases` adds more later,
    with the same rules (the lazy solve starts from none). Elastic: every case, +
    slack_resilience_demand[t,r] (units/period; scale q_r).
    """
    alpha = network.scenario.settings.resilience
    if alpha <= 0:
        return
    cases = loss_cases(network) if cases is None or model.elastic else list(cases)
    model.T = pyo.Set(ordered=True, doc="loss cases (the sites lost together)")
    model.XT = pyo.Set(dimen=4, ordered=True,
                       doc="arcs usable in loss case t: (t, site, sector, service)")
    model.xt = pyo.Var(model.XT, within=pyo.NonNegativeReals,
                       doc="units served per period in loss case t")
    model.TR = pyo.Set(dimen=3, ordered=True, doc="(loss case, sector, service)")
    model.TK = pyo.Set(dimen=3, ordered=True, doc="(loss case, site, service)")
    model.resilience_demand = pyo.Constraint(model.TR)
    model.resilience_capacity = pyo.Constraint(model.TK)
    model.loss_cases = {}
    rows = [(loss_label(case), *r) for case in cases for r in network.demand]
    add_slack(model, "resilience_demand", rows, "units/period",
              lambda i: network.demand[i[1:]].quantity)
    add_loss_cases(model, network, cases)


def add_loss_cases(model, network: Network, cases: Iterable[LossCase]) -> list:
    """Add the flows and rows of ``cases`` not yet in the model (see
    :func:`add_resilience`); return the new constraints, in model order."""
    alpha = network.scenario.settings.resilience
    slack = model.component("slack_resilience_demand")
    added = []
    for case in cases:
        label = loss_label(case)
        if label in model.loss_cases:
            continue
        model.loss_cases[label] = case
        model.T.add(label)
        lost = set(case)
        for key in network.arcs:
            if key[0] not in lost:
                model.XT.add((label, *key))
        for row in network.demand:
            arcs = [a.key for a in network.arcs_into(row) if a.site_id not in lost]
            if not arcs and slack is None:
                raise ValueError(f"demand row {row} is reached only from {case}; "
                                 "run the pre-solve checks")
            model.TR.add((label, *row))
            added.append(model.resilience_demand.add(
                (label, *row), sum(model.xt[label, *a] for a in arcs)
                + _s(slack, (label, *row)) >= alpha * network.demand[row].quantity))
        for s, k in _site_services_with_arcs(network):
            if s in lost:
                continue
            model.TK.add((label, s, k))
            added.append(model.resilience_capacity.add(
                (label, s, k), sum(model.xt[label, *a.key] for a in network.arcs_from(s, k))
                <= sum(network.modules[m].capacity * model.y[m]
                       for m in network.modules_of(s, k))))
    return added


# -- MIP start (SPEC §3.3) --------------------------------------------------------------

def start_values(model, network: Network, previous_plan: Iterable[ModuleKey]) -> ComponentMap:
    """The previous plan as values of the discrete variables, for a MIP start:
    y_m = 1 for m ∈ P ∩ M, else 0; z_s = 1 when some y_m of site s is 1, else 0.
    Flows (and a_sr, p_cs, f_cs) are left to the solver to complete."""
    kept = set(previous_plan) & set(network.modules)
    open_sites = {m[0] for m in kept}
    values = ComponentMap((model.y[m], 1.0 if m in kept else 0.0) for m in model.M)
    values.update((model.z[s], 1.0 if s in open_sites else 0.0) for s in model.S)
    return values
