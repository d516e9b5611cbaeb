"""A planner's slips (issue: no slip passes silently): each is an error naming the
sheet and cell with the fix (exit 3, nothing written), or a warning that ``solve``
prints in full, never a count alone.

The tiny workbook (tests/workbooks.py): sites A and B in Poland, each with one
module of 100, demand 60 + 40; A is the optimum (200).
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from workbooks import set_cell, tiny_sheets, write_book

import hubopt
from hubopt import cli


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def test_a_contributor_with_no_permissions_is_printed_by_solve(tmp_path):
    sheets = tiny_sheets()
    sheets["Contributors"] = [["contributor_id", "max_staff"], ["POLC", 100], ["MDA", 50]]
    sheets["Permissions"] = [["contributor_id", "country", "may_staff", "may_fund"],
                             ["POLC", "POL", "yes", "yes"]]
    out = tmp_path / "o.xlsx"
    result = run("solve", write_book(tmp_path / "in.xlsx", sheets), "-o", out)
    assert result.exit_code == 0
    assert "1 warning(s) in the input; each may change the plan:" in result.stderr
    assert ("warning: Contributors row 3: contributor 'MDA' can neither staff nor fund any "
            "hub: it has no Permissions rows, and a country without a row is not allowed. "
            "Add Permissions rows for MDA") in result.stderr
    assert out.exists()


def test_a_mistyped_site_country_is_an_error_and_nothing_is_written(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "Sites", 3, "country", "ROM")
    out = tmp_path / "o.xlsx"
    result = run("solve", write_book(tmp_path / "in.xlsx", sheets), "-o", out)
    assert result.exit_code == 3
    assert "Sites!C3: country: 'ROM' is not an ISO 3166-1 alpha-3 code" in result.stderr
    assert "Did you mean ROU (Romania)?" in result.stderr
    assert not out.exists()


def test_a_number_typed_with_a_continental_separator_is_an_error(tmp_path):
    sheets = tiny_sheets()
    set_cell(sheets, "HubOptions", 2, "capacity", "4.000")
    out = tmp_path / "o.xlsx"
    result = run("solve", write_book(tmp_path / "in.xlsx", sheets), "-o", out)
    assert result.exit_code == 3
    assert ("HubOptions!D2: capacity: '4.000' is text that reads two ways: 4 if '.' is a "
            "decimal mark, 4,000 if it separates thousands.") in result.stderr
    assert not out.exists()


def test_template_and_example_keep_an_existing_file(tmp_path):
    filled = tmp_path / "filled.xlsx"
    write_book(filled, tiny_sheets())
    before = filled.read_bytes()
    for command in ("template", "example"):
        result = run(command, filled)
        assert result.exit_code == 2
        assert f"{filled} exists; nothing was written." in result.output
        assert "--force" in result.output
        assert filled.read_bytes() == before
    assert run("template", filled, "--force").exit_code == 0
    assert "Instructions" in load_workbook(filled).sheetnames


def test_template_and_example_refuse_another_suffix(tmp_path):
    for command in ("template", "example"):
        target = tmp_path / "foo.csv"
        result = run(command, target)
        assert result.exit_code == 2
        assert "must end in .xlsx (e.g. foo.xlsx)" in result.output
        assert not target.exists()


def test_the_template_says_a_country_without_a_permission_row_is_not_allowed(tmp_path):
    path = tmp_path / "t.xlsx"
    assert run("template", path).exit_code == 0
    book = load_workbook(path)
    instructions = [str(c.value) for row in book["Instructions"].iter_rows() for c in row
                    if c.value]
    assert any("A country without a row is NOT allowed" in text for text in instructions)
    country = next(c for c in book["Permissions"][1] if c.value == "country")
    assert "Countries without a row for this contributor are not allowed." in \
        country.comment.text


def infeasible_result(tmp_path):
    """The tiny case with a budget of 50: infeasible, the relaxed plan written."""
    book = write_book(tmp_path / "in.xlsx", tiny_sheets())
    out = tmp_path / "infeasible.xlsx"
    assert run("solve", book, "--set", "budget=50", "-o", out).exit_code == 4
    return book, out


def test_compare_marks_an_infeasible_scenario_and_says_so(tmp_path):
    book, infeasible = infeasible_result(tmp_path)
    feasible = tmp_path / "feasible.xlsx"
    assert run("solve", book, "-o", feasible).exit_code == 0
    out = tmp_path / "cmp.xlsx"
    result = run("compare", feasible, infeasible, "-o", out)
    assert result.exit_code == 0
    assert "infeasible is infeasible: its figures are those of the relaxed plan" in \
        result.stderr
    assert "infeasible: infeasible (NOT FEASIBLE: relaxed plan), total cost" in result.stdout
    assert "  feasible: optimal, total cost 200, 1 sites, 1 modules\n" in result.stdout
    assert summary_row(load_workbook(out)["Summary"], "total_cost").number_format == "#,##0"
    summary = load_workbook(out)["Summary"]
    assert [c.value for c in summary[2]][:3] == [
        "feasible", "yes", "NOT FEASIBLE: relaxed plan of the diagnosis, not a plan"]
    differences = [[c.value for c in row] for row in load_workbook(out)["Differences"]]
    assert differences[1][:3] == ["infeasible", "NOT FEASIBLE",
            "NOT FEASIBLE: relaxed plan of the diagnosis, not a plan"]


def summary_row(sheet, key):
    """The first value cell of the ``key`` row of a Summary-like sheet."""
    return next(row[1] for row in sheet.iter_rows(min_row=2) if row[0].value == key)


def test_an_infeasible_result_is_refused_as_a_previous_plan(tmp_path):
    book, infeasible = infeasible_result(tmp_path)
    out = tmp_path / "o.xlsx"
    result = run("solve", book, "--previous", infeasible, "-o", out)
    assert result.exit_code == 3
    assert ("is the result of an infeasible scenario: its Hubs sheet is the relaxed plan "
            "of the diagnosis (NOT FEASIBLE)") in result.stderr
    assert not out.exists()


def test_the_banner_is_what_the_reader_skips():
    from hubopt.outputs.reading import NOT_FEASIBLE_MARK
    from hubopt.outputs.writer import NOT_FEASIBLE
    assert NOT_FEASIBLE.startswith(NOT_FEASIBLE_MARK)


def test_an_infeasible_result_is_still_drawn_from_the_workbook(tmp_path):
    """hubopt map reads the relaxed plan's tables below their banners."""
    import pytest
    pytest.importorskip("matplotlib")
    _, infeasible = infeasible_result(tmp_path)
    picture = tmp_path / "m.png"
    result = run("map", infeasible, "-o", picture)
    assert result.exit_code == 0, result.output
    assert "(infeasible)" in result.stdout and picture.stat().st_size > 10_000


