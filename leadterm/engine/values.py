"""Reading typed values out of CSV text. Everything not numeric or a time stays text as is, but
composed (``composed``: the same text, written one way)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, tzinfo
from functools import partial
from itertools import compress, repeat
from operator import attrgetter, floordiv, not_
from typing import Any

from leadterm.engine.formats import read_formatted
from leadterm.engine.times import UTC, InstantError, early_fraction, from_iso, parse_instant, without_utc

__all__ = ["parse_count", "parse_time", "date_order_of", "DAY_FIRST", "MONTH_FIRST", "DATE_ORDERS", "TOLD", "GUESSED", "epoch_of", "epochs_of", "column_epochs", "clean_text", "clean_column", "composed", "is_composed", "composed_column", "event_type", "blanks_as_none", "each_distinct", "repeats", "ValueProblem", "to_spreadsheet", "from_spreadsheet", "semicolon_protected", "spreadsheet_protected", "PROTECTED_STARTS"]


class ValueProblem(ValueError):
    """A value that is not what its column needs."""


#: The two orders a slashed date may be written in: 20/11/2026 (day first: Europe, most of the
#: world) and 11/20/2026 (month first: the US). Which one a file uses is ``date_order_of``'s to say.
DAY_FIRST, MONTH_FIRST = "day-first", "month-first"
DATE_ORDERS = (DAY_FIRST, MONTH_FIRST)
_SPELLED = {DAY_FIRST: "day/month/year", MONTH_FIRST: "month/day/year"}

#: What may follow a slashed date: Excel's time in its locale, and Salesforce Lightning's
#: reports (a comma after the date: with AM/PM in the US, 24 hours in a day-first locale).
_AFTER_SLASHED = {
    MONTH_FIRST: (" %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p", "", ", %I:%M:%S %p", ", %I:%M %p"),
    DAY_FIRST: (" %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p", "", ", %H:%M:%S", ", %H:%M", ", %I:%M:%S %p",
                ", %I:%M %p"),
}
#: By order and the digits of the year (Excel for Mac's default short date: 11/20/26).
_SLASHED_FORMATS = {
    (order, digits): tuple(date + after for after in _AFTER_SLASHED[order])
    for order, first in ((MONTH_FIRST, "%m/%d/"), (DAY_FIRST, "%d/%m/"))
    for digits, date in ((4, first + "%Y"), (2, first + "%y"))
}
#: The other numeric spellings: the German default (Salesforce Lightning in German: a comma
#: after the date), times with dots (Finnish and Danish: 10.15 is 10:15; after a space or a T),
#: and the ISO order with an hour of one digit or slashes, which ISO 8601 readers refuse.
_NUMERIC_FORMATS = (
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d.%m.%y %H:%M",
    "%d.%m.%y",
    "%d.%m.%Y, %H:%M:%S",
    "%d.%m.%Y, %H:%M",
    "%d.%m.%Y %H.%M.%S",
    "%d.%m.%Y %H.%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H.%M.%S",
    "%Y-%m-%d %H.%M",
    "%Y-%m-%dT%H.%M.%S",
    "%Y-%m-%dT%H.%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
)
#: Months by name, as CRMs show them (Marketo, HubSpot: "Nov 20, 2026 10:20 AM"; Salesforce
#: Lightning: "Nov 20, 2026, 10:15:00 AM"), LinkedIn exports them ("20 Nov 2026"), Excel formats
#: them ("20-Nov-26", "20-Nov-2026 10:15", "Friday, November 20, 2026"), Apple's apps too ("Nov 20,
#: 2026 at 10:15 AM", with seconds or not; on a British Mac "20 Nov 2026 at 10:15"), and mail and web
#: APIs write them (RFC 2822: "Fri, 20 Nov 2026 10:15:00 GMT" or "+0100", the weekday optional); English names:
#: nothing in leadterm sets a locale, so strptime reads the C locale's. Tried only for a value
#: with a word of three letters in it.
_NAMED_MONTH_FORMATS = (
    "%b %d, %Y %I:%M:%S %p",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y, %I:%M:%S %p",
    "%b %d, %Y, %I:%M %p",
    "%b %d, %Y %H:%M",
    "%b %d, %Y",
    "%B %d, %Y %I:%M %p",
    "%B %d, %Y",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d %Y %I:%M %p",
    "%b %d %Y",
    "%B %d %Y",
    "%d %B %Y %H:%M",
    "%b %d, %Y at %I:%M %p",
    "%B %d, %Y at %I:%M %p",
    "%b %d, %Y at %I:%M:%S %p",
    "%B %d, %Y at %I:%M:%S %p",
    "%d %b %Y at %H:%M",
    "%d %b %Y at %H:%M:%S",
    "%d %B %Y at %H:%M",
    "%d %B %Y at %H:%M:%S",
    "%d-%b-%y",
    "%d-%b-%Y",
    "%d-%b-%y %H:%M",
    "%d-%b-%Y %H:%M",
    "%d-%b-%Y %H:%M:%S",
    "%A, %B %d, %Y",
    "%a, %d %b %Y %H:%M:%S",
    "%a, %d %b %Y %H:%M:%S %z",
    "%a, %d %b %Y %H:%M",
    "%d %b %Y %H:%M:%S %z",
)
#: Seconds since 1970 (UTC), as product analytics exports write event times (Mixpanel, Segment):
#: 9 or 10 digits (1973 to 2286), perhaps with a fraction; or milliseconds, 12 or 13 digits.
_SECONDS_DIGITS, _MILLISECONDS_DIGITS = {9, 10}, {12, 13}
_EPOCH = re.compile(r"(\d{9,10})(?:\.\d+)?|(\d{12,13})(?:\.\d+)?")  # (the digits above)
#: Digits, perhaps with a fraction: a count, never an ISO 8601 date-time to leadterm (``epoch_of``).
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_MONTH_NAME = re.compile(r"[A-Za-z]{3}")
#: September as the US press and British usage abbreviate it ("Sept 20, 2026"), which strptime's
#: %b (Sep) refuses: read as Sep
_SEPT = re.compile(r"(?<![a-z])sept(?![a-z])", re.IGNORECASE)


#: A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


#: What ``to_spreadsheet`` puts a ' before: a formula start, and a ' itself.
PROTECTED_STARTS = (*_FORMULA_STARTS, "'")

#: Excel in a locale whose list separator is ';' (German, French, Dutch...) splits a
#: comma-separated file at every ';' it opens, quoted or not, so what follows a ';' inside a
#: cell starts a cell too (OWASP: a field separator in a value). ``to_spreadsheet`` puts a '
#: after each ';' before a protected start (``_SEMICOLON``), ``from_spreadsheet`` takes exactly
#: those out again (``_SEMICOLON_PROTECTED``: ";'" before the same starts, left to right).
_STARTS_CLASS = "[" + "".join(map(re.escape, PROTECTED_STARTS)) + "]"
_SEMICOLON = re.compile(";(?=" + _STARTS_CLASS + ")")
_SEMICOLON_PROTECTED = re.compile(";'(?=" + _STARTS_CLASS + ")")


def to_spreadsheet(text: str) -> str:
    """A cell a spreadsheet shows as text, split at its ';'s or not: a ' before a formula start
    at its start and after a ';' (and before a ' there, so that ``from_spreadsheet`` gives every
    value back exactly)."""
    if ";" in text:
        text = _SEMICOLON.sub(";'", text)
    if text.startswith(PROTECTED_STARTS):
        return "'" + text
    return text


def from_spreadsheet(text: str) -> str:
    """The value ``to_spreadsheet`` protected, as it was: the ' at its start before a formula
    start or a ' taken out, and each ' after a ';' before one."""
    if len(text) > 1 and text[0] == "'" and (text[1] == "'" or text[1:].startswith(_FORMULA_STARTS)):
        text = text[1:]
    if ";'" in text:
        text = _SEMICOLON_PROTECTED.sub(";", text)
    return text


def semicolon_protected(text: str) -> bool:
    """Whether ``text`` holds a ' that ``from_spreadsheet`` would take out after a ';' (one
    C-level search when it holds no ";'", as nearly every text)."""
    return ";'" in text and _SEMICOLON_PROTECTED.search(text) is not None


def spreadsheet_protected(texts: Sequence[str]) -> bool:
    """Whether ``to_spreadsheet`` would change any of ``texts``: a C-level pass over their
    starts, then a search of their text joined for a ';' (and one for what follows a ';')."""
    if any(map(str.startswith, texts, repeat(PROTECTED_STARTS))):
        return True
    joined = "\0".join(texts)  # (NUL is no protected start: a ';' ending a text is not taken for one before one)
    return ";" in joined and _SEMICOLON.search(joined) is not None


def clean_text(value: str | None) -> str | None:
    """Trimmed text (a spreadsheet-protected cell unprotected), or None when blank."""
    if value is None:
        return None
    stripped = value.strip()
    if stripped[:1] == "'" or ";'" in stripped:
        stripped = from_spreadsheet(stripped)
    return stripped or None


def clean_column(values: list[str]) -> list[str]:
    """``clean_text`` over a column, in C-level passes, except that a blank stays ""."""
    values = list(map(str.strip, values))
    joined = "\n" + "\n".join(values)
    if "\n'" in joined or ";'" in joined:  # a cell starting with ', or a ' after a ';' (C-level searches)
        values = list(map(from_spreadsheet, values))
    return values


def composed(text: str) -> str:
    """``text`` composed (NFC), as most tools write accents: macOS tools and some exports write
    "é" as "e" and a combining accent (NFD), which shows the same and compares different, so
    that a rule or a metric would miss it. Text composed already comes back as it is, after
    Unicode's quick check (a C-level pass; none for ASCII)."""
    return unicodedata.normalize("NFC", text)


