"""Resilience (SPEC §3.2) by generating only the loss cases that bind.

The full model gives every candidate site (every pair, with resilience_losses =
2) a loss case t with its own flows x^t over the usable arcs: |T|·|A| flow
variables, hundreds of times the plan itself at theatre scale. But losing a
closed site changes nothing (the plan's own flows survive it), and losing more
sites is never easier, so a plan survives every loss case exactly when it
survives the loss cases of its *open* sites (:func:`hubopt.model.build.loss_cases`).
A plan opens a handful of the candidates. So the session starts with no loss
case at all and :class:`LazyLosses`, on every :meth:`Session.solve`,

1. solves the MIP with the loss cases added so far;
2. checks the plan against every loss case of its open sites not yet in the
   model, one LP each (:class:`LossCheck`: the plan's modules fixed, least
   shortfall below α·q_r, warm-started on one LP session);
3. adds, for each case the plan fails, feasibility cuts on the design alone
   (:func:`loss_cuts`, one per service from the check LP's dual prices: Hall's
   condition for a set of rows), each made to hold with *any* L sites lost
   (:func:`add_robust_cut`, with its disjunctive form :func:`add_cut_hull` to
   tighten the relaxation), so one failed case protects against all of them and
   the MIP keeps about the size of the plan without resilience; a case none of
   whose cuts would move the plan gets its flows and rows instead — built by the
   same :func:`hubopt.model.build.add_loss_cases` as the full model's, handed to
   the same HiGHS (:meth:`Session.add_constraints`) — and solves again, until a
   plan fails none.

Rounds whose plan is only to be checked stop at ``CHECKING_GAP`` (5 %, or the
target gap if looser): the plan need not be near-optimal to tell which loss
cases bind. Once a plan survives every case, one more round proves the target
gap, started from that plan. While it runs, the plans HiGHS finds are checked
as it finds them (:class:`IncumbentWatch`, through :meth:`Session.run`'s
``on_improving``): one within ``CHECKING_GAP`` of the bound that fails a loss
case stops the proof at once — it is near-optimal for a model that still
misses cuts, so proving that model's gap would be wasted (on theatre ×0.1 with
N-2 a proof round once ran 390 s before its plan failed a pair) — and one that
survives is kept. After a failing plan the loop goes back to checking rounds,
started from the cheapest surviving plan found (it satisfies every cut; the
watch also looks among the incumbents it found too early to check). If time
runs out with a plan that fails a case, the cheapest surviving plan is
reported (status time_limit, its gap against the best bound of all rounds).

(Flows for every failed case was the first version: on theatre ×0.1 each round
then became as hard as the full model and no surviving plan was found in 600 s;
with cuts, 4 rounds and 46 s. docs/resilience.md.)

Exact: every cut is valid for the full model (each round's model is a
relaxation of it), so its bound is a bound of the full model, and the last plan
satisfies every loss case, so it is a plan of the full model with that gap.
Finite: each round cuts off its plan with prices from the vertices of one dual
polytope per case, or adds a case that was not in the model. The time limit is shared by all
rounds; a round that ends (time, memory, Ctrl-C) with a plan that still fails a
loss case ends the solve with the cheapest plan found that survived, or
without a plan (``no_solution``) when none did: a plan that does not
survive is never reported as one that does.
"""

from __future__ import annotations

import logging
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np
import pyomo.environ as pyo
from pyomo.common.collections import ComponentMap

from ..model.build import add_loss_cases, loss_cases, loss_label
from ..model.network import Network
from .outcome import SolveOutcome, relative_gap
from .sizing import ModelSize, model_size

log = logging.getLogger("hubopt")

# A loss case fails when some demand row falls short of α·q_r by more than this share
# of q_r: HiGHS's feasibility tolerance (1e-7, scaled) leaves smaller shortfalls as noise.
SHORTFALL_TOLERANCE = 1e-6
# A cut the failed plan violates by less than this (relative) is not trusted to move the
# next round: that case gets its flows (the full model's rows) instead.
CUT_MARGIN = 1e-7
# Rounds whose plan is only to be checked stop at this gap (or the target gap, if
# looser); once a plan survives every case, the target gap is proven from it. An
# incumbent within it of the bound is checked as HiGHS finds it; one that fails a loss
# case stops the round.
CHECKING_GAP = 0.05
# Incumbents found further than that from the bound are not checked as they come; the
# last few are kept, to look among them for a plan that survives when a round ends
# with one that fails (the next round's MIP start).
UNCHECKED_KEPT = 5
# The disjunctive strengthening of a cut (add_cut_hull) has one copy of the cut's
# modules per level θ; a cut with more distinct coefficients than this has them
# rounded up to this many levels (still valid, a little weaker).
HULL_LEVELS = 16


