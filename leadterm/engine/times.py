"""Instants: parsing ISO 8601 input and writing UTC output.

Every instant inside leadterm is an aware ``datetime`` in UTC, whole seconds.
Naive input is read in a given zone (the calendar's), as people write local times.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timezone, tzinfo
from itertools import repeat
from operator import methodcaller

__all__ = ["UTC", "parse_instant", "from_iso", "early_fraction", "without_utc", "to_iso", "epoch_to_iso", "epochs_to_iso", "from_epoch", "to_epoch", "InstantError"]

UTC = timezone.utc


class InstantError(ValueError):
    """Text that is not an ISO 8601 date or date-time."""


#: A fraction right after a time's hour or minute (``10.15``, ``10:15,5``): Python's
#: ``fromisoformat`` reads it as a fraction of a second (10:00:00.15), where people who write
#: ``10.15`` (Finnish, Danish, Norwegian) mean 10:15. ``re.M``: one value a line, a column joined.
_EARLY_FRACTION = re.compile(r"^\s*\d{4}-?(?:\d\d-?\d\d|W\d\d-?\d|\d{3}).\d\d(?::?\d\d)?[.,]\d", re.M)  # (calendar, week or ordinal date)


def early_fraction(text: str) -> bool:
    """Whether ``text`` (or one of a column's texts, joined by line breaks) is a date-time with a
    fraction right after its hour or minute, which ``fromisoformat`` takes for one of a second.
    Worth asking only of what it read with a fraction of a second: a fraction of zeros (``10.00``)
    changes nothing."""
    return _EARLY_FRACTION.search(text) is not None


def from_iso(text: str) -> datetime:
    """``datetime.fromisoformat``, except that a fraction right after an hour or a minute
    (``early_fraction``) is refused as it refuses what it cannot read: ValueError."""
    value = datetime.fromisoformat(text)
    if value.microsecond and early_fraction(text):
        raise ValueError(f"a fraction after an hour or a minute: {text!r}")
    return value


def parse_instant(text: str, zone: tzinfo) -> datetime:
    """Parse an ISO 8601 date-time (or date, meaning midnight) into UTC.

    A value without an offset is local to ``zone``. A fraction after the hour or the minute
    (``10.15``) is refused (``early_fraction``).
    """
    raw = text.strip()
    if not raw:
        raise InstantError("expected an ISO 8601 date or date-time, got an empty value")
    try:
        if len(raw) == 10:
            value = datetime.combine(date.fromisoformat(raw), time())
        else:
            value = from_iso(_utc_spelled(raw.replace(" ", "T", 1) if "T" not in raw else raw))
    except ValueError:
        raise InstantError(
            f"expected an ISO 8601 date or date-time such as 2026-11-21T09:30:00Z, got {text!r}"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC).replace(microsecond=0)


#: UTC written after a time as RFC 3339, log files and spreadsheets also write it: ``Z`` or
#: ``z``, ``UTC`` or ``GMT``, with a space before it or not (after a digit, or AM/PM)
_UTC_AFTER = re.compile(r"(?<=[\dMm])\s*(?:[Zz]|UTC|GMT|utc|gmt)$")


def without_utc(text: str) -> tuple[str, bool]:
    """``text`` without a UTC written after its time (``_UTC_AFTER``), and whether it had one."""
    found = _UTC_AFTER.search(text)
    return (text[:found.start()], True) if found else (text, False)


def _utc_spelled(text: str) -> str:
    """``text`` with a UTC written after its time as ISO 8601's ``Z``."""
    head, utc = without_utc(text)
    return head + "Z" if utc else text


def to_iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, or None."""
    if value is None:
        return None
    return _z(_iso(value.astimezone(UTC)))


# isoformat, not strftime: glibc's %Y writes the year 999 as "999", which no ISO reader takes
_iso = methodcaller("isoformat", "T", "seconds")
_z = methodcaller("replace", "+00:00", "Z")


def epochs_to_iso(seconds: Iterable[int]) -> Iterator[str]:
    """``epoch_to_iso`` of each (none None), in C-level passes: for a column of them."""
    return map(_z, map(_iso, map(datetime.fromtimestamp, seconds, repeat(UTC))))


def from_epoch(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def to_epoch(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def epoch_to_iso(seconds: int | None) -> str | None:
    return to_iso(from_epoch(seconds))
