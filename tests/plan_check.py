"""An independent re-check of a solved plan from its result tables.

It uses only the scenario's input records and the result tables (as in the
result workbook) — never the model, the network or any hubopt helper — and
returns every violated rule of SPEC §3/§3.1 in words.
"""

from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd

from hubopt.inputs.instance import Scenario

TOL = 1e-6


def _close(a: float, b: float, rel: float = 1e-6) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def route_hours(scenario: Scenario, site_id: str, sector_id: str) -> float | None:
    """SPEC §2.7 hours of a pair, recomputed here with plain math; None if forbidden."""
    s = scenario.settings
    row = next((r for r in scenario.routes if (r.site_id, r.sector_id) == (site_id, sector_id)),
               None)
    if row is not None and not row.allowed:
        return None
    if row is None and s.missing_routes == "forbid":
        return None
    if row is not None and row.hours is not None:
        return row.hours
    site = next(x for x in scenario.sites if x.site_id == site_id)
    sector = next(x for x in scenario.sectors if x.sector_id == sector_id)
    delay = s.border_delay_hours if site.country != sector.country else 0.0
    return plain_road_km(scenario, site_id, sector_id) / s.road_speed_kmh + delay


def plain_road_km(scenario: Scenario, site_id: str, sector_id: str) -> float:
    """SPEC §2.7 road km of a pair (haversine × road_factor), with plain math."""
    site = next(x for x in scenario.sites if x.site_id == site_id)
    sector = next(x for x in scenario.sectors if x.sector_id == sector_id)
    p1, p2 = math.radians(site.latitude), math.radians(sector.latitude)
    dl = math.radians(sector.longitude - site.longitude)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h)) * scenario.settings.road_factor


def check_plan(scenario: Scenario, hubs: pd.DataFrame, flows: pd.DataFrame,
               summary: dict | None = None, staffing: pd.DataFrame | None = None,
               funding: pd.DataFrame | None = None) -> list[str]:
    """Every rule the plan breaks; an empty list means the plan is feasible."""
    s = scenario.settings
    problems: list[str] = []
    sites = {x.site_id: x for x in scenario.sites}
    sectors = {x.sector_id: x for x in scenario.sectors}
    options = {(o.site_id, o.service, str(o.size)): o for o in scenario.hub_options}

    def usable_site(site_id: str) -> bool:
        site = sites[site_id]
        return site.status != "closed" and (s.ceasefire or not site.requires_ceasefire)

    active = {(d.sector_id, d.service): d for d in scenario.demand
              if d.quantity > 0 and (s.ceasefire or not sectors[d.sector_id].requires_ceasefire)}

    # modules: usable, ready, one size per site and service
    open_modules = {(r.site_id, r.service, str(r.size)) for r in hubs.itertuples()}
    per_pair = defaultdict(list)
    for key in open_modules:
        per_pair[key[:2]].append(key)
        if key not in options:
            problems.append(f"open module {key} is not a HubOptions row")
            continue
        if not usable_site(key[0]):
            problems.append(f"module {key} opens at an unusable site")
        if s.readiness_weeks is not None and options[key].build_weeks > s.readiness_weeks:
            problems.append(f"module {key} takes longer to build than readiness_weeks")
    for pair, keys in per_pair.items():
        if len(keys) > 1:
            problems.append(f"more than one size open at {pair}")
    open_sites = {k[0] for k in open_modules}
    for site in scenario.sites:
        if site.status == "open" and usable_site(site.site_id) and site.site_id not in open_sites:
            problems.append(f"site {site.site_id} has status open but is closed")

    # demand met, arcs usable, capacity held
    served = defaultdict(float)
    load = defaultdict(float)
    sources = defaultdict(set)
    for f in flows.itertuples():
        key = (f.sector_id, f.service)
        served[key] += f.quantity
        load[(f.site_id, f.service)] += f.quantity
        sources[key].add(f.site_id)
        if key not in active:
            problems.append(f"flow to inactive demand row {key}")
            continue
        hours = route_hours(scenario, f.site_id, f.sector_id)
        if hours is None:
            problems.append(f"flow on a forbidden route {f.site_id}->{f.sector_id}")
        elif not _close(hours, f.hours):
            problems.append(f"flow {f.site_id}->{f.sector_id} reports {f.hours} h, not {hours}")
        limit = active[key].max_hours
        if limit is not None and f.hours > limit + TOL:
            problems.append(f"flow {f.site_id}->{key} takes {f.hours} h > max_hours {limit}")
    for key, row in active.items():
        if not _close(served[key], row.quantity):
            problems.append(f"demand {key}: served {served[key]} of {row.quantity}")
        if s.single_sourcing and len(sources[key]) > 1:
            problems.append(f"demand {key} has {len(sources[key])} sources under single sourcing")
    for pair, quantity in load.items():
        capacity = sum(options[k].capacity for k in per_pair.get(pair, []))
        if quantity > capacity * (1 + 1e-7) + TOL:
            problems.append(f"{pair} ships {quantity} > open capacity {capacity}")

    # site counts, country bounds, budget
    count = len(open_sites)
    if s.min_sites is not None and count < s.min_sites:
        problems.append(f"{count} open sites < min_sites {s.min_sites}")
    if s.max_sites is not None and count > s.max_sites:
        problems.append(f"{count} open sites > max_sites {s.max_sites}")
    for bound in scenario.countries:
        n = sum(1 for x in open_sites if sites[x].country == bound.country)
        if bound.min_sites is not None and n < bound.min_sites:
            problems.append(f"{bound.country}: {n} open sites < {bound.min_sites}")
        if bound.max_sites is not None and n > bound.max_sites:
            problems.append(f"{bound.country}: {n} open sites > {bound.max_sites}")
    hub_cost = (sum(sites[x].site_cost for x in open_sites)
                + sum(options[k].fixed_cost for k in open_modules if k in options))
    if s.budget is not None and hub_cost > s.budget * (1 + 1e-9) + TOL:
        problems.append(f"hub cost {hub_cost} > budget {s.budget}")

    # redundancy: open modules of the row's service within reach
    if s.redundancy > 1:
        for key, row in active.items():
            reach = [k for k in open_modules if k[1] == key[1]
                     and (h := route_hours(scenario, k[0], key[0])) is not None
                     and (row.max_hours is None or h <= row.max_hours)]
            if len(reach) < s.redundancy:
                problems.append(f"demand {key}: {len(reach)} modules in reach < {s.redundancy}")

    if scenario.contributors:
        problems += _check_contributors(scenario, sites, options, open_sites, open_modules,
                                        staffing, funding)
    if summary is not None:
        per_year = {"year": 1, "month": 12, "week": 52, "day": 365}[s.period]
        transport = per_year * float((flows["quantity"] * flows["cost_per_unit"]).sum()) \
            if len(flows) else 0
        for name, value in (("hub_cost", hub_cost), ("transport_cost", transport),
                            ("total_cost", hub_cost + transport),
                            ("open_sites", count), ("open_modules", len(open_modules))):
            if not _close(float(summary[name]), value):
                problems.append(f"summary {name} {summary[name]} != recomputed {value}")
    return problems