def is_composed(text: str) -> bool:
    """Whether ``text`` is composed (NFC) throughout, in C-level checks: ASCII (O(1) in
    CPython); Latin-1 alone (encoding it is a copy, about 25 µs a megabyte, against 2 ms for
    Unicode's quick check: each character below U+0100 is its own composed form and combines
    with none, so French, German or Spanish text written composed passes here); else Unicode's
    quick check (which composes the whole text when it finds a combining mark).

    Text that holds several values between characters that never compose (a block's lines,
    a column joined by line breaks) is composed exactly when each value is."""
    if text.isascii():
        return True
    try:
        text.encode("latin-1")
        return True
    except UnicodeEncodeError:
        return unicodedata.is_normalized("NFC", text)


def composed_column(values: list[str]) -> list[str]:
    """``composed`` over a column: the column itself when it is composed throughout (one
    ``is_composed`` of its values joined), else a new one, each distinct value composed once
    where the first values repeat."""
    if is_composed("\n".join(values)):
        return values
    if repeats(values):
        return each_distinct(values, composed, {})
    return list(map(composed, values))


def event_type(text: str) -> str:
    """An event type as stored and as rules name one, whatever its case and however its accents
    are written: composed, case-folded, composed again (folding decomposes a few letters: "ǰ")."""
    return composed(composed(text).casefold())


