"""Workbooks read and print cleanly (issue: no slip passes silently, items 7-9).

Every workbook hubopt writes (template, example, result with Explain, Pareto,
comparison, alternatives) is checked with the render script's own checks
(tools/render_workbook.py): no wrapped text in a row too short for it, every
sheet fitted to one page wide, no float cell without a number format. With
LibreOffice installed, the example result is also printed to PDF and its pages
counted.
"""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment

from hubopt import cli
from hubopt.files.printing import fit_wrapped_rows
from tools import render_workbook

MAX_RESULT_PAGES = 15


def _run(*args: str) -> None:
    result = CliRunner().invoke(cli.main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """Path of each workbook hubopt writes, from the bundled example."""
    folder = tmp_path_factory.mktemp("books")
    paths = {name: folder / f"{name}.xlsx" for name in
             ("template", "example", "result", "pareto", "comparison", "alternatives")}
    _run("template", str(paths["template"]))
    _run("example", str(paths["example"]))
    example = str(paths["example"])
    _run("solve", example, "-o", str(paths["result"]), "--explain", "-q")
    _run("pareto", example, "-n", "3", "-o", str(paths["pareto"]), "-q")
    _run("compare", example, "--variant", "max_sites=3", "-o", str(paths["comparison"]), "-q")
    _run("alternatives", example, "-n", "2", "--by", "sites", "-o",
         str(paths["alternatives"]), "-q")
    return paths


NAMES = ("template", "example", "result", "pareto", "comparison", "alternatives")


@pytest.mark.parametrize("name", NAMES)
def test_wrapped_text_fits_its_row(books, name):
    assert render_workbook.crowded_rows(load_workbook(books[name])) == []


@pytest.mark.parametrize("name", NAMES)
def test_every_sheet_prints_one_page_wide_landscape(books, name):
    book = load_workbook(books[name])
    assert render_workbook.unfitted_sheets(book) == []
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        if sheet.freeze_panes == "A2" and sheet.max_row > 1:
            assert sheet.print_title_rows == "$1:$1", sheet.title


@pytest.mark.parametrize("name", ("result", "pareto", "comparison", "alternatives"))
def test_no_float_shows_raw(books, name):
    """Every non-integral number has a number format, except the Inputs sheet, which
    shows settings as the planner typed them."""
    raw = [f"{sheet.title}!{cell.coordinate}={cell.value!r}"
           for sheet in load_workbook(books[name]).worksheets if sheet.title != "Inputs"
           for row in sheet.iter_rows() for cell in row
           if isinstance(cell.value, float) and not cell.value.is_integer()
           and cell.number_format == "General"]
    assert raw == []


def test_money_has_no_decimals_hours_one_shares_percent(books):
    book = load_workbook(books["result"])
    summary = {row[0].value: row[1] for row in book["Summary"].iter_rows(min_row=2)}
    assert summary["total_cost"].number_format == "#,##0"
    assert summary["avg_hours"].number_format == "0.0"
    assert summary["mip_gap"].number_format == "0.00%"
    hubs = book["Hubs"]
    formats = {cell.value: hubs.cell(2, cell.column).number_format for cell in hubs[1]}
    assert formats["fixed_cost [currency/year]"] == "#,##0"
    assert formats["utilisation"] == "0.0%"


def test_the_check_finds_a_crowded_row_and_fitting_fixes_it():
    book = Workbook()
    sheet = book.active
    sheet.column_dimensions["A"].width = 20
    sheet["A1"] = "a long meaning that needs several lines in a narrow column " * 3
    sheet["A1"].alignment = Alignment(wrap_text=True)
    sheet["B1"] = 7
    assert render_workbook.crowded_rows(book) == ["Sheet!A1: text needs 150 pt, row is 15 pt"]
    fit_wrapped_rows(sheet)
    assert render_workbook.crowded_rows(book) == []
    assert sheet["B1"].alignment.vertical == "top"


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
                    reason="needs LibreOffice and poppler")
def test_example_result_prints_on_few_pages(books, capsys):
    assert render_workbook.main([str(books["result"]), "--max-pages",
                                 str(MAX_RESULT_PAGES)]) == 0
    pages = int(capsys.readouterr().out.split("pages: ")[1].split()[0])
    assert 3 <= pages <= MAX_RESULT_PAGES


def test_charts_show_values_the_limit_and_only_rows_with_demand(books):
    from hubopt.outputs.charts import chart_references

    book = load_workbook(books["result"])
    cost, _, hours = book["Charts"]._charts[:3]
    labels = cost.dataLabels
    assert labels.showVal and not (labels.showSerName or labels.showCatName
                                   or labels.showLegendKey)
    assert [s.tx.strRef.f for s in hours.series] == \
        ["'Sectors'!F1", "'Sectors'!G1", "'Sectors'!H1"]  # avg, max and the limit
    last = int(chart_references(hours)[0].rsplit("$", 1)[1])
    sectors = book["Sectors"]
    quantity = [c.value for c in sectors[1]].index("quantity [units/period]") + 1
    charted = [sectors.cell(r, quantity).value for r in range(2, last + 1)]
    left_out = [sectors.cell(r, quantity).value for r in range(last + 1, sectors.max_row + 1)]
    assert all(q > 0 for q in charted)
    assert len(left_out) == 4 and set(left_out) == {0}  # MZN and MZS need a ceasefire


def test_pareto_line_is_straight(books):
    chart = load_workbook(books["pareto"])["Pareto"]._charts[0]
    assert chart.scatterStyle == "lineMarker"
    assert [series.smooth for series in chart.series] == [False] * len(chart.series)
