"""Events: reading a lead's and inserting them idempotently."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


def insert_many(rows: Iterable[Sequence[Any]]) -> int:
    """Insert (lead_id, type, occurred_at, detail) rows; ones already there are ignored.

    Returns how many were new.
    """
    db = database.obj
    before = db.connection().total_changes
    db.cursor().executemany(
        "INSERT OR IGNORE INTO event (lead_id, type, occurred_at, detail) VALUES (?, ?, ?, ?)", rows
    )
    return db.connection().total_changes - before
