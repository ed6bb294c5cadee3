"""The CSV reader's fast path (clean stretches split by string methods) against the csv module.

For any well-formed file (every quote closed), the reader must give exactly the records the csv
module reads, each with the physical line it starts on, whatever the mix of quoted fields,
delimiters inside quotes, line breaks inside quotes, CRLF, blank lines and ragged rows, and
wherever the blocks begin and end.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from itertools import product
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadterm.engine.values import clean_text
from leadterm.service.csvfile import Block, CsvSource
from leadterm.service.errors import Invalid

# a CR only before a LF: a lone CR ends a record even inside a field the csv module writes unquoted
# (and white space of other kinds, which trimming removes: no-break, ideographic, next line)
FIELD = st.lists(st.sampled_from([*"ab ,;\t\"'\n=é\xa0\u3000\x85", "\r\n"]), max_size=6).map("".join)
ROWS = st.lists(st.lists(FIELD, min_size=1, max_size=5), min_size=1, max_size=25)


def expected(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(first physical line, fields) of each data record, as the csv module reads the file."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader)  # the header
    records = []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return records
        if row:
            records.append((start, row))


def assert_trimmed_if_said(block: Block) -> None:
    """A block that says its fields (or one column's) are trimmed holds only fields that
    cleaning leaves alone."""
    if block.trimmed():
        assert all((clean_text(field) or "") == field for column in block.columns for field in column)
    for index, column in enumerate(block.columns):
        if block.trimmed([index]):
            assert all((clean_text(field) or "") == field for field in column)


def records_of(path: Path, looks_like_row: Callable[[list[str]], bool]) -> list[tuple[int, list[str] | None, str | None, str]]:
    """Every record as (line, values, problem, raw), blocks taken apart."""
    records: list[tuple[int, list[str] | None, str | None, str]] = []
    for batch in CsvSource(path).batches(looks_like_row):
        if isinstance(batch, Block):
            assert_trimmed_if_said(batch)
            records.extend((batch.first_line + offset, values, None, "") for offset, values in enumerate(batch.rows()))
        else:
            records.append(batch)
    return records


def read(path: Path, size: int, taper: bool = False) -> list[tuple[int, list[str]]]:
    records = []
    for batch in CsvSource(path).batches(size=size, taper=taper):
        if isinstance(batch, Block):
            assert all(len(column) == batch.count for column in batch.columns)
            assert_trimmed_if_said(batch)
            records.extend((batch.first_line + offset, row) for offset, row in enumerate(batch.rows()))
        else:
            line, values, problem, _ = batch
            assert values is not None, problem
            records.append((line, values))
    return records


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS, width=st.integers(2, 4), delimiter=st.sampled_from([",", ";", "\t"]),
       eol=st.sampled_from(["\n", "\r\n"]), blanks=st.sets(st.integers(0, 25)), size=st.integers(1, 16),
       quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]), taper=st.booleans())
def test_the_reader_gives_what_the_csv_module_reads(tmp_path: Path, rows: list[list[str]], width: int, delimiter: str,
                                                     eol: str, blanks: set[int], size: int, quoting: int,
                                                     taper: bool) -> None:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator=eol, quoting=quoting)
    writer.writerow([f"h{index}" for index in range(width)])
    for index, row in enumerate(rows):
        if index in blanks:
            out.write(eol)
        # rows of the header's width, and some ragged ones on one line each (a ragged record
        # spanning lines reads as a quote left open, which the hostile-file tests cover)
        one_line = not any("\n" in field or "\r" in field for field in row)
        writer.writerow(row if index % 4 == 0 and one_line else (row + [""] * width)[:width])
    text = out.getvalue()
    path = tmp_path / "file.csv"
    path.write_bytes(text.encode("utf-8"))
    records = expected(text, delimiter)
    if not any(value.strip() for _, row in records for value in row):  # no row holds a value: no rows
        with pytest.raises(Invalid, match="no data rows below the header"):
            CsvSource(path)
        return
    assert read(path, size, taper) == records


@pytest.mark.parametrize("ends", [["\r\n"], ["\r\n", "\n"], ["\n", "\r\n", "\r\n"], ["\r\n", "\r"], ["\r"]])
def test_line_ends_of_every_kind_and_mix_are_read_as_the_csv_module_reads_them(tmp_path: Path, ends: list[str]) -> None:
    # all CRLF is split at both characters at once; any other mix is read as it always was
    text = "email,type,detail" + ends[0] + "".join(
        f"a{index}@x.com,page_view,/p{index}" + ends[index % len(ends)] for index in range(1, 40))
    path = tmp_path / "file.csv"
    path.write_bytes(text.encode("utf-8"))
    for size in (1, 7, 100):
        records = read(path, size, False)
        assert records == expected(text, ","), size
        assert len(records) == 39 and records[-1][1] == ["a39@x.com", "page_view", "/p39"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("last_break", [True, False])
def test_crlf_stretches_with_blank_or_spaced_last_fields_and_no_last_break_are_read_as_the_csv_module_reads(
        tmp_path: Path, delimiter: str, last_break: bool) -> None:
    # CRLF stretches split at CR and LF at once: empty and space-only fields (at a line's end too),
    # each delimiter, and a last line without its line break (which the reader ends with "\n" alone)
    rows = [[f"a{index}@x.com", " " if index % 7 == 0 else "", "y " if index % 11 == 0 else "y", ""]
            for index in range(1, 60)]
    text = delimiter.join(["email", "b", "c", "d"]) + "\r\n" + "".join(delimiter.join(row) + "\r\n" for row in rows)
    if not last_break:
        text = text[:-2]
    path = tmp_path / "file.csv"
    path.write_bytes(text.encode("utf-8"))
    for size in (1, 6, 7, 100):
        assert read(path, size, False) == expected(text, delimiter), size


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_a_crlf_block_of_trimmed_fields_says_so(tmp_path: Path, delimiter: str) -> None:
    # the joined text of a CRLF block holds an empty field per line: trimmed() must still see
    # trimmed fields as such (else every such block is cleaned field by field, for nothing)
    text = delimiter.join(["email", "b", "c"]) + "\r\n" + "".join(
        delimiter.join([f"a{index}@x.com", "", "v"]) + "\r\n" for index in range(50))
    path = tmp_path / "file.csv"
    path.write_bytes(text.encode("utf-8"))
    blocks = [batch for batch in CsvSource(path).batches(size=20) if isinstance(batch, Block)]
    assert [block.count for block in blocks] == [20, 20, 10] and all(block.trimmed() for block in blocks)
    assert all(block.joined is not None for block in blocks)


def test_tapered_blocks_are_smaller_at_both_ends_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "file.csv"
    path.write_text("email,type\n" + "".join(f"a{i}@x.com,page_view\n" for i in range(200)), encoding="utf-8")
    blocks = list(CsvSource(path).batches(size=40, taper=True))
    assert [block.count for block in blocks] == [5, 10, 20, 40, 40, 40, 10, 10, 10, 10, 5]
    assert [block.first_line for block in blocks][:4] == [2, 7, 17, 37]
    assert [block.count for block in CsvSource(path).batches(size=40)] == [40] * 5


def test_a_clean_file_comes_in_blocks_with_quoted_delimiters_in_place(tmp_path: Path) -> None:
    path = tmp_path / "file.csv"
    lines = ["email,type,detail\r\n"] + [f'a{i}@x.com,page_view,"/p, {i}"\r\n' if i % 3 == 0 else f"a{i}@x.com,page_view,/p{i}\r\n"
                                         for i in range(30)]
    path.write_text("".join(lines), newline="")
    batches = list(CsvSource(path).batches(size=10))
    assert [type(batch) for batch in batches] == [Block, Block, Block]
    assert [batch.first_line for batch in batches] == [2, 12, 22]
    assert batches[0].columns[2][:4] == ["/p, 0", "/p1", "/p2", "/p, 3"]
    assert [batch.trimmed() for batch in batches] == [True, True, True]
    assert batches[2].columns[0][-1] == "a29@x.com"


# single lines of quotes in every odd place: opening mid-field, closing before text, doubled,
# around delimiters, spanning two fields
PIECE = st.sampled_from(["a", "b", '"', '""', ",", ";", "\t", " ", '"a,b"', '"x"y', "'", '","', '";"', '"\t"'])
LINE = st.lists(PIECE, max_size=8).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(LINE, min_size=1, max_size=30), width=st.integers(2, 4),
       delimiter=st.sampled_from([",", ";", "\t"]), size=st.integers(1, 12))
def test_odd_quoting_on_one_line_reads_as_the_csv_module_reads_it(
        tmp_path: Path, lines: list[str], width: int, delimiter: str, size: int) -> None:
    # keep the lines the csv module reads as one record each (a quote left open is a reject,
    # which the hostile-file tests cover), padded with plain fields toward the header's width
    kept = []
    for line in lines:
        padded = line + delimiter * max(0, width - 1 - line.count(delimiter))
        reader = csv.reader(io.StringIO(padded + "\nz\n", newline=""), delimiter=delimiter)
        try:
            next(reader)
        except csv.Error:
            continue
        if reader.line_num == 1:
            kept.append(padded)
    kept.append(delimiter.join("p" * width))  # at least one row
    text = delimiter.join(f"h{index}" for index in range(width)) + "\n" + "".join(line + "\n" for line in kept)
    path = tmp_path / "file.csv"
    path.write_bytes(text.encode("utf-8"))
    assert read(path, size) == expected(text, delimiter)


def _file_across_scan_windows(tmp_path: Path, lead: bytes, follow: bytes) -> Path:
    """A file whose first 1 MiB window ends with ``lead``, whose second is plain ASCII, and whose
    third starts with ``follow``: the encoding check skips ASCII windows, but never one that
    follows an unfinished UTF-8 sequence."""
    window = 1 << 20
    head = b"email,name\n" + b"a@x.com,padding\n" * ((window - 11) // 16)
    head += b"b" * (window - 1 - len(head)) + lead  # ``lead`` is the window's last byte
    middle = b",x\n" + b"c@x.com,ascii only\n" * ((window - 3) // 19)
    middle += b"c" * (window - len(middle))
    path = tmp_path / "big.csv"
    path.write_bytes(head + middle + follow + b",y\n")
    return path


def test_an_unfinished_utf8_sequence_before_an_ascii_window_makes_the_file_windows_1252(tmp_path: Path) -> None:
    # 0xC3 then ASCII is not UTF-8, even though a later 0xA9 would have finished the sequence
    assert CsvSource(_file_across_scan_windows(tmp_path, b"\xc3", b"\xa9")).encoding == "cp1252"


def test_a_utf8_character_across_two_scan_windows_is_utf8(tmp_path: Path) -> None:
    path = _file_across_scan_windows(tmp_path, b"\xc3", b"")
    path.write_bytes(path.read_bytes().replace(b"\xc3,x\n", b"\xc3\xa9,x\n", 1))  # é across the line
    source = CsvSource(path)
    assert source.encoding == "utf-8-sig"


def test_a_broken_quote_early_in_a_stretch_of_long_lines_loses_nothing(tmp_path: Path) -> None:
    # 10,000 lines of 400 characters span several of the reader's 1 MiB blocks: the stretch's
    # first lines must still be there when it is read again record by record
    pad = "x" * 400
    rows = [f"u{index}@x.com,view,{pad}" for index in range(12_000)]
    rows[2] = f'u2@x.com,view,"oops {pad}'  # line 4: a quote opened, never closed on its line
    rows[4] = f'u4@x.com,view,closes" {pad}'  # line 6: a stray quote that would close it
    path = tmp_path / "long.csv"
    path.write_text("email,type,detail\n" + "".join(row + "\n" for row in rows))
    records = records_of(path, lambda values: "@" in values[0])
    assert len(records) == 12_000
    assert [(line, problem) for line, values, problem, _ in records if values is None] == [
        (4, "a quote opened on this line never closes")]
    assert [line for line, *_ in records] == list(range(2, 12_002))
    assert records[4][1] == ["u4@x.com", "view", f'closes" {pad}']


def test_a_fully_quoted_export_comes_in_blocks(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    rows = [["Email", "Type", "Detail"]] + [[f"a{i}@x.com", "page_view", f"/p, {i}" if i % 2 else ""] for i in range(30)]
    out = io.StringIO(newline="")
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    path.write_text(out.getvalue(), newline="")
    batches = list(CsvSource(path).batches(size=10))
    assert [type(batch) for batch in batches] == [Block, Block, Block]
    assert batches[0].columns[2][:3] == ["", "/p, 1", ""] and batches[2].columns[0][-1] == "a29@x.com"
    assert [batch.trimmed() for batch in batches] == [True, True, True]
    # a column asked about alone, beginning (or ending, or all) with empty fields
    assert all(batch.columns[2][0] == "" and batch.trimmed([2]) and batch.trimmed([0, 2]) for batch in batches)
    assert Block(2, [["a", ""], ["", ""], ["", "b"]], 2).trimmed([0]) and Block(2, [["a", ""], ["", ""], ["", "b"]], 2).trimmed()
    assert not Block(2, [["a", " "], ["", ""]], 2).trimmed([0]) and Block(2, [["a", " "], ["", ""]], 2).trimmed([1])
    # a ' after a ';' is cleaning's only before a formula start or a ' (so "a;'b" needs none)
    assert Block(2, [["a;'b", "a;'"], ["x", ""]], 2).trimmed() and not Block(2, [["x", "a;'=b"], ["", ""]], 2).trimmed([0])


def test_a_field_that_cleaning_changes_anywhere_in_a_block_makes_it_untrimmed(tmp_path: Path) -> None:
    path = tmp_path / "file.csv"
    for field in ["'=SUM(A1)", "'+1 555 0100", "''quoted", " lead", "lead ", "\xa0x", "x\u3000", "\x85",
                  "x;'=cmd", "a;''b", "a;'@", ";'-"]:  # (an export's ' after a ';' before a formula start or a ')
        for row, column, quoting in product([0, 14, 29], [0, 1, 2], [csv.QUOTE_MINIMAL, csv.QUOTE_ALL]):
            rows = [[f"a{i}@x.com", "page_view", f"/p{i}"] for i in range(30)]
            rows[row][column] = field
            out = io.StringIO(newline="")
            csv.writer(out, quoting=quoting).writerows([["email", "type", "detail"], *rows])
            path.write_text(out.getvalue(), encoding="utf-8", newline="")
            blocks = list(CsvSource(path).batches(size=30))
            assert len(blocks) == 1 and isinstance(blocks[0], Block)
            assert blocks[0].columns[column][row] == field
            assert not blocks[0].trimmed(), (field, row, column, quoting)
            assert not blocks[0].trimmed([column]), (field, row, column, quoting)
            assert blocks[0].trimmed([index for index in range(3) if index != column]), (field, row, column, quoting)


def test_the_white_space_the_trimming_check_looks_for_is_what_str_strip_removes() -> None:
    from leadterm.service.csvfile import _SPACES

    every = {chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()}
    assert set(_SPACES) == every - {"\r", "\n"} and len(_SPACES) == len(set(_SPACES))
