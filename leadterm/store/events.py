"""Events: reading a lead's and inserting them idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from leadterm.engine.scoring import EventFact
from leadterm.store import scores
from leadterm.store.db import database

__all__ = ["for_lead", "insert_staged", "stage_flat"]


def for_lead(lead_id: int) -> list[EventFact]:
    cursor = database.obj.execute_sql(
        "SELECT type, occurred_at, detail FROM event WHERE lead_id = ? ORDER BY occurred_at, type",
        (lead_id,),
    )
    return [EventFact(*row) for row in cursor]


_PER_STATEMENT = 8000  # rows per INSERT (32,000 parameters): SQLite runs each statement without the GIL
_STAGING = "temp.event_staging"


def _staging() -> Any:
    """This connection (its private staging table made if needed)."""
    connection = database.obj.connection()
    connection.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_STAGING} "
                       "(lead_id INTEGER, type TEXT, occurred_at INTEGER, detail TEXT)")
    return connection


@lru_cache(maxsize=4)
def _stage_sql(rows: int) -> str:
    return f"INSERT INTO {_STAGING} VALUES " + ", ".join(["(?, ?, ?, ?)"] * rows)


def stage_flat(flat: Sequence[Any]) -> None:
    """Set events aside for ``insert_staged``, given flat, four values each: lead_id, type,
    occurred_at, detail (as the importer builds them, column by column).

    They go into a connection-private table in memory, 8,000 to a statement: appending there
    is cheap, and it lets one statement sort a whole transaction's events by key, so that
    inserting them walks the clustered event table once, page after page, instead of once per
    statement (measured: about 0.8 s less SQLite work for a million events).
    """
    connection = _staging()
    width = 4 * _PER_STATEMENT
    full = len(flat) - len(flat) % width
    if full:
        connection.executemany(_stage_sql(_PER_STATEMENT), (tuple(flat[start : start + width]) for start in range(0, full, width)))
    if full < len(flat):
        connection.execute(_stage_sql((len(flat) - full) // 4), tuple(flat[full:]))


def insert_staged() -> int:
    """Insert the staged events in key order, ignoring ones already there, and make the scores
    of every lead they name due (even if none was new: a worker pass may have rescored a lead
    between two transactions of an import). Returns how many events were new."""
    connection = _staging()
    before = connection.total_changes
    connection.execute(f"INSERT OR IGNORE INTO event (lead_id, type, occurred_at, detail) "
                       f"SELECT * FROM {_STAGING} ORDER BY 1, 2, 3, 4")
    new = connection.total_changes - before
    scores.mark_due_in(f"SELECT lead_id FROM {_STAGING}")
    connection.execute(f"DELETE FROM {_STAGING}")
    return new
