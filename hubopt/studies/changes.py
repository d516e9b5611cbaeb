"""What changed against the previous plan: the ``Changes`` sheet (SPEC §3.3, §5).

One row per change, in this order:

- ``module opened``   a (site, service) has an open module now and had none;
- ``module closed``   a (site, service) had an open module and has none now;
- ``module resized``  another size of the same (site, service) is open now;
  ``delta`` is the change in capacity (units/period) when both are known;
- ``sector re-assigned`` a demand row (sector, service) is served from another
  set of sites (only when the previous workbook has a Flows sheet);
- ``total_cost``, ``objective``, ``avg_hours``: the figure before, after and
  the delta (after − before), when the previous workbook's Summary has it.

``before``/``after`` hold sizes, site lists or figures; blank means none.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..outputs.previous import PreviousPlan
from ..outputs.results import Plan

COLUMNS = ("change", "site_id", "service", "sector_id", "before", "after", "delta")
PLAN_CHANGES = ("module opened", "module closed", "module resized", "sector re-assigned")
FIGURES = ("total_cost", "objective", "avg_hours")


def plan_changes(previous: PreviousPlan, plan: Plan) -> pd.DataFrame:
    """The Changes table of ``plan`` against ``previous`` (see the module docstring)."""
    rows: list[tuple[Any, ...]] = []
    before = _by_site_service(previous.modules)
    now = {(s, k, size): cap for s, k, size, cap in
           plan.hubs[["site_id", "service", "size", "capacity"]].itertuples(index=False)}
    after = _by_site_service(now)
    for site, service in sorted(set(before) | set(after)):
        old, new = before.get((site, service)), after.get((site, service))
        if old is None:
            rows.append(("module opened", site, service, None, None, new[0], new[1]))
        elif new is None:
            rows.append(("module closed", site, service, None, old[0], None,
                         -old[1] if old[1] is not None else None))
        elif old[0] != new[0]:
            delta = new[1] - old[1] if old[1] is not None and new[1] is not None else None
            rows.append(("module resized", site, service, None, old[0], new[0], delta))
    if previous.served_from:
        served_now: dict[tuple[str, str], set[str]] = {}
        for site, sector, service in plan.flows[["site_id", "sector_id", "service"]].itertuples(
                index=False):
            served_now.setdefault((sector, service), set()).add(site)
        for (sector, service), sites in sorted(previous.served_from.items()):
            current = tuple(sorted(served_now.get((sector, service), ())))
            if current and current != tuple(sites):
                rows.append(("sector re-assigned", None, service, sector, ", ".join(sites),
                             ", ".join(current), None))
    for figure in FIGURES:
        old_value, new_value = previous.summary.get(figure), plan.summary.get(figure)
        if old_value is not None and new_value is not None:
            rows.append((figure, None, None, None, old_value, new_value, new_value - old_value))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def count_changes(changes: pd.DataFrame) -> int:
    """Modules opened, closed or resized plus sectors re-assigned."""
    return int(changes["change"].isin(PLAN_CHANGES).sum()) if len(changes) else 0


def _by_site_service(modules) -> dict[tuple[str, str], tuple[str, float | None]]:
    """(site, service) → (size, capacity) of the open module."""
    return {(site, service): (size, None if capacity is None else float(capacity))
            for (site, service, size), capacity in modules.items()}
