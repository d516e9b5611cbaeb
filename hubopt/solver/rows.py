"""Hand HiGHS only the ``strong_link`` rows that matter, on a large model.

``strong_link`` (formulation (5)) is a valid inequality, one row per arc:

    x_sr ≤ q_r · Σ_{m ∈ M(s,k(r))} y_m                        (s, r) ∈ A

For integer y it is implied by ``demand`` (x_sr ≤ q_r) and ``capacity``
(nothing flows through (s, k) when none of its modules is open), so any subset
of these rows leaves the MIP's feasible plans and its optimum unchanged; the
rows only tighten the LP relaxation and feed HiGHS's cut separators. On the
theatre instance they are 99 % of the rows, and solving the root LP over all
of them took most of the time limit (docs/theatre.md).

:func:`select_strong_links` keeps a subset chosen from the model's LP
relaxation, solved by row generation:

1. solve the LP relaxation with every row except ``strong_link``;
2. add the ``strong_link`` rows the LP solution violates and solve again
   (dual simplex, warm), until none is violated. That point satisfies every
   row, so its objective is the LP bound of the full model. (When this does
   not end within its time, step 3 keeps the rows added so far: still exact,
   the LP bound may be lower.)
3. keep the rows added in step 2 and the rows of the ``per_demand`` arcs of
   each demand row with the smallest cost per unit served (the objective
   coefficient of x_sr: transport, time and risk; ties: model order) — the
   arcs a near-optimal plan most likely uses, where the inequality feeds
   HiGHS's cut separators most. (Ranking by the LP's reduced costs was
   measured and not kept: they are nearly all zero on this degenerate LP, and
   the cuts moved the bound less; docs/theatre.md.)

This module owns the whole policy: whether to select (:func:`link_choice`,
:func:`selects`: more than ``SELECT_ABOVE`` rows under ``auto``), which rows,
and the rows themselves. When it will select, the model is built without the
Pyomo ``strong_link`` family (``build_model(..., strong_link=False)``) and the
rows come from :func:`hubopt.model.build.strong_link_terms` as arrays
(:class:`LinkTerms`, the same terms as the family), so the 99 % of rows that
HiGHS never gets are not built as Pyomo objects either (0.4 GB and 8 s at
theatre scale 1).

Units: costs in the objective's currency per unit served.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import highspy
import numpy as np

from ..model.build import strong_link_terms
from ..model.network import Network
from .handoff import CompiledLp, new_highs
from .heap import release_free_heap

PER_DEMAND = 20          # arcs of each demand row whose strong_link rows are kept
SELECT_ABOVE = 100_000   # select only when the model has more strong_link rows than this
_MAX_ROUNDS = 200


def link_choice(strong_links: str | int) -> tuple[int, int] | None:
    """(arcs kept per demand row, select only above this many rows) for a
    ``strong_links`` value: ``auto`` (:data:`PER_DEMAND` above
    :data:`SELECT_ABOVE`), a count k (k per demand row, always) or ``all`` (None:
    never select)."""
    if strong_links == "all":
        return None
    if strong_links == "auto":
        return PER_DEMAND, SELECT_ABOVE
    if isinstance(strong_links, int) and not isinstance(strong_links, bool) \
            and strong_links >= 0:
        return strong_links, 0
    raise ValueError(f"strong_links must be 'auto', 'all' or a count, not {strong_links!r}")


def selects(strong_links: str | int, rows: int) -> bool:
    """Whether the hand-off selects among ``rows`` strong_link rows for this
    ``strong_links`` choice (then the model is built without the Pyomo family)."""
    choice = link_choice(strong_links)
    return choice is not None and rows > choice[1]


def hand_over(compiled: CompiledLp, model, strong_links: str | int, *, time_limit: float,
              threads: int = 0) -> tuple[CompiledLp, LinkSelection | None]:
    """``compiled`` with the strong_link rows HiGHS gets, and what was selected
    (None when every row is passed). Selection takes at most half of ``time_limit``;
    with no time at all every row is passed."""
    choice = link_choice(strong_links)
    if choice is None or time_limit <= 0:
        return with_every_strong_link(compiled, model), None
    per_demand, above = choice
    return select_strong_links(compiled, model, per_demand=per_demand, above=above,
                               time_limit=time_limit / 2, threads=threads)


def _omitted_terms(model) -> LinkTerms | None:
    """The rows of a strong_link family the model was built without, else None."""
    if not getattr(model, "strong_link_omitted", False):
        return None
    return LinkTerms.of(strong_link_terms(model, model.network), model, model.network)


@dataclass(frozen=True)
class LinkSelection:
    """What :func:`select_strong_links` did: rows kept of the total, the LP
    relaxation's bound (objective units; None when row generation did not end),
    rounds of row generation and seconds."""

    kept: int
    total: int
    lp_bound: float | None
    rounds: int
    seconds: float

    def as_run_record(self) -> dict:
        return {"strong_link_rows": self.kept, "strong_link_rows_total": self.total,
                "strong_link_lp_bound": self.lp_bound, "strong_link_rounds": self.rounds,
                "strong_link_seconds": self.seconds}

    def __str__(self) -> str:
        relaxation = "not solved to the end" if self.lp_bound is None \
            else f"{self.lp_bound:,.2f}"
        return (f"kept {self.kept:,} of {self.total:,} strong_link rows (LP relaxation "
                f"{relaxation} in {self.rounds} round(s), {self.seconds:.1f} s)")


def strong_link_rows(compiled: CompiledLp, model) -> np.ndarray:
    """Positions in ``compiled.rows`` of the ``strong_link`` rows; none for the
    elastic model, which is handed over exactly as built (formulation.md), and
    none for a model built without the family."""
    family = getattr(model, "strong_link", None)
    if family is None or getattr(model, "elastic", False):
        return np.zeros(0, dtype=np.int64)
    return np.array([i for i, row in enumerate(compiled.rows) if row.parent_component() is family],
                    dtype=np.int64)


def select_strong_links(compiled: CompiledLp, model, *, per_demand: int = PER_DEMAND,
                        above: int = 0, time_limit: float = np.inf, threads: int = 0
                        ) -> tuple[CompiledLp, LinkSelection | None]:
    """``compiled`` with only the selected ``strong_link`` rows, and what was kept.

    Returns every row and None when the model has no more than ``above``
    strong_link rows. When the row generation does not end within
    ``time_limit`` seconds (or the LP is infeasible), the selection keeps the
    rows added so far and the cheapest arcs' rows, and ``lp_bound`` is None: the
    MIP is still exact, only its LP bound may be below the full model's.
    The kept rows come after the other rows; a model built without the family
    gets them from its terms (:class:`LinkTerms`).
    """
    begin = time.perf_counter()
    arrays = _omitted_terms(model)
    positions = strong_link_rows(compiled, model) if arrays is None else None
    total = len(arrays) if arrays is not None else len(positions)
    if total == 0 or total <= above:
        return with_every_strong_link(compiled, model), None
    if arrays is not None:
        base, links = compiled, _LinkRows.of_arrays(compiled, arrays)
    else:
        base, links = _LinkRows.split(compiled, model, positions)
    keep = np.zeros(len(links), dtype=bool)
    highs = _relaxation(base, threads)
    violation = links.violation()
    bound, rounds = None, 0
    while rounds < _MAX_ROUNDS:
        rounds += 1
        highs.setOptionValue("time_limit", max(0.0, time_limit - (time.perf_counter() - begin)))
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        x = np.asarray(highs.getSolution().col_value)
        violated = np.flatnonzero(violation(x) > 0)
        if len(violated) == 0:
            bound = highs.getInfo().objective_function_value
            break
        links.add_to(highs, violated)
        keep[violated] = True
    del highs
    release_free_heap()
    keep |= _cheapest(links.demand, compiled.cost[links.flow], per_demand)
    selection = LinkSelection(int(keep.sum()), len(links), bound, rounds,
                              time.perf_counter() - begin)
    if keep.all() and arrays is None:
        return compiled, selection
    return links.appended_to(base, keep), selection


def with_every_strong_link(compiled: CompiledLp, model) -> CompiledLp:
    """``compiled`` with every strong_link row: as it is, unless ``model`` was
    built without the family, whose rows are then appended."""
    arrays = _omitted_terms(model)
    if arrays is None or len(arrays) == 0:
        return compiled
    links = _LinkRows.of_arrays(compiled, arrays)
    return links.appended_to(compiled, np.ones(len(links), dtype=bool))


def _cheapest(group: np.ndarray, cost: np.ndarray, k: int) -> np.ndarray:
    """Mask of the ``k`` entries of each group with the smallest ``cost`` (ties:
    the earlier entry)."""
    order = np.lexsort((np.arange(len(group)), cost, group))
    sorted_group = group[order]
    starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
    position = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    mask = np.zeros(len(order), dtype=bool)
    mask[order[position < k]] = True
    return mask


@dataclass(frozen=True)
class LinkRow:
    """A strong_link row that reached HiGHS from :class:`LinkTerms`: its arc, and
    the name Pyomo would give the row."""

    arc: tuple

    @property
    def name(self) -> str:
        return "strong_link[" + ",".join(str(part) for part in self.arc) + "]"


@dataclass(frozen=True)
class _LinkRows:
    """strong_link rows to choose from, row-wise: row i has its columns and
    coefficients at ``start[i]:start[i+1]``, bounds ``lower[i] ≤ · ≤ upper[i]``,
    the column of its flow x_sr and a number per demand row r."""

    start: np.ndarray
    column: np.ndarray
    value: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    flow: np.ndarray
    demand: np.ndarray
    rows: list           # the Pyomo constraint of each row, or its arc (``of_arrays``)
    from_arrays: bool = False

    def __len__(self) -> int:
        return len(self.flow)

    @classmethod
    def split(cls, compiled: CompiledLp, model, positions: np.ndarray
              ) -> tuple[CompiledLp, _LinkRows]:
        """``compiled`` without the strong_link rows at ``positions``, and those rows."""
        count = np.diff(compiled.start)
        column = np.repeat(np.arange(len(count)), count)
        order = np.lexsort((column, compiled.index))
        row_start = np.zeros(len(compiled.rows) + 1, dtype=np.int64)
        np.cumsum(np.bincount(compiled.index, minlength=len(compiled.rows)), out=row_start[1:])
        lengths = row_start[positions + 1] - row_start[positions]
        start = np.r_[0, np.cumsum(lengths)]
        entries = order[np.repeat(row_start[positions] - start[:-1], lengths)
                        + np.arange(start[-1])]
        flow, demand = _flow_column_and_demand(compiled, model, positions)
        links = cls(start, column[entries], compiled.value[entries],
                    compiled.row_lower[positions], compiled.row_upper[positions], flow, demand,
                    [compiled.rows[i] for i in positions])
        is_link = np.zeros(len(compiled.rows), dtype=bool)
        is_link[positions] = True
        return _with_rows(compiled, ~is_link), links

    @classmethod
    def of_arrays(cls, compiled: CompiledLp, arrays: LinkTerms) -> _LinkRows:
        """The rows of a :class:`LinkTerms` over the columns of ``compiled``:
        x_sr − q_r·Σ y_m ≤ 0."""
        column_of = compiled.column_positions()

        def columns(variables) -> np.ndarray:
            try:
                return np.fromiter((column_of[id(var)] for var in variables), dtype=np.int64,
                                   count=len(variables))
            except KeyError:
                raise ValueError("a strong_link variable is fixed or in no other row; "
                                 "build the model with its strong_link family") from None
        flow = columns(arrays.flows)
        per_pair = [columns(ys) for ys in arrays.modules]
        pair_length = np.array([len(c) for c in per_pair], dtype=np.int64)
        pair_start = np.r_[0, np.cumsum(pair_length)]
        pair_columns = np.concatenate([*per_pair, np.zeros(0, dtype=np.int64)])
        lengths = 1 + pair_length[arrays.pair]
        start = np.r_[0, np.cumsum(lengths)]
        owner = np.repeat(np.arange(len(flow)), lengths)
        within = np.arange(start[-1]) - start[owner]          # 0: the flow, 1…: its modules
        module = within > 0
        column = np.empty(start[-1], dtype=np.int64)
        value = np.empty(start[-1])
        column[~module], value[~module] = flow, 1.0
        column[module] = pair_columns[pair_start[arrays.pair[owner[module]]] + within[module] - 1]
        value[module] = -arrays.quantity[owner[module]]
        return cls(start, column, value, np.full(len(flow), -np.inf), np.zeros(len(flow)),
                   flow, arrays.demand_row, arrays.arcs, from_arrays=True)

    def _entries(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row starts (from 0) of ``rows`` and the positions of their entries."""
        lengths = self.start[rows + 1] - self.start[rows]
        starts = np.r_[0, np.cumsum(lengths)]
        return starts, np.repeat(self.start[rows] - starts[:-1], lengths) + np.arange(starts[-1])

    def add_to(self, highs: highspy.Highs, rows: np.ndarray) -> None:
        starts, entries = self._entries(rows)
        highs.addRows(len(rows), self.lower[rows], self.upper[rows], len(entries),
                      starts[:-1].astype(np.int32), self.column[entries].astype(np.int32),
                      self.value[entries])

    def violation(self):
        """A function of x giving by how much each row is violated at x, beyond a
        tolerance of 1e-6 per unit of the row's largest coefficient (at least 1);
        ≤ 0: satisfied."""
        owner = np.repeat(np.arange(len(self)), np.diff(self.start))
        scale = np.ones(len(self))
        np.maximum.at(scale, owner, np.abs(self.value))
        lower, upper = self.lower - 1e-6 * scale, self.upper + 1e-6 * scale

        def of(x: np.ndarray) -> np.ndarray:
            activity = np.bincount(owner, weights=self.value * x[self.column],
                                   minlength=len(self))
            return np.maximum(activity - upper, lower - activity)
        return of

    def appended_to(self, compiled: CompiledLp, keep: np.ndarray) -> CompiledLp:
        """``compiled`` with the rows where ``keep`` is true after its own rows."""
        chosen = np.flatnonzero(keep)
        starts, entries = self._entries(chosen)
        n_columns = len(compiled.start) - 1
        column = np.concatenate([np.repeat(np.arange(n_columns), np.diff(compiled.start)),
                                 self.column[entries]])
        row = np.concatenate([compiled.index, len(compiled.rows)
                              + np.repeat(np.arange(len(chosen)), np.diff(starts))])
        value = np.concatenate([compiled.value, self.value[entries]])
        order = np.argsort(column, kind="stable")
        start = np.zeros(n_columns + 1, dtype=np.int32)
        np.cumsum(np.bincount(column, minlength=n_columns), out=start[1:])
        kept = [LinkRow(self.rows[i]) if self.from_arrays else self.rows[i] for i in chosen]
        return replace(compiled, rows=compiled.rows + kept,
                       row_lower=np.concatenate([compiled.row_lower, self.lower[chosen]]),
                       row_upper=np.concatenate([compiled.row_upper, self.upper[chosen]]),
                       start=start, index=row[order].astype(np.int32), value=value[order])


