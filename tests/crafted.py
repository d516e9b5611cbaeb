"""A corpus of crafted bad input files, generated on demand (no binaries in git).

Each ``CORPUS`` entry writes one hostile or broken file into a folder and
names the words the refusal must contain. ``python tests/crafted.py DIR``
writes the whole corpus to DIR, to try the files by hand or with other tools.

The bombs are built directly, so they stay small on disk and quick to make:
``overlapping_bomb`` is one 50 MB run of zeros, deflated once (about 50 kB),
that 1,000 directory entries point at (50 GB declared); ``lying_bomb`` is a
worksheet that inflates to 20 MB while the zip directory says 1 kB.
"""

from __future__ import annotations

import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from workbooks import tiny_sheets, write_book

from hubopt.inputs.guard import CFB_MAGIC


def _valid(path: Path) -> Path:
    return write_book(path, tiny_sheets())


def _with_member(path: Path, name: str, data: bytes) -> Path:
    _valid(path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return path


def overlapping_bomb(path: Path, members: int = 1000, member_mb: int = 50) -> Path:
    """Many central-directory entries sharing one deflated run of zeros."""
    size = member_mb * 1_000_000
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = bytes(1_000_000)
    data = b"".join(packer.compress(block) for _ in range(member_mb)) + packer.flush()
    crc = 0
    for _ in range(member_mb):
        crc = zlib.crc32(block, crc)
    name = b"xl/worksheets/sheet1.xml"
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), size,
                        len(name), 0) + name
    directory = b""
    for index in range(members):
        entry = name if index == 0 else f"xl/worksheets/sheet{index + 1}.xml".encode()
        directory += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc,
                                 len(data), size, len(entry), 0, 0, 0, 0, 0, 0) + entry
    offset = len(local) + len(data)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, members, members, len(directory),
                      offset, 0)
    path.write_bytes(local + data + directory + end)
    return path


def lying_bomb(path: Path, inflated_mb: int = 20) -> Path:
    """A valid workbook whose first sheet inflates to ``inflated_mb`` MB although the
    zip directory (and local header) claim 1,000 bytes."""
    _valid(path)
    with zipfile.ZipFile(path) as source:
        items = [(info, source.read(info.filename)) for info in source.infolist()]
    target = "xl/worksheets/sheet1.xml"
    padding = b" " * (inflated_mb * 1_000_000)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in items:
            if info.filename == target:
                data = data.replace(b"<sheetData>", b"<sheetData>" + padding, 1)
            archive.writestr(info.filename, data)
    raw = bytearray(path.read_bytes())
    name = target.encode()
    at = raw.find(b"PK")
    while at >= 0:  # patch the local header (size at +22) and the directory entry (+24)
        if raw[at:at + 4] == b"PK\x03\x04" and raw[at + 30:at + 30 + len(name)] == name:
            raw[at + 22:at + 26] = struct.pack("<L", 1000)
        if raw[at:at + 4] == b"PK\x01\x02" and raw[at + 46:at + 46 + len(name)] == name:
            raw[at + 24:at + 28] = struct.pack("<L", 1000)
        at = raw.find(b"PK", at + 1)
    path.write_bytes(bytes(raw))
    return path


def many_members(path: Path, count: int = 3000) -> Path:
    _valid(path)
    with zipfile.ZipFile(path, "a") as archive:
        for index in range(count):
            archive.writestr(f"xl/media/p{index}.bin", b"")
    return path


def compound_file(path: Path, stream: str) -> Path:
    """An OLE2 compound file header and a directory entry naming ``stream``."""
    header = CFB_MAGIC + bytes(16) + struct.pack("<HH", 0x3E, 3) + bytes(482)
    entry = stream.encode("utf-16-le").ljust(64, b"\0") + bytes(64)
    path.write_bytes(header + entry + bytes(512))
    return path


def truncated(path: Path) -> Path:
    data = _valid(path).read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def office_zip(path: Path, member: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, b"\0\1\2")
    return path


# name -> (writer(path), file name, words the refusal must contain)
CORPUS: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    "empty": (lambda p: (p.write_bytes(b""), p)[1], "empty.xlsx", "is empty"),
    "csv_renamed": (lambda p: (p.write_text("site_id;country\nA;POL\n"), p)[1], "sites.xlsx",
                    "is a text (CSV) file"),
    "utf16_csv": (lambda p: (p.write_bytes("site_id\tcountry\nA\tPOL\n".encode("utf-16")),
                             p)[1], "export.xlsx", "is a text (CSV) file"),
    "html_as_xls": (lambda p: (p.write_text("<html><table><tr><td>A</td></tr></table></html>"),
                               p)[1], "report.xls", "is a web page (HTML)"),
    "xml_2003": (lambda p: (p.write_text('<?xml version="1.0"?><Workbook/>'), p)[1],
                 "old.xml.xlsx", "is an XML file"),
    "random_bytes": (lambda p: (p.write_bytes(bytes(range(256)) * 4), p)[1], "noise.xlsx",
                     "content is not a zip file"),
    "encrypted": (lambda p: compound_file(p, "EncryptionInfo"), "locked.xlsx",
                  "is password-protected"),
    "legacy_xls": (lambda p: compound_file(p, "Workbook"), "legacy.xls",
                   "Excel 97-2003 (.xls)"),
    "xlsb": (lambda p: office_zip(p, "xl/workbook.bin"), "binary.xlsb",
             "binary Excel workbook (.xlsb)"),
    "docx": (lambda p: office_zip(p, "word/document.xml"), "letter.xlsx",
             "is a Word document"),
    "xlsm": (lambda p: _with_member(p, "xl/vbaProject.bin", b"\0" * 64), "macro.xlsm",
             "macro-enabled workbook"),
    "xlsm_renamed": (lambda p: _with_member(p, "xl/vbaProject.bin", b"\0" * 64),
                     "macro.xlsx", "macro-enabled workbook"),
    "truncated": (truncated, "cut.xlsx", "damaged zip"),
    "many_members": (many_members, "parts.xlsx", "3,0"),
    "overlapping_bomb": (overlapping_bomb, "bomb.xlsx", "would unpack to 50,000 MB"),
    "ratio_bomb": (lambda p: _with_member(p, "xl/media/pad.bin", bytes(20_000_000)),
                   "ratio.xlsx", "a zip bomb"),
    "lying_bomb": (lying_bomb, "liar.xlsx", "cannot be read as a workbook"),
}


def write(name: str, folder: Path) -> Path:
    """Write corpus entry ``name`` into ``folder`` and return its path."""
    writer, file_name, _ = CORPUS[name]
    return writer(folder / file_name)


if __name__ == "__main__":  # python tests/crafted.py DIR
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for entry in CORPUS:
        (out / entry).mkdir(exist_ok=True)
        print(write(entry, out / entry))
