"""Property-based tests: random valid and near-valid workbooks through the CLI.

Whatever the workbook, ``validate`` and ``solve`` end in one of: a plan that
tests/plan_check.py accepts (exit 0), no plan (4, 5), or exit 3 with every
error naming a sheet and cell or row — never exit 1, never a traceback, and
nothing written on exit 3. A third property flips and cuts bytes of a valid
file: reading raises InputError or succeeds, nothing else.

The number of examples comes from a hypothesis profile: ``ci`` (default,
bounded so the suite stays fast) or ``long`` for a deeper run::

    HYPOTHESIS_PROFILE=long pytest tests/test_fuzz.py     # ~1,000 examples each
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plan_check import check_plan
from workbooks import tiny_sheets, write_book

import hubopt
from hubopt import cli
from hubopt.errors import InputError
from hubopt.inputs.reader import normalise_header

settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# where an error is: Sites!D3, Sites!C2:C3, Sites!1, Sites row 4, a sheet name, --set key,
# a file name, 'model size' or 'Settings'
LOCATION = re.compile(r"^  [^:]+(![A-Z]*\d+(:[A-Z]+\d+)?| row \d+)?: |^  (Settings|model size)")


@st.composite
def valid_sheets(draw):
    """A random well-formed workbook: 1–4 sites, 1–4 sectors, one or two services."""
    services = draw(st.sampled_from([["goods"], ["goods", "repair"]]))
    n_sites, n_sectors = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    number = st.integers(0, 500)
    sites = [["site_id", "name", "country", "latitude", "longitude", "status", "site_cost"]]
    for i in range(n_sites):
        sites.append([f"S{i}", f"Site {i}", draw(st.sampled_from(["POL", "ROU", "SVK"])),
                      draw(st.floats(45, 55)), draw(st.floats(15, 30)),
                      draw(st.sampled_from(["candidate", "candidate", "open", "closed"])),
                      draw(number)])
    options = [["site_id", "service", "size", "capacity", "fixed_cost", "staff"]]
    for i in range(n_sites):
        for service in services:
            for size in draw(st.sampled_from([["std"], ["small", "large"]])):
                options.append([f"S{i}", service, size, draw(st.integers(1, 300)), draw(number),
                                draw(st.integers(0, 20))])
    sectors = [["sector_id", "country", "latitude", "longitude"]]
    demand = [["sector_id", "service", "quantity", "max_hours", "priority"]]
    for j in range(n_sectors):
        sectors.append([f"K{j}", "UKR", draw(st.floats(45, 52)), draw(st.floats(30, 40))])
        for service in services:
            demand.append([f"K{j}", service, draw(st.integers(0, 200)),
                           draw(st.one_of(st.none(), st.integers(5, 40))),
                           draw(st.integers(1, 3))])
    settings_rows = [["key", "value"], ["scenario_name", "fuzz"], ["mip_gap", 0],
                     ["time_limit_seconds", 20],
                     ["single_sourcing", draw(st.sampled_from(["yes", "no"]))],
                     ["redundancy", draw(st.integers(1, 2))],
                     ["transport_cost_per_unit_km", draw(st.sampled_from([0, 0.01, 1]))]]
    if draw(st.booleans()):
        settings_rows.append(["budget", draw(st.integers(0, 3000))])
    return {"Settings": settings_rows, "Services": [["service_id"]] + [[s] for s in services],
            "Sites": sites, "HubOptions": options, "Sectors": sectors, "Demand": demand}


JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
    st.sampled_from(["=1+1", "@x", "-", "#N/A", "#DIV/0!", " ", "yes", "n/a", "1,5", "1e999",
                     "nan", "S0", "K0", "goods", "A\u200bB", "x" * 300, "open", "closed"]))


@st.composite
def near_valid_sheets(draw):
    """A valid workbook with 1–3 cells, a header or a sheet name spoiled."""
    sheets = draw(valid_sheets())
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(sheets)))
        rows = sheets[name]
        kind = draw(st.sampled_from(["cell", "cell", "cell", "header", "sheet", "duplicate"]))
        if kind == "cell":
            row = draw(st.integers(1, max(1, len(rows) - 1)))
            if row < len(rows):
                rows[row][draw(st.integers(0, len(rows[row]) - 1))] = draw(JUNK)
        elif kind == "header":
            rows[0][draw(st.integers(0, len(rows[0]) - 1))] = draw(
                st.sampled_from(["", "sit_id", "capacity", "Capacity [t]", None]))
        elif kind == "sheet" and name != "Settings":
            sheets[name + draw(st.sampled_from(["s", "_", "x"]))] = sheets.pop(name)
        elif kind == "duplicate" and len(rows) > 1:
            rows.append(list(rows[-1]))
    return sheets


def _safe(value):
    """openpyxl cannot store NaN or ±inf; a real workbook holds them as text."""
    if isinstance(value, float) and (value != value or value in (float("inf"), -float("inf"))):
        return str(value)
    return value


def check_run(sheets) -> None:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        book = write_book(folder / "in.xlsx",
                          {n: [[_safe(v) for v in r] for r in rows] for n, rows in sheets.items()})
        out = folder / "out" / "result.xlsx"
        runner = CliRunner()
        checked = runner.invoke(cli.main, ["validate", str(book)], catch_exceptions=False)
        solved = runner.invoke(cli.main, ["solve", str(book), "-o", str(out), "--json", "-q"],
                               catch_exceptions=False)
        for result in (checked, solved):
            assert result.exit_code in (0, 3, 4, 5), result.output
            assert "Traceback" not in result.output and "Internal error" not in result.output
        if solved.exit_code == 3:
            assert checked.exit_code == 3
            lines = [line for line in solved.stderr.splitlines()   # one line per error
                     if line.startswith("  ") and not line.startswith(("  warning:", "  note:"))]
            assert lines, solved.stderr
            for line in lines:
                assert LOCATION.match(line), line
            assert not out.parent.exists()                # nothing written
        if solved.exit_code == 0:
            summary = json.loads(solved.stdout)
            scenario = hubopt.read_scenario(book)
            hubs = pd.read_excel(out, sheet_name="Hubs").rename(columns=normalise_header)
            flows = pd.read_excel(out, sheet_name="Flows").rename(columns=normalise_header)
            hubs["size"] = hubs["size"].astype(str)
            for frame in (hubs, flows):
                for column in ("site_id", "sector_id", "service"):
                    if column in frame:
                        frame[column] = frame[column].astype(str)
            assert check_plan(scenario, hubs, flows, summary) == []


@given(valid_sheets())
def test_valid_workbooks_solve_to_a_checked_plan_or_a_reason(sheets):
    check_run(sheets)


@given(near_valid_sheets())
def test_near_valid_workbooks_never_crash(sheets):
    check_run(sheets)


_VALID_BYTES = None


def _valid_bytes() -> bytes:
    global _VALID_BYTES
    if _VALID_BYTES is None:
        with tempfile.TemporaryDirectory() as folder:
            _VALID_BYTES = write_book(Path(folder) / "v.xlsx", tiny_sheets()).read_bytes()
    return _VALID_BYTES


@settings(max_examples=3 * settings.default.max_examples)
@given(st.data())
def test_damaged_bytes_are_refused_as_input_errors(data):
    raw = bytearray(_valid_bytes())
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "damaged.xlsx"
        path.write_bytes(bytes(raw))
        try:
            hubopt.load_scenario(path)
        except InputError as error:
            assert error.issues and all(str(issue) for issue in error.issues)
