"""Look at an input file before any parser does: refuse what hubopt must not open.

Called by :func:`hubopt.reader.read_workbook` before openpyxl sees the file.
Every check reads only the file's first bytes, its zip directory or a bounded
stream, so a hostile file costs at most the caps below in time and memory:

=====================  ===========================  ====================================
check                  default cap (``Limits``)      why
=====================  ===========================  ====================================
file size              50 MB (``max_file_mb``)        bounds every later step
zip members            2,000 (``max_members``)        read from the end-of-directory
                                                      record *before* Python's zipfile
                                                      builds one object per member
total unpacked size    500 MB (``max_unpacked_mb``)   zip bombs, incl. overlapping-entry
                                                      bombs; Python's zipfile never
                                                      inflates a member past its
                                                      declared size, so a directory
                                                      that lies only truncates (CRC
                                                      error), it cannot exceed the cap
compression ratio      100 : 1 per member above       small bombs with a specific
                       10 MB (``max_ratio``)          message (Apache POI's rule)
=====================  ===========================  ====================================

Refused with a message that says what to do instead: an empty file; an OLE
compound file (a password-encrypted workbook, or a legacy ``.xls``); text
(CSV, HTML or XML saved under an Excel name); any other non-zip file; a zip
that is not an Excel workbook (``.docx``, a plain archive); a binary ``.xlsb``
workbook; a macro-enabled workbook (``vbaProject.bin``, ``.xlsm``); a zip with
encrypted members. Links to other workbooks are never followed (openpyxl
never fetches them and the reader opens with ``keep_links=False``); a
workbook that has them gets a warning, as their cells hold the values Excel
last saved. XML entity attacks are defusedxml's job, in force whenever it is
installed (a dependency; see ``tests/test_xml_safety.py``).
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from ..errors import InputError, Issue

MB = 1_000_000
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # OLE2 compound file: .xls, encrypted .xlsx
RATIO_GRACE_BYTES = 10 * MB  # members smaller than this unpacked are never ratio-checked
_SAVE_AS = "Open it in Excel and save it as 'Excel Workbook (*.xlsx)'."


@dataclass(frozen=True)
class Limits:
    """Caps on an input workbook; raise them for genuinely large inputs.

    ``max_file_mb`` the file on disk (MB = 10⁶ bytes); ``max_unpacked_mb`` the
    sum of the zip members' unpacked sizes; ``max_members`` the number of zip
    members; ``max_ratio`` unpacked/packed size of any member above 10 MB.
    """

    max_file_mb: float = 50.0
    max_unpacked_mb: float = 500.0
    max_members: int = 2_000
    max_ratio: float = 100.0

    @classmethod
    def for_input_mb(cls, megabytes: float) -> Limits:
        """Limits for files up to ``megabytes`` that unpack to at most ten times that
        (what ``--max-input-mb`` sets); member count and ratio caps as default."""
        return cls(max_file_mb=megabytes, max_unpacked_mb=10 * megabytes)


def check_input_file(path: Path, limits: Limits | None = None) -> list[Issue]:
    """Refuse ``path`` (InputError) unless it looks like a plain .xlsx within ``limits``.

    Returns warnings about a file that is accepted (links to other workbooks).
    """
    limits = limits or Limits()
    size = path.stat().st_size
    if size > limits.max_file_mb * MB:  # MB = 10⁶ bytes throughout
        _refuse(path, f"is {size / MB:,.1f} MB, above the {limits.max_file_mb:g} MB input "
                      "limit.",
                f"If the workbook is genuinely this large, raise the limit with "
                f"--max-input-mb {_round_up(size / MB)} (Python: "
                f"limits=Limits.for_input_mb({_round_up(size / MB)})).")
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if not head:
        _refuse(path, "is empty (0 bytes).", "Give the .xlsx input workbook.")
    if head.startswith(CFB_MAGIC):
        _refuse_compound_file(path)
    if not head.startswith(b"PK"):
        _refuse_non_zip(path, head)
    members = _zip_member_count(path)
    if members is not None and members > limits.max_members:
        _refuse(path, f"has {members:,} parts, above the limit of {limits.max_members:,}; "
                      "an Excel workbook has a few dozen.", _SAVE_AS)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except Exception as exc:  # noqa: BLE001 - zipfile raises many types for a damaged file
        _refuse(path, f"is a damaged zip file ({type(exc).__name__}: {exc}).", _SAVE_AS)
    return _check_members(path, infos, limits)


def _check_members(path: Path, infos: list[zipfile.ZipInfo], limits: Limits) -> list[Issue]:
    if len(infos) > limits.max_members:
        _refuse(path, f"has {len(infos):,} parts, above the limit of {limits.max_members:,}.",
                _SAVE_AS)
    unpacked = sum(info.file_size for info in infos)
    if unpacked > limits.max_unpacked_mb * MB:
        _refuse(path, f"would unpack to {unpacked / MB:,.0f} MB, above the "
                      f"{limits.max_unpacked_mb:g} MB limit (a zip bomb, or a very large "
                      "workbook).",
                "If the workbook is genuinely this large, raise the limit with "
                f"--max-input-mb {_round_up(unpacked / MB / 10)}.")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_GRACE_BYTES and ratio > limits.max_ratio:
            _refuse(path, f"part '{_shown(info.filename)}' unpacks {ratio:,.0f} times its "
                          f"packed size (limit {limits.max_ratio:g}): a zip bomb.", _SAVE_AS)
        if info.flag_bits & 0x1:
            _refuse(path, "has encrypted parts.",
                    "Remove the password in Excel and save it again as .xlsx.")
    names = {info.filename.lower() for info in infos}
    if "xl/workbook.bin" in names:
        _refuse(path, "is a binary Excel workbook (.xlsb).", _SAVE_AS)
    if any(name.endswith("vbaproject.bin") for name in names) or path.suffix.lower() in (
            ".xlsm", ".xltm"):
        _refuse(path, "is a macro-enabled workbook (.xlsm). hubopt never runs macros and does "
                      "not accept files that carry them.",
                "Open it in Excel and save it as 'Excel Workbook (*.xlsx)', which removes "
                "the macros.")
    if "xl/workbook.xml" not in names:
        kind = ("a Word document" if "word/document.xml" in names else
                "a PowerPoint file" if "ppt/presentation.xml" in names else
                "a zip archive")
        _refuse(path, f"is {kind}, not an Excel workbook.", "Give the .xlsx input workbook.")
    links = sorted(n for n in names if n.startswith("xl/externallinks/") and n.endswith(".xml"))
    if links:
        return [Issue("warning", path.name,
                      f"links to {len(links)} other workbook(s); hubopt never opens them, so "
                      "cells that refer to them hold the values Excel last saved.",
                      "Paste those cells as values if the linked workbooks may have changed.")]
    return []


def _zip_member_count(path: Path) -> int | None:
    """The member count from the end-of-central-directory record (zip64 aware),
    read without parsing the directory; None when no record is found."""
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 65_557))  # the record (22 bytes) + the longest comment
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    count = struct.unpack("<H", tail[at + 10:at + 12])[0]
    locator = at - 20
    if count == 0xFFFF and locator >= 0 and tail[locator:locator + 4] == b"PK\x06\x07":
        offset = struct.unpack("<Q", tail[locator + 8:locator + 16])[0]
        with open(path, "rb") as handle:
            handle.seek(offset)
            record = handle.read(56)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            count = struct.unpack("<Q", record[32:40])[0]
    return count


def _refuse_compound_file(path: Path) -> NoReturn:
    """An OLE2 container: Excel keeps an encrypted .xlsx in one (with an
    ``EncryptionInfo`` stream); otherwise it is a legacy binary file (.xls)."""
    needle = "EncryptionInfo".encode("utf-16-le")
    with open(path, "rb") as handle:
        data = handle.read(min(8 * MB, path.stat().st_size))  # the directory comes early
    if needle in data:
        _refuse(path, "is password-protected (encrypted); hubopt cannot read it.",
                "Remove the password in Excel (File > Info > Protect Workbook > Encrypt "
                "with Password, clear it) and save it as .xlsx.")
    _refuse(path, "is an Excel 97-2003 (.xls) or other legacy Office file, not an .xlsx "
                  "workbook.", _SAVE_AS)


def _refuse_non_zip(path: Path, head: bytes) -> NoReturn:
    text = _as_text(head)
    if text is not None:
        stripped = text.lstrip().lower()
        if stripped.startswith(("<!doctype html", "<html", "<table")):
            _refuse(path, "is a web page (HTML) saved under a spreadsheet name, not an .xlsx "
                          "workbook.", _SAVE_AS)
        if stripped.startswith("<"):
            _refuse(path, "is an XML file (perhaps an Excel 2003 XML spreadsheet), not an "
                          ".xlsx workbook.", _SAVE_AS)
        if any(mark in text for mark in (",", ";", "\t")):
            _refuse(path, "is a text (CSV) file, not an .xlsx workbook.",
                    "Open it in Excel and save it as 'Excel Workbook (*.xlsx)'; hubopt reads "
                    "one workbook with a sheet per table.")
        _refuse(path, "is a text file, not an .xlsx workbook.", _SAVE_AS)
    _refuse(path, "is not an Excel .xlsx workbook (its content is not a zip file).",
            "Save it from Excel as 'Excel Workbook (*.xlsx)'.")


def _as_text(head: bytes) -> str | None:
    """``head`` decoded when it is plausibly text (UTF-8, UTF-16 with a BOM, or Latin-1
    without control bytes), else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # a multi-byte character cut at the end of the sample, or a one-byte encoding
        try:
            text = head[:-4].decode("utf-8") if len(head) > 4 else head.decode("latin-1")
        except UnicodeDecodeError:
            text = head.decode("latin-1")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    return text.lstrip("\ufeff") if controls == 0 else None


def _refuse(path: Path, message: str, fix: str) -> NoReturn:
    raise InputError([Issue("error", path.name, message, fix)])


def _shown(name: str) -> str:
    return name if len(name) <= 60 else name[:57] + "..."


def _round_up(megabytes: float) -> int:
    return int(megabytes) + 1
