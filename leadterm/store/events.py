"""Events: inserting them idempotently and counting them for scores in set-based SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from leadterm.engine.scoring import Activity, EventFact, ScoringModel
from leadterm.store.db import database

__all__ = ["for_lead", "insert_many", "activities", "mark_due"]


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


def mark_due(lead_ids: Iterable[int]) -> None:
    """Their scores must be recomputed at the next worker pass."""
    database.obj.cursor().executemany(
        "UPDATE lead SET score_due_at = 0 WHERE id = ?", ((lead_id,) for lead_id in lead_ids)
    )


def _aggregate_sql(model: ScoringModel, now: int, scope: str) -> tuple[str, list[Any]]:
    columns = [
        "MAX(occurred_at) FILTER (WHERE occurred_at <= ?)",
        "MIN(occurred_at) FILTER (WHERE occurred_at > ?)",
    ]
    params: list[Any] = [now, now]
    for rule, start in zip(model.rules, model.window_starts(now)):
        window = "type = ? AND occurred_at <= ?" + ("" if start is None else " AND occurred_at >= ?")
        window_params = [rule.event, now] + ([] if start is None else [start])
        columns.append(f"COUNT(*) FILTER (WHERE {window})")
        params += window_params
        if start is None:
            columns.append("NULL")
        else:
            columns.append(f"MIN(occurred_at) FILTER (WHERE {window})")
            params += window_params
    sql = f"SELECT lead_id, {', '.join(columns)} FROM event {scope} GROUP BY lead_id"
    return sql, params


def activities(
    model: ScoringModel, now: int, lead_ids: Sequence[int] | None = None
) -> dict[int, Activity]:
    """Per lead, the counts scoring needs at ``now``: one aggregate over the event table.

    ``lead_ids=None`` means every lead with an event. Leads without events are absent.
    """
    if lead_ids is None:
        scope, scope_params = "", []
    else:
        scope = f"WHERE lead_id IN ({', '.join('?' * len(lead_ids))})"
        scope_params = list(lead_ids)
    sql, params = _aggregate_sql(model, now, scope)
    # the SELECT list's placeholders come before the WHERE clause's
    cursor = database.obj.execute_sql(sql, params + scope_params)
    size = len(model.rules)
    result: dict[int, Activity] = {}
    for row in cursor:
        counts = tuple(row[3 + 2 * index] for index in range(size))
        firsts = tuple(row[4 + 2 * index] for index in range(size))
        result[row[0]] = Activity(counts, firsts, row[1], row[2])
    return result
