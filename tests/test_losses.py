"""Resilience by lazy loss cases (SPEC §3.2; hubopt.solver.losses) and N-2.

Lazy and full must reach the same optimum; every plan must survive every loss
case, checked by tests/loss_reference.py (a bare-HiGHS transport LP from the
records, over every set of L sites, closed ones included); on tiny instances the
optimum must equal the reference's enumeration of every design.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from loss_reference import best_design, capacity_of, failed_loss_sets
from plan_check import check_solved
from test_baselines import every_family
from tiny import HubOption, Route, Sector, base, with_site

import hubopt
from hubopt.inputs.instance import Demand, Scenario, Service, Settings, Site
from hubopt.model.build import loss_cases
from hubopt.model.network import build_network
from hubopt.solver import session as session_module
from hubopt.solver.sizing import model_size

REL = 1e-6


def seeded(n_sites: int, seed: int, *, alpha: float, losses: int = 1,
           single_sourcing: bool = False, services: int = 1) -> Scenario:
    """A seeded instance whose base plan opens few sites, so resilience binds: sites
    and sectors in a 300 × 200 km box, Routes rows with hours and cost from the
    distance, every row in reach of its four nearest sites (max_hours), two sizes
    per site and service with economies of scale."""
    rng = np.random.default_rng(seed)
    names = [f"goods{k}" if k else "goods" for k in range(services)]
    site_xy = rng.uniform((0, 0), (300, 200), size=(n_sites, 2))
    sector_xy = rng.uniform((0, 0), (300, 200), size=(2 * n_sites, 2))
    sites = tuple(Site(f"S{i}", "POL", latitude=50.0, longitude=20.0,
                       site_cost=float(rng.uniform(200, 400)), row=i + 2)
                  for i in range(n_sites))
    sectors, demand, routes = [], [], []
    for j, (x, y) in enumerate(sector_xy):
        sector = f"T{j}"
        sectors.append(Sector(sector, "POL", latitude=50.0, longitude=20.0, row=j + 2))
        km = np.hypot(site_xy[:, 0] - x, site_xy[:, 1] - y)
        reach = float(np.sort(km)[min(3, n_sites - 1)]) / 60.0 + 0.01
        for service in names:
            demand.append(Demand(sector, service, float(rng.integers(10, 40)),
                                 max_hours=round(reach, 4), row=len(demand) + 2))
        for i, d in enumerate(km):
            routes.append(Route(f"S{i}", sector, round(float(d) / 60.0, 4),
                                round(0.02 * float(d), 4), row=len(routes) + 2))
    total = sum(d.quantity for d in demand) / services
    options = []
    for site in sites:
        for service in names:
            options.append(HubOption(site.site_id, service, "S", round(0.3 * total),
                                     fixed_cost=150.0, row=len(options) + 2))
            options.append(HubOption(site.site_id, service, "L", round(0.6 * total),
                                     fixed_cost=220.0, row=len(options) + 2))
    settings = Settings(scenario_name=f"seeded{seed}", missing_routes="forbid",
                        resilience=alpha, resilience_losses=losses,
                        single_sourcing=single_sourcing, mip_gap=0.0, time_limit_seconds=120)
    return Scenario(settings, tuple(Service(k, "units") for k in names), sites,
                    tuple(options), tuple(sectors), tuple(demand), routes=tuple(routes))


def solve_both(scenario):
    lazy = hubopt.solve(scenario, stress=False, loss_cases="lazy")
    full = hubopt.solve(scenario, stress=False, loss_cases="full")
    return lazy, full


def assert_same_optimum(lazy, full):
    assert lazy.status == full.status
    if full.has_plan:
        assert lazy.status == "optimal"
        assert lazy.summary["objective"] == pytest.approx(full.summary["objective"], rel=REL)
        assert check_solved(lazy) == []


GOLDEN = {"base": base, "every_family": every_family,
          "base_two_sizes": lambda: replace(base(), hub_options=(
              *base().hub_options, HubOption("B", "goods", "small", 40, fixed_cost=30, row=4)))}


@pytest.mark.parametrize("alpha", [0.5, 0.8, 1.0])
@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_lazy_and_full_reach_the_same_optimum_on_the_golden_scenarios(name, alpha):
    scenario = GOLDEN[name]().with_settings(resilience=alpha)
    lazy, full = solve_both(scenario)
    # every_family's B holds 90 of the 100 units: α = 1 cannot survive losing A
    assert full.status == ("infeasible" if (name, alpha) == ("every_family", 1.0)
                           else "optimal")
    assert_same_optimum(lazy, full)
    if full.has_plan:
        assert failed_loss_sets(scenario, capacity_of(lazy.hubs), alpha, 1) == []


def test_binding_case_needs_a_second_round_and_records_it():
    # base: A alone (200) fails the loss of A; α = 1 needs B as a full backup (280,
    # tests/test_resilience.py): round 1 plan A, fails "A"; round 2 adds that case.
    lazy = hubopt.solve(base(resilience=1.0), stress=False)
    assert lazy.summary["objective"] == pytest.approx(280)
    assert lazy.run["loss_cases"] == "lazy"
    assert lazy.run["resilience_rounds"] == 2
    assert lazy.run["loss_cases_failed"] == "A"
    assert lazy.run["resilience_cuts"] == 1
    assert lazy.run["loss_cases_added"] == 0
    full = hubopt.solve(base(resilience=1.0), stress=False, loss_cases="full")
    assert full.run["loss_cases"] == "full" and full.run["loss_cases_in_model"] == 2


@pytest.mark.parametrize(("seed", "alpha", "single"), [
    (1, 0.5, False), (2, 0.8, False), (3, 1.0, False), (4, 0.8, True), (5, 1.0, True),
    (6, 0.5, True)])
def test_lazy_and_full_agree_on_seeded_instances(seed, alpha, single):
    scenario = seeded(7, seed, alpha=alpha, single_sourcing=single)
    lazy, full = solve_both(scenario)
    assert full.status == "optimal"
    assert_same_optimum(lazy, full)
    assert failed_loss_sets(scenario, capacity_of(lazy.hubs), alpha, 1) == []
    # only cases of sites some round opened were cut: at most the open sites per round
    assert lazy.run["resilience_cuts"] + lazy.run["loss_cases_added"] <= \
        lazy.summary["open_sites"] * lazy.run["resilience_rounds"] + 7


def test_resilience_binds_on_the_seeded_instances():
    """The seeded instances are not trivial: the plan without resilience fails a loss."""
    scenario = seeded(7, 2, alpha=0.0)
    plan = hubopt.solve(scenario, stress=False)
    assert failed_loss_sets(scenario, capacity_of(plan.hubs), 0.8, 1) != []
    resilient = hubopt.solve(scenario.with_settings(resilience=0.8), stress=False)
    assert resilient.summary["objective"] > plan.summary["objective"] * 1.01
    assert resilient.run["resilience_rounds"] >= 2


@pytest.mark.parametrize(("seed", "alpha", "losses", "single"), [
    (11, 0.8, 1, False), (12, 0.6, 2, False), (13, 0.5, 2, True), (14, 1.0, 1, True)])
def test_optimum_equals_the_enumeration_of_every_design(seed, alpha, losses, single):
    scenario = seeded(5, seed, alpha=alpha, losses=losses, single_sourcing=single)
    reference = best_design(scenario, alpha, losses)
    lazy, full = solve_both(scenario)
    if reference is None:
        assert lazy.status == full.status == "infeasible"
        return
    assert lazy.status == "optimal"
    assert lazy.summary["objective"] == pytest.approx(reference[0], rel=REL)
    assert full.summary["objective"] == pytest.approx(reference[0], rel=REL)


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_n2_plan_survives_every_pair_and_equals_the_full_n2_model(seed):
    scenario = seeded(6, seed, alpha=0.7, losses=2)
    lazy, full = solve_both(scenario)
    assert full.status == "optimal"
    assert_same_optimum(lazy, full)
    assert failed_loss_sets(scenario, capacity_of(lazy.hubs), 0.7, 2) == []
    n1 = hubopt.solve(scenario.with_settings(resilience_losses=1), stress=False)
    assert lazy.summary["objective"] >= n1.summary["objective"] * (1 - REL)
    # only pairs of sites were found failing
    assert all(" & " in case for case in lazy.run["loss_cases_failed"].split(", "))


def test_n2_costs_more_than_n1_where_a_pair_binds():
    # three sites of 100 each, 100 units of demand: N-1 at α = 0.5 needs two sites,
    # N-2 needs three (any one left must carry 50)
    scenario = replace(base(resilience=0.5), sites=(*base().sites, Site(
        "C", "POL", latitude=50.0, longitude=23.0, row=4)), hub_options=(
        *base().hub_options, HubOption("C", "goods", "std", 100, fixed_cost=90, row=4)),
        routes=(*base().routes, Route("C", "K", 2.0, 2.0, row=6), Route("C", "L", 2.0, 2.0,
                                                                          row=7)))
    n1 = hubopt.solve(scenario, stress=False)
    n2 = hubopt.solve(scenario.with_settings(resilience_losses=2), stress=False)
    assert set(n1.hubs["site_id"]) == {"A", "B"}        # 100 + 80 + 100·1
    assert n1.summary["objective"] == pytest.approx(280)
    assert set(n2.hubs["site_id"]) == {"A", "B", "C"}   # + 90
    assert n2.summary["objective"] == pytest.approx(370)
    assert failed_loss_sets(scenario, capacity_of(n2.hubs), 0.5, 2) == []


def test_a_row_only_two_sites_reach_cannot_survive_n2():
    plan = hubopt.solve(base(resilience=0.5, resilience_losses=2))
    assert plan.status == "infeasible"
    assert plan.diagnosis[0].message == (
        "sector K, goods: only sites A (Sites row 2) and B (Sites row 3) can reach it, so "
        "losing both together (resilience_losses 2) leaves it unserved; resilience 0.5 "
        "requires 30 units from elsewhere.")


def test_loss_cases_of_open_sites():
    network = build_network(seeded(5, 1, alpha=0.5, losses=2))
    assert loss_cases(network, ["S3", "S1", "S4"]) == [("S1", "S3"), ("S1", "S4"),
                                                      ("S3", "S4")]
    assert loss_cases(network, ["S2"]) == [("S2",)]
    assert len(loss_cases(network)) == 10
    single = build_network(seeded(5, 1, alpha=0.5))
    assert loss_cases(single, ["S2", "S0"]) == [("S0",), ("S2",)]


def test_memory_estimate_counts_the_loss_cases_in_the_model():
    network = build_network(seeded(6, 1, alpha=0.8))
    plain = model_size(build_network(seeded(6, 1, alpha=0.0)))
    assert model_size(network, loss_cases=0) == plain
    full, two = model_size(network), model_size(network, loss_cases=2)
    assert plain.variables < two.variables < full.variables
    # each case holds about (1 - 1/6) of the arcs: six cases add five times the arcs
    assert full.variables - plain.variables == pytest.approx(5 * len(network.arcs), rel=0.01)
    pairs = model_size(build_network(seeded(6, 1, alpha=0.8, losses=2)))
    assert pairs.variables - plain.variables == pytest.approx(15 * 4 / 6 * len(network.arcs),
                                                              rel=0.01)


def test_a_round_stopped_with_a_failing_plan_reports_no_plan(monkeypatch):
    """A round that is not proven (time limit) and whose plan fails a loss case
    cannot go on: the solve reports no plan rather than a plan that does not survive."""
    run = session_module.Session.run

    def stopped(self, start=None, *, time_limit=None, on_improving=None):
        # HiGHS stopped by its time limit: no incumbent checked while it ran
        outcome = run(self, start, time_limit=time_limit)
        return replace(outcome, status="time_limit") if outcome.has_plan else outcome
    monkeypatch.setattr(session_module.Session, "run", stopped)
    plan = hubopt.solve(base(resilience=1.0), stress=False)
    assert plan.status == "no_solution"
    assert plan.hubs.empty
    # and a plan that survives is kept, status and all
    kept = hubopt.solve(with_site(base(resilience=0.4), "B", status="open"), stress=False)
    assert kept.status == "time_limit" and kept.summary["objective"] == pytest.approx(280)


def test_explain_and_pareto_keep_resilience():
    """The studies re-solve through the same session: their plans survive too."""
    scenario = base(resilience=1.0)
    plan = hubopt.solve(scenario)
    from hubopt.studies.explain import explain
    table = explain(plan, time_budget=30).set_index(["question", "subject"])
    # forbidding B leaves A alone, which cannot survive A's loss: no plan
    assert table.loc[("forbid site", "B"), "status"] == "infeasible"


def test_resilience_losses_out_of_range_is_refused(tmp_path):
    from click.testing import CliRunner
    from workbooks import tiny_sheets, write_book

    from hubopt.cli import main
    sheets = tiny_sheets()
    sheets["Settings"] += [["resilience", 0.5], ["resilience_losses", 3]]
    path = write_book(tmp_path / "in.xlsx", sheets)
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(main, ["solve", str(path), "-o", str(out)])
    assert result.exit_code == 3
    row = len(sheets["Settings"])
    assert (f"Settings!B{row}: resilience_losses: '3' is out of range; expected a whole "
            "number from 1 to 2.") in result.output
    assert not out.exists()


def three_sites(**settings):
    """base plus site C (cost 90, ships at 2), with 150 units of demand (K 90, L 60):
    every site holds 100, so any two lost together leave 50 unserved."""
    scenario = base(**settings)
    return replace(scenario, sites=(*scenario.sites, Site(
        "C", "POL", name="Site C", latitude=50.0, longitude=23.0, row=4)), hub_options=(
        *scenario.hub_options, HubOption("C", "goods", "std", 100, fixed_cost=90, row=4)),
        routes=(*scenario.routes, Route("C", "K", 2.0, 2.0, row=6),
                Route("C", "L", 2.0, 2.0, row=7)),
        demand=(Demand("K", "goods", 90, row=2), Demand("L", "goods", 60, row=3)))


def test_stress_and_resilience_sheet_report_the_pairs():
    plan = hubopt.solve(three_sites(resilience=0.5, resilience_losses=2))
    # N-2 at α = 0.5: any one site left must carry 75, so all three open
    assert set(plan.hubs["site_id"]) == {"A", "B", "C"}
    stress = plan.stress.set_index("site_id")
    assert set(plan.stress["site_id"][:3]) == {"A & B", "A & C", "B & C"}   # worst first
    assert sorted(stress.index) == ["A", "A & B", "A & C", "B", "B & C", "C"]
    for pair in ("A & B", "A & C", "B & C"):
        assert stress.loc[pair, "unserved"] == pytest.approx(50)
        assert stress.loc[pair, "unserved_share"] == pytest.approx(50 / 150)
    for site in ("A", "B", "C"):
        assert stress.loc[site, "unserved"] == pytest.approx(0)
    assert stress.loc["A & C", "name"] == "A & Site C"
    # the plan without resilience is A + C (100 + 90 + 90·1 + 10·1 + 50·2 = 390): losing
    # both leaves everything unserved; with resilience 50 of 150
    table = plan.resilience.set_index("site_id")
    assert plan.resilience["site_id"][0] == "A & C"
    assert table.loc["A & C", "unserved_without"] == pytest.approx(150)
    assert table.loc["A & C", "unserved_share_without"] == pytest.approx(1.0)
    assert table.loc["A & C", "unserved_with"] == pytest.approx(50)
    assert table.loc["A & C", "unserved_share_with"] == pytest.approx(1 / 3)
    assert not table.loc["A & B", "open_without"] and table.loc["A & B", "open_with"]


def test_stress_tries_single_losses_only_with_n1():
    plan = hubopt.solve(three_sites(resilience=0.5))
    assert all(" & " not in site for site in plan.stress["site_id"])


@pytest.mark.parametrize(("seed", "losses"), [(2, 1), (22, 2), (12, 2)])
def test_every_cut_holds_for_every_design_and_every_loss_it_survives(seed, losses):
    """resilience_cut, a_m = min(μ_sk·cap_m, D_sk, b_k) per service, holds with the
    sites of *any* loss case t left out, for every design (one size or none per site
    and service) that the reference says survives t — which is what makes the
    robust form (Σ_s A_s less the L largest ≥ b) and its count (at least L + k
    sites of the cut open) valid for every design that survives every case. The
    plan without resilience violates the robust form of each cut, the prices are
    0/1 (Hall sets) and the strengthening is not idle."""
    import itertools

    from loss_reference import TOLERANCE, arcs, loss_sets, shortfall

    from hubopt.solver.losses import LossCheck, loss_cuts
    from hubopt.solver.session import CHECK_OPTIONS, Session

    alpha = 0.8
    scenario = seeded(5, seed, alpha=alpha, losses=losses)
    network = build_network(scenario)
    plan = hubopt.solve(scenario.with_settings(resilience=0.0), stress=False)
    capacity = capacity_of(plan.hubs)
    check = LossCheck(network, alpha, lambda lp: Session(lp, CHECK_OPTIONS))
    check.set_plan(capacity)
    cuts, prices_seen = [], []
    for case in loss_cases(network, {site for site, _ in capacity}):
        short, prices = check.shortfall(case)
        if short:
            prices_seen.extend(prices.values())
            cuts.extend(loss_cuts(network, prices))
    check.close()
    assert cuts, "the plan without resilience fails no case: the test checks nothing"
    assert all(p == pytest.approx(1.0) for p in prices_seen)

    def opened(key):
        return float(capacity.get((key[0], key[1]), 0) == network.modules[key].capacity)

    for cut in cuts:
        assert cut.surplus(opened, losses) < -1e-9 * cut.rhs      # the plan violates it

    choices = {}
    for key in network.modules:
        choices.setdefault((key[0], key[1]), [None]).append(key)
    total = sum(d.quantity for d in scenario.demand)
    cases = loss_sets(scenario, losses)
    checked = 0
    for design in itertools.product(*choices.values()):
        keys = {key for key in design if key is not None}
        design_capacity = {(k[0], k[1]): network.modules[k].capacity for k in keys}
        survives = {case for case in cases
                    if shortfall(scenario, design_capacity, set(case), alpha) <= TOLERANCE * total}

        def is_open(key, keys=keys):
            return float(key in keys)

        for cut in cuts:
            sides = cut.site_sides(is_open)
            for case in survives:
                left = sum(v for site, v in sides.items() if site not in case)
                assert left >= cut.rhs * (1 - 1e-9) - 1e-9, (cut, case, sorted(keys))
                checked += 1
            if len(survives) == len(cases):
                assert cut.surplus(is_open, losses) >= -1e-9 * cut.rhs
                assert len({k[0] for k, _ in cut.terms if k in keys}) \
                    >= cut.sites_needed(losses)
    assert checked
    reach = {(a[0], a[2]) for a in arcs(scenario)}
    assert any(a < network.modules[key].capacity * (1 - 1e-9)
               for cut in cuts for key, a in cut.terms if (key[0], key[1]) in reach)


def test_rounds_to_check_stop_at_the_checking_gap_and_the_last_proves_the_target(monkeypatch):
    """Rounds whose plan is only checked run at CHECKING_GAP; once a plan survives every
    case at a gap above the target, one more round proves the target gap from it."""
    from hubopt.solver.losses import CHECKING_GAP

    run = session_module.Session.run
    gaps = []

    def recorded(self, start=None, *, time_limit=None, on_improving=None):
        outcome = run(self, start, time_limit=time_limit, on_improving=on_improving)
        if self.model.name == "loss_check":        # the check LPs' own session
            return outcome
        gaps.append(self.highs.getOptionValue("mip_rel_gap")[1])
        # pretend a checking round stopped 3 % short of proof
        return replace(outcome, gap=0.03) if gaps[-1] > 0.01 and outcome.has_plan else outcome
    monkeypatch.setattr(session_module.Session, "run", recorded)
    plan = hubopt.solve(base(resilience=1.0).with_settings(mip_gap=0.001), stress=False)
    assert plan.status == "optimal" and plan.summary["objective"] == pytest.approx(280)
    assert gaps == [CHECKING_GAP, CHECKING_GAP, 0.001]   # plan A fails A; A+B; proof
    assert plan.run["resilience_rounds"] == 3
    assert plan.run["resilience_plans_checked"] == 2          # A; A + B


def out_of_time_holding_a(session, outcome):
    """The run ``outcome`` as if it had stopped at the time limit holding plan A
    alone: site B's modules switched off in the loaded plan (A fails the loss of A)."""
    for key in session.model.y:
        if key[0] == "B":
            session.model.y[key].set_value(0.0)
    return replace(outcome, status="time_limit")


