"""hubopt reproduces published optima of public facility-location benchmarks.

Each instance is read straight into a Scenario (benchmarks/instances.py), solved
with ``hubopt.solve`` at mip_gap 0, and its objective compared with the
published optimum: OR-Library capopt values are rounded to 3 decimals (absolute
tolerance 1e-3, bench README §1), Holmberg and p-median optima are integers (relative 1e-6).
Each plan is then checked on its own tables, independently of the solver:
demand met, module capacities respected, and the objective recomputed from the
open modules and the flows. cap41 also goes through an Excel round trip.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from functools import cache

import pytest

import hubopt
from benchmarks.instances import BENCH_DIR_ENV, bench_dir, load_instance, published_optima

if not bench_dir().is_dir():
    pytest.skip(
        f"benchmark directory {bench_dir()} not found (set {BENCH_DIR_ENV})",
        allow_module_level=True,
    )

CAP_INSTANCES = ["cap41", "cap71", "cap131"]
CAP_ABS_TOLERANCE = 1e-3
INTEGER_REL_TOLERANCE = 1e-6  # Holmberg, p-median
FLOW_TOLERANCE = 1e-6  # relative to the quantity or capacity compared with


@cache
def optima() -> dict[str, float]:
    return published_optima()


@cache
def solved(key: str):
    """(scenario, plan) of a benchmark instance, solved once per test session."""
    scenario = load_instance(key)
    return scenario, hubopt.solve(scenario)


def objective(plan) -> float:
    assert plan.status == "optimal", f"{plan.status=}"
    return float(plan.summary["objective"])


@pytest.mark.parametrize("key", CAP_INSTANCES)
def test_orlib_cap_reaches_published_optimum(key):
    _, plan = solved(key)
    assert objective(plan) == pytest.approx(optima()[key], abs=CAP_ABS_TOLERANCE)


def test_holmberg_p1_single_source_reaches_published_optimum():
    scenario, plan = solved("holmberg-p1")
    assert scenario.settings.single_sourcing
    assert objective(plan) == pytest.approx(8848, rel=INTEGER_REL_TOLERANCE)
    assert optima()["holmberg-p1"] == 8848


def test_pmed1_p_median_reaches_published_optimum():
    scenario, plan = solved("pmed1")
    assert objective(plan) == pytest.approx(optima()["pmed1"], rel=INTEGER_REL_TOLERANCE)
    assert plan.hubs["site_id"].nunique() == scenario.settings.max_sites == 5


@pytest.mark.parametrize("key", [*CAP_INSTANCES, "holmberg-p1", "pmed1"])
def test_plan_tables_are_a_feasible_plan_of_that_cost(key):
    scenario, plan = solved(key)
    check_plan(scenario, plan)


def test_holmberg_p1_serves_every_sector_from_one_site():
    _, plan = solved("holmberg-p1")
    flows = plan.flows[plan.flows["quantity"] > FLOW_TOLERANCE]
    sources = flows.groupby("sector_id")["site_id"].nunique()
    assert (sources == 1).all(), sources[sources != 1]


def test_cap41_through_an_excel_round_trip(tmp_path):
    from hubopt.inputs.template import write_input_workbook

    scenario = load_instance("cap41")
    path = tmp_path / "cap41.xlsx"
    write_input_workbook(path, scenario)
    reread = hubopt.read_scenario(path)

    assert reread.settings.scenario_name == "cap41"
    assert reread.settings.mip_gap == 0.0
    assert reread.settings.missing_routes == "forbid"
    assert same_records(reread.sites, scenario.sites)
    assert same_records(reread.hub_options, scenario.hub_options)
    assert same_records(reread.demand, scenario.demand)
    # costs are c_ij / d_j; the workbook may round them in the last bit
    costs = {(r.site_id, r.sector_id): r.cost_per_unit for r in reread.routes}
    assert costs == pytest.approx(
        {(r.site_id, r.sector_id): r.cost_per_unit for r in scenario.routes}, rel=1e-12
    )
    plan = hubopt.solve(reread)
    assert objective(plan) == pytest.approx(optima()["cap41"], abs=CAP_ABS_TOLERANCE)
    check_plan(scenario, plan)


# --------------------------------------------------------------------------- checks


def same_records(read_back, original) -> bool:
    """Equal records, ignoring the Excel ``row`` that only read-back records carry."""
    return [replace(r, row=None) for r in read_back] == list(original)


def check_plan(scenario, plan) -> None:
    """Check a plan on its own tables (``plan.flows``, ``plan.hubs``), not the solver's word.

    ``flows``: site_id, sector_id, service, quantity; ``hubs``: one row per open
    module with site_id, service, size, capacity.
    """
    flows, hubs = plan.flows, plan.hubs
    assert not hubs.duplicated(["site_id", "service"]).any(), "two sizes open at one site"

    served = flows.groupby(["sector_id", "service"])["quantity"].sum()
    for row in scenario.demand:
        got = served.get((row.sector_id, row.service), 0.0)
        assert got == pytest.approx(row.quantity, rel=FLOW_TOLERANCE), row.key

    modules = {o.key: o for o in scenario.hub_options}
    open_capacity = {}
    for hub in hubs.itertuples(index=False):
        module = modules[(hub.site_id, hub.service, hub.size)]
        assert hub.capacity == pytest.approx(module.capacity)
        open_capacity[(hub.site_id, hub.service)] = module.capacity
    shipped = flows.groupby(["site_id", "service"])["quantity"].sum()
    for (site, service), quantity in shipped.items():
        if quantity <= FLOW_TOLERANCE:
            continue
        assert (site, service) in open_capacity, f"flow from {site} without an open module"
        capacity = open_capacity[(site, service)]
        assert quantity <= capacity * (1 + FLOW_TOLERANCE), (site, service, quantity, capacity)

    assert recomputed_cost(scenario, plan) == pytest.approx(
        float(plan.summary["objective"]), rel=FLOW_TOLERANCE
    )


def recomputed_cost(scenario, plan) -> float:
    """Module fixed costs plus per-unit route costs times flows (site costs are 0 here)."""
    fixed = {o.key: o.fixed_cost for o in scenario.hub_options}
    unit_cost = defaultdict(lambda: float("inf"))
    unit_cost.update({(r.site_id, r.sector_id): r.cost_per_unit for r in scenario.routes})
    hub_cost = sum(fixed[(h.site_id, h.service, h.size)] for h in plan.hubs.itertuples())
    transport = sum(
        unit_cost[(f.site_id, f.sector_id)] * f.quantity
        for f in plan.flows.itertuples()
        if f.quantity > 0
    )
    return hub_cost + transport
