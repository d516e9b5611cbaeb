"""The posture model of SPEC §3.5: what to build now, across scenarios (extensive form).

Stage 1 ("now") decides z⁰_s, y⁰_m over the sites and modules active without a
ceasefire; each scenario ω gets its own copy of every §3 / §3.1 variable and
constraint family, built by :func:`hubopt.model.build.add_families` on the block
``scenario[ω]`` over ω's own network (its ceasefire, its quantities, its lost sites
left out). Names, as in ``models/formulation.md``:

==============================  ====================================  =============================
formulation.md                  meaning                               Pyomo component
==============================  ====================================  =============================
z⁰_s, y⁰_m ∈ {0,1}              site / module built now               ``now.z[s]``, ``now.y[m]``
z^ω, y^ω, x^ω (a^ω, p^ω, f^ω)   scenario ω's plan                     ``scenario[ω].z`` ...
(3), (4), (7) on y⁰, z⁰         one size, site link, status open now  ``now.one_size`` ...
posture_link_module             y^ω_m ≥ y⁰_m  (m of a site ω keeps)   ``posture_link_module``
posture_link_site               z^ω_s ≥ z⁰_s                          ``posture_link_site``
now_cost                        Σ G_s z⁰_s + Σ F_m y⁰_m               ``now_cost``
later_cost[ω]                   λ·(hub cost of ω − what is built now  ``later_cost[ω]``
                                at the sites ω keeps)
recourse_cost[ω]                later_cost[ω] + ω's flow costs        ``recourse_cost[ω]``
scenario_cost[ω]                now_cost + recourse_cost[ω]           ``scenario_cost[ω]``
stability_cost                  §3.3 on y⁰                            ``stability_cost``
objective                       now_cost + Σ p_ω·recourse_cost[ω]     ``objective``
                                + stability_cost
==============================  ====================================  =============================

Budget, site counts and contributor caps hold per scenario on y^ω, z^ω at base
prices (the blocks' own families), as SPEC §3.5 says; what was built now at a site
that ω loses is paid (in now_cost) and serves nothing in ω.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap

from ..inputs.instance import Demand, Scenario, ScenarioCase
from .build import add_families, add_one_size, add_site_link, add_status_open
from .gcpause import collection_paused
from .network import ModuleKey, Network, build_network


@dataclass(frozen=True)
class Futures:
    """The networks of a posture: ``now`` (stage 1: the §3 sets with ceasefire = no;
    no demand, no arcs) and ``cases`` (scenario name → its network, in sheet order);
    ``probability`` p_ω, ``later`` λ = later_cost_factor."""

    scenario: Scenario
    now: Network
    cases: dict[str, Network]
    probability: dict[str, float]
    later: float

    @property
    def names(self) -> list[str]:
        return list(self.cases)

    def lost(self, name: str) -> tuple[str, ...]:
        """The stage-1 sites that scenario ``name`` loses (they are not in its network)."""
        return tuple(s for s in self.now.sites if s not in self.cases[name].sites)


def scenario_alone(scenario: Scenario, case: ScenarioCase) -> Scenario:
    """One future as a plain scenario (SPEC §2.11–2.12): its ceasefire (blank: the
    Settings value), Demand quantities × demand_factor or as ScenarioDemand gives them
    (a new (sector, service) gets priority 1, no max_hours), its lost sites closed,
    scenario_name "<name> / <scenario>", and no Scenarios of its own."""
    ceasefire = scenario.settings.ceasefire if case.ceasefire is None else case.ceasefire
    replaced = {row.key: row.quantity for row in scenario.scenario_demand
                if row.scenario == case.scenario}
    demand = [replace(d, quantity=replaced.pop(d.key) if d.key in replaced
                      else d.quantity * case.demand_factor) for d in scenario.demand]
    demand += [Demand(sector, service, quantity) for (sector, service), quantity
               in sorted(replaced.items())]
    lost = set(case.lost)
    sites = tuple(replace(s, status="closed") if s.site_id in lost else s
                  for s in scenario.sites)
    return replace(scenario, sites=sites, demand=tuple(demand), scenarios=(),
                   scenario_demand=(),
                   settings=scenario.settings.updated(
                       ceasefire=ceasefire,
                       scenario_name=f"{scenario.name} / {case.scenario}"))


def futures(scenario: Scenario) -> Futures:
    """The stage-1 network and each scenario's network of a scenario with Scenarios."""
    now = build_network(replace(scenario, demand=(), scenarios=(), scenario_demand=(),
                                settings=scenario.settings.updated(ceasefire=False)))
    cases = {case.scenario: build_network(scenario_alone(scenario, case))
             for case in scenario.scenarios}
    return Futures(scenario, now, cases,
                   {case.scenario: case.probability for case in scenario.scenarios},
                   scenario.settings.later_cost_factor)


def build_posture_model(futures: Futures, previous_plan: Iterable[ModuleKey] = ()
                        ) -> pyo.ConcreteModel:
    """The extensive form of SPEC §3.5 over ``futures`` (names: module docstring)."""
    with collection_paused():
        return _build(futures, set(previous_plan))


