"""Compare scenarios: Summary figures side by side, modules open in each, differences.

Each compared case is a result workbook (read back: its ``Summary`` key/value
sheet and its ``Hubs`` sheet) or an input workbook solved here, once as it is
and once per variant. A variant is one or more ``key=value`` Settings
overrides separated by commas, e.g. ``ceasefire=yes,budget=3e6`` (like
``--set``; a value cannot contain a comma). The first case is the reference:
every difference is "this case minus the first".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook, load_workbook

from ..errors import InputError, Issue, UsageError
from ..files.xlsx import save_atomically
from ..inputs.guard import check_input_file
from ..model.network import ModuleKey
from ..outputs.reading import read_result_book
from ..outputs.results import SUMMARY_KEYS, Plan
from ..outputs.writer import fit_widths, header_row, put, summary_format

log = logging.getLogger(__name__)

# Summary keys compared (output paths and timings differ run to run and say nothing).
COMPARED_KEYS = tuple(k for k in SUMMARY_KEYS if k not in ("output", "solve_seconds",
                                                           "total_seconds"))
HUBS_COLUMNS = ("site_id", "service", "size")


@dataclass
class Case:
    """One compared scenario: a label, its Summary figures and its open modules."""

    label: str
    summary: dict[str, Any]
    modules: set[ModuleKey] = field(default_factory=set)
    source: str = ""

    @property
    def sites(self) -> set[str]:
        return {m[0] for m in self.modules}


def parse_variant(text: str) -> dict[str, str]:
    """``"ceasefire=yes,budget=3e6"`` → ``{"ceasefire": "yes", "budget": "3e6"}``."""
    overrides: dict[str, str] = {}
    for pair in text.split(","):
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(f"--variant {text!r}: expected key=value[,key=value...], "
                             "e.g. --variant ceasefire=yes,budget=3e6")
        overrides[key.strip()] = value.strip()
    return overrides


def workbook_kind(path: Path) -> str:
    """``"result"`` (has a Summary sheet) or ``"input"`` (has a Sites sheet)."""
    if not path.is_file():
        raise InputError([Issue("error", str(path), "no such file.",
                                "Give result workbooks (from hubopt solve) or input workbooks.")])
    check_input_file(path)  # size caps, zip bombs, non-xlsx: before any parser (guard.py)
    book = load_workbook(path, read_only=True)
    try:
        names = {name.strip().lower() for name in book.sheetnames}
    finally:
        book.close()
    if "summary" in names:
        return "result"
    if "sites" in names:
        return "input"
    raise InputError([Issue("error", path.name, "has neither a Summary sheet (a result "
                            "workbook) nor a Sites sheet (an input workbook).",
                            "Compare result workbooks written by hubopt solve, or input "
                            "workbooks.")])


def read_result(path: str | Path, label: str | None = None) -> Case:
    """A result workbook's Summary figures and open modules (Hubs sheet), read by
    :func:`hubopt.outputs.reading.read_result_book`."""
    path = Path(path)
    book = read_result_book(path, needs=("Summary",), wants=("Hubs",),
                            fix="Give a result workbook written by hubopt solve.")
    hubs = book.table("Hubs")
    modules = {(row.site_id, row.service, row.size) for row in hubs.itertuples(index=False)}
    return Case(label or path.stem, book.summary, modules, str(path))


SolveInput = Callable[[Path, dict[str, str]], Plan]   # (input workbook, overrides) → plan


def solve_cases(path: Path, variants: Sequence[str], solve: SolveInput) -> list[Case]:
    """Solve an input workbook as it is and once per variant, with ``solve`` (the
    caller's: :func:`hubopt.api.load_scenario` then :func:`hubopt.api.solve`)."""
    cases = []
    for variant in [None, *variants]:
        overrides = parse_variant(variant) if variant else {}
        label = path.stem if variant is None else f"{path.stem} [{variant}]"
        plan = solve(path, overrides)
        total = plan.summary.get("total_cost")
        log.info("compare: %s: %s, total cost %s", label, plan.status,
                 "none" if total is None else f"{total:,.0f}")
        if not plan.has_plan and plan.status != "infeasible":   # infeasible: collect_cases
            log.warning("compare: %s has no plan (%s).", label, plan.status)
        modules = {(str(s), str(k), str(z)) for s, k, z in
                   zip(plan.hubs["site_id"], plan.hubs["service"], plan.hubs["size"])}
        cases.append(Case(label, dict(plan.summary), modules, str(path)))
    return cases


def collect_cases(paths: Iterable[Path], variants: Sequence[str],
                  solve: SolveInput) -> list[Case]:
    """Every case, in the order given: result workbooks read, input workbooks solved
    with ``solve``."""
    paths = list(paths)
    kinds = [workbook_kind(p) for p in paths]
    if variants and "input" not in kinds:
        raise UsageError("--variant applies to input workbooks; none was given.")
    cases: list[Case] = []
    for path, kind in zip(paths, kinds):
        cases += solve_cases(path, variants, solve) if kind == "input" \
            else [read_result(path)]
    for case in cases:
        if is_relaxed(case):
            log.warning("compare: %s is infeasible: its figures are those of the relaxed plan "
                        "of the diagnosis (NOT FEASIBLE), marked so in the comparison; run "
                        "hubopt solve on it for the diagnosis.", case.label)
    seen: dict[str, int] = {}
    for case in cases:   # unique labels: a second 'plan' becomes 'plan (2)'
        seen[case.label] = seen.get(case.label, 0) + 1
        if seen[case.label] > 1:
            case.label = f"{case.label} ({seen[case.label]})"
    return cases


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


RELAXED_NOTE = "NOT FEASIBLE: relaxed plan of the diagnosis, not a plan"


def is_relaxed(case: Case) -> bool:
    """The case is an infeasible scenario: its figures are those of the relaxed plan."""
    return case.summary.get("status") == "infeasible"


def summary_table(cases: Sequence[Case]) -> pd.DataFrame:
    """One row per Summary key; a column per case, then each case minus the first.
    The first row, ``feasible``, says which cases are relaxed plans (infeasible)."""
    rows = [["feasible", *[RELAXED_NOTE if is_relaxed(c) else "yes" for c in cases],
             *[None for _ in cases[1:]]]]
    for key in COMPARED_KEYS:
        values = [case.summary.get(key) for case in cases]
        reference = _number(values[0])
        deltas = []
        for value in values[1:]:
            number = _number(value)
            deltas.append(None if number is None or reference is None else number - reference)
        rows.append([key, *values, *deltas])
    columns = ["key", *[c.label for c in cases], *[f"Δ {c.label}" for c in cases[1:]]]
    return pd.DataFrame(rows, columns=columns)


def modules_table(cases: Sequence[Case]) -> pd.DataFrame:
    """One row per module open in some case; yes where open; ``open_in`` counts the cases."""
    modules = sorted(set().union(*(c.modules for c in cases)))
    rows = [[*m, *["yes" if m in c.modules else "" for c in cases],
             sum(m in c.modules for c in cases)] for m in modules]
    return pd.DataFrame(rows, columns=[*HUBS_COLUMNS, *[c.label for c in cases], "open_in"])


def differences_table(cases: Sequence[Case]) -> pd.DataFrame:
    """Each case against the first: sites and modules opened or closed, figures changed."""
    rows = []
    first = cases[0]
    for case in [c for c in cases if is_relaxed(c)]:
        rows.append((case.label, "NOT FEASIBLE", RELAXED_NOTE, None, None, None))
    for case in cases[1:]:
        for site in sorted(case.sites - first.sites):
            rows.append((case.label, "opens site", site, None, None, None))
        for site in sorted(first.sites - case.sites):
            rows.append((case.label, "closes site", site, None, None, None))
        for module in sorted(case.modules - first.modules):
            rows.append((case.label, "opens module", "/".join(module), None, None, None))
        for module in sorted(first.modules - case.modules):
            rows.append((case.label, "closes module", "/".join(module), None, None, None))
        for key in COMPARED_KEYS:
            old, new = first.summary.get(key), case.summary.get(key)
            a, b = _number(old), _number(new)
            if a is not None and b is not None:
                if abs(b - a) > 1e-9 * max(1.0, abs(a)):
                    rows.append((case.label, "figure", key, a, b, b - a))
            elif old != new:
                rows.append((case.label, "figure", key, old, new, None))
    return pd.DataFrame(rows, columns=["scenario", "change", "what", "reference", "value",
                                       "difference"])


def build_comparison(cases: Sequence[Case]) -> Workbook:
    """Sheets Summary, Modules, Differences and Sources (what each case came from)."""
    if len(cases) < 2:
        raise UsageError("compare needs at least two scenarios: give two result workbooks, "
                         "or an input workbook with at least one --variant.")
    book = Workbook()
    book.remove(book.active)
    _table(book, "Summary", summary_table(cases), key_column="key")
    _table(book, "Modules", modules_table(cases))
    _table(book, "Differences", differences_table(cases), key_column="what")
    _table(book, "Sources", pd.DataFrame([(c.label, c.source) for c in cases],
                                         columns=["scenario", "source"]))
    return book


def write_comparison(cases: Sequence[Case], path: str | Path) -> Path:
    return save_atomically(build_comparison(cases), path)


def _table(book, title: str, frame: pd.DataFrame, key_column: str | None = None) -> None:
    """A table sheet; a row's numbers take the format of the Summary figure named in
    its ``key_column`` (money without decimals, hours one decimal, ...)."""
    sheet = book.create_sheet(title)
    headers = [str(c) for c in frame.columns]
    header_row(sheet, headers)
    keys = frame[key_column] if key_column else [None] * len(frame)
    for row, (key, values) in enumerate(zip(keys, frame.itertuples(index=False, name=None)),
                                        start=2):
        fmt = summary_format(key) if key else "#,##0.00"
        for column, value in enumerate(values, start=1):
            put(sheet, row, column, value, fmt)
    fit_widths(sheet, headers, frame, wide=False)
