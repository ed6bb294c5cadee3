"""The business clock (SPEC, "Clocks and SLAs").

Working time runs inside weekly hours local to a zone, never on holidays (local dates). A clock
started outside working hours starts at the next opening; a deadline that lands exactly on a
closing time stays there. Working time is real elapsed time, so DST changes inside an interval
make it shorter or longer. Every expected value below is a local wall time written out by hand.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadterm.engine.clock import BusinessClock

UTC = timezone.utc
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")
AUCKLAND = ZoneInfo("Pacific/Auckland")

H = timedelta(hours=1)
M = timedelta(minutes=1)
S = timedelta(seconds=1)

CLOSED: list[tuple[int, int]] = []


def week(weekdays, saturday=CLOSED, sunday=CLOSED):
    """Seven days of hours, Monday first: the same ``weekdays`` intervals Monday to Friday."""
    return [list(weekdays)] * 5 + [list(saturday), list(sunday)]


def span(text: str) -> tuple[int, int]:
    """'09:00-17:00' -> (540, 1020); '24:00' allowed as an end."""
    start, end = text.split("-")
    minutes = [int(part[:2]) * 60 + int(part[3:]) for part in (start, end)]
    return minutes[0], minutes[1]


NINE_TO_FIVE = [span("09:00-17:00")]
TEN_TO_SIX = [span("10:00-18:00")]
ALL_DAY = [span("00:00-24:00")]

SPEC_HOLIDAYS = [date(2026, 12, 25), date(2027, 1, 1)]


def at(zone, text: str, fold: int = 0) -> datetime:
    """A local wall time in ``zone`` as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=zone, fold=fold).astimezone(UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def wall(instant: datetime, zone) -> str:
    """How an instant reads on a wall clock in ``zone``, with the zone's abbreviation."""
    return instant.astimezone(zone).strftime("%a %Y-%m-%d %H:%M:%S %Z")


def assert_utc(instant: datetime) -> None:
    assert instant.tzinfo is not None and instant.utcoffset() == timedelta(0)


@pytest.fixture(scope="module")
def spec_clock() -> BusinessClock:
    """The SPEC default calendar: New York, 09:00-17:00 Monday to Friday, two holidays."""
    return BusinessClock(NEW_YORK, week(NINE_TO_FIVE), SPEC_HOLIDAYS)


@pytest.fixture(scope="module")
def lunch_clock() -> BusinessClock:
    """Two intervals a day: 09:00-12:00 and 13:00-17:00, Monday to Friday, New York."""
    return BusinessClock(NEW_YORK, week([span("09:00-12:00"), span("13:00-17:00")]))


# -- 1. the published cases ---------------------------------------------------------------------
class TestPublishedCases:
    def test_friday_evening_plus_one_hour_is_monday_eleven(self):
        clock = BusinessClock(NEW_YORK, week(TEN_TO_SIX))
        deadline = clock.add(at(NEW_YORK, "2024-06-07 19:00"), H)
        assert wall(deadline, NEW_YORK) == "Mon 2024-06-10 11:00:00 EDT"
        assert deadline == utc("2024-06-10 15:00")
        assert_utc(deadline)

    def test_saturday_plus_24h_is_wednesday_closing(self):
        clock = BusinessClock(NEW_YORK, week(TEN_TO_SIX))
        deadline = clock.add(at(NEW_YORK, "2024-06-08 15:00"), 24 * H)
        # Three 8-hour days, Monday to Wednesday; the deadline stays on Wednesday's closing.
        assert wall(deadline, NEW_YORK) == "Wed 2024-06-12 18:00:00 EDT"
        assert deadline == utc("2024-06-12 22:00")

    def test_published_cases_in_any_zone(self):
        for zone in (UTC, BERLIN, KOLKATA):
            clock = BusinessClock(zone, week(TEN_TO_SIX))
            friday = datetime(2024, 6, 7, 19, 0, tzinfo=zone)
            saturday = datetime(2024, 6, 8, 15, 0, tzinfo=zone)
            assert clock.add(friday, H) == datetime(2024, 6, 10, 11, 0, tzinfo=zone)
            assert clock.add(saturday, 24 * H) == datetime(2024, 6, 12, 18, 0, tzinfo=zone)

    def test_dst_weekend_new_york(self, spec_clock):
        # Friday 16:00 EST + 2h: one hour on Friday, one on Monday after the spring change.
        start = at(NEW_YORK, "2024-03-08 16:00")
        assert start == utc("2024-03-08 21:00")
        deadline = spec_clock.add(start, 2 * H)
        assert wall(deadline, NEW_YORK) == "Mon 2024-03-11 10:00:00 EDT"
        assert deadline == utc("2024-03-11 14:00")
        assert_utc(deadline)
        assert spec_clock.elapsed(start, deadline) == 2 * H


# -- 2. conventions and edge cases ---------------------------------------------------------------
class TestClosingTime:
    def test_deadline_on_closing_time_stays_there(self, spec_clock):
        deadline = spec_clock.add(at(NEW_YORK, "2024-06-10 15:00"), 2 * H)
        assert wall(deadline, NEW_YORK) == "Mon 2024-06-10 17:00:00 EDT"
        assert wall(deadline, NEW_YORK) != "Tue 2024-06-11 09:00:00 EDT"

    def test_a_whole_day_from_opening_ends_on_closing(self, spec_clock):
        deadline = spec_clock.add(at(NEW_YORK, "2024-06-10 09:00"), 8 * H)
        assert wall(deadline, NEW_YORK) == "Mon 2024-06-10 17:00:00 EDT"

    def test_one_second_past_closing_rolls_to_the_next_opening(self, spec_clock):
        deadline = spec_clock.add(at(NEW_YORK, "2024-06-10 15:00"), 2 * H + S)
        assert wall(deadline, NEW_YORK) == "Tue 2024-06-11 09:00:01 EDT"

    def test_start_on_closing_time_counts_from_the_next_opening(self, spec_clock):
        deadline = spec_clock.add(at(NEW_YORK, "2024-06-10 17:00"), 30 * M)
        assert wall(deadline, NEW_YORK) == "Tue 2024-06-11 09:30:00 EDT"

    def test_friday_closing_to_monday(self, spec_clock):
        deadline = spec_clock.add(at(NEW_YORK, "2024-06-14 16:59:59"), 2 * S)
        assert wall(deadline, NEW_YORK) == "Mon 2024-06-17 09:00:01 EDT"


class TestAddZero:
    def test_add_zero_is_identity_even_when_closed(self, spec_clock):
        saturday = at(NEW_YORK, "2024-06-08 12:34:56")
        assert spec_clock.add(saturday, timedelta(0)) == saturday
        open_time = at(NEW_YORK, "2024-06-10 10:00")
        assert spec_clock.add(open_time, timedelta(0)) == open_time

    def test_add_returns_utc_even_for_zone_aware_input(self, spec_clock):
        local = datetime(2024, 6, 8, 12, 0, tzinfo=NEW_YORK)
        same = spec_clock.add(local, timedelta(0))
        assert same == local
        assert_utc(same)
        later = spec_clock.add(datetime(2024, 6, 10, 10, 0, tzinfo=NEW_YORK), H)
        assert later == utc("2024-06-10 15:00")
        assert_utc(later)


class TestOutsideHours:
    def test_start_before_opening(self, spec_clock):
        deadline = spec_clock.add(at(NEW_YORK, "2024-06-10 06:30"), 30 * M)
        assert wall(deadline, NEW_YORK) == "Mon 2024-06-10 09:30:00 EDT"

    def test_start_after_closing(self, spec_clock):
        deadline = spec_clock.add(at(NEW_YORK, "2024-06-11 22:15"), 15 * M)
        assert wall(deadline, NEW_YORK) == "Wed 2024-06-12 09:15:00 EDT"

    def test_start_on_a_holiday(self, spec_clock):
        # Friday 2026-12-25 is a holiday; Saturday and Sunday are closed.
        deadline = spec_clock.add(at(NEW_YORK, "2026-12-25 10:00"), H)
        assert wall(deadline, NEW_YORK) == "Mon 2026-12-28 10:00:00 EST"

    def test_deadline_skips_a_holiday(self, spec_clock):
        # Thursday 2026-12-31 16:00 + 2h: 1h on Thursday, New Year's Day off, weekend, Monday.
        deadline = spec_clock.add(at(NEW_YORK, "2026-12-31 16:00"), 2 * H)
        assert wall(deadline, NEW_YORK) == "Mon 2027-01-04 10:00:00 EST"

    def test_the_day_before_a_holiday_is_a_working_day(self, spec_clock):
        deadline = spec_clock.add(at(NEW_YORK, "2026-12-24 09:00"), 8 * H)
        assert wall(deadline, NEW_YORK) == "Thu 2026-12-24 17:00:00 EST"

    def test_holiday_has_no_intervals(self, spec_clock):
        assert spec_clock.intervals_on(date(2026, 12, 25)) == ()
        assert spec_clock.intervals_on(date(2026, 12, 26)) == ()  # Saturday
        assert spec_clock.intervals_on(date(2026, 12, 28)) == (
            (utc("2026-12-28 14:00"), utc("2026-12-28 22:00")),
        )


class TestLunchBreak:
    def test_start_inside_the_break(self, lunch_clock):
        deadline = lunch_clock.add(at(NEW_YORK, "2024-06-10 12:15"), H)
        assert wall(deadline, NEW_YORK) == "Mon 2024-06-10 14:00:00 EDT"

    def test_deadline_straddles_the_break(self, lunch_clock):
        deadline = lunch_clock.add(at(NEW_YORK, "2024-06-10 11:30"), H)
        assert wall(deadline, NEW_YORK) == "Mon 2024-06-10 13:30:00 EDT"

    def test_deadline_on_the_break_stays_at_noon(self, lunch_clock):
        deadline = lunch_clock.add(at(NEW_YORK, "2024-06-10 11:00"), H)
        assert wall(deadline, NEW_YORK) == "Mon 2024-06-10 12:00:00 EDT"

    def test_full_day_is_seven_hours(self, lunch_clock):
        deadline = lunch_clock.add(at(NEW_YORK, "2024-06-10 08:00"), 7 * H)
        assert wall(deadline, NEW_YORK) == "Mon 2024-06-10 17:00:00 EDT"
        deadline = lunch_clock.add(at(NEW_YORK, "2024-06-10 08:00"), 7 * H + M)
        assert wall(deadline, NEW_YORK) == "Tue 2024-06-11 09:01:00 EDT"

    def test_open_closed_and_next_opening_around_the_break(self, lunch_clock):
        assert lunch_clock.is_open(at(NEW_YORK, "2024-06-10 11:59:59"))
        assert not lunch_clock.is_open(at(NEW_YORK, "2024-06-10 12:00"))
        assert not lunch_clock.is_open(at(NEW_YORK, "2024-06-10 12:30"))
        assert lunch_clock.is_open(at(NEW_YORK, "2024-06-10 13:00"))
        opening = lunch_clock.next_opening(at(NEW_YORK, "2024-06-10 12:30"))
        assert wall(opening, NEW_YORK) == "Mon 2024-06-10 13:00:00 EDT"

    def test_elapsed_skips_the_break(self, lunch_clock):
        assert lunch_clock.elapsed(at(NEW_YORK, "2024-06-10 11:00"), at(NEW_YORK, "2024-06-10 14:00")) == 2 * H
        assert lunch_clock.elapsed(at(NEW_YORK, "2024-06-10 12:10"), at(NEW_YORK, "2024-06-10 12:50")) == timedelta(0)

    def test_intervals_given_out_of_order_are_sorted(self):
        clock = BusinessClock(NEW_YORK, week([span("13:00-17:00"), span("09:00-12:00")]))
        deadline = clock.add(at(NEW_YORK, "2024-06-10 08:00"), 4 * H)
        assert wall(deadline, NEW_YORK) == "Mon 2024-06-10 14:00:00 EDT"
        assert clock.elapsed(at(NEW_YORK, "2024-06-10 00:00"), at(NEW_YORK, "2024-06-11 00:00")) == 7 * H


class TestWeekendCalendars:
    def test_saturday_hours(self):
        # Monday to Friday 09:00-17:00, Saturday 10:00-14:00, Sunday closed.
        clock = BusinessClock(NEW_YORK, week(NINE_TO_FIVE, saturday=[span("10:00-14:00")]))
        deadline = clock.add(at(NEW_YORK, "2024-06-07 16:00"), 3 * H)
        assert wall(deadline, NEW_YORK) == "Sat 2024-06-08 12:00:00 EDT"
        deadline = clock.add(at(NEW_YORK, "2024-06-08 13:00"), 2 * H)
        assert wall(deadline, NEW_YORK) == "Mon 2024-06-10 10:00:00 EDT"
        deadline = clock.add(at(NEW_YORK, "2024-06-08 08:00"), 4 * H)
        assert wall(deadline, NEW_YORK) == "Sat 2024-06-08 14:00:00 EDT"
        assert clock.is_open(at(NEW_YORK, "2024-06-08 10:00"))
        assert not clock.is_open(at(NEW_YORK, "2024-06-09 12:00"))

    def test_weekend_only_calendar(self):
        # Saturday and Sunday 08:00-20:00 in Berlin, nothing during the week.
        weekend = [span("08:00-20:00")]
        clock = BusinessClock(BERLIN, [CLOSED] * 5 + [weekend, weekend])
        deadline = clock.add(at(BERLIN, "2024-06-05 12:00"), 13 * H)
        assert wall(deadline, BERLIN) == "Sun 2024-06-09 09:00:00 CEST"
        deadline = clock.add(at(BERLIN, "2024-06-09 19:00"), 2 * H)
        assert wall(deadline, BERLIN) == "Sat 2024-06-15 09:00:00 CEST"
        opening = clock.next_opening(at(BERLIN, "2024-06-10 09:00"))
        assert wall(opening, BERLIN) == "Sat 2024-06-15 08:00:00 CEST"


class TestZonesFarFromUtc:
    def test_kolkata_half_hour_offset(self):
        clock = BusinessClock(KOLKATA, week([span("09:30-18:30")]))
        start = utc("2024-06-07 12:00")  # Friday 17:30 IST
        assert wall(start, KOLKATA) == "Fri 2024-06-07 17:30:00 IST"
        deadline = clock.add(start, 2 * H)
        assert wall(deadline, KOLKATA) == "Mon 2024-06-10 10:30:00 IST"
        assert deadline == utc("2024-06-10 05:00")

    def test_kolkata_local_monday_while_utc_is_sunday(self):
        clock = BusinessClock(KOLKATA, week([span("09:30-18:30")]))
        start = utc("2024-06-09 23:00")  # Sunday in UTC, Monday 04:30 in Kolkata
        assert clock.add(start, H) == utc("2024-06-10 05:00")  # Monday 10:30 IST

    def test_kolkata_holiday_is_a_local_date(self):
        clock = BusinessClock(KOLKATA, week([span("09:30-18:30")]), [date(2024, 6, 10)])
        start = utc("2024-06-09 20:00")  # Monday 01:30 IST, a holiday there
        opening = clock.next_opening(start)
        assert wall(opening, KOLKATA) == "Tue 2024-06-11 09:30:00 IST"
        assert opening == utc("2024-06-11 04:00")
        assert not clock.is_open(utc("2024-06-10 06:00"))  # Monday 11:30 IST, holiday
        assert clock.is_open(utc("2024-06-11 06:00"))

    def test_auckland_across_the_end_of_daylight_time(self):
        # New Zealand daylight time ends Sunday 2024-04-07 (03:00 NZDT -> 02:00 NZST).
        clock = BusinessClock(AUCKLAND, week(NINE_TO_FIVE))
        start = at(AUCKLAND, "2024-04-05 16:00")
        assert start == utc("2024-04-05 03:00")
        deadline = clock.add(start, 2 * H)
        assert wall(deadline, AUCKLAND) == "Mon 2024-04-08 10:00:00 NZST"
        assert deadline == utc("2024-04-07 22:00")  # still Sunday in UTC

    def test_auckland_holiday(self):
        clock = BusinessClock(AUCKLAND, week(NINE_TO_FIVE), [date(2024, 4, 25)])
        deadline = clock.add(at(AUCKLAND, "2024-04-24 16:30"), H)
        assert wall(deadline, AUCKLAND) == "Fri 2024-04-26 09:30:00 NZST"
        assert clock.elapsed(at(AUCKLAND, "2024-04-24 12:00"), at(AUCKLAND, "2024-04-26 12:00")) == 8 * H


class TestDaylightSaving:
    @pytest.mark.parametrize(
        "zone, day, hours",
        [
            (NEW_YORK, date(2024, 3, 10), 23),
            (NEW_YORK, date(2024, 11, 3), 25),
            (BERLIN, date(2024, 3, 31), 23),
            (BERLIN, date(2024, 10, 27), 25),
            (NEW_YORK, date(2024, 3, 11), 24),
            (BERLIN, date(2024, 10, 28), 24),
        ],
    )
    def test_a_whole_day_calendar_has_23_or_25_hours_on_change_days(self, zone, day, hours):
        clock = BusinessClock(zone, [ALL_DAY] * 7)
        midnight = datetime.combine(day, datetime.min.time())
        start = at(zone, midnight.isoformat())
        end = at(zone, (midnight + timedelta(days=1)).isoformat())
        assert clock.elapsed(start, end) == hours * H
        assert clock.add(start, hours * H) == end
        ((opens, closes),) = clock.intervals_on(day)
        assert (opens, closes) == (start, end)

    def test_new_york_all_day_spring(self):
        clock = BusinessClock(NEW_YORK, [ALL_DAY] * 7)
        start = at(NEW_YORK, "2024-03-10 01:30")
        assert wall(clock.add(start, 30 * M), NEW_YORK) == "Sun 2024-03-10 03:00:00 EDT"
        assert wall(clock.add(start, H), NEW_YORK) == "Sun 2024-03-10 03:30:00 EDT"
        assert clock.elapsed(start, at(NEW_YORK, "2024-03-10 04:00")) == 90 * M

    def test_new_york_all_day_autumn(self):
        clock = BusinessClock(NEW_YORK, [ALL_DAY] * 7)
        start = at(NEW_YORK, "2024-11-03 00:00")
        assert wall(clock.add(start, 90 * M), NEW_YORK) == "Sun 2024-11-03 01:30:00 EDT"
        assert wall(clock.add(start, 150 * M), NEW_YORK) == "Sun 2024-11-03 01:30:00 EST"
        assert clock.add(start, 150 * M) == at(NEW_YORK, "2024-11-03 01:30", fold=1)
        assert clock.elapsed(start, at(NEW_YORK, "2024-11-03 03:00")) == 4 * H

    @pytest.mark.parametrize(
        "zone, day, opens, closes, hours",
        [
            # A night shift 01:00-05:00 that contains the change.
            (NEW_YORK, date(2024, 3, 10), "2024-03-10 06:00", "2024-03-10 09:00", 3),
            (NEW_YORK, date(2024, 11, 3), "2024-11-03 05:00", "2024-11-03 10:00", 5),
            (BERLIN, date(2024, 3, 31), "2024-03-31 00:00", "2024-03-31 03:00", 3),
            (BERLIN, date(2024, 10, 27), "2024-10-26 23:00", "2024-10-27 04:00", 5),
        ],
    )
    def test_night_shift_across_the_change(self, zone, day, opens, closes, hours):
        clock = BusinessClock(zone, [[span("01:00-05:00")]] * 7)
        assert clock.intervals_on(day) == ((utc(opens), utc(closes)),)
        start = at(zone, f"{day.isoformat()} 00:00")
        end_of_day = at(zone, f"{day.isoformat()} 23:00")
        assert clock.elapsed(start, end_of_day) == hours * H
        assert clock.add(start, hours * H) == utc(closes)
        assert clock.add(start, hours * H).astimezone(zone).strftime("%H:%M") == "05:00"

    def test_night_shift_deadline_through_the_autumn_change(self):
        clock = BusinessClock(BERLIN, [[span("01:00-05:00")]] * 7)
        deadline = clock.add(at(BERLIN, "2024-10-27 01:00"), 3 * H)
        # 01:00 CEST + 3h of real time: 02:00 CEST, 02:00 CET, 03:00 CET.
        assert wall(deadline, BERLIN) == "Sun 2024-10-27 03:00:00 CET"

    def test_office_hours_across_both_changes_new_york(self, spec_clock):
        start = at(NEW_YORK, "2024-11-01 16:00")
        deadline = spec_clock.add(start, 2 * H)
        assert wall(deadline, NEW_YORK) == "Mon 2024-11-04 10:00:00 EST"
        assert deadline == utc("2024-11-04 15:00")
        assert spec_clock.elapsed(start, deadline) == 2 * H

    def test_two_interval_berlin_across_both_changes(self):
        clock = BusinessClock(BERLIN, week([span("08:00-12:00"), span("13:00-17:00")]))
        deadline = clock.add(at(BERLIN, "2024-03-29 16:00"), 3 * H)
        assert wall(deadline, BERLIN) == "Mon 2024-04-01 10:00:00 CEST"
        assert deadline == utc("2024-04-01 08:00")
        deadline = clock.add(at(BERLIN, "2024-10-25 11:30"), 5 * H)
        assert wall(deadline, BERLIN) == "Mon 2024-10-28 08:30:00 CET"
        assert deadline == utc("2024-10-28 07:30")

    def test_hours_that_end_and_start_inside_the_spring_gap(self):
        # 02:00-03:00 does not exist on 2024-03-10 in New York. With 00:00-02:30 and
        # 03:00-24:00 every real instant of that day is working time: 23 hours, not 23.5.
        clock = BusinessClock(NEW_YORK, [[span("00:00-02:30"), span("03:00-24:00")]] * 7)
        day_start, day_end = at(NEW_YORK, "2024-03-10 00:00"), at(NEW_YORK, "2024-03-11 00:00")
        assert clock.elapsed(day_start, day_end) == 23 * H
        assert clock.intervals_on(date(2024, 3, 10)) == (
            (utc("2024-03-10 05:00"), utc("2024-03-10 07:00")),
            (utc("2024-03-10 07:00"), utc("2024-03-11 04:00")),
        )
        assert clock.add(day_start, 2 * H + M) == at(NEW_YORK, "2024-03-10 03:01")

    def test_interval_opening_inside_the_spring_gap(self):
        # 02:30-03:20 on the spring-forward day is really 03:00-03:20 EDT: twenty minutes.
        clock = BusinessClock(NEW_YORK, [[span("02:30-03:20")]] * 7)
        assert clock.intervals_on(date(2024, 3, 10)) == ((utc("2024-03-10 07:00"), utc("2024-03-10 07:20")),)
        assert clock.intervals_on(date(2024, 3, 11)) == ((utc("2024-03-11 06:30"), utc("2024-03-11 07:20")),)
        assert clock.is_open(at(NEW_YORK, "2024-03-10 03:10"))
        deadline = clock.add(at(NEW_YORK, "2024-03-10 00:00"), 30 * M)
        assert wall(deadline, NEW_YORK) == "Mon 2024-03-11 02:40:00 EDT"

    def test_interval_wholly_inside_the_spring_gap_is_empty(self):
        clock = BusinessClock(NEW_YORK, [[span("02:00-03:00"), span("09:00-10:00")]] * 7)
        assert clock.intervals_on(date(2024, 3, 10)) == ((utc("2024-03-10 13:00"), utc("2024-03-10 14:00")),)
        assert len(clock.intervals_on(date(2024, 3, 9))) == 2


class TestZoneAwareInput:
    """Instants given in a zone other than UTC must be handled as real instants: Python does
    same-zone datetime arithmetic and comparisons on wall time, ignoring DST offsets and fold."""

    def test_add_across_spring_change_inside_an_interval(self):
        clock = BusinessClock(NEW_YORK, [ALL_DAY] * 7)
        start = datetime(2024, 3, 10, 1, 30, tzinfo=NEW_YORK)  # EST
        deadline = clock.add(start, 2 * H)
        assert wall(deadline, NEW_YORK) == "Sun 2024-03-10 04:30:00 EDT"
        assert deadline == utc("2024-03-10 08:30")

    def test_elapsed_across_spring_change_inside_an_interval(self):
        clock = BusinessClock(NEW_YORK, [ALL_DAY] * 7)
        start = datetime(2024, 3, 10, 1, 30, tzinfo=NEW_YORK)  # EST
        end = datetime(2024, 3, 10, 3, 30, tzinfo=NEW_YORK)  # EDT
        assert clock.elapsed(start, end) == H
        assert clock.elapsed(end, start) == -H

    def test_elapsed_between_the_two_one_thirties_of_autumn(self):
        clock = BusinessClock(NEW_YORK, [ALL_DAY] * 7)
        first = datetime(2024, 11, 3, 1, 30, tzinfo=NEW_YORK)  # 01:30 EDT
        second = datetime(2024, 11, 3, 1, 10, fold=1, tzinfo=NEW_YORK)  # 01:10 EST, 40 min later
        assert clock.elapsed(first, second) == 40 * M
        assert clock.elapsed(second, first) == -40 * M
        assert clock.add(first, 40 * M) == second.astimezone(UTC)

    def test_is_open_and_next_opening_with_local_input(self, spec_clock):
        assert spec_clock.is_open(datetime(2024, 3, 11, 9, 0, tzinfo=NEW_YORK))
        opening = spec_clock.next_opening(datetime(2024, 3, 9, 12, 0, tzinfo=BERLIN))
        assert opening == utc("2024-03-11 13:00")  # Monday 09:00 EDT
        assert_utc(opening)


class TestIsOpenAndNextOpening:
    def test_open_at_opening_closed_at_closing(self, spec_clock):
        assert spec_clock.is_open(at(NEW_YORK, "2024-06-10 09:00"))
        assert not spec_clock.is_open(at(NEW_YORK, "2024-06-10 08:59:59"))
        assert spec_clock.is_open(at(NEW_YORK, "2024-06-10 16:59:59"))
        assert not spec_clock.is_open(at(NEW_YORK, "2024-06-10 17:00"))
        assert not spec_clock.is_open(at(NEW_YORK, "2024-06-08 12:00"))  # Saturday
        assert not spec_clock.is_open(at(NEW_YORK, "2026-12-25 12:00"))  # holiday

    def test_all_day_calendar_is_open_at_midnight(self):
        clock = BusinessClock(NEW_YORK, [ALL_DAY] * 7)
        assert clock.is_open(at(NEW_YORK, "2024-06-10 00:00"))
        assert clock.next_opening(at(NEW_YORK, "2024-06-10 00:00")) == at(NEW_YORK, "2024-06-10 00:00")

    def test_next_opening(self, spec_clock):
        inside = at(NEW_YORK, "2024-06-10 11:11:11")
        assert spec_clock.next_opening(inside) == inside
        assert wall(spec_clock.next_opening(at(NEW_YORK, "2024-06-10 17:00")), NEW_YORK) == "Tue 2024-06-11 09:00:00 EDT"
        assert wall(spec_clock.next_opening(at(NEW_YORK, "2024-06-07 18:00")), NEW_YORK) == "Mon 2024-06-10 09:00:00 EDT"
        assert wall(spec_clock.next_opening(at(NEW_YORK, "2024-06-10 03:00")), NEW_YORK) == "Mon 2024-06-10 09:00:00 EDT"
        assert wall(spec_clock.next_opening(at(NEW_YORK, "2026-12-24 17:30")), NEW_YORK) == "Mon 2026-12-28 09:00:00 EST"
        assert_utc(spec_clock.next_opening(at(NEW_YORK, "2026-12-24 17:30")))


class TestElapsed:
    def test_over_a_weekend(self, spec_clock):
        assert spec_clock.elapsed(at(NEW_YORK, "2024-06-07 16:00"), at(NEW_YORK, "2024-06-10 10:00")) == 2 * H

    def test_over_a_holiday(self, spec_clock):
        # Thursday 16:00 -> Monday 10:00 with Christmas (Friday) off: 1h + 1h.
        assert spec_clock.elapsed(at(NEW_YORK, "2026-12-24 16:00"), at(NEW_YORK, "2026-12-28 10:00")) == 2 * H
        # Thursday 12:00 -> Monday 12:00 over New Year's Day: 5h + 3h.
        assert spec_clock.elapsed(at(NEW_YORK, "2026-12-31 12:00"), at(NEW_YORK, "2027-01-04 12:00")) == 8 * H

    def test_a_whole_week(self, spec_clock):
        assert spec_clock.elapsed(at(NEW_YORK, "2024-06-09 00:00"), at(NEW_YORK, "2024-06-16 00:00")) == 40 * H
        # The week of Christmas 2026: four working days.
        assert spec_clock.elapsed(at(NEW_YORK, "2026-12-20 00:00"), at(NEW_YORK, "2026-12-27 00:00")) == 32 * H

    def test_both_ends_outside_hours(self, spec_clock):
        assert spec_clock.elapsed(at(NEW_YORK, "2024-06-08 10:00"), at(NEW_YORK, "2024-06-09 20:00")) == timedelta(0)
        assert spec_clock.elapsed(at(NEW_YORK, "2024-06-10 18:00"), at(NEW_YORK, "2024-06-11 08:00")) == timedelta(0)

    def test_signed(self, spec_clock):
        start, end = at(NEW_YORK, "2024-06-07 16:00"), at(NEW_YORK, "2024-06-10 10:00")
        assert spec_clock.elapsed(end, start) == -2 * H
        assert spec_clock.elapsed(start, start) == timedelta(0)
        assert spec_clock.elapsed(at(NEW_YORK, "2024-06-10 12:00"), at(NEW_YORK, "2024-06-10 10:30")) == -90 * M


# -- 3. properties -------------------------------------------------------------------------------
CALENDARS = {
    # The SPEC default.
    "new-york-9-17": BusinessClock(NEW_YORK, week(NINE_TO_FIVE), SPEC_HOLIDAYS),
    # Two intervals a day, Berlin, with a short Saturday and a holiday.
    "berlin-split": BusinessClock(
        BERLIN,
        week([span("08:30-12:00"), span("13:00-17:30")], saturday=[span("09:00-12:00")]),
        [date(2024, 12, 25), date(2025, 5, 1)],
    ),
    # Around the clock, Sunday to Saturday, in New York: crosses every DST change.
    "new-york-24-7": BusinessClock(NEW_YORK, [ALL_DAY] * 7),
    # A night shift whose hours contain the New York changes, with an end inside the gap.
    "new-york-night": BusinessClock(NEW_YORK, [[span("00:30-02:30"), span("03:00-05:00")]] * 7),
}

EPOCH_MIN = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp())
EPOCH_MAX = int(datetime(2027, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())
DST_CHANGES = [
    # New York
    date(2023, 3, 12), date(2023, 11, 5), date(2024, 3, 10), date(2024, 11, 3), date(2025, 3, 9),
    date(2025, 11, 2), date(2026, 3, 8), date(2026, 11, 1), date(2027, 3, 14), date(2027, 11, 7),
    # Berlin
    date(2023, 3, 26), date(2023, 10, 29), date(2024, 3, 31), date(2024, 10, 27), date(2025, 3, 30),
    date(2025, 10, 26), date(2026, 3, 29), date(2026, 10, 25), date(2027, 3, 28), date(2027, 10, 31),
]  # fmt: skip


def _from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _near(day: date, offset: int) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=offset)


