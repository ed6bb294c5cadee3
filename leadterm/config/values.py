"""Typed reads of TOML values that collect every problem instead of stopping at the first.

A getter that finds a missing or wrong value records a (key path, message) problem and returns
its default, so one pass over a file reports everything; builders compare ``len(problems)``
before and after to know whether what they read is usable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadterm.engine.durations import DurationError, parse_duration
from leadterm.engine.values import composed

__all__ = ["Problems", "Table", "key_path", "show", "valid_zone"]

_MISSING: Any = object()


def key_path(parent: str, key: str | int) -> str:
    """``scoring`` + ``fit`` -> ``scoring.fit``; ``scoring.fit`` + 1 -> ``scoring.fit[1]``."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def show(value: Any) -> str:
    """A found value as the user wrote it, for ``got ...`` messages."""
    if isinstance(value, bool):  # before int: bool is an int in Python, not in TOML
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, datetime):
        return f"the date-time {value.isoformat()}"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    return repr(value)


def valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: absolute or malformed keys
        return False
    return True


def _number_kind(kind: str, low: float | None, high: float | None, exclusive: bool) -> str:
    if low is None and high is None:
        return kind
    if low is not None and high is not None:
        if exclusive:
            return f"{kind} between {low} and {high} (exclusive)"
        return f"{kind} from {low} to {high}"
    op = (">" if exclusive else ">=") if low is not None else ("<" if exclusive else "<=")
    return f"{kind} {op} {low if low is not None else high}"


class Problems:
    """The (key path, message) pairs found so far, in file order."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))

    def __len__(self) -> int:
        return len(self.items)


class Table:
    """One TOML table at a key path; reports its unknown keys as soon as it is opened."""

    def __init__(
        self,
        data: Mapping[str, Any],
        path: str,
        problems: Problems,
        keys: Sequence[str] | None,
    ) -> None:
        self.data, self.path, self.problems = data, path, problems
        if keys is not None:  # None: any key (e.g. reason codes), checked by the caller
            for key in data:
                if key not in keys:
                    expected = ", ".join(keys)
                    problems.add(self.at(key), f"unknown key (expected one of: {expected})")

    def at(self, key: str | int) -> str:
        return key_path(self.path, key)

    def has(self, key: str) -> bool:
        return key in self.data

    def wrong(self, key: str | int, expected: str, value: Any) -> None:
        self.problems.add(self.at(key), f"expected {expected}, got {show(value)}")

    def _get(self, key: str, expected: str, required: bool) -> Any:
        value = self.data.get(key, _MISSING)
        if value is _MISSING and required:
            self.problems.add(self.at(key), f"missing (expected {expected})")
        return value

    # -- scalars ------------------------------------------------------------------------------
    def text(self, key: str, *, required: bool = True, default: str | None = None) -> str | None:
        """A non-empty string (blank text is never a meaningful name, label or event)."""
        value = self._get(key, "a string", required)
        if value is _MISSING:
            return default
        if not isinstance(value, str) or not value.strip():
            self.wrong(key, "a non-empty string", value)
            return default
        return value

    def choice(self, key: str, options: Sequence[str], *, hint: str = "",
               required: bool = True, default: str | None = None) -> str | None:
        expected = f"one of {', '.join(options)}{f' ({hint})' if hint else ''}"
        value = self._get(key, expected, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str) or value not in options:
            self.wrong(key, expected, value)
            return default
        return value

    def integer(self, key: str, *, required: bool = True, default: int | None = None,
                minimum: int | None = None) -> int | None:
        expected = _number_kind("an integer", minimum, None, False)
        value = self._get(key, expected, required)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or (
            minimum is not None and value < minimum
        ):
            self.wrong(key, expected, value)
            return default
        return value

    def number(self, key: str, *, required: bool = True, default: float | None = None,
               low: float | None = None, high: float | None = None,
               exclusive: bool = False) -> float | None:
        """An int or float (never a bool, NaN or infinity) within the bounds given."""
        expected = _number_kind("a number", low, high, exclusive)
        value = self._get(key, expected, required)
        if value is _MISSING:
            return default
        ok = not isinstance(value, bool) and isinstance(value, (int, float))
        if ok and not math.isfinite(value):
            ok = False
        if ok and low is not None:
            ok = value > low if exclusive else value >= low
        if ok and high is not None:
            ok = value < high if exclusive else value <= high
        if not ok:
            self.wrong(key, expected, value)
            return default
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self._get(key, "true or false", False)
        if value is _MISSING:
            return default
        if not isinstance(value, bool):
            self.wrong(key, "true or false", value)
            return default
        return value

    def duration(self, key: str, *, required: bool = True) -> timedelta | None:
        expected = "a duration such as 90s, 15m, 4h, 30d or 1h30m"
        value = self._get(key, expected, required)
        if value is _MISSING:
            return None
        if not isinstance(value, str):
            self.wrong(key, expected, value)
            return None
        try:
            return parse_duration(value)
        except DurationError as exc:
            self.problems.add(self.at(key), str(exc))
            return None

    def zone(self, key: str, *, required: bool = True) -> str | None:
        expected = "an IANA time zone such as America/New_York"
        value = self._get(key, expected, required)
        if value is _MISSING:
            return None
        if not isinstance(value, str) or not valid_zone(value):
            self.wrong(key, expected, value)
            return None
        return value

    # -- lists and tables ---------------------------------------------------------------------
    def texts(self, key: str, *, required: bool = False, normalise: bool = True,
              single: bool = False, allow_empty: bool = False) -> tuple[str, ...] | None:
        """A list of non-empty strings; ``normalise`` composes (NFC: an import stores text so, and a
        config typed on a Mac may write "é" as "e" and a combining accent), trims and lower-cases
        them (text matches are case-insensitive); ``single`` also takes one string as a one-item list."""
        expected = "an array of strings" + (" or a string" if single else "")
        value = self._get(key, expected, required)
        if value is _MISSING:
            return None
        if single and isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.wrong(key, expected, value)
            return None
        if not value and not allow_empty:
            self.problems.add(self.at(key), "expected at least one item, got an empty array")
            return None
        items: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.problems.add(key_path(self.at(key), index),
                                  f"expected a non-empty string, got {show(item)}")
                continue
            items.append(composed(item).strip().lower() if normalise else item)
        return tuple(items) if len(items) == len(value) else None

    def table(self, key: str, keys: Sequence[str] | None, *,
              required: bool = True, expected: str = "a table") -> Table | None:
        value = self._get(key, expected, required)
        if value is _MISSING:
            return None
        if not isinstance(value, Mapping):
            self.wrong(key, expected, value)
            return None
        return Table(value, self.at(key), self.problems, keys)

    def tables(self, key: str, keys: Sequence[str], *, required: bool = False,
               expected: str = "an array of tables") -> list[Table] | None:
        """An array of tables (``[[key]]``); items that are not tables are reported."""
        value = self._get(key, expected, required)
        if value is _MISSING:
            return None
        if not isinstance(value, list):
            self.wrong(key, expected, value)
            return None
        out: list[Table] = []
        for index, item in enumerate(value):
            if isinstance(item, Mapping):
                out.append(Table(item, key_path(self.at(key), index), self.problems, keys))
            else:
                self.problems.add(key_path(self.at(key), index),
                                  f"expected a table, got {show(item)}")
        return out
