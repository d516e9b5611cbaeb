"""An independent reference for diverse alternatives (SPEC §3.6), by enumeration:
none of hubopt's model, network, session or alternatives code.

It covers the scenarios of tests/loss_reference.py (Routes rows with cost, Demand
max_hours, no contributors, value_of_time = value_at_risk = 0, no previous plan),
where a plan's objective is its hub cost plus its cheapest flows. For them,

- :func:`feasible_designs` lists every choice of one size (or none) per site and
  service that serves all demand (and survives every loss set with resilience),
  with its least objective;
- :func:`next_alternative` applies §3.6 to that list: among the designs within
  the slack that differ from every earlier plan, the least score Σ_{m ∈ U} y_m
  (U: the modules of the earlier plans), then the least objective; it returns the
  score, the objective and every design that attains both (ties allowed). With
  ``by="sites"`` the same over the designs' sets of open sites.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

from loss_reference import failed_loss_sets, flow_cost

COST_TOLERANCE = 1e-6   # relative: objectives this close are equal


def feasible_designs(scenario) -> list[tuple[frozenset, float]]:
    """(modules (site, service, size), objective) of every feasible design."""
    options = defaultdict(list)
    for option in scenario.hub_options:
        options[(option.site_id, option.service)].append(option)
    site_cost = {s.site_id: s.site_cost for s in scenario.sites}
    alpha = scenario.settings.resilience
    keys = sorted(options)
    found = []
    for choice in itertools.product(*[[None, *options[k]] for k in keys]):
        chosen = [o for o in choice if o is not None]
        capacity = {(o.site_id, o.service): float(o.capacity) for o in chosen}
        flows = flow_cost(scenario, capacity)
        if flows is None:
            continue
        if alpha > 0 and failed_loss_sets(scenario, capacity, alpha,
                                          scenario.settings.resilience_losses):
            continue
        hub = sum(site_cost[s] for s in {o.site_id for o in chosen}) \
            + sum(o.fixed_cost for o in chosen)
        found.append((frozenset((o.site_id, o.service, str(o.size)) for o in chosen),
                      hub + flows))
    return found


def counted(modules: frozenset, by: str) -> frozenset:
    """What overlap is counted in: the modules themselves, or their sites."""
    return modules if by == "modules" else frozenset(site for site, _, _ in modules)


def next_alternative(designs, earlier: list[frozenset], c_star: float, slack: float,
                     by: str = "modules"):
    """(score, objective, module or site sets attaining both) of the next alternative
    after the ``earlier`` plans (their module or site sets, the optimum first); None
    when no design qualifies."""
    used = frozenset().union(*earlier)
    limit = c_star + slack * abs(c_star) + COST_TOLERANCE * max(1.0, abs(c_star))
    candidates = [(len(counted(modules, by) & used), cost, counted(modules, by))
                  for modules, cost in designs
                  if cost <= limit and counted(modules, by) not in earlier]
    if not candidates:
        return None
    score = min(c[0] for c in candidates)
    cost = min(c[1] for c in candidates if c[0] == score)
    tied = [c[2] for c in candidates if c[0] == score
            and c[1] <= cost + COST_TOLERANCE * max(1.0, abs(cost))]
    return score, cost, tied
