"""Events: reading a lead's and inserting them idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from leadterm.engine.scoring import EventFact
from leadterm.store.db import database

__all__ = ["for_lead", "insert_flat"]


def for_lead(lead_id: int) -> list[EventFact]:
    cursor = database.obj.execute_sql(
        "SELECT type, occurred_at, detail FROM event WHERE lead_id = ? ORDER BY occurred_at, type",
        (lead_id,),
    )
    return [EventFact(*row) for row in cursor]


_PER_STATEMENT = 8000  # rows per INSERT (32,000 parameters): SQLite runs each statement without the GIL


@lru_cache(maxsize=4)
def _insert_sql(rows: int) -> str:
    # sorted by key inside SQLite, so each statement walks the clustered table in order
    values = ", ".join(["(?, ?, ?, ?)"] * rows)
    return f"INSERT OR IGNORE INTO event (lead_id, type, occurred_at, detail) SELECT * FROM (VALUES {values}) ORDER BY 1, 2, 3, 4"


def insert_flat(flat: Sequence[Any]) -> int:
    """Insert events given flat, four values each: lead_id, type, occurred_at, detail (as the
    importer builds them, column by column). Ones already there are ignored; returns how many
    were new.

    Rows go in 8,000 to a statement: Python only slices and binds, and SQLite's sorting and
    inserting run while the import's reader thread goes on.
    """
    connection = database.obj.connection()
    before = connection.total_changes
    width = 4 * _PER_STATEMENT
    full = len(flat) - len(flat) % width
    if full:
        connection.executemany(_insert_sql(_PER_STATEMENT), (tuple(flat[start : start + width]) for start in range(0, full, width)))
    if full < len(flat):
        connection.execute(_insert_sql((len(flat) - full) // 4), tuple(flat[full:]))
    return connection.total_changes - before
