"""Benchmarks: ``python -m benchmarks published|theatre ...`` (see docs/benchmarks.md).

    python -m benchmarks published --set small        # → docs/benchmarks.md
    python -m benchmarks published --set large --time-limit 900
    python -m benchmarks published --report           # rewrite the page from stored rows
    python -m benchmarks theatre --scales 0.25,0.5,1  # → docs/theatre.md
    python -m benchmarks handoff --scales 0.25,0.5,1  # → docs/profile.md (build + hand-off)
    python -m benchmarks inequality --only cap131 capa-8000   # with/without, to stdout

Not part of the test suite: the small set takes minutes, the large set hours.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from benchmarks import handoff as handoff_profile
from benchmarks.run import (
    LARGE,
    SETS,
    SMALL,
    isolated,
    profile_theatre,
    published_markdown,
    run_published,
    stored_results,
    theatre_markdown,
)

DOCS = Path(__file__).resolve().parents[1] / "docs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    published = commands.add_parser("published", help="reproduce published optima")
    published.add_argument("--set", choices=sorted(SETS), default="small")
    published.add_argument("--only", nargs="+", help="instance keys, e.g. cap41 capa-8000")
    published.add_argument("--time-limit", type=float, default=3600.0)
    published.add_argument("--threads", type=int, default=0,
                           help="HiGHS threads (0: HiGHS's default, every core)")
    published.add_argument("--report", action="store_true",
                           help="only rewrite the page from the stored results")
    published.add_argument("-o", "--output", type=Path, default=DOCS / "benchmarks.md")
    theatre = commands.add_parser("theatre", help="stage profile of theatre-scale runs")
    theatre.add_argument("--scales", default="0.25,0.5,1,2")
    theatre.add_argument("--time-limit", type=float, default=600.0)
    theatre.add_argument("--mip-gap", type=float, default=0.005)
    theatre.add_argument("--memory-budget-mb", type=float, default=16_000.0,
                         help="refuse models estimated above this (hubopt's default: 4000)")
    theatre.add_argument("--strong-links", default="auto",
                         type=lambda v: int(v) if v.isdigit() else v,
                         help="auto (hubopt's default), all, or arcs per demand row: which "
                              "strong_link rows HiGHS gets")
    theatre.add_argument("--threads", type=int, default=0,
                         help="HiGHS threads (0: the scenario's setting, HiGHS's default)")
    theatre.add_argument("-o", "--output", type=Path, default=DOCS / "theatre.md")
    handoff = commands.add_parser("handoff", help="build + hand-off to HiGHS, µs per non-zero")
    handoff.add_argument("--scales", default="0.25,0.5,1")
    handoff.add_argument("--repeat", type=int, default=3)
    handoff.add_argument("-o", "--output", type=Path, default=DOCS / "profile.md")
    inequality = commands.add_parser("inequality",
                                     help="aggregate_capacity on and off: nodes and seconds")
    inequality.add_argument("--only", nargs="+", required=True, help="instance keys")
    inequality.add_argument("--time-limit", type=float, default=300.0)
    args = parser.parse_args(argv)
    command = "python -m benchmarks " + shlex.join(sys.argv[1:] if argv is None else argv)

    if args.command == "inequality":
        from benchmarks.inequality import compare, markdown
        rows = compare(args.only, args.time_limit, log=lambda m: print(m, file=sys.stderr))
        print(markdown(rows, command))
        return 0
    if args.command == "published":
        if not args.report:
            run_published(args.only or SETS[args.set], args.time_limit,
                          log=lambda m: print(m, file=sys.stderr), threads=args.threads)
        pages = {"Small": SMALL, "Large": LARGE}
        text = published_markdown(pages, stored_results(SMALL + LARGE),
                                  "python -m benchmarks published --set small|large")
    elif args.command == "handoff":
        rows = handoff_profile.profile([float(s) for s in args.scales.split(",")],
                                       args.repeat, log=lambda m: print(m, file=sys.stderr))
        table = handoff_profile.markdown(rows, command)
        old = args.output.read_text() if args.output.exists() else ""
        begin, end = "<!-- handoff table -->", "<!-- end handoff table -->"
        if begin in old and end in old:      # keep the prose around the generated table
            text = old[:old.index(begin) + len(begin)] + "\n" + table + old[old.index(end):]
        else:
            text = f"# Build and hand-off profile\n\n{begin}\n{table}{end}\n"
    else:
        rows = []
        for scale in (float(s) for s in args.scales.split(",")):
            row = isolated(profile_theatre, scale, args.time_limit, args.mip_gap,
                           args.memory_budget_mb, args.strong_links, args.threads)
            print(f"scale {scale:g}: {row['status']} total {row['total']:.1f} s, "
                  f"peak {row['peak_mb']:.0f} MB", file=sys.stderr)
            rows.append(row)
        text = theatre_markdown(rows, command)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.command in KEPT and args.output.exists():
        text += _kept_sections(args.output.read_text(), KEPT[args.command])
    args.output.write_text(text)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


# the heading from which a page's hand-written sections start; kept when the tables are rewritten
KEPT = {"published": "\n## Notes on the runs", "theatre": "\n## Where the time goes"}


def _kept_sections(old: str, heading: str) -> str:
    """The sections of a generated page written by hand or by another command
    (from ``heading`` on), kept when its tables are regenerated."""
    at = old.find(heading)
    return old[at:] if at >= 0 else ""


if __name__ == "__main__":
    sys.exit(main())
