"""The run record: what produced a plan (input, versions, settings, timings).

Written to the Inputs sheet of every result workbook, and of the pareto and
comparison workbooks, so that a result can be traced back to what made it.
"""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ..inputs.instance import Scenario


def run_record(scenario: Scenario, timings: dict) -> dict:
    """Input file and SHA-256, hubopt, Pyomo, HiGHS and Python versions, when, and
    ``timings`` (settings used, seconds per stage, solver figures) after them."""
    record = {
        "input_file": Path(scenario.source.path).name if scenario.source.path else None,
        "input_sha256": scenario.source.sha256,
        "hubopt_version": _version("hubopt"),
        "pyomo_version": _version("pyomo"),
        "highs_version": _version("highspy"),
        "python_version": platform.python_version(),
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    record.update(timings)
    return record


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None
