"""Golden LP files: any change to the formulation shows up as a reviewed diff.

The scenarios below are regenerated as LP files and compared line by line
with ``models/baselines/*.lp``. After an intended formulation change, run

    HUBOPT_UPDATE_BASELINES=1 pytest tests/test_baselines.py

and review the diff of ``models/baselines/`` together with formulation.md.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from tiny import (
    Contributor,
    CountryBound,
    Demand,
    HubOption,
    Permission,
    base,
    with_contributors,
    with_option,
    with_site,
)

import hubopt

BASELINES = Path(__file__).resolve().parents[1] / "models" / "baselines"


def every_family():
    """A tiny scenario that switches on every constraint family and cost term."""
    scenario = base(single_sourcing=True, redundancy=2, budget=500, min_sites=1, max_sites=2,
                    value_of_time=0.5, value_at_risk=10)
    scenario = with_site(with_site(scenario, "A", site_cost=20, threat=0.2), "B", status="open")
    scenario = with_option(scenario, "B", capacity=90)
    scenario = replace(scenario, countries=(CountryBound("POL", min_sites=1, max_sites=2),),
                       demand=(Demand("K", "goods", 60, priority=2), Demand("L", "goods", 40)))
    return with_contributors(
        scenario, [Contributor("DEU", max_staff=25), Contributor("NLD", max_budget=250)],
        [Permission("DEU", "POL", may_fund=False, max_staff=20),
         Permission("NLD", "POL", may_staff=False)])


def resilience():
    """N-1 resilience and the site share cap on the base case (§3.2, threat)."""
    return base(resilience=0.5, max_share_per_site=0.8)


def elastic_every_family():
    """every_family plus resilience and site share: every slack family at once."""
    return every_family().with_settings(resilience=0.5, max_share_per_site=0.9)


def posture():
    """Two scenarios on the base case (§3.5): calm (p 0.6) and strike (p 0.4, A lost);
    later_cost_factor 1.25."""
    from hubopt.inputs.instance import ScenarioCase
    return replace(base(), scenarios=(ScenarioCase("calm", 0.6),
                                      ScenarioCase("strike", 0.4, lost_sites="A")))


def two_sizes():
    """The base case with a second, smaller size at B: one_size (3), Σ y ≤ z_B."""
    return replace(base(), hub_options=(
        *base().hub_options, HubOption("B", "goods", "small", 40, fixed_cost=30, row=4)))


SCENARIOS = {
    "base": base,
    "two_sizes": two_sizes,
    "every_family": every_family,
    "stability": lambda: base(stability_penalty=7),
    "resilience": resilience,
    "elastic": elastic_every_family,
    "posture": posture,
}
PREVIOUS = {"stability": [("B", "goods", "std")]}
ELASTIC = {"elastic"}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_lp_matches_the_baseline(name, tmp_path):
    written = hubopt.write_lp(SCENARIOS[name](), tmp_path / f"{name}.lp",
                              previous_plan=PREVIOUS.get(name, ()), elastic=name in ELASTIC)
    baseline = BASELINES / f"{name}.lp"
    if os.environ.get("HUBOPT_UPDATE_BASELINES"):
        baseline.write_text(written.read_text())
    assert written.read_text().splitlines() == baseline.read_text().splitlines(), (
        f"the model of '{name}' changed; review it and regenerate models/baselines "
        "(see this module's docstring)")


def test_every_family_names_each_constraint_as_the_formulation():
    text = (BASELINES / "every_family.lp").read_text()
    formulation = (BASELINES.parent / "formulation.md").read_text()
    for family in ("demand", "capacity", "site_link_module", "site_link_any", "strong_link",
                   "single_sourcing_flow", "single_sourcing_one", "status_open",
                   "site_count_min", "site_count_max", "country_sites_min",
                   "country_sites_max", "budget", "redundancy", "staffing",
                   "staffing_country_cap", "staffing_contributor_cap", "funding",
                   "funding_contributor_cap"):
        assert f"_{family}" in text, family
        assert f"`{family}`" in formulation, family


def test_resilience_and_elastic_baselines_name_their_families():
    text = (BASELINES / "resilience.lp").read_text()
    formulation = (BASELINES.parent / "formulation.md").read_text()
    for family in ("resilience_demand", "resilience_capacity", "site_share"):
        assert f"_{family}" in text, family
        assert f"`{family}`" in formulation, family
    elastic = (BASELINES / "elastic.lp").read_text()
    for family in hubopt.model.build.SLACK_WEIGHTS:
        if family in ("site_count_min", "site_count_max", "budget"):
            assert f"slack_{family}" in elastic, family    # scalar slacks
        else:
            assert f"slack_{family}(" in elastic, family
        assert f"`slack_{family}" in formulation, family


def test_every_family_scenario_solves_to_its_hand_optimum():
    plan = hubopt.solve(every_family())
    # B is forced open and redundancy 2 opens A too. Single sourcing with B's 90 units:
    # K (priority 2) from A: 60·(1 + 0.5·2·2 + 10·0.2) = 300; L from B: 40·(3 + 0.5·2) = 160;
    # hubs 20 + 100 + 80 = 200. Any other assignment costs more (L from A: 40·(1+1+2) = 160
    # and K from B: 60·(3 + 2) = 300, the same 460 — both are optimal at 660).
    # Staff 20 ≤ DEU caps 20 and 25; funding 200 ≤ NLD 250.
    assert plan.status == "optimal"
    assert plan.summary["objective"] == pytest.approx(660)
    assert set(plan.hubs["site_id"]) == {"A", "B"}


@pytest.mark.parametrize("kind", ["staff", "money"])
def test_share_lp_matches_the_baseline(kind, tmp_path):
    """The burden-sharing LP of §3.1a over every_family's optimal plan."""
    from hubopt.model.burden import build_share_model
    from hubopt.model.network import build_network

    scenario = every_family()
    plan = hubopt.solve(scenario, stress=False)
    opened = list(zip(plan.hubs["site_id"], plan.hubs["service"], plan.hubs["size"]))
    model = build_share_model(build_network(scenario), opened, kind)
    written = tmp_path / f"share_{kind}.lp"
    model.write(str(written), io_options={"symbolic_solver_labels": True})
    baseline = BASELINES / f"share_{kind}.lp"
    if os.environ.get("HUBOPT_UPDATE_BASELINES"):
        baseline.write_text(written.read_text())
    assert written.read_text().splitlines() == baseline.read_text().splitlines(), (
        f"the share LP for {kind} changed; review it and regenerate models/baselines")


