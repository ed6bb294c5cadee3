"""What the three imports share: opening the file, the report, and the reader-writer pipeline.

A reader (the calling thread) parses and checks rows and sends chunks of good ones to a writer
(a thread, or for leads and events on Linux a forked process) that commits them in
``BEGIN IMMEDIATE`` transactions of a chunk or a few. SQLite does its B-tree work without
holding the GIL, so parsing the next chunk overlaps writing this one; each transaction is all
or nothing, and every import is idempotent, so running an interrupted import again ends in the
same state.
"""

from __future__ import annotations

import errno
import gc
import os
import pickle
import queue
import select
import signal
import socket
import struct
import sys
import threading
import time
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from leadterm.engine.columns import ColumnError, ColumnMap, header_key, map_columns
from leadterm.engine.identity import is_email
from leadterm.engine.values import TOLD, date_order_of
from leadterm.service.csvfile import REJECTS_COLUMNS, Block, CsvSource, RejectsUnwritable, RejectWriter, count_values
from leadterm.service.errors import Invalid, Unfinished
from leadterm.store import OPERATIONAL_ERRORS, Checkpoints, checkpoints_aside, forget_inherited_connection, outside_failure, thread_connection, write

__all__ = ["ImportReport", "Progress", "Job", "DateOrder", "open_job", "Pipeline", "run_pipeline", "email_in_column", "count_net_change", "wrong_width", "pack_texts", "unpack", "CHUNK", "PROGRESS_EVERY"]

CHUNK = 50_000
PROGRESS_EVERY = 10_000
T = TypeVar("T")
C = TypeVar("C")  # what a Pipeline carries: a chunk of rows
B = TypeVar("B")  # a clean block, converted
R = TypeVar("R")  # a row, converted


class Progress(Protocol):
    def __call__(self, rows: int, done_bytes: int, total_bytes: int) -> None: ...


_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


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
    kept: dict[str, int] = field(default_factory=dict)
    """Per field, how many existing leads kept their own value where the file has another (a
    re-import fills blanks only; ``--overwrite`` replaces them)."""
    leads_created: int = 0
    encoding: str = ""
    not_utf8: int = 0
    """In a UTF-8 file, the bytes that are not UTF-8 (read as Windows-1252)."""
    delimiter: str = ""
    header_line: int = 1
    """The line the header starts on: past 1 when a title or a note above it was skipped."""
    date_order: str | None = None
    """How slashed dates were read (``day-first`` or ``month-first``); None when the file had none."""
    date_order_by: str | None = None
    """What settled it: ``option`` (``--date-order``), ``file`` (its telling dates), ``original``
    (a rejects file's: the telling dates of the file it was made from) or ``guess``."""
    seconds: float = 0.0

    def add(self, counts: Mapping[str, int]) -> None:
        """Counts a writer returned: ``inserted``, ``updated``, ``duplicates``, ``leads_created``,
        ``changed.FIELD`` and ``kept.FIELD`` (a writer may be a process of its own, so it never
        touches the report itself)."""
        self.inserted += counts.get("inserted", 0)
        self.updated += counts.get("updated", 0)
        self.duplicates += counts.get("duplicates", 0)
        self.leads_created += counts.get("leads_created", 0)
        for key, count in counts.items():
            kind, _, name = key.partition(".")
            if kind in ("changed", "kept") and name:
                tally = self.changed if kind == "changed" else self.kept
                tally[name] = tally.get(name, 0) + count

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["delimiter"] = _DELIMITER_NAMES.get(self.delimiter, self.delimiter)
        return data


class DateOrder:
    """How an import reads its file's slashed dates (11/20/2026, 20/11/2026): in the order given
    (``--date-order``), or else in the file's own (``date_order_of``), worked out from the file
    when the first slashed date is met (a file of ISO times is never searched for one); a
    rejects file's, from the file it was made from, when that is beside it (its rows alone,
    a few rejected for another reason, could tell another order). Called, it gives the order;
    ``order`` and ``by`` (``option``, ``original`` or how the file settled it) stay None while
    no slashed date asked."""

    def __init__(self, source: CsvSource, given: str | None, original: Path | None = None) -> None:
        self.source = source
        self.given = given
        self.original = original
        self.order: str | None = None
        self.by: str | None = None

    def __call__(self) -> str:
        if self.order is None:
            if self.given is not None:
                self.order, self.by = self.given, "option"
            elif (original := self._original()) is not None:
                self.order, by = date_order_of(original.texts(), original.delimiter, original.headers)
                self.by = "original" if by == TOLD else by
            else:
                self.order, self.by = date_order_of(self.source.texts(), self.source.delimiter, self.source.headers)
        return self.order

    def _original(self) -> CsvSource | None:
        if self.original is None or not self.original.is_file():
            return None
        try:
            return CsvSource(self.original)
        except Invalid:  # no longer a file to read: the rejects file's own dates decide
            return None


