"""Turn a solved model into tidy tables and the SPEC §5 summary.

Tables are pandas DataFrames keyed by input ids, one row per open module,
flow, demand row, staffing or funding assignment. Units are in the column
docs of :data:`TABLE_COLUMNS`. Values below :data:`FLOW_TOLERANCE` of a
row's quantity are solver noise and dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
import pyomo.environ as pyo

from ..errors import Issue
from ..inputs.instance import Scenario
from ..model.burden import CAP_COLUMN, KINDS, contributor_weights, fair_shares, plan_need
from ..model.network import Network
from ..solver.outcome import PLAN_STATUSES, SolveOutcome

FLOW_TOLERANCE = 1e-6   # relative to the demand row's quantity (SPEC §3 max_hours)
BINARY_THRESHOLD = 0.5

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "hubs": ("site_id", "name", "country", "service", "size", "capacity", "used",
             "utilisation", "fixed_cost", "staff"),
    "flows": ("site_id", "sector_id", "service", "quantity", "hours", "cost_per_unit"),
    "sectors": ("sector_id", "name", "service", "quantity", "served", "avg_hours",
                "max_hours", "max_hours_limit", "shortfall"),
    "staffing": ("contributor_id", "site_id", "country", "amount"),
    "funding": ("contributor_id", "site_id", "country", "amount"),
    "contributors": ("contributor_id", "name", "staff", "staff_weight", "staff_per_weight",
                     "staff_fair_share", "max_staff", "staff_bound_by", "funding",
                     "money_weight", "money_per_weight", "money_fair_share", "max_budget",
                     "money_bound_by"),
}

SUMMARY_KEYS = ("scenario", "status", "objective", "total_cost", "hub_cost", "transport_cost",
                "time_cost", "risk_cost", "stability_cost", "avg_hours", "max_hours",
                "open_sites", "open_modules", "staff_required", "shortfall", "burden_sharing",
                "max_staff_per_weight", "max_money_per_weight", "mip_gap",
                "solve_seconds", "total_seconds", "output")


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame(columns=list(TABLE_COLUMNS[name]))


@dataclass(frozen=True)
class Plan:
    """The outcome of one solve: status, summary figures and tidy result tables.

    Immutable once extracted: a later stage derives a new Plan
    (``dataclasses.replace``, :meth:`written_to`) instead of patching this one.

    ``diagnosis`` lists why no plan exists (empty when one does); ``warnings``
    carries validation and network notes; ``run`` records what produced it.
    ``stress`` is the loss-of-one-site table (:mod:`hubopt.stress`);
    ``resilience`` compares it with the plan solved without resilience.
    ``relaxed`` marks the tables as the elastic re-solve's plan (status
    ``infeasible``): shown for diagnosis, NOT a feasible plan (§3.4).
    """

    scenario: Scenario
    status: str
    summary: dict[str, Any]
    hubs: pd.DataFrame = field(default_factory=lambda: _empty("hubs"))
    flows: pd.DataFrame = field(default_factory=lambda: _empty("flows"))
    sectors: pd.DataFrame = field(default_factory=lambda: _empty("sectors"))
    staffing: pd.DataFrame = field(default_factory=lambda: _empty("staffing"))
    funding: pd.DataFrame = field(default_factory=lambda: _empty("funding"))
    contributors: pd.DataFrame = field(default_factory=lambda: _empty("contributors"))
    diagnosis: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)
    changes: pd.DataFrame | None = None  # against a previous plan (hubopt.changes)
    stress: pd.DataFrame = field(default_factory=pd.DataFrame)
    resilience: pd.DataFrame = field(default_factory=pd.DataFrame)
    relaxed: bool = False

    @property
    def has_plan(self) -> bool:
        return self.status in PLAN_STATUSES

    def written_to(self, path) -> Plan:
        """This plan with the summary's ``output``: the result workbook it was written to."""
        return replace(self, summary={**self.summary, "output": str(path)})


def empty_summary(scenario: Scenario, status: str) -> dict[str, Any]:
    summary: dict[str, Any] = dict.fromkeys(SUMMARY_KEYS)
    summary.update(scenario=scenario.name, status=status)
    return summary


def extract_plan(model, network: Network, outcome: SolveOutcome) -> Plan:
    """Read the loaded solution of ``model`` into a Plan (the solve must have a plan)."""
    flows = _flows(model, network)
    hubs = _hubs(model, network, flows)
    tables = {"hubs": hubs, "flows": flows, "sectors": _sectors(network, flows)}
    summary = _summary(model, network, outcome, tables)
    plan = Plan(network.scenario, outcome.status, summary, **tables)
    if not network.scenario.contributors:
        return plan
    opened = open_module_keys(hubs)
    return with_contributions(plan, network,
                              assignments(model, network, "p", "CS", opened),
                              assignments(model, network, "f", "CF", opened), rule="none")


