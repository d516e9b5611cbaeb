"""Read the plan of an earlier result workbook: the previous plan P of SPEC §3.3.

A result workbook (written by :mod:`hubopt.outputs.writer`, read back by
:mod:`hubopt.outputs.reading`) lists its open modules on the ``Hubs`` sheet,
one row per module with ``site_id``, ``service`` and ``size`` (and
``capacity [units/period]``); its ``Flows`` sheet says which sites serve each
demand row; its ``Summary`` sheet carries ``objective``, ``total_cost`` and
``avg_hours``.

Only ``Hubs`` is required. A malformed previous workbook is an input error
naming the file, sheet and cell (exit 3 in the CLI): re-optimising against a
plan that was misread would price the wrong changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError, Issue
from ..model.network import ModuleKey
from .reading import read_result_book

_SUMMARY_FIGURES = ("objective", "total_cost", "avg_hours", "max_hours")


@dataclass
class PreviousPlan:
    """An earlier plan: its open modules (with capacities when known), which
    sites served each demand row, and its headline figures."""

    modules: dict[ModuleKey, float | None]
    served_from: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    summary: dict[str, float] = field(default_factory=dict)
    source: str = ""
    sha256: str | None = None

    @classmethod
    def of_modules(cls, modules) -> PreviousPlan:
        """A previous plan known only by its open modules (site_id, service, size)."""
        return cls({tuple(m): None for m in modules})

    @property
    def keys(self) -> list[ModuleKey]:
        return sorted(self.modules)


def read_previous_plan(path: str | Path) -> PreviousPlan:
    """Read the previous plan from the result workbook at ``path``
    (:func:`hubopt.outputs.reading.read_result_book`: Hubs needed, Flows and Summary
    used when present).

    Raises :class:`InputError` naming the file, sheet and cell of every problem.
    """
    book = read_result_book(path, needs=("Hubs",), wants=("Flows", "Summary"),
                            what="--previous")
    if book.summary.get("status") == "infeasible":
        raise InputError([Issue(
            "error", f"--previous {book.file}",
            "is the result of an infeasible scenario: its Hubs sheet is the relaxed plan "
            "of the diagnosis (NOT FEASIBLE), not a plan that was or could be built.",
            "Give the result workbook of a solve that found a plan.")])
    hubs = book.table("Hubs")
    modules: dict[ModuleKey, float | None] = {}
    duplicates = []
    for number, row in enumerate(hubs.itertuples(index=False), start=2):
        key = (row.site_id, row.service, row.size)
        if key in modules:
            duplicates.append(Issue("error", f"{book.file}: Hubs row {number}",
                                    f"module {'/'.join(key)} is listed twice.",
                                    "Delete the duplicate row."))
        modules[key] = None if pd.isna(row.capacity) else float(row.capacity)
    if duplicates:
        raise InputError(duplicates)
    served: dict[tuple[str, str], set[str]] = {}
    for row in book.table("Flows").itertuples(index=False):
        served.setdefault((row.sector_id, row.service), set()).add(row.site_id)
    figures = {key: float(value) for key, value in book.summary.items()
               if key in _SUMMARY_FIGURES and isinstance(value, int | float)
               and not isinstance(value, bool)}
    return PreviousPlan(modules, {key: tuple(sorted(sites)) for key, sites in served.items()},
                        figures, book.file, book.sha256)
