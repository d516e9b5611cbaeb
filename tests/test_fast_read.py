"""The calamine read path gives the same tables and Scenario as openpyxl's.

reader.py reads plain sheets with calamine and sheets with formulas, merges
or error values with openpyxl. Forcing every sheet through openpyxl
(``_needs_openpyxl`` → True) gives the reference to compare with.
"""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import Workbook

from hubopt.inputs import reader
from hubopt.inputs.reader import read_workbook
from hubopt.inputs.validate import validate
from tests.workbooks import tiny_sheets, write_book


def _both_ways(path, monkeypatch):
    fast = read_workbook(path)
    with monkeypatch.context() as patch:
        patch.setattr(reader, "_needs_openpyxl", lambda worksheet: True)
        slow = read_workbook(path)
    return fast, slow


def _trimmed(values):
    """A row without trailing blanks (calamine pads rows to the sheet's width)."""
    values = list(values)
    while values and values[-1] is None:
        values.pop()
    return tuple(values)


def _typed_rows(table):
    return [(number, tuple((type(v), v) for v in _trimmed(values)))
            for number, values in table.rows]


def test_cell_types_match_openpyxl(tmp_path, monkeypatch):
    """Blank → None, whole numbers int, dates datetime, booleans, text, gaps in rows."""
    sheets = tiny_sheets()
    sheets["Sites"][1] = ["A", None, "POL", 50, 22.25, "candidate", 0]
    sheets["Sites"].append([None, None, None, None, None, None, None])  # empty row: dropped
    sheets["Sites"].append(["  ", "   "])                                  # blank text: dropped
    sheets["Sites"].append(["C", dt.datetime(2024, 3, 1), "POL", dt.datetime(2024, 3, 1, 6, 30),
                            True, "candidate", 1e15])
    path = write_book(tmp_path / "types.xlsx", sheets)
    fast, slow = _both_ways(path, monkeypatch)
    assert fast.tables.keys() == slow.tables.keys()
    for name in fast.tables:
        assert fast.tables[name].columns == slow.tables[name].columns
        assert _typed_rows(fast.tables[name]) == _typed_rows(slow.tables[name]), name
    sites = _typed_rows(fast.tables["Sites"])
    assert [number for number, _ in sites] == [2, 3, 6]
    assert sites[0][1][1] == (type(None), None) and sites[0][1][3] == (int, 50)
    assert sites[2][1][1] == (dt.datetime, dt.datetime(2024, 3, 1))
    assert sites[2][1][4] == (bool, True)
    assert [str(i) for i in fast.issues] == [str(i) for i in slow.issues]


def test_error_cells_still_reach_validation_as_excel_errors(tmp_path):
    """calamine reads an error cell as blank; such sheets go through openpyxl."""
    path = write_book(tmp_path / "err.xlsx", tiny_sheets())
    from openpyxl import load_workbook
    book = load_workbook(path)
    cell = book["HubOptions"]["D2"]
    cell.value, cell.data_type = "#DIV/0!", "e"
    book.save(path)
    value = read_workbook(path).tables["HubOptions"].rows[0][1][3]
    assert isinstance(value, reader.ExcelError) and value.code == "#DIV/0!"


def test_a_file_calamine_refuses_is_read_by_openpyxl(tmp_path, monkeypatch):
    path = write_book(tmp_path / "tiny.xlsx", tiny_sheets())
    expected = read_workbook(path)

    class Refusing:
        @staticmethod
        def from_path(_):
            raise ValueError("calamine cannot read this")

    monkeypatch.setattr(reader, "CalamineWorkbook", Refusing)
    again = read_workbook(path)
    for name, table in expected.tables.items():
        assert _typed_rows(again.tables[name]) == _typed_rows(table)


@pytest.fixture(scope="module")
def routes_100k(tmp_path_factory):
    """200 sites × 500 sectors of Routes (100,000 rows), written write-only (no
    <dimension> element, as many scripts write)."""
    sheets = tiny_sheets()
    sheets["Sectors"] = [sheets["Sectors"][0]] + [
        [f"K{j}", "UKR", 48 + j % 300 / 100, 35 + j % 200 / 100] for j in range(500)]
    sheets["Demand"] = [sheets["Demand"][0]] + [
        [f"K{j}", "goods", 1 + j % 7, None if j % 3 else 24] for j in range(500)]
    sheets["Sites"] = [sheets["Sites"][0]] + [
        [f"S{i}", None, "POL", 50, 20 + i / 100, "candidate", 0] for i in range(200)]
    sheets["HubOptions"] = [sheets["HubOptions"][0]] + [
        [f"S{i}", "goods", "std", 1000, 100, 1] for i in range(200)]
    sheets["Routes"] = [sheets["Routes"][0]] + [
        [f"S{i}", f"K{j}", None if (i + j) % 11 == 0 else (i * j) % 37 / 4 + 1,
         (i + 2 * j) % 13 + 0.5, ("yes", "no", True, 1)[(i + j) % 4]]
        for i in range(200) for j in range(500)]
    book = Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    path = tmp_path_factory.mktemp("big") / "routes100k.xlsx"
    book.save(path)
    return path


def test_100k_routes_read_to_the_same_scenario(routes_100k, monkeypatch):
    fast, slow = _both_ways(routes_100k, monkeypatch)
    assert len(fast.tables["Routes"].rows) == 100_000
    assert _typed_rows(fast.tables["Routes"]) == _typed_rows(slow.tables["Routes"])
    a, b = validate(fast).scenario, validate(slow).scenario
    assert len(a.routes) == 100_000
    assert a == b
    blank_hours = [r for r in a.routes if r.hours is None]
    assert len(blank_hours) == sum((i + j) % 11 == 0 for i in range(200) for j in range(500))
    assert sum(not r.allowed for r in a.routes) == 25_000
