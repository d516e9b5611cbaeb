"""Diverse near-optimal alternatives (SPEC §3.6; hubopt alternatives).

On seeded instances every alternative must be what an enumeration of every design
makes of §3.6 (tests/alternatives_reference.py: least score, then cheapest,
within the slack, different from every earlier plan; the list ends exactly when
no design qualifies). On the example every plan must satisfy every §3 rule
(tests/plan_check.py, from the result tables) and cost within the slack.

The tiny case (tests/tiny.py): A alone costs 200 (the optimum), B alone 380,
A and B together 280 (both paid, everything shipped from A at 1 per unit).
With a slack of 100 %: alternative 1 shares nothing with {A} → {B}, score 0;
alternative 2 must share with {A} ∪ {B}; the only design left is {A, B}, score 2;
then nothing is left.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from alternatives_reference import feasible_designs, next_alternative
from click.testing import CliRunner
from openpyxl import load_workbook
from plan_check import check_solved
from test_losses import seeded
from tiny import base
from workbooks import tiny_sheets, write_book

import hubopt
from hubopt import cli
from hubopt.solver.session import Session
from hubopt.studies.alternatives_book import (
    alternatives_json,
    alternatives_table,
    ended_note,
    plan_maps,
)

EXAMPLE = "inputs/example.xlsx"
A, B = ("A", "goods", "std"), ("B", "goods", "std")


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def overlap_scores(short, by: str = "modules") -> list[int]:
    """Each alternative's modules (sites) shared with the plans before it, recounted."""
    return [len(a.elements(by) & frozenset().union(*(p.elements(by)
                                                     for p in short.plans[:i])))
            for i, a in enumerate(short.plans) if i]


# -- the tiny case by hand --------------------------------------------------------------

def test_tiny_case_by_hand():
    short = hubopt.alternatives(base(), n=4, slack=1.0)
    assert [sorted(a.modules) for a in short.plans] == [[A], [B], [A, B]]
    assert [a.objective for a in short.plans] == pytest.approx([200, 380, 280])
    assert [a.score for a in short.plans] == [None, 0, 2]
    assert short.ended == "no further plan within 100 % of the optimum"
    assert all(a.proven for a in short.plans)
    table = alternatives_table(short)
    assert list(table["vs_optimum"]) == pytest.approx([0.0, 0.9, 0.4])
    assert list(table["sites_dropped"]) == ["", "A", ""]
    assert list(table["sites_added"]) == ["", "B", "B"]
    assert ended_note(short) == ("2 of 4 alternative(s) asked for: no further plan within "
                                 "100 % of the optimum.")


def test_the_slack_bounds_the_list():
    """80 %: {B} at +90 % is out, {A, B} at +40 % is in (score 1 against {A})."""
    short = hubopt.alternatives(base(), n=4, slack=0.8)
    assert [sorted(a.modules) for a in short.plans] == [[A], [A, B]]
    assert short.plans[1].score == 1


def test_slack_zero_with_a_unique_optimum_gives_no_alternative():
    short = hubopt.alternatives(base(), n=3, slack=0.0)
    assert len(short.plans) == 1
    assert ended_note(short) == "No alternative within 0 % of the optimum."


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="at least 1"):
        hubopt.alternatives(base(), n=0)
    with pytest.raises(ValueError, match=">= 0"):
        hubopt.alternatives(base(), slack=-0.01)
    with pytest.raises(ValueError, match="overlap is counted in"):
        hubopt.alternatives(base(), by="countries")


# -- against the enumeration ------------------------------------------------------------

CASES = [  # (seed, slack, resilience α, single sourcing, overlap by)
    (1, 0.10, 0.0, False, "modules"), (2, 0.25, 0.0, False, "modules"),
    (3, 0.05, 0.0, False, "modules"), (4, 0.25, 0.0, True, "modules"),
    (5, 0.30, 0.5, False, "modules"), (6, 0.15, 0.0, False, "modules"),
    (1, 0.30, 0.0, False, "sites"), (2, 0.25, 0.0, True, "sites"),
    (5, 0.30, 0.5, False, "sites"),
]