def blanks_as_none(column: Sequence[Any]) -> Sequence[Any]:
    """The column with each blank ("") as None; a column without one as it is (one C-level search)."""
    return [value or None for value in column] if "" in column else column


def each_distinct(values: Sequence[Any], function: Callable[[Any], Any], memo: dict[Any, Any],
                  limit: int = 50_000, together: bool = False) -> list[Any]:
    """``function`` of each value, called once per distinct value: ``memo`` keeps the results
    from call to call (all forgotten when it would grow past ``limit``), and a column whose
    values were all met before costs one C-level lookup pass. What ``function`` raises is raised.
    ``together``: ``function`` takes the set of values not met before and gives a mapping of
    each to its result (one call per column that holds any: for a database lookup, say).
    """
    try:
        return list(map(memo.__getitem__, values))  # all met before (a search for unmet ones costs a pass more)
    except KeyError:
        pass
    unseen = set(values) - memo.keys()
    if len(memo) + len(unseen) > limit:  # forget the older values (and meet again those of these)
        memo.clear()
        unseen = set(values)
    memo.update(function(unseen) if together else ((value, function(value)) for value in unseen))
    return list(map(memo.__getitem__, values))


_LARGEST = 2**63 - 1  # what the database can hold


#: A whole count as people write one: digits, perhaps grouped by threes with one separator
#: throughout (1,200  1.200  1 200  1'200  1\u2019200), perhaps with a decimal part of zeros
#: after the other mark (1,200.0  1.200,00  1200.0), or grouped as in India (1,20,000).
_WHOLE = re.compile(r"(\d{1,3}(?:(?P<sep>[ ,.'\u2019])\d{3})(?:(?P=sep)\d{3})*|\d{1,2}(?:,\d\d)+,\d{3}|\d+)"
                    r"(?:[.,]0+)?")