@dataclass
class Job(Generic[T]):
    """One import: its source, column map, rejects and report, and how it reads slashed dates."""

    source: CsvSource
    columns: ColumnMap
    rejects: RejectWriter
    report: ImportReport
    dates: DateOrder
    progress: Progress | None = None
    started: float = field(default_factory=time.perf_counter)

    def reject(self, line: int, reason: str, values: list[str] | None, raw: str = "") -> None:
        self.rejects.add(line, reason, values, raw)

    def converted(self, looks_like_row: Callable[[list[str]], bool], convert: Callable[[Block], B | None],
                  check: Callable[[int, list[str]], R | None], size: int = 10_000,
                  taper: bool = False) -> Iterator[tuple[B, None] | tuple[None, R]]:
        """The file's good rows, converted: (block, None) for a clean Block as ``convert`` makes
        it whole, or (None, row) one by one through ``check`` (which rejects what it refuses,
        giving None) for every record outside clean blocks and for a block that ``convert``
        would not take (None: a row in it needs a closer look). Unreadable records go straight
        to the rejects. Counts what it reads in the report as it goes, and shows progress.
        ``size``: lines in a clean block; ``taper``: smaller blocks at both ends of the file
        (``CsvSource.batches``)."""
        report, progress, source = self.report, self.progress, self.source
        for batch in source.batches(looks_like_row, size, taper):
            if batch.__class__ is Block:
                report.read += batch.count
                block = convert(batch)
                if block is not None:
                    yield block, None
                else:
                    # a row of no value (Excel's ",,,," after the data, a Salesforce report's
                    # "" before its footer) is skipped as a blank line is, not read
                    for offset, values in enumerate(batch.rows()):
                        if not count_values(values):
                            report.read -= 1
                        elif (row := check(batch.first_line + offset, values)) is not None:
                            yield None, row
            else:
                line, values, problem, raw = batch
                if values is not None and not count_values(values):
                    continue
                report.read += 1
                if values is None:
                    self.reject(line, problem or "cannot be read", None, raw)
                elif (row := check(line, values)) is not None:
                    yield None, row
            if progress is not None and (batch.__class__ is Block or report.read % PROGRESS_EVERY == 0):
                progress(report.read, source.position_of(report.read), source.size)

    @contextmanager
    def running(self) -> Iterator[ImportReport]:
        """Around the import's work: however it ends, the rejects file is closed with every row
        refused so far; only an import that finished shows its progress at 100%. What stops it
        from outside (its writer process killed, the disk full, the database locked too long, the
        file gone) is ``Unfinished``, which says so and that running it again finishes it."""
        completed = False
        try:
            yield self.report
            completed = True
        except RejectsUnwritable as error:
            raise Unfinished(f"{error}; {_REJECTS_AGAIN}") from error
        except (OSError, *OPERATIONAL_ERRORS, WriterLost) as error:
            if (why := _stopped_by(error)) is None:
                raise
            raise Unfinished(f"{self.source.path}: the import stopped: {why}; {_AGAIN}") from error
        finally:
            try:
                self._finish(completed)
            except RejectsUnwritable as error:
                raise Unfinished(f"{error}; {_REJECTS_AGAIN}") from error

    def _finish(self, completed: bool) -> None:
        report = self.report
        report.rejected = self.rejects.count
        report.date_order, report.date_order_by = self.dates.order, self.dates.by
        closed = self.rejects.close()
        report.rejects_file = str(closed) if closed else None
        report.seconds = round(time.perf_counter() - self.started, 3)
        if completed and self.progress is not None:
            self.progress(report.read, self.source.size, self.source.size)


