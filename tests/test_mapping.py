"""The plan map: offline borders (Crimea in Ukraine), projection, pixels, files, CLI."""

from __future__ import annotations

import logging
import math
import socket
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from plan_check import check_solved
from tiny import base

import hubopt
from hubopt import cli
from hubopt.outputs import geo, mapdata, mapping, mapsheet

pytest.importorskip("matplotlib")
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.image import imread  # noqa: E402

SIMFEROPOL = (34.10, 44.95)    # lon, lat
SEVASTOPOL = (33.52, 44.60)
KYIV, MOSCOW, WARSAW = (30.52, 50.45), (37.62, 55.75), (21.01, 52.23)


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to reach the network fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("the map tried to use the network")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture(scope="module")
def tiny_plan():
    plan = hubopt.solve(base())
    assert plan.status == "optimal" and check_solved(plan) == []
    assert set(plan.hubs["site_id"]) == {"A"}       # A open, B a closed candidate
    return plan


def test_crimea_is_drawn_as_part_of_ukraine():
    borders = geo.borders()
    ukraine, russia = borders["UKR"][1], borders["RUS"][1]
    for point in (SIMFEROPOL, SEVASTOPOL):
        assert geo.country_contains(ukraine, *point)
        assert not geo.country_contains(russia, *point)
    assert geo.country_at(*SIMFEROPOL) == "UKR"
    assert geo.country_at(*KYIV) == "UKR"
    assert geo.country_at(*MOSCOW) == "RUS"
    assert geo.country_at(*WARSAW) == "POL"
    assert geo.country_at(31.0, 43.0) is None           # the Black Sea


def test_border_data_is_small_and_says_where_it_comes_from():
    data = Path(geo.__file__).parents[1] / "data"
    assert (data / geo.BORDERS_RESOURCE).stat().st_size < 600_000
    note = (data / "europe_borders.md").read_text(encoding="utf-8")
    assert "ne_50m_admin_0_countries" in note and "public domain" in note
    assert "68/262" in note and "tools/make_borders.py" in note
    codes = set(geo.borders())
    assert {"UKR", "RUS", "TUR", "POL", "ROU", "DEU", "ISL", "MDA", "BLR"} <= codes


def test_conic_projection_keeps_distances_and_scale():
    conic = geo.Conic.for_extent(14.0, 44.0, 38.0, 56.0)
    assert conic.scale(conic.lat1) == pytest.approx(1.0)
    assert conic.scale(conic.lat2) == pytest.approx(1.0)
    assert 0.99 < conic.scale(conic.lat0) < 1.0
    x, y = conic.forward(conic.lon0, conic.lat0)
    assert (float(x), float(y)) == pytest.approx((0.0, 0.0), abs=1e-6)
    # Rzeszów to Kharkiv: projected length within 1 % of the great circle.
    (x1, x2), (y1, y2) = conic.forward(np.array([22.02, 36.23]), np.array([50.11, 49.99]))
    assert math.hypot(x2 - x1, y2 - y1) == pytest.approx(
        geo.great_circle_km(22.02, 50.11, 36.23, 49.99), rel=0.01)


def _rgb(image, column: float, row: float) -> np.ndarray:
    return image[int(round(row)), int(round(column)), :3]


def test_map_renders_offline_with_hubs_at_their_coordinates(tiny_plan, offline, tmp_path):
    data = mapdata.map_data_from_plan(tiny_plan)
    drawn = mapping.render(data, figsize=(8.0, 6.0), dpi=100)
    png = mapping.save(drawn, tmp_path / "tiny.png")
    image = imread(png)
    assert image.shape[:2] == (600, 800)

    site_a = data.sites.set_index("id").loc["A"]
    column, row = drawn.pixel(site_a["longitude"], site_a["latitude"])
    # The same point through matplotlib's own transform (display y counts from the bottom).
    x, y = drawn.projection.forward(site_a["longitude"], site_a["latitude"])
    shown = drawn.axes.transData.transform((float(x), float(y)))
    assert (column, row) == pytest.approx((shown[0], 600 - shown[1]), abs=1.0)
    goods = to_rgb(mapping.service_colours(data.services)["goods"])
    assert _rgb(image, column, row) == pytest.approx(goods, abs=0.03)

    # West of A lies B, a candidate not opened: faint grey, not the hub colour.
    b_col, b_row = drawn.pixel(21.0, 50.0)
    assert b_col < column - 15 and b_row == pytest.approx(row, abs=4)   # parallels curve
    grey = _rgb(image, b_col, b_row)
    assert np.ptp(grey) < 0.05 and 0.55 < grey.mean() < 0.95
    # Sector K (50 N, 36 E) is a dark diamond far east of A.
    k_col, k_row = drawn.pixel(36.0, 50.0)
    assert k_col > column + 200
    assert _rgb(image, k_col, k_row).mean() < 0.45