def _flows(model, network: Network) -> pd.DataFrame:
    rows = []
    for key in model.A:
        value = pyo.value(model.x[key])
        if value > FLOW_TOLERANCE * network.demand[key[1:]].quantity:
            arc = network.arcs[key]
            rows.append((arc.site_id, arc.sector_id, arc.service, value, arc.hours,
                         arc.cost_per_unit))
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS["flows"])) if rows else _empty("flows")


def _hubs(model, network: Network, flows: pd.DataFrame) -> pd.DataFrame:
    used = flows.groupby(["site_id", "service"])["quantity"].sum().to_dict() if len(flows) else {}
    rows = []
    for key in model.M:
        if pyo.value(model.y[key]) <= BINARY_THRESHOLD:
            continue
        module, site = network.modules[key], network.sites[key[0]]
        load = float(used.get(key[:2], 0.0))
        rows.append((site.site_id, site.label, site.country, module.service, module.size,
                     module.capacity, load, load / module.capacity, module.fixed_cost,
                     module.staff))
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS["hubs"])) if rows else _empty("hubs")


def _sectors(network: Network, flows: pd.DataFrame) -> pd.DataFrame:
    by_row = {key: group for key, group in flows.groupby(["sector_id", "service"])} \
        if len(flows) else {}
    rows = []
    # demand rows of this run first, then those without demand this run (their sector
    # requires a ceasefire, or it is inactive): charts of the table stop at the first
    for demand in sorted(network.scenario.demand,
                         key=lambda d: (d.key not in network.demand, d.key)):
        sector = network.sectors.get(demand.sector_id)
        active = demand.key in network.demand
        group = by_row.get(demand.key)
        served = float(group["quantity"].sum()) if group is not None else 0.0
        avg = float((group["quantity"] * group["hours"]).sum() / served) if served else None
        longest = float(group["hours"].max()) if group is not None else None
        rows.append((demand.sector_id, sector.label if sector else demand.sector_id,
                     demand.service, demand.quantity if active else 0.0, served, avg, longest,
                     demand.max_hours, _shortfall(demand.quantity if active else 0.0, served)))
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS["sectors"]))


def _shortfall(quantity: float, served: float) -> float:
    """quantity − served, with the solver's round-off (below 1e-9 relative) as 0."""
    missing = quantity - served
    return missing if missing > 1e-9 * max(1.0, quantity) else 0.0


def open_module_keys(hubs: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The (site_id, service, size) of every module in a Hubs table."""
    return list(zip(hubs["site_id"], hubs["service"], hubs["size"]))


def assignments(model, network: Network, variable: str, index: str,
                open_modules) -> pd.DataFrame:
    """The Staffing (``p`` over ``CS``) or Funding (``f`` over ``CF``) table of a
    solved model: amounts above 1e-6 at the plan's open sites (elsewhere p and f
    are free of every rule and mean nothing)."""
    sites = {key[0] for key in open_modules}
    rows = []
    for contributor, site_id in getattr(model, index):
        amount = pyo.value(getattr(model, variable)[contributor, site_id])
        if amount > 1e-6 and site_id in sites:
            rows.append((contributor, site_id, network.sites[site_id].country, amount))
    name = "staffing" if variable == "p" else "funding"
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS[name])) if rows else _empty(name)


def with_contributions(plan: Plan, network: Network, staffing: pd.DataFrame,
                       funding: pd.DataFrame, rule: str) -> Plan:
    """``plan`` with these Staffing and Funding tables, its Contributors table and
    the Summary's burden-sharing figures (``rule``: how the split was made, §3.1a)."""
    opened = open_module_keys(plan.hubs)
    contributors = contributor_table(network, opened, staffing, funding)
    largest = {kind: (float(contributors[f"{kind}_per_weight"].max())
                      if len(contributors) else 0.0) for kind in KINDS}
    summary = {**plan.summary, "burden_sharing": rule,
               "max_staff_per_weight": largest["staff"],
               "max_money_per_weight": largest["money"]}
    return replace(plan, staffing=staffing, funding=funding, contributors=contributors,
                   summary=summary)


