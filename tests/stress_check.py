"""An independent re-computation of the Stress table from a plan's result tables.

It reads only the scenario's input records and the Hubs and Flows tables (as in
the result workbook), recomputes route hours with plan_check's plain math, and
solves the loss of each open site with highspy's own modelling API (no Pyomo,
no hubopt model code): the same two phases as documented in hubopt/studies/stress.py.
"""

from __future__ import annotations

from collections import defaultdict

import highspy
import pandas as pd
from plan_check import plain_road_km, route_hours

from hubopt.inputs.instance import Scenario


def _cost_per_unit(scenario: Scenario, site_id: str, sector_id: str) -> float:
    """SPEC §2.7 cost per unit of a pair, recomputed with plain math."""
    row = next((r for r in scenario.routes
                if (r.site_id, r.sector_id) == (site_id, sector_id)), None)
    if row is not None and row.cost_per_unit is not None:
        return row.cost_per_unit
    km = plain_road_km(scenario, site_id, sector_id)
    return km * scenario.settings.transport_cost_per_unit_km


def recompute_stress(scenario: Scenario, hubs: pd.DataFrame,
                     flows: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per lost site: unserved per service, avg/max hours rise and cost rise."""
    s = scenario.settings
    sites = {x.site_id: x for x in scenario.sites}
    sectors = {x.sector_id: x for x in scenario.sectors}
    demand = {(d.sector_id, d.service): d for d in scenario.demand if d.quantity > 0
              and (s.ceasefire or not sectors[d.sector_id].requires_ceasefire)}
    capacity: dict[tuple[str, str], float] = defaultdict(float)
    for h in hubs.itertuples():
        capacity[(h.site_id, h.service)] += float(h.capacity)
    base_served = float(flows["quantity"].sum())
    base_avg = float((flows["quantity"] * flows["hours"]).sum()) / base_served
    base_max = float(flows["hours"].max())
    base_cost = float((flows["quantity"] * flows["cost_per_unit"]).sum())
    result = {}
    for lost in sorted(set(hubs["site_id"])):
        arcs = []
        for (sector, service), row in demand.items():
            for (site, k), _ in capacity.items():
                if k != service or site == lost:
                    continue
                hours = route_hours(scenario, site, sector)
                if hours is None or (row.max_hours is not None and hours > row.max_hours):
                    continue
                unit = (_cost_per_unit(scenario, site, sector)
                        + s.value_of_time * row.priority * hours
                        + s.value_at_risk * sites[site].threat)
                arcs.append((site, sector, service, hours, unit))
        h = highspy.Highs()
        h.silent()
        x = [h.addVariable(lb=0) for _ in arcs]
        u = {r: h.addVariable(lb=0) for r in demand}
        for r, row in demand.items():
            h.addConstr(sum((x[i] for i, a in enumerate(arcs) if a[1:3] == r), u[r])
                        == row.quantity)
        for key, cap in capacity.items():
            used = [x[i] for i, a in enumerate(arcs) if (a[0], a[2]) == key]
            if used:
                h.addConstr(sum(used[1:], used[0]) <= cap)
        shortfall = sum((row.priority * u[r] for r, row in demand.items()), 0)
        h.minimize(shortfall)
        least = h.getInfo().objective_function_value
        h.addConstr(shortfall <= least + 1e-7 * max(1.0, least))
        h.minimize(sum((a[4] * x[i] for i, a in enumerate(arcs)), 0))
        values = [h.val(v) for v in x]
        served = sum(values)
        unserved = defaultdict(float)
        for r, row in demand.items():
            got = sum(v for v, a in zip(values, arcs) if a[1:3] == r)
            unserved[r[1]] += max(0.0, row.quantity - got) if row.quantity - got > 1e-6 * \
                row.quantity else 0.0
        used = [a[3] for v, a in zip(values, arcs) if v > 1e-6 * demand[a[1:3]].quantity]
        result[lost] = {
            "unserved": dict(unserved),
            "avg_hours_rise": (sum(v * a[3] for v, a in zip(values, arcs)) / served - base_avg)
            if served else None,
            "max_hours_rise": max(used) - base_max if used else None,
            # blank when demand goes unserved: the fall in cost is not a saving
            "cost_rise": None if sum(unserved.values()) > 0 else
            sum(v * _cost_per_unit(scenario, a[0], a[1]) for v, a in zip(values, arcs))
            - base_cost,
        }
    return result
