""""Why this hub?": what the plan would cost without each open site, with a
closed candidate forced open, and with each contributor cap raised.

All questions are answered on one model, built once and handed to HiGHS once:
a question changes column or row bounds in place, HiGHS re-solves, and the
change is undone (:class:`hubopt.solver.session.Session`):

- **forbid site s** (each open site): z_s ≤ 0, so every module of s is closed
  (site_link_module). A site with status = open cannot be forbidden (status_open).
- **force open site s** (the closest few closed candidates): z_s ≥ 1, so some
  module of s opens (site_link_any). Candidates are ranked by the
  quantity-weighted mean hours of their arcs to the demand they could serve,
  nearest first: the alternatives a planner asks about first.
- **contributor caps** (``staffing_contributor_cap``, ``staffing_country_cap``,
  ``funding_contributor_cap``), tightest in the plan first: the cost with the
  cap one unit higher (``value_per_unit``: the saving of that one unit, the
  marginal value the MIP really offers), and with the cap removed (``saving``,
  and ``use``: what the contributor gives in that optimal plan — one optimal
  split of personnel or money among several, not a minimum).

Why not LP duals: with every binary fixed at the plan, the staff and money
each site needs are constants and personnel p and funding f carry no cost in
§3, so every contributor cap's dual in that LP is 0 — it says nothing. The
value of a cap lies in the hub choices it rules out, which only a re-solve of
the MIP shows.

Each answer reports the new total cost, objective, avg and max hours and the
difference from the plan (new − plan). An infeasible answer means the plan
cannot do without the site (or cap). Questions left when the time budget runs
out are listed as ``not evaluated``.

:func:`findings_first` is the table as the Explain sheet shows it: every site
question and every cap that matters, then the caps whose removal saves nothing
in one row; :func:`summary_lines` is what the terminal prints of it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap

from ..model.network import ModuleKey, Network, build_network
from ..outputs.results import Plan, extract_plan
from ..solver.guard import stop_requested
from ..solver.session import Session, SolveOptions, open_session
from ..solver.sizing import DEFAULT_MEMORY_BUDGET_MB

log = logging.getLogger(__name__)

COLUMNS = ("question", "subject", "status", "total_cost", "delta_total_cost", "objective",
           "delta_objective", "avg_hours", "delta_avg_hours", "max_hours", "delta_max_hours",
           "open_sites", "sites_opened", "sites_closed", "cap", "use", "saving",
           "value_per_unit", "note")
CAP_FAMILIES = {"staffing_contributor_cap": "max_staff [personnel]",
                "staffing_country_cap": "max_staff in country [personnel]",
                "funding_contributor_cap": "max_budget [currency/year]"}
FIGURES = ("total_cost", "objective", "avg_hours", "max_hours")


@dataclass
class _Answer:
    question: str
    subject: str
    outcome: Plan | None = None
    status: str = "not evaluated"
    note: str = ""
    cap: float | None = None
    use: float | None = None


def explain(plan: Plan, *, time_budget: float = 60.0, candidates: int = 3,
            mip_gap: float | None = None, threads: int | None = None,
            previous_plan: Iterable[ModuleKey] = (),
            memory_budget_mb: float | None = DEFAULT_MEMORY_BUDGET_MB,
            strong_links: str | int = "auto") -> pd.DataFrame:
    """The Explain table of a solved ``plan`` (one row per question, :data:`COLUMNS`).

    ``time_budget`` (seconds) bounds the sum of all re-solves; ``candidates``
    is the number of closed sites forced open. ``previous_plan`` must be the one
    ``plan`` was solved against: the re-solves are then priced with the same
    stability term as the plan's objective, so that a saving is a saving and not
    the stability cost of the plan itself. The model goes through the same steps
    as :func:`hubopt.solve` (memory budget, row selection, solve guard).
    """
    if not plan.has_plan:
        raise ValueError("explain needs a plan")
    scenario = plan.scenario
    network = build_network(scenario)
    options = SolveOptions.of(scenario.settings, mip_gap=mip_gap, threads=threads,
                              memory_limit_mb=memory_budget_mb, strong_links=strong_links)
    session, _, _ = open_session(network, list(previous_plan), options, deadline=time_budget)
    try:
        return _explain(session, network, plan, candidates)
    finally:
        session.close()


def _explain(session: Session, network: Network, plan: Plan, candidates: int) -> pd.DataFrame:
    model = session.model
    open_sites = sorted(set(plan.hubs["site_id"].astype(str)))
    answers: list[_Answer] = []
    for site in open_sites:
        answer = _Answer("forbid site", site)
        if network.sites[site].status == "open":
            answer.status, answer.note = "not asked", "status open: an existing hub stays open"
        else:
            _ask(session, network, answer, [(model.z[site], 0, 0)])
        answers.append(answer)
    for site in closed_candidates(network, open_sites)[:candidates]:
        answers.append(_ask(session, network, _Answer("force open site", site),
                            [(model.z[site], 1, 1)]))
    start = start_from_plan(model, plan)
    for family, index, cap, use in contributor_caps(model, plan):
        answers += _ask_cap(session, network, family, index, cap, use, start,
                            float(plan.summary["objective"]))
    frame = pd.DataFrame([_row(a, plan) for a in answers], columns=list(COLUMNS))
    log.info("explain: %d question(s), %d re-solve(s) (%.1f s)", len(answers), session.solves,
             session.seconds)
    return frame


def closed_candidates(network: Network, open_sites: list[str]) -> list[str]:
    """Closed usable sites with arcs, nearest first (quantity-weighted mean arc hours)."""
    ranked = []
    for site in network.sites:
        if site in open_sites:
            continue
        arcs = [a for a in network.arcs.values() if a.site_id == site]
        if not arcs:
            continue
        weight = sum(network.demand[a.demand_key].quantity for a in arcs)
        hours = sum(a.hours * network.demand[a.demand_key].quantity for a in arcs) / weight
        ranked.append((hours, site))
    return [site for _, site in sorted(ranked)]


def contributor_caps(model, plan: Plan) -> list[tuple[str, object, float, float]]:
    """(family, index, cap, use in the plan) of every contributor cap, tightest first."""
    staffing = plan.staffing.groupby("contributor_id")["amount"].sum().to_dict() \
        if len(plan.staffing) else {}
    funding = plan.funding.groupby("contributor_id")["amount"].sum().to_dict() \
        if len(plan.funding) else {}
    by_country = plan.staffing.groupby(["contributor_id", "country"])["amount"].sum().to_dict() \
        if len(plan.staffing) else {}
    caps = []
    for family in CAP_FAMILIES:
        component = getattr(model, family, None)
        if component is None:
            continue
        for index in component:
            cap = float(component[index].upper)
            if family == "staffing_country_cap":
                use = float(by_country.get(tuple(index), 0.0))
            elif family == "staffing_contributor_cap":
                use = float(staffing.get(index, 0.0))
            else:
                use = float(funding.get(index, 0.0))
            caps.append((family, index, cap, use))
    return sorted(caps, key=lambda c: (-(c[3] / c[2]) if c[2] else 0.0, c[0], str(c[1])))


def _ask(session: Session, network: Network, answer: _Answer, bounds) -> _Answer:
    if _out_of_time(session, answer):
        return answer
    with session.bounds(bounds):
        _solve(session, network, answer)
    return answer


def _out_of_time(session: Session, answer: _Answer) -> bool:
    """Whether the time budget is used up or a stop was requested (noted on ``answer``)."""
    if stop_requested():
        answer.note = "not evaluated: the run was interrupted"
        return True
    if session.remaining() is not None and session.remaining() <= 0:
        answer.note = "time budget used up"
        return True
    return False


def _solve(session: Session, network: Network, answer: _Answer, start=None) -> None:
    outcome = session.solve(start)
    answer.status = outcome.status
    if outcome.has_plan:
        answer.outcome = extract_plan(session.model, network, outcome)
    elif outcome.status == "infeasible":
        answer.note = "no feasible plan: the plan cannot do without this"


def _ask_cap(session: Session, network: Network, family: str, index, cap: float,
             use: float, start, reference: float) -> list[_Answer]:
    """Cap removed, then (only if that saves anything) cap + 1 unit; both start from
    the plan, which stays feasible when a cap is relaxed. Relaxing by one unit
    cannot save more than removing the cap, so a removal that saves nothing
    answers both."""
    constraint = getattr(session.model, family)[index]
    label = f"{'/'.join(index) if isinstance(index, tuple) else index} {CAP_FAMILIES[family]}"
    removed = _Answer("cap removed", label, cap=cap, use=use)
    raised = _Answer("cap + 1 unit", label, cap=cap, use=use)
    for answer, change in ((removed, "remove"), (raised, "raise")):
        if change == "raise" and removed.outcome is not None and _same(
                removed.outcome.summary["objective"], reference):
            raised.outcome, raised.status = removed.outcome, removed.status
            raised.note = "removing the cap saves nothing, so one more unit saves nothing"
            continue
        if _out_of_time(session, answer):
            continue
        lower, upper = session.row_bounds(constraint)
        changed = (lower, upper + 1) if change == "raise" else (-math.inf, math.inf)
        with session.row_bounds_changed(constraint, *changed):
            _solve(session, network, answer, start)
        if change == "remove" and answer.outcome is not None:
            answer.use = _cap_use(answer.outcome, family, index)
    return [raised, removed]


def _same(value: float, reference: float) -> bool:
    return abs(value - reference) <= 1e-9 * max(1.0, abs(reference))


def start_from_plan(model, plan: Plan) -> ComponentMap:
    """The plan's decisions as values of the model's variables (a MIP start)."""
    start = ComponentMap((var, 0.0) for var in model.component_data_objects(pyo.Var))
    for site, service, size in zip(plan.hubs["site_id"], plan.hubs["service"],
                                   plan.hubs["size"]):
        start[model.z[site]] = 1.0
        start[model.y[site, service, size]] = 1.0
    for row in plan.flows.itertuples(index=False):
        key = (row.site_id, row.sector_id, row.service)
        start[model.x[key]] = float(row.quantity)
        if hasattr(model, "a"):
            start[model.a[key]] = 1.0
    for name, table in (("p", plan.staffing), ("f", plan.funding)):
        if hasattr(model, name):
            for row in table.itertuples(index=False):
                start[getattr(model, name)[row.contributor_id, row.site_id]] = float(row.amount)
    return start


def _cap_use(plan: Plan, family: str, index) -> float:
    """What the contributor gives under that cap in ``plan`` (one optimal plan's split)."""
    table = plan.funding if family == "funding_contributor_cap" else plan.staffing
    if not len(table):
        return 0.0
    if family == "staffing_country_cap":
        mask = (table["contributor_id"] == index[0]) & (table["country"] == index[1])
    else:
        mask = table["contributor_id"] == index
    return float(table.loc[mask, "amount"].sum())


def _row(answer: _Answer, plan: Plan) -> list:
    base = plan.summary
    values: dict = dict.fromkeys(COLUMNS)
    values.update(question=answer.question, subject=answer.subject, status=answer.status,
                  note=answer.note, cap=answer.cap, use=answer.use)
    if answer.outcome is not None:
        new = answer.outcome.summary
        for key in FIGURES:
            values[key] = new[key]
            values[f"delta_{key}"] = _delta(new[key], base[key])
        values["open_sites"] = new["open_sites"]
        before = set(plan.hubs["site_id"].astype(str))
        after = set(answer.outcome.hubs["site_id"].astype(str))
        values["sites_opened"] = ", ".join(sorted(after - before))
        values["sites_closed"] = ", ".join(sorted(before - after))
        if answer.cap is not None:
            values["saving"] = -_delta(new["objective"], base["objective"])
            if answer.question == "cap + 1 unit":
                values["value_per_unit"] = values["saving"]
    return [values[c] for c in COLUMNS]


def _delta(new: float, old: float) -> float:
    """new − old, with differences below 1e-9 relative (solver round-off) shown as 0."""
    return 0.0 if _same(new, old) else new - old


NOTHING_SAVED = "caps that save nothing"


def findings_first(frame: pd.DataFrame) -> pd.DataFrame:
    """The Explain table for a planner: the rows of ``frame`` that say something, in
    their order (sites forbidden, sites forced open, caps that save money or were
    not evaluated), then one ``caps that save nothing`` row naming every cap whose
    removal (and so whose one more unit) saves nothing."""
    idle = frame["question"].isin(("cap removed", "cap + 1 unit")) & (frame["saving"] == 0)
    kept = frame[~idle]
    caps = list(dict.fromkeys(frame.loc[idle, "subject"]))
    if not caps:
        return kept.reset_index(drop=True)
    row = dict.fromkeys(COLUMNS)
    row.update(question=NOTHING_SAVED, subject=f"{len(caps)} cap(s)", status="optimal",
               saving=0.0, note="Removing any one of these caps, or raising it by one unit, "
               "saves nothing: " + "; ".join(caps) + ".")
    return pd.concat([kept, pd.DataFrame([row], columns=list(COLUMNS))], ignore_index=True)


def summary_lines(frame: pd.DataFrame, shown: int = 8) -> list[str]:
    """The findings in words, one line each, at most ``shown`` of them: what losing
    each open site or opening a closed one does to total cost and average hours, what
    each cap that matters is worth, and how many caps save nothing."""
    lines = []
    for row in findings_first(frame).to_dict(orient="records"):
        question, subject = row["question"], row["subject"]
        if question == NOTHING_SAVED:
            lines.append(f"{subject.split()[0]} contributor cap(s) save nothing if removed")
            continue
        what = {"forbid site": f"without {subject}", "force open site": f"with {subject} open",
                "cap removed": f"{subject} removed",
                "cap + 1 unit": f"{subject} one unit higher"}[question]
        if row["status"] == "not asked":
            lines.append(f"{what}: not asked ({row['note']})")
        elif row["status"] == "infeasible":
            lines.append(f"{what}: no feasible plan")
        elif row["total_cost"] is None or pd.isna(row["total_cost"]):
            lines.append(f"{what}: {row['note'] or row['status']}")
        elif question.startswith("cap"):
            lines.append(f"{what}: saves {row['saving']:,.0f} a year")
        else:
            lines.append(f"{what}: total cost {row['delta_total_cost']:+,.0f} a year, "
                         f"average resupply {row['delta_avg_hours']:+.1f} h")
    if len(lines) > shown:
        lines = lines[:shown - 1] + [f"... {len(lines) - shown + 1} more in the Explain sheet"]
    return lines