class WriterLost(RuntimeError):
    """An import's writer process ended without a word: killed, by hand or for want of memory."""


_AGAIN = "what the import had committed is kept: run the same command again to finish it"
_REJECTS_AGAIN = ("what the import had committed is kept: once that file can be written (beside the file imported), "
                  "run the same command again to finish it")
#: What of the system's errors stops an import from outside (the file gone or unreadable, the disk full or failing, memory short)
_OUTSIDE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.ENOMEM, errno.EAGAIN,
                             errno.EFBIG, errno.ESTALE, errno.ENOENT, errno.EACCES, errno.EPERM})


def _stopped_by(error: BaseException) -> str | None:
    """Why ``error`` stopped an import from outside, or None when it is a fault to report whole."""
    if isinstance(error, OSError):
        if error.errno not in _OUTSIDE_ERRNOS:
            return None
        return (error.strerror or str(error)) + (f" ({error.filename})" if error.filename else "")
    if isinstance(error, OPERATIONAL_ERRORS):
        return outside_failure(error)
    return str(error)


def open_job(kind: str, path: Path, table: Mapping[str, Sequence[str]], required: Sequence[str],
             mapping: Mapping[str, str] | None, progress: Progress | None,
             ignore: Iterable[str] = (), keeps_extra: bool = False, date_order: str | None = None,
             encoding: str | None = None) -> Job[Any]:
    """Open and check the file and its header; nothing is written if this refuses.

    ``ignore``: columns that are not read when the file has all of them (a leadterm export's
    computed columns); in any other file such columns are kept like any other.
    ``keeps_extra``: the columns that are not fields are kept (leads' form answers, listed as
    ``extra_columns``); otherwise they are not read, and listed with ``ignored_columns``.
    ``date_order``: how to read slashed dates (``DateOrder``); None: as the file writes them.
    ``encoding``: the file's, as the user names it; None: as its bytes say.
    """
    source = CsvSource(path, encoding)
    ignore = tuple(ignore)
    # a rejects file, corrected and imported again: its own line and reason are not read
    rejects_file = path.name.endswith(".rejects.csv") and tuple(source.headers[:2]) == REJECTS_COLUMNS
    own = len(REJECTS_COLUMNS) if rejects_file else 0

    def columns_of(headers: list[str]) -> ColumnMap:
        present = {header_key(header) for header in headers}
        skipped = ignore if all(header_key(name) in present for name in ignore) else ()
        return map_columns(headers, table, required, mapping, skipped, own)

    def fits(headers: list[str]) -> bool:
        try:
            columns_of(headers)
        except ColumnError:
            return False
        return True

    try:
        columns = columns_of(source.headers)
    except ColumnError as error:  # a title or a note above the header, perhaps
        if not source.header_below(fits):
            raise Invalid(f"{path}: line 1: {error}") from error
        columns = columns_of(source.headers)
    extra = list(dict.fromkeys(columns.extra.values()))
    report = ImportReport(kind, str(path), extra_columns=extra if keeps_extra else [],
                          ignored_columns=[*columns.ignored, *([] if keeps_extra else extra)],
                          encoding=source.encoding, not_utf8=source.not_utf8, delimiter=source.delimiter,
                          header_line=source.header_line)
    rejects = RejectWriter(path, source.headers, own)
    original = path.with_name(path.name.split(".rejects.csv")[0]) if own else None  # of a rejects file's rejects too
    return Job(source, columns, rejects, report, DateOrder(source, date_order, original), progress)


def count_net_change(counts: Counter[str], rows: int, changed: Sequence[str]) -> None:
    """Count the ``rows`` a file had for one record already stored by what they changed in all:
    one ``updated`` (the others ``duplicates``) with ``changed.FIELD`` for each of ``changed``,
    or all ``duplicates`` when nothing changed. So a file that names a record twice with other
    values changes nothing the second time it is imported (row by row, the two rows would undo
    each other each time: two updates that change nothing)."""
    counts["duplicates"] += rows - 1 if changed else rows
    if changed:
        counts["updated"] += 1
        counts.update(f"changed.{name}" for name in changed)


