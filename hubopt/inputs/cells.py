"""Turn one raw cell value into a typed value, per SPEC §2's general rules.

Each parser returns the typed value or raises :class:`CellProblem` whose text
completes the sentence "<sheet!cell> <column>: '<value>' ..." — e.g.
``is not a number``. Bounds are checked here too, so that a message can say
exactly what was expected.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from typing import Any

from .reader import ExcelError, Formula
from .schema import NO_WORDS, YES_WORDS, Column

_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
# Text such as '4.000' or '1.234.567': a continental thousands separator or a decimal
# point? Read as typed it is 1000 times too small (or large); refused, never guessed.
_SEPARATED_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([.,]\d{3})+$")
_COUNTRY_CODE = re.compile(r"^[A-Z]{3}$")


MAX_ID_LENGTH = 200  # characters; ids name model components, LP rows and result cells


class CellProblem(ValueError):
    """A cell value that does not fit its column; ``str()`` is the reason and
    ``fix`` (when given) what to do instead of the column's usual expectation."""

    def __init__(self, reason: str, fix: str = ""):
        super().__init__(reason)
        self.fix = fix


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse(column: Column, value: Any) -> Any:
    """The typed value of ``value`` for ``column``; blank gives the column default."""
    if is_blank(value):
        return column.default
    if isinstance(value, Formula):
        raise CellProblem("is a formula with no saved value",
                          "Open the workbook in Excel and save it, so that the value is "
                          "calculated and saved, or type the value itself.")
    if isinstance(value, ExcelError):
        raise CellProblem("is an Excel error value",
                          "Correct the formula or the cell it refers to, or type the value.")
    parser = _PARSERS[column.kind]
    return parser(column, value)


def show(value: Any) -> str:
    """A raw value as a planner would recognise it in a message (at most 60
    characters, control characters shown as ``\\xNN``)."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M").removesuffix(" 00:00")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    text = "".join(ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in text)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(column: Column, value: Any) -> float:
    if isinstance(value, bool):
        raise CellProblem("is a yes/no value, not a number")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        raise CellProblem("is a date or time, not a number")
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and _SEPARATED_THOUSANDS.match(value.strip()):
        raise _separators(value.strip())
    elif isinstance(value, str) and _PLAIN_NUMBER.match(value.strip()):
        number = float(value.strip())
    else:
        raise CellProblem("is not a number")
    if not math.isfinite(number):
        raise CellProblem("is not a finite number")
    _check_bounds(column, number)
    return number


def _separators(text: str) -> CellProblem:
    """Why text like '4.000', '1,000' or '1.234.567' is refused, with the fix."""
    whole = int(text.replace(",", "").replace(".", ""))
    if text.count(".") + text.count(",") > 1:
        return CellProblem("is text with thousands separators",
                           f"Type the number itself in the cell ({whole}), not as text.")
    decimal = float(text.replace(",", "."))
    mark = text[-4]
    return CellProblem(f"is text that reads two ways: {decimal:g} if '{mark}' is a decimal "
                       f"mark, {whole:,} if it separates thousands",
                       f"Type the number itself in the cell ({whole} or {decimal:g}), not "
                       "as text.")


def _integer(column: Column, value: Any) -> int:
    number = _number(column, value)
    if not number.is_integer():
        raise CellProblem("is not a whole number")
    return int(number)


def _check_bounds(column: Column, number: float) -> None:
    too_low = column.lower is not None and (
        number < column.lower or (column.lower_strict and number == column.lower))
    too_high = column.upper is not None and number > column.upper
    if too_low or too_high:
        raise CellProblem(f"is out of range; expected {column.expectation}")


def _yes_no(column: Column, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    word = str(value).strip().lower()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    raise CellProblem("is not yes or no")


def _identifier(column: Column, value: Any) -> str:
    if isinstance(value, (bool, dt.datetime, dt.date, dt.time)):
        raise CellProblem("is not an identifier; type the id as text")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CellProblem("is not an identifier")
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    text = str(value).strip()
    if len(text) > MAX_ID_LENGTH:
        raise CellProblem(f"is {len(text):,} characters long, above the limit of "
                          f"{MAX_ID_LENGTH} for an identifier",
                          "Use a short code as the id and put the long text in a name or "
                          "description column.")
    hidden = next((ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf")), None)
    if hidden is not None:
        raise CellProblem(f"contains the invisible character U+{ord(hidden):04X}",
                          "Retype the id: line breaks, tabs and invisible characters (often "
                          "pasted from other programs) make ids that look equal differ.")
    return text


def _text(column: Column, value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _choice(column: Column, value: Any) -> str:
    word = str(value).strip().lower()
    if word not in column.choices:
        raise CellProblem(f"is not allowed; expected {column.expectation}")
    return word


def _country(column: Column, value: Any) -> str:
    code = str(value).strip().upper()
    if not _COUNTRY_CODE.match(code):
        raise CellProblem(f"is not a country code; expected {column.expectation}")
    return code


_PARSERS = {
    "number": _number,
    "integer": _integer,
    "yesno": _yes_no,
    "id": _identifier,
    "text": _text,
    "choice": _choice,
    "country": _country,
}
