"""Typed problems. The CLI maps each to an exit code in one place (SPEC §4)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


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

    exit_code = 1


class InputError(HuboptError):
    """The workbook is malformed: every error found, reported together (exit 3)."""

    exit_code = 3

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

    exit_code = 2


class OutputError(HuboptError):
    """An output file cannot be written where asked (exit 2, like other problems with
    what the command was told to do): open in another program, a read-only folder,
    a path that is a folder. Nothing is left behind (see :func:`hubopt.xlsx.save_atomically`).
    """

    exit_code = 2

    def __init__(self, path, reason: OSError | str):
        self.path = path
        detail = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason
        if isinstance(reason, PermissionError):
            fix = ("It may be open in Excel or another program, or the folder may be "
                   "read-only: close it, or choose another path with -o.")
        else:
            fix = "Choose another path with -o."
        super().__init__(f"cannot write {path}: {detail}. {fix}")


class SolverError(HuboptError):
    """The solver failed in a way that is not the input's fault (exit 1)."""

    exit_code = 1


def closest(value: str, known: Iterable[str]) -> str | None:
    """The name in ``known`` closest to a misspelt ``value``, or None when none is close."""
    match = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.75)
    return match[0] if match else None


def did_you_mean(value: str, known: Iterable[str]) -> str:
    """A 'Did you mean ...?' hint for a misspelt name, or '' when nothing is close."""
    match = closest(value, known)
    return f"Did you mean '{match}'?" if match else ""
