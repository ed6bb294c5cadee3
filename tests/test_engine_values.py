"""Reading times as spreadsheets and CRMs write them (leadterm.engine.values), below the CLI:
what the import's speed rests on."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from leadterm.engine import values

#: Every list of formats a time is read by, whole
_LISTS = {"numeric": values._NUMERIC_FORMATS, "named month": values._NAMED_MONTH_FORMATS,
          **{f"slashed {order} {digits}": formats for (order, digits), formats in values._SLASHED_FORMATS.items()}}


def _strptime(text: str, pattern: str) -> datetime | None:
    try:
        return datetime.strptime(text, pattern)
    except ValueError:
        return None


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2068, 12, 31)),
       st.sampled_from([timezone.utc, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))]))
def test_no_two_formats_of_a_list_read_a_text_differently(moment: datetime, zone: timezone) -> None:
    # a column's times are read by the format that read the value before first (values._read),
    # so the order a list's formats are tried in must change no value read
    moment = moment.replace(microsecond=0, tzinfo=zone)
    for name, formats in _LISTS.items():
        for written in formats:
            text = moment.strftime(written)
            for spelling in {text, re.sub(r"\b0(\d)", r"\1", text)}:  # padded and not: 05 and 5
                read = {pattern: value for pattern in formats if (value := _strptime(spelling, pattern)) is not None}
                assert len(set(read.values())) <= 1, (name, spelling, read)
