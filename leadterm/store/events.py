"""Events: reading a lead's and inserting them idempotently."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import chain
from typing import Any

from leadterm.engine.scoring import EventFact
from leadterm.store.db import database

__all__ = ["for_lead", "insert_many"]


def for_lead(lead_id: int) -> list[EventFact]:
    cursor = database.obj.execute_sql(
        "SELECT type, occurred_at, detail FROM event WHERE lead_id = ? ORDER BY occurred_at, type",
        (lead_id,),
    )
    return [EventFact(*row) for row in cursor]


_PER_STATEMENT = 8000  # rows per INSERT (32,000 parameters): SQLite runs each statement without the GIL
_INSERT = "INSERT OR IGNORE INTO event (lead_id, type, occurred_at, detail) VALUES "


@lru_cache(maxsize=2)
def _insert_sql(rows: int) -> str:
    return _INSERT + ", ".join(["(?, ?, ?, ?)"] * rows)


def insert_many(rows: Sequence[Sequence[Any]]) -> int:
    """Insert (lead_id, type, occurred_at, detail) rows; ones already there are ignored.

    Returns how many were new. Rows go in many to a statement: the binding is done in one call
    and SQLite's work then runs while other Python threads (the import's reader) go on.
    """
    db = database.obj
    connection = db.connection()
    before = connection.total_changes
    full = len(rows) - len(rows) % _PER_STATEMENT
    if full:
        statement = _insert_sql(_PER_STATEMENT)
        connection.executemany(
            statement,
            (tuple(chain.from_iterable(rows[start : start + _PER_STATEMENT])) for start in range(0, full, _PER_STATEMENT)),
        )
    if full < len(rows):
        connection.execute(_insert_sql(len(rows) - full), tuple(chain.from_iterable(rows[full:])))
    return connection.total_changes - before
