"""Cheap feasibility checks run before any model is built (SPEC §3.4).

Each ``check_*`` function looks for one obvious reason why no plan can exist
and returns findings in planner terms, naming the Excel rows behind them.
An empty list proves nothing; a non-empty one proves infeasibility, so the
solve ends with exit code 4 and a Diagnosis sheet without calling HiGHS.
"""

from __future__ import annotations

from collections import defaultdict

from ..errors import Issue
from .network import Network, threatened_sites


def presolve_findings(network: Network) -> list[Issue]:
    """Every finding of every check, in a stable order."""
    findings: list[Issue] = []
    for check in (check_demand_reachable, check_capacity_covers_demand,
                  check_forced_open_sites, check_site_counts, check_threat_limits,
                  check_site_share, check_resilience_reach):
        findings.extend(check(network))
    return findings


def _row(sheet: str, row: int | None) -> str:
    return f"{sheet} row {row}" if row else sheet


def _fmt(number: float) -> str:
    return f"{number:,.0f}" if abs(number) >= 100 else f"{number:,.4g}"


def check_demand_reachable(network: Network) -> list[Issue]:
    """A demand row that no active module of its service can reach in time."""
    findings = []
    offered = {(s, k) for s, k, _ in network.modules}
    for key, row in network.demand.items():
        if network.arcs_into(key):
            continue
        sector_id, service = key
        sites = sorted(s for s, k in offered if k == service)
        if not sites:
            reason = (f"no usable site offers {service} (check HubOptions, site status, "
                      "ceasefire, readiness_weeks and max_threat)")
            fix = f"Add a {service} option at a usable site."
        elif row.max_hours is not None:
            reason = (f"no permitted site offering {service} is within {_fmt(row.max_hours)} h "
                      f"({len(sites)} site(s) offer it, all too far or not allowed)")
            fix = "Raise max_hours, add a closer site, or allow a route in Routes."
        else:
            reason = f"every route from the {len(sites)} site(s) offering {service} is forbidden"
            fix = "Allow a route in Routes or set missing_routes = compute."
        findings.append(Issue(
            "error", _row("Demand", row.row),
            f"sector {sector_id}, {service}: {_fmt(row.quantity)} units cannot be served: "
            f"{reason}.", fix))
    return findings


def check_capacity_covers_demand(network: Network) -> list[Issue]:
    """Total demand of a service above the largest capacity all sites could open."""
    largest: dict[tuple[str, str], float] = defaultdict(float)
    for (site_id, service, _), module in network.modules.items():
        largest[(site_id, service)] = max(largest[(site_id, service)], module.capacity)
    findings = []
    for service in network.services:
        demand = sum(r.quantity for k, r in network.demand.items() if k[1] == service)
        capacity = sum(c for (_, k), c in largest.items() if k == service)
        if demand > capacity * (1 + 1e-9) and capacity > 0:
            findings.append(Issue(
                "error", "HubOptions",
                f"{service}: total demand {_fmt(demand)} exceeds the largest capacity all usable "
                f"sites together could open, {_fmt(capacity)}.",
                f"Add larger {service} options or more sites, or lower Demand quantities."))
    return findings


def check_forced_open_sites(network: Network) -> list[Issue]:
    """A site with status = open that cannot open: no usable module, or nobody may staff
    or fund any of its modules."""
    scenario = network.scenario
    findings = []
    staff_countries = {p.country for p in scenario.permissions if p.may_staff}
    fund_countries = {p.country for p in scenario.permissions if p.may_fund}
    for site_id, site in network.sites.items():
        if site.status != "open":
            continue
        modules = [network.modules[k] for k in network.modules_of(site_id)]
        where = _row("Sites", site.row)
        if not modules:
            findings.append(Issue("error", where,
                                  f"site {site_id} must be open (status = open) but has no "
                                  "usable HubOptions (check readiness_weeks).",
                                  "Add a module it can host, or set its status to candidate."))
            continue
        if not scenario.contributors:
            continue
        if site.country not in staff_countries and all(m.staff > 0 for m in modules):
            findings.append(Issue("error", where,
                                  f"site {site_id} must be open but no contributor may staff "
                                  f"hubs in {site.country}.",
                                  f"Add a Permissions row with may_staff = yes for {site.country}, "
                                  "or set the site's status to candidate."))
        needs_money = site.site_cost > 0 or all(m.fixed_cost > 0 for m in modules)
        if site.country not in fund_countries and needs_money:
            findings.append(Issue("error", where,
                                  f"site {site_id} must be open but no contributor may fund "
                                  f"hubs in {site.country}.",
                                  f"Add a Permissions row with may_fund = yes for {site.country}, "
                                  "or set the site's status to candidate."))
    return findings


