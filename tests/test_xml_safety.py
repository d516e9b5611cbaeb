"""openpyxl parses workbooks through defusedxml when it is installed; these
tests show that it is, and that a crafted workbook is refused as bad input."""

from __future__ import annotations

import zipfile

import defusedxml.common
import openpyxl.xml
import pytest
from workbooks import tiny_sheets, write_book

import hubopt
from hubopt.errors import InputError

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData>
</worksheet>"""


def test_openpyxl_uses_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True


def _replace_member(path, member: str, text: str) -> None:
    with zipfile.ZipFile(path) as source:
        items = {name: source.read(name) for name in source.namelist()}
    items[member] = text.encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in items.items():
            target.writestr(name, data)


@pytest.mark.parametrize("payload", [
    BILLION_LAUGHS,
    BILLION_LAUGHS.replace('<!ENTITY lol "lol">', '<!ENTITY lol SYSTEM "file:///etc/passwd">'),
])
def test_entity_expansion_is_refused_as_bad_input(tmp_path, payload):
    book = write_book(tmp_path / "evil.xlsx", tiny_sheets())
    with zipfile.ZipFile(book) as archive:
        member = next(n for n in archive.namelist() if n.startswith("xl/worksheets/sheet"))
    _replace_member(book, member, payload)
    with pytest.raises(InputError, match="cannot be read as a workbook") as caught:
        hubopt.load_scenario(book)
    causes, error = [], caught.value
    while error is not None:
        causes.append(type(error))
        error = error.__cause__ or error.__context__
    assert defusedxml.common.EntitiesForbidden in causes   # refused by defusedxml itself