@dataclass(frozen=True)
class LossRound:
    """One MIP solve of the lazy loop: its objective, the loss cases its plan failed
    (cut before the next round; none in the last round), the seconds of its checks,
    and whether a plan that failed stopped it while it ran."""

    objective: float | None
    failed: tuple[str, ...]
    check_seconds: float
    stopped_early: bool = False


def open_capacity(model, network: Network,
                  value: Callable | None = None) -> dict[tuple[str, str], float]:
    """Capacity per (site, service) of a plan (y rounded): the one loaded in
    ``model``, or, with ``value`` (module key → y), that one."""
    if value is None:
        def value(key):
            return pyo.value(model.y[key], exception=False) or 0.0
    capacity: dict[tuple[str, str], float] = defaultdict(float)
    for key, module in network.modules.items():
        if value(key) > 0.5:
            capacity[(key[0], key[1])] += module.capacity
    return dict(capacity)


class LossCheck:
    """The §3.2 check of a fixed plan, one LP per loss case t:

        min  Σ_r u_r
        s.t. check_demand[r]:    Σ_{s∉t} x_sr + u_r ≥ α·q_r          r ∈ R
             check_capacity[s,k]: Σ_{r of k} x_sr ≤ C_sk             (open capacity)
             x ≥ 0, u ≥ 0

    u_r (units/period) is what row r lacks of α·q_r after losing t. Counting it in
    units (not as a share of q_r) keeps the optimal prices 0 or 1, so each cut of
    :func:`loss_cuts` is Hall's condition for one set of rows. The LP holds the
    usable arcs of ``sites`` (default: every site; the lazy loop passes a plan's
    open sites, the only ones with capacity — on theatre ×0.5 a twentieth of the
    arcs); a plan sets the capacity rows' bounds and a loss case fixes the flows of
    its sites to 0, so every case re-solves warm in the one session
    ``lp_session(model)`` opens. A closed site's flows are 0 either way, so both
    LPs have the same optimal shortfall and the same optimal prices."""

    def __init__(self, network: Network, alpha: float, lp_session: Callable,
                 sites: Iterable[str] | None = None):
        self.network = network
        self.sites = frozenset(network.sites if sites is None else sites)
        arcs = [key for key in network.arcs if key[0] in self.sites]
        model = pyo.ConcreteModel(name="loss_check")
        model.A = pyo.Set(initialize=arcs, dimen=3, ordered=True)
        model.R = pyo.Set(initialize=list(network.demand), dimen=2, ordered=True)
        model.x = pyo.Var(model.A, within=pyo.NonNegativeReals)
        model.u = pyo.Var(model.R, within=pyo.NonNegativeReals)
        model.check_demand = pyo.Constraint(model.R, rule=lambda m, sector, service: (
            sum(m.x[a.key] for a in network.arcs_into((sector, service))
                if a.site_id in self.sites) + m.u[sector, service]
            >= alpha * network.demand[(sector, service)].quantity))
        pairs = sorted({(key[0], key[2]) for key in arcs})
        model.check_capacity = pyo.Constraint(
            pyo.Set(initialize=pairs, dimen=2, ordered=True),
            rule=lambda m, s, k: sum(m.x[a.key] for a in network.arcs_from(s, k)) <= 0)
        model.shortfall = pyo.Objective(expr=sum(model.u.values()), sense=pyo.minimize)
        self.model = model
        self.session = lp_session(model)
        self._capacity = dict.fromkeys(pairs, 0.0)    # the capacity rows' upper bounds
        self._flows_of: dict[str, list] = defaultdict(list)   # site → its x, to fix at 0
        for key in arcs:
            self._flows_of[key[0]].append(model.x[key])

    def set_plan(self, capacity: dict[tuple[str, str], float]) -> None:
        """Check the plan with this open capacity per (site, service) from now on."""
        for pair, row in self.model.check_capacity.items():
            value = capacity.get(pair, 0.0)
            if self._capacity[pair] != value:
                self.session.set_row_bounds(row, -float("inf"), value)
                self._capacity[pair] = value

    def shortfall(self, case: tuple[str, ...]) -> tuple[dict, dict]:
        """Units/period each demand row lacks of α·q_r when the sites of ``case`` are
        lost together (rows that lack nothing left out), and the LP's dual price
        π_r ≥ 0 of each row's check_demand (rows with π_r = 0 left out)."""
        fixed = [(var, 0.0, 0.0) for site in case for var in self._flows_of[site]]
        with self.session.bounds(fixed):
            outcome = self.session.solve()
            if not outcome.has_plan:
                raise RuntimeError(f"loss check LP for {loss_label(case)} ended "
                                   f"{outcome.status}")
            rows = list(self.model.check_demand.items())
            duals = self.session.row_duals([con for _, con in rows])
        short = {r: float(var.value) for r, var in self.model.u.items()
                 if var.value > SHORTFALL_TOLERANCE * self.network.demand[r].quantity}
        prices = {r: dual for (r, _), dual in zip(rows, duals, strict=True) if dual > 0}
        return short, prices

    def close(self) -> None:
        self.session.close()