def test_result_workbook_has_map_charts_and_locations(tiny_plan, offline, tmp_path):
    out = hubopt.write_result(tiny_plan, tmp_path / "run" / "tiny_result.xlsx")
    png, svg = tmp_path / "run" / "tiny_result_map.png", tmp_path / "run" / "tiny_result_map.svg"
    assert png.stat().st_size > 20_000 and svg.read_text(encoding="utf-8").startswith("<?xml")
    book = load_workbook(out)
    assert book.sheetnames == ["Summary", "Map", "Charts", "Hubs", "Flows", "Sectors",
                               "Stress", "Locations", "Inputs"]
    images = book["Map"]._images
    assert len(images) == 1 and images[0].anchor._from.row == 2   # at A3
    assert images[0].format == "png"
    assert images[0].ref.getvalue() == png.read_bytes()          # the map file, embedded
    emu_per_px = 9525
    assert images[0].anchor.ext.width == mapsheet.PICTURE_WIDTH_PX * emu_per_px

    locations = book["Locations"]
    rows = [[c.value for c in r] for r in locations.iter_rows(min_row=2)]
    assert rows[0][:6] == ["site", "A", "A", "POL", 50.0, 22.0]
    assert rows[0][8:] == ["yes", "yes"] and rows[1][8:] == ["yes", "no"]
    assert rows[2][:6] == ["sector", "K", "K", "UKR", 50.0, 36.0]


def test_charts_reference_the_workbooks_own_cells(tiny_plan, tmp_path):
    from hubopt.outputs.charts import chart_references

    out = hubopt.write_result(tiny_plan, tmp_path / "tiny_result.xlsx", draw_map=False)
    book = load_workbook(out)
    assert "Map" not in book.sheetnames
    summary = {book["Summary"].cell(r, 1).value: r for r in range(2, 30)}
    charts = book["Charts"]._charts
    assert len(charts) == 3            # cost, utilisation, hours (no contributors)
    cost, utilisation, hours = (chart_references(c) for c in charts)
    first, last = summary["hub_cost"], summary["risk_cost"]
    assert cost == [f"'Summary'!$B${first}:$B${last}", f"'Summary'!$A${first}:$A${last}"]
    assert [book["Summary"].cell(r, 1).value for r in range(first, last + 1)] == \
        ["hub_cost", "transport_cost", "time_cost", "risk_cost"]
    assert utilisation == ["'Hubs'!$H$2", "'Charts'!$A$2"]        # one open module
    assert book["Hubs"]["H1"].value == "utilisation"
    assert book["Charts"]["A2"].value == "A · goods · std"
    labels = "'Charts'!$B$2:$B$3"
    assert hours == ["'Sectors'!$F$2:$F$3", labels, "'Sectors'!$G$2:$G$3", labels,
                     "'Sectors'!$H$2:$H$3", labels]   # avg, max and the limit: three bars
    assert [normal(book["Sectors"].cell(1, c).value) for c in (6, 7, 8)] == \
        ["avg_hours", "max_hours", "max_hours_limit"]
    assert charts[2].series[2].graphicalProperties.solidFill.srgbClr == "7F7F7F"


def normal(text):
    from hubopt.inputs.reader import normalise_header
    return normalise_header(text)


