"""An independent reference for resilience (SPEC §3.2), from the scenario's records
on a bare HiGHS: none of hubopt's model, network, session or loss-case code.

It covers the scenarios the resilience tests use: one service or more, Routes
rows with hours and cost (or computed routes, via plan_check), Demand
max_hours, sites without ceasefire or readiness rules, no contributors or
caps beyond capacity. For them,

- :func:`shortfall` is the least total shortfall Σ_r u_r (units/period) below
  α·q_r after losing a set of sites, with a plan's open capacity fixed: a
  transport LP with x over every allowed site–row pair in reach;
- :func:`failed_loss_sets` checks a plan's capacity against *every* set of L sites
  among all the scenario's sites (closed ones included: no shortcut);
- :func:`best_design` enumerates every choice of one size (or none) per site
  and service, prices it with hub costs plus the cheapest flows (a MIP with
  single sourcing), and returns the cheapest that survives every loss case.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import highspy
from plan_check import route_hours

TOLERANCE = 1e-6


def arcs(scenario) -> list[tuple[str, str, str, float]]:
    """(site, sector, service, cost per unit) for every usable pair."""
    services = defaultdict(set)
    for option in scenario.hub_options:
        services[option.site_id].add(option.service)
    cost = {(r.site_id, r.sector_id): r.cost_per_unit for r in scenario.routes}
    found = []
    for row in scenario.demand:
        for site in scenario.sites:
            if row.service not in services[site.site_id]:
                continue
            hours = route_hours(scenario, site.site_id, row.sector_id)
            if hours is None or (row.max_hours is not None and hours > row.max_hours):
                continue
            found.append((site.site_id, row.sector_id, row.service,
                          cost.get((site.site_id, row.sector_id)) or 0.0))
    return found


def _highs() -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def shortfall(scenario, capacity: dict[tuple[str, str], float], lost, alpha: float) -> float:
    """Least Σ_r u_r with Σ_{s∉lost} x_sr + u_r ≥ α·q_r and Σ_r x_sr ≤ capacity."""
    h = _highs()
    inf = highspy.kHighsInf
    usable = [a for a in arcs(scenario) if a[0] not in lost and capacity.get((a[0], a[2]), 0) > 0]
    rows = list(scenario.demand)
    for _ in usable:
        h.addVar(0.0, inf)
    for _ in rows:
        h.addVar(0.0, inf)
    n = len(usable)
    for i, row in enumerate(rows):
        index = [j for j, a in enumerate(usable) if (a[1], a[2]) == (row.sector_id, row.service)]
        h.addRow(alpha * row.quantity, inf, len(index) + 1, index + [n + i],
                 [1.0] * (len(index) + 1))
    for (site, service), cap in capacity.items():
        index = [j for j, a in enumerate(usable) if (a[0], a[2]) == (site, service)]
        if index:
            h.addRow(-inf, cap, len(index), index, [1.0] * len(index))
    h.changeColsCost(n + len(rows), list(range(n + len(rows))), [0.0] * n + [1.0] * len(rows))
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value


def loss_sets(scenario, together: int):
    """Every set of ``together`` sites of the scenario (all, when it has fewer)."""
    sites = sorted(s.site_id for s in scenario.sites)
    if len(sites) < together:
        return [tuple(sites)]
    return list(itertools.combinations(sites, together))


def failed_loss_sets(scenario, capacity, alpha: float, together: int) -> list[tuple]:
    """The loss sets the capacity does not survive (empty: it survives every one)."""
    return [lost for lost in loss_sets(scenario, together)
            if shortfall(scenario, capacity, set(lost), alpha)
            > TOLERANCE * sum(r.quantity for r in scenario.demand)]


def capacity_of(hubs) -> dict[tuple[str, str], float]:
    """Open capacity per (site, service) from a result's Hubs table."""
    capacity: dict[tuple[str, str], float] = defaultdict(float)
    for row in hubs.itertuples(index=False):
        capacity[(row.site_id, row.service)] += float(row.capacity)
    return dict(capacity)


def flow_cost(scenario, capacity) -> float | None:
    """Cheapest Σ cost·x serving every row exactly within capacity (None: impossible);
    with single sourcing each row from one site."""
    h = _highs()
    usable = [a for a in arcs(scenario) if capacity.get((a[0], a[2]), 0) > 0]
    single = scenario.settings.single_sourcing
    quantity = {(r.sector_id, r.service): r.quantity for r in scenario.demand}
    inf = highspy.kHighsInf
    for _ in usable:      # single sourcing: the variable is a_sr ∈ {0,1}, x = q·a
        h.addVar(0.0, 1.0 if single else inf)
    if single and usable:
        h.changeColsIntegrality(len(usable), list(range(len(usable))),
                                [highspy.HighsVarType.kInteger] * len(usable))
    scale = [quantity[(a[1], a[2])] if single else 1.0 for a in usable]
    for key, q in quantity.items():
        index = [j for j, a in enumerate(usable) if (a[1], a[2]) == key]
        if not index:
            return None
        h.addRow(1.0 if single else q, 1.0 if single else q, len(index), index,
                 [1.0] * len(index))
    for (site, service), cap in capacity.items():
        index = [j for j, a in enumerate(usable) if (a[0], a[2]) == (site, service)]
        if index:
            h.addRow(-inf, cap, len(index), index, [scale[j] for j in index])
    h.changeColsCost(len(usable), list(range(len(usable))),
                     [a[3] * scale[j] for j, a in enumerate(usable)])
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return h.getInfo().objective_function_value


def best_design(scenario, alpha: float, together: int) -> tuple[float, dict] | None:
    """(cost, capacity) of the cheapest design that serves all demand and survives
    every loss set of ``together`` sites at α; None when none does."""
    options = defaultdict(list)
    for option in scenario.hub_options:
        options[(option.site_id, option.service)].append(option)
    site_cost = {s.site_id: s.site_cost for s in scenario.sites}
    keys = sorted(options)
    best = None
    for choice in itertools.product(*[[None, *options[k]] for k in keys]):
        capacity = {k: o.capacity for k, o in zip(keys, choice, strict=True) if o is not None}
        opened = {k[0] for k, o in zip(keys, choice, strict=True) if o is not None}
        hub = sum(site_cost[s] for s in opened) + sum(o.fixed_cost for o in choice if o)
        if best is not None and hub >= best[0]:
            continue
        flows = flow_cost(scenario, capacity)
        if flows is None or (best is not None and hub + flows >= best[0]):
            continue
        if failed_loss_sets(scenario, capacity, alpha, together):
            continue
        best = (hub + flows, capacity)
    return best