@pytest.mark.parametrize(("seed", "slack", "alpha", "single", "by"), CASES)
def test_each_alternative_is_what_the_enumeration_gives(seed, slack, alpha, single, by):
    scenario = seeded(4, seed, alpha=alpha, single_sourcing=single)
    designs = feasible_designs(scenario)
    short = hubopt.alternatives(scenario, n=6, slack=slack, by=by)
    c_star = min(cost for _, cost in designs)
    assert short.optimum.objective == pytest.approx(c_star, rel=1e-6)
    earlier = [short.optimum.elements(by)]
    for alternative in short.plans[1:]:
        expected = next_alternative(designs, earlier, c_star, slack, by)
        assert expected is not None, f"alternative {alternative.rank} should not exist"
        score, cost, tied = expected
        assert alternative.score == score
        assert alternative.objective == pytest.approx(cost, rel=1e-6)
        assert alternative.elements(by) in tied
        assert alternative.proven
        earlier.append(alternative.elements(by))
    if len(short.plans) <= 6:      # ended early: the enumeration has nothing left either
        assert next_alternative(designs, earlier, c_star, slack, by) is None
        assert short.ended.startswith("no further plan")
    assert overlap_scores(short, by) == [a.score for a in short.plans[1:]]


def test_the_cases_have_lists_of_several_lengths():
    """The enumeration cases are not all trivial: some lists end early, some do not."""
    lengths = set()
    for seed, slack, alpha, single, _ in CASES[:4]:
        scenario = seeded(4, seed, alpha=alpha, single_sourcing=single)
        designs = feasible_designs(scenario)
        c_star = min(cost for _, cost in designs)
        lengths.add(sum(1 for m, c in designs if c <= c_star * (1 + slack) + 1e-6))
    assert len(lengths) >= 3


# -- the example: every rule, within the slack ------------------------------------------

@pytest.fixture(scope="module")
def example_short():
    scenario = hubopt.read_scenario(EXAMPLE)
    return hubopt.alternatives(scenario, n=3, slack=0.05, mip_gap=0.0)


def objective_from_tables(plan) -> float:
    """SPEC §3's objective recomputed from the result tables and the input records."""
    scenario = plan.scenario
    s = scenario.settings
    priority = {(d.sector_id, d.service): d.priority for d in scenario.demand}
    threat = {x.site_id: x.threat for x in scenario.sites}
    flows = plan.flows
    per_unit = [row.cost_per_unit + s.value_of_time * priority[(row.sector_id, row.service)]
                * row.hours + s.value_at_risk * threat[row.site_id]
                for row in flows.itertuples()]
    per_year = {"year": 1, "month": 12, "week": 52, "day": 365}[s.period]
    return float(plan.summary["hub_cost"]) + per_year * float((flows["quantity"]
                                                                * per_unit).sum())


def test_every_example_alternative_keeps_every_rule_within_the_slack(example_short):
    short = example_short
    assert len(short.plans) == 4 and short.ended is None
    c_star = short.optimum.objective
    assert c_star == pytest.approx(hubopt.solve(hubopt.read_scenario(EXAMPLE), mip_gap=0.0,
                                                stress=False).summary["objective"], rel=1e-9)
    for alternative in short.plans:
        assert check_solved(alternative.plan) == []
        objective = objective_from_tables(alternative.plan)
        assert objective == pytest.approx(alternative.objective, rel=1e-6)
        assert objective <= c_star * 1.05 * (1 + 1e-7)
        assert alternative.proven
    sets = [a.modules for a in short.plans]
    assert len(set(sets)) == len(sets)
    assert overlap_scores(short) == [a.score for a in short.plans[1:]]


