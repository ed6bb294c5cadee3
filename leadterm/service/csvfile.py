"""Reading CSV files as the real world sends them, and writing the rejects beside them.

The reader keeps the physical line number of every record, never lets a broken quote swallow
the rows after it, and refuses files that are not CSV text before anything is read into the
database.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import deque
from itertools import chain, compress, islice, repeat
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from leadterm.engine.values import is_composed, semicolon_protected
from leadterm.service.codepage import windows_1252_or_mac_roman
from leadterm.service.errors import Invalid

__all__ = ["Block", "CsvSource", "Record", "RejectWriter", "REJECTS_COLUMNS", "count_values", "rejects_path", "MAX_FIELD"]

#: The longest field a row may have (characters); a longer one makes the row a reject.
MAX_FIELD = 131_072
_SIGNATURES = {
    b"PK\x03\x04": "a ZIP archive (an Excel .xlsx or .ods workbook?); save it as CSV first",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook; save it as CSV first",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive; unpack it first",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"SQLite format 3": "a SQLite database",
    b"\x7fELF": "a program",
}
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_UTF32_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)  # UTF-32 LE's begins as UTF-16 LE's does
_DELIMITERS = (",", ";", "\t", "|")  # comma first: it wins a tie
_HEADER_SEARCH = 10  # records looked at for a header when the first is not one (a title above it)
_SNIFF_LINES = 20  # data lines read with the header to sniff the delimiter...
_SNIFF_CHARS = 1 << 16  # ...unless they come to this many characters first (whole lines still)
_SCAN = 1 << 20
_ERRORS = "leadterm-windows-1252"  # a byte a codec cannot read, read as Windows-1252 (``_as_windows_1252``)
_TEXT_CONTROLS = frozenset("\t\n\r\x0c")
#: A binary file's tell-tale: the controls text never holds. Not those that terminal text does
#: (ESC, BEL, backspace: a note pasted from a terminal, or a hostile one), which an import
#: keeps as data and shows as escapes; a binary file has plenty of the others.
_CONTROLS = [char for char in map(chr, range(32)) if char not in _TEXT_CONTROLS and char not in "\x1b\x07\x08"]
_LINE_ENDS = ("\n", "\r")
_BLOCK = 1 << 20  # characters read at a time (blocks of lines are kept until no record can start in them)


class Record(NamedTuple):
    line: int
    """The physical line the record starts on (the header is line 1)."""
    values: list[str] | None
    """The fields, or None when the line could not be read as a row."""
    problem: str | None
    raw: str
    """The line as it was in the file, when it could not be read as a row."""


#: The columns a rejects file has before the file's own.
REJECTS_COLUMNS = ("line", "reason")


def rejects_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejects.csv")


def _refuse_non_text(path: Path, head: bytes) -> None:
    for signature, what in _SIGNATURES.items():
        if head.startswith(signature):
            raise Invalid(f"{path}: not a CSV file: it is {what}")
    # UTF-16 has a NUL in every other byte of Latin text; one NUL inside a row is that row's problem
    if head.count(b"\x00") > max(4, len(head) // 100):
        raise Invalid(f"{path}: not a UTF-8, UTF-16, UTF-32, Windows-1252 or Mac Roman text file (UTF-16 or "
                      "UTF-32 without its byte order mark, or binary data); save it as CSV UTF-8")


def _as_windows_1252(error: UnicodeError) -> tuple[str, int]:
    """A byte a codec cannot read, read as Windows-1252: a UTF-8 file's stray byte (most likely
    written so), or one of the five bytes Windows-1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90,
    0x9D), read as the code point of the same number, as browsers do: kept, never a crash."""
    assert isinstance(error, UnicodeDecodeError)
    byte = error.object[error.start]
    return chr(byte) if byte in _WINDOWS_1252_GAPS else bytes([byte]).decode("cp1252"), error.start + 1


_WINDOWS_1252_GAPS = frozenset([0x81, 0x8D, 0x8F, 0x90, 0x9D])
codecs.register_error("leadterm-windows-1252", _as_windows_1252)


def _detect_encoding(path: Path) -> tuple[str, int, int]:
    """The file's encoding, how many bytes before its text to skip, and how many of its bytes
    are not in that encoding: UTF-32 or UTF-16 when it starts with that byte order mark
    (``_unicode``); UTF-8 (with or without BOM, which the codec drops) when the whole file decodes
    so, or when it holds as many characters of a Latin text from 0x80 on that do as bytes that do
    not, or more (``_utf8``: a UTF-8 file a byte of Windows-1252 got into, read as such,
    ``_as_windows_1252``, not every accent of the file misread); else Windows-1252 or Mac Roman, whichever its bytes
    from 0x80 on read as (``codepage``), past a UTF-8 BOM that such a file may start with (a tool
    added it and another wrote cp1252 text after it; read as cp1252, the BOM would be three
    letters glued to the first header)."""
    with path.open("rb") as handle:
        head = handle.read(65536)
        if head.startswith(_UTF32_BOMS + _UTF16_BOMS):
            encoding = _unicode(path, handle, "utf-32" if head.startswith(_UTF32_BOMS) else "utf-16")
            return (*_text_or_refuse(path, head.decode(encoding, errors="ignore"), encoding, 0), 0)
        _refuse_non_text(path, head)
        handle.seek(0)
        letters, stray = _utf8(handle)
        if letters >= stray:  # (UTF-8 throughout; or as many letters as stray bytes, or more)
            encoding, skip = "utf-8-sig", 0
        else:
            skip, stray = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0, 0
            handle.seek(skip)
            encoding = windows_1252_or_mac_roman(handle)
    return (*_text_or_refuse(path, head[skip:].decode(encoding, errors=_ERRORS), encoding, skip), stray)


#: The byte order marks a codec named with its byte order keeps as a character (U+FEFF), and so
#: are passed over; the codecs that read one (utf-8-sig, utf-16, utf-32) drop it themselves.
_ORDERED_BOMS = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
                 "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}


def _given_encoding(path: Path, name: str) -> tuple[str, int]:
    """``_detect_encoding`` for an encoding the user names (``--encoding``): a text codec Python
    knows, checked to decode the whole file (Windows-1252 with its five undefined bytes kept, as
    always); a byte order mark passed over (UTF-8's too, from a file read in another code page,
    as ``_detect_encoding`` does); still refused if it is no text."""
    try:
        codec = codecs.lookup(name)
    except LookupError:
        raise Invalid(f"--encoding: unknown encoding {name!r} (utf-8, cp1252, mac_roman, utf-16, latin-1...)") from None
    if not getattr(codec, "_is_text_encoding", True):  # base64, rot13, zlib...: bytes to bytes, or text to text
        raise Invalid(f"--encoding: {name!r} is not an encoding of text")
    encoding = {"utf-8": "utf-8-sig", "mac-roman": "mac_roman"}.get(codec.name, codec.name)  # as the summary names them
    with path.open("rb") as handle:
        head = handle.read(65536)
        if encoding in _ORDERED_BOMS:
            skip = len(_ORDERED_BOMS[encoding]) if head.startswith(_ORDERED_BOMS[encoding]) else 0
        else:
            skip = len(codecs.BOM_UTF8) if not encoding.startswith("utf") and head.startswith(codecs.BOM_UTF8) else 0
        handle.seek(skip)
        if (problem := _undecodable(handle, encoding, _ERRORS if encoding == "cp1252" else "strict")) is not None:
            raise Invalid(f"{path}: not {name} text ({problem})")
    if not encoding.startswith(("utf-16", "utf-32")):
        _refuse_non_text(path, head)
    return _text_or_refuse(path, head[skip:].decode(encoding, errors=_ERRORS), encoding, skip)


#: The characters of text from 0x80 on that count for UTF-8 where a file does not decode: Latin-1's
#: letters and signs, Latin Extended-A, Greek, Cyrillic, and every character of three bytes or
#: four (CJK, punctuation, the euro...). Not the C1 controls, Latin Extended-B and IPA, nor the
#: scripts from Armenian to NKo: what bytes of a code page make by chance (Windows-1252's É’ is
#: U+0252, Mac Roman's ’é U+054E), nor a byte order mark, nor the stray bytes themselves
#: (surrogates).
_UTF8_LETTER = re.compile("[^\x00-\x9f\u0180-\u036f\u0500-\u07ff\udc80-\udcff\ufeff]")


def _utf8(handle: BinaryIO) -> tuple[int, int]:
    """The bytes from the handle's position to its end, read as UTF-8: how many letters of text
    from 0x80 on they hold (``_UTF8_LETTER``), and how many bytes that are not UTF-8; (0, 0) for a
    file that is UTF-8 throughout. The whole file is weighed, in C-level passes."""
    start = handle.tell()
    if _undecodable(handle, "utf-8") is None:
        return 0, 0
    handle.seek(start)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")  # a stray byte: U+DC80-U+DCFF
    letters = stray = 0  # (stray: the bytes read, less those that encode the characters that are UTF-8)
    while chunk := handle.read(_SCAN):
        text = decoder.decode(chunk)
        stray += len(chunk) - len(text.encode("utf-8", "ignore"))
        letters += len(_UTF8_LETTER.findall(text))
    return letters, stray - len(decoder.decode(b"", final=True).encode("utf-8", "ignore"))


def _text_or_refuse(path: Path, text: str, encoding: str, skip: int) -> tuple[str, int]:
    controls = sum(map(text.count, _CONTROLS))
    if controls > max(8, len(text) // 100):  # binary that happens to decode
        raise Invalid(f"{path}: not a text file ({controls} control characters in its first {len(text)})")
    return encoding, skip


def _unicode(path: Path, handle: BinaryIO, encoding: str) -> str:
    """``encoding`` ("utf-16" or "utf-32") for a file that starts with its byte order mark
    (UTF-16: Excel's "Unicode Text" and some CRM exports; UTF-32, rarely written) and decodes
    so to its end: the codec reads the mark, takes its byte order from it, and drops it."""
    handle.seek(0)
    if (problem := _undecodable(handle, encoding)) is not None:
        name = encoding.upper()
        raise Invalid(f"{path}: starts with a {name} byte order mark but is not {name} text ({problem}); "
                      "save it as CSV UTF-8")
    return encoding


def _undecodable(handle: BinaryIO, encoding: str, errors: str = "strict") -> str | None:
    """Why the bytes from the handle's position to its end do not decode in ``encoding``, and at
    which byte ("invalid start byte near byte 26"); None when they do. UTF-8 passes over a
    megabyte of ASCII with no sequence left open before it without decoding it."""
    decoder, done = codecs.getincrementaldecoder(encoding)(errors=errors), handle.tell()
    try:
        while chunk := handle.read(_SCAN):
            if encoding == "utf-8" and chunk.isascii() and not decoder.getstate()[0]:
                done += len(chunk)
                continue
            decoder.decode(chunk)
            done += len(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        return f"{error.reason} near byte {done + error.start}"
    except UnicodeError as error:  # a codec that decodes nothing ("undefined")
        return str(error)
    return None


def _fields(line: str, delimiter: str) -> int:
    """How many fields the csv module reads in one line with this delimiter (0 if it cannot)."""
    try:
        return len(next(csv.reader([line], delimiter=delimiter), []))
    except csv.Error:  # a field over the size limit: this line tells nothing
        return 0


def _sniff_delimiter(sample: Sequence[str]) -> str:
    """Comma, semicolon, tab or pipe (as list vendors and databases export): the one that reads the
    header and the records below it alike.

    ``sample``: the file's first lines (the header, which may span lines where a quoted name
    holds a line break, then up to ``_SNIFF_LINES`` more). With each candidate the csv module
    reads them as records, the header first, so a delimiter counts only outside quotes, a quote
    opening only at a field's start, and a quoted line break stays inside its field.
    Candidates rank by whether the header splits into more than one field, then by how many lines
    below it are read into records of as many fields as the header (``_lines_in_rows``), then by
    how many fields the header gives; comma, semicolon, tab, pipe on a tie. Without data lines
    the header alone decides. Four candidates by 21 lines: under 0.1 ms, once a file.
    """
    def rank(delimiter: str) -> tuple[bool, int, int]:
        reader = csv.reader(iter(sample), delimiter=delimiter)
        try:
            width = len(next(reader, []))
        except csv.Error:  # a field over the size limit: the header tells nothing
            return False, 0, 0
        if width < 2:
            return False, 0, width
        return True, _lines_in_rows(sample[reader.line_num:], delimiter, width), width

    return max(_DELIMITERS, key=rank)  # max keeps the first of equals: comma before the others


def _lines_in_rows(lines: Sequence[str], delimiter: str, width: int) -> int:
    """How many of these lines (the sample below the header) go into records of ``width`` fields
    when the csv module reads them with this delimiter, as the import reads them.

    A record counts for every line it spans: one whose quoted answers hold line breaks is still
    one record of ``width`` fields, where its lines split alone would fit no candidate, or the
    wrong one (a comma file whose header holds a ';' was read as semicolon-separated). As the
    import does, a record that spans lines without ``width`` fields is taken for a quote that
    never closes: its first line is passed over and reading goes on at the next. The record the
    sample ends in, inside its quotes, counts neither way: the sample cut it (unless a line it
    took reads alone as ``width`` fields, a row swallowed by a quote that never closes).
    """
    fitting, start, end = 0, 0, len(lines)
    while start < end:
        # a blank line after the sample: read as a record of its own when no quote is left open
        reader = csv.reader(chain(islice(lines, start, None), ["\n"]), delimiter=delimiter)
        top = start  # the line the next record starts on
        try:
            for values in reader:
                bottom = start + reader.line_num  # the line after the record's last
                if top == end:  # the blank line added: every record of the sample ended in it
                    return fitting
                if bottom > end:  # the sample ends inside this record's quotes
                    if not any(_fields(line, delimiter) == width for line in lines[top + 1:]):
                        return fitting  # cut off by the sample
                    break  # a quote that never closes
                if len(values) == width:
                    fitting += bottom - top
                elif bottom - top > 1:  # a quote that never closes
                    break
                top = bottom
        except csv.Error:  # a field over the size limit: its record's first line is passed over
            pass
        start = top + 1
    return fitting


class Block(NamedTuple):
    """Plain rows read in one go, column by column: row ``i`` is on line ``first_line + i``."""

    first_line: int
    columns: list[list[str]]
    """One list per header column, each ``count`` long."""
    count: int
    joined: tuple[str, str] | None = None
    """Every field joined by a separator that none holds, and that separator (the block's text,
    in effect), when ``trimmed`` can search all columns at once."""
    text: str | None = None
    """The block's lines as read: every character of every field is in it, between delimiters,
    quotes and line breaks (for ``composed``, whether or not ``joined`` could be made)."""

    def rows(self) -> list[list[str]]:
        return [list(row) for row in zip(*self.columns)]

    def composed(self) -> bool:
        """Whether every field is composed (NFC) text, as an import stores text: one C-level check
        of the block's text (O(1) when it is ASCII); when not, a reader composes the columns it
        keeps (``composed_column``), each checked again on its own."""
        if self.text is not None:
            return is_composed(self.text)
        return is_composed("\n".join(chain.from_iterable(self.columns)))

    def trimmed(self, columns: Iterable[int] | None = None) -> bool:
        """Whether no field of these columns (of all, by default) begins or ends with white
        space, begins with ``'`` or holds a ``'`` that an export put after a ``;``: ``clean_text``
        would leave every one as it is. A few C-level searches of their text (about 2 ms a
        megabyte, against 12 ms for cleaning 10,000 leads), so a reader asks only about the
        columns it keeps as they are."""
        if columns is None and self.joined is not None:
            return _trimmed(*self.joined)
        wanted = range(len(self.columns)) if columns is None else columns
        # no field of a block holds a line break (it would not be plain)
        return all(_trimmed("\n".join(self.columns[index]), "\n") for index in wanted)


def _split_plain(lines: list[str], delimiter: str,
                 width: int) -> tuple[list[list[str]], tuple[str, str] | None, str] | None:
    """The columns of lines that are each one complete record, their fields joined (for
    ``Block.joined``) when all were bare, and the lines joined as read (``Block.text``: the
    join this takes anyway); None when any line is not such a record (or might not be): a
    blank or ragged line, a quote left open, a line break inside a quoted field, a lone CR, a
    NUL byte, an oversized field.

    Lines are split with C-level string methods (the csv module's reading of a line without
    quotes is exactly that). Quoted fields are first set aside: when a stretch holds only a few
    distinct ones (a detail like "Acme, Inc." over and over), each is replaced by a placeholder
    and put back after the split (``_set_quoted_aside``); otherwise the lines with quotes are read
    by the csv module and their fields put in place.
    """
    if width < 2:
        return None  # a blank line would look like a row of one empty field
    text = read = "".join(lines)
    stride = width  # fields a line gives once its line break is a delimiter
    if "\r" in text:
        if '"' not in text and text.count("\r") == len(lines) == text.count("\n"):
            # every line ends in CRLF (readlines ends a line at a lone CR, so each CR ends one):
            # both become delimiters, and each line gives one empty field more, left out below
            # (two one-character replaces, against a two-character one: 1.4 ms a block less)
            stride = width + 1
        else:
            text = text.replace("\r\n", "\n")
            if "\r" in text:  # a lone CR: a line break to the csv module
                return None
    if "\x00" in text or max(map(len, lines)) > MAX_FIELD:
        return None
    quoted: list[int] = []
    parsed: list[list[str]] = []
    placeholders: dict[str, str] = {}
    if text[0] == '"' and (split := _split_all_quoted(text, delimiter, width)) is not None:
        return (*split, read)
    if '"' in text:
        aside = _set_quoted_aside(text)
        if aside is not None:
            text, placeholders = aside
            lines = text.split("\n")
            lines.pop()  # after the last line break
        else:
            quoted = list(compress(range(len(lines)), map(str.__contains__, lines, repeat('"'))))
            reader = csv.reader([lines[index] for index in quoted], delimiter=delimiter, strict=False)
            try:
                parsed = list(reader)
            except csv.Error:
                return None
            if (len(parsed) != len(quoted) or reader.line_num != len(quoted)
                    or set(map(len, parsed)) != {width}
                    or any(end in "\x1f".join(chain.from_iterable(parsed)) for end in _LINE_ENDS)):
                return None
            placeholder = delimiter * (width - 1) + "\n"
            lines = lines.copy()
            for index in quoted:
                lines[index] = placeholder
            text = "".join(lines).replace("\r\n", "\n")
    if list(map(str.count, lines, repeat(delimiter))).count(width - 1) != len(lines):
        return None
    flat = text.replace("\n", delimiter) if stride == width else text.replace("\r", delimiter).replace("\n", delimiter)
    fields = flat.split(delimiter)
    fields.pop()  # after the last line break
    for index, row in zip(quoted, parsed):  # (none in CRLF stretches: they hold no quote)
        fields[index * width : (index + 1) * width] = row
    columns = [fields[column::stride] for column in range(width)]
    if placeholders:
        for index, column in enumerate(columns):
            if "\x00" in "".join(column):
                column = columns[index] = list(map(placeholders.get, column, column))
                if "\x00" in "".join(column):  # a placeholder that is not a whole field
                    return None
    return columns, None if quoted or placeholders else (flat, delimiter), read


def _split_all_quoted(text: str, delimiter: str, width: int) -> tuple[list[list[str]], tuple[str, str]] | None:
    """The columns of lines (LF-ended) whose every field is quoted and holds no quote itself, as
    CRMs export them (``"a","b, c",""``), and those fields joined (``Block.joined``); None when
    any line is otherwise.

    Proof that the split below is the csv module's reading: inside its outer quotes, each line
    must hold exactly ``width - 1`` separators (quote, delimiter, quote) and no other quote, so
    its fields lie between those separators and none contains a quote; joined with the same
    separator, no field boundary can shift.
    """
    lines = text.split("\n")
    lines.pop()  # after the last line break
    if not (all(map(str.startswith, lines, repeat('"'))) and all(map(str.endswith, lines, repeat('"')))):
        return None
    inner = list(map(str.__getitem__, lines, repeat(slice(1, -1))))
    separator = f'"{delimiter}"'
    if (list(map(str.count, inner, repeat('"'))).count(2 * width - 2) != len(inner)
            or list(map(str.count, inner, repeat(separator))).count(width - 1) != len(inner)):
        return None
    joined = separator.join(inner)
    fields = joined.split(separator)
    return [fields[column::width] for column in range(width)], (joined, separator)


#: Every character ``str.strip`` removes but the line breaks (``str.isspace``; a test holds
#: this list to it, written out rather than worked out at every start).
_SPACES = ("\t\x0b\x0c\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
           "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def _trimmed(text: str, separator: str) -> bool:
    """Whether no field of ``text`` begins or ends with white space, begins with ``'`` or holds
    a ``'`` that ``from_spreadsheet`` takes out after a ``;`` (then ``clean_text`` leaves each
    field as it is). ``text`` begins with a field and holds fields between ``separator``s
    (white space inside a field only where it is not the separator), the last field maybe
    followed by one.

    C-level searches: one for each kind of white space, and for those the text holds (a space,
    in most files), one on each side of the separator (a 2-character search costs about 1 ms a
    megabyte, against 12 ms for cleaning the fields of one).
    """
    first, last = text[:1], text[-1:]
    if ((first.isspace() and not text.startswith(separator)) or first == "'"
            or (last.isspace() and not text.endswith(separator))):
        return False
    if "'" in text and (separator + "'" in text or semicolon_protected(text)):
        return False  # (a ";'" met across two fields, as ";'" then a "\n" separator, only costs a cleaning)
    return not any(space in text and (space + separator in text or separator + space in text)
                   for space in _SPACES if space != separator)


_QUOTED_FIELD = re.compile(r'"(?:[^"\r\n]|"")*"')
_FEW_QUOTED = 16


def _set_quoted_aside(text: str) -> tuple[str, dict[str, str]] | None:
    """``text`` with every quoted field replaced by a placeholder (NUL, a number, NUL), and what
    each placeholder stands for; None when there are more than a few distinct quoted fields, or
    a quote that does not close on its line.

    Each distinct quoted field found costs one C-level replace over the stretch. Any quote not
    consumed so makes this fail, and a placeholder that lands anywhere but as a whole field (a
    quote inside a field, say) still holds a NUL after the split, which ``_split_plain`` refuses:
    whatever this returns reads as the csv module would read it.
    """
    sample = _QUOTED_FIELD.findall(text, 0, 8192)
    if len(set(sample)) > _FEW_QUOTED // 2:  # many distinct ones already: not worth the passes
        return None
    placeholders: dict[str, str] = {}
    while (at := text.find('"')) >= 0:
        found = _QUOTED_FIELD.match(text, at)
        if found is None or len(placeholders) == _FEW_QUOTED:
            return None
        token = found.group()
        placeholder = f"\x00{len(placeholders)}\x00"
        placeholders[placeholder] = token[1:-1].replace('""', '"')
        text = text.replace(token, placeholder)
    return text, placeholders


class _Feed:
    """Lines given back after a broken record, then the rest of the file."""

    def __init__(self, rest: Iterator[str]) -> None:
        self.rest = rest
        self.queue: deque[str] = deque()

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        return self.queue.popleft() if self.queue else next(self.rest)


def count_values(fields: Sequence[str]) -> int:
    """How many fields hold a value (a row of none is no row: it is skipped as a blank line is)."""
    return sum(1 for value in fields if value.strip())


class CsvSource:
    """A CSV file's header and records, each with the physical line number it starts on."""

    def __init__(self, path: Path, encoding: str | None = None) -> None:
        self.path = path
        if not path.exists():
            raise Invalid(f"{path}: no such file")
        if not path.is_file():
            raise Invalid(f"{path}: not a file")
        self.size = path.stat().st_size
        if self.size == 0:
            raise Invalid(f"{path}: the file is empty")
        if encoding is None:
            self.encoding, self._skip, self.not_utf8 = _detect_encoding(path)
        else:
            (self.encoding, self._skip), self.not_utf8 = _given_encoding(path, encoding), 0
        csv.field_size_limit(MAX_FIELD)
        self.headers: list[str] = []
        self.delimiter = ","
        self._header_lines = 0  # the lines up to the header's last one
        self.header_line = 1  # the physical line the header starts on
        found = self._header_at(0)
        if found is None:
            raise Invalid(f"{path}: line 1: the header row is blank")
        self._take(found, 0)
        self._handle: io.TextIOWrapper | None = None
        self._lines_read = 0  # lines ``batches`` has read from the file so far

    def _header_at(self, above: int) -> tuple[list[str], str, int, bool] | None:
        """The header read from line ``above + 1`` on (its record may span lines), the delimiter
        sniffed from it and the lines below it, how many lines it ends after, and whether any
        record follows it; None when that line is blank."""
        with self._open() as handle:
            for _ in range(above):
                handle.readline()
            first = handle.readline()
            if not first.strip():
                return None
            sample, length = [first], len(first)
            while len(sample) <= _SNIFF_LINES and length < _SNIFF_CHARS and (line := handle.readline()):
                sample.append(line)
                length += len(line)
            delimiter = _sniff_delimiter(sample)
            reader = csv.reader(chain(sample, handle), delimiter=delimiter)  # no seek: past any BOM
            try:
                headers = next(reader)
            except csv.Error as error:
                raise Invalid(f"{self.path}: line {above + 1}: the header cannot be read ({error})") from None
            lines = above + reader.line_num
            try:
                has_rows = any(map(count_values, reader))  # a row of no values is no row (it is skipped)
            except csv.Error:  # something is there, if only a broken row: it will be a reject
                has_rows = True
        return headers, delimiter, lines, has_rows

    def _take(self, found: tuple[list[str], str, int, bool], above: int) -> None:
        self.headers, self.delimiter, self._header_lines, has_rows = found
        self.header_line = above + 1
        if not has_rows:
            raise Invalid(f"{self.path}: no data rows below the header (line {above + 1})")

    def header_below(self, fits: Callable[[list[str]], bool]) -> bool:
        """For a file whose first line is not its header (a title above it, or a note as
        LinkedIn's Connections.csv has): the first of the next records that ``fits`` becomes the
        header, the lines above it skipped (``header_line`` says where it starts) and the
        delimiter sniffed again from it. Only a title or a note may be skipped: a header so found
        has two values or more, and each record above it one at most by its delimiter (so a row
        is never skipped, nor a header without the column taken for a title). False, with
        nothing changed, when none of the first ``_HEADER_SEARCH`` records fits."""
        with self._open() as handle:
            top = list(islice(handle, _HEADER_SEARCH * 4))
        bounds, reader = [0], csv.reader(top, strict=False)  # where records start (a note may span lines)
        try:
            for _ in islice(reader, _HEADER_SEARCH):
                bounds.append(reader.line_num)
        except csv.Error:
            pass
        for above in bounds[1:]:
            if above >= len(top):
                break
            found = self._header_at(above)
            if found is None or count_values(found[0]) < 2 or not fits(found[0]):
                continue
            notes = (top[start:end] for start, end in zip(bounds, bounds[1:]) if end <= above)
            if all(count_values(next(csv.reader(lines, delimiter=found[1], strict=False), [])) <= 1 for lines in notes):
                self._take(found, above)
                return True
        return False

    def _open(self) -> io.TextIOWrapper:
        """The file as text, from its first character (past a BOM its encoding does not drop)."""
        raw = self.path.open("rb")
        raw.seek(self._skip)
        return io.TextIOWrapper(raw, encoding=self.encoding, errors=_ERRORS, newline="")

    def texts(self, size: int = 1 << 20) -> Iterator[str]:
        """The file's text, piece by piece, from its first character (to search all of it)."""
        with self._open() as handle:
            while text := handle.read(size):
                yield text

    def position_of(self, records: int) -> int:
        """Bytes the first ``records`` data records take, estimated (for progress): the bytes read
        so far in the share of the lines read that those records and the header fill. Reading
        runs ahead of the records handed out (up to a megabyte of lines at a time), so the
        bytes read alone would show a bar ahead of the rows: 100% with a sixth of a 60,000-row
        file still to go."""
        read, position = self._lines_read, self.position()
        return min(position, position * (records + self._header_lines) // read) if read else 0

    def position(self) -> int:
        """Bytes read so far."""
        handle = self._handle
        if handle is None or handle.closed:
            return self.size
        try:
            return handle.buffer.tell()
        except (OSError, ValueError):
            return 0

    def _reader(self, lines: Iterator[str]) -> Any:
        return csv.reader(lines, delimiter=self.delimiter, strict=False)

    def batches(self, looks_like_row: Callable[[list[str]], bool] | None = None,
                size: int = 10_000, taper: bool = False) -> Iterator[Block | Record]:
        """The data records, as Blocks of plain rows where the file is clean, and one by one as
        (line, values, problem, raw) wherever it is not (a record spanning lines, a blank line,
        a broken quote, an oversized field, a NUL byte).

        Nothing stops the reading: a record that cannot be a row comes back with values None,
        its problem and its first line, and reading goes on at the next physical line.
        ``looks_like_row`` tells a complete row when it sees one: a record spanning several lines
        that swallowed such a line is an unterminated quote, not a field with line breaks.

        Clean stretches of ``size`` lines are split into columns by C-level string methods (no
        Python code runs per clean line); blocks of lines are kept until reading has passed them,
        so that any stretch can be read again record by record with the csv module.

        ``taper``: the first stretches are smaller (an eighth of ``size``, a quarter, a half) and
        so is the last of the file (quarters, once what is left looks like a stretch and a half),
        so that a writer working on each block as it comes starts soon after the reader and
        ends soon after it.
        """
        csv.field_size_limit(MAX_FIELD)
        self._handle = handle = self._open()
        kept: deque[tuple[int, list[str]]] = deque()  # (index of the block's first line, its lines)
        nul_lines: set[int] = set()  # lines with a NUL byte, which no row may hold

        read = 0  # lines read from the file so far

        def blocks() -> Iterator[list[str]]:
            nonlocal read
            while lines := handle.readlines(_BLOCK):
                if lines[-1][-1:] not in _LINE_ENDS:  # the file's last line, without a line break:
                    lines[-1] += "\n"  # add one, so that a quote left open on it shows
                if "\x00" in "".join(lines):
                    nul_lines.update(read + offset for offset, line in enumerate(lines) if "\x00" in line)
                kept.append((read, lines))
                read += len(lines)
                self._lines_read = read
                yield lines

        def stretch(given: int, start: int) -> int:
            """How many lines the next plain stretch takes."""
            if not taper:
                return size
            if given < 3:
                return max(size >> (3 - given), 1)
            position = self.position()
            unread = (self.size - position) * read / position if position else size  # lines, estimated
            return max(size // 4, 1) if read - start + unread <= size * 3 // 2 else size

        def lines_between(start: int, end: int) -> list[str]:
            found: list[str] = []
            for first, lines in kept:
                low, high = max(start, first), min(end, first + len(lines))
                if low < high:
                    found.extend(lines[low - first : high - first])
            return found

        main = chain.from_iterable(blocks())
        for _ in range(self._header_lines):
            next(main, None)
        feed = _Feed(main)
        base, done = self._header_lines, 0  # the reader's first line (global index), lines it read
        careful = False  # reading record by record (with ``reader``) a stretch that is not plain
        width = len(self.headers)
        given = 0  # plain stretches taken
        try:
            while True:
                if careful and not feed.queue:  # the stretch is read again: back to whole blocks
                    base, done, careful = base + done, 0, False
                start = base + done
                while kept and kept[0][0] + len(kept[0][1]) <= start:  # no record can begin there again
                    kept.popleft()
                if not careful:
                    lines = list(islice(main, stretch(given, start)))
                    given += 1
                    if not lines:
                        return
                    split = _split_plain(lines, self.delimiter, width)
                    if split is not None:
                        done += len(lines)
                        columns, joined, text = split
                        yield Block(start + 1, columns, len(lines), joined, text)
                        continue
                    # something in this stretch is not plain: read it record by record
                    feed.queue.extend(lines)
                    base, done, careful = start, 0, True
                    reader = self._reader(feed)
                    continue
                problem = None
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error as error:
                    values, problem = None, self._explain(error)
                span = reader.line_num - done
                done += span
                if values is not None and nul_lines and (nul := sorted(nul_lines.intersection(range(start, start + span)))):
                    taken = lines_between(start, start + span)
                    if span > 1 and self._broken(values, taken, width, looks_like_row) is None:
                        # a whole record over several lines, one of which holds a NUL: refused
                        # whole (read on after it), not in fragments
                        yield (start + 1, None, f"a field holds a NUL byte (line {nul[0] + 1})", "".join(taken))
                        continue
                    values, problem = None, "the line contains a NUL byte"
                if values is not None:
                    # one line, no line break kept in its last field: an ordinary row (or a blank line)
                    if span == 1 and (not values or values[-1][-1:] not in _LINE_ENDS):
                        if values:
                            yield (start + 1, values, None, "")
                        continue
                    problem = self._broken(values, lines_between(start, start + span), width, looks_like_row)
                    if problem is None:
                        yield (start + 1, values, None, "")
                        continue
                raw = lines_between(start, start + span)
                yield (start + 1, None, problem, raw[0] if raw else "")
                # read on from the line after the broken record's first one
                feed.queue.extendleft(reversed(raw[1:]))
                base, done = start + 1, 0
                reader = self._reader(feed)
        finally:
            handle.close()

    @staticmethod
    def _explain(error: csv.Error) -> str:
        text = str(error)
        if "field larger" in text:
            return f"a field is longer than {MAX_FIELD:,} characters (or a quote never closes)"
        return f"cannot be read as CSV ({text})"

    def _broken(self, values: list[str], taken: list[str], width: int,
                looks_like_row: Callable[[list[str]], bool] | None) -> str | None:
        """Why a record that spans lines (or ends the file) is not a row, or None if it is one."""
        quote_never_closes = "a quote opened on this line never closes"
        try:
            list(csv.reader(io.StringIO("".join(taken)), delimiter=self.delimiter, strict=True))
        except csv.Error:
            return quote_never_closes
        if len(taken) > 1:
            if len(values) != width:
                return quote_never_closes
            if looks_like_row is not None:
                for line in taken[1:]:
                    alone = next(csv.reader([line], delimiter=self.delimiter), [])
                    if len(alone) == width and looks_like_row(alone):
                        return quote_never_closes
        return None


class RejectsUnwritable(Exception):
    """FILE.rejects.csv cannot be written (the disk full, a folder of that name, no permission)."""


class RejectWriter:
    """FILE.rejects.csv: each rejected row with its line number and reason, opened on first use.

    Its columns are ``line``, ``reason`` and the file's own; a line that could not be read as a
    row is kept whole in the first of the file's columns. Only the reader refuses rows, as it
    meets them, so they come in line order. It is plain CSV whatever the file was (comma-separated
    UTF-8 without a byte order mark: what a program reading it expects), and can be corrected
    and imported again. ``own``: the file's first columns that are a rejects file's own ``line``
    and ``reason`` (the file is one, imported again): replaced, not kept twice.
    """

    def __init__(self, source: Path, headers: Sequence[str], own: int = 0) -> None:
        self.path = rejects_path(source)
        self.headers = list(headers)[own:]
        self.own = own
        self.count = 0
        self._handle: io.TextIOWrapper | None = None
        self._writer: csv.writer | None = None  # type: ignore[valid-type]

    def add(self, line: int, reason: str, values: Sequence[str] | None, raw: str = "") -> None:
        cells = list(values)[self.own:] if values is not None else [raw.rstrip("\r\n")]
        try:
            if self._writer is None:
                self._handle = self.path.open("w", encoding="utf-8", newline="")
                self._writer = csv.writer(self._handle)
                self._writer.writerow([*REJECTS_COLUMNS, *self.headers])
            self._writer.writerow([line, reason, *cells])
        except OSError as error:
            raise self._unwritable(error) from error
        self.count += 1

    def close(self) -> Path | None:
        """The rejects file, or None when every row was taken (an old rejects file is removed)."""
        try:
            if self._handle is not None:
                self._handle.close()
                return self.path
            self.path.unlink(missing_ok=True)
        except OSError as error:
            raise self._unwritable(error) from error
        return None

    def _unwritable(self, error: OSError) -> RejectsUnwritable:
        return RejectsUnwritable(f"{self.path}: cannot write the rejected rows ({error.strerror or error})")
