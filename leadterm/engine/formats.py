"""Reading a time by a list of strptime formats, as spreadsheets and CRMs write times, fast
enough for a column of them: 100,000 distinct times to the minute are 100,000 reads.

Two things make a read cheap. The format that read the last value of a list is tried first: a
column is written one way, so each value reads at the first try (trying the list in turn cost a
failed strptime for each format before the one that reads, and more: strptime keeps the regexes
of its last 5 formats only, so a walk through a longer list compiled each format's regex again,
value after value, 8-15 µs a format). And a format of numbers, month names and AM/PM is read by
a regular expression of its own (``_quick_reader``), narrower than strptime's, which builds the
datetime from its groups (about 1.5 µs against strptime's 3.5-4.5): what it matches, strptime reads
the same; what it does not (a field out of range, two spaces, ``Nov`` in capitals), strptime is
asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import cache

__all__ = ["read_formatted"]

#: The format that read the last value read by each list of formats. No two formats of a list
#: may read one text differently (a text both read, "May 20, 2026" by %b and %B, reads the
#: same), so that the order they are tried in changes no value read, and a text none reads is
#: refused whatever the order.
_LAST_READ: dict[tuple[str, ...], str] = {}


def read_formatted(written: str, formats: tuple[str, ...]) -> datetime | None:
    """``written`` read by a format of ``formats`` that reads it (as strptime does), or None:
    the one that read the last value first, then each in turn."""
    last = _LAST_READ.get(formats)
    if last is not None and (value := _read(written, last)) is not None:
        return value
    for pattern in formats:
        if pattern is not last and (value := _read(written, pattern)) is not None:
            _LAST_READ[formats] = pattern
            return value
    return None


def _read(written: str, pattern: str) -> datetime | None:
    """``datetime.strptime(written, pattern)``, or None where it raises ValueError."""
    quick = _quick_reader(pattern)
    if quick is not None and (value := quick(written)) is not None:
        return value
    try:
        return datetime.strptime(written, pattern)
    except ValueError:
        return None


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
#: Month names as strptime reads them in the C locale, which is leadterm's (nothing sets another)
_MONTH_NUMBERS = {**{name: number for number, name in enumerate(_MONTHS, 1)},
                  **{name[:3]: number for number, name in enumerate(_MONTHS, 1)}}
#: Each directive the quick readers know, as a group of ASCII digits or names written one way:
#: never more than strptime's own regex takes once the value is in range (checked on reading)
_FIELDS = {
    "Y": "[0-9]{4}", "y": "[0-9]{2}", "m": "[0-9]{1,2}", "d": "[0-9]{1,2}", "H": "[0-9]{1,2}", "I": "[0-9]{1,2}",
    "M": "[0-9]{1,2}", "S": "[0-9]{1,2}", "p": "AM|PM|am|pm", "b": "|".join(name[:3] for name in _MONTHS),
    "B": "|".join(_MONTHS),
}
_DIRECTIVE = re.compile("%(.)")


@cache
def _quick_reader(pattern: str) -> Callable[[str], datetime | None] | None:
    """A reader of the texts ``pattern`` reads, most of them, or None for a format with other
    directives (%a, %z...): a regular expression of the format's literal text as it is (a space
    one space) and of each field as ``_FIELDS`` has it, and the datetime made of its groups
    as strptime makes it (a year of two digits is 1969 to 2068; 12 AM is 0:00), or None when
    one is out of range, then left to strptime. Fields between literals holding no digit (as
    in every format read) split a text one way only, so strptime, which matches a text the
    reader matches, reads the same numbers."""
    parts, at = [], 0
    for directive in _DIRECTIVE.finditer(pattern):
        field = _FIELDS.get(directive[1])
        if field is None:
            return None
        parts += (re.escape(pattern[at:directive.start()]), f"(?P<{directive[1]}>{field})")
        at = directive.end()
    fields = _DIRECTIVE.findall(pattern)
    if (len(set(fields)) != len(fields) or "d" not in fields or ("I" in fields) != ("p" in fields)
            or "H" in fields and "I" in fields or len({"Y", "y"} & set(fields)) != 1
            or len({"m", "b", "B"} & set(fields)) != 1):
        return None
    match = re.compile("".join(parts) + re.escape(pattern[at:])).fullmatch
    two_digit_year, numeric_month, twelve_hours = "y" in fields, "m" in fields, "I" in fields
    month_at = "m" if numeric_month else "b" if "b" in fields else "B"

    def read(written: str) -> datetime | None:
        found = match(written)
        if found is None:
            return None
        got = found.groupdict()
        if two_digit_year:
            year = int(got["y"])
            year += 2000 if year <= 68 else 1900
        else:
            year = int(got["Y"])
        month = int(got["m"]) if numeric_month else _MONTH_NUMBERS[got[month_at]]
        if twelve_hours:
            hour = int(got["I"])
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if got["p"] in ("PM", "pm") else 0)
        else:
            hour = int(got.get("H", 0))
        try:
            return datetime(year, month, int(got["d"]), hour, int(got.get("M", 0)), int(got.get("S", 0)))
        except ValueError:  # out of range: a day 31 in February, an hour 24, a second 60
            return None

    return read
