"""An independent reference for the posture (SPEC §3.5), by enumeration: none of
hubopt's model, network, session or posture code.

It covers the scenarios of tests/loss_reference.py (Routes rows with cost, Demand
max_hours, no contributors, value_of_time = value_at_risk = 0, no previous plan)
with a Scenarios sheet. For them it reads §2.11–2.12 and §3.5 literally:

- each scenario is the workbook with its ceasefire (sites and sectors that need one
  only with it), its quantities (demand_factor × quantity, or the ScenarioDemand
  row's quantity, which also adds a row) and its lost sites removed;
- a "now" choice is one size (or none) per (site, service) of the sites usable
  without a ceasefire (status open: something must be built there);
- given the now choice, the cost in scenario ω is the now choice's site and module
  costs, plus λ × the site and module costs of what ω builds beyond it (at the sites
  it keeps, the now module's size stays), plus the cheapest flows
  (:func:`loss_reference.flow_cost`), minimised over every such extension;
- RP is the least expected cost over every now choice, WS_ω the least cost in ω
  over every now choice, EC of a now choice its expected cost.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import replace
from functools import cache

from loss_reference import flow_cost


def scenario_of(scenario, case):
    """Scenario ``case`` alone, as §2.11–2.12 define it."""
    ceasefire = scenario.settings.ceasefire if case.ceasefire is None else case.ceasefire
    lost = {s.strip() for s in (case.lost_sites or "").split(",") if s.strip()}
    sites = tuple(s for s in scenario.sites if s.site_id not in lost and s.status != "closed"
                  and (ceasefire or not s.requires_ceasefire))
    sectors = tuple(s for s in scenario.sectors if ceasefire or not s.requires_ceasefire)
    active = {s.sector_id for s in sectors}
    given = {(r.sector_id, r.service): r.quantity for r in scenario.scenario_demand
             if r.scenario == case.scenario}
    demand = [replace(d, quantity=given.pop(d.key) if d.key in given
                      else d.quantity * case.demand_factor) for d in scenario.demand]
    demand += [type(scenario.demand[0])(sector, service, quantity)
               for (sector, service), quantity in given.items()]
    demand = tuple(d for d in demand if d.sector_id in active and d.quantity > 0)
    kept = {s.site_id for s in sites}
    return replace(scenario, sites=sites, sectors=sectors, demand=demand,
                   hub_options=tuple(o for o in scenario.hub_options if o.site_id in kept),
                   routes=tuple(r for r in scenario.routes if r.site_id in kept),
                   scenarios=(), scenario_demand=())


def _choices(options_by_pair: dict, forced_sites: set[str], fixed: dict | None = None):
    """Every choice of one option (or None) per (site, service); ``fixed`` pairs keep
    their option; a forced site has at least one option."""
    pairs = sorted(options_by_pair)
    menus = [[fixed[p]] if fixed and p in fixed else [None, *options_by_pair[p]]
             for p in pairs]
    for choice in itertools.product(*menus):
        chosen = {p: o for p, o in zip(pairs, choice) if o is not None}
        if all(any(p[0] == s for p in chosen) for s in forced_sites):
            yield chosen


def _options(scenario) -> dict:
    found = defaultdict(list)
    for option in scenario.hub_options:
        found[(option.site_id, option.service)].append(option)
    return found


def _hub_cost(scenario, chosen: dict) -> float:
    site_cost = {s.site_id: s.site_cost for s in scenario.sites}
    return (sum(site_cost[s] for s in {p[0] for p in chosen})
            + sum(o.fixed_cost for o in chosen.values()))


def now_choices(scenario) -> list[dict]:
    """Every stage-1 choice: (site, service) → option, over the sites usable now."""
    now = [s for s in scenario.sites if s.status != "closed" and not s.requires_ceasefire]
    ids = {s.site_id for s in now}
    options = {p: o for p, o in _options(scenario).items() if p[0] in ids}
    forced = {s.site_id for s in now if s.status == "open"}
    return list(_choices(options, forced))


class Reference:
    """Costs of now choices in each scenario of ``scenario`` (cached)."""

    def __init__(self, scenario):
        self.scenario = scenario
        self.later = scenario.settings.later_cost_factor
        self.cases = {c.scenario: (c.probability, scenario_of(scenario, c))
                      for c in scenario.scenarios}

    def cost_in(self, name: str, now: dict) -> float:
        """Cost in scenario ``name`` after building ``now`` (inf: no plan)."""
        key = (name, tuple(sorted((p, o.size) for p, o in now.items())))
        return self._cost(key)

    @cache  # noqa: B019 - one Reference per test
    def _cost(self, key) -> float:
        name, now_key = key
        now = {p: next(o for o in self.scenario.hub_options
                       if (o.site_id, o.service) == p and o.size == size)
               for p, size in now_key}
        alone = self.cases[name][1]
        kept = {s.site_id for s in alone.sites}
        fixed = {p: o for p, o in now.items() if p[0] in kept}
        forced = {s.site_id for s in alone.sites if s.status == "open"}
        now_cost = _hub_cost(self.scenario, now)
        best = math.inf
        for chosen in _choices(_options(alone), forced, fixed):
            capacity = {p: float(o.capacity) for p, o in chosen.items()}
            flows = flow_cost(alone, capacity)
            if flows is None:
                continue
            later = _hub_cost(self.scenario, chosen) - _hub_cost(self.scenario, fixed)
            best = min(best, now_cost + self.later * later + flows)
        return best

    def expected(self, now: dict) -> float:
        return sum(p * self.cost_in(name, now) for name, (p, _) in self.cases.items())

    def rp(self) -> tuple[float, dict]:
        """(RP, the best now choice)."""
        return min(((self.expected(now), now) for now in now_choices(self.scenario)),
                   key=lambda item: item[0])

    def ws(self, name: str) -> float:
        return min(self.cost_in(name, now) for now in now_choices(self.scenario))


def as_choice(scenario, modules) -> dict:
    """A now choice from (site_id, service, size) triples."""
    options = {o.key: o for o in scenario.hub_options}
    return {(m[0], m[1]): options[tuple(m)] for m in modules}
