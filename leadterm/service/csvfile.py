"""Reading CSV files as the real world sends them, and writing the rejects beside them."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

from leadterm.service.errors import Invalid

__all__ = ["CsvSource", "RejectWriter", "rejects_path"]

_SIGNATURES = {
    b"PK\x03\x04": "a ZIP archive (an Excel .xlsx or .ods workbook?); save it as CSV first",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook; save it as CSV first",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive; unpack it first",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"SQLite format 3": "a SQLite database",
}
_DELIMITERS = (",", ";", "\t")
_SCAN = 1 << 20


def rejects_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejects.csv")


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes so, else Windows-1252."""
    with path.open("rb") as handle:
        head = handle.read(4096)
        for signature, what in _SIGNATURES.items():
            if head.startswith(signature):
                raise Invalid(f"{path}: not a CSV file: it is {what}")
        if b"\x00" in head:
            raise Invalid(f"{path}: not a text file (it contains NUL bytes; UTF-16 or binary?)")
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(_SCAN):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def _sniff_delimiter(first_line: str) -> str:
    """The candidate that splits the header line into the most fields (outside quotes)."""
    best, best_count = ",", 0
    for delimiter in _DELIMITERS:
        count = len(next(csv.reader([first_line], delimiter=delimiter), []))
        if count > best_count:
            best, best_count = delimiter, count
    return best


class CsvSource:
    """A CSV file's header and rows, each row with the line number it starts on."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists():
            raise Invalid(f"{path}: no such file")
        if path.is_dir():
            raise Invalid(f"{path}: is a folder, not a CSV file")
        self.size = path.stat().st_size
        if self.size == 0:
            raise Invalid(f"{path}: the file is empty")
        self.encoding = _detect_encoding(path)
        with path.open(encoding=self.encoding, newline="") as handle:
            first = handle.readline()
        self.delimiter = _sniff_delimiter(first.rstrip("\r\n"))
        self.headers: list[str] = []
        self._handle: io.TextIOWrapper | None = None

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, values) for each data row; blank lines are skipped."""
        try:
            self._handle = self.path.open(encoding=self.encoding, newline="", errors="strict")
        except OSError as error:
            raise Invalid(f"{self.path}: cannot read ({error.strerror})") from error
        with self._handle as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            try:
                self.headers = next(reader)
            except StopIteration:
                raise Invalid(f"{self.path}: the file is empty") from None
            if not any(header.strip() for header in self.headers):
                raise Invalid(f"{self.path}: line 1: the header row is blank")
            line = reader.line_num + 1
            for values in reader:
                if values and any(value.strip() for value in values):
                    yield line, values
                line = reader.line_num + 1

    def position(self) -> int:
        """Bytes read so far (for progress)."""
        if self._handle is None or self._handle.closed:
            return 0
        return self._handle.buffer.tell()


class RejectWriter:
    """FILE.rejects.csv: each rejected row with its line number and reason, opened on first use."""

    def __init__(self, source: Path, headers: Sequence[str] = ()) -> None:
        self.path = rejects_path(source)
        self.headers = list(headers)
        self.count = 0
        self._handle: io.TextIOWrapper | None = None
        self._writer: csv.writer | None = None  # type: ignore[valid-type]

    def add(self, line: int, reason: str, values: Sequence[str]) -> None:
        if self._writer is None:
            self._handle = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._handle)
            self._writer.writerow(["line", "reason", *self.headers])
        self._writer.writerow([line, reason, *values])
        self.count += 1

    def close(self) -> Path | None:
        """The rejects file, or None when every row was taken (an old rejects file is removed)."""
        if self._handle is not None:
            self._handle.close()
            return self.path
        self.path.unlink(missing_ok=True)
        return None
