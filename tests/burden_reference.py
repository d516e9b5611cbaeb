"""An independent reference for burden sharing (SPEC §3.1a), straight from the
scenario's records and a plan's Hubs table, on a bare HiGHS: none of hubopt's
model, network or session code.

Over the plan's open sites, one variable per (contributor, site) pair the
Permissions allow (may_staff / may_fund in the site's country), with

- every open site's need met exactly (staff of its open modules; site_cost plus
  the fixed costs of its open modules),
- Contributors max_staff / max_budget, Permissions max_staff per country,
- load_c ≤ t·w_c for the contributors still free, load_c ≤ level_c·w_c for those
  fixed,

:func:`min_max` minimises t: the §3.1a min-max of load per weight.
:func:`leximin` is the naive leximin, unlike the product's dual-based rounds:
after each min-max, every free contributor's own load per weight is minimised
alone (the others held at ≤ t); those that cannot go below t are fixed at t.
"""

from __future__ import annotations

import math
from collections import defaultdict

import highspy
import pandas as pd

TOLERANCE = 1e-7


def weights(scenario, kind: str) -> dict[str, float]:
    share, cap = ("staff_share", "max_staff") if kind == "staff" else ("money_share",
                                                                        "max_budget")
    caps = [getattr(c, cap) for c in scenario.contributors if getattr(c, cap) is not None]
    fallback = max(caps) if caps and max(caps) > 0 else 1.0
    result = {}
    for c in scenario.contributors:
        if getattr(c, share) is not None:
            result[c.contributor_id] = getattr(c, share)
        elif getattr(c, cap) is not None:
            result[c.contributor_id] = getattr(c, cap)
        else:
            result[c.contributor_id] = fallback
    return result


def needs(scenario, hubs: pd.DataFrame, kind: str) -> dict[str, float]:
    options = {(o.site_id, o.service, o.size): o for o in scenario.hub_options}
    sites = {s.site_id: s for s in scenario.sites}
    total: dict[str, float] = defaultdict(float)
    for row in hubs.itertuples(index=False):
        option = options[(row.site_id, row.service, row.size)]
        total[row.site_id] += option.staff if kind == "staff" else option.fixed_cost
    if kind == "money":
        for site in list(total):
            total[site] += sites[site].site_cost
    return {s: v for s, v in total.items() if v > 0}


class _Lp:
    def __init__(self, scenario, hubs: pd.DataFrame, kind: str):
        self.kind = kind
        self.need = needs(scenario, hubs, kind)
        self.weight = weights(scenario, kind)
        country = {s.site_id: s.country for s in scenario.sites}
        flag = "may_staff" if kind == "staff" else "may_fund"
        allowed = {(p.contributor_id, p.country) for p in scenario.permissions
                   if getattr(p, flag)}
        self.pairs = [(c.contributor_id, s) for s in sorted(self.need)
                      for c in scenario.contributors if (c.contributor_id, country[s]) in allowed]
        self.country = country
        self.scenario = scenario

    def solve(self, free: set[str], fixed: dict[str, float], own: str | None = None,
              top: float | None = None) -> tuple[float, dict]:
        """min t (own None) or min load_own/w_own with free ≤ top·w; returns the
        objective and the amount per pair."""
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        inf = highspy.kHighsInf
        for _ in self.pairs:
            h.addVar(0.0, inf)
        t = len(self.pairs)
        h.addVar(0.0, inf)
        column = {pair: j for j, pair in enumerate(self.pairs)}

        def row(lower, upper, entries):
            entries = [(j, v) for j, v in entries if v != 0]
            h.addRow(lower, upper, len(entries), [j for j, _ in entries],
                     [v for _, v in entries])

        for site, amount in self.need.items():
            row(amount, amount, [(column[p], 1.0) for p in self.pairs if p[1] == site])
        for c in self.scenario.contributors:
            cid = c.contributor_id
            mine = [(column[p], 1.0) for p in self.pairs if p[0] == cid]
            cap = c.max_staff if self.kind == "staff" else c.max_budget
            if cap is not None and mine:
                row(-inf, cap, mine)
            w = self.weight[cid]
            if not mine:
                continue
            if cid in fixed:
                row(-inf, fixed[cid] * w * (1 + 1e-9), mine)
            elif cid in free and w > 0:
                if top is None:
                    row(-inf, 0.0, mine + [(t, -w)])
                else:
                    row(-inf, top * w * (1 + 1e-9), mine)
        if self.kind == "staff":
            for p in self.scenario.permissions:
                if p.may_staff and p.max_staff is not None:
                    there = [(column[q], 1.0) for q in self.pairs if q[0] == p.contributor_id
                             and self.country[q[1]] == p.country]
                    if there:
                        row(-inf, p.max_staff, there)
        cost = [0.0] * (t + 1)
        if own is None:
            cost[t] = max(1.0, sum(self.need.values()))   # N·t: duals O(1), not 1/N
        else:
            for pair in self.pairs:       # its load in natural units, divided by w below
                if pair[0] == own:
                    cost[column[pair]] = 1.0
        h.changeColsCost(t + 1, list(range(t + 1)), cost)
        h.run()
        assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal, h.getModelStatus()
        values = h.getSolution().col_value
        amounts = {p: values[column[p]] for p in self.pairs}
        if own is None:
            return values[t], amounts
        return h.getInfo().objective_function_value / self.weight[own], amounts


def min_max(scenario, hubs: pd.DataFrame, kind: str) -> float:
    """The least possible largest load per weight (§3.1a) over the plan in ``hubs``."""
    lp = _Lp(scenario, hubs, kind)
    everyone = {c.contributor_id for c in scenario.contributors}
    return lp.solve(everyone, {})[0]


def leximin(scenario, hubs: pd.DataFrame, kind: str) -> dict[str, float]:
    """Every contributor's load per weight in the leximin split (naive rounds)."""
    lp = _Lp(scenario, hubs, kind)
    serving = {p[0] for p in lp.pairs if lp.weight[p[0]] > 0}
    free, fixed = set(serving), {}
    while free:
        top, _ = lp.solve(free, fixed)
        if top <= TOLERANCE:
            fixed.update(dict.fromkeys(free, 0.0))
            break
        blocked = [c for c in sorted(free)
                   if lp.solve(free, fixed, own=c, top=top)[0] >= top * (1 - 1e-6)]
        assert blocked, "some contributor must be at the min-max level"
        fixed.update(dict.fromkeys(blocked, top))
        free -= set(blocked)
    levels = {c.contributor_id: 0.0 for c in scenario.contributors}
    levels.update(fixed)
    return {c: (v if math.isfinite(v) else 0.0) for c, v in levels.items()}
