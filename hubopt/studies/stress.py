"""Stress test of a solved plan: lose open sites, re-route, measure the damage.

For each open site t of the plan in turn — and, with Settings resilience_losses
= 2, each pair of open sites lost together (t = "A & B", the salvo case of §3.2)
— the other open modules stay as they are (no new hub can open in time) and
the demand is re-routed by a small LP over the usable arcs from the remaining
open modules:

    stress_demand[r]:     Σ_{s∉t} x_sr + u_r = q_r          r ∈ R
    stress_capacity[s,k]: Σ_{r of k} x_sr ≤ Σ_{m open at (s,k)} cap_m     s ∉ t
    x ≥ 0, u ≥ 0 (u_r: units/period of row r left unserved)

solved in two phases: first minimise the priority-weighted shortfall
Σ π_r·u_r, then, holding that, the flow part of the plan's objective
Σ (cost_per_unit + value_of_time·π_r·h_sr + value_at_risk·θ_s)·x_sr, so the
re-routing is the one the planning model itself would choose.

Reported per loss (one row of the ``Stress`` sheet, SPEC §5 JSON ``stress``; the
``site_id`` of a pair is "A & B", its name and country joined the same way):

* ``unserved`` (units/period, all services) and ``unserved_<service>``;
* ``unserved_share``: the mean over services of unserved_k / D_k (0–1), so that
  services in different units weigh alike;
* ``avg_hours_rise``, ``max_hours_rise`` (h): rise of the quantity-weighted
  average and of the longest resupply time over the served flows (blank when
  nothing is served any more);
* ``cost_rise`` (currency/year): rise of total_cost when all demand is still
  served. The lost hub's costs are still paid and every other module stays
  open, so this is the rise of transport_cost. Blank when demand goes unserved:
  that demand no longer travels, so the cost would *fall* and read as a saving;
  ``cost_note`` then says so and the damage is the unserved demand.

Rows are sorted by damage: unserved_share, then cost_rise, then avg_hours_rise,
all descending; ``rank`` 1 is the hub to protect first.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import pandas as pd
import pyomo.environ as pyo

from ..model.build import arc_unit_cost, loss_label
from ..model.network import Network
from ..outputs.results import FLOW_TOLERANCE, Plan
from ..solver.session import Session, SolveOptions

BASE_COLUMNS = ("rank", "site_id", "name", "country", "unserved", "unserved_share")
TAIL_COLUMNS = ("avg_hours_rise", "max_hours_rise", "cost_rise", "cost_note")
PHASE_TOLERANCE = 1e-7  # relative slack on the phase-1 shortfall held in phase 2


def stress_columns(services: list[str]) -> list[str]:
    return [*BASE_COLUMNS, *(f"unserved_{k}" for k in services), *TAIL_COLUMNS]


def open_capacity(plan: Plan) -> dict[tuple[str, str], float]:
    """Open capacity per (site, service) from the plan's Hubs table."""
    capacity: dict[tuple[str, str], float] = defaultdict(float)
    for row in plan.hubs.itertuples(index=False):
        capacity[(row.site_id, row.service)] += float(row.capacity)
    return dict(capacity)


def stress_test(plan: Plan, network: Network, *, time_limit: float = 60.0) -> pd.DataFrame:
    """The Stress table of ``plan`` (a solved plan over ``network``), sorted by damage."""
    services = network.services
    columns = stress_columns(services)
    cases = stress_cases(plan, network)
    if not cases:
        return pd.DataFrame(columns=columns)
    capacity = open_capacity(plan)
    totals: dict[str, float] = defaultdict(float)
    for (_, service), row in network.demand.items():
        totals[service] += row.quantity
    base = plan.summary
    rows = []
    for case in cases:
        flows = reroute(network, capacity, case, time_limit=time_limit)
        unserved = {k: 0.0 for k in services}
        served_by_row: dict[tuple[str, str], float] = defaultdict(float)
        for key, quantity in flows.items():
            served_by_row[key[1:]] += quantity
        for key, row in network.demand.items():
            short = row.quantity - served_by_row[key]
            if short > FLOW_TOLERANCE * row.quantity:  # smaller is solver noise
                unserved[key[1]] += short
        served = sum(flows.values())
        hours = sum(network.arcs[a].hours * q for a, q in flows.items())
        used = [network.arcs[a].hours for a, q in flows.items()
                if q > FLOW_TOLERANCE * network.demand[a[1:]].quantity]
        transport = network.scenario.settings.periods_per_year * sum(
            network.arcs[a].cost_per_unit * q for a, q in flows.items())   # per year
        shares = [unserved[k] / totals[k] for k in services if totals[k] > 0]
        rows.append({
            "rank": 0, "site_id": loss_label(case), **case_labels(network, case),
            "unserved": sum(unserved.values()),
            "unserved_share": sum(shares) / len(shares) if shares else 0.0,
            **{f"unserved_{k}": unserved[k] for k in services},
            "avg_hours_rise": hours / served - float(base["avg_hours"]) if served else None,
            "max_hours_rise": max(used) - float(base["max_hours"]) if used else None,
            **_cost_rise(transport, float(base["transport_cost"]), sum(unserved.values())),
        })
    frame = pd.DataFrame(rows, columns=columns)
    frame["cost_rise"] = pd.to_numeric(frame["cost_rise"])   # blank: NaN, sorted first
    frame = frame.sort_values(["unserved_share", "cost_rise", "avg_hours_rise", "site_id"],
                              ascending=[False, False, False, True], kind="stable",
                              na_position="first")
    frame["rank"] = range(1, len(frame) + 1)
    return frame.reset_index(drop=True)


