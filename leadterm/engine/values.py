"""Reading typed values out of CSV text. Everything not numeric or a time stays text as is."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from leadterm.engine.times import UTC, InstantError, parse_instant

__all__ = ["parse_count", "parse_time", "clean_text", "ValueProblem"]


class ValueProblem(ValueError):
    """A value that is not what its column needs."""


_COUNT = re.compile(r"(\d[\d,. ]*)")
_US_FORMATS = (
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)


def clean_text(value: str | None) -> str | None:
    """Trimmed text, or None when blank."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def parse_count(text: str, what: str = "number") -> int:
    """A whole count such as a company size: ``250``, ``1,200``, ``1200.0``, a range ``51-200``
    (its lower bound, as CRMs export size bands) or ``10000+``."""
    raw = text.strip()
    cleaned = raw.replace("\u00a0", " ").lower().removesuffix("employees").strip()
    cleaned = cleaned.rstrip("+").strip()
    if re.fullmatch(r"\d+(?:[ ,]\d{3})*(?:\.0+)?", cleaned):
        return int(float(cleaned.replace(",", "").replace(" ", "")))
    band = re.fullmatch(r"(\d[\d,]*)\s*(?:-|–|to)\s*(\d[\d,]*)", cleaned)
    if band:
        return int(band.group(1).replace(",", ""))
    raise ValueProblem(f"{what}: not a whole number: {raw!r}")


def parse_time(text: str, zone: tzinfo, what: str = "time") -> datetime:
    """ISO 8601 (offsets kept, naive read in ``zone``) or a US/European spreadsheet date."""
    raw = text.strip()
    try:
        return parse_instant(raw, zone)
    except InstantError:
        pass
    for pattern in _US_FORMATS:
        try:
            value = datetime.strptime(raw, pattern)
        except ValueError:
            continue
        return value.replace(tzinfo=zone).astimezone(UTC)
    raise ValueProblem(f"{what}: not a date-time: {raw!r}")