_BAND = re.compile(r"(\d[\d,.' \u2019]*)\s*(?:-|\u2013|to)\s*(\d[\d,.' \u2019]*)")  # 51-200, 1,001 to 5,000
_POINT_THOUSAND = re.compile(r"\d{1,3}\.000")
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})  # no-break and thin spaces


#: Thousands as lead forms and list vendors write a size: 5k, 1.5k, a band 1K-5K (its lower bound);
#: never three digits after a mark (1,000k: a thousand thousands, or a typo for 1,000?)
_THOUSANDS = re.compile(r"(\d{1,3}(?:[.,]\d{1,2})?)\s*k(?:\s*(?:-|\u2013|to)\s*\d{1,3}(?:[.,]\d{1,2})?\s*k)?")
#: A band whose upper bound alone is in thousands: 500-1K, 2-5K (its lower bound, a plain count)
_UP_TO_THOUSANDS = re.compile(r"(\d{1,4})\s*(?:-|\u2013|to)\s*\d{1,3}(?:[.,]\d{1,2})?\s*k")
#: A company of one, as LinkedIn's lead forms and CRMs' size pick lists name it
_ALONE = frozenset({"self-employed", "self employed", "myself only", "just me"})


def parse_count(text: str, what: str = "number") -> int:
    """A whole count such as a company size: ``250``, ``1,200`` (or ``1.200``, ``1 200``,
    ``1'200``, as locales group digits), ``1200.0``, a range ``51-200`` (its lower bound, as CRMs
    export size bands), ``10000+``, thousands (``5k``, ``1.5k``, ``1K-5K``, ``500-1K``) or a company of one
    (``Self-employed``)."""
    raw = text.strip()
    cleaned = raw.translate(_SPACES).lower().removesuffix("employees").strip()
    cleaned = cleaned.rstrip("+").strip()
    if cleaned in _ALONE:
        return 1
    if thousands := _THOUSANDS.fullmatch(cleaned):
        return round(float(thousands.group(1).replace(",", ".")) * 1000)
    if band := _UP_TO_THOUSANDS.fullmatch(cleaned):
        return int(band.group(1))
    if band := _BAND.fullmatch(cleaned):
        cleaned = band.group(1).strip()
    whole = _WHOLE.fullmatch(cleaned)
    if whole is None or (mark := cleaned[len(whole.group(1)):][:1]) and mark in whole.group(1):  # 1,200,0
        raise ValueProblem(f"{what}: not a whole number: {raw!r}")
    if _POINT_THOUSAND.fullmatch(cleaned):  # 250.000: 250 to one locale, 250000 to another
        raise ValueProblem(f"{what}: {raw!r} could be {cleaned.split('.')[0]} or {cleaned.replace('.', '')}; "
                           "write it without the point")
    digits = re.sub(r"\D", "", whole.group(1))
    if len(digits) > 19 or int(digits) > _LARGEST:
        raise ValueProblem(f"{what}: too large: {raw[:40]!r}" + ("..." if len(raw) > 40 else ""))
    return int(digits)


