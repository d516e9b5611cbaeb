"""Selecting strong_link rows (hubopt.solver.rows) changes how HiGHS gets there,
never where: the same optimum as with every row, the LP relaxation's bound equal
to the full model's, and the rows kept are the ones the selection promises."""

from __future__ import annotations

import highspy
import numpy as np
import pytest
from plan_check import check_solved
from relaxation import lp_relaxation_value
from test_handoff import CASES, _by_name, _model

import hubopt
from hubopt.inputs.example import example_scenario
from hubopt.model.build import build_model, constraint_count, strong_link_terms
from hubopt.model.network import build_network
from hubopt.solver.handoff import compile_lp
from hubopt.solver.rows import (
    LinkTerms,
    _cheapest,
    select_strong_links,
    strong_link_rows,
    with_every_strong_link,
)
from hubopt.solver.session import solve_model

ORDINARY = sorted(name for name in CASES if not CASES[name][2])


def _arrays_model(name):
    scenario, previous, _ = CASES[name]
    return build_model(build_network(scenario()), previous, strong_link=False)


def _named_lp(compiled):
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(compiled.highs_lp(names=True))
    lp = highs.getLp()
    return _by_name(lp, list(lp.col_names_), list(lp.row_names_))


@pytest.mark.parametrize("name", ORDINARY)
def test_strong_link_rows_as_arrays_give_highs_the_same_lp(name):
    """The rows of a model built without the family (LinkTerms) are the Pyomo
    family's rows: same names, bounds and coefficients, every other row and column
    unchanged."""
    pyomo_model, arrays_model = _model(name), _arrays_model(name)
    assert not hasattr(arrays_model, "strong_link") and arrays_model.strong_link_omitted
    assert constraint_count(arrays_model) == pyomo_model.nconstraints()
    terms = LinkTerms.of(strong_link_terms(arrays_model, arrays_model.network), arrays_model,
                         arrays_model.network)
    assert len(terms) == len(pyomo_model.strong_link) > 0
    from_pyomo = _named_lp(compile_lp(pyomo_model))
    from_arrays = _named_lp(with_every_strong_link(compile_lp(arrays_model), arrays_model))
    assert from_arrays == from_pyomo


def test_a_model_without_the_family_gets_every_row_back_from_the_hand_off():
    everything = solve_model(_arrays_model("example"), time_limit=60, mip_gap=0,
                             strong_links="all")
    assert everything.objective == pytest.approx(25781695.80747515, rel=1e-9)
    assert everything.links is None and "MIP has 226 rows" in everything.log
    with pytest.raises(ValueError, match="elastic"):
        build_model(build_network(example_scenario()), elastic=True, strong_link=False)


@pytest.mark.parametrize("name", ORDINARY)
@pytest.mark.parametrize("per_demand", [0, 1])
@pytest.mark.parametrize("as_arrays", [False, True])
def test_selected_rows_give_the_same_optimum(name, per_demand, as_arrays):
    everything = solve_model(_model(name), time_limit=60, mip_gap=0, strong_links="all")
    model = _arrays_model(name) if as_arrays else _model(name)
    selected = solve_model(model, time_limit=60, mip_gap=0, strong_links=per_demand)
    assert selected.status == everything.status
    if everything.has_plan:
        assert selected.objective == pytest.approx(everything.objective, rel=1e-9, abs=1e-6)
    assert everything.links is None


def test_example_plan_with_selected_rows_passes_the_independent_check():
    plan = hubopt.solve(example_scenario(), strong_links=0, stress=False)
    reference = hubopt.solve(example_scenario(), strong_links="all", stress=False)
    assert check_solved(plan) == []
    assert plan.summary["objective"] == pytest.approx(reference.summary["objective"], rel=1e-9)
    assert plan.run["strong_link_rows"] < plan.run["strong_link_rows_total"] == 92
    assert "strong_link_rows" not in reference.run
    # with rows selected, HiGHS runs without its root reduced-cost and RENS sub-MIPs
    assert plan.run["highs_options"] == ("mip_heuristic_run_root_reduced_cost=False, "
                                         "mip_heuristic_run_rens=False")
    assert "highs_options" not in reference.run