def stress_cases(plan: Plan, network: Network) -> list[tuple[str, ...]]:
    """The losses the stress test tries: each open site, and with resilience_losses
    = 2 also each pair of open sites."""
    open_sites = sorted(set(plan.hubs["site_id"])) if len(plan.hubs) else []
    cases = [(site,) for site in open_sites]
    if network.scenario.settings.resilience_losses == 2:
        cases += list(combinations(open_sites, 2))
    return cases


def case_labels(network: Network, case: tuple[str, ...]) -> dict[str, str]:
    """``name`` and ``country`` of a loss: the site's, or both sites' joined by " & "."""
    sites = [network.sites[s] for s in case]
    countries = list(dict.fromkeys(site.country for site in sites))
    return {"name": " & ".join(site.label for site in sites), "country": " & ".join(countries)}


def _cost_rise(transport: float, base: float, unserved: float) -> dict:
    """``cost_rise`` and ``cost_note`` of one loss (module docstring)."""
    if unserved > 0:
        return {"cost_rise": None,
                "cost_note": f"{unserved:,.4g} units/period unserved: not a saving"}
    return {"cost_rise": _clean(transport - base, base), "cost_note": None}


def _clean(value: float, scale: float) -> float:
    """``value`` with HiGHS's feasibility noise (relative 1e-6) set to 0."""
    return 0.0 if abs(value) <= FLOW_TOLERANCE * max(1.0, abs(scale)) else value


def reroute(network: Network, capacity: dict[tuple[str, str], float], lost: tuple[str, ...],
            *, time_limit: float = 60.0) -> dict[tuple[str, str, str], float]:
    """Flows (arc key → units/period) after the loss of the sites ``lost`` together,
    with the open capacity of the other sites fixed (the two-phase LP of this
    module's docstring)."""
    arcs = [a for a in network.arcs.values()
            if a.site_id not in lost and capacity.get((a.site_id, a.service), 0.0) > 0]
    label = loss_label(lost)
    if not arcs:
        return {}
    model = pyo.ConcreteModel(name=f"stress_{label}")
    model.A = pyo.Set(initialize=[a.key for a in arcs], dimen=3, ordered=True)
    model.R = pyo.Set(initialize=list(network.demand), dimen=2, ordered=True)
    model.x = pyo.Var(model.A, within=pyo.NonNegativeReals)
    model.u = pyo.Var(model.R, within=pyo.NonNegativeReals)
    into: dict[tuple[str, str], list] = defaultdict(list)
    out: dict[tuple[str, str], list] = defaultdict(list)
    for arc in arcs:
        into[arc.demand_key].append(arc.key)
        out[(arc.site_id, arc.service)].append(arc.key)
    model.stress_demand = pyo.Constraint(model.R, rule=lambda m, t, k: (
        sum(m.x[a] for a in into[(t, k)]) + m.u[t, k] == network.demand[(t, k)].quantity))
    model.stress_capacity = pyo.Constraint(
        pyo.Set(initialize=sorted(out), dimen=2, ordered=True),
        rule=lambda m, s, k: sum(m.x[a] for a in out[(s, k)]) <= capacity[(s, k)])
    shortfall = sum(network.demand[r].priority * model.u[r] for r in model.R)
    model.shortfall = pyo.Objective(expr=shortfall, sense=pyo.minimize)
    session = Session(model, SolveOptions(time_limit=time_limit, mip_gap=0.0))
    try:
        first = session.solve()
        if not first.has_plan:
            raise RuntimeError(f"stress LP for the loss of {label} ended {first.status}")
        least = float(first.objective)
        session.add_row(shortfall, upper=least + PHASE_TOLERANCE * max(1.0, least))
        session.set_objective(sum(arc_unit_cost(network, a) * model.x[a] for a in model.A))
        session.forget_solution()
        second = session.solve()
    finally:
        session.close()
    if not second.has_plan:
        raise RuntimeError(f"stress LP for the loss of {label} ended {second.status}")
    return {a: float(pyo.value(model.x[a])) for a in model.A if pyo.value(model.x[a]) > 0}


RESILIENCE_COLUMNS = ("site_id", "name", "country", "open_without", "unserved_without",
                      "unserved_share_without", "open_with", "unserved_with",
                      "unserved_share_with")


def resilience_table(plan: Plan, base: Plan | None) -> pd.DataFrame:
    """Per loss of the Stress tables (each site open in either plan; with
    resilience_losses = 2 also each pair): the demand left unserved (units/period,
    all services) and its share (mean over services, 0-1) when it is lost, in the
    plan solved without resilience (``base``) and in ``plan``. Sorted by
    unserved_without, then unserved_with, largest first."""
    def stressed(p: Plan | None) -> dict[str, tuple]:
        if p is None or not len(p.stress):
            return {}
        return {row.site_id: (row.name, row.country, float(row.unserved),
                              float(row.unserved_share))
                for row in p.stress.itertuples(index=False)}
    without, with_ = stressed(base), stressed(plan)
    rows = []
    for label in sorted(set(without) | set(with_)):
        name, country = (with_.get(label) or without[label])[:2]
        rows.append((label, name, country,
                     label in without, *without.get(label, (0, 0, 0.0, 0.0))[2:],
                     label in with_, *with_.get(label, (0, 0, 0.0, 0.0))[2:]))
    frame = pd.DataFrame(rows, columns=list(RESILIENCE_COLUMNS))
    return frame.sort_values(["unserved_without", "unserved_with", "site_id"],
                             ascending=[False, False, True],
                             kind="stable").reset_index(drop=True)