def parse_time(text: str, zone: tzinfo, what: str = "time", order: Callable[[], str] | None = None) -> datetime:
    """ISO 8601 (offsets kept, naive read in ``zone``) or a date as spreadsheets and CRMs write
    them; a slashed one (11/20/2026) in the order ``order`` gives (asked only for such a date;
    without it, month-first)."""
    raw = text.strip()
    slashed, read_as = None, MONTH_FIRST
    try:
        if epoch := _EPOCH.fullmatch(raw):  # first: ISO 8601 readers take some 13-digit numbers for dates
            seconds, milliseconds = epoch.groups()
            return datetime.fromtimestamp(int(seconds) if seconds else int(milliseconds) // 1000, UTC)
        if raw[:4].isdigit():  # (ISO 8601 starts with the year: a failed reading costs 2 µs)
            try:
                return parse_instant(raw, zone)
            except InstantError:
                pass
        written, utc = without_utc(raw)  # "2026-11-20 9:00 UTC", which strptime cannot read
        in_zone = UTC if utc else zone
        if _MONTH_NAME.search(written):
            patterns = _NAMED_MONTH_FORMATS
            written = _SEPT.sub("Sep", written)
        elif slashed := _SLASHED.match(written):
            read_as = order() if order is not None else MONTH_FIRST
            patterns = _SLASHED_FORMATS[read_as, len(slashed[3])]
        else:
            patterns = _NUMERIC_FORMATS
        if (value := read_formatted(written, patterns)) is not None:
            return (value if value.tzinfo else value.replace(tzinfo=in_zone)).astimezone(UTC)
    except OverflowError:  # a moment of year 1 or 9999 that is outside them in UTC
        raise ValueProblem(f"{what}: out of range: {raw!r}") from None
    if (slashed and (only := _only_order(int(slashed[1]), int(slashed[2]))) not in (None, read_as)
            and (meant := read_formatted(written, _SLASHED_FORMATS[only, len(slashed[3])])) is not None):
        raise ValueProblem(f"{what}: not a date-time: {raw!r} is {_SPELLED[only]}, and this file's slashed dates are "
                           f"read as {_SPELLED[read_as]}; write it as {meant.date().isoformat()}")
    raise ValueProblem(f"{what}: not a date-time: {raw!r}")


#: A date with slashes: two numbers, day and month in either order, then the year (4 digits or 2).
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d\d)(?!\d)")


def _only_order(first: int, second: int) -> str | None:
    """The one order a slashed date of these two numbers reads in (20/11/2026 day-first,
    11/20/2026 month-first); None when it reads in both (05/11/2026) or in neither (40/11/2026,
    31/02/2026)."""
    if 12 < first and 1 <= second <= 12 and first <= _MONTH_DAYS[second - 1]:
        return DAY_FIRST
    if 12 < second and 1 <= first <= 12 and second <= _MONTH_DAYS[first - 1]:
        return MONTH_FIRST
    return None


_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # at most


#: How the order of a file's slashed dates was settled (``date_order_of``).
TOLD, GUESSED = "file", "guess"

#: Candidates for telling dates, found by sre's fast searches (a literal first, or a digit from
#: a small set): a day of 13 to 31 before a month, or after one (found by its slash).
_DAY_THEN_MONTH = re.compile(r"(1[3-9]|2\d|3[01])/(0?[1-9]|1[0-2])/(?:\d{4}|\d\d)(?!\d)")
_SLASH_DAY = re.compile(r"/(1[3-9]|2\d|3[01])/(?:\d{4}|\d\d)(?!\d)")