def test_alternatives_lp_matches_the_baseline(tmp_path):
    """The model of the tiny case's alternative 2 (§3.6) as hubopt.studies.alternatives
    builds it: alternatives_slack for c* = 200 and ε = 1, a no-good against {A} and
    against {B}, the score bound of alternative 2 (U = {A, B}, least 2) and the score
    as the objective of its least-overlap solve."""
    import pyomo.environ as pyo

    from hubopt.model.alternatives import add_alternatives_slack, add_nogood, add_score_bound
    from hubopt.model.alternatives import score as shared
    from hubopt.model.build import build_model
    from hubopt.model.network import build_network

    model = build_model(build_network(base()))
    a, b = ("A", "goods", "std"), ("B", "goods", "std")
    add_alternatives_slack(model, 200.0, 1.0)
    add_nogood(model, frozenset({a}))
    add_nogood(model, frozenset({b}))
    add_score_bound(model, {a, b}, 2)
    model.objective.deactivate()
    model.score_objective = pyo.Objective(expr=shared(model, {a, b}))
    written = tmp_path / "alternatives.lp"
    model.write(str(written), io_options={"symbolic_solver_labels": True})
    baseline = BASELINES / "alternatives.lp"
    if os.environ.get("HUBOPT_UPDATE_BASELINES"):
        baseline.write_text(written.read_text())
    text = written.read_text()
    assert text.splitlines() == baseline.read_text().splitlines(), (
        "the alternatives rows changed; review them and regenerate models/baselines")
    formulation = (BASELINES.parent / "formulation.md").read_text()
    for family in ("alternatives_slack", "alternatives_nogood", "alternatives_score"):
        assert family in text and f"`{family}`" in formulation, family