def test_every_sheet_of_a_result_prints_landscape_one_page_wide(tmp_path):
    out = tmp_path / "o.xlsx"
    assert run("solve", write_book(tmp_path / "in.xlsx", tiny_sheets()), "-o", out).exit_code == 0
    book = load_workbook(out)
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == \
            ("landscape", 1, 0), sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
    assert book["Hubs"].print_title_rows == "$1:$1"
    if "Map" in book.sheetnames:       # the picture is covered by the print area
        assert book["Map"].print_area.startswith("'Map'!$A$1:$")


def test_a_relaxed_plan_sheet_prints_its_banner_across_the_table(tmp_path):
    _, infeasible = infeasible_result(tmp_path)
    hubs = load_workbook(infeasible)["Hubs"]
    assert "A1:J1" in {str(r) for r in hubs.merged_cells.ranges}
    assert hubs.print_title_rows == "$1:$2" and hubs.freeze_panes == "A3"


def test_a_missing_column_comes_without_false_warnings(tmp_path):
    """Without HubOptions' capacity column the sheet is not read: its sites must not
    each be reported as having no HubOptions rows."""
    import pytest

    import hubopt
    from hubopt.errors import InputError
    sheets = tiny_sheets()
    sheets["HubOptions"] = [[v for i, v in enumerate(row) if i != 3]
                            for row in sheets["HubOptions"]]
    with pytest.raises(InputError) as caught:
        hubopt.load_scenario(write_book(tmp_path / "in.xlsx", sheets))
    assert [str(i) for i in caught.value.issues] == [
        "HubOptions!1: required column 'capacity' is missing. Add a header 'capacity' in "
        "row 1."]
    assert caught.value.warnings == []


BRANCH_AND_BOUND_ROW = ("         0       0         0   0.00%   -inf            380"
                        "                Large        0      0      0         0     0.0s")


def progress_lines(capsys, progress: bool) -> str:
    import logging

    from hubopt.solver.highs_log import LogWatcher
    logging.getLogger("hubopt").setLevel(logging.INFO)
    watcher = LogWatcher(False, progress=progress)
    watcher._sink = __import__("sys").stdout      # where its progress would go
    watcher.write(BRANCH_AND_BOUND_ROW + "\n")
    return capsys.readouterr().out


def test_progress_says_no_bound_yet_instead_of_inf_and_large(capsys):
    shown = progress_lines(capsys, True)
    assert shown.startswith("solve: incumbent 380, no bound yet (")
    assert "-inf" not in shown and "Large" not in shown


def test_a_study_re_solve_shows_no_progress_lines(capsys):
    assert progress_lines(capsys, False) == ""


def test_losing_a_hub_never_reads_as_a_saving(tmp_path):
    """The tiny case's only hub lost: all 100 units unserved, nothing ships; cost_rise
    is blank (not −100) and cost_note says why; the headers say how each column is
    computed."""
    out = tmp_path / "o.xlsx"
    assert run("solve", write_book(tmp_path / "in.xlsx", tiny_sheets()), "-o", out).exit_code == 0
    stress = load_workbook(out)["Stress"]
    header = {str(c.value).split(" [")[0]: c for c in stress[1]}
    row = {name: stress.cell(row=2, column=c.column).value for name, c in header.items()}
    assert row["cost_rise"] is None
    assert row["cost_note"] == "100 units/period unserved: not a saving"
    assert header["cost_rise"].value == "cost_rise [currency/year]"
    assert "Blank when demand goes unserved" in header["cost_rise"].comment.text
    assert header["unserved_share"].comment.text.startswith("Mean over services")


def test_pareto_and_solve_call_the_same_figure_total_cost(tmp_path):
    """Slip 10: the cost-optimal Pareto point is solve's plan with value_of_time = 0; the
    terminal gives it the same total cost as solve, and the objective without time
    beside it (total cost + risk cost, the example's risk cost being 41,050)."""
    example = "inputs/example.xlsx"
    solved = hubopt.solve(hubopt.load_scenario(example, {"value_of_time": "0"}).scenario)
    result = CliRunner().invoke(cli.main, ["pareto", example, "-n", "2", "-o",
                                           str(tmp_path / "p.xlsx"), "-q"])
    assert result.exit_code == 0, result.output
    first = next(line for line in result.output.splitlines() if line.startswith("  1."))
    total = f"total cost {solved.summary['total_cost']:>14,.0f}"
    without_time = solved.summary["total_cost"] + solved.summary["risk_cost"]
    assert solved.summary["risk_cost"] == pytest.approx(41_050)
    assert f"{total}  objective without time {without_time:>14,.0f}" in first