@dataclass(frozen=True)
class HallCut:
    """One service's feasibility cut from a loss case's prices (:func:`loss_cuts`):
    Σ_{m} a_m·y_m ≥ b over the modules of ``service`` (``terms``: (module, a_m)),
    to hold after losing any L sites (``add_robust_cut``)."""

    service: str
    terms: tuple[tuple[tuple[str, str, str], float], ...]
    rhs: float

    def by_site(self) -> dict[str, list[tuple[tuple[str, str, str], float]]]:
        """The terms grouped by site: M(s,k) with their a_m, per site s."""
        grouped: dict[str, list] = defaultdict(list)
        for key, coefficient in self.terms:
            grouped[key[0]].append((key, coefficient))
        return dict(grouped)

    def site_sides(self, values: Callable) -> dict[str, float]:
        """A_s = Σ_{m∈M(s,k)} a_m·y_m per site s, y from ``values(module)``."""
        return {site: sum(a * values(key) for key, a in terms)
                for site, terms in self.by_site().items()}

    def sites_needed(self, losses: int) -> int:
        """n: the fewest sites a design must open among the cut's for the cut to hold
        after losing any L = ``losses`` of them. A set of n sites keeps at most the
        sum of its n largest a_s less its L largest, so with a_(1) ≥ a_(2) ≥ … the
        per-site largest coefficients, n is the least with a_(L+1) + … + a_(n) ≥ b
        (one more than the sites there are when none reaches it)."""
        best = sorted((max(a for _, a in terms) for terms in self.by_site().values()),
                      reverse=True)
        total = 0.0
        for count, value in enumerate(best[losses:], start=losses + 1):
            total += value
            if total >= self.rhs * (1 - 1e-12):
                return count
        return len(best) + 1

    def levels(self, most: int = HULL_LEVELS) -> tuple[list[float], dict]:
        """The levels θ of :func:`add_cut_hull` and each module's coefficient ā_m
        rounded up to one of them: the distinct a_m when there are at most ``most``,
        else ``most`` of them spread evenly over the sorted values (the largest
        kept), each a_m rounded up to the next kept one. ā_m ≥ a_m, so the cut with
        ā holds wherever the cut with a does (the sum less the L largest only grows)."""
        distinct: list[float] = []
        for a in sorted(a for _, a in self.terms):    # values within 1e-9 merged, upwards
            if distinct and a <= distinct[-1] * (1 + 1e-9):
                distinct[-1] = a
            else:
                distinct.append(a)
        if len(distinct) > most:
            step = len(distinct) / most
            distinct = sorted({distinct[min(len(distinct) - 1, math.ceil((i + 1) * step) - 1)]
                               for i in range(most)})
        rounded = {key: next(level for level in distinct if level >= a)
                   for key, a in self.terms}
        return distinct, rounded

    def size(self) -> ModelSize:
        """The columns, rows and nonzeros :func:`add_robust_cut` adds for this cut
        (with its hull), S its sites, T its modules, Θ its levels: columns w, v_s,
        λ_θ, y^θ_m; rows top (S), cut, count, one (Θ·S), level (Θ), weights, split (T)."""
        sites, terms, levels = len(self.by_site()), len(self.terms), len(self.levels()[0])
        return ModelSize(
            variables=1 + sites + levels * (1 + terms),
            rows=sites + 2 + levels * (sites + 1) + 1 + terms,
            nonzeros=(terms + 2 * sites) + (terms + 1 + sites) + terms
            + levels * (terms + sites) + levels * (terms + 1) + levels
            + terms * (levels + 1))

    def surplus(self, values: Callable, losses: int) -> float:
        """Left side less b when the L sites of largest share are lost (< 0: violated)."""
        sides = sorted(self.site_sides(values).values(), reverse=True)
        return sum(sides[losses:]) - self.rhs