def test_every_map_has_the_same_extent(example_short):
    pytest.importorskip("matplotlib")
    drawn = plan_maps(example_short)
    assert len(drawn) == 4
    assert len({d.limits for d in drawn}) == 1
    titles = [next(t.get_text() for t in d.figure.texts if " — " in t.get_text())
              for d in drawn]
    assert titles[0].endswith("— optimum: optimal")
    assert titles[1].endswith("— alternative 1: "
                              f"{100 * example_short.delta(example_short.plans[1]):+.2f} % "
                              "against the optimum")


# -- time limits are never silent --------------------------------------------------------

def stop_the_least_overlap_solve(monkeypatch, outcome_change):
    """Session.solve with the third solve (after the optimum and alternative 1's seed:
    its least overlap) changed."""
    real = Session.solve
    calls = []

    def solve(self, start=None, *, time_limit=None):
        outcome = real(self, start, time_limit=time_limit)
        calls.append(outcome)
        return outcome_change(outcome) if len(calls) == 3 else outcome
    monkeypatch.setattr(Session, "solve", solve)


def test_a_plan_not_proven_least_overlap_says_so(monkeypatch, tmp_path):
    stop_the_least_overlap_solve(monkeypatch, lambda o: replace(
        o, status="time_limit", bound=o.objective * 0.5, gap=0.5))
    short = hubopt.alternatives(base(), n=1, slack=1.0)
    alternative = short.plans[1]
    assert not alternative.proven and alternative.score_gap == 0.5
    assert alternative_row(short)["proven"] == "no: least overlap not proven (time_limit)"
    record = alternatives_json(short)["plans"][1]
    assert (record["proven"], record["gap"], record["status"]) == (False, 0.5, "time_limit")


def alternative_row(short, rank: int = 1) -> dict:
    return alternatives_table(short).iloc[rank].to_dict()


def test_no_plan_in_the_time_ends_the_list_and_says_why(monkeypatch):
    stop_the_least_overlap_solve(monkeypatch, lambda o: replace(
        o, status="no_solution", objective=None, bound=None, gap=None))
    short = hubopt.alternatives(base(), n=3, slack=1.0)
    assert len(short.plans) == 1
    assert short.ended == "no plan found for alternative 1 (time limit)"


def test_a_previous_plan_is_priced_as_in_solve():
    scenario = base(stability_penalty=500.0)
    short = hubopt.alternatives(scenario, n=1, slack=1.0, previous_plan=[B])
    solved = hubopt.solve(scenario, previous_plan=[B], stress=False)
    assert short.optimum.objective == pytest.approx(solved.summary["objective"])
    assert sorted(short.optimum.modules) == [B]     # 80 + 300 = 380 < 200 + 2·500


# -- the command -------------------------------------------------------------------------

@pytest.fixture
def tiny_book(tmp_path):
    return write_book(tmp_path / "tiny.xlsx", tiny_sheets())


def test_cli_json_and_workbook(tiny_book, tmp_path):
    out = tmp_path / "alt.xlsx"
    result = run("alternatives", tiny_book, "-n", 4, "--slack", 1.0, "-o", out, "--json", "-q")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["slack"] == 1.0 and record["ended"].startswith("no further plan")
    plans = record["plans"]
    assert [p["rank"] for p in plans] == list(range(len(plans)))
    assert plans[0]["score"] is None and all(p["score"] is not None for p in plans[1:])
    book = load_workbook(out)
    assert book.sheetnames[0] == "Alternatives" and "Modules" in book.sheetnames
    sheet = book["Alternatives"]      # one column per plan, one row per figure
    assert [c.value for c in sheet[1]] == ["figure", "optimum", "alternative 1",
                                           "alternative 2"]
    assert sheet["A2"].value == "objective [currency]"
    assert [c.value for c in sheet[2][1:]] == pytest.approx([200, 380, 280])
    assert [c.value for c in sheet[2][1:]] == pytest.approx([p["objective"] for p in plans])
    assert sheet["A3"].value == "vs_optimum" and sheet["C3"].value == pytest.approx(0.9)
    assert sheet["C3"].number_format == "0.00%"
    assert sheet["A4"].value.startswith("score") and sheet["D4"].value == 2
    rows = {r[0].value: [c.value for c in r[1:]] for r in sheet.iter_rows(min_row=2)}
    assert rows["sites_dropped (against the optimum)"] == [None, "A", None]
    assert rows["proven"] == ["yes", "yes", "yes"]
    assert any(str(v).startswith("2 of 4 alternative(s) asked for") for v in rows)
    modules = book["Modules"]
    assert modules.max_row == 1 + len({tuple(m) for p in plans for m in p["open"]})
    assert dict((r[0].value, r[1].value) for r in book["Inputs"].iter_rows(min_row=2)
                )["alternatives_found"] == len(plans) - 1