def test_a_failing_incumbent_stops_the_proof_and_checking_resumes_from_the_survivor(
        monkeypatch):
    """The proof round's watch meets a plan that fails (here: the proof round's
    on_improving is handed plan A, within the checking gap, and the run ends holding
    it, as HiGHS does when interrupted): the loop does not report it, but returns to
    a checking round started from the surviving plan (A + B), which then needs no
    further proof."""
    run = session_module.Session.run
    calls = []

    def proof_meets_a(self, start=None, *, time_limit=None, on_improving=None):
        if self.model.name == "loss_check":
            return run(self, start, time_limit=time_limit, on_improving=on_improving)
        gap = self.highs.getOptionValue("mip_rel_gap")[1]
        calls.append((gap, start is not None))
        if gap < 0.01 and len(calls) == 3:      # the first proof round
            values = np.zeros(len(self.compiled.columns))
            for key in self.model.y:
                if key[0] == "A":
                    values[self.column(self.model.y[key])] = 1.0
            assert on_improving(values, 200.0, 199.9) is True
        outcome = run(self, start, time_limit=time_limit, on_improving=on_improving)
        if gap > 0.01 and outcome.has_plan and len(calls) == 2:
            return replace(outcome, gap=0.03)        # the checking round, unproven
        if len(calls) == 3:                          # HiGHS stopped holding plan A
            return replace(out_of_time_holding_a(self, outcome), termination="kInterrupt")
        return outcome
    monkeypatch.setattr(session_module.Session, "run", proof_meets_a)
    plan = hubopt.solve(base(resilience=1.0).with_settings(mip_gap=0.001), stress=False)
    assert plan.status == "optimal" and plan.summary["objective"] == pytest.approx(280)
    assert [gap for gap, _ in calls] == [0.05, 0.05, 0.001, 0.05]
    assert calls[3][1]                     # started from the plan that survived
    assert plan.run["resilience_rounds_stopped_early"] == 2     # round 1 (A) and the proof


