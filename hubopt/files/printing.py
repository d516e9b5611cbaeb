"""Page setup shared by every workbook hubopt writes, so each prints cleanly.

- Rows tall enough for their wrapped text. Excel keeps a row at its default
  15 pt unless told otherwise (it never grows merged cells), so wrapped text
  would overprint the next row. The height is estimated from the text and the
  width of its column or merged range: one character per width unit (a width
  unit is the width of a "0", wider than most letters, so the estimate errs
  tall) and 15 pt per line of 11 pt text, every line break starting a line.
  A row made taller aligns its other cells at the top, beside the text's first
  line.
- Landscape, scaled to one page wide (as many pages down as needed), with the
  frozen header rows repeated on every page.
"""

from __future__ import annotations

import math

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_from_string

LINE_POINTS = 15.0     # one line of 11 pt text
DEFAULT_WIDTH = 8.43   # Excel's default column width, in characters
MAX_ROW_POINTS = 409.0  # Excel's largest row height
WRAP = Alignment(wrap_text=True, vertical="top")  # wrapped text, from the top of its row


def text_lines(text: str, width: float) -> int:
    """Lines ``text`` wraps to in a cell ``width`` characters wide."""
    usable = max(width - 1.5, 1.0)  # the cell's margins
    return sum(max(1, math.ceil(len(part) / usable)) for part in text.split("\n"))


def fit_wrapped_rows(sheet) -> None:
    """Give every row holding wrapped text at least the height that text needs."""
    widths: dict[int, float] = {}

    def width(column: int) -> float:
        if column not in widths:
            widths[column] = sheet.column_dimensions[get_column_letter(column)].width \
                or DEFAULT_WIDTH
        return widths[column]

    spans = {(r.min_row, r.min_col): r.max_col for r in sheet.merged_cells.ranges}
    needs: dict[int, float] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if not isinstance(cell.value, str) or not cell.has_style \
                    or not cell.alignment.wrap_text:
                continue
            last = spans.get((cell.row, cell.column), cell.column)
            span = sum(width(c) for c in range(cell.column, last + 1))
            need = LINE_POINTS * text_lines(cell.value, span)
            needs[cell.row] = max(needs.get(cell.row, 0.0), need)
    for row, need in needs.items():
        current = sheet.row_dimensions[row].height or LINE_POINTS
        if need > current:
            sheet.row_dimensions[row].height = min(need, MAX_ROW_POINTS)
            for cell in sheet[row]:  # the row's other cells beside the top of its text
                if cell.value is not None and cell.alignment.vertical is None:
                    cell.alignment = Alignment(horizontal=cell.alignment.horizontal,
                                               vertical="top")


def header_rows(sheet) -> int:
    """Rows above the frozen pane (the header rows to repeat), 0 when none is frozen."""
    if not sheet.freeze_panes:
        return 0
    _, row = coordinate_from_string(sheet.freeze_panes)
    return row - 1


def print_one_page_wide(sheet, header_rows: int = 1) -> None:
    """Print landscape, scaled to one page wide (as many pages down as needed), the
    first ``header_rows`` rows repeated on every page."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if header_rows and sheet.max_row > header_rows:
        sheet.print_title_rows = f"1:{header_rows}"


def print_ready(book) -> None:
    """Fit wrapped rows and set up printing on every worksheet of ``book``."""
    for sheet in book.worksheets:
        fit_wrapped_rows(sheet)
        print_one_page_wide(sheet, header_rows(sheet))
