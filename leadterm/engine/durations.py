"""Durations as config.toml writes them: ``90s``, ``15m``, ``4h``, ``30d``, ``1h30m``."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["parse_duration", "format_duration", "DurationError"]

_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_PART = re.compile(r"(\d+)([dhms])")
_WHOLE = re.compile(r"(?:\d+[dhms])+")


class DurationError(ValueError):
    """A duration that is not of the form ``1h30m``."""


def parse_duration(text: str) -> timedelta:
    """Parse ``90s``/``15m``/``4h``/``30d`` or a combination in d-h-m-s order."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned or not _WHOLE.fullmatch(cleaned):
        raise DurationError(f"expected a duration such as 90s, 15m, 4h, 30d or 1h30m, got {text!r}")
    parts = _PART.findall(cleaned)
    units = [unit for _, unit in parts]
    order = "dhms"
    if len(set(units)) != len(units) or units != sorted(units, key=order.index):
        raise DurationError(f"expected each unit once, in the order d h m s, got {text!r}")
    seconds = sum(int(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    if seconds <= 0:
        raise DurationError(f"expected a duration longer than zero, got {text!r}")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest config spelling of a whole-second duration (``1h30m``)."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "0s"
    out = []
    for unit, size in _UNIT_SECONDS.items():
        count, seconds = divmod(seconds, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)
