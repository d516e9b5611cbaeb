"""Files refused before any parser runs (hubopt/inputs/guard.py), through the CLI: the
crafted corpus of tests/crafted.py, zip bombs with bounded memory, the size
caps and their override; each refusal leaves the output folder as it was."""

from __future__ import annotations

import hashlib
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from crafted import CORPUS, lying_bomb, overlapping_bomb, write
from workbooks import tiny_sheets, write_book

import hubopt
from hubopt import cli
from hubopt.errors import InputError
from hubopt.inputs.guard import Limits, check_input_file
from hubopt.inputs.reader import read_workbook


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args], catch_exceptions=False)


def folder_state(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file and folder under ``folder``: content hash (files) and mtime."""
    state = {}
    for path in sorted(folder.rglob("*")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        state[str(path.relative_to(folder))] = (digest, path.stat().st_mtime_ns)
    return state


@pytest.fixture
def out_folder(tmp_path) -> Path:
    """An output folder holding yesterday's result and a note, to be left untouched."""
    folder = tmp_path / "outputs"
    folder.mkdir()
    (folder / "bad_result.xlsx").write_bytes(b"yesterday's plan")
    (folder / "notes.txt").write_text("keep")
    return folder


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_crafted_file_is_refused_and_nothing_is_written(tmp_path, out_folder, name):
    source = tmp_path / "in"
    source.mkdir()
    path = write(name, source)
    before = folder_state(out_folder)
    for command in (["validate", path], ["solve", path, "-o", out_folder / "bad_result.xlsx"],
                    ["solve", path, "-o", out_folder / "new" / "r.xlsx", "--json"]):
        result = run(*command)
        assert result.exit_code == 3, result.output
        assert CORPUS[name][2] in result.stderr
        assert f"{path.name}: " in result.stderr          # the message names the file
        assert "Traceback" not in result.output
        assert result.stdout == ""
        assert folder_state(out_folder) == before


@pytest.mark.parametrize("builder", [overlapping_bomb, lying_bomb])
def test_zip_bombs_are_refused_with_bounded_memory(tmp_path, builder):
    bomb = builder(tmp_path / "bomb.xlsx")
    tracemalloc.start()
    try:
        with pytest.raises(InputError):
            read_workbook(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert bomb.stat().st_size < 200_000
    assert peak < 5_000_000        # 50 GB declared, 20 MB hidden: never inflated


def test_overlapping_bomb_is_refused_from_the_directory_alone(tmp_path, monkeypatch):
    bomb = overlapping_bomb(tmp_path / "bomb.xlsx")

    def no_reading(*args, **kwargs):
        raise AssertionError("a member was opened")
    monkeypatch.setattr(zipfile.ZipFile, "open", no_reading)
    with pytest.raises(InputError, match="would unpack to 50,000 MB, above the 500 MB limit"):
        check_input_file(bomb)


def _padded_book(path: Path, megabytes: float) -> Path:
    """A valid workbook made ``megabytes`` large by an incompressible extra part."""
    write_book(path, tiny_sheets())
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/media/photo.bin", hashlib.shake_256(b"x").digest(
            int(megabytes * 1_000_000)))
    return path


def test_file_size_cap_and_its_override(tmp_path, out_folder):
    book = _padded_book(tmp_path / "big.xlsx", 2.5)
    before = folder_state(out_folder)
    refused = run("solve", book, "--max-input-mb", "2", "-o", out_folder / "big_result.xlsx")
    assert refused.exit_code == 3
    assert "big.xlsx: is 2.5 MB, above the 2 MB input limit." in refused.stderr
    assert "--max-input-mb 3" in refused.stderr                   # says how to proceed
    assert folder_state(out_folder) == before
    accepted = run("solve", book, "--max-input-mb", "3", "-o", out_folder / "big_result.xlsx",
                   "--json")
    assert accepted.exit_code == 0, accepted.output
    assert '"objective": 200' in accepted.stdout


def test_limits_in_the_api(tmp_path):
    book = _padded_book(tmp_path / "big.xlsx", 1.2)
    with pytest.raises(InputError, match=r"above the 1 MB input limit"):
        hubopt.load_scenario(book, limits=Limits(max_file_mb=1))
    with pytest.raises(InputError, match=r"would unpack to 1 MB, above the 0.5 MB limit"):
        hubopt.load_scenario(book, limits=Limits(max_file_mb=5, max_unpacked_mb=0.5))
    with pytest.raises(InputError, match=r"has \d+ parts, above the limit of 5"):
        hubopt.load_scenario(book, limits=Limits(max_members=5))
    assert hubopt.read_scenario(book, limits=Limits.for_input_mb(2)).settings.scenario_name == \
        "tiny"
    assert Limits.for_input_mb(80) == Limits(max_file_mb=80, max_unpacked_mb=800)