def wrong_width(values: Sequence[str], width: int) -> str | None:
    """Why a row of ``values`` is refused for its number of fields; None when it has ``width``."""
    if len(values) == width:
        return None
    return f"has {len(values)} field{'' if len(values) == 1 else 's'}, the header has {width}"


def email_in_column(index: int) -> Callable[[list[str]], bool]:
    """``looks_like_row`` for a file keyed by email: a row has a valid email at ``index``."""
    return lambda values: is_email(values[index])


def pack_texts(texts: list[str]) -> str | list[str]:
    """A column of texts as one string to pickle (joined by NUL, which no imported value
    holds: a row with one is refused), so that neither process handles each text one by one;
    the list itself if one holds a NUL after all."""
    joined = "\0".join(texts)
    return joined if texts and joined.count("\0") == len(texts) - 1 else texts


def unpack(packed: Any, count: int) -> list[Any]:
    """A column as ``pack_texts`` (or an ``array``) packed it: a list of ``count`` values."""
    if isinstance(packed, str):
        return packed.split("\0") if count else []
    return packed.tolist() if isinstance(packed, array) else packed


class Pipeline(Generic[C]):
    """Chunks sent here are written by ``write`` with a database connection of the writer's own,
    at most a few chunks behind the sender.

    Plainly, the writer runs ``write`` for each chunk inside a ``BEGIN IMMEDIATE`` transaction of
    its own. With ``commit``, ``write`` only sets each chunk aside (outside any transaction, in
    the connection's private temp tables) and ``commit`` writes what was set aside in one short
    transaction: the database's write lock is held for the writing alone, never while the reader
    is still producing rows. A transaction takes ``per_commit`` chunks (larger ones rewrite fewer
    pages in all, since each transaction rewrites every page it touches, but take longer to
    commit, while the sender fills the queue and waits), or, once ``near_end(chunk)`` says the
    rest of the input would fit in one, as few as ``min_commit`` whenever no further chunk is
    ready yet: the writer spends the time it would wait on commits, so that the last
    transaction, which nothing can overlap, stays small.

    ``write`` and ``commit`` may return counts (``{"inserted": 3}``): they are summed in
    ``counts``, which holds the totals once the pipeline has closed.

    The writer is a thread, or with ``process=True`` on Linux a forked process of its own, so
    that binding values and Python's share of each statement never wait for the reader's GIL.
    The child dies with its parent (a kill -9 of the import kills both), and an interrupted
    transaction is rolled back by SQLite like any other.

    The writer's WAL checkpoints run beside it, in a thread of their own (``checkpoints_aside``):
    it goes on with the next chunk while the last commit is copied into the database file and
    synced (measured: leads 100k faster in 14 of 20 pairs, mean -22 ms; events no different).

    ``bulk``: the writer only inserts rows whose references it checked itself (events whose lead
    it looked up), so its connection skips SQLite's per-row foreign-key lookups; and it walks a
    table larger than any cache once per transaction, so its connection keeps an 8 MB page
    cache, not 32 (measured: no slower, and 22 MB less memory). ``own_references``: the first
    only (the leads writer: score rows and history of leads it inserted or looked up in the same
    transaction).
    """

    def __init__(self, write: Callable[[C], Mapping[str, int] | None], bulk: bool = False,
                 per_commit: int = 1, min_commit: int | None = None,
                 near_end: Callable[[C], bool] | None = None,
                 commit: Callable[[], Mapping[str, int] | None] | None = None, process: bool = False,
                 own_references: bool = False) -> None:
        self.write = write
        self.bulk = bulk
        self.own_references = own_references or bulk
        self.per_commit = per_commit
        self.min_commit = per_commit if min_commit is None else min_commit
        self.near_end = near_end or (lambda chunk: True)
        self.commit = commit
        self.process = process and sys.platform == "linux"
        self.counts: Counter[str] = Counter()
        # what ``send`` hands on: chunks, or for a forked writer chunks pickled already, by ``send``
        # in the reader's own thread (measured: leads 100k 0.98 -> 0.88 s median, 12 pairs; the
        # sending thread pickling them contended with the reader for the GIL and sent them later)
        self.pending: queue.Queue[Any] = queue.Queue(maxsize=4)
        self.failure: list[BaseException] = []
        self._ended = False
        target = self._feed_child if self.process else self._run
        self.thread = threading.Thread(target=target, name="leadterm-import-writer", daemon=True)

    # -- the writer (a thread, or the forked child's only thread) ----------------------------------

    def _run(self, source: Callable[[], C | None] | None = None, ready: Callable[[], bool] | None = None) -> None:
        receive = source or self._next
        try:
            with (thread_connection(checked_references=not self.own_references, cache_kib=8192 if self.bulk else None),
                  checkpoints_aside() as checkpoints):
                if self.commit is None:
                    while (chunk := receive()) is not None:
                        self._transaction(checkpoints, partial(self.write, chunk))
                else:
                    self._staged(receive, ready or (lambda: not self.pending.empty()), self.commit, checkpoints)
        except BaseException as error:  # handed to the sending thread, which raises it
            self.failure.append(error)
            if source is None:
                while self._next() is not None:  # drain, so the sender never blocks on a full queue
                    pass

    def _staged(self, receive: Callable[[], C | None], ready: Callable[[], bool],
                commit: Callable[[], Mapping[str, int] | None], checkpoints: Checkpoints) -> None:
        staged = 0
        while (chunk := receive()) is not None:
            self._count(self.write(chunk))
            staged += 1
            if staged >= self.per_commit or (staged >= self.min_commit and self.near_end(chunk) and not ready()):
                self._transaction(checkpoints, commit)
                staged = 0
        if staged:
            self._transaction(checkpoints, commit)

    def _transaction(self, checkpoints: Checkpoints, work: Callable[[], Mapping[str, int] | None]) -> None:
        """``work`` in a write transaction of its own, its counts kept, its commit checkpointed aside."""
        checkpoints.before_write()
        with write():
            self._count(work())
        checkpoints.committed()

    def _count(self, counts: Mapping[str, int] | None) -> None:
        if counts:
            self.counts.update(counts)

    def _next(self) -> Any:
        """The next chunk (pickled, for a forked writer), or None once the sender has sent its last."""
        if self._ended:
            return None
        chunk = self.pending.get()
        self._ended = chunk is None
        return chunk

    # -- the forked writer ---------------------------------------------------------------------------

    def _fork(self) -> None:
        parent = os.getpid()
        self._channel, child_end = _Channel.pair()
        try:
            self._pid = os.fork()
        except OSError:
            self._channel.close()
            child_end.close()
            raise
        if self._pid:
            child_end.close()
            return
        status = 1
        try:
            _die_with_parent(parent)
            self._channel.close()
            forget_inherited_connection()

            ended = False

            def receive() -> C | None:
                nonlocal ended
                data = b"" if ended else child_end.recv_bytes()
                ended = not data
                return pickle.loads(data) if data else None

            self._run(receive, child_end.poll)
            if self.failure:  # said at once, so that the parent stops reading the file
                child_end.send_bytes(_failure_message(self.failure[0]))
                try:
                    while not ended:  # then take the rest, so the parent never blocks sending
                        receive()
                except (EOFError, OSError):  # the parent stopped sending and closed its end
                    pass
            else:
                child_end.send_bytes(pickle.dumps(("done", dict(self.counts))))
            status = 0
        finally:
            os._exit(status)  # nothing of the parent's (files, connection, atexit) is touched

    def _feed_child(self) -> None:
        """The parent's sending thread: hands the chunks, pickled by ``send``, to the child (the
        pipe write releases the GIL), then collects the child's counts. A child that fails says
        so at once: the failure is handed to the sender (which raises it at its next ``send``)
        and no more is sent."""
        channel = self._channel
        outcome: tuple[str, Any] | None = None
        try:
            while (data := self._next()) is not None:
                if outcome is None and channel.poll():
                    outcome = pickle.loads(channel.recv_bytes())
                    self.failure.append(outcome[1])
                if outcome is None:
                    channel.send_bytes(data)
            if outcome is None:
                channel.send_bytes(b"")
                outcome = pickle.loads(channel.recv_bytes())
                if outcome[0] == "done":
                    self.counts.update(outcome[1])
                else:
                    self.failure.append(outcome[1])
        except (OSError, EOFError):
            if not self.failure:
                self.failure.append(WriterLost("its writer process ended unexpectedly (killed, or out of memory)"))
        if self.failure:
            while self._next() is not None:  # so the sender never blocks on a full queue
                pass

    # -- the sender's side ----------------------------------------------------------------------------

    def __enter__(self) -> Pipeline[C]:
        # Millions of short-lived rows, none of them in a reference cycle: the cyclic garbage
        # collector would only walk them again and again.
        self._collecting = gc.isenabled()
        gc.disable()
        # A writer thread needs the GIL only briefly between long GIL-free statements; a short
        # switch interval keeps it from waiting out the reader's whole time slice each time.
        self._interval = sys.getswitchinterval()
        sys.setswitchinterval(0.001)
        try:
            if self.process:
                self._fork()
        except BaseException:  # no writer (the system would not fork): as it was before
            self._restore()
            raise
        self.thread.start()
        return self

    def _restore(self) -> None:
        sys.setswitchinterval(self._interval)
        if self._collecting:
            gc.enable()

    def send(self, chunk: C) -> None:
        if self.failure:
            raise self.failure[0]
        self.pending.put(pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL) if self.process else chunk)

    def __exit__(self, *exc_info: object) -> None:
        if self.process and exc_info[0] is not None:
            os.kill(self._pid, signal.SIGKILL)  # its open transaction is rolled back
        self.pending.put(None)
        self.thread.join()
        if self.process:
            # closed before the wait: a child that failed drains what the parent sends until
            # the end, which a parent that saw the failure never sends; the end closing is it
            self._channel.close()
            os.waitpid(self._pid, 0)
        self._restore()
        if self.failure and exc_info[0] is None:
            raise self.failure[0]