def test_the_watch_checks_only_incumbents_within_the_checking_gap():
    """IncumbentWatch: a failing plan further than CHECKING_GAP from the bound is not
    checked (HiGHS goes on), within it is checked and stops the run; a surviving one
    is kept as the round's best surviving plan; each plan is checked once."""
    from hubopt.model.build import build_model
    from hubopt.solver.losses import CHECKING_GAP, IncumbentWatch, LazyLosses
    from hubopt.solver.session import CHECK_OPTIONS, Session, SolveOptions

    scenario = base(resilience=1.0)
    network = build_network(scenario)
    losses = LazyLosses(network, lambda lp: Session(lp, CHECK_OPTIONS))
    model = build_model(network, losses=())
    session = Session(model, SolveOptions(), losses=losses)
    watch = IncumbentWatch(losses, session)
    only_a = np.zeros(len(session.compiled.columns))
    both = np.zeros(len(session.compiled.columns))
    for key in network.modules:
        column = session.column(model.y[key])
        both[column] = 1.0
        if key[0] == "A":
            only_a[column] = 1.0
    far = 200 * (1 - 2 * CHECKING_GAP)
    assert watch(only_a, 200.0, far) is False and watch.plans == 0
    assert watch(both, 280.0, 279.0) is False and watch.plans == 1
    assert watch.survivor.objective == 280.0 and not watch.stopped
    assert watch(only_a, 200.0, 199.0) is True and watch.stopped and watch.plans == 2
    assert watch(only_a, 200.0, 199.5) is True and len(losses._checked) == 2
    session.close()