@pytest.mark.parametrize("name", ["example", *ORDINARY[:4]])
@pytest.mark.parametrize("as_arrays", [False, True])
def test_lp_bound_of_the_selection_is_the_full_lp_relaxation(name, as_arrays):
    full = compile_lp(_model(name))
    model = _arrays_model(name) if as_arrays else _model(name)
    compiled = compile_lp(model)
    reduced, selection = select_strong_links(compiled, model, per_demand=0)
    assert selection is not None
    assert selection.lp_bound == pytest.approx(lp_relaxation_value(full), rel=1e-7)
    # the reduced model's own LP relaxation reaches the same bound: nothing cut off
    assert lp_relaxation_value(reduced) == pytest.approx(selection.lp_bound, rel=1e-7)


def test_kept_rows_are_the_non_link_rows_and_the_selected_links():
    model = build_model(build_network(example_scenario()))
    compiled = compile_lp(model)
    links = strong_link_rows(compiled, model)
    assert len(links) == len(model.A) == 92
    few, few_selection = select_strong_links(compiled, model, per_demand=1)
    more, more_selection = select_strong_links(compiled, model, per_demand=3)
    assert len(few.rows) == len(compiled.rows) - len(links) + few_selection.kept
    assert few_selection.kept < more_selection.kept < 92
    # every row that is not a strong_link is handed over, with its bounds and matrix
    others = [row for row in compiled.rows if row.parent_component() is not model.strong_link]
    assert [row for row in few.rows if row.parent_component() is not model.strong_link] == others
    assert few.nonzeros < compiled.nonzeros and few.columns == compiled.columns
    # each demand row keeps at least min(k, its arcs) links
    kept_arcs = {row.index() for row in more.rows if row.parent_component() is model.strong_link}
    per_row: dict = {}
    for site, sector, service in model.A:
        per_row.setdefault((sector, service), []).append((site, sector, service))
    for arcs in per_row.values():
        assert sum(arc in kept_arcs for arc in arcs) >= min(3, len(arcs))


def test_enough_arcs_per_demand_row_keeps_every_row():
    model = build_model(build_network(example_scenario()))
    compiled = compile_lp(model)
    reduced, selection = select_strong_links(compiled, model, per_demand=1000)
    assert selection.kept == selection.total == 92
    assert reduced is compiled


def test_auto_leaves_small_models_alone_and_a_bad_choice_is_refused():
    assert solve_model(_model("example"), time_limit=60, mip_gap=0).links is None
    with pytest.raises(ValueError, match="strong_links"):
        solve_model(_model("example"), time_limit=60, mip_gap=0, strong_links="some")


def _mip_optimum(compiled) -> float:
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", 0.0)
    highs.passModel(compiled.highs_lp())
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return highs.getInfo().objective_function_value


def test_without_time_for_the_lp_the_cheapest_arcs_are_kept_and_the_optimum_stays():
    model = build_model(build_network(example_scenario()))
    compiled = compile_lp(model)
    reduced, selection = select_strong_links(compiled, model, per_demand=1, time_limit=0.0)
    assert selection.lp_bound is None and "not solved to the end" in str(selection)
    assert selection.kept == len(model.R)          # one arc per demand row, nothing added
    assert _mip_optimum(reduced) == pytest.approx(_mip_optimum(compiled), rel=1e-9)


def test_the_elastic_model_is_handed_over_as_built():
    elastic = build_model(build_network(example_scenario()), elastic=True)
    assert len(strong_link_rows(compile_lp(elastic), elastic)) == 0


def test_cheapest_takes_k_per_group_by_cost_then_order():
    group = np.array([0, 2, 0, 0, 1, 1])
    cost = np.array([3.0, 9.0, 1.0, 1.0, 5.0, 4.0])
    assert _cheapest(group, cost, 2).tolist() == [False, True, True, True, True, True]
    assert _cheapest(group, cost, 1).tolist() == [False, True, True, False, False, True]
    assert not _cheapest(group, cost, 0).any()