def _telling(text: str, starts: str) -> Iterator[str]:
    """The order of each telling date in ``text`` (whole lines of CSV) at a field's start: after
    the text's start, a line break, the delimiter or a quote, and perhaps spaces (``starts``:
    the characters a field may start after)."""
    def field_starts(at: int) -> bool:
        at -= 1
        while at >= 0 and text[at] == " ":
            at -= 1
        return at < 0 or text[at] in starts

    for date in _DAY_THEN_MONTH.finditer(text):
        if _only_order(int(date[1]), int(date[2])) == DAY_FIRST and field_starts(date.start()):
            yield DAY_FIRST
    for date in _SLASH_DAY.finditer(text):
        slash = date.start()
        before = text[max(slash - 3, 0):slash]
        digits = len(before) - len(before.rstrip("0123456789"))  # the month: one digit or two, not three
        if (1 <= digits <= 2 and _only_order(int(before[-digits:]), int(date[1])) == MONTH_FIRST
                and field_starts(slash - digits)):
            yield MONTH_FIRST


def _whole_lines(texts: Iterable[str]) -> Iterator[str]:
    """Text given piece by piece, given again as runs of whole lines (a line of over 4 MB as it is)."""
    rest = ""
    for text in texts:
        text = rest + text
        end = max(text.rfind("\n"), text.rfind("\r")) + 1
        if end == 0 and len(text) < 1 << 22:
            rest = text
            continue
        end = end or len(text)
        yield text[:end]
        rest = text[end:]
    if rest:
        yield rest


def date_order_of(texts: Iterable[str], delimiter: str, headers: Sequence[str] = (),
                  enough: int = 25) -> tuple[str, str]:
    """The order a CSV file's slashed dates are written in, from its text (given piece by piece),
    and how it was settled: ``TOLD`` by the file, or ``GUESSED``.

    A file comes from one spreadsheet or CRM in one locale, so its telling dates (those that read
    in one order only, as 20/11/2026 or 11/20/2026, at a field's start: after a line break, the
    file's delimiter or a quote) are counted, piece by piece from its start until ``enough`` of
    one order are met (a real export tells within its first rows), and the most numerous order
    wins: a stray one, a typo, is outvoted. Without a telling date, or as many of each order,
    the order is guessed: month-first (the US order, and Salesforce's and HubSpot's), unless
    the delimiter is a semicolon (Excel writes CSV so in the locales whose decimal mark is a
    comma, and each of those that writes dates with slashes writes the day first: France, Spain,
    Italy, Brazil...) or a header holds a letter beyond ASCII ("Prénom", "Fecha de creación": a
    tool set to such a locale; the US locale's headers are English, though a form's question may
    hold a curly apostrophe, which is no letter).
    """
    told = Counter({DAY_FIRST: 0, MONTH_FIRST: 0})
    for text in _whole_lines(texts):
        told.update(_telling(text, '\r\n"' + delimiter))
        if max(told.values()) >= enough:
            break
    if told[DAY_FIRST] != told[MONTH_FIRST]:
        return told.most_common(1)[0][0], TOLD
    day_first = delimiter == ";" or any(char.isalpha() and not char.isascii() for char in "".join(headers))
    return (DAY_FIRST if day_first else MONTH_FIRST), GUESSED


#: The first and last whole seconds a datetime can hold (0001-01-01 and 9999-12-31, UTC).
_FIRST_SECOND, _LAST_SECOND = -62_135_596_800, 253_402_300_799
_YEAR_2000, _YEAR_2100 = 946_684_800, 4_102_444_800


def epoch_of(text: str, zone: tzinfo, what: str = "time", order: Callable[[], str] | None = None) -> int:
    """``parse_time`` as epoch seconds (a fraction of a second dropped), with a fast path for
    plain ISO 8601 (most event files)."""
    try:  # (digits alone are a count of seconds, which fromisoformat may take for a date: parse_time)
        value = None if _NUMBER.fullmatch(text) else from_iso(text)  # (10.15: parse_time reads it as 10:15)
    except ValueError:
        value = None
    if value is None:
        value = parse_time(text, zone, what, order)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    seconds = int(value.replace(microsecond=0).timestamp())
    if not _FIRST_SECOND <= seconds <= _LAST_SECOND:
        raise ValueProblem(f"{what}: out of range: {text.strip()!r}")
    return seconds