class _Channel:
    """One end of a socket pair that carries whole messages (bytes, each after its length): what
    ``multiprocessing.Pipe`` gives, without loading multiprocessing (7-10 ms of every import's
    start-up) and without copying each message once more on receiving it."""

    _LENGTH = struct.Struct("!Q")

    def __init__(self, end: socket.socket) -> None:
        self.end = end
        self._poller = select.poll()  # not select.select: no limit on the descriptor's number (FD_SETSIZE)
        self._poller.register(end, select.POLLIN)

    @classmethod
    def pair(cls) -> tuple[_Channel, _Channel]:
        first, second = socket.socketpair()
        first.settimeout(None)  # blocking, whatever socket.setdefaulttimeout says
        second.settimeout(None)
        return cls(first), cls(second)

    def send_bytes(self, data: bytes) -> None:
        self.end.sendall(self._LENGTH.pack(len(data)))
        self.end.sendall(data)

    def recv_bytes(self) -> bytearray:
        (length,) = self._LENGTH.unpack(self._exactly(self._LENGTH.size))
        return self._exactly(length)

    def _exactly(self, length: int) -> bytearray:
        data = bytearray(length)
        view, got = memoryview(data), 0
        while got < length:
            received = self.end.recv_into(view[got:])
            if not received:
                raise EOFError("the other end of the import's channel closed")
            got += received
        return data

    def poll(self) -> bool:
        """Whether a message (or the end) is waiting to be read."""
        return bool(self._poller.poll(0))

    def close(self) -> None:
        self.end.close()


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this (forked) process when its parent dies."""
    import ctypes  # here, in the child (3 ms to load; the console script has it loaded already)

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _failure_message(error: BaseException) -> bytes:
    """("failed", error) pickled, small enough to fit the channel's buffer (the child sends it
    while the parent may still be blocked sending it a chunk)."""
    message = pickle.dumps(("failed", _picklable(error)))
    if len(message) > 16_384:
        message = pickle.dumps(("failed", RuntimeError(f"{type(error).__name__}: {str(error)[:8_000]}")))
    return message


def _picklable(error: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def run_pipeline(items: Iterable[T], write: Callable[[list[T]], Mapping[str, int] | None],
                 size: int = CHUNK) -> Counter[str]:
    """Send ``items`` in chunks of ``size`` through a Pipeline (its writer a thread); returns the
    counts ``write`` returned, summed."""
    with Pipeline(write) as pipe:
        chunk: list[T] = []
        for item in items:
            chunk.append(item)
            if len(chunk) >= size:
                pipe.send(chunk)
                chunk = []
        if chunk:
            pipe.send(chunk)
    return pipe.counts