def test_a_round_stopped_with_a_failing_plan_reports_the_plan_that_survived(monkeypatch):
    """A round ends at the time limit holding a plan that fails a loss case (here: B's
    module switched off after the run, so A alone, which fails the loss of A) after
    a plan that survives was found — by the watch, while the round ran (A + B, 280):
    that plan is reported, status time_limit, gap against the best bound, not 'no
    plan'."""
    run = session_module.Session.run

    def time_ran_out(self, start=None, *, time_limit=None, on_improving=None):
        outcome = run(self, start, time_limit=time_limit, on_improving=on_improving)
        if self.model.name == "loss_check" or outcome.termination == "kInterrupt":
            return outcome
        return out_of_time_holding_a(self, outcome)
    monkeypatch.setattr(session_module.Session, "run", time_ran_out)
    plan = hubopt.solve(base(resilience=1.0).with_settings(mip_gap=0.001), stress=False)
    assert plan.status == "time_limit"
    assert plan.summary["objective"] == pytest.approx(280)
    assert sorted(plan.hubs["site_id"]) == ["A", "B"]
    assert failed_loss_sets(plan.scenario, capacity_of(plan.hubs), 1.0, 1) == []


def test_a_surviving_plan_the_watch_never_saw_is_still_kept(monkeypatch):
    """A checking round's plan that survives is kept even when the watch never
    checked it (found further than CHECKING_GAP from the bound): the proof round then
    ends at the time limit holding plan A, which fails, and A + B is reported."""
    from hubopt.solver.losses import IncumbentWatch

    monkeypatch.setattr(IncumbentWatch, "__call__", lambda self, values, objective, bound:
                        False)
    monkeypatch.setattr(IncumbentWatch, "find_survivor", lambda self: None)
    run = session_module.Session.run
    rounds = []

    def proof_ran_out(self, start=None, *, time_limit=None, on_improving=None):
        outcome = run(self, start, time_limit=time_limit, on_improving=on_improving)
        if self.model.name == "loss_check":
            return outcome
        rounds.append(self.highs.getOptionValue("mip_rel_gap")[1])
        if rounds[-1] > 0.01:
            return replace(outcome, gap=0.03) if outcome.has_plan else outcome
        return out_of_time_holding_a(self, outcome)
    monkeypatch.setattr(session_module.Session, "run", proof_ran_out)
    plan = hubopt.solve(base(resilience=1.0).with_settings(mip_gap=0.001), stress=False)
    assert rounds == [0.05, 0.05, 0.001]
    assert plan.status == "time_limit"
    assert plan.summary["objective"] == pytest.approx(280)
    assert sorted(plan.hubs["site_id"]) == ["A", "B"]


