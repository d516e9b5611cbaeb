"""The elastic re-solve of SPEC §3.4: every slack family, triggered by a tiny
scenario (tests/tiny.py) that the pre-solve checks cannot see through, is named
in the diagnosis with the Excel row it comes from and a concrete fix.

Slack weights (models/formulation.md): demand 100 per whole row, resilience 10,
staffing/funding per site 2, every other family 1, each slack divided by its
scale (q_r; dearest hub cost = 100 here; largest hub staff = 10 here; 1 site or
module). The hand reasoning for each case is in its comment.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from tiny import (
    Contributor,
    CountryBound,
    Demand,
    Permission,
    base,
    with_contributors,
    with_option,
    with_routes,
    with_site,
)

import hubopt
from hubopt.model.checks import presolve_findings
from hubopt.model.network import build_network


def diagnosis(scenario) -> list[str]:
    assert presolve_findings(build_network(scenario)) == []  # only the model sees it
    plan = hubopt.solve(scenario)
    assert plan.status == "infeasible" and plan.relaxed
    return [str(issue) for issue in plan.diagnosis]


def test_demand_row_out_of_reach_of_enough_capacity():
    # K (60, max 3 h) is reached only by A (B takes 10 h), and A holds 50: 10 units short
    scenario = with_option(with_routes(base(), B_K=10), "A", capacity=50)
    scenario = replace(scenario, demand=(Demand("K", "goods", 60, max_hours=3, row=2),
                                         Demand("L", "goods", 40, row=3)))
    assert diagnosis(scenario) == [
        "Demand row 2: sector K, goods: 10 of 60 units cannot be served within 3 h by any "
        "permitted site under the other limits. Add goods capacity at a site that reaches K "
        "within 3 h, raise max_hours, or lower this row's quantity by 10."]


def test_budget():
    # the cheapest hub costs 80 > 50
    assert diagnosis(base(budget=50)) == [
        "Settings budget: the hubs needed cost 80 a year, 30 over the budget of 50. "
        "Raise Settings budget by 30 to 80."]


def contributors(scenario, *, max_staff=None, max_budget=None, country_cap=None,
                 may_staff=True, may_fund=True):
    return with_contributors(
        scenario, [Contributor("DEU", max_staff=max_staff, max_budget=max_budget, row=2)],
        [Permission("DEU", "POL", may_staff=may_staff, may_fund=may_fund,
                    max_staff=country_cap, row=2)])


def test_staffing_per_site_when_nobody_may_staff():
    # nobody may staff POL: the cheaper plan (A, 10 staff) is short of 10 personnel
    found = diagnosis(contributors(base(), may_staff=False))
    assert found == [
        "Sites row 2: site A (POL) needs 10 more personnel than the contributors allowed to "
        "staff POL can provide. Allow another contributor to staff POL (Permissions "
        "may_staff = yes), or raise the max_staff of those who may."]


def test_staffing_contributor_cap():
    # one hub needs 10 staff; DEU may give 4: raise Contributors row 2 by 6
    assert diagnosis(contributors(base(), max_staff=4)) == [
        "Contributors row 2: DEU would need 10 personnel, 6 above its max_staff of 4. "
        "Raise Contributors row 2 max_staff of DEU by 6 (to 10), or allow a second "
        "contributor to staff POL."]


def test_staffing_country_cap():
    assert diagnosis(contributors(base(), country_cap=3)) == [
        "Permissions row 2: DEU would need 10 personnel in POL, 7 above its max_staff there "
        "of 3. Raise Permissions row 2 max_staff of DEU in POL by 7 (to 10), or allow "
        "another contributor to staff POL."]


def test_funding_per_site_when_nobody_may_fund():
    # nobody may fund POL: the hub with the least unfunded cost is B (80 < 100)
    assert diagnosis(contributors(base(), may_fund=False)) == [
        "Sites row 3: site B (POL) costs 80 a year more than the contributors allowed to fund "
        "POL can give. Allow another contributor to fund POL (Permissions may_fund = yes), or "
        "raise the max_budget of those who may."]


def test_funding_contributor_cap():
    # the cheapest hub B costs 80, DEU gives at most 50
    assert diagnosis(contributors(base(), max_budget=50)) == [
        "Contributors row 2: DEU would need to fund 80 a year, 30 above its max_budget of 50. "
        "Raise Contributors row 2 max_budget of DEU by 30 (to 80), or allow a second "
        "contributor to fund POL."]


def in_germany(scenario):
    """B moves to Germany, where no contributor may staff or fund: opening it would cost
    staffing and funding slacks (weights 2·10/10 + 2·80/100 = 3.6 > 1 site)."""
    return contributors(with_site(scenario, "B", country="DEU"))


def test_site_count_min():
    assert diagnosis(in_germany(base(min_sites=2))) == [
        "Settings min_sites: only 1 site(s) can open under the other limits, but min_sites "
        "is 2. Lower Settings min_sites to 1, or relax what keeps other sites shut."]


def test_country_sites_min():
    scenario = replace(in_germany(base()),
                       countries=(CountryBound("DEU", min_sites=1, row=2),))
    assert diagnosis(scenario) == [
        "Countries row 2: DEU: only 0 site(s) can open there under the other limits, but "
        "min_sites is 1. Lower Countries row 2 min_sites of DEU to 0."]


def test_site_count_max():
    # redundancy 2 needs both sites (2 row slacks of 1 module) or one more site (1)
    assert diagnosis(base(redundancy=2, max_sites=1)) == [
        "Settings max_sites: the demand and the other limits need 2 open sites, but "
        "max_sites is 1. Raise Settings max_sites to 2."]


def test_country_sites_max():
    scenario = replace(base(redundancy=2),
                       countries=(CountryBound("POL", max_sites=1, row=2),))
    assert diagnosis(scenario) == [
        "Countries row 2: POL: the plan needs 2 open sites there, but max_sites is 1. "
        "Raise Countries row 2 max_sites of POL to 2."]


def test_redundancy_names_every_demand_row():
    # two sites with one size each: at most 2 of the 3 modules redundancy asks for
    assert diagnosis(base(redundancy=3)) == [
        f"Demand row {row}: sector {sector}, goods: only 2 of the 3 open goods modules "
        f"redundancy requires can be within reach. Lower Settings redundancy to 2, or add "
        f"goods options at more sites that reach {sector}." for row, sector in ((2, "K"),
                                                                              (3, "L"))]


def test_status_open():
    # A and B must open, but POL allows one site and the budget one hub's worth: closing
    # B (1 site) beats relaxing both (1 site + 80/100); closing A instead costs as much
    # slack but leaves the dearer plan, so the cheapest relaxed plan closes B
    scenario = replace(with_site(with_site(base(budget=100), "A", status="open"), "B",
                                 status="open"),
                       countries=(CountryBound("POL", max_sites=1, row=2),))
    assert diagnosis(scenario) == [
        "Sites row 3: site B has status = open but cannot open under the other limits "
        "(staffing, funding, budget, site counts). Set Sites row 3 status of B to candidate, "
        "or relax the limit that keeps it shut."]


def test_site_share():
    # K (60, max 3 h) only from A, but no site may hold more than half the 100 units
    scenario = replace(with_routes(base(max_share_per_site=0.5), B_K=10),
                       demand=(Demand("K", "goods", 60, max_hours=3, row=2),
                               Demand("L", "goods", 40, row=3)))
    assert diagnosis(scenario) == [
        "Settings max_share_per_site: site A must serve 60 units of goods, 60% of its demand, "
        "above max_share_per_site 0.5. Raise Settings max_share_per_site to 0.6, or add goods "
        "capacity at other sites in reach."]


def test_resilience():
    # α = 1 but B holds only 60: losing A leaves 40 of the 100 units short, over both rows
    found = diagnosis(with_option(base(resilience=1.0), "B", capacity=60))
    assert len(found) == 1
    assert found[0].startswith("Settings resilience; Sites row 2: if site A is lost, ")
    assert "Demand row" in found[0]
    assert found[0].endswith("lower Settings resilience.")


def test_findings_are_ordered_by_size():
    # budget 50 (slack 30/100 = 0.3) and K out of reach of enough capacity (10/60·100)
    scenario = with_option(with_routes(base(budget=50), B_K=10), "A", capacity=50)
    scenario = replace(scenario, demand=(Demand("K", "goods", 60, max_hours=3, row=2),
                                         Demand("L", "goods", 40, row=3)))
    found = diagnosis(scenario)
    assert [f.split(":")[0] for f in found] == ["Demand row 2", "Settings budget"]


def test_single_sourcing_is_relaxed_to_a_partial_single_source():
    # K (60) must come from one site within 3 h: A holds 50, so 10 go unserved
    scenario = with_option(with_routes(base(single_sourcing=True), B_K=10), "A", capacity=50)
    scenario = replace(scenario, demand=(Demand("K", "goods", 60, max_hours=3, row=2),
                                         Demand("L", "goods", 40, row=3)))
    found = diagnosis(scenario)
    assert found[0].startswith("Demand row 2: sector K, goods: 10 of 60 units")


def test_relaxed_plan_is_the_cheapest_with_that_relaxation():
    # budget 50: the relaxation is 30 either way (B costs 80), A would need 50 more;
    # among plans with slack 30 only B-alone qualifies: 80 + 100·3 = 380
    plan = hubopt.solve(base(budget=50))
    assert plan.summary["objective"] == pytest.approx(380)
    assert plan.summary["status"] == "infeasible"


def test_forced_open_site_over_max_threat_is_a_presolve_finding():
    scenario = with_site(with_site(base(max_threat=0.3), "A", threat=0.5, status="open"),
                         "B", threat=0.1)
    plan = hubopt.solve(scenario)
    assert plan.status == "infeasible" and not plan.relaxed
    assert [str(i) for i in plan.diagnosis] == [
        "Sites row 2: site A must be open (status = open) but its threat 0.5 is above "
        "Settings max_threat 0.3. Raise Settings max_threat to 0.5, or set the site's "
        "status to candidate."]


def test_elastic_model_of_a_feasible_scenario_has_no_slack():
    from hubopt.solver.session import SolveOptions
    from hubopt.studies.diagnosis import diagnose
    plan = diagnose(build_network(base(budget=500, redundancy=2)), (),
                    SolveOptions(time_limit=30, mip_gap=0))
    assert plan.diagnosis == []
    assert plan.summary["objective"] == pytest.approx(280)  # as the ordinary model

