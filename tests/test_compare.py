"""hubopt compare: result workbooks side by side, and input workbooks with variants.

The three-site scenario of test_pareto: cost-optimal is site A (cost 200,
10 h). With value_of_time = 100 the time cost dominates and C (cost 700, 2 h)
wins: 700 + 100·2·100 < 350 + 100·5·100 < 200 + 100·10·100. With budget = 50
no module is affordable.
"""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from test_pareto import three_sites

from hubopt import cli
from hubopt.errors import UsageError
from hubopt.inputs.template import write_input_workbook
from hubopt.studies.compare import parse_variant


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def sheet(path, name):
    return pd.read_excel(path, sheet_name=name, engine="openpyxl")


@pytest.fixture
def three_book(tmp_path):
    path = tmp_path / "three.xlsx"
    write_input_workbook(path, three_sites().with_settings(value_of_time=0.0))
    return path


def test_compare_two_result_workbooks(three_book, tmp_path):
    slow, fast = tmp_path / "slow.xlsx", tmp_path / "fast.xlsx"
    assert run("solve", three_book, "-o", slow, "-q").exit_code == 0
    assert run("solve", three_book, "--set", "value_of_time=100", "-o", fast, "-q"
               ).exit_code == 0
    out = tmp_path / "cmp.xlsx"
    result = run("compare", slow, fast, "-o", out, "-q")
    assert result.exit_code == 0, result.output

    summary = sheet(out, "Summary").set_index("key")
    assert list(summary.columns) == ["slow", "fast", "Δ fast"]
    assert summary.loc["total_cost", "slow"] == pytest.approx(200)
    assert summary.loc["total_cost", "fast"] == pytest.approx(700)
    assert summary.loc["total_cost", "Δ fast"] == pytest.approx(500)
    assert summary.loc["avg_hours", "Δ fast"] == pytest.approx(-8)
    assert summary.loc["objective", "fast"] == pytest.approx(700 + 100 * 2 * 100)
    assert summary.loc["status", "fast"] == "optimal"

    modules = sheet(out, "Modules")
    assert modules[["site_id", "slow", "fast", "open_in"]].fillna("").values.tolist() == [
        ["A", "yes", "", 1], ["C", "", "yes", 1]]

    diff = sheet(out, "Differences")
    changes = diff[diff["change"] != "figure"][["scenario", "change", "what"]].values.tolist()
    assert changes == [["fast", "opens site", "C"], ["fast", "closes site", "A"],
                       ["fast", "opens module", "C/goods/std"],
                       ["fast", "closes module", "A/goods/std"]]
    hub = diff[diff["what"] == "hub_cost"].iloc[0]
    assert (hub["reference"], hub["value"], hub["difference"]) == (100, 600, 500)
    assert "open_sites" not in set(diff["what"])              # 1 and 1: no difference


def test_compare_an_input_workbook_with_variants(three_book, tmp_path):
    out = tmp_path / "variants.xlsx"
    result = run("compare", three_book, "--variant", "value_of_time=100",
                 "--variant", "budget=50,max_sites=1", "-o", out, "-q")
    assert result.exit_code == 0, result.output
    summary = sheet(out, "Summary").set_index("key")
    assert list(summary.columns)[:3] == ["three", "three [value_of_time=100]",
                                         "three [budget=50,max_sites=1]"]
    assert summary.loc["total_cost", "three"] == pytest.approx(200)
    assert summary.loc["total_cost", "three [value_of_time=100]"] == pytest.approx(700)
    assert summary.loc["status", "three [budget=50,max_sites=1]"] == "infeasible"
    sources = sheet(out, "Sources")
    assert sources["source"].tolist() == [str(three_book)] * 3


def test_compare_usage_and_input_errors(three_book, tmp_path):
    result = run("compare", three_book, "-o", tmp_path / "c.xlsx")
    assert result.exit_code == 2 and "at least two" in result.stderr
    solved = tmp_path / "r.xlsx"
    run("solve", three_book, "-o", solved, "-q")
    result = run("compare", solved, solved, "--variant", "budget=1", "-o", tmp_path / "c.xlsx")
    assert result.exit_code == 2 and "input workbooks" in result.stderr
    result = run("compare", solved, tmp_path / "missing.xlsx", "-o", tmp_path / "c.xlsx")
    assert result.exit_code == 3 and "missing.xlsx" in result.stderr
    result = run("compare", three_book, "--variant", "budget", "-o", tmp_path / "c.xlsx")
    assert result.exit_code == 2 and "key=value" in result.stderr
    result = run("compare", three_book, "--variant", "budgte=5", "-o", tmp_path / "c.xlsx")
    assert result.exit_code == 2 and "budgte" in result.stderr   # unknown setting, as --set
    assert not (tmp_path / "c.xlsx").exists()


def test_parse_variant():
    assert parse_variant("ceasefire=yes, budget=3e6") == {"ceasefire": "yes", "budget": "3e6"}
    with pytest.raises(UsageError):
        parse_variant("ceasefire=yes,,")