def check_site_counts(network: Network) -> list[Issue]:
    """Site-count bounds that the active sites cannot meet."""
    settings = network.scenario.settings
    openable = [s for s in network.sites if network.modules_of(s)]
    forced = [s for s, site in network.sites.items() if site.status == "open"]
    findings = []
    if settings.min_sites is not None and settings.min_sites > len(openable):
        findings.append(Issue("error", "Settings",
                              f"min_sites is {settings.min_sites} but only {len(openable)} "
                              "site(s) can open.", "Lower min_sites or add candidate sites."))
    if settings.max_sites is not None and settings.max_sites < len(forced):
        findings.append(Issue("error", "Settings",
                              f"max_sites is {settings.max_sites} but {len(forced)} site(s) "
                              "have status = open.", "Raise max_sites."))
    for bound in network.scenario.countries:
        in_country = [s for s in openable if network.sites[s].country == bound.country]
        if bound.min_sites is not None and bound.min_sites > len(in_country):
            findings.append(Issue("error", _row("Countries", bound.row),
                                  f"{bound.country} needs at least {bound.min_sites} open "
                                  f"site(s) but only {len(in_country)} can open there.",
                                  "Lower min_sites or add candidate sites in that country."))
    return findings


def check_threat_limits(network: Network) -> list[Issue]:
    """A site with status = open whose threat is above max_threat: it must open and may not."""
    limit = network.scenario.settings.max_threat
    threatened = set(threatened_sites(network.scenario))
    findings = []
    for site in sorted(network.scenario.sites, key=lambda s: s.site_id):
        if site.site_id in threatened and site.status == "open":
            findings.append(Issue(
                "error", _row("Sites", site.row),
                f"site {site.site_id} must be open (status = open) but its threat "
                f"{site.threat:g} is above Settings max_threat {limit:g}.",
                f"Raise Settings max_threat to {site.threat:g}, or set the site's status to "
                "candidate."))
    return findings


def check_site_share(network: Network) -> list[Issue]:
    """max_share_per_site too small for the sites offering a service: each site can
    serve at most min(largest capacity, share·D_k), and together that is below D_k."""
    share = network.scenario.settings.max_share_per_site
    if share is None:
        return []
    findings = []
    for service in network.services:
        total = sum(r.quantity for k, r in network.demand.items() if k[1] == service)
        sites = sorted({a.site_id for a in network.arcs.values() if a.service == service})
        room = sum(min(max(network.modules[m].capacity
                           for m in network.modules_of(s, service)), share * total)
                   for s in sites)
        if total > 0 and room < total * (1 - 1e-9):
            findings.append(Issue(
                "error", "Settings max_share_per_site",
                f"{service}: with at most {share:.0%} of {_fmt(total)} units per site, the "
                f"{len(sites)} site(s) that can serve it cover only {_fmt(room)}.",
                f"Raise max_share_per_site to at least "
                f"{_share_needed(total, sites, network, service):.2f}, or add {service} options "
                "at more sites."))
    return findings


def _share_needed(total: float, sites: list[str], network: Network, service: str) -> float:
    """Smallest share at which Σ_s min(cap_s, share·total) ≥ total (bisection)."""
    caps = [max(network.modules[m].capacity for m in network.modules_of(s, service))
            for s in sites]
    low, high = 0.0, 1.0
    for _ in range(60):
        middle = (low + high) / 2
        if sum(min(c, middle * total) for c in caps) >= total:
            high = middle
        else:
            low = middle
    return min(1.0, high + 0.005)


def check_resilience_reach(network: Network) -> list[Issue]:
    """With resilience α > 0, a demand row that at most resilience_losses sites can
    reach cannot survive losing them together (§3.2). (A row no site reaches is
    the demand check's finding.)"""
    alpha = network.scenario.settings.resilience
    losses = network.scenario.settings.resilience_losses
    if alpha <= 0:
        return []
    findings = []
    for key, row in network.demand.items():
        sources = sorted({a.site_id for a in network.arcs_into(key)})
        if not 1 <= len(sources) <= losses:
            continue
        named = " and ".join(f"{s} ({_row('Sites', network.sites[s].row)})" for s in sources)
        if len(sources) == 1:
            reach, lost = f"only site {named}", "losing that site"
            fix = "Give it a second site in reach (raise max_hours, allow a route, add an " \
                  "option), or set Settings resilience to 0."
        else:
            reach, lost = f"only sites {named}", "losing both together (resilience_losses 2)"
            fix = "Give it a third site in reach (raise max_hours, allow a route, add an " \
                  "option), set Settings resilience_losses to 1, or set resilience to 0."
        findings.append(Issue(
            "error", _row("Demand", row.row),
            f"sector {key[0]}, {key[1]}: {reach} can reach it, so {lost} leaves it "
            f"unserved; resilience {alpha:g} requires {_fmt(alpha * row.quantity)} units "
            "from elsewhere.", fix))
    return findings
