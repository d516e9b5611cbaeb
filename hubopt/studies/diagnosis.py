"""Why no plan exists: the elastic re-solve of SPEC §3.4 and its planner sentences.

When HiGHS proves the model infeasible, :func:`diagnose` solves the elastic
model (``build_model(..., elastic=True)``: every relaxable family has its own
slack) in two phases:

1. minimise the weighted total slack Σ_f w_f·Σ_i slack_i/scale_i, i.e. the
   fewest and smallest relaxations (weights and scales in models/formulation.md);
2. holding that total, minimise the plan's own cost, so the relaxed plan shown
   in the result workbook is the cheapest one with those relaxations.

Each non-zero slack becomes one :class:`Issue` in planner terms: the Excel sheet
and row it comes from (``Demand row 14``; settings have no row:
``Settings budget``), what is short, and the concrete change that removes it.
Findings are ordered by size, the slack's share of the weighted total.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace

import pyomo.environ as pyo

from ..errors import Issue
from ..model.build import build_model, slack_total
from ..model.network import ModuleKey, Network
from ..outputs.results import Plan, empty_summary, extract_plan
from ..solver.session import Session, SolveOptions

log = logging.getLogger("hubopt")

ZERO = 1e-6  # a slack below ZERO·scale is solver noise


def diagnose(network: Network, previous_plan: Iterable[ModuleKey], options: SolveOptions
             ) -> Plan:
    """The relaxed plan (status ``infeasible``, ``relaxed`` True) with its diagnosis,
    both phases solved in one session with ``options``."""
    model = build_model(network, previous_plan, elastic=True)
    session = Session(model, options)
    try:
        return _two_phases(session, model, network, options)
    finally:
        session.close()


def _two_phases(session: Session, model, network: Network, options: SolveOptions) -> Plan:
    scenario = network.scenario
    first = session.solve()
    log.info("diagnose: elastic model, weighted slack %s (%s, %.2f s)",
             "none" if first.objective is None else f"{first.objective:,.4g}", first.status,
             first.seconds)
    if not first.has_plan:
        return Plan(scenario, "infeasible", empty_summary(scenario, "infeasible"),
                    diagnosis=[Issue(
            "error", "", "The solver proved that no plan meets every constraint together, and "
            f"the elastic re-solve found no relaxation within {options.time_limit:g} s.",
            "Raise --time-limit to let the diagnosis finish, or relax the tightest limits "
            "(budget, site counts, contributor caps, max_hours, redundancy) one at a time.")])
    total = float(first.objective)
    cost = (model.hub_cost + model.transport_cost + model.time_cost + model.risk_cost
            + model.stability_cost)
    session.add_row(slack_total(model), upper=total * (1 + 1e-9) + 1e-9)
    session.set_objective(cost)
    second = session.solve()
    log.info("diagnose: cheapest relaxed plan %s (%.2f s)", second.status, second.seconds)
    outcome = second if second.has_plan else first
    if not second.has_plan:  # phase 1's values are still loaded: report its cost
        outcome = replace(first, objective=float(pyo.value(cost)), bound=None, gap=None)
    plan = extract_plan(model, network, outcome)
    summary = {**plan.summary, "status": "infeasible",
               "solve_seconds": first.seconds + second.seconds}
    return replace(plan, status="infeasible", summary=summary, relaxed=True,
                   diagnosis=slack_findings(model, network))


def slack_findings(model, network: Network) -> list[Issue]:
    """One Issue per non-zero slack of a solved elastic model, largest first."""
    found: list[tuple[float, int, Issue]] = []
    for family, info in model.slack_families.items():
        var = getattr(model, f"slack_{family}")
        describe = _DESCRIBE[family]
        for position, (index, scale) in enumerate(info.scales.items()):
            value = float(pyo.value(var if index is None else var[index]) or 0.0)
            if value <= ZERO * max(1.0, scale):
                continue
            size = info.weight * value / scale
            found.append((size, position, describe(model, network, index, value)))
    grouped = _group_resilience(found, model, network)
    grouped.sort(key=lambda item: (-item[0], item[1].where, item[1].message))
    return [issue for _, issue in grouped]


# -- numbers in sentences ----------------------------------------------------------------

def fmt(number: float) -> str:
    """A figure for a sentence: thousands separators, no noise digits."""
    if abs(number) >= 100:
        return f"{round(number):,}"
    return f"{number:,.4g}"


def up(number: float) -> str:
    """A figure to raise or lower something by, rounded up (to a whole number from
    100, else to cents) so the change suffices, after dropping the solver's noise."""
    if abs(number) >= 100:
        return f"{math.ceil(number - 1e-9 * abs(number) - 1e-6):,}"
    return f"{math.ceil(round(number * 100, 3)) / 100:g}"