def _build(futures: Futures, previous_plan: set[ModuleKey]) -> pyo.ConcreteModel:
    model = pyo.ConcreteModel(name="hubopt_posture")
    model.futures = futures
    now = futures.now
    model.now = pyo.Block()
    _add_now(model.now, now)
    model.W = pyo.Set(initialize=futures.names, ordered=True, doc="scenarios")
    model.scenario = pyo.Block(model.W)
    for name, network in futures.cases.items():
        add_families(model.scenario[name], network)
    add_posture_links(model, futures)
    add_posture_costs(model, futures, previous_plan)
    model.objective = pyo.Objective(expr=model.now_cost + sum(
        futures.probability[w] * model.recourse_cost[w] for w in model.W
        if futures.probability[w]) + model.stability_cost, sense=pyo.minimize)
    return model


def _add_now(block, network: Network) -> None:
    """Stage 1: z⁰, y⁰ over the sites and modules active without a ceasefire, with
    one_size (3), site_link (4) and status_open (7) of §3 on them."""
    block.network = network
    block.elastic = False
    block.slack_families = {}
    block.S = pyo.Set(initialize=list(network.sites), ordered=True,
                      doc="sites that can be built now")
    block.M = pyo.Set(initialize=list(network.modules), dimen=3, ordered=True,
                      doc="modules that can be built now (site, service, size)")
    block.z = pyo.Var(block.S, within=pyo.Binary, doc="site built now")
    block.y = pyo.Var(block.M, within=pyo.Binary, doc="module built now")
    add_one_size(block, network)
    add_site_link(block, network)
    add_status_open(block, network)


def add_posture_links(model, futures: Futures) -> None:
    """posture_link_module: y^ω_m ≥ y⁰_m and posture_link_site: z^ω_s ≥ z⁰_s, for
    the stage-1 modules and sites of every site ω keeps: what is built now stays, at
    its size (one_size holds for y^ω)."""
    modules = [(w, *m) for w in futures.names for m in futures.now.modules
               if m in futures.cases[w].modules]
    sites = [(w, s) for w in futures.names for s in futures.now.sites
             if s in futures.cases[w].sites]
    model.posture_link_module = pyo.Constraint(
        pyo.Set(initialize=modules, dimen=4, ordered=True),
        rule=lambda m, w, s, k, size: m.scenario[w].y[s, k, size] >= m.now.y[s, k, size])
    model.posture_link_site = pyo.Constraint(
        pyo.Set(initialize=sites, dimen=2, ordered=True),
        rule=lambda m, w, s: m.scenario[w].z[s] >= m.now.z[s])


def add_posture_costs(model, futures: Futures, previous_plan: set[ModuleKey]) -> None:
    """now_cost, later_cost[ω], recourse_cost[ω], scenario_cost[ω] and the stability
    term on y⁰ (currency/year; module docstring)."""
    now = futures.now
    later = futures.later
    model.now_cost = pyo.Expression(expr=(
        sum(now.sites[s].site_cost * model.now.z[s] for s in model.now.S
            if now.sites[s].site_cost)
        + sum(now.modules[m].fixed_cost * model.now.y[m] for m in model.now.M
              if now.modules[m].fixed_cost)))

    def kept_now(w):
        """Base price of what is built now at the sites scenario w keeps."""
        case = futures.cases[w]
        return (sum(now.sites[s].site_cost * model.now.z[s] for s in model.now.S
                    if s in case.sites and now.sites[s].site_cost)
                + sum(now.modules[m].fixed_cost * model.now.y[m] for m in model.now.M
                      if m in case.modules and now.modules[m].fixed_cost))
    model.later_cost = pyo.Expression(model.W, rule=lambda m, w: later * (
        m.scenario[w].hub_cost - kept_now(w)))
    model.recourse_cost = pyo.Expression(model.W, rule=lambda m, w: (
        m.later_cost[w] + m.scenario[w].transport_cost + m.scenario[w].time_cost
        + m.scenario[w].risk_cost))
    model.scenario_cost = pyo.Expression(model.W, rule=lambda m, w: (
        m.now_cost + m.recourse_cost[w]))
    penalty = now.scenario.settings.stability_penalty if previous_plan else 0.0
    model.stability_cost = pyo.Expression(expr=sum(
        penalty * ((1 - model.now.y[m]) if m in previous_plan else model.now.y[m])
        for m in model.now.M if penalty) + sum(
        penalty for m in previous_plan if penalty and m not in now.modules))


def now_start(model, modules: Iterable[ModuleKey]) -> ComponentMap:
    """y⁰, z⁰ values building exactly ``modules`` now (those that can be built now)."""
    chosen = set(modules)
    values = ComponentMap((model.now.y[m], 1.0 if m in chosen else 0.0) for m in model.now.M)
    values.update((model.now.z[s], 1.0 if any(m[0] == s for m in chosen) else 0.0)
                  for s in model.now.S)
    return values


def built_now(model) -> list[ModuleKey]:
    """The stage-1 modules of the loaded solution, sorted."""
    return sorted(m for m in model.now.M if pyo.value(model.now.y[m]) > 0.5)
