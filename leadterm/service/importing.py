"""What the three imports share: opening the file, the report, and the two-thread pipeline.

A reader (the calling thread) parses and checks rows and sends chunks of good ones to a writer
thread that commits each chunk in its own ``BEGIN IMMEDIATE`` transaction. SQLite does its
B-tree work without holding the GIL, so parsing the next chunk overlaps writing this one; each
chunk is all or nothing, and every import is idempotent, so running an interrupted import again
ends in the same state.
"""

from __future__ import annotations

import gc
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from leadterm.engine.columns import ColumnError, ColumnMap, header_key, map_columns
from leadterm.engine.identity import is_email
from leadterm.service.csvfile import CsvSource, RejectWriter
from leadterm.service.errors import Invalid
from leadterm.store import thread_connection

__all__ = ["ImportReport", "Progress", "Job", "open_job", "Pipeline", "run_pipeline", "email_in_column", "CHUNK"]

CHUNK = 50_000
PROGRESS_EVERY = 10_000
T = TypeVar("T")


class Progress(Protocol):
    def __call__(self, rows: int, done_bytes: int, total_bytes: int) -> None: ...


@dataclass
class ImportReport:
    kind: str
    file: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejects_file: str | None = None
    extra_columns: list[str] = field(default_factory=list)
    """Columns that are not fields (kept with leads as form answers; ignored for events and accounts)."""
    ignored_columns: list[str] = field(default_factory=list)
    """Columns read and deliberately not kept (an export's computed columns, ``--map C=-``)."""
    changed: dict[str, int] = field(default_factory=dict)
    """Per field, how many existing records an update changed."""
    leads_created: int = 0
    encoding: str = ""
    delimiter: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["delimiter"] = {",": "comma", ";": "semicolon", "\t": "tab"}.get(self.delimiter, self.delimiter)
        return data


@dataclass
class Job(Generic[T]):
    """One import: its source, column map, rejects and report."""

    source: CsvSource
    columns: ColumnMap
    rejects: RejectWriter
    report: ImportReport
    progress: Progress | None = None
    started: float = field(default_factory=time.perf_counter)

    def reject(self, line: int, reason: str, values: list[str] | None, raw: str = "") -> None:
        self.rejects.add(line, reason, values, raw)

    def rows(self, looks_like_row: Callable[[list[str]], bool] | None) -> Iterator[tuple[int, list[str]]]:
        """(line, values) of every readable record, counted as read; unreadable ones go
        straight to the rejects."""
        report, progress, source, reject = self.report, self.progress, self.source, self.rejects.add
        count = report.read
        try:
            for line, values, problem, raw in source.records(looks_like_row):
                count += 1
                if values is None:
                    reject(line, problem or "cannot be read", None, raw)
                    continue
                if progress is not None and count % PROGRESS_EVERY == 0:
                    progress(count, source.position(), source.size)
                yield line, values
        finally:
            report.read = count

    def finish(self) -> ImportReport:
        report = self.report
        report.rejected = self.rejects.count
        closed = self.rejects.close()
        report.rejects_file = str(closed) if closed else None
        report.seconds = round(time.perf_counter() - self.started, 3)
        if self.progress is not None:
            self.progress(report.read, self.source.size, self.source.size)
        return report


def open_job(kind: str, path: Path, table: Mapping[str, Sequence[str]], required: Sequence[str],
             mapping: Mapping[str, str] | None, progress: Progress | None,
             ignore: Iterable[str] = ()) -> Job[Any]:
    """Open and check the file and its header; nothing is written if this refuses.

    ``ignore``: columns that are not read when the file has all of them (a leadterm export's
    computed columns); in any other file such columns are kept like any other.
    """
    source = CsvSource(path)
    present = {header_key(header) for header in source.headers}
    ignore = tuple(ignore)
    if not all(header_key(name) in present for name in ignore):
        ignore = ()
    try:
        columns = map_columns(source.headers, table, required, mapping, ignore)
    except ColumnError as error:
        raise Invalid(f"{path}: line 1: {error}") from error
    report = ImportReport(kind, str(path), extra_columns=list(columns.extra.values()),
                          ignored_columns=list(columns.ignored), encoding=source.encoding,
                          delimiter=source.delimiter)
    return Job(source, columns, RejectWriter(path, source.headers), report, progress)


def email_in_column(index: int) -> Callable[[list[str]], bool]:
    """``looks_like_row`` for a file keyed by email: a row has a valid email at ``index``."""
    return lambda values: is_email(values[index])


class Pipeline(Generic[T]):
    """Chunks sent here are written by ``write`` in a writer thread with its own database
    connection, at most two chunks behind the sender.

    ``bulk``: the writer only inserts rows whose references it checked itself (events whose lead
    it looked up), so its connection skips SQLite's per-row foreign-key lookups.
    """

    def __init__(self, write: Callable[[list[T]], None], bulk: bool = False) -> None:
        self.write = write
        self.bulk = bulk
        self.pending: queue.Queue[list[T] | None] = queue.Queue(maxsize=2)
        self.failure: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, name="leadterm-import-writer", daemon=True)

    def _run(self) -> None:
        try:
            with thread_connection(checked_references=not self.bulk):
                while (chunk := self.pending.get()) is not None:
                    self.write(chunk)
        except BaseException as error:  # handed to the sending thread, which raises it
            self.failure.append(error)
            while self.pending.get() is not None:  # drain, so the sender never blocks on a full queue
                pass

    def __enter__(self) -> Pipeline[T]:
        # Millions of short-lived rows, none of them in a reference cycle: the cyclic garbage
        # collector would only walk them again and again.
        self._collecting = gc.isenabled()
        gc.disable()
        # The writer needs the GIL only briefly between long GIL-free statements; a short switch
        # interval keeps it from waiting out the reader's whole time slice each time.
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(0.001)
        self.thread.start()
        return self

    def send(self, chunk: list[T]) -> None:
        if self.failure:
            raise self.failure[0]
        self.pending.put(chunk)

    def __exit__(self, *exc_info: object) -> None:
        self.pending.put(None)
        self.thread.join()
        sys.setswitchinterval(self._interval)
        if self._collecting:
            gc.enable()
        if self.failure and exc_info[0] is None:
            raise self.failure[0]


def run_pipeline(items: Iterable[T], write: Callable[[list[T]], None], size: int = CHUNK) -> None:
    """Send ``items`` in chunks of ``size`` through a Pipeline."""
    with Pipeline(write) as pipe:
        chunk: list[T] = []
        for item in items:
            chunk.append(item)
            if len(chunk) >= size:
                pipe.send(chunk)
                chunk = []
        if chunk:
            pipe.send(chunk)