def loss_cuts(network: Network, prices: dict) -> list[HallCut]:
    """The feasibility cuts, one per service k, from the check LP's prices π_r ≥ 0 of a
    failed loss case (duals of check_demand):

        resilience_cut[k]:  Σ_{s∉t} Σ_{m∈M(s,k)} a_m·y_m  ≥  b_k = α·Σ_{r of k} π_r·q_r,
                            a_m = min(μ_sk·cap_m, D_sk, b_k)   for m ∈ M(s,k),
                            μ_sk = max{π_r : (s,r) ∈ A, k(r) = k},
                            D_sk = α·Σ{π_r·q_r : (s,r) ∈ A, k(r) = k}.

    Valid for every π ≥ 0 and every loss case t: a design that survives t can do so
    with flows x that bring each row exactly α·q_r (so x_sr ≤ α·q_r), and then
    b_k = Σ_{s∉t} Σ_{r of k} π_r x_sr, where site s's share is at most μ_sk·C_sk (its
    capacity) and at most D_sk (all the rows of k it reaches, served by it alone);
    with one size per (s,k), C_sk = cap_m of its open module. A coefficient above
    b_k can be cut to b_k (y is binary). Nothing in a_m or b_k depends on t, so the
    cut must hold with *any* L sites lost (:func:`add_robust_cut`). The check LP
    counts shortfall in units, so its optimal prices are 0 or 1 (a transport
    matrix is totally unimodular): π marks a set R′ of rows and the cut is Hall's
    condition for R′ — the capacity left in reach of R′ must cover α·q(R′). With
    the LP's optimal prices the failed plan violates the cut of some service (the
    b_k less the left sides add up to at least the LP's optimum > 0). Services with
    no positive price give no cut."""
    alpha = network.scenario.settings.resilience
    price: dict[tuple[str, str], float] = defaultdict(float)
    reach: dict[tuple[str, str], float] = defaultdict(float)
    rhs: dict[str, float] = defaultdict(float)
    for row, value in prices.items():
        weight = alpha * value * network.demand[row].quantity
        rhs[row[1]] += weight
        for arc in network.arcs_into(row):
            pair = (arc.site_id, arc.service)
            price[pair] = max(price[pair], value)
            reach[pair] += weight
    terms: dict[str, list] = defaultdict(list)
    for key, module in network.modules.items():
        pair = (key[0], key[1])
        if price.get(pair, 0.0) > 0:
            b = rhs[key[1]]
            terms[key[1]].append((key, min(module.capacity * price[pair], reach[pair], b)))
    return [HallCut(service, tuple(terms[service]), rhs[service])
            for service in sorted(rhs) if rhs[service] > 0]


def add_robust_cut(model, cut: HallCut, losses: int) -> list:
    """Add ``cut`` so that it holds with any L = ``losses`` sites lost: with
    A_s = Σ_{m∈M(s,k)} a_m·y_m (site s's share of the left side),

        Σ_s A_s − max_{|t|=L} Σ_{s∈t} A_s ≥ b,

    written with the LP form of the sum of the L largest A_s (min L·w + Σ_s v_s
    over v_s ≥ A_s − w, v, w ≥ 0; exact, also in the relaxation):

        resilience_cut[n]:       Σ_s A_s − L·w_n − Σ_s v_ns ≥ b,
        resilience_cut_top[n,s]: v_ns + w_n − A_s ≥ 0,          w_n, v_ns ≥ 0,

    and its count: a design must open at least n of the cut's sites, n the fewest
    whose sum less its L largest reaches b (:meth:`HallCut.sites_needed`), so

        resilience_cut_count[n]: Σ_s Σ_{m∈M(s,k)} y_m ≥ n.

    In the relaxation the first two let many sites open a little (five sites that
    each reach b alone, N-2: y = 1/3 each satisfies them); the count asks for three.
    With unequal a_m it asks for more than L plus the fewest sites reaching b: one
    site reaching b and others a third of it each, N-2, need five open sites, not
    three (losing the large one and one more leaves three thirds).
    One such cut covers every loss case at once (each is the cut with that case's
    sites left out), so a plan cannot dodge it by moving to other sites. The rows of
    :func:`add_cut_hull` come with it. Added to ``model`` as members of
    ConstraintLists (created on first use); returns the new constraints, for
    :meth:`Session.add_constraints`."""
    if model.component("resilience_cut") is None:
        model.cut_top = pyo.VarList(domain=pyo.NonNegativeReals)
        model.cut_excess = pyo.VarList(domain=pyo.NonNegativeReals)
        model.resilience_cut = pyo.ConstraintList()
        model.resilience_cut_top = pyo.ConstraintList()
        model.resilience_cut_count = pyo.ConstraintList()
    shares = {site: [a * model.y[key] for key, a in terms]
              for site, terms in cut.by_site().items()}
    top = model.cut_top.add()
    excess = {site: model.cut_excess.add() for site in shares}
    added = [model.resilience_cut_top.add(excess[site] + top - sum(terms) >= 0)
             for site, terms in shares.items()]
    added.append(model.resilience_cut.add(
        sum(sum(terms) for terms in shares.values()) - losses * top
        - sum(excess.values()) >= cut.rhs))
    added.append(model.resilience_cut_count.add(
        sum(model.y[key] for key, _ in cut.terms) >= cut.sites_needed(losses)))
    return added + add_cut_hull(model, cut, losses)


