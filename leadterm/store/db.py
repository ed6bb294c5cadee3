"""Opening the database: SQLite in WAL with a busy timeout, one connection per thread,
migrations on open, and the write transaction every read-modify-write goes through."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any
from pathlib import Path

from peewee import DatabaseError as PeeweeDatabaseError
from peewee import IntegrityError as PeeweeIntegrityError
from peewee import OperationalError as PeeweeOperationalError
from peewee import DatabaseProxy, SqliteDatabase

from leadterm.store.schema import MIGRATIONS, SCHEMA_VERSION

__all__ = ["outside_failure", "database", "open_database", "close_database", "forget_inherited_connection", "write", "data_version", "select_in", "insert_columns", "backup_to", "database_path", "snapshot", "thread_connection", "checkpoints_aside", "Checkpoints", "StoreError", "schema_version"]

#: Every model binds to this; ``open_database`` points it at a real database.
database = DatabaseProxy()


def _null(value: None) -> None:
    return None


# CPython 3.11's sqlite3 looks for a way to adapt each None it binds, failing two attribute
# lookups that format an AttributeError each: measured, 300 ns a None against 50 ns with an
# adapter registered, which is found at the first lookup (an import of 100,000 leads binds
# about 134,000 Nones). The adapted value is None still, bound as NULL.
sqlite3.register_adapter(type(None), _null)

_PRAGMAS = {
    # 8 KiB pages for a new database (set before anything is written; an existing one keeps
    # its own): about 30% less commit work for an import of a million events, with fewer pages
    # for each transaction to rewrite
    "page_size": 8192,
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",  # durable against crashes in WAL; a power cut may lose the last commit
    "cache_size": -32000,  # 32 MB
    "temp_store": "memory",
}
BUSY_TIMEOUT_SECONDS = 15


#: What SQLite raises when the database cannot be written or read just now (disk full, locked,
#: an I/O error), as sqlite3 raises it and as peewee wraps it
OPERATIONAL_ERRORS = (sqlite3.OperationalError, PeeweeOperationalError)


#: What SQLite says when something outside stops a command (not a fault of leadterm's)
_OUTSIDE = ("database or disk is full", "disk I/O error", "database is locked", "readonly database",
            "unable to open database file")


def outside_failure(error: BaseException) -> str | None:
    """What to tell the user of a database error that something outside caused (the disk full
    or failing, the database locked too long or read-only), naming the database; None for any
    other, a fault to report whole."""
    if not isinstance(error, OPERATIONAL_ERRORS) or not any(text in str(error) for text in _OUTSIDE):
        return None
    said = f"{error} (the database {database_path()}"
    if "readonly" in str(error):  # SQLite gives its -wal and -shm files the database file's mode
        said += "; its -wal and -shm files must be writable too"
    return said + ")"


class StoreError(Exception):
    """The database cannot be used (newer schema, unsupported URL, unreadable file)."""


def open_database(target: str | Path) -> SqliteDatabase:
    """Open (creating if needed) and migrate the database at ``target``."""
    text = str(target)
    if text.startswith(("postgres://", "postgresql://")):
        raise StoreError(
            f"{text}: PostgreSQL is not supported by this version yet; use a SQLite file path"
        )
    path = Path(text).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    close_database()
    db = SqliteDatabase(str(path), pragmas=_PRAGMAS, timeout=BUSY_TIMEOUT_SECONDS)
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
        _migrate(db)
    except StoreError:
        db.close()
        raise
    except (sqlite3.DatabaseError, PeeweeDatabaseError) as error:  # peewee re-raises its own class
        db.close()
        raise StoreError(f"{path}: cannot use this database ({error})") from error
    return db


def close_database() -> None:
    current = database.obj
    if current is not None and not current.is_closed():
        current.close()


_INHERITED: list[Any] = []


def forget_inherited_connection() -> None:
    """In a forked child: leave the connection inherited from the parent alone (SQLite forbids
    using it, and closing it could touch the parent's locks) so that the next use opens a new one.
    The child must end with ``os._exit``, which closes nothing."""
    db = database.obj
    _INHERITED.append(db._state.conn)  # kept referenced: never closed, never collected
    db._state.reset()


def schema_version(db: SqliteDatabase) -> int:
    has_meta = db.execute_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    if not has_meta:
        return 0
    row = db.execute_sql("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def _statements(script: str) -> Iterator[str]:
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending
            pending = ""


def _migrate(db: SqliteDatabase) -> None:
    if schema_version(db) == SCHEMA_VERSION:
        return
    number = 0
    try:
        with db.atomic("IMMEDIATE"):
            version = schema_version(db)  # again, now that we hold the write lock
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the database is at schema version {version}, newer than this leadterm "
                    f"({SCHEMA_VERSION}); upgrade leadterm"
                )
            for number in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _statements(MIGRATIONS[number - 1]):
                    db.execute_sql(statement)
                db.execute_sql(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(number),),
                )
    except (sqlite3.IntegrityError, PeeweeIntegrityError) as error:  # rolled back: the file is as it was
        raise StoreError(_not_upgradable(db, number, error)) from error


def _not_upgradable(db: SqliteDatabase, number: int, error: Exception) -> str:
    """Why migration ``number`` was refused, in the data's terms: rows whose reference leads
    nowhere (only a change made outside leadterm, with foreign keys off, leaves one)."""
    broken = []  # (table, rowid, parent, index)
    if "FOREIGN KEY" in str(error):
        broken = db.execute_sql("PRAGMA foreign_key_check").fetchall()
    if not broken:
        return f"{db.database}: cannot upgrade the database to schema version {number} ({error})"
    counts: dict[tuple[str, str], int] = {}
    for table, _, parent, _ in broken:
        counts[table, parent] = counts.get((table, parent), 0) + 1
    found = "; ".join(f"{count} row(s) of table {table} refer to a {parent} that does not exist"
                      for (table, parent), count in counts.items())
    return (f"{db.database}: cannot upgrade the database to schema version {number}: {found}. "
            f"Something outside leadterm changed them; nothing was changed now. Restore a backup, "
            f"or remove those rows (sqlite3's PRAGMA foreign_key_check lists them) and run again")


@contextmanager
def write() -> Iterator[None]:
    """A ``BEGIN IMMEDIATE`` transaction: take the write lock before reading what we change.

    It must be the outermost transaction, or peewee would silently make it a savepoint
    without the lock.
    """
    db = database.obj
    if db.in_transaction():
        raise RuntimeError("write() must not be nested in another transaction")
    try:
        with db.atomic("IMMEDIATE"):
            yield
    except OPERATIONAL_ERRORS as error:
        # SQLite rolls a transaction back itself when the disk is full or fails: the rollback
        # that follows finds none, and its error (as sqlite3 raised it, then as peewee wraps
        # it) would hide what failed
        failed: BaseException | None = error
        while failed is not None and "no transaction is active" in str(failed):
            failed = failed.__context__
        if failed is None or failed is error:
            raise
        raise failed from None


def data_version() -> int:
    """SQLite's data_version of this connection: it changes when another connection commits a
    change to the database, and only then (never for this connection's own)."""
    return int(database.obj.execute_sql("PRAGMA data_version").fetchone()[0])


def select_in(sql: str, values: Sequence[Any], size: int = 900) -> Iterator[tuple[Any, ...]]:
    """The rows of ``sql``, whose ``{marks}`` stands for an IN list, over ``values`` in pieces
    small enough for SQLite's limit on parameters."""
    for start in range(0, len(values), size):
        part = values[start : start + size]
        yield from database.obj.execute_sql(sql.format(marks=", ".join("?" * len(part))), part)


#: Parameters per statement, at most (SQLite's own limit is 32,766 since 3.32, 999 before; see
#: ``insert_columns`` for why far fewer than it allows)
_PARAMETERS = 4_000


def insert_columns(table: str, columns: Sequence[str], values: Sequence[Sequence[Any]]) -> None:
    """Insert rows given column by column (``values[i]`` is column ``columns[i]``, all of one
    length), as many rows to a statement as 4,000 parameters hold (SQLite's limit permitting):
    235 rows of 17 columns, 1,000 of 4.

    One statement of many rows runs without the GIL and without Python's work per row (an
    executemany binds and steps each row from Python: 0.37 s for 100,000 rows of 17 columns
    into a table without indexes, against 0.21 s so). Yet not as many as SQLite allows: a
    statement's program and registers grow with its parameters, and one of 1,882 rows of 17
    columns (32,000 parameters) took 15 ms to prepare and 7 ms to run, where 100 to 500 rows
    run faster a row (measured: 100,000 leads into the lead table, 49 ms less with 235 rows a
    statement, 11 of 12 pairs; the whole import 37 and 21 ms less in two runs of 16 pairs, 12
    and 10 of them, and the writer's peak memory 72 -> 64 MB; events no different).

    Each statement's parameters are the columns' slices, interleaved by C-level slice
    assignment; no row is ever built. (Numbered parameters, which would take the columns as
    they are, make SQLite's parser quadratic: 2 s to prepare one statement of 8,000 rows.)
    """
    width = len(columns)
    count = len(values[0]) if values else 0
    if len(values) != width or any(len(column) != count for column in values):
        raise ValueError(f"insert_columns: {len(values)} columns of lengths {[len(column) for column in values]} "
                         f"for {width} names")
    connection = database.obj.connection()
    per_statement = min(_PARAMETERS, connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)) // width
    for start in range(0, count, per_statement):
        end = min(start + per_statement, count)
        flat: list[Any] = [None] * (width * (end - start))
        for offset, column in enumerate(values):
            flat[offset::width] = column[start:end]
        connection.execute(_insert_sql(table, tuple(columns), end - start), flat)


@lru_cache(maxsize=8)
def _insert_sql(table: str, columns: tuple[str, ...], rows: int) -> str:
    row = f"({', '.join('?' * len(columns))})"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join([row] * rows)


def database_path() -> Path:
    return Path(database.obj.database)


def backup_to(target: Path) -> None:
    """Copy the open database to ``target`` with SQLite's online backup (consistent while in use)."""
    destination = sqlite3.connect(target)
    try:
        with destination:
            database.obj.connection().backup(destination)
    finally:
        destination.close()


@contextmanager
def snapshot() -> Iterator[None]:
    """A read transaction: every read inside sees the database as of its first read."""
    with database.obj.atomic():
        yield


@contextmanager
def thread_connection(checked_references: bool = True, cache_kib: int | None = None) -> Iterator[None]:
    """This thread's own connection, closed at the end. ``checked_references=False`` skips
    SQLite's per-row foreign-key lookups, for a bulk writer that checked every reference itself;
    ``cache_kib`` sets the connection's page cache (the default is 32 MB)."""
    db = database.obj
    db.connect(reuse_if_open=True)
    try:
        if not checked_references:
            db.execute_sql("PRAGMA foreign_keys = OFF")
        if cache_kib is not None:
            db.execute_sql(f"PRAGMA cache_size = -{int(cache_kib)}")
        yield
    finally:
        db.close()


class Checkpoints:
    """What ``checkpoints_aside`` yields: call ``committed`` after each commit and
    ``before_write`` before each write transaction."""

    def __init__(self, wal: Path, limit: int) -> None:
        self.wake = threading.Event()
        self.idle = threading.Event()
        self.idle.set()
        self.stopping = False
        self._wal = wal
        self._limit = limit

    def committed(self) -> None:
        self.idle.clear()
        self.wake.set()

    def before_write(self) -> None:
        """Waits for the checkpoint under way once the WAL has grown past the limit: SQLite
        starts the WAL over only when a transaction begins after a checkpoint has copied all of
        it, and a writer that always began while one was running would grow it without end."""
        try:
            grown = self._wal.stat().st_size > self._limit
        except OSError:
            return
        if grown:
            self.idle.wait()


#: How large a WAL may grow before a writer waits for the checkpoint under way (see above).
WAL_LIMIT = 32 << 20


@contextmanager
def checkpoints_aside() -> Iterator[Checkpoints]:
    """For a writer committing many transactions in a row: the WAL checkpoints that SQLite would
    run inside this thread's commits (each ~1,000 pages) run in a thread of their own, on a
    connection of its own, while this thread goes on with its work between commits. On
    leaving, the last checkpoint is waited for.

    A checkpoint copies the WAL into the database file and syncs both: on the machines we
    measured, 25-35 ms a time, mostly waiting on the disk, which the writer need not do. A
    PASSIVE checkpoint never blocks writers or readers, and one that fails (a reader holding old
    pages, say) is only a checkpoint not made yet: the next one, or the last connection's close,
    makes it. The WAL is kept under about ``WAL_LIMIT`` plus one transaction (``before_write``)."""
    db = database.obj
    state = Checkpoints(Path(db.database + "-wal"), WAL_LIMIT)

    def checkpoints() -> None:
        try:
            connection = sqlite3.connect(db.database, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False)
        except sqlite3.Error:
            state.idle.set()
            return
        try:
            connection.execute("PRAGMA synchronous = NORMAL")
            while True:
                state.wake.wait()
                state.wake.clear()
                last = state.stopping  # read before the checkpoint: it covers every commit made so far
                try:
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    pass
                if not state.wake.is_set():
                    state.idle.set()
                if last:
                    return
        finally:
            state.idle.set()
            connection.close()

    db.execute_sql("PRAGMA wal_autocheckpoint = 0")  # this connection's commits checkpoint no more
    worker = threading.Thread(target=checkpoints, name="leadterm-checkpoints", daemon=True)
    worker.start()
    try:
        yield state
    finally:
        state.stopping = True
        state.wake.set()
        worker.join()
        try:
            db.execute_sql("PRAGMA wal_autocheckpoint = 1000")
        except (sqlite3.Error, PeeweeDatabaseError):
            pass  # a broken connection: what broke it is what the caller hears