def _check_contributors(scenario, sites, options, open_sites, open_modules, staffing,
                        funding) -> list[str]:
    problems = []
    permits = {(p.contributor_id, p.country): p for p in scenario.permissions}
    caps = {c.contributor_id: c for c in scenario.contributors}
    staffing = staffing if staffing is not None else pd.DataFrame(
        columns=["contributor_id", "site_id", "amount"])
    funding = funding if funding is not None else pd.DataFrame(
        columns=["contributor_id", "site_id", "amount"])
    for table, flag, what in ((staffing, "may_staff", "staff"), (funding, "may_fund", "fund")):
        for r in table.itertuples():
            permit = permits.get((r.contributor_id, sites[r.site_id].country))
            if permit is None or not getattr(permit, flag):
                problems.append(f"{r.contributor_id} may not {what} {r.site_id}")
    for site_id in open_sites:
        need = sum(options[k].staff for k in open_modules if k[0] == site_id)
        given = staffing.loc[staffing["site_id"] == site_id, "amount"].sum()
        if given < need - 1e-6 * max(1, need):
            problems.append(f"site {site_id} needs {need} staff, gets {given}")
        cost = sites[site_id].site_cost + sum(options[k].fixed_cost for k in open_modules
                                              if k[0] == site_id)
        paid = funding.loc[funding["site_id"] == site_id, "amount"].sum()
        if not _close(cost, paid):
            problems.append(f"site {site_id} costs {cost}, is funded {paid}")
    for cid, c in caps.items():
        staff = staffing.loc[staffing["contributor_id"] == cid, "amount"].sum()
        money = funding.loc[funding["contributor_id"] == cid, "amount"].sum()
        if c.max_staff is not None and staff > c.max_staff + 1e-6:
            problems.append(f"{cid} staffs {staff} > max_staff {c.max_staff}")
        if c.max_budget is not None and money > c.max_budget * (1 + 1e-9) + 1e-6:
            problems.append(f"{cid} funds {money} > max_budget {c.max_budget}")
    for (cid, country), p in permits.items():
        if p.max_staff is None:
            continue
        countries = staffing["site_id"].map(lambda x: sites[x].country)
        in_country = staffing[(staffing["contributor_id"] == cid) & (countries == country)]
        if in_country["amount"].sum() > p.max_staff + 1e-6:
            problems.append(f"{cid} staffs {in_country['amount'].sum()} in {country} "
                            f"> {p.max_staff}")
    return problems


def check_solved(plan) -> list[str]:
    """check_plan on a hubopt Plan object."""
    return check_plan(plan.scenario, plan.hubs, plan.flows, plan.summary, plan.staffing,
                      plan.funding)