def add_cut_hull(model, cut: HallCut, losses: int) -> list:
    """The disjunctive form of the robust cut, a strengthening for the relaxation.

    With one size per (s,k) (``one_size``) and binary y, A_s is 0 or one a_m, and the
    sum of the A_s less the L largest equals Σ_s min(A_s, θ) − L·θ at θ = the L-th
    largest A_s, one of the a_m. So a design satisfies the cut exactly when, for some
    level θ among the a_m, Σ_m min(a_m, θ)·y_m ≥ b + L·θ. The relaxation of the
    L-largest form counts a module open at y = 0.6 as 0.6·a_m in full, however large
    a_m (on theatre ×0.1 with N-2 it leans on fractions of the large sizes, the
    cheapest per unit); each disjunct caps it at θ. The convex hull of the union of
    the disjuncts (Balas), with a copy y^θ of the cut's modules and a weight λ_θ per
    level, over levels θ ∈ Θ (:meth:`HallCut.levels`; ā_m the coefficients rounded
    up to them):

        resilience_cut_split[m]:       y_m − Σ_θ y^θ_m = 0                 m of the cut
        resilience_cut_one[θ,s]:       Σ_{m∈M(s,k)} y^θ_m − λ_θ ≤ 0       θ ∈ Θ, s of the cut
        resilience_cut_level[θ]:       Σ_m min(ā_m, θ)·y^θ_m − (b + L·θ)·λ_θ ≥ 0
        resilience_cut_weights:        Σ_θ λ_θ = 1,       y^θ, λ ∈ [0, 1].

    Every design that satisfies the cut satisfies these (λ_θ = 1 at its θ, y^θ = y),
    so they are valid; they do not replace the L-largest form, which keeps the cut
    exact at binary y whatever the weights. Returns the new rows."""
    if model.component("resilience_cut_split") is None:
        model.cut_weight = pyo.VarList(bounds=(0, 1))
        model.cut_copy = pyo.VarList(bounds=(0, 1))
        model.resilience_cut_split = pyo.ConstraintList()
        model.resilience_cut_one = pyo.ConstraintList()
        model.resilience_cut_level = pyo.ConstraintList()
        model.resilience_cut_weights = pyo.ConstraintList()
    levels, rounded = cut.levels()
    sites = cut.by_site()
    copies: dict = defaultdict(list)
    weights, added = [], []
    for level in levels:
        weight = model.cut_weight.add()
        weights.append(weight)
        copy = {key: model.cut_copy.add() for key, _ in cut.terms}
        for key, var in copy.items():
            copies[key].append(var)
        added.extend(model.resilience_cut_one.add(
            sum(copy[key] for key, _ in terms) - weight <= 0) for terms in sites.values())
        added.append(model.resilience_cut_level.add(
            sum(min(rounded[key], level) * var for key, var in copy.items())
            - (cut.rhs + losses * level) * weight >= 0))
    added.append(model.resilience_cut_weights.add(sum(weights) == 1))
    added.extend(model.resilience_cut_split.add(model.y[key] - sum(copies[key]) == 0)
                 for key, _ in cut.terms)
    return added


@dataclass(frozen=True)
class Survivor:
    """A plan found that survives every loss case: its objective and every column's
    value (:meth:`Session.snapshot`, a MIP start for the next round)."""

    objective: float
    values: ComponentMap

    @staticmethod
    def cheaper(kept: Survivor | None, found: Survivor | None) -> Survivor | None:
        if found is None or (kept is not None and kept.objective <= found.objective):
            return kept
        return found


