"""Parsers of the public benchmark instances (benchmarks/instances.py); no solver needed.

The expected sizes and values come from the bench README (/work/shared/bench).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.instances import (
    BENCH_DIR_ENV,
    bench_dir,
    instance_name,
    instance_path,
    load_instance,
    published_optima,
    read_holmberg,
    read_orlib_cap,
    read_pmed,
    shortest_paths,
)

BENCH = bench_dir()
if not BENCH.is_dir():
    pytest.skip(
        f"benchmark directory {BENCH} not found (set {BENCH_DIR_ENV})", allow_module_level=True
    )

CAP41 = BENCH / "orlib_cap" / "cap41.txt"
CAPA = BENCH / "orlib_cap" / "capa.txt"
HOLMBERG = BENCH / "sscflp_holmberg"
PMED1 = BENCH / "orlib_pmed" / "pmed1.txt"


def raw_tokens(path: Path) -> list[str]:
    """An independent tokenizer for cross-checks: NULs as spaces, whitespace split."""
    return path.read_bytes().replace(b"\0", b" ").decode("ascii").split()


def route_costs(scenario) -> dict[tuple[str, str], float]:
    return {(r.site_id, r.sector_id): r.cost_per_unit for r in scenario.routes}


def quantities(scenario) -> dict[str, float]:
    return {d.sector_id: d.quantity for d in scenario.demand}


# --------------------------------------------------------------------------- OR-Library cap


def test_cap41_sizes_and_mapping():
    scenario = read_orlib_cap(CAP41)

    assert scenario.name == "cap41"
    assert [s.site_id for s in scenario.sites] == [f"W{i}" for i in range(1, 17)]
    assert {(s.country, s.status, s.site_cost) for s in scenario.sites} == {
        ("GBR", "candidate", 0.0)
    }
    assert len(scenario.hub_options) == 16
    assert {(o.service, o.size, o.capacity) for o in scenario.hub_options} == {
        ("goods", "std", 5000.0)
    }
    # 7500 everywhere except warehouse 11 (fixed cost 0 in the original data, README §1)
    fixed = {o.site_id: o.fixed_cost for o in scenario.hub_options}
    assert fixed.pop("W11") == 0.0
    assert set(fixed.values()) == {7500.0}
    assert [s.sector_id for s in scenario.sectors] == [f"C{j}" for j in range(1, 51)]
    assert sum(quantities(scenario).values()) == 58268
    assert max(quantities(scenario).values()) == 12912
    assert len(scenario.routes) == 16 * 50
    assert all(r.hours == 0.0 and r.allowed for r in scenario.routes)
    settings = scenario.settings
    assert settings.single_sourcing is False
    assert settings.missing_routes == "forbid"
    assert settings.mip_gap == 0.0
    assert settings.value_of_time == 0.0


def test_cap41_per_unit_cost_times_demand_is_the_file_cost():
    """c_ij in the file is the cost of ALL of j's demand; Route holds c_ij / d_j."""
    scenario = read_orlib_cap(CAP41)
    tokens = raw_tokens(CAP41)
    m, n = int(tokens[0]), int(tokens[1])
    assert len(tokens) == 2 + 2 * m + n * (1 + m)
    costs, demand = route_costs(scenario), quantities(scenario)
    start = 2 + 2 * m
    for j in range(n):
        block = tokens[start + j * (m + 1) : start + (j + 1) * (m + 1)]
        assert demand[f"C{j + 1}"] == float(block[0])
        for i in range(m):
            per_unit = costs[(f"W{i + 1}", f"C{j + 1}")]
            assert per_unit * float(block[0]) == pytest.approx(float(block[1 + i]), rel=1e-12)


def test_capa_capacity_placeholder_is_replaced():
    scenario = read_orlib_cap(CAPA, capacity=8000)

    assert scenario.name == "capa-8000"
    assert len(scenario.sites) == 100 and len(scenario.sectors) == 1000
    assert {o.capacity for o in scenario.hub_options} == {8000.0}
    assert min(o.fixed_cost for o in scenario.hub_options) > 0
    assert sum(quantities(scenario).values()) == 50886
    assert len(scenario.routes) == 100 * 1000