def test_external_links_are_not_followed_only_noted(tmp_path):
    book = write_book(tmp_path / "linked.xlsx", tiny_sheets())
    with zipfile.ZipFile(book, "a") as archive:
        archive.writestr("xl/externalLinks/externalLink1.xml",
                         '<externalLink xmlns="http://schemas.openxmlformats.org/'
                         'spreadsheetml/2006/main"><externalBook r:id="rId1" xmlns:r="http://'
                         'schemas.openxmlformats.org/officeDocument/2006/relationships"/>'
                         '</externalLink>')
        archive.writestr("xl/externalLinks/_rels/externalLink1.xml.rels",
                         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                         'relationships"><Relationship Id="rId1" Type="http://schemas.'
                         'openxmlformats.org/officeDocument/2006/relationships/externalLinkPath"'
                         ' Target="file:///etc/passwd" TargetMode="External"/></Relationships>')
    validated = hubopt.load_scenario(book)
    assert [str(w) for w in validated.warnings] == [
        "linked.xlsx: links to 1 other workbook(s); hubopt never opens them, so cells that "
        "refer to them hold the values Excel last saved. Paste those cells as values if the "
        "linked workbooks may have changed."]
    assert len(validated.scenario.sites) == 2


def test_a_plain_zip_member_count_over_the_cap_is_refused_before_zipfile_parses(tmp_path,
                                                                               monkeypatch):
    path = write("many_members", tmp_path)

    class Forbidden:
        def __init__(self, *args, **kwargs):
            raise AssertionError("zipfile parsed the directory")
    monkeypatch.setattr(zipfile, "ZipFile", Forbidden)
    with pytest.raises(InputError, match="has 3,015 parts, above the limit of 2,000"):
        check_input_file(path)


@pytest.mark.parametrize("name", ["overlapping_bomb", "xlsm", "encrypted", "csv_renamed"])
def test_map_command_guards_the_result_workbook_it_reads(tmp_path, out_folder, name):
    source = tmp_path / "in"
    source.mkdir()
    path = write(name, source)
    before = folder_state(out_folder)
    result = run("map", path, "-o", out_folder / "map.png")
    assert result.exit_code == 3, result.output
    assert CORPUS[name][2] in result.stderr
    assert folder_state(out_folder) == before


def test_damaged_zip_directory_of_any_kind_is_input_error(tmp_path):
    # found by the long fuzz run: a flipped "version needed" byte made zipfile raise
    # NotImplementedError while reading the directory
    path = write_book(tmp_path / "v.xlsx", tiny_sheets())
    raw = bytearray(path.read_bytes())
    at = raw.rfind(b"PK\x01\x02")               # the last central-directory entry
    raw[at + 6] = 64                             # "version needed to extract" = 6.4
    path.write_bytes(bytes(raw))
    with pytest.raises(InputError, match="is a damaged zip file \\(NotImplementedError: zip "
                                         "file version 6.4\\)"):
        hubopt.load_scenario(path)


@pytest.mark.parametrize("name", ["overlapping_bomb", "legacy_xls"])
def test_compare_guards_the_workbooks_it_reads(tmp_path, out_folder, name):
    source = tmp_path / "in"
    source.mkdir()
    path = write(name, source)
    good = write_book(tmp_path / "good.xlsx", tiny_sheets())
    before = folder_state(out_folder)
    result = run("compare", good, path, "-o", out_folder / "cmp.xlsx")
    assert result.exit_code == 3, result.output
    assert CORPUS[name][2] in result.stderr
    assert folder_state(out_folder) == before


@pytest.mark.parametrize("name", ["overlapping_bomb", "xlsm"])
def test_previous_result_is_guarded_too(tmp_path, out_folder, name):
    source = tmp_path / "in"
    source.mkdir()
    path = write(name, source)
    good = write_book(tmp_path / "good.xlsx", tiny_sheets())
    before = folder_state(out_folder)
    result = run("solve", good, "--previous", path, "-o", out_folder / "r.xlsx")
    assert result.exit_code == 3, result.output
    assert CORPUS[name][2] in result.stderr
    assert folder_state(out_folder) == before
