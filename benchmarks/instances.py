"""Read public facility-location benchmarks into :class:`hubopt.inputs.instance.Scenario`.

The instance files and their published optima live in a bench directory
(``/work/shared/bench`` next to the repository, or ``$HUBOPT_BENCH_DIR``), laid
out and documented in its README:

============================  =====================================================
``orlib_cap/``                OR-Library capacitated warehouse location (Beasley
                              1988): ``cap41.txt`` … ``cap134.txt``,
                              ``capa/capb/capc.txt``, optima in ``capopt.txt``
``orlib_pmed/``               OR-Library p-median (Beasley 1985): ``pmed1.txt`` …
                              ``pmed40.txt``, optima in ``pmedopt.txt``
``sscflp_holmberg/``          single-source CFLP, Holmberg et al. (1999): ``p1`` …
                              ``p71``, optima in ``os`` (line k is file pk)
``sscflp_yang/``              single-source CFLP, Yang et al. (2012): ``p1`` …
                              ``p20``, optima in ``os``
============================  =====================================================

Mapping to the hubopt model (SPEC §2–§3), the same for every family
-------------------------------------------------------------------
* one service ``goods``; every facility i (1-based) is a candidate Site ``W{i}``
  in country ``GBR`` (a placeholder: the data are not geographic) with
  ``site_cost`` 0 and exactly one HubOption (``goods``, size ``std``,
  ``capacity`` s_i, ``fixed_cost`` f_i);
* every customer j is a Sector ``C{j}`` (country ``GBR``) with one Demand row
  (``goods``, ``quantity`` d_j);
* every facility–customer pair with a finite cost is a Route with ``hours`` 0
  and ``cost_per_unit`` = c_ij / d_j. The files give c_ij as the cost of
  serving ALL of customer j's demand from facility i, and hubopt charges
  ``cost_per_unit · x`` on a flow x of units, so a full assignment
  (x = d_j) costs c_ij again. Pairs without a Route are forbidden
  (``missing_routes = forbid``);
* Settings: ``mip_gap`` 0, ``value_of_time`` 0, ``time_limit_seconds`` 3600,
  and ``scenario_name`` = the instance key (:func:`instance_name`).

With that mapping, the hubopt objective Σ f_i·y_i + Σ (c_ij/d_j)·x_ij equals the
benchmark objective, so a solve reproduces the published optimum.

Instance keys (:func:`instance_name`, :func:`instance_path`, :func:`load_instance`)
-------------------------------------------------------------------------------
``cap41`` … ``cap134`` (file stem); ``capa-8000`` (capa/b/c file stem, a dash,
then the capacity that replaces the ``capacity`` placeholder); ``holmberg-p1``
… ``holmberg-p71``; ``yang-p1`` … ``yang-p20``; ``pmed1`` … ``pmed40``.
:func:`published_optima` uses the same keys.

This module only parses; it holds no solving code.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from hubopt.inputs.instance import (
    Demand,
    HubOption,
    Route,
    Scenario,
    Sector,
    Service,
    Settings,
    Site,
    Source,
)

BENCH_DIR_ENV = "HUBOPT_BENCH_DIR"
DEFAULT_BENCH_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "bench"

COUNTRY = "GBR"
SERVICE = "goods"
SIZE = "std"
TIME_LIMIT_SECONDS = 3600.0

# Bench sub-directory of each family, and the key prefix of the SSCFLP sets.
CAP_DIR = "orlib_cap"
PMED_DIR = "orlib_pmed"
HOLMBERG_DIR = "sscflp_holmberg"
YANG_DIR = "sscflp_yang"
_KEY_PREFIX = {HOLMBERG_DIR: "holmberg", YANG_DIR: "yang"}


# --------------------------------------------------------------------------- paths and names


def bench_dir() -> Path:
    """The bench directory: ``$HUBOPT_BENCH_DIR`` if set, else ``../shared/bench``."""
    override = os.environ.get(BENCH_DIR_ENV)
    return Path(override) if override else DEFAULT_BENCH_DIR


def site_id(i: int) -> str:
    """Site id of facility ``i`` (0-based index in the file, 1-based in the id)."""
    return f"W{i + 1}"


def sector_id(j: int) -> str:
    """Sector id of customer ``j`` (0-based index in the file, 1-based in the id)."""
    return f"C{j + 1}"


def format_capacity(capacity: float) -> str:
    """``8000.0`` → ``'8000'``; a fractional capacity keeps its decimals."""
    value = float(capacity)
    return str(int(value)) if value.is_integer() else repr(value)


def instance_name(path: str | Path, capacity: float | None = None) -> str:
    """The instance key of a benchmark file (see the module docstring).

    The SSCFLP files are all called ``p1``, ``p2``…, so their family comes from
    the directory: ``sscflp_holmberg/p1`` → ``holmberg-p1``, ``sscflp_yang/p1`` →
    ``yang-p1``. OR-Library files use their stem (``cap41``, ``pmed1``); a
    capa/b/c file read at a capacity gets it appended (``capa-8000``).
    """
    path = Path(path)
    prefix = _KEY_PREFIX.get(path.parent.name)
    if prefix:
        return f"{prefix}-{path.stem}"
    if capacity is not None:
        return f"{path.stem}-{format_capacity(capacity)}"
    return path.stem


def instance_path(key: str, bench: str | Path | None = None) -> tuple[Path, float | None]:
    """The file of instance ``key`` and the capacity it is read at (capa/b/c only)."""
    root = Path(bench) if bench is not None else bench_dir()
    if match := re.fullmatch(r"(cap[abc])-(\d+(?:\.\d+)?)", key):
        return root / CAP_DIR / f"{match[1]}.txt", float(match[2])
    if re.fullmatch(r"cap\d+", key):
        return root / CAP_DIR / f"{key}.txt", None
    if re.fullmatch(r"pmed\d+", key):
        return root / PMED_DIR / f"{key}.txt", None
    for directory, prefix in _KEY_PREFIX.items():
        if match := re.fullmatch(rf"{prefix}-(p\d+)", key):
            return root / directory / match[1], None
    raise ValueError(
        f"unknown benchmark instance {key!r}: expected capNN, capa-8000, "
        "holmberg-pN, yang-pN or pmedN"
    )


def load_instance(key: str, bench: str | Path | None = None) -> Scenario:
    """Read instance ``key`` (``cap41``, ``capa-8000``, ``holmberg-p1``, ``pmed1``…)."""
    path, capacity = instance_path(key, bench)
    if key.startswith("cap"):
        return read_orlib_cap(path, capacity)
    if key.startswith("pmed"):
        return read_pmed(path)
    return read_holmberg(path, name=key)


# --------------------------------------------------------------------------- readers


def read_orlib_cap(path: str | Path, capacity: float | None = None) -> Scenario:
    """Read an OR-Library capacitated warehouse location file (multi-sourcing).

    Format (whitespace-separated tokens; line breaks carry no meaning)::

        m n
        m times:  s_i f_i            capacity, fixed cost of warehouse i
        n times:  d_j c_1j … c_mj    demand of customer j, then the cost of
                                     serving ALL of j's demand from warehouse i

    In capa/capb/capc every s_i is the literal token ``capacity``; each file is
    four problems, one per capacity (README §1), so ``capacity`` is required
    for them and refused for files with numeric capacities.

    Demand is splittable (``single_sourcing`` no): a customer's demand may be
    shared among warehouses, each share paying its fraction of c_ij, which is
    what ``cost_per_unit = c_ij / d_j`` gives. ``capopt.txt`` is for this
    problem; the single-source version is a different (for cap41 infeasible)
    problem.
    """
    path = Path(path)
    data = path.read_bytes()
    tokens = _tokens(data)
    m, n = _header(tokens, 2, path)
    _expect_count(tokens, 2 + 2 * m + n * (1 + m), "2 + 2m + n(1 + m)", path, exact=True)
    capacities = _capacities(tokens[2 : 2 + 2 * m : 2], capacity, path)
    fixed_costs = _floats(tokens[3 : 2 + 2 * m : 2], path)
    customers = _floats(tokens[2 + 2 * m :], path).reshape(n, 1 + m)
    demand = customers[:, 0]
    total_cost = customers[:, 1:].T  # facility-major: total_cost[i, j] = c_ij
    return _cflp_scenario(
        name=instance_name(path, capacity),
        capacity=capacities,
        fixed_cost=fixed_costs,
        demand=demand,
        total_cost=total_cost,
        single_sourcing=False,
        source=_source(path, data),
    )


def read_holmberg(path: str | Path, name: str | None = None) -> Scenario:
    """Read a single-source CFLP file of the Holmberg or Yang set (README §3).

    Format (whitespace-separated tokens)::

        m n
        m times:  s_i f_i          capacity, fixed cost of facility i
        n values: d_j              demands
        m rows of n values: c_ij   row i = facility i (facility-major); the
                                   TOTAL cost of assigning customer j to i

    Each customer is served by exactly one facility (``single_sourcing`` yes),
    so ``cost_per_unit = c_ij / d_j`` charges exactly c_ij per assignment.
    Exactly ``2 + 2m + n + mn`` tokens are read: many Holmberg files end with
    NUL-byte padding, one (p47) with stray tokens after it, and some use CRLF
    line ends; all of that is ignored. ``name`` defaults to
    :func:`instance_name` (``holmberg-p1``, ``yang-p1``, else the file stem).
    """
    path = Path(path)
    data = path.read_bytes()
    tokens = _tokens(data)
    m, n = _header(tokens, 2, path)
    size = 2 + 2 * m + n + m * n
    _expect_count(tokens, size, "2 + 2m + n + mn", path, exact=False)
    facilities = _floats(tokens[2 : 2 + 2 * m], path).reshape(m, 2)
    demand = _floats(tokens[2 + 2 * m : 2 + 2 * m + n], path)
    total_cost = _floats(tokens[2 + 2 * m + n : size], path).reshape(m, n)
    return _cflp_scenario(
        name=name or instance_name(path),
        capacity=facilities[:, 0],
        fixed_cost=facilities[:, 1],
        demand=demand,
        total_cost=total_cost,
        single_sourcing=True,
        source=_source(path, data),
    )


read_yang = read_holmberg  # the Yang set has the Holmberg format (README §3)


def read_pmed(path: str | Path) -> Scenario:
    """Read an OR-Library p-median file (README §2).

    Format (whitespace-separated tokens)::

        n_vertices n_edges p
        n_edges times: i j cost      undirected edge, 1-based vertices

    Distances follow pmedinfo: c(i,i) = 0, c(i,j) = ∞, then the edges are set
    IN FILE ORDER, c(i,j) = c(j,i) = cost, so for a duplicated edge the LAST
    cost wins (not the minimum; the minimum gives wrong optima); then all-pairs
    shortest paths (:func:`shortest_paths`). Every vertex v is a Site ``W{v}``
    with one module of capacity n and fixed cost 0 (uncapacitated: the total
    demand is n), and a Sector ``C{v}`` with demand 1. Route cost_per_unit =
    d(i, j); unreachable pairs get no Route. Settings min_sites = max_sites = p.
    The hubopt objective is then Σ_j min over open i of d(i, j), the p-median
    objective.
    """
    path = Path(path)
    data = path.read_bytes()
    tokens = _tokens(data)
    n, n_edges, p = _header(tokens, 3, path)
    _expect_count(tokens, 3 + 3 * n_edges, "3 + 3·n_edges", path, exact=True)
    edges = _edges(tokens[3:], path)
    distance = shortest_paths(edge_matrix(n, edges, path))
    return _cflp_scenario(
        name=instance_name(path),
        capacity=np.full(n, float(n)),
        fixed_cost=np.zeros(n),
        demand=np.ones(n),
        total_cost=distance,  # demand 1: total cost = per-unit cost
        single_sourcing=False,
        source=_source(path, data),
        min_sites=p,
        max_sites=p,
    )


def edge_matrix(
    n: int, edges: Sequence[tuple[int, int, float]], path: str | Path = "<edges>"
) -> np.ndarray:
    """Direct-edge cost matrix of an undirected graph; for repeated edges the last wins.

    ``edges`` are ``(i, j, cost)`` with 1-based vertices, in file order. The
    diagonal is 0 (a self-loop, which no OR-Library file has, does not change it).
    """
    matrix = np.full((n, n), np.inf)
    for i, j, cost in edges:  # a plain loop: file order decides, the last write wins
        if not (1 <= i <= n and 1 <= j <= n):
            raise ValueError(f"{path}: edge ({i}, {j}) is not between vertices 1..{n}")
        matrix[i - 1, j - 1] = matrix[j - 1, i - 1] = cost
    np.fill_diagonal(matrix, 0.0)
    return matrix


def shortest_paths(matrix: np.ndarray) -> np.ndarray:
    """All-pairs shortest path lengths (Floyd–Warshall, vectorised over each pivot k)."""
    distance = np.array(matrix, dtype=float)
    for k in range(distance.shape[0]):
        np.minimum(distance, distance[:, k, None] + distance[None, k, :], out=distance)
    return distance


# --------------------------------------------------------------------------- published optima


def published_optima(bench: str | Path | None = None) -> dict[str, float]:
    """Published optimal objective values by instance key.

    Read from ``orlib_cap/capopt.txt`` (``cap41``…, and ``capa-8000`` etc. from
    its ``(capacity …)`` lines), ``sscflp_holmberg/os`` and ``sscflp_yang/os``
    (line k → ``holmberg-pk`` / ``yang-pk``) and ``orlib_pmed/pmedopt.txt``
    (``pmed1``…). capopt values are rounded to 3 decimals: compare with an
    absolute tolerance of about 1e-3.
    """
    root = Path(bench) if bench is not None else bench_dir()
    optima = _read_capopt(root / CAP_DIR / "capopt.txt")
    optima.update(_read_os(root / HOLMBERG_DIR / "os", _KEY_PREFIX[HOLMBERG_DIR]))
    optima.update(_read_os(root / YANG_DIR / "os", _KEY_PREFIX[YANG_DIR]))
    optima.update(_read_named_values(root / PMED_DIR / "pmedopt.txt"))
    return optima


_NUMBER = r"\d+(?:\.\d*)?"
_CAPOPT_LINE = re.compile(
    rf"(?P<name>\S+)?\s+(?P<value>{_NUMBER})(?:\s*\(capacity\s+(?P<capacity>{_NUMBER})\))?\s*"
)


def _read_capopt(path: Path) -> dict[str, float]:
    """``capopt.txt``: ``name value`` lines; capa/b/c have ``value (capacity c)``
    lines, the name only on the first of the four. Header and note lines are
    skipped (they do not match)."""
    optima: dict[str, float] = {}
    name = None
    for line in path.read_text(encoding="latin-1").splitlines():
        match = _CAPOPT_LINE.fullmatch(line)
        if not match:
            continue
        name = match["name"] or name
        if name is None:
            raise ValueError(f"{path}: value line {line!r} before any instance name")
        key = name
        if match["capacity"]:
            key = f"{name}-{format_capacity(float(match['capacity']))}"
        optima[key] = float(match["value"])
    return optima


def _read_os(path: Path, prefix: str) -> dict[str, float]:
    """An SSCFLP ``os`` file: the k-th value is the optimum of file ``pk``."""
    values = _tokens(path.read_bytes())
    return {f"{prefix}-p{k}": float(v) for k, v in enumerate(values, start=1)}


def _read_named_values(path: Path) -> dict[str, float]:
    """``name value`` lines (``pmedopt.txt``); lines that are not so are skipped."""
    optima: dict[str, float] = {}
    for line in path.read_text(encoding="latin-1").splitlines():
        match = re.fullmatch(rf"\s*(\S+)\s+({_NUMBER})\s*", line)
        if match:
            optima[match[1]] = float(match[2])
    return optima


# --------------------------------------------------------------------------- helpers


def _cflp_scenario(
    *,
    name: str,
    capacity: np.ndarray,
    fixed_cost: np.ndarray,
    demand: np.ndarray,
    total_cost: np.ndarray,
    single_sourcing: bool,
    source: Source,
    min_sites: int | None = None,
    max_sites: int | None = None,
) -> Scenario:
    """Build the Scenario of a facility location instance (mapping in the module docstring).

    ``total_cost[i, j]`` is the cost of serving all of customer j's demand from
    facility i (∞ = no route); the Route charges ``total_cost[i, j] / demand[j]``
    per unit.
    """
    if np.any(demand <= 0):
        raise ValueError(
            f"{name}: every demand must be > 0 to turn total costs into per-unit costs"
        )
    unit_cost = (total_cost / demand[None, :]).tolist()
    m, n = total_cost.shape
    settings = Settings(
        scenario_name=name,
        value_of_time=0.0,
        missing_routes="forbid",
        min_sites=min_sites,
        max_sites=max_sites,
        single_sourcing=single_sourcing,
        time_limit_seconds=TIME_LIMIT_SECONDS,
        mip_gap=0.0,
    )
    sites = tuple(
        Site(site_id=site_id(i), country=COUNTRY, status="candidate", site_cost=0.0)
        for i in range(m)
    )
    hub_options = tuple(
        HubOption(site_id=site_id(i), service=SERVICE, size=SIZE, capacity=s, fixed_cost=f)
        for i, (s, f) in enumerate(zip(capacity.tolist(), fixed_cost.tolist(), strict=True))
    )
    sectors = tuple(Sector(sector_id=sector_id(j), country=COUNTRY) for j in range(n))
    demand_rows = tuple(
        Demand(sector_id=sector_id(j), service=SERVICE, quantity=d)
        for j, d in enumerate(demand.tolist())
    )
    routes = tuple(
        Route(site_id=site_id(i), sector_id=sector_id(j), hours=0.0, cost_per_unit=c, allowed=True)
        for i, row in enumerate(unit_cost)
        for j, c in enumerate(row)
        if c != float("inf")
    )
    return Scenario(
        settings=settings,
        services=(Service(service_id=SERVICE, unit="units", description="benchmark demand"),),
        sites=sites,
        hub_options=hub_options,
        sectors=sectors,
        demand=demand_rows,
        routes=routes,
        source=source,
    )


def _tokens(data: bytes) -> list[str]:
    """Whitespace-separated tokens; NUL bytes count as whitespace (Holmberg padding)."""
    return data.replace(b"\0", b" ").decode("latin-1").split()


def _header(tokens: Sequence[str], count: int, path: Path) -> list[int]:
    """The first ``count`` tokens as non-negative whole numbers."""
    if len(tokens) < count:
        raise ValueError(f"{path}: expected a header of {count} whole numbers, file is too short")
    values = []
    for token in tokens[:count]:
        if not token.isdigit():
            raise ValueError(f"{path}: header token {token!r} is not a whole number")
        values.append(int(token))
    return values


def _expect_count(
    tokens: Sequence[str], expected: int, formula: str, path: Path, *, exact: bool
) -> None:
    """Check the token count against the header (``exact`` False allows trailing junk)."""
    if len(tokens) < expected or (exact and len(tokens) != expected):
        raise ValueError(
            f"{path}: {len(tokens)} tokens, expected {'' if exact else 'at least '}"
            f"{formula} = {expected}"
        )


def _edges(tokens: Sequence[str], path: Path) -> list[tuple[int, int, float]]:
    """``i j cost`` triples: whole-number vertices, numeric cost."""
    try:
        return [
            (int(tokens[k]), int(tokens[k + 1]), float(tokens[k + 2]))
            for k in range(0, len(tokens), 3)
        ]
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None


def _floats(tokens: Sequence[str], path: Path) -> np.ndarray:
    """Tokens as a float array, naming the file and token on failure."""
    try:
        return np.array([float(t) for t in tokens], dtype=float)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None


def _capacities(tokens: Sequence[str], capacity: float | None, path: Path) -> np.ndarray:
    """Warehouse capacities, with the capa/b/c ``capacity`` placeholder replaced."""
    placeholder = [t.lower() == "capacity" for t in tokens]
    if any(placeholder) and capacity is None:
        raise ValueError(
            f"{path}: capacities are the placeholder 'capacity'; pass capacity= "
            "(capa: 8000/10000/12000/14000, capb: 5000-8000, capc: 5000-7250)"
        )
    if capacity is not None and not all(placeholder):
        raise ValueError(f"{path}: capacity= is only for files whose capacities are all 'capacity'")
    if capacity is not None:
        if not capacity > 0:
            raise ValueError(f"{path}: capacity must be > 0, got {capacity!r}")
        return np.full(len(tokens), float(capacity))
    return _floats(tokens, path)


def _source(path: Path, data: bytes) -> Source:
    return Source(path=str(path), sha256=hashlib.sha256(data).hexdigest())