def test_capa_without_capacity_is_an_error():
    with pytest.raises(ValueError, match="capacity"):
        read_orlib_cap(CAPA)


def test_capacity_for_a_file_with_numeric_capacities_is_an_error():
    with pytest.raises(ValueError, match="capacity"):
        read_orlib_cap(CAP41, capacity=8000)


def test_cap_file_with_a_missing_token_is_an_error(tmp_path):
    short = tmp_path / "cap41.txt"
    short.write_text(" ".join(raw_tokens(CAP41)[:-1]))
    with pytest.raises(ValueError, match="tokens"):
        read_orlib_cap(short)


# --------------------------------------------------------------------------- Holmberg / Yang


def test_holmberg_p1_sizes_and_facility_major_costs():
    scenario = read_holmberg(HOLMBERG / "p1")
    tokens = raw_tokens(HOLMBERG / "p1")
    m, n = 10, 50
    assert (int(tokens[0]), int(tokens[1])) == (m, n)

    assert scenario.name == "holmberg-p1"
    assert scenario.settings.single_sourcing is True
    assert len(scenario.sites) == m and len(scenario.sectors) == n
    assert len(scenario.routes) == m * n
    assert [(o.capacity, o.fixed_cost) for o in scenario.hub_options] == [
        (float(tokens[2 + 2 * i]), float(tokens[3 + 2 * i])) for i in range(m)
    ]
    demand = quantities(scenario)
    assert [demand[f"C{j + 1}"] for j in range(n)] == [float(t) for t in tokens[22 : 22 + n]]
    # row i of the matrix is facility i: the token after the demands is c(1, 1), then c(1, 2)…
    costs = route_costs(scenario)
    start = 2 + 2 * m + n
    for i in range(m):
        for j in range(n):
            total = float(tokens[start + i * n + j])
            per_unit = costs[(f"W{i + 1}", f"C{j + 1}")]
            assert per_unit * demand[f"C{j + 1}"] == pytest.approx(total, rel=1e-12)


def test_holmberg_file_with_nul_padding_reads():
    path = HOLMBERG / "p2"
    assert path.read_bytes().endswith(b"\0"), "README: p2 ends with NUL padding"
    scenario = read_holmberg(path)
    assert scenario.name == "holmberg-p2"
    assert len(scenario.routes) == len(scenario.sites) * len(scenario.sectors)


def test_holmberg_p47_stray_tokens_after_the_nuls_are_ignored():
    scenario = read_holmberg(HOLMBERG / "p47")
    assert len(scenario.routes) == len(scenario.sites) * len(scenario.sectors)


def test_holmberg_crlf_nul_padding_and_junk_read_like_the_clean_file(tmp_path):
    folder = tmp_path / "sscflp_holmberg"
    folder.mkdir()
    original = (HOLMBERG / "p1").read_bytes()
    messy = folder / "p1"
    messy.write_bytes(original.replace(b"\n", b"\r\n") + b"\0" * 64 + b"12. 7. junk\r\n")

    clean, dirty = read_holmberg(HOLMBERG / "p1"), read_holmberg(messy)

    assert dirty.name == "holmberg-p1"
    assert dirty.hub_options == clean.hub_options
    assert dirty.demand == clean.demand
    assert dirty.routes == clean.routes


def test_truncated_holmberg_file_is_an_error(tmp_path):
    short = tmp_path / "p1"
    short.write_text(" ".join(raw_tokens(HOLMBERG / "p1")[:-1]))
    with pytest.raises(ValueError, match="tokens"):
        read_holmberg(short)


def test_yang_files_read_with_the_holmberg_reader():
    scenario = load_instance("yang-p1")
    assert scenario.name == "yang-p1"
    assert (len(scenario.sites), len(scenario.sectors)) == (30, 200)
    assert scenario.settings.single_sourcing is True


# --------------------------------------------------------------------------- p-median