def _row(sheet: str, row: int | None) -> str:
    return f"{sheet} row {row}" if row else sheet


# -- one sentence per family ---------------------------------------------------------------

def _demand(model, network, index, value) -> Issue:
    row = network.demand[index]
    sector, service = index
    within = f" within {fmt(row.max_hours)} h" if row.max_hours is not None else ""
    return Issue(
        "error", _row("Demand", row.row),
        f"sector {sector}, {service}: {fmt(value)} of {fmt(row.quantity)} units cannot be "
        f"served{within} by any permitted site under the other limits.",
        f"Add {service} capacity at a site that reaches {sector}{within}, "
        f"{'raise max_hours, ' if row.max_hours is not None else ''}"
        f"or lower this row's quantity by {up(value)}.")


def _resilience(model, network, index, value) -> Issue:
    lost, sector, service = index
    row, site = network.demand[(sector, service)], network.sites[lost]
    alpha = network.scenario.settings.resilience
    return Issue(
        "error", f"Settings resilience; {_row('Sites', site.row)}",
        f"if site {lost} is lost, sector {sector}, {service} ({_row('Demand', row.row)}) gets "
        f"{fmt(alpha * row.quantity - value)} of the {fmt(alpha * row.quantity)} units "
        f"resilience {alpha:g} requires.",
        f"Add {service} capacity at another site that reaches {sector}, "
        "or lower Settings resilience.")


def _staffing(model, network, index, value) -> Issue:
    site = network.sites[index]
    return Issue(
        "error", _row("Sites", site.row),
        f"site {index} ({site.country}) needs {fmt(value)} more personnel than the "
        f"contributors allowed to staff {site.country} can provide.",
        f"Allow another contributor to staff {site.country} (Permissions may_staff = yes), "
        "or raise the max_staff of those who may.")


def _staffing_country_cap(model, network, index, value) -> Issue:
    contributor, country = index
    permit = next(p for p in network.scenario.permissions
                  if (p.contributor_id, p.country) == index)
    where = _row("Permissions", permit.row)
    return Issue(
        "error", where,
        f"{contributor} would need {fmt(permit.max_staff + value)} personnel in {country}, "
        f"{fmt(value)} above its max_staff there of {fmt(permit.max_staff)}.",
        f"Raise {where} max_staff of {contributor} in {country} by {up(value)} "
        f"(to {up(permit.max_staff + value)}), or allow another contributor to staff {country}.")


def _countries_used(model, variable: str, contributor: str, network) -> str:
    pairs = getattr(model, variable)
    countries = sorted({network.sites[s].country for c, s in pairs.index_set()
                        if c == contributor and pyo.value(pairs[c, s]) > ZERO})
    return ", ".join(countries) or "its countries"


def _staffing_contributor_cap(model, network, index, value) -> Issue:
    record = next(c for c in network.scenario.contributors if c.contributor_id == index)
    where = _row("Contributors", record.row)
    return Issue(
        "error", where,
        f"{index} would need {fmt(record.max_staff + value)} personnel, {fmt(value)} above "
        f"its max_staff of {fmt(record.max_staff)}.",
        f"Raise {where} max_staff of {index} by {up(value)} (to {up(record.max_staff + value)}), "
        f"or allow a second contributor to staff {_countries_used(model, 'p', index, network)}.")


def _funding(model, network, index, value) -> Issue:
    site = network.sites[index]
    return Issue(
        "error", _row("Sites", site.row),
        f"site {index} ({site.country}) costs {fmt(value)} a year more than the contributors "
        f"allowed to fund {site.country} can give.",
        f"Allow another contributor to fund {site.country} (Permissions may_fund = yes), "
        "or raise the max_budget of those who may.")


def _funding_contributor_cap(model, network, index, value) -> Issue:
    record = next(c for c in network.scenario.contributors if c.contributor_id == index)
    where = _row("Contributors", record.row)
    return Issue(
        "error", where,
        f"{index} would need to fund {fmt(record.max_budget + value)} a year, {fmt(value)} above "
        f"its max_budget of {fmt(record.max_budget)}.",
        f"Raise {where} max_budget of {index} by {up(value)} "
        f"(to {up(record.max_budget + value)}), or allow a second contributor to fund "
        f"{_countries_used(model, 'f', index, network)}.")


def _budget(model, network, index, value) -> Issue:
    budget = network.scenario.settings.budget
    return Issue(
        "error", "Settings budget",
        f"the hubs needed cost {fmt(budget + value)} a year, {fmt(value)} over the budget of "
        f"{fmt(budget)}.",
        f"Raise Settings budget by {up(value)} to {up(budget + value)}.")


