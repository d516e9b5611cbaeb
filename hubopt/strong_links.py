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

Units: costs in the objective's currency per unit served.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import highspy
import numpy as np

from .handoff import CompiledLp

PER_DEMAND = 20          # arcs of each demand row whose strong_link rows are kept
SELECT_ABOVE = 100_000   # select only when the model has more strong_link rows than this
_MAX_ROUNDS = 200


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
    elastic model, which is handed over exactly as built (formulation.md)."""
    family = getattr(model, "strong_link", None)
    if family is None or getattr(model, "elastic", False):
        return np.zeros(0, dtype=np.int64)
    return np.array([i for i, row in enumerate(compiled.rows) if row.parent_component() is family],
                    dtype=np.int64)


def select_strong_links(compiled: CompiledLp, model, *, per_demand: int = PER_DEMAND,
                        above: int = 0, time_limit: float = np.inf, threads: int = 0
                        ) -> tuple[CompiledLp, LinkSelection | None]:
    """``compiled`` with only the selected ``strong_link`` rows, and what was kept.

    Returns ``compiled`` unchanged and None when the model has no more than
    ``above`` strong_link rows. When the row generation does not end within
    ``time_limit`` seconds (or the LP is infeasible), the selection keeps the
    rows added so far and the cheapest arcs' rows, and ``lp_bound`` is None: the
    MIP is still exact, only its LP bound may be below the full model's.
    """
    begin = time.perf_counter()
    candidates = strong_link_rows(compiled, model)
    if len(candidates) == 0 or len(candidates) <= above:
        return compiled, None
    rows = _RowView(compiled)
    is_candidate = np.zeros(len(compiled.rows), dtype=bool)
    is_candidate[candidates] = True
    keep = ~is_candidate
    highs = _relaxation(compiled, keep, threads)
    violation = rows.violation(candidates)
    bound, rounds = None, 0
    while rounds < _MAX_ROUNDS:
        rounds += 1
        highs.setOptionValue("time_limit", max(0.0, time_limit - (time.perf_counter() - begin)))
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        x = np.asarray(highs.getSolution().col_value)
        violated = candidates[violation(x) > 0]
        if len(violated) == 0:
            bound = highs.getInfo().objective_function_value
            break
        rows.add_to(highs, violated)
        keep[violated] = True
    flow, demand = _flow_column_and_demand(compiled, model, candidates)
    keep[candidates[_cheapest(demand, compiled.cost[flow], per_demand)]] = True
    kept = int(keep[candidates].sum())
    selection = LinkSelection(kept, len(candidates), bound, rounds, time.perf_counter() - begin)
    return _with_rows(compiled, keep), selection


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


def _flow_column_and_demand(compiled: CompiledLp, model, candidates: np.ndarray
                            ) -> tuple[np.ndarray, np.ndarray]:
    """For each strong_link row: the column of its flow x_sr and a number per
    demand row r = (sector, service) grouping the arcs of one row."""
    column_of = {id(var): j for j, var in enumerate(compiled.columns)}
    demand_number: dict = {}
    flow = np.empty(len(candidates), dtype=np.int64)
    demand = np.empty(len(candidates), dtype=np.int64)
    for n, i in enumerate(candidates):
        site, sector, service = compiled.rows[i].index()
        flow[n] = column_of[id(model.x[site, sector, service])]
        demand[n] = demand_number.setdefault((sector, service), len(demand_number))
    return flow, demand


class _RowView:
    """The compiled matrix row-wise, to add rows to HiGHS and measure violations."""

    def __init__(self, compiled: CompiledLp):
        self.compiled = compiled
        count = np.diff(compiled.start)
        column = np.repeat(np.arange(len(count)), count)
        order = np.lexsort((column, compiled.index))
        self.column = column[order].astype(np.int32)
        self.value = compiled.value[order]
        self.start = np.zeros(len(compiled.rows) + 1, dtype=np.int64)
        np.cumsum(np.bincount(compiled.index, minlength=len(compiled.rows)), out=self.start[1:])

    def slices(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row starts, column indices and values of ``rows``, row-wise."""
        lengths = self.start[rows + 1] - self.start[rows]
        starts = np.zeros(len(rows), dtype=np.int32)
        np.cumsum(lengths[:-1], out=starts[1:])
        positions = np.repeat(self.start[rows] - starts, lengths) + np.arange(lengths.sum())
        return starts, self.column[positions], self.value[positions]

    def add_to(self, highs: highspy.Highs, rows: np.ndarray) -> None:
        starts, columns, values = self.slices(rows)
        highs.addRows(len(rows), self.compiled.row_lower[rows], self.compiled.row_upper[rows],
                      len(values), starts, columns, values)

    def violation(self, rows: np.ndarray):
        """A function of x giving by how much each of ``rows`` is violated at x,
        beyond a tolerance of 1e-6 per unit of the row's largest coefficient (at
        least 1); ≤ 0: satisfied. The rows are sliced once, not every round."""
        starts, columns, values = self.slices(rows)
        owner = np.repeat(np.arange(len(rows)), np.diff(np.r_[starts, len(values)]))
        scale = np.ones(len(rows))
        np.maximum.at(scale, owner, np.abs(values))
        lower = self.compiled.row_lower[rows] - 1e-6 * scale
        upper = self.compiled.row_upper[rows] + 1e-6 * scale

        def of(x: np.ndarray) -> np.ndarray:
            activity = np.bincount(owner, weights=values * x[columns], minlength=len(rows))
            return np.maximum(activity - upper, lower - activity)
        return of


def _relaxation(compiled: CompiledLp, base: np.ndarray, threads: int) -> highspy.Highs:
    """A quiet HiGHS holding the LP relaxation of ``compiled`` over the rows where
    the mask ``base`` is true."""
    reduced = _with_rows(replace(compiled, integrality=np.zeros_like(compiled.integrality)),
                         base.copy())
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("random_seed", 1)
    if threads:
        highs.setOptionValue("threads", threads)
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
