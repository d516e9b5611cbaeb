"""Put the plan map beside the result workbook and on its ``Map`` sheet.

``<stem>_map.png`` and ``<stem>_map.svg`` are written next to the result
workbook, and the PNG is embedded as a picture on a ``Map`` sheet. Drawing
needs the ``hubopt[map]`` extra (matplotlib, and Pillow for openpyxl's
pictures); without it the result workbook is written without a map and one
warning is logged per process.
"""

from __future__ import annotations

import io
import logging
from importlib.util import find_spec
from pathlib import Path

from .mapdata import MapData

log = logging.getLogger("hubopt")
MAP_SHEET = "Map"
PICTURE_WIDTH_PX = 1200
_warned = False


def map_paths(result_path: str | Path) -> tuple[Path, Path]:
    """``<stem>_map.png`` and ``<stem>_map.svg`` beside the result workbook."""
    path = Path(result_path)
    return path.with_name(f"{path.stem}_map.png"), path.with_name(f"{path.stem}_map.svg")


def can_draw() -> bool:
    """matplotlib and Pillow are installed; otherwise warn once and return False."""
    global _warned
    missing = [name for name, module in (("matplotlib", "matplotlib"), ("Pillow", "PIL"))
               if _missing(module)]
    if not missing:
        return True
    if not _warned:
        log.warning("map: %s not installed, so no map is drawn; "
                    "install the extra with: pip install 'hubopt[map]'", " and ".join(missing))
        _warned = True
    return False


def _missing(module: str) -> bool:
    try:
        return find_spec(module) is None
    except (ImportError, ValueError):
        return True


def map_file_bytes(data: MapData) -> tuple[bytes, bytes]:
    """Render ``data`` once: the PNG and the SVG as bytes, for an atomic write."""
    import io

    from . import mapping

    drawn = mapping.render(data)
    vector = io.BytesIO()
    drawn.figure.savefig(vector, format="svg", dpi=drawn.figure.dpi)
    return mapping.png_bytes(drawn), vector.getvalue()


def draw_map_files(data: MapData, png: Path, svg: Path | None = None) -> bytes:
    """Render ``data``, write the PNG (and SVG), return the PNG bytes."""
    from . import mapping

    drawn = mapping.render(data)
    png_bytes = mapping.png_bytes(drawn)
    png.parent.mkdir(parents=True, exist_ok=True)
    png.write_bytes(png_bytes)
    if svg is not None:
        mapping.save(drawn, svg)
    return png_bytes


def add_map_sheet(book, png_bytes: bytes, note: str, position: int = 1) -> None:
    """A ``Map`` sheet holding the PNG as a picture, scaled to PICTURE_WIDTH_PX wide."""
    from openpyxl.drawing.image import Image
    from openpyxl.utils import get_column_letter

    from ..files.xlsx import set_value

    sheet = book.create_sheet(MAP_SHEET, position)
    set_value(sheet["A1"], note)
    picture = Image(io.BytesIO(png_bytes))
    scale = PICTURE_WIDTH_PX / picture.width
    picture.width, picture.height = PICTURE_WIDTH_PX, round(picture.height * scale)
    sheet.add_image(picture, "A3")
    # printers size a page by its cells, not its pictures: cover the picture with cells
    # (default column 64 px, row 20 px) so that it prints whole, on one page
    columns, rows = -(-picture.width // 64), -(-picture.height // 20)
    sheet.print_area = f"A1:{get_column_letter(columns)}{rows + 3}"