def contributor_table(network: Network, open_modules, staffing: pd.DataFrame,
                      funding: pd.DataFrame) -> pd.DataFrame:
    """Per contributor: what it gives (staff in personnel, funding in currency/year),
    its weight w_c (§3.1a), its load per weight, its fair share (N·w_c / Σ w: what
    it would give if everyone gave exactly in proportion), its cap and which rule
    keeps its load where it is (:func:`_bound_by`)."""
    scenario = network.scenario
    given = {"staff": _totals(staffing), "money": _totals(funding)}
    by_site = {"staff": _by_site(staffing), "money": _by_site(funding)}
    weights = {kind: contributor_weights(scenario, kind) for kind in KINDS}
    need = {kind: plan_need(network, open_modules, kind) for kind in KINDS}
    fair = {kind: fair_shares(scenario, sum(need[kind].values()), kind) for kind in KINDS}
    ratio = {kind: {c: given[kind].get(c, 0.0) / fair[kind][c]
                    for c in fair[kind] if fair[kind][c] > 0} for kind in KINDS}
    top = {kind: max(ratio[kind].values(), default=0.0) for kind in KINDS}
    amount_column = {"staff": "staff", "money": "funding"}
    rows = []
    for c in sorted(scenario.contributors, key=lambda c: c.contributor_id):
        cid = c.contributor_id
        record = {"contributor_id": cid, "name": c.name or cid}
        for kind in KINDS:
            load, weight = given[kind].get(cid, 0.0), weights[kind][cid]
            record.update({
                amount_column[kind]: load, f"{kind}_weight": weight,
                f"{kind}_per_weight": load / weight if weight > 0 else None,
                f"{kind}_fair_share": fair[kind][cid],
                CAP_COLUMN[kind]: getattr(c, CAP_COLUMN[kind]),
                f"{kind}_bound_by": _bound_by(network, c, kind, load, ratio[kind].get(cid),
                                              top[kind], need[kind], by_site[kind])})
        rows.append(record)
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS["contributors"]))


def _totals(table: pd.DataFrame) -> dict[str, float]:
    return table.groupby("contributor_id")["amount"].sum().to_dict() if len(table) else {}


def _by_site(table: pd.DataFrame) -> dict[tuple[str, str], float]:
    if not len(table):
        return {}
    return table.groupby(["contributor_id", "site_id"])["amount"].sum().to_dict()


def _bound_by(network: Network, contributor, kind: str, load: float, ratio: float | None,
              top: float, need: dict[str, float], by_site: dict) -> str:
    """Why the contributor gives what it gives, the first that applies: its cap
    (``max_staff``, ``max_budget``); the largest load per weight of the plan (``the
    common level``, the min-max of §3.1a); its cap in a country (``max_staff in
    POL``); its permissions (it may serve none of the open sites, or gives all that
    those it may serve need); else ``others' limits`` (its level is set below the
    common one by what the contributors it shares sites with may give)."""
    cid = contributor.contributor_id
    tolerance = 1e-6
    cap = getattr(contributor, CAP_COLUMN[kind])
    if cap is not None and load >= cap - tolerance * max(1.0, cap):
        return CAP_COLUMN[kind]
    if ratio is not None and ratio > 0 and ratio >= top - tolerance * max(1.0, top):
        return "the common level"
    if kind == "staff":
        for permit in network.scenario.permissions:
            if permit.contributor_id != cid or not permit.may_staff or permit.max_staff is None:
                continue
            there = sum(amount for (c, site), amount in by_site.items()
                        if c == cid and network.sites[site].country == permit.country)
            if there >= permit.max_staff - tolerance * max(1.0, permit.max_staff):
                return f"max_staff in {permit.country}"
    flag = "may_staff" if kind == "staff" else "may_fund"
    allowed = {p.country for p in network.scenario.permissions
               if p.contributor_id == cid and getattr(p, flag)}
    sites = [s for s in need if network.sites[s].country in allowed]
    if not sites:
        return f"no open site it {flag.replace('_', ' ')}"
    if all(by_site.get((cid, s), 0.0) >= need[s] - tolerance * max(1.0, need[s])
           for s in sites):
        return f"all that the sites it {flag.replace('_', ' ')} need"
    return "others' limits"


def _summary(model, network: Network, outcome: SolveOutcome,
             tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    flows, hubs, sectors = tables["flows"], tables["hubs"], tables["sectors"]
    served = float(flows["quantity"].sum()) if len(flows) else 0.0
    hub_cost = float(pyo.value(model.hub_cost))
    transport = float(pyo.value(model.transport_cost))
    summary = empty_summary(network.scenario, outcome.status)
    summary.update(
        objective=float(outcome.objective),
        total_cost=hub_cost + transport,
        hub_cost=hub_cost,
        transport_cost=transport,
        time_cost=float(pyo.value(model.time_cost)),
        risk_cost=float(pyo.value(model.risk_cost)),
        stability_cost=float(pyo.value(model.stability_cost)),
        avg_hours=float((flows["quantity"] * flows["hours"]).sum() / served) if served else 0.0,
        max_hours=float(flows["hours"].max()) if len(flows) else 0.0,
        open_sites=int(hubs["site_id"].nunique()) if len(hubs) else 0,
        open_modules=len(hubs),
        staff_required=float(hubs["staff"].sum()) if len(hubs) else 0.0,
        shortfall=float(sectors["shortfall"].sum()) if len(sectors) else 0.0,
        mip_gap=outcome.gap,
        solve_seconds=outcome.seconds,
    )
    return summary