def _flow_column_and_demand(compiled: CompiledLp, model, candidates: np.ndarray
                            ) -> tuple[np.ndarray, np.ndarray]:
    """For each strong_link row: the column of its flow x_sr and a number per
    demand row r = (sector, service) grouping the arcs of one row."""
    column_of = compiled.column_positions()
    demand_number: dict = {}
    flow = np.empty(len(candidates), dtype=np.int64)
    demand = np.empty(len(candidates), dtype=np.int64)
    for n, i in enumerate(candidates):
        site, sector, service = compiled.rows[i].index()
        flow[n] = column_of[id(model.x[site, sector, service])]
        demand[n] = demand_number.setdefault((sector, service), len(demand_number))
    return flow, demand


def _relaxation(compiled: CompiledLp, threads: int) -> highspy.Highs:
    """A quiet HiGHS holding the LP relaxation of ``compiled``."""
    reduced = replace(compiled, integrality=np.zeros_like(compiled.integrality))
    highs = new_highs({"output_flag": False, **({"threads": threads} if threads else {})})
    highs.passModel(reduced.highs_lp())
    return highs


def _with_rows(compiled: CompiledLp, keep: np.ndarray) -> CompiledLp:
    """``compiled`` with only the rows where ``keep`` is true (columns unchanged)."""
    if keep.all():
        return compiled
    renumber = np.cumsum(keep) - 1
    in_kept = keep[compiled.index]
    count = np.diff(compiled.start)
    column = np.repeat(np.arange(len(count)), count)[in_kept]
    start = np.zeros(len(count) + 1, dtype=np.int32)
    np.cumsum(np.bincount(column, minlength=len(count)), out=start[1:])
    return replace(compiled, rows=[row for row, k in zip(compiled.rows, keep, strict=True) if k],
                   row_lower=compiled.row_lower[keep], row_upper=compiled.row_upper[keep],
                   start=start, index=renumber[compiled.index[in_kept]].astype(np.int32),
                   value=compiled.value[in_kept])