def test_the_count_is_the_fewest_sites_that_survive_any_l_losses():
    """resilience_cut_count's n (HallCut.sites_needed) against brute force: the least
    |S| over every set of sites S whose shares, less the L largest, reach b. The
    hand-worked case: one site reaching b, four a third of it each — N-2 needs five
    open sites (the old count, L + the fewest reaching b, said three), N-1 four."""
    import itertools

    from hubopt.solver.losses import HallCut

    def cut_of(coefficients, rhs):
        return HallCut("goods", tuple(((f"S{i}", "goods", "L"), a)
                                      for i, a in enumerate(coefficients)), rhs)

    def brute_force(coefficients, rhs, losses):
        for size in range(len(coefficients) + 1):
            for chosen in itertools.combinations(sorted(coefficients, reverse=True), size):
                if sum(chosen[losses:]) >= rhs * (1 - 1e-12):
                    return size
        return len(coefficients) + 1

    assert cut_of([3.0, 1.0, 1.0, 1.0, 1.0], 3.0).sites_needed(2) == 5
    assert cut_of([3.0, 1.0, 1.0, 1.0, 1.0], 3.0).sites_needed(1) == 4
    assert cut_of([3.0, 1.0, 1.0], 3.0).sites_needed(2) == 4       # none enough: |S| + 1
    rng = np.random.default_rng(5)
    for _ in range(300):
        coefficients = [float(v) for v in rng.integers(1, 10, size=int(rng.integers(1, 7)))]
        rhs = float(rng.integers(1, 25))
        for losses in (1, 2):
            assert cut_of(coefficients, rhs).sites_needed(losses) == \
                brute_force(coefficients, rhs, losses), (coefficients, rhs, losses)


