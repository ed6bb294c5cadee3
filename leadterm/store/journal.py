"""The append-only history and the notifications reps receive."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from leadterm.engine.times import from_epoch, to_epoch
from leadterm.store.db import database
from leadterm.store.models import History, Notification
from leadterm.store.records import HistoryRecord, NotificationRecord

__all__ = ["HistoryEntry", "record", "record_many", "for_lead", "notify", "notifications", "mark_read"]

#: (lead_id, at, actor, action, reason, level, detail)
HistoryEntry = tuple[int | None, datetime, str, str, str | None, int | None, dict[str, Any] | None]


def _row(entry: HistoryEntry) -> tuple[Any, ...]:
    lead_id, at, actor, action, reason, level, detail = entry
    return (lead_id, to_epoch(at), actor, action, reason, level, json.dumps(detail) if detail else None)


def record(
    lead_id: int | None,
    at: datetime,
    actor: str,
    action: str,
    reason: str | None = None,
    level: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    record_many([(lead_id, at, actor, action, reason, level, detail)])


def record_many(entries: Iterable[HistoryEntry]) -> None:
    database.obj.cursor().executemany(
        "INSERT INTO history (lead_id, at, actor, action, reason, level, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (_row(entry) for entry in entries),
    )


def for_lead(lead_id: int) -> list[HistoryRecord]:
    query = History.select().where(History.lead == lead_id).order_by(History.id)
    return [
        HistoryRecord(
            row["id"],
            row["lead"],
            from_epoch(row["at"]),  # type: ignore[arg-type]
            row["actor"],
            row["action"],
            row["reason"],
            row["level"],
            json.loads(row["detail"]) if row["detail"] else {},
        )
        for row in query.dicts()
    ]


def notify(rows: Sequence[tuple[str, int | None, datetime, str, str]]) -> None:
    """Insert (rep, lead_id, at, kind, message) notifications."""
    database.obj.cursor().executemany(
        "INSERT INTO notification (rep, lead_id, at, kind, message) VALUES (?, ?, ?, ?, ?)",
        [(rep, lead_id, to_epoch(at), kind, message) for rep, lead_id, at, kind, message in rows],
    )


def notifications(rep: str, unread_only: bool = False) -> list[NotificationRecord]:
    query = Notification.select().where(Notification.rep == rep)
    if unread_only:
        query = query.where(Notification.read_at.is_null())
    return [
        NotificationRecord(
            row["id"], row["rep"], row["lead"], from_epoch(row["at"]),  # type: ignore[arg-type]
            row["kind"], row["message"], from_epoch(row["read_at"]),
        )
        for row in query.order_by(Notification.id).dicts()
    ]


def mark_read(rep: str, now: datetime) -> int:
    return (
        Notification.update(read_at=to_epoch(now))
        .where((Notification.rep == rep) & Notification.read_at.is_null())
        .execute()
    )