def _site_count_min(model, network, index, value) -> Issue:
    low = network.scenario.settings.min_sites
    can = max(0, round(low - value))
    return Issue(
        "error", "Settings min_sites",
        f"only {can} site(s) can open under the other limits, but min_sites is {low}.",
        f"Lower Settings min_sites to {can}, or relax what keeps other sites shut.")


def _site_count_max(model, network, index, value) -> Issue:
    high = network.scenario.settings.max_sites
    need = round(high + value)
    return Issue(
        "error", "Settings max_sites",
        f"the demand and the other limits need {need} open sites, but max_sites is {high}.",
        f"Raise Settings max_sites to {need}.")


def _country_bound(kind: str) -> Callable:
    def describe(model, network, index, value) -> Issue:
        bound = next(b for b in network.scenario.countries if b.country == index)
        where = _row("Countries", bound.row)
        if kind == "min":
            can = max(0, round(bound.min_sites - value))
            return Issue(
                "error", where,
                f"{index}: only {can} site(s) can open there under the other limits, but "
                f"min_sites is {bound.min_sites}.",
                f"Lower {where} min_sites of {index} to {can}.")
        need = round(bound.max_sites + value)
        return Issue(
            "error", where,
            f"{index}: the plan needs {need} open sites there, but max_sites is "
            f"{bound.max_sites}.", f"Raise {where} max_sites of {index} to {need}.")
    return describe


def _status_open(model, network, index, value) -> Issue:
    site = network.sites[index]
    where = _row("Sites", site.row)
    return Issue(
        "error", where,
        f"site {index} has status = open but cannot open under the other limits "
        "(staffing, funding, budget, site counts).",
        f"Set {where} status of {index} to candidate, or relax the limit that keeps it shut.")


def _redundancy(model, network, index, value) -> Issue:
    row = network.demand[index]
    level = network.scenario.settings.redundancy
    sector, service = index
    have = max(0, round(level - value))
    return Issue(
        "error", _row("Demand", row.row),
        f"sector {sector}, {service}: only {have} of the {level} open {service} modules "
        "redundancy requires can be within reach.",
        f"Lower Settings redundancy to {have if have >= 1 else 1}, or add {service} options "
        f"at more sites that reach {sector}.")


def _site_share(model, network, index, value) -> Issue:
    site_id, service = index
    share = network.scenario.settings.max_share_per_site
    total = sum(r.quantity for k, r in network.demand.items() if k[1] == service)
    need = (share * total + value) / total
    return Issue(
        "error", "Settings max_share_per_site",
        f"site {site_id} must serve {fmt(share * total + value)} units of {service}, "
        f"{need:.0%} of its demand, above max_share_per_site {share:g}.",
        f"Raise Settings max_share_per_site to {up(need)}, or add "
        f"{service} capacity at other sites in reach.")


_DESCRIBE: dict[str, Callable] = {
    "demand": _demand,
    "resilience_demand": _resilience,
    "staffing": _staffing,
    "staffing_country_cap": _staffing_country_cap,
    "staffing_contributor_cap": _staffing_contributor_cap,
    "funding": _funding,
    "funding_contributor_cap": _funding_contributor_cap,
    "budget": _budget,
    "site_count_min": _site_count_min,
    "site_count_max": _site_count_max,
    "country_sites_min": _country_bound("min"),
    "country_sites_max": _country_bound("max"),
    "status_open": _status_open,
    "redundancy": _redundancy,
    "site_share": _site_share,
}


def _group_resilience(found, model, network) -> list[tuple[float, Issue]]:
    """Resilience slacks of one lost site become one sentence (there may be many rows)."""
    per_site: dict[str, list[tuple[float, Issue]]] = defaultdict(list)
    out: list[tuple[float, Issue]] = []
    for size, _, issue in found:
        if issue.where.startswith("Settings resilience"):
            per_site[issue.where].append((size, issue))
        else:
            out.append((size, issue))
    for where, items in per_site.items():
        if len(items) == 1:
            out.append(items[0])
            continue
        items.sort(key=lambda item: -item[0])
        shown = "; ".join(i.message.split(", ", 1)[1] if i.message.startswith("if site")
                          else i.message for _, i in items[:3])
        more = f"; and {len(items) - 3} more row(s)" if len(items) > 3 else ""
        lost = items[0][1].message.split()[2].rstrip(",")
        out.append((sum(s for s, _ in items), Issue(
            "error", where, f"if site {lost} is lost, {len(items)} demand rows get less than "
            f"resilience requires: {shown}{more}.",
            "Add backup capacity at other sites that reach them, or lower Settings resilience.")))
    return out