@dataclass(frozen=True)
class LinkTerms:
    """The rows of (5) as data, row i for the i-th arc of ``model.A``:

        x_i − quantity[i]·Σ_{y ∈ modules[pair[i]]} y ≤ 0          (units per period)

    ``flows[i]`` is the variable x of arc ``arcs[i]``, ``demand_row[i]`` numbers its
    demand row (sector, service) and ``pair[i]`` its (site, service), whose module
    variables y are ``modules[pair[i]]``."""

    arcs: list
    flows: list
    quantity: np.ndarray
    demand_row: np.ndarray
    pair: np.ndarray
    modules: list

    @classmethod
    def of(cls, terms, model, network: Network) -> LinkTerms:
        arcs, flows, quantity, demand_row, pair = [], [], [], [], []
        demand_number: dict = {}
        pair_number: dict = {}
        for arc, flow, q, site_service in terms:
            arcs.append(arc)
            flows.append(flow)
            quantity.append(q)
            demand_row.append(demand_number.setdefault(arc[1:], len(demand_number)))
            pair.append(pair_number.setdefault(site_service, len(pair_number)))
        modules = [[model.y[key] for key in network.modules_of(s, k)] for s, k in pair_number]
        return cls(arcs, flows, np.array(quantity, dtype=float),
                   np.array(demand_row, dtype=np.int64), np.array(pair, dtype=np.int64),
                   modules)

    def __len__(self) -> int:
        return len(self.arcs)
