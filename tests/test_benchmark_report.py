"""The published-optima page is built from stored per-instance rows (benchmarks/run.py)."""

from __future__ import annotations

from benchmarks.__main__ import KEPT, _kept_sections
from benchmarks.run import published_markdown, store_result, stored_results


def _row(key, status, objective, published, matches, seconds):
    return {"instance": key, "status": status, "objective": objective, "published": published,
            "matches": matches, "bound_gap": 0.0 if status == "optimal" else 0.0016,
            "build_seconds": 0.1, "solve_seconds": seconds, "peak_mb": 200.0}


def test_rows_round_trip_and_page_lists_every_instance(tmp_path):
    store_result(_row("cap41", "optimal", 1040444.375, 1040444.375, True, 0.5), tmp_path)
    store_result(_row("yang-p7", "time_limit", 29730.0, 29704.0, False, 900.1), tmp_path)
    stored = stored_results(["cap41", "yang-p7", "yang-p12"], tmp_path)
    assert sorted(stored) == ["cap41", "yang-p7"]
    assert stored["yang-p7"]["objective"] == 29730.0
    assert not list(tmp_path.glob("*.tmp"))             # written through a renamed temporary

    page = published_markdown({"Large": ("cap41", "yang-p7", "yang-p12")}, stored, "cmd")
    lines = page.splitlines()
    assert "## Large set: 1 of 3 published optima reproduced, 1 proven optimal" in lines
    assert ("| yang-p7 | time_limit | 29730.000 | 29704.000 | NO | 0.16% | 0.10 | 900.10 | 200 |"
            in lines)
    assert "| yang-p12 | not run | – | – | – | – | – | – | – |" in lines
    assert "2 of 3 run, 901 solve seconds in all." in lines


def test_hand_written_sections_survive_regeneration():
    old = "# Theatre\n\n| table |\n\n## Where the time goes\n\nroot LP 458 s\n"
    assert _kept_sections(old, KEPT["theatre"]) == "\n## Where the time goes\n\nroot LP 458 s\n"
    assert _kept_sections("# no notes\n", KEPT["published"]) == ""
