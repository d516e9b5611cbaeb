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
    "contributors": ("contributor_id", "name", "staff", "max_staff", "funding", "max_budget"),
}

SUMMARY_KEYS = ("scenario", "status", "objective", "total_cost", "hub_cost", "transport_cost",
                "time_cost", "risk_cost", "stability_cost", "avg_hours", "max_hours",
                "open_sites", "open_modules", "staff_required", "shortfall", "mip_gap",
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
    if network.scenario.contributors:
        tables["staffing"] = _assignments(model, network, "p", "CS")
        tables["funding"] = _assignments(model, network, "f", "CF")
        tables["contributors"] = _contributor_use(network, tables["staffing"],
                                                  tables["funding"])
    summary = _summary(model, network, outcome, tables)
    return Plan(network.scenario, outcome.status, summary, **tables)


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
    for demand in sorted(network.scenario.demand, key=lambda d: d.key):
        sector = network.sectors.get(demand.sector_id)
        active = demand.key in network.demand
        group = by_row.get(demand.key)
        served = float(group["quantity"].sum()) if group is not None else 0.0
        avg = float((group["quantity"] * group["hours"]).sum() / served) if served else None
        longest = float(group["hours"].max()) if group is not None else None
        rows.append((demand.sector_id, sector.label if sector else demand.sector_id,
                     demand.service, demand.quantity if active else 0.0, served, avg, longest,
                     demand.max_hours, max(0.0, (demand.quantity if active else 0.0) - served)))
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS["sectors"]))


def _assignments(model, network: Network, variable: str, index: str) -> pd.DataFrame:
    rows = []
    for contributor, site_id in getattr(model, index):
        amount = pyo.value(getattr(model, variable)[contributor, site_id])
        if amount > 1e-6:
            rows.append((contributor, site_id, network.sites[site_id].country, amount))
    name = "staffing" if variable == "p" else "funding"
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS[name])) if rows else _empty(name)


def _contributor_use(network: Network, staffing: pd.DataFrame,
                     funding: pd.DataFrame) -> pd.DataFrame:
    staff = staffing.groupby("contributor_id")["amount"].sum().to_dict() if len(staffing) else {}
    money = funding.groupby("contributor_id")["amount"].sum().to_dict() if len(funding) else {}
    rows = [(c.contributor_id, c.name or c.contributor_id, float(staff.get(c.contributor_id, 0.0)),
             c.max_staff, float(money.get(c.contributor_id, 0.0)), c.max_budget)
            for c in sorted(network.scenario.contributors, key=lambda c: c.contributor_id)]
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS["contributors"]))


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
