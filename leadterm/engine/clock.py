"""The business clock: working time inside weekly hours, in one zone, skipping holidays.

A clock started outside working hours starts counting at the next opening; a deadline that
lands exactly on a closing time stays there (``add`` returns the earliest instant at which
the working time has been spent). Working time is real elapsed time, so an interval that a
DST change shortens or lengthens counts as what it really lasts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta, tzinfo

from leadterm.engine.times import UTC

__all__ = ["BusinessClock", "WeeklyHours"]

# For each weekday (Monday = 0) the working intervals as (start, end) minutes after local
# midnight, sorted and not overlapping; end may be 1440 (24:00).
WeeklyHours = Sequence[Sequence[tuple[int, int]]]

_ZERO = timedelta(0)
_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)


def _utc(at: datetime) -> datetime:
    """``at`` in UTC. Arithmetic and comparisons between datetimes that share a zone are done on
    wall time (ignoring DST offsets and ``fold``), so everything inside runs in UTC."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"expected an aware datetime, got {at!r}")
    return at.astimezone(UTC)


class BusinessClock:
    """Adds and measures working time. All instants in and out are aware datetimes."""

    def __init__(self, zone: tzinfo, hours: WeeklyHours, holidays: Iterable[date] = ()) -> None:
        if len(hours) != 7:
            raise ValueError("hours must give the intervals of all seven weekdays")
        if not any(hours):
            raise ValueError("the calendar has no working hours at all")
        self.zone = zone
        self.hours = tuple(tuple(sorted(day)) for day in hours)
        self.holidays = frozenset(holidays)
        self._cache: dict[date, tuple[tuple[datetime, datetime], ...]] = {}

    # -- intervals ---------------------------------------------------------------------------
    def _local(self, day: date, minute: int) -> datetime:
        """The instant (UTC) of a local wall time; a wall time skipped by a DST change (spring
        forward) is the change itself, the first real instant after it, so that wall times
        map to instants in order. An ambiguous one (fall back) is its first occurrence."""
        wall = datetime.combine(day, time()) + timedelta(minutes=minute)
        at = wall.replace(tzinfo=self.zone).astimezone(UTC)
        if at.astimezone(self.zone).replace(tzinfo=None) == wall:
            return at
        # In a gap: fold=1 reads the wall time with the offset after the change, which puts it
        # before the change; fold=0 (``at``) puts it after. Find the change between them.
        before = wall.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        after_offset = at.astimezone(self.zone).utcoffset()
        while at - before > _SECOND:
            middle = before + (at - before) // 2
            middle = middle.replace(microsecond=0)
            if middle.astimezone(self.zone).utcoffset() == after_offset:
                at = middle
            else:
                before = middle
        return at

    def intervals_on(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The working intervals (UTC) of one local date."""
        cached = self._cache.get(day)
        if cached is None:
            if day in self.holidays:
                cached = ()
            else:
                spans = []
                for start, end in self.hours[day.weekday()]:
                    opens, closes = self._local(day, start), self._local(day, end)
                    if closes > opens:
                        spans.append((opens, closes))
                cached = tuple(spans)
            if len(self._cache) > 4096:
                self._cache.clear()
            self._cache[day] = cached
        return cached

    def _intervals_from(self, at: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals that end after ``at``, in order, forever."""
        day = at.astimezone(self.zone).date() - _DAY
        idle_days = 0
        while True:
            spans = self.intervals_on(day)
            for opens, closes in spans:
                if closes > at:
                    yield opens, closes
            idle_days = idle_days + 1 if not spans else 0
            if idle_days > 366 + len(self.holidays):
                raise ValueError("the calendar has no working time left")
            day += _DAY

    # -- the clock ----------------------------------------------------------------------------
    def is_open(self, at: datetime) -> bool:
        """True inside working hours (an interval includes its opening, not its closing)."""
        at = _utc(at)
        for opens, closes in self._intervals_from(at):
            return opens <= at
        return False  # pragma: no cover - the generator never ends

    def next_opening(self, at: datetime) -> datetime:
        """``at`` itself (in UTC) when open, else the next opening."""
        at = _utc(at)
        for opens, _ in self._intervals_from(at):
            return max(opens, at)
        raise AssertionError("unreachable")  # pragma: no cover

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant by which ``duration`` of working time has passed since ``start``."""
        start = _utc(start)
        if duration <= _ZERO:
            return start
        remaining = duration
        for opens, closes in self._intervals_from(start):
            begin = max(opens, start)
            span = closes - begin
            if span >= remaining:
                return begin + remaining
            remaining -= span
        raise AssertionError("unreachable")  # pragma: no cover

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time between two instants (negative when ``end`` is before ``start``)."""
        start, end = _utc(start), _utc(end)
        if end < start:
            return -self.elapsed(end, start)
        total = _ZERO
        for opens, closes in self._intervals_from(start):
            if opens >= end:
                break
            total += min(closes, end) - max(opens, start)
        return total
