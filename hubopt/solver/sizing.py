"""The size of the model a network would give, and the memory it would take,
known before anything is built (so a model too large is refused, not swapped).

Counted from the network, family by family as in :mod:`hubopt.model` (A arcs,
M modules, S sites, R demand rows, K site–service pairs with arcs, CS/CF the
contributor pairs):

- variables  = |S| + |M| + |A| (+ |A| for a_sr with single sourcing) + |CS| + |CF|;
- rows       = |R| demand + K capacity + |M| + |S| site_link + |A| strong_link
  (+ |A| + |R| single sourcing, + |R| redundancy, + K site_share) + one per
  site for staffing and funding, plus a few small families (not counted);
- with resilience, C loss cases of L sites each (of the |T| sites with arcs; C = |T|
  or |T|(|T|−1)/2 in the full model, the cases added so far in the lazy solve), each
  keeping a share κ = 1 − L/|T| of the arcs: + C·κ·|A| flows x^t, + C·|R| + C·κ·K
  rows, + C·κ·(2|A| + Σ_K |M(s,k)|) nonzeros (the lazy solve's cuts on the design
  add theirs, :meth:`hubopt.solver.losses.HallCut.size`);
- nonzeros   = Σ_A (1 + |M(s,k)|) strong_link + |A| demand + |A| + |M| capacity
  + 2|M| + |M| + |S| site links + |A| objective (+ 3|A| single sourcing,
  + Σ_A |M(s,k)| redundancy) + |CS| + |CF| + 2|M| contributors.

When the hand-off will select ``strong_link`` rows (more than 100,000 arcs,
:mod:`hubopt.solver.rows`), the model keeps them as data and HiGHS
gets about ``PER_DEMAND`` of them per demand row: rows and nonzeros count
min(|A|, PER_DEMAND·|R|) strong_link rows, and the arrays add 150 bytes per arc.

Memory (bytes) ≈ 10 MB + 2,200·variables + 2,000·rows + 360·nonzeros: Pyomo's
components and expressions, the compiled matrix and HiGHS's own model, fitted
to the growth of peak resident memory over models of 6·10³ to 3·10⁵ nonzeros
(``python -m benchmarks.memory`` prints estimate against measurement; within
10 % on those runs). It is an estimate to refuse the
hopeless, not a promise: branch and bound adds memory that grows with the
search, which the solve guard (:mod:`hubopt.solver.guard`) watches against the
same limit while HiGHS runs. The default budget is 4,000 MB (about 1.5 million
variables); ``solve(memory_budget_mb=...)`` or ``--max-memory-mb`` changes it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError, Issue
from ..model.build import loss_cases as every_loss_case
from ..model.network import Network
from .rows import PER_DEMAND

MB = 1_000_000
BYTES_PER_VARIABLE = 2_200
BYTES_PER_ROW = 2_000
BYTES_PER_NONZERO = 360
BASE_BYTES = 10 * MB
BYTES_PER_ARRAY_LINK = 150      # a strong_link row kept as data (rows.LinkTerms)
DEFAULT_MEMORY_BUDGET_MB = 4_000.0


@dataclass(frozen=True)
class ModelSize:
    """Variables, rows (constraints) and nonzeros of a model, and its memory estimate."""

    variables: int
    rows: int
    nonzeros: int
    array_links: int = 0     # strong_link rows kept as arrays, not Pyomo constraints

    def __add__(self, other: ModelSize) -> ModelSize:
        return ModelSize(self.variables + other.variables, self.rows + other.rows,
                         self.nonzeros + other.nonzeros, self.array_links + other.array_links)

    @property
    def megabytes(self) -> float:
        """Estimated peak memory to build and hand the model to HiGHS (MB = 10⁶ bytes)."""
        return (BASE_BYTES + BYTES_PER_VARIABLE * self.variables + BYTES_PER_ROW * self.rows
                + BYTES_PER_NONZERO * self.nonzeros
                + BYTES_PER_ARRAY_LINK * self.array_links) / MB


def model_size(network: Network, *, selected_links: bool = False,
               loss_cases: int | None = None) -> ModelSize:
    """The size of ``build_model(network)``, counted without building it; with
    ``selected_links``, the rows HiGHS gets when the strong_link rows are selected
    (kept as arrays; about PER_DEMAND per demand row). With resilience,
    ``loss_cases`` counts the loss cases in the model (None: every one, as the full
    model has; the lazy solve counts those it has added)."""
    settings = network.scenario.settings
    arcs, modules, sites, demand = (len(network.arcs), len(network.modules),
                                    len(network.sites), len(network.demand))
    per_arc_modules = sum(len(network.modules_of(a.site_id, a.service))
                          for a in network.arcs.values())
    site_services = len({(a.site_id, a.service) for a in network.arcs.values()})
    links = min(arcs, PER_DEMAND * demand) if selected_links else arcs
    link_nonzeros = round((arcs + per_arc_modules) * links / arcs) if arcs else 0
    variables = sites + modules + arcs
    rows = demand + site_services + modules + sites + links
    nonzeros = link_nonzeros + arcs + (arcs + modules) + 3 * modules + sites + arcs
    if settings.single_sourcing:
        variables += arcs
        rows += arcs + demand
        nonzeros += 3 * arcs
    if settings.redundancy > 1:
        rows += demand
        nonzeros += per_arc_modules
    if settings.max_share_per_site is not None:
        rows += site_services
        nonzeros += arcs
    if settings.resilience > 0:
        # each loss case (L sites of the |T| with arcs) has x^t on the arcs of the other
        # sites, resilience_demand per row, resilience_capacity per (s, k) it keeps
        losses = len({a.site_id for a in network.arcs.values()})
        cases = len(every_loss_case(network)) if loss_cases is None else loss_cases
        kept = max(0.0, 1.0 - settings.resilience_losses / losses) if losses else 0.0
        pair_modules = sum(len(network.modules_of(s, k)) for s, k in
                           {(a.site_id, a.service) for a in network.arcs.values()})
        variables += round(cases * kept * arcs)
        rows += cases * demand + round(cases * kept * site_services)
        nonzeros += round(cases * kept * (2 * arcs + pair_modules))
    if network.scenario.contributors:
        pairs = _contributor_pairs(network)
        variables += pairs
        rows += 2 * sites
        nonzeros += pairs + 2 * modules + sites
    return ModelSize(variables, rows, nonzeros, arcs if selected_links else 0)


def check_memory_budget(network: Network, budget_mb: float | None, *,
                        selected_links: bool = False,
                        loss_cases: int | None = None) -> ModelSize:
    """The model's size; InputError when its estimate exceeds ``budget_mb`` (None: no
    cap). ``selected_links`` and ``loss_cases`` as for :func:`model_size`."""
    size = model_size(network, selected_links=selected_links, loss_cases=loss_cases)
    if budget_mb is not None and size.megabytes > budget_mb:
        raise InputError([Issue(
            "error", "model size",
            f"the model would have {size.variables:,} variables, {size.rows:,} constraints "
            f"and {size.nonzeros:,} nonzeros ({len(network.arcs):,} usable site-sector links, "
            f"{len(network.modules):,} modules) and need about {size.megabytes:,.0f} MB, above "
            f"the memory budget of {budget_mb:,.0f} MB; nothing was built.",
            "Cut the links a plan can never use (max_hours on Demand rows, allowed = no or "
            "missing_routes = forbid), or raise the budget with --max-memory-mb "
            f"{int(size.megabytes * 1.2) + 1} on a machine that has the memory.")])
    return size


def check_posture_memory(now: Network, cases: list[Network], budget_mb: float | None
                         ) -> ModelSize:
    """The size of the posture model (SPEC §3.5): every scenario's §3 model with all
    its strong_link rows, stage 1 (a site and module variable and three rows per
    stage-1 module) and the links (one row of two nonzeros per stage-1 site and module
    of each scenario); InputError past ``budget_mb`` as :func:`check_memory_budget`."""
    sizes = [model_size(network) for network in cases]
    stage = len(now.sites) + len(now.modules)
    links = len(cases) * stage
    size = ModelSize(sum(s.variables for s in sizes) + stage,
                     sum(s.rows for s in sizes) + 3 * len(now.modules) + links,
                     sum(s.nonzeros for s in sizes) + 6 * len(now.modules) + 2 * links)
    if budget_mb is not None and size.megabytes > budget_mb:
        raise InputError([Issue(
            "error", "model size",
            f"the posture model over {len(cases)} scenarios would have {size.variables:,} "
            f"variables, {size.rows:,} constraints and {size.nonzeros:,} nonzeros and need "
            f"about {size.megabytes:,.0f} MB, above the memory budget of {budget_mb:,.0f} MB; "
            "nothing was built.",
            "Fewer scenarios (merge similar futures), fewer usable links (max_hours, "
            "allowed = no, missing_routes = forbid), or raise the budget with "
            f"--max-memory-mb {int(size.megabytes * 1.2) + 1} on a machine that has the "
            "memory.")])
    return size


def _contributor_pairs(network: Network) -> int:
    """Upper bound on |CS| + |CF|: every contributor with a permission in a site's country."""
    per_country: dict[str, int] = {}
    for permission in network.scenario.permissions:
        if permission.may_staff or permission.may_fund:
            per_country[permission.country] = per_country.get(permission.country, 0) + 2
    return sum(per_country.get(site.country, 0) for site in network.sites.values())