class IncumbentWatch:
    """Checks the plans HiGHS finds during a round, as it finds them
    (:meth:`Session.run`'s ``on_improving``): once the round's gap is within
    ``CHECKING_GAP`` (or the target, if looser), a new incumbent that fails a loss
    case stops the run — the round has found what to cut, and proving the gap of a
    model that still misses cuts would be wasted — and one that survives is kept
    (the best plan so far, should time run out). Each plan is checked once
    (:meth:`LazyLosses.failed_for` remembers)."""

    def __init__(self, losses: LazyLosses, session):
        self.losses = losses
        self.session = session
        self.threshold = max(session.options.mip_gap, CHECKING_GAP)
        self.columns = {}          # module key → its column
        for key in losses.network.modules:
            try:
                self.columns[key] = session.column(session.model.y[key])
            except KeyError:       # a module fixed out of the model: never open
                continue
        self.survivor: Survivor | None = None
        self.unchecked: list[tuple[float, np.ndarray]] = []   # the last few, too early
        self.stopped = False
        self.plans = 0
        self.seconds = 0.0

    def __call__(self, values: np.ndarray, objective: float, bound: float) -> bool:
        """Whether to stop the run at this incumbent (``values``: every column)."""
        if relative_gap(objective, bound) > self.threshold:
            self.unchecked = [*self.unchecked[-(UNCHECKED_KEPT - 1):], (objective, values)]
            return False
        if self._fails(values, objective):
            self.stopped = True
            return True
        return False

    def find_survivor(self) -> None:
        """After a round whose last plan failed: check the incumbents it found too early
        to check, cheapest first, until one survives (the next round's start)."""
        for objective, values in sorted(self.unchecked, key=lambda found: found[0]):
            if self.survivor is not None and self.survivor.objective <= objective:
                break
            if not self._fails(values, objective):
                break
        self.unchecked = []

    def _fails(self, values: np.ndarray, objective: float) -> bool:
        """Check the plan of ``values``; keep it as the round's survivor if it is one."""
        clock = time.perf_counter()
        capacity = open_capacity(self.session.model, self.losses.network,
                                 lambda key: values[self.columns[key]]
                                 if key in self.columns else 0.0)
        failed = self.losses.failed_for(capacity, self.session.model)
        self.plans += 1
        self.seconds += time.perf_counter() - clock
        if not failed and (self.survivor is None or objective < self.survivor.objective):
            self.survivor = Survivor(objective, ComponentMap(
                zip(self.session.compiled.columns, values.tolist(), strict=True)))
        return bool(failed)


