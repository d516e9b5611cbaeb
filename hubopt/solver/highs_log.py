"""Where HiGHS's branch-and-cut spent its time, read from its progress table.

HiGHS prints one row of its MIP progress table at each milestone::

    Src Proc. InQueue | Leaves Expl. | BestBound BestSol  Gap | Cuts InLp Confl. | LpIters  Time
     R    0      0        0  0.00%  207027631 209394716 1.13%   58    1     0    182775 520.4s

``Proc.`` is the number of nodes processed, so rows with ``Proc.`` = 0 belong to
the root node: the first of them with ``LpIters`` > 0 and a bound above the
trivial one of the first row is printed when the root LP relaxation is solved
(a row printed when the time limit interrupts the LP keeps the trivial bound),
and the last one when the root's cut loop ends (after any restarts: HiGHS
restarts the root when presolve can fix many columns, and its rows keep
``Proc.`` = 0). The first row with a finite ``BestSol`` is the first
incumbent, and its one-letter ``Src`` names the heuristic that found it.
These figures say whether a slow solve is the LP (a large model), the search
(a weak bound), or the incumbent (no good plan found) — the profile in
docs/theatre.md is built from them.

HiGHS documents this table for people, not programs: if a row cannot be read
it is skipped, and a log without a table gives empty milestones.
"""

from __future__ import annotations

import io
import logging
import os
import re
import time
from dataclasses import dataclass

log = logging.getLogger("hubopt")

# Src (optional letter), Proc., InQueue, Leaves, Expl.%, BestBound, BestSol, Gap, Cuts, InLp,
# Confl., LpIters, Time (seconds with a trailing "s")
_ROW = re.compile(
    r"^\s*(?P<src>[A-Za-z]?)\s+(?P<proc>\d+)\s+(?P<queue>\d+)\s+(?P<leaves>\d+)\s+"
    r"(?P<explored>[\d.]+)%\s+(?P<bound>\S+)\s+(?P<best>\S+)\s+(?P<gap>\S+)\s+"
    r"(?P<cuts>\d+)\s+(?P<inlp>\d+)\s+(?P<conflicts>\d+)\s+(?P<lp_iterations>\d+)\s+"
    r"(?P<time>[\d.]+)s\s*$")


@dataclass(frozen=True)
class SearchMilestones:
    """Seconds (from the start of HiGHS's run) and bounds at the milestones of one MIP
    solve; ``None`` where the log never reached the milestone."""

    root_lp_seconds: float | None = None        # root LP relaxation solved
    root_lp_bound: float | None = None          # its objective: the LP bound
    root_end_seconds: float | None = None       # last row printed at the root (cuts done)
    root_end_bound: float | None = None         # bound after the root's cuts
    first_incumbent_seconds: float | None = None
    first_incumbent: float | None = None
    first_incumbent_source: str | None = None   # HiGHS's one-letter source code
    nodes: int | None = None                    # nodes processed at the last row

    def as_run_record(self) -> dict[str, float | int | str | None]:
        """The milestones as ``Plan.run`` entries (``highs_`` prefixed)."""
        return {f"highs_{name}": getattr(self, name) for name in self.__dataclass_fields__}


def search_milestones(log_text: str) -> SearchMilestones:
    """The milestones of the MIP progress table in ``log_text`` (see the module doc)."""
    rows = [match.groupdict() for match in map(_ROW.match, log_text.splitlines()) if match]
    root = [r for r in rows if int(r["proc"]) == 0]
    # a row printed when the time limit interrupts the root LP also has LpIters > 0, but
    # still the trivial bound of the first row
    trivial = root[0]["bound"] if root else None
    solved = [r for r in root if int(r["lp_iterations"]) > 0 and r["bound"] != trivial]
    incumbent = next((r for r in rows if finite_number(r["best"]) is not None), None)
    return SearchMilestones(
        root_lp_seconds=float(solved[0]["time"]) if solved else None,
        root_lp_bound=finite_number(solved[0]["bound"]) if solved else None,
        root_end_seconds=float(solved[-1]["time"]) if solved else None,
        root_end_bound=finite_number(solved[-1]["bound"]) if solved else None,
        first_incumbent_seconds=float(incumbent["time"]) if incumbent else None,
        first_incumbent=finite_number(incumbent["best"]) if incumbent else None,
        first_incumbent_source=(incumbent["src"] or None) if incumbent else None,
        nodes=int(rows[-1]["proc"]) if rows else None)


def finite_number(text: str) -> float | None:
    """A finite number as HiGHS's log prints it, or None for ``inf``/``-inf``/``Large``."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if abs(value) != float("inf") else None


class LogWatcher(io.TextIOBase):
    """A text stream that HiGHS writes its log to.

    It keeps the whole log, and shows each improvement of the incumbent (the
    BestSol column of HiGHS's branch-and-bound table) as one progress line
    (unless ``progress`` is false: the re-solves of a study) — or, when
    ``verbose``, every log line. Progress goes to a duplicate of the
    process's stderr taken when the run starts (never to stdout, which ``--json``
    keeps for its object), and only when the ``hubopt`` logger is at INFO.
    """

    _ROW = re.compile(r"^\s*[A-Za-z]?\s+\d+\s+\d+\s+\d+\s+[\d.]+%\s+(\S+)\s+(\S+)\s+(\S+)")

    def __init__(self, verbose: bool, progress: bool = True):
        super().__init__()
        self.verbose = verbose
        self.progress = progress
        self._buffer = ""
        self._lines: list[str] = []
        self._best: str | None = None
        self._started = time.perf_counter()
        self._sink = None

    def __enter__(self):
        if log.isEnabledFor(logging.INFO):
            try:
                self._sink = os.fdopen(os.dup(2), "w", buffering=1)
            except OSError:
                self._sink = None
        return self

    def __exit__(self, *exc_info) -> None:
        self.flush()
        if self._sink is not None:
            self._sink.close()
            self._sink = None

    def write(self, text: str) -> int:
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            self._line(line)
        return len(text)

    def flush(self) -> None:
        if self._buffer:
            self._line(self._buffer)
            self._buffer = ""

    @property
    def text(self) -> str:
        return "\n".join(self._lines)

    def _line(self, line: str) -> None:
        self._lines.append(line)
        if self.verbose:
            self._show(f"highs: {line}")
            return
        if not self.progress:
            return
        match = self._ROW.match(line)
        if match and match.group(2) not in ("inf", self._best):
            self._best = match.group(2)
            bound, gap = match.group(1), match.group(3)
            known = "no bound yet" if bound in ("-inf", "inf") or gap == "Large" \
                else f"bound {bound}, gap {gap}"
            self._show(f"solve: incumbent {match.group(2)}, {known} "
                       f"({time.perf_counter() - self._started:.1f} s)")

    def _show(self, text: str) -> None:
        if self._sink is not None:
            self._sink.write(text + "\n")