instants = st.one_of(
    # anywhere in 2023-2027, whole seconds
    st.integers(EPOCH_MIN, EPOCH_MAX).map(_from_epoch),
    # on a quarter hour, so openings, closings and midnights come up often
    st.integers(EPOCH_MIN // 900, EPOCH_MAX // 900).map(lambda k: _from_epoch(k * 900)),
    # within a few days of a DST change or of the holidays
    st.builds(
        _near,
        st.sampled_from(DST_CHANGES + SPEC_HOLIDAYS),
        st.integers(-4 * 86400, 4 * 86400).map(lambda s: s - s % 900) | st.integers(-4 * 86400, 4 * 86400),
    ),
)
durations = st.one_of(
    st.integers(0, 200 * 3600),
    st.integers(0, 200 * 4).map(lambda k: k * 900),
    st.integers(0, 120),
).map(lambda s: timedelta(seconds=s))

PROPERTY = settings(
    deadline=None,
    max_examples=200,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# The three calendars of the brief run every property; the night shift (whose hours end inside
# the spring-forward gap) runs the cheaper structural ones, to keep the file fast.
MAIN = ["new-york-9-17", "berlin-split", "new-york-24-7"]
calendar_param = pytest.mark.parametrize("clock", [CALENDARS[name] for name in MAIN], ids=MAIN)
every_calendar = pytest.mark.parametrize("clock", list(CALENDARS.values()), ids=list(CALENDARS))


def _at_a_closing(clock: BusinessClock, instant: datetime) -> bool:
    local_day = instant.astimezone(clock.zone).date()
    return any(
        closes == instant
        for day in (local_day - timedelta(days=1), local_day)
        for _, closes in clock.intervals_on(day)
    )


@calendar_param
@PROPERTY
@given(t=instants, a=durations, b=durations)
def test_add_is_associative(clock, t, a, b):
    assert clock.add(clock.add(t, a), b) == clock.add(t, a + b)


@calendar_param
@PROPERTY
@given(t=instants, n=durations)
def test_elapsed_inverts_add(clock, t, n):
    deadline = clock.add(t, n)
    assert deadline >= t
    assert deadline.utcoffset() == timedelta(0)
    assert clock.elapsed(t, deadline) == n
    assert clock.elapsed(deadline, t) == -n


@calendar_param
@PROPERTY
@given(t=instants, n1=durations, n2=durations)
def test_add_is_monotonic(clock, t, n1, n2):
    n1, n2 = min(n1, n2), max(n1, n2)
    assert clock.add(t, n1) <= clock.add(t, n2)
    if n1 < n2:
        assert clock.add(t, n1) < clock.add(t, n2)


# Offsets of up to ~40 days either way (working time over years would only make the run slow).
offsets = st.one_of(
    st.integers(-40 * 86400, 40 * 86400),
    st.integers(-40 * 96, 40 * 96).map(lambda k: k * 900),
).map(lambda s: timedelta(seconds=s))


@calendar_param
@PROPERTY
@given(a=instants, to_b=offsets, to_c=offsets)
def test_elapsed_is_additive(clock, a, to_b, to_c):
    b, c = a + to_b, a + to_c
    assert clock.elapsed(a, b) + clock.elapsed(b, c) == clock.elapsed(a, c)
    assert clock.elapsed(a, b) == -clock.elapsed(b, a)


@every_calendar
@PROPERTY
@given(t=instants)
def test_intervals_are_ordered_and_disjoint(clock, t):
    day = t.astimezone(clock.zone).date()
    spans = [s for d in range(-1, 2) for s in clock.intervals_on(day + timedelta(days=d))]
    for opens, closes in spans:
        assert opens < closes
        assert opens.utcoffset() == closes.utcoffset() == timedelta(0)
    for (_, closes), (opens, _) in zip(spans, spans[1:]):
        assert closes <= opens


@calendar_param
@PROPERTY
@given(t=instants, n=durations)
def test_deadline_is_in_working_hours_or_on_a_closing(clock, t, n):
    deadline = clock.add(t, n)
    if n > timedelta(0):
        assert clock.is_open(deadline) or _at_a_closing(clock, deadline)
        # The working second just before the deadline is working time.
        assert clock.elapsed(deadline - S, deadline) == S


@every_calendar
@PROPERTY
@given(t=instants)
def test_next_opening_agrees_with_is_open_and_add(clock, t):
    opening = clock.next_opening(t)
    assert opening >= t
    assert clock.is_open(opening)
    assert clock.elapsed(t, opening) == timedelta(0)
    assert (opening == t) == clock.is_open(t)
    assert clock.add(t, S) == opening + S
    assert clock.is_open(t) == (clock.elapsed(t, t + S) == S)