class LazyLosses:
    """The lazy loss-case loop of one session (this module's docstring).
    ``lp_session(model)`` opens the session of the check LP; ``memory_limit_mb``
    and ``selected_links`` size the model with the cases and cuts added (the
    estimate of :mod:`hubopt.solver.sizing` plus :meth:`HallCut.size`, which stops
    the loop past the limit: the cheapest surviving plan found is reported, or none)."""

    def __init__(self, network: Network, lp_session: Callable, *,
                 memory_limit_mb: float | None = None, selected_links: bool = False):
        self.network = network
        self.lp_session = lp_session
        self.memory_limit_mb = memory_limit_mb
        self.selected_links = selected_links
        self.rounds: list[LossRound] = []
        self.cuts = 0
        self.cut_size = ModelSize(0, 0, 0)   # the columns, rows, nonzeros the cuts added
        self._seen: dict = {}      # each cut added → its round, so none is added twice
        self._checked: dict = {}   # (plan's capacity, cases in model) → its failed cases
        self._check: LossCheck | None = None

    def failed_cases(self, model) -> list[tuple[tuple[str, ...], dict]]:
        """The loss cases of the loaded plan's open sites that are not in the model
        and that the plan fails, each with the check LP's prices."""
        return self.failed_for(open_capacity(model, self.network), model)

    def failed_for(self, capacity: dict[tuple[str, str], float],
                   model) -> list[tuple[tuple[str, ...], dict]]:
        """:meth:`failed_cases` of the plan with this open capacity per (site,
        service); a plan checked before in this model is not checked again."""
        key = (frozenset(capacity.items()), len(model.loss_cases))
        if key in self._checked:
            return self._checked[key]
        open_sites = frozenset(s for (s, _), value in capacity.items() if value > 0)
        todo = [case for case in loss_cases(self.network, open_sites)
                if loss_label(case) not in model.loss_cases]
        failed = []
        if todo:
            if self._check is None or self._check.sites != open_sites:
                self.close()
                self._check = LossCheck(self.network,
                                        self.network.scenario.settings.resilience,
                                        self.lp_session, open_sites)
            self._check.set_plan(capacity)
            for case in todo:
                short, prices = self._check.shortfall(case)
                if short:
                    failed.append((case, prices))
        self._checked[key] = failed
        return failed

    def solve(self, session, start, *, time_limit: float | None = None) -> SolveOutcome:
        """Solve ``session`` until its plan survives every loss case, within
        ``time_limit`` seconds for all rounds (default: the session options' limit);
        the outcome of the last round, its seconds those of all rounds."""
        limit = session.options.time_limit if time_limit is None else time_limit
        begin = time.perf_counter()
        seconds = 0.0
        target = session.options.mip_gap
        checking = max(target, CHECKING_GAP)
        gap = checking
        survived: Survivor | None = None     # the cheapest plan that survived every case
        bound = -math.inf        # the best bound of any round: each bounds the full model
        while True:
            left = limit - (time.perf_counter() - begin)
            watch = IncumbentWatch(self, session)
            with session.option("mip_rel_gap", gap):
                outcome = session.run(start, time_limit=max(0.01, left),
                                      on_improving=watch)
            seconds += outcome.seconds
            if outcome.bound is not None:
                bound = max(bound, outcome.bound)
            if not outcome.has_plan:
                watch.find_survivor()
                survived = Survivor.cheaper(survived, watch.survivor)
                if survived is not None:
                    return self._survivor(session, survived, outcome, outcome.status,
                                          bound, seconds)
                return replace(outcome, seconds=seconds)
            clock = time.perf_counter()
            failed = self.failed_cases(session.model)
            if failed:
                watch.find_survivor()
            survived = Survivor.cheaper(survived, watch.survivor)
            checked = time.perf_counter() - clock + watch.seconds
            labels = tuple(loss_label(case) for case, _ in failed)
            self.rounds.append(LossRound(outcome.objective, labels, checked, watch.stopped))
            log.info("resilience round %d: objective %s, %d loss case(s) failed%s "
                     "(%d plan(s) checked as found, %.2f s of checks)%s",
                     len(self.rounds), f"{outcome.objective:,.2f}", len(failed),
                     f": {', '.join(labels[:8])}{' ...' if len(labels) > 8 else ''}"
                     if labels else "", watch.plans, checked,
                     ", stopped at a plan that fails" if watch.stopped else "")
            if not failed:
                # the round's own plan survives, whether or not the watch saw it found
                survived = Survivor.cheaper(
                    survived, Survivor(outcome.objective, session.snapshot()))
                if gap > target and outcome.status == "optimal" \
                        and (outcome.gap is None or outcome.gap > target):
                    # a plan that survives, found at the checking gap: now prove the
                    # target gap from it (the cuts stay, so the proof may find others)
                    gap, start = target, survived.values
                    continue
                if outcome.status != "optimal":
                    return self._gap_from(outcome, bound, seconds)
                return replace(outcome, seconds=seconds)
            out_of_time = time.perf_counter() - begin >= limit
            if (outcome.status != "optimal" and not watch.stopped) or out_of_time:
                stop = "time_limit" if outcome.status == "optimal" or watch.stopped \
                    else outcome.status
                if survived is not None:
                    return self._survivor(session, survived, outcome, stop, bound, seconds)
                log.warning("resilience: the solve stopped (%s) with a plan that does not "
                            "survive the loss of %s; no plan is reported", stop, labels[0])
                return replace(outcome, status="no_solution", objective=None, gap=None,
                               seconds=seconds)
            flows, stopped = self._cut(session, failed)
            if flows and stopped is None:
                stopped = self._add_flows(session, flows)
            if stopped is not None:        # the model with them would pass the memory limit
                if survived is not None:
                    return replace(self._survivor(session, survived, outcome, stopped, bound,
                                                  seconds), stopped_by=stopped)
                return replace(outcome, status="no_solution", objective=None, gap=None,
                               seconds=seconds, stopped_by=stopped)
            # back to checking; the cheapest surviving plan satisfies every cut (each is
            # valid for every plan that survives), so it starts the next round
            gap = checking
            start = survived.values if survived is not None else None

    @staticmethod
    def _gap_from(outcome: SolveOutcome, bound: float, seconds: float) -> SolveOutcome:
        """A surviving plan of a round stopped early, its gap against the best bound
        of all rounds (a stopped round's own bound can be below an earlier one's)."""
        gap = relative_gap(outcome.objective, bound if math.isfinite(bound) else None)
        if gap is None:
            return replace(outcome, seconds=seconds)
        return replace(outcome, bound=bound, gap=gap, seconds=seconds)

    @staticmethod
    def _survivor(session, survived: Survivor, last: SolveOutcome, status: str,
                  bound: float, seconds: float) -> SolveOutcome:
        """The cheapest plan found that survived every loss case, put back in the
        model, with its gap against the best bound of all rounds."""
        session.load(survived.values)
        gap = relative_gap(survived.objective, bound if math.isfinite(bound) else None)
        log.warning("resilience: the solve stopped (%s) before the gap was proven; the "
                    "cheapest plan that survives every loss case is reported (gap %s)",
                    status, "unknown" if gap is None else f"{gap:.2%}")
        return replace(last, status=status, objective=survived.objective,
                       bound=bound if math.isfinite(bound) else None, gap=gap,
                       seconds=seconds)

    def _cut(self, session, failed) -> tuple[list[tuple[str, ...]], str | None]:
        """Add, for each failed case, the cuts of :func:`loss_cuts` that its plan
        violates by a safe margin, each as a robust cut over every loss case
        (:func:`add_robust_cut`; a cut already added is not added again). Return the
        cases with no such new cut (numerically weak prices), which get their flows
        instead, and "memory_limit" when a cut would take the model past the memory
        limit (the cuts before it are added, the rest not)."""
        model = session.model
        losses = self.network.scenario.settings.resilience_losses

        def y(key):
            return model.y[key].value or 0.0

        weak, rows, stopped = [], [], None
        for case, prices in failed:
            new = 0
            for cut in loss_cuts(self.network, prices):
                if cut.surplus(y, losses) > -CUT_MARGIN * max(1.0, abs(cut.rhs)):
                    continue
                seen = (cut.service, round(cut.rhs, 9),
                        tuple((key, round(a, 9)) for key, a in cut.terms))
                if seen in self._seen:
                    # added this round for another case: covered; in an earlier
                    # round yet violated again: not trusted (weak)
                    new += self._seen[seen] == len(self.rounds)
                    continue
                size = cut.size()
                if self._past_limit(len(model.loss_cases), self.cut_size + size):
                    stopped = "memory_limit"
                    break
                self._seen[seen] = len(self.rounds)
                rows.extend(add_robust_cut(model, cut, losses))
                self.cut_size += size
                self.cuts += 1
                new += 1
            if stopped is not None:
                break
            if not new:
                weak.append(case)
        if rows:
            session.add_constraints(rows)
        return weak, stopped

    def _add_flows(self, session, cases) -> str | None:
        """Add the flows and rows of ``cases`` (add_loss_cases); "memory_limit" when
        the model with them would exceed the memory limit (nothing added)."""
        if self._past_limit(len(session.model.loss_cases) + len(cases), self.cut_size):
            return "memory_limit"
        session.add_constraints(add_loss_cases(session.model, self.network, cases))
        return None

    def _past_limit(self, loss_cases: int, cuts: ModelSize) -> bool:
        """Whether the model with ``loss_cases`` cases and cuts of size ``cuts`` would
        need more than the memory limit (:mod:`hubopt.solver.sizing`); says so."""
        size = model_size(self.network, selected_links=self.selected_links,
                          loss_cases=loss_cases) + cuts
        if self.memory_limit_mb is None or size.megabytes <= self.memory_limit_mb:
            return False
        log.warning("resilience: %d loss case(s) with flows and %d cut(s) would need about "
                    "%.0f MB, above the memory limit of %.0f MB; the loop stops there",
                    loss_cases, self.cuts, size.megabytes, self.memory_limit_mb)
        return True

    def as_run_record(self, model) -> dict:
        """Rounds, cuts, loss cases in the model and check seconds, for the run record."""
        labels = list(model.loss_cases)
        failed = list(dict.fromkeys(label for r in self.rounds for label in r.failed))
        return {"loss_cases": "lazy", "resilience_rounds": len(self.rounds),
                "resilience_cuts": self.cuts,
                "loss_cases_failed": ", ".join(failed) or "none",
                "loss_cases_added": len(labels),
                "loss_cases_in_model": ", ".join(labels) or "none",
                "resilience_plans_checked": len(self._checked),
                "resilience_rounds_stopped_early": sum(r.stopped_early for r in self.rounds),
                "loss_check_seconds": sum(r.check_seconds for r in self.rounds)}

    def close(self) -> None:
        if self._check is not None:
            self._check.close()
            self._check = None


__all__ = ["CUT_MARGIN", "HULL_LEVELS", "HallCut", "LazyLosses", "LossCheck", "LossRound",
           "SHORTFALL_TOLERANCE", "add_cut_hull", "add_robust_cut", "loss_cuts", "open_capacity"]
