"""The two promises every written workbook keeps (hubopt/files/xlsx.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from openpyxl import Workbook, load_workbook

from hubopt.errors import OutputError
from hubopt.files.xlsx import EXCEL_CELL_LIMIT, safe_text, save_atomically, set_value


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", '=HYPERLINK("x")'])
def test_formula_like_text_stays_text(tmp_path, text):
    book = Workbook()
    set_value(book.active["A1"], text)
    path = save_atomically(book, tmp_path / "t.xlsx")
    cell = load_workbook(path).active["A1"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)


def test_values_keep_their_types(tmp_path):
    book = Workbook()
    sheet = book.active
    for column, value in enumerate([np.float64(2.5), np.int64(3), True, None, float("nan"),
                                    "plain"], start=1):
        set_value(sheet.cell(1, column), value, "0.00")
    cells = load_workbook(save_atomically(book, tmp_path / "t.xlsx")).active[1]
    assert [c.value for c in cells[:6]] == [2.5, 3, "yes", None, None, "plain"]
    assert cells[0].number_format == "0.00"


def test_safe_text_removes_control_characters_and_truncates():
    assert safe_text("a\x00b\x07c\td") == "abc\td"
    long = safe_text("x" * (EXCEL_CELL_LIMIT + 10))
    assert len(long) == EXCEL_CELL_LIMIT and long.endswith("…")


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "result.xlsx"
    target.write_bytes(b"yesterday")

    class Broken(Workbook):
        def save(self, filename):
            Path(filename).write_bytes(b"partial")
            raise OSError("disk full")
    with pytest.raises(OutputError, match="cannot write .*result.xlsx: disk full"):
        save_atomically(Broken(), target)
    assert target.read_bytes() == b"yesterday"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result.xlsx"]