def test_contributor_charts_and_example_map(tmp_path):
    from hubopt.inputs.example import example_scenario
    from hubopt.outputs.charts import chart_references

    plan = hubopt.solve(example_scenario())
    assert plan.status == "optimal" and check_solved(plan) == []
    out = hubopt.write_result(plan, tmp_path / "example_result.xlsx", draw_map=False)
    book = load_workbook(out)
    refs = [chart_references(c) for c in book["Charts"]._charts]
    n = len(plan.contributors) + 1
    # staff, its fair share and max_staff; funding, its fair share and max_budget
    header = [cell.value for cell in book["Contributors"][1]]
    assert [header[i] for i in (2, 5, 6)] == [
        "staff [personnel]", "staff_fair_share [personnel]", "max_staff [personnel]"]
    assert [header[i] for i in (8, 11, 12)] == [
        "funding [currency/year]", "money_fair_share [currency/year]",
        "max_budget [currency/year]"]
    names = f"'Contributors'!$B$2:$B${n}"
    assert refs[3] == [f"'Contributors'!${c}$2:${c}${n}" if i % 2 == 0 else names
                       for c in "CFG" for i in (0, 1)]
    assert refs[4][::2] == [f"'Contributors'!${c}$2:${c}${n}" for c in "ILM"]
    # Redrawn from the workbook alone, the map data equal the plan's.
    from_book = mapdata.map_data_from_workbook(out)
    from_plan = mapdata.map_data_from_plan(plan)
    assert from_book.scenario == plan.summary["scenario"] and from_book.status == "optimal"
    assert list(from_book.sites["id"]) == list(from_plan.sites["id"])
    assert list(from_book.sites["open"]) == list(from_plan.sites["open"])
    assert from_book.sites["threat"].tolist() == pytest.approx(from_plan.sites["threat"].tolist())
    assert from_book.hubs["capacity"].tolist() == pytest.approx(plan.hubs["capacity"].tolist())
    assert from_book.flows["quantity"].sum() == pytest.approx(plan.flows["quantity"].sum())


def test_map_command_exit_codes(tiny_plan, tmp_path):
    result_book = hubopt.write_result(tiny_plan, tmp_path / "tiny_result.xlsx", draw_map=False)
    runner = CliRunner()
    ok = runner.invoke(cli.main, ["map", str(result_book), "-o", str(tmp_path / "plan.png")])
    assert ok.exit_code == 0, ok.output
    assert imread(tmp_path / "plan.png").shape[:2] == (
        round(mapping.FIGSIZE[1] * mapping.DPI), round(mapping.FIGSIZE[0] * mapping.DPI))
    default = runner.invoke(cli.main, ["map", str(result_book)])
    assert default.exit_code == 0 and (tmp_path / "tiny_result_map.png").is_file()

    not_excel = tmp_path / "notes.xlsx"
    not_excel.write_text("not a workbook", encoding="utf-8")
    for bad in (not_excel, Path(hubopt.__file__).parents[1] / "inputs" / "example.xlsx",
                tmp_path / "missing.xlsx"):
        failed = runner.invoke(cli.main, ["map", str(bad)])
        assert failed.exit_code == 3, failed.output
        assert "Traceback" not in failed.output
    same = runner.invoke(cli.main, ["map", str(result_book), "-o", str(result_book)])
    assert same.exit_code == 2


def test_without_matplotlib_solve_writes_the_workbook_and_warns_once(tiny_plan, tmp_path,
                                                                     monkeypatch, caplog):
    monkeypatch.setattr(mapsheet, "_missing", lambda module: module == "matplotlib")
    monkeypatch.setattr(mapsheet, "_warned", False)
    with caplog.at_level(logging.WARNING, logger="hubopt"):
        first = hubopt.write_result(tiny_plan, tmp_path / "a.xlsx")
        hubopt.write_result(tiny_plan, tmp_path / "b.xlsx")
    warnings = [r for r in caplog.records if "hubopt[map]" in r.getMessage()]
    assert len(warnings) == 1 and "matplotlib" in warnings[0].getMessage()
    book = load_workbook(first)
    assert "Map" not in book.sheetnames and "Charts" in book.sheetnames
    assert not (tmp_path / "a_map.png").exists()