def column_epochs(texts: list[str], zone: tzinfo, what: str, order: Callable[[], str] | None,
                  memo: dict[str, int]) -> list[int] | None:
    """``epoch_of`` over a column of times, in bulk where it can be: plain ISO 8601
    (``epochs_of``), counts of seconds or milliseconds since 1970 throughout (C-level passes);
    else each distinct time once, as spreadsheets and CRMs write them (``memo`` keeps them from
    column to column: a creation date repeats). None when one is not a time."""
    found = epochs_of(texts, zone)
    if found is not None:
        return found
    joined = "".join(texts)
    if joined.isascii() and joined.isdigit():
        lengths = set(map(len, texts))
        if lengths <= _SECONDS_DIGITS:
            return list(map(int, texts))
        if lengths <= _MILLISECONDS_DIGITS:
            return list(map(floordiv, map(int, texts), repeat(1000)))
    try:
        return each_distinct(texts, partial(epoch_of, zone=zone, what=what, order=order), memo)
    except ValueProblem:
        return None


_SAMPLE = 512  # the first values of a column, to tell one that repeats itself


def repeats(values: Sequence[Any]) -> bool:
    """Whether a column's first values repeat themselves (at most half of them distinct): then
    working each distinct value out once beats working out each value."""
    sample = values[:_SAMPLE]
    return len(sample) > 1 and len(set(sample)) * 2 <= len(sample)


def epochs_of(texts: list[str], zone: tzinfo) -> list[int] | None:
    """``epoch_of`` over a column of plain ISO 8601 times, in C-level passes; None when any is
    not one or is out of range (then each goes through ``epoch_of``), or when naive and zoned
    times are mixed. A column whose first times repeat (dates without a time of day, times to
    the hour) has each distinct time parsed once: about a fifth of the time."""
    if repeats(texts) and len(distinct := set(texts)) * 2 <= len(texts):
        ordered = list(distinct)
        seconds = epochs_of(ordered, zone)
        return None if seconds is None else list(map(dict(zip(ordered, seconds)).__getitem__, texts))
    try:
        moments = list(map(datetime.fromisoformat, texts))
    except ValueError:
        try:  # spaces around them, perhaps
            moments = list(map(datetime.fromisoformat, map(str.strip, texts)))
        except ValueError:
            return None
    zones = set(map(attrgetter("tzinfo"), moments))
    if None in zones:
        if len(zones) > 1:
            return None
        moments = list(map(partial(datetime.replace, tzinfo=zone), moments))
    if any(map(attrgetter("microsecond"), moments)):
        # 10.15 read as 10:00:00.15 (then each is read by parse_time: 10:15) has a second of 0;
        # only those are searched (C-level passes: a column of milliseconds costs about 0.6 ms
        # a 10,000 more)
        on_the_minute = "\n".join(compress(texts, map(not_, map(attrgetter("second"), moments))))
        if on_the_minute and early_fraction(on_the_minute):
            return None
        moments = list(map(partial(datetime.replace, microsecond=0), moments))
    seconds = list(map(int, map(datetime.timestamp, moments)))
    if seconds:
        earliest, latest = min(seconds), max(seconds)
        if earliest < _FIRST_SECOND or latest > _LAST_SECOND:
            return None
        # digits (a count of milliseconds, say) that fromisoformat took for a date: a year of the
        # value's first four digits, so from 1001 to 9999; checked for outside this century (a
        # millisecond count of mid-2033 to mid-2036 would slip through: 20xx)
        if (earliest < _YEAR_2000 or latest >= _YEAR_2100) and any(map(_NUMBER.fullmatch, map(str.strip, texts))):
            return None
    return seconds