def test_cli_terminal_says_when_the_list_ends_early(tiny_book, tmp_path):
    result = run("alternatives", tiny_book, "--slack", 0, "-o", tmp_path / "a.xlsx")
    assert result.exit_code == 0
    assert "No alternative within 0 % of the optimum." in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("-n", "0"), "0 is not in the range x>=1"),
    (("--by", "hubs"), "'hubs' is not one of 'modules', 'sites'"),
    (("--slack", "-0.1"), "-0.1 is not in the range x>=0"),
    (("--slack", "five"), "'five' is not a valid float"),
])
def test_cli_bad_options_exit_2(tiny_book, tmp_path, args, message):
    out = tmp_path / "a.xlsx"
    result = run("alternatives", tiny_book, *args, "-o", out)
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_cli_infeasible_exits_4_and_writes_nothing(tiny_book, tmp_path):
    out = tmp_path / "a.xlsx"
    result = run("alternatives", tiny_book, "--set", "budget=50", "-o", out)
    assert result.exit_code == 4, result.output
    assert "tiny: no plan (infeasible); no alternatives." in result.output
    assert not out.exists()


def test_cli_previous_and_set_work_as_in_solve(tiny_book, tmp_path):
    """A previous plan with B open, priced at 500 per change: B alone (380) beats A
    (200 + 2·500), in solve and as the optimum of the short list; A alone (1,200)
    is within a slack of 300 % (1,520)."""
    previous = tmp_path / "b.xlsx"
    assert run("solve", tiny_book, "--set", "budget=90", "-o", previous, "-q").exit_code == 0
    result = run("alternatives", tiny_book, "--previous", previous, "--set",
                 "stability_penalty=500", "--slack", 3, "-n", 1, "-o", tmp_path / "a.xlsx",
                 "--json", "-q")
    assert result.exit_code == 0, result.output
    plans = json.loads(result.stdout)["plans"]
    assert plans[0]["open"] == [["B", "goods", "std"]]
    assert plans[0]["objective"] == pytest.approx(380)
    assert plans[1]["open"] == [["A", "goods", "std"]] and plans[1]["score"] == 0
    assert plans[1]["objective"] == pytest.approx(200 + 2 * 500)


def test_by_sites_differs_in_sites_not_sizes():
    """Two sizes at A: by modules, A at the other size is an alternative (it shares no
    module with the optimum); by sites it shares A, so B alone comes first."""
    from tiny import HubOption
    scenario = base()
    scenario = replace(scenario, hub_options=scenario.hub_options + (
        HubOption("A", "goods", "big", 150, fixed_cost=110, staff=10, row=4),))
    modules = hubopt.alternatives(scenario, n=1, slack=1.0)
    assert sorted(modules.plans[1].modules) == [("A", "goods", "big")]   # 210, score 0
    sites = hubopt.alternatives(scenario, n=3, slack=1.0, by="sites")
    assert [sorted(a.sites) for a in sites.plans] == [["A"], ["B"], ["A", "B"]]
    assert [a.score for a in sites.plans] == [None, 0, 2]
    assert sites.ended == "no further plan within 100 % of the optimum"
    record = alternatives_json(sites)
    assert record["by"] == "sites" and [p["score"] for p in record["plans"]] == [None, 0, 2]