def test_the_hull_of_a_cut_admits_every_design_that_satisfies_it_and_cuts_fractions():
    """add_cut_hull against enumeration: for random cuts over sites with up to three
    sizes (one size or none per site), every design whose shares, less the L largest,
    reach b keeps the rows of add_robust_cut feasible (an LP with y fixed: the hull's
    weights and copies must exist), every design that does not is refused by them,
    and — the point of the hull — a fractional y that the L-largest form and the
    count accept is refused (below, worked by hand). With more levels than HULL_LEVELS the coefficients
    are rounded up, still admitting every design that satisfies the cut."""
    import itertools

    import pyomo.environ as pyo

    from hubopt.solver.losses import HallCut, add_robust_cut
    from hubopt.solver.session import CHECK_OPTIONS, Session

    def feasible(cut, losses, fixed):
        model = pyo.ConcreteModel()
        keys = [key for key, _ in cut.terms]
        model.y = pyo.Var(keys, bounds=(0, 1))
        model.objective = pyo.Objective(expr=sum(model.y.values()))
        add_robust_cut(model, cut, losses)
        for key in keys:
            model.y[key].fix(fixed.get(key, 0.0))
        session = Session(model, CHECK_OPTIONS)
        try:
            return session.solve().has_plan
        finally:
            session.close()

    rng = np.random.default_rng(11)
    designs_checked = 0
    for trial in range(12):
        sites = int(rng.integers(3, 6))
        terms = tuple(((f"S{s}", "goods", size), float(rng.integers(1, 9)))
                      for s in range(sites) for size in ("S", "M", "L")[:int(rng.integers(1, 4))])
        rhs = float(rng.integers(3, 14))
        losses = 1 + trial % 2
        cut = HallCut("goods", terms, rhs)
        by_site = cut.by_site()
        for design in itertools.product(*[[None, *terms] for terms in by_site.values()]):
            chosen = {key: 1.0 for key, _ in (t for t in design if t is not None)}
            shares = sorted((a for t in design if t is not None for a in [t[1]]), reverse=True)
            satisfies = sum(shares[losses:]) >= rhs * (1 - 1e-9)
            assert feasible(cut, losses, chosen) == satisfies, (terms, rhs, losses, design)
            designs_checked += 1
    assert designs_checked > 300

    # five sites with a small (2) and a large (6) size, b = 6, N-2: large at S0 open,
    # large at S1 half open, small at S2–S4 open. The L-largest form takes S1's half
    # in full (shares 6, 3, 2, 2, 2: 15 less 9 = 6) and the count asks for 3 (4.5);
    # but S1 none is a design that fails (6, 2, 2, 2: 12 less 8), so the point is no
    # mix of designs that hold, and the hull refuses it: at θ = 6 the shares must
    # reach 18 (15), at θ = 2 every site must be open in full.
    sizes = HallCut("goods", tuple(((f"S{s}", "goods", size), a) for s in range(5)
                                   for size, a in (("S", 2.0), ("L", 6.0))), 6.0)
    point = {("S0", "goods", "L"): 1.0, ("S1", "goods", "L"): 0.5,
             **{(f"S{s}", "goods", "S"): 1.0 for s in (2, 3, 4)}}
    assert sizes.surplus(lambda key: point.get(key, 0.0), 2) >= 0   # the L-largest form: yes
    assert sum(point.values()) >= sizes.sites_needed(2)              # the count: yes
    assert not feasible(sizes, 2, point)                              # the hull: no
    assert feasible(sizes, 2, {**point, ("S1", "goods", "L"): 1.0})

    many = HallCut("goods", tuple(((f"S{s}", "goods", "L"), 1.0 + s) for s in range(40)), 60.0)
    levels, rounded = many.levels(8)
    assert len(levels) == 8 and levels[-1] == 40.0
    assert all(rounded[key] >= a and rounded[key] in levels for key, a in many.terms)
    for chosen in (range(37, 40), range(30, 40), range(0, 40, 2)):
        keys = {many.terms[i][0]: 1.0 for i in chosen}
        shares = sorted((a for key, a in many.terms if key in keys), reverse=True)
        if sum(shares[2:]) >= 60.0:
            assert feasible(many, 2, keys)