def test_pmed1_sizes_and_mapping():
    scenario = read_pmed(PMED1)

    assert scenario.name == "pmed1"
    assert len(scenario.sites) == 100 and len(scenario.sectors) == 100
    assert (scenario.settings.min_sites, scenario.settings.max_sites) == (5, 5)
    assert {(o.capacity, o.fixed_cost) for o in scenario.hub_options} == {(100.0, 0.0)}
    assert set(quantities(scenario).values()) == {1.0}
    costs = route_costs(scenario)
    assert len(costs) == 100 * 100
    assert all(costs[(f"W{v}", f"C{v}")] == 0.0 for v in range(1, 101))
    assert all(costs[(f"W{a}", f"C{b}")] == costs[(f"W{b}", f"C{a}")] for a, b in [(1, 2), (7, 93)])


def test_pmed_duplicate_edge_last_cost_wins(tmp_path):
    path = tmp_path / "tiny.txt"
    # edge 1-2 appears twice: 5 then 9 -> 9 (pmedinfo), not min = 5;
    # the direct edge 1-4 (20) is longer than the path 1-2-3-4 (9 + 1 + 2 = 12).
    path.write_text("4 5 2\n1 2 5\n2 3 1\n1 2 9\n3 4 2\n1 4 20\n")

    scenario = read_pmed(path)
    costs = route_costs(scenario)

    assert costs[("W1", "C2")] == costs[("W2", "C1")] == 9
    assert costs[("W1", "C3")] == 10
    assert costs[("W1", "C4")] == costs[("W4", "C1")] == 12
    assert costs[("W2", "C4")] == 3
    assert costs[("W3", "C3")] == 0
    assert (scenario.settings.min_sites, scenario.settings.max_sites) == (2, 2)


def test_pmed_unreachable_pairs_get_no_route(tmp_path):
    path = tmp_path / "split.txt"
    path.write_text("3 1 1\n1 2 4\n")
    costs = route_costs(read_pmed(path))
    assert costs[("W1", "C2")] == 4
    assert ("W1", "C3") not in costs and ("W3", "C3") in costs


def test_shortest_paths_is_floyd_warshall():
    inf = float("inf")
    matrix = [[0, 1, inf], [1, 0, 2], [inf, 2, 0]]
    assert shortest_paths(matrix).tolist() == [[0, 1, 3], [1, 0, 2], [3, 2, 0]]


# --------------------------------------------------------------------------- optima and names


def test_published_optima_known_values():
    optima = published_optima()

    assert optima["cap41"] == 1040444.375
    assert optima["cap131"] == 793439.562
    assert optima["capa-8000"] == 19240822.449
    assert optima["capa-14000"] == 17160439.012
    assert optima["capb-5000"] == 13656379.578
    assert optima["capc-5750"] == 11570340.289
    assert optima["holmberg-p1"] == 8848
    assert optima["holmberg-p71"] == 25540
    assert optima["yang-p1"] == 30181
    assert optima["pmed1"] == 5819
    assert optima["pmed40"] == 5128


def test_published_optima_cover_every_instance():
    keys = published_optima().keys()
    assert sum(k.startswith("cap") and k[3:].isdigit() for k in keys) == 37
    assert sum(k[:5] in ("capa-", "capb-", "capc-") for k in keys) == 12
    assert sum(k.startswith("holmberg-p") for k in keys) == 71
    assert sum(k.startswith("yang-p") for k in keys) == 20
    assert sum(k.startswith("pmed") for k in keys) == 40
    for key in keys:
        path, _ = instance_path(key)
        assert path.is_file(), key


@pytest.mark.parametrize("key", ["cap41", "capb-6000", "holmberg-p3", "yang-p2", "pmed2"])
def test_load_instance_names_the_scenario_by_its_key(key):
    path, capacity = instance_path(key)
    assert instance_name(path, capacity) == key
    assert load_instance(key).name == key


def test_unknown_key_is_an_error():
    with pytest.raises(ValueError, match="unknown benchmark instance"):
        instance_path("cap41x")


def test_bench_dir_can_be_overridden(monkeypatch, tmp_path):
    monkeypatch.setenv(BENCH_DIR_ENV, str(tmp_path))
    assert bench_dir() == tmp_path
