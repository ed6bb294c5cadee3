"""Lead queries and updates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from peewee import SQL, fn

from leadterm.engine.lifecycle import MQL, NURTURE, OPEN_STAGES
from leadterm.engine.times import to_epoch
from leadterm.store.db import database
from leadterm.store.models import Lead
from leadterm.store.records import LeadRecord, lead_from_row

__all__ = [
    "get",
    "find",
    "update",
    "update_many",
    "queue",
    "unrouted",
    "escalations_due",
    "rechecks_due",
    "open_counts",
    "count",
]


def _records(query: Any) -> list[LeadRecord]:
    return [lead_from_row(row) for row in query.dicts()]


def get(lead_id: int) -> LeadRecord | None:
    rows = _records(Lead.select().where(Lead.id == lead_id))
    return rows[0] if rows else None


def find(ref: int | str) -> LeadRecord | None:
    """By id (an int) or normalised email (a str)."""
    if isinstance(ref, int):
        return get(ref)
    rows = _records(Lead.select().where(Lead.email == ref))
    return rows[0] if rows else None


def _db_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return to_epoch(value)
    return value


def update(lead_id: int, changes: Mapping[str, Any], now: datetime) -> None:
    values = {name: _db_value(value) for name, value in changes.items()}
    values["updated_at"] = to_epoch(now)
    Lead.update(values).where(Lead.id == lead_id).execute()


def update_many(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """One executemany of ``UPDATE lead SET c1 = ?, ... WHERE id = ?``; rows end with the id."""
    assignments = ", ".join(f"{name} = ?" for name in columns)
    database.obj.cursor().executemany(f"UPDATE lead SET {assignments} WHERE id = ?", rows)


def queue(owner: str | None, stages: Sequence[str] = OPEN_STAGES) -> list[LeadRecord]:
    """Open leads in queue order: tier ascending, then deadline ascending (none last).

    ``owner=None`` gives every open lead, unassigned MQLs included.
    """
    query = Lead.select().where(Lead.stage.in_(list(stages)))
    if owner is not None:
        query = query.where(Lead.owner == owner)
    query = query.order_by(
        fn.COALESCE(Lead.tier, 9), Lead.due_at.is_null(), Lead.due_at, Lead.id
    )
    return _records(query)


def unrouted() -> list[LeadRecord]:
    """MQLs nobody owns, oldest first (mql_at, then id)."""
    query = (
        Lead.select()
        # literal, so SQLite can use the partial index lead_unrouted
        .where(SQL(f"stage = '{MQL}' AND owner IS NULL"))
        .order_by(Lead.mql_at, Lead.id)
    )
    return _records(query)


def escalations_due(now: datetime) -> list[LeadRecord]:
    epoch = to_epoch(now)
    query = (
        Lead.select()
        .where(Lead.escalate_at.is_null(False) & (Lead.escalate_at <= epoch))
        .order_by(Lead.escalate_at, Lead.id)
    )
    return _records(query)


def rechecks_due(now: datetime) -> list[LeadRecord]:
    epoch = to_epoch(now)
    query = (
        Lead.select()
        .where(
            Lead.recheck_at.is_null(False) & (Lead.recheck_at <= epoch) & (Lead.stage == NURTURE)
        )
        .order_by(Lead.recheck_at, Lead.id)
    )
    return _records(query)


def open_counts() -> dict[str, int]:
    """Open (mql or sal) leads per owner."""
    query = (
        Lead.select(Lead.owner, fn.COUNT(Lead.id).alias("n"))
        .where(Lead.stage.in_(list(OPEN_STAGES)) & Lead.owner.is_null(False))
        .group_by(Lead.owner)
    )
    return {row["owner"]: row["n"] for row in query.dicts()}


def count() -> int:
    return Lead.select().count()