def test_the_size_of_a_cut_is_what_add_robust_cut_adds():
    """HallCut.size, which the memory estimate adds per cut, against the columns,
    rows and nonzeros add_robust_cut really adds (with the hull), N-1 and N-2."""
    import pyomo.environ as pyo
    from pyomo.repn import generate_standard_repn

    from hubopt.solver.losses import HallCut, add_robust_cut

    cut = HallCut("goods", tuple(((f"S{s}", "goods", size), a) for s in range(4)
                                 for size, a in (("S", 2.0), ("M", 3.0), ("L", 6.0))[:1 + s % 3]),
                  7.0)
    for losses in (1, 2):
        model = pyo.ConcreteModel()
        model.y = pyo.Var([key for key, _ in cut.terms], bounds=(0, 1))
        before = {id(v) for v in model.component_data_objects(pyo.Var)}
        rows = add_robust_cut(model, cut, losses)
        added = [v for v in model.component_data_objects(pyo.Var) if id(v) not in before]
        nonzeros = sum(len(generate_standard_repn(row.body).linear_vars) for row in rows)
        assert (len(added), len(rows), nonzeros) == \
            (cut.size().variables, cut.size().rows, cut.size().nonzeros)


def test_a_cut_past_the_memory_limit_stops_the_loop_with_no_plan():
    """The memory estimate counts the cuts: with a limit just above the model without
    any loss case, the first cut would pass it, so the loop stops (memory_limit) and,
    no plan having survived yet, reports none rather than one that fails a loss."""
    from hubopt.model.build import build_model
    from hubopt.solver.losses import LazyLosses
    from hubopt.solver.session import CHECK_OPTIONS, Session, SolveOptions

    network = build_network(seeded(6, 1, alpha=0.8))
    limit = model_size(network, loss_cases=0).megabytes + 1e-3
    losses = LazyLosses(network, lambda lp: Session(lp, CHECK_OPTIONS), memory_limit_mb=limit)
    session = Session(build_model(network, losses=()), SolveOptions(), losses=losses)
    try:
        outcome = session.solve()
    finally:
        session.close()
    assert outcome.status == "no_solution" and outcome.stopped_by == "memory_limit"
    assert losses.cuts == 0 and len(losses.rounds) == 1 and losses.rounds[0].failed
    unlimited = hubopt.solve(seeded(6, 1, alpha=0.8), stress=False)
    assert unlimited.status == "optimal" and unlimited.run["resilience_cuts"] >= 1
