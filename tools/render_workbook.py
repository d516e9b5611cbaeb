"""Render a workbook as a planner sees it, and check that it prints cleanly.

    python tools/render_workbook.py WORKBOOK [--png-dir DIR] [--sheet NAME ...]
                                    [--max-pages N] [--resolution DPI]
                                    [--max-height PIXELS]

Three checks, each printed, exit status 1 when one fails:

1. Row heights (openpyxl only): every cell with wrapped text sits in a row at
   least as tall as its text needs. The need is estimated from the text and the
   width of the column (or merged range) it is in: a character is taken as one
   width unit (the width of a "0", wider than most letters), a line as 15 pt
   for an 11 pt font, and every line break starts a new line. A row with no
   height of its own is 15 pt tall in Excel, which does not grow it on opening.
2. Print setup (openpyxl only): every visible sheet prints fitted to one page
   wide.
3. Pages (LibreOffice): the workbook is converted to PDF headless and its pages
   counted against ``--max-pages``.

Each ``--sheet`` is also drawn to ``<stem>_<sheet>.png`` in ``--png-dir``
(default: here): the sheet whole on one page (LibreOffice's "single page
sheets" export), its top ``--max-height`` pixels. Needs LibreOffice
(``soffice``) and poppler (``pdftoppm``, ``pdfinfo``),
e.g. ``apt-get install libreoffice-calc poppler-utils``.
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

LINE_POINTS = 15.0     # one line of 11 pt text
DEFAULT_WIDTH = 8.43   # Excel's default column width, in characters
DEFAULT_HEIGHT = 15.0  # Excel's default row height, in points


def column_width(sheet, column: int) -> float:
    width = sheet.column_dimensions[get_column_letter(column)].width
    return width if width else DEFAULT_WIDTH


def lines_needed(text: str, width: float) -> int:
    """Lines the text wraps to in a cell ``width`` characters wide (one width unit
    per character, a little lost to the cell margins)."""
    usable = max(width - 1.0, 1.0)
    return sum(max(1, math.ceil(len(part) / usable)) for part in text.split("\n"))


def crowded_rows(book) -> list[str]:
    """One line per row too short for its wrapped text: sheet, row, cell, need, height."""
    problems = []
    for sheet in book.worksheets:
        if sheet.sheet_state != "visible":
            continue
        spans = {(r.min_row, r.min_col): (r.min_col, r.max_col) for r in sheet.merged_cells.ranges}
        for row in sheet.iter_rows():
            for cell in row:
                if not isinstance(cell.value, str) or not cell.alignment.wrap_text:
                    continue
                first, last = spans.get((cell.row, cell.column), (cell.column, cell.column))
                width = sum(column_width(sheet, c) for c in range(first, last + 1))
                need = LINE_POINTS * lines_needed(cell.value, width)
                height = sheet.row_dimensions[cell.row].height or DEFAULT_HEIGHT
                if height + 0.5 < need:
                    problems.append(f"{sheet.title}!{cell.coordinate}: text needs {need:.0f} pt, "
                                    f"row is {height:.0f} pt")
    return problems


def unfitted_sheets(book) -> list[str]:
    """Visible sheets that do not print fitted to one page wide."""
    return [sheet.title for sheet in book.worksheets
            if sheet.sheet_state == "visible"
            and not (sheet.sheet_properties.pageSetUpPr is not None
                     and sheet.sheet_properties.pageSetUpPr.fitToPage
                     and sheet.page_setup.fitToWidth == 1)]


SINGLE_PAGE_SHEETS = 'pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}'


def to_pdf(workbook: Path, folder: Path, single_page_sheets: bool = False) -> Path:
    """``workbook`` converted to PDF in ``folder`` by LibreOffice headless: as printed,
    or with each visible sheet on one page of its own (in sheet order)."""
    subprocess.run(["soffice", "--headless", "--norestore", "--convert-to",
                    SINGLE_PAGE_SHEETS if single_page_sheets else "pdf",
                    "--outdir", str(folder), str(workbook)],
                   check=True, capture_output=True, timeout=300)
    return folder / (workbook.stem + ".pdf")


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE).group(1))


def sheet_pngs(workbook: Path, book, names: list[str], folder: Path, resolution: int,
               max_height: int) -> list[Path]:
    """Each named sheet drawn whole (its top ``max_height`` pixels) as
    ``<stem>_<sheet>.png`` in ``folder``."""
    visible = [s.title for s in book.worksheets if s.sheet_state == "visible"]
    folder.mkdir(parents=True, exist_ok=True)
    drawn = []
    with tempfile.TemporaryDirectory() as scratch:
        pdf = to_pdf(workbook, Path(scratch), single_page_sheets=True)
        for name in names:
            page = visible.index(name) + 1
            target = folder / f"{workbook.stem}_{name.lower()}"
            subprocess.run(["pdftoppm", "-png", "-r", str(resolution), "-f", str(page),
                            "-l", str(page), "-x", "0", "-y", "0", "-W", "100000",
                            "-H", str(max_height), "-singlefile", str(pdf), str(target)],
                           check=True, capture_output=True, timeout=120)
            drawn.append(target.with_suffix(".png"))
    return drawn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("--png-dir", type=Path)
    parser.add_argument("--sheet", action="append", default=[])
    parser.add_argument("--max-pages", type=int)
    parser.add_argument("--resolution", type=int, default=70, help="dots per inch")
    parser.add_argument("--max-height", type=int, default=900,
                        help="pixels of each sheet drawn, from its top")
    args = parser.parse_args(argv)

    book = load_workbook(args.workbook)
    failed = False
    crowded = crowded_rows(book)
    print(f"row heights: {len(crowded)} row(s) too short for their wrapped text")
    for line in crowded:
        print("  " + line)
    unfitted = unfitted_sheets(book)
    print(f"print setup: {len(unfitted)} sheet(s) not fitted to one page wide"
          + (": " + ", ".join(unfitted) if unfitted else ""))
    failed |= bool(crowded or unfitted)

    if shutil.which("soffice") is None:
        print("pages: not counted (LibreOffice soffice not found)")
        return int(failed)
    with tempfile.TemporaryDirectory() as scratch:
        pages = page_count(to_pdf(args.workbook, Path(scratch)))
    over = args.max_pages is not None and pages > args.max_pages
    print(f"pages: {pages}" + (f" (at most {args.max_pages})" if args.max_pages else "")
          + (" TOO MANY" if over else ""))
    failed |= over
    missing = [name for name in args.sheet if name not in book.sheetnames]
    for name in missing:
        print(f"sheet {name!r} not in {args.workbook.name}")
    failed |= bool(missing)
    wanted = [name for name in args.sheet if name not in missing]
    if wanted:
        for path in sheet_pngs(args.workbook, book, wanted, args.png_dir or Path("."),
                               args.resolution, args.max_height):
            print(f"drew {path}")
    return int(failed)


if __name__ == "__main__":
    sys.exit(main())
