"""Reading times as spreadsheets and CRMs write them (leadterm.engine.values and .formats),
below the CLI: what the import's speed rests on."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from leadterm.engine import formats, values
from leadterm.engine.times import InstantError, parse_instant

#: Every list of formats a time is read by, whole
_LISTS = {"numeric": values._NUMERIC_FORMATS, "named month": values._NAMED_MONTH_FORMATS,
          **{f"slashed {order} {digits}": listed for (order, digits), listed in values._SLASHED_FORMATS.items()}}


@settings(max_examples=500, deadline=None)
@given(st.from_regex(r"[-+ TW:.0-9\uff10-\uff19]{0,2}[0-9]{4}-?(?:(?:0[1-9]|1[0-2])-?(?:0[1-9]|1[0-9]|2[0-8])"
                     r"|W(?:0[1-9]|[1-4][0-9])(?:-?[1-7])?|[0-2][0-9]{2})"
                     r"(?:[T ](?:[01][0-9]|2[0-3])(?::?[0-5][0-9](?::?[0-5][0-9](?:[.,][0-9]{1,6})?)?)?)?"
                     r"(?:Z|[+-]0[0-9]:?[0-5][0-9])?", fullmatch=True))
def test_iso_8601_starts_with_four_digits(text: str) -> None:
    # values.parse_time asks parse_instant only of a time that does (a failed reading costs 2 µs)
    try:
        parse_instant(text, timezone.utc)
    except InstantError:
        return
    assert text.strip()[:4].isdigit(), text


def _strptime(text: str, pattern: str) -> datetime | None:
    try:
        return datetime.strptime(text, pattern)
    except ValueError:
        return None


@settings(max_examples=100, deadline=None)
@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2068, 12, 31)),
       st.sampled_from([timezone.utc, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))]))
def test_no_two_formats_of_a_list_read_a_text_differently(moment: datetime, zone: timezone) -> None:
    # a column's times are read by the format that read the value before first
    # (formats.read_formatted), so the order a list's formats are tried in must change no value read
    moment = moment.replace(microsecond=0, tzinfo=zone)
    for name, formats in _LISTS.items():
        for written in formats:
            text = moment.strftime(written)
            for spelling in {text, re.sub(r"\b0(\d)", r"\1", text)}:  # padded and not: 05 and 5
                read = {pattern: value for pattern in formats if (value := _strptime(spelling, pattern)) is not None}
                assert len(set(read.values())) <= 1, (name, spelling, read)


_EVERY_FORMAT = sorted({pattern for listed in _LISTS.values() for pattern in listed})
#: What a directive may be filled with: in range or not, written one way or another
_NUMBERS = ["0", "00", "000", "1", "01", "001", "005", "7", "07", "9", "12", "13", "19", "23", "24", "28", "29",
            "30", "31", "32", "59", "60", "61", "68", "69", "99", "100", "2026", "", " 5", "5 ", "+5", "-5", "\u0665",
            "\u0660\u0665", "5.0"]
_FILLINGS = {
    "Y": ["2026", "0999", "0001", "0000", "9999", "1969", "2068", "10000", "026", "", " 2026", "\u0662\u0660\u0662\u0666"],
    **dict.fromkeys("ymdHIMS", _NUMBERS),
    "p": ["AM", "PM", "am", "pm", "Am", "pM", "A.M.", "", "XM", "AMM"],
    "b": ["Jan", "Feb", "May", "Sep", "Dec", "NOV", "nov", "nOv", "Sept", "June", "Xyz", "", "Nov."],
    "B": ["January", "February", "May", "September", "December", "NOVEMBER", "november", "Nov", "Septembe", ""],
    "a": ["Fri", "Mon", "fri", "Xyz"], "A": ["Friday", "Monday", "friday"], "z": ["+0100", "-0500", "+01:00", "Z"],
}
#: A value each directive reads (of 20 Nov 2026, 10:15:30 PM)
_FILLED = {"Y": "2026", "y": "26", "m": "11", "d": "20", "H": "22", "I": "10", "M": "15", "S": "30", "p": "PM",
           "b": "Nov", "B": "November", "a": "Fri", "A": "Friday", "z": "+0100"}


def test_a_format_s_quick_reader_reads_what_strptime_reads_the_same_or_leaves_it_to_strptime() -> None:
    # each directive of each format filled with each of its fillings, the others in range
    for pattern in _EVERY_FORMAT:
        quick = formats._quick_reader(pattern)
        if quick is None:
            continue
        directives = re.findall("%(.)", pattern)
        for changed in directives:
            for filling in _FILLINGS[changed]:
                text = re.sub("%(.)", lambda at: filling if at[1] == changed else _FILLED[at[1]], pattern)
                read = quick(text)
                assert read is None or read == _strptime(text, pattern), (pattern, text, read)


@settings(max_examples=1000, deadline=None)
@given(st.sampled_from(_EVERY_FORMAT), st.data())
def test_a_quick_reader_reads_what_strptime_reads_the_same_whatever_fills_its_format(
        pattern: str, data: st.DataObject) -> None:
    quick = formats._quick_reader(pattern)
    if quick is None:
        return
    text = re.sub("%(.)", lambda directive: data.draw(st.sampled_from(_FILLINGS[directive[1]])), pattern)
    if data.draw(st.booleans()):  # the literal text written otherwise: two spaces, other case
        text = data.draw(st.sampled_from([text.replace(" ", "  ", 1), text.upper(), text.lower(), " " + text]))
    read = quick(text)
    assert read is None or read == _strptime(text, pattern), (pattern, text, read)


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1969, 1, 1), max_value=datetime(2068, 12, 31)))
def test_a_quick_reader_reads_each_time_its_format_writes(moment: datetime) -> None:
    # every format of numbers, month names and AM/PM has one, and it reads what strptime reads
    moment = moment.replace(microsecond=0)
    for pattern in _EVERY_FORMAT:
        quick = formats._quick_reader(pattern)
        assert (quick is None) == bool(re.search("%[aAz]", pattern)), pattern
        if quick is not None:
            text = moment.strftime(pattern)
            assert quick(text) == _strptime(text, pattern) is not None, (pattern, text)
            unpadded = re.sub(r"\b0(\d)", r"\1", text)  # 5 for 05 (and 0 for a year 00, which neither reads)
            assert quick(unpadded) == _strptime(unpadded, pattern), (pattern, unpadded)
