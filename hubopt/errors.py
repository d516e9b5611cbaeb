"""Typed problems and the exit codes they map to, in one place (SPEC §4).

Each error class carries its exit code; :data:`STATUS_EXIT` maps a plan's
status (SPEC §5) to the exit code of the command that produced it. The CLI
turns both into the process's exit status; the batch reads a scenario's exit
status back with the same names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

EXIT_OK = 0             # a plan was written (also with a time, memory or interrupt limit)
EXIT_INTERNAL = 1       # unexpected internal error
EXIT_USAGE = 2          # usage error, or the output cannot be written
EXIT_INPUT = 3          # invalid input, over a size limit or over the memory budget
EXIT_INFEASIBLE = 4     # no feasible plan exists (diagnosis written)
EXIT_NO_SOLUTION = 5    # no plan found before the solve was stopped
EXIT_BATCH_FAILED = 6   # batch: some scenarios failed
EXIT_LOCKED = 75        # batch: another batch holds the output folder's lock

# a plan's status (SPEC §5) → the exit code of the command that produced it
STATUS_EXIT = {"optimal": EXIT_OK, "time_limit": EXIT_OK, "memory_limit": EXIT_OK,
               "interrupted": EXIT_OK, "infeasible": EXIT_INFEASIBLE,
               "no_solution": EXIT_NO_SOLUTION}


@dataclass(frozen=True)
class Issue:
    """One finding about the input, addressed to the planner.

    ``where`` is a sheet-and-cell reference such as ``Sites!E7`` (or
    ``Sites row 7``, or ``--set budget``); ``message`` says what was found and
    what was expected; ``fix`` says what to change.
    """

    severity: str  # "error", "warning" or "info"
    where: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text} {self.fix}".rstrip() if self.fix else text


class HuboptError(Exception):
    """Base class of every error hubopt raises on purpose."""

    exit_code = EXIT_INTERNAL


class InputError(HuboptError):
    """The workbook is malformed: every error found, reported together (exit 3)."""

    exit_code = EXIT_INPUT

    def __init__(self, issues: list[Issue], warnings: list[Issue] | None = None):
        self.issues = list(issues)
        self.warnings = list(warnings or [])
        count = len(self.issues)
        lines = [f"{count} error{'s' if count != 1 else ''} in the input:"]
        lines += [f"  {issue}" for issue in self.issues]
        super().__init__("\n".join(lines))

    def __reduce__(self):
        # rebuild from the issues, not the message, when sent between processes
        return (type(self), (self.issues, self.warnings))


class UsageError(HuboptError):
    """The command was called wrongly (exit 2)."""

    exit_code = EXIT_USAGE


class OutputError(HuboptError):
    """An output file cannot be written where asked (exit 2, like other problems with
    what the command was told to do): open in another program, a read-only folder,
    a path that is a folder. Nothing is left behind (see :func:`hubopt.xlsx.save_atomically`).
    """

    exit_code = EXIT_USAGE

    def __init__(self, path, reason: OSError | str):
        self.path = path
        detail = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason
        if isinstance(reason, PermissionError):
            fix = ("It may be open in Excel or another program, or the folder may be "
                   "read-only: close it, or choose another path with -o.")
        else:
            fix = "Choose another path with -o."
        super().__init__(f"cannot write {path}: {detail}. {fix}")


class NoPlan(HuboptError):
    """A study that starts from the optimum found none: ``status`` infeasible (exit 4;
    ``diagnosis`` holds the pre-solve findings when they show why) or no plan in the
    time (exit 5)."""

    def __init__(self, status: str, diagnosis: list[Issue]):
        self.status = status
        self.diagnosis = diagnosis
        self.exit_code = EXIT_INFEASIBLE if status == "infeasible" else EXIT_NO_SOLUTION
        super().__init__(f"no plan: {status}")


class SolverError(HuboptError):
    """The solver failed in a way that is not the input's fault (exit 1)."""

    exit_code = EXIT_INTERNAL


def closest(value: str, known: Iterable[str]) -> str | None:
    """The name in ``known`` closest to a misspelt ``value``, or None when none is close."""
    match = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.75)
    return match[0] if match else None


def did_you_mean(value: str, known: Iterable[str]) -> str:
    """A 'Did you mean ...?' hint for a misspelt name, or '' when nothing is close."""
    match = closest(value, known)
    return f"Did you mean '{match}'?" if match else ""
