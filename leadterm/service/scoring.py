"""Keeping scores current: rescoring what is due (or everything) in set-based passes.

A lead is due when its data or events changed (``score_due_at = 0``) or when time alone can
change its score (a window empties, decay starts): ``score_due_at`` keeps that next moment, so
a worker pass with nothing due reads one index entry and stops.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from leadterm.engine.scoring import Activity, Evaluation
from leadterm.engine.times import to_epoch
from leadterm.service.context import Context
from leadterm.store import database
from leadterm.store import events as event_store
from leadterm.store import leads as lead_store

__all__ = ["Rescored", "rescore_due", "rescore_all", "refresh_fit", "scoring_fingerprint", "fit_row"]

_NO_ACTIVITY_CACHE: dict[int, Activity] = {}
_CHUNK = 2000
_LEAD_FIELDS = (
    "email", "first_name", "last_name", "company", "title", "industry",
    "company_size", "country", "phone", "source", "form",
)


@dataclass(frozen=True)
class Rescored:
    """A lead just rescored: what qualification needs."""

    lead_id: int
    stage: str
    disqualifier: str | None
    evaluation: Evaluation


def _no_activity(size: int) -> Activity:
    cached = _NO_ACTIVITY_CACHE.get(size)
    if cached is None:
        cached = _NO_ACTIVITY_CACHE[size] = Activity((0,) * size, (None,) * size, None, None)
    return cached


def _score_rows(
    context: Context, rows: Sequence[tuple], activities: dict[int, Activity], now: int
) -> Iterator[Rescored]:
    """Evaluate (id, fit, score, tier1, due, stage, disqualifier) rows; write what changed."""
    model = context.scoring
    empty = _no_activity(len(model.rules))
    changed = []
    for lead_id, fit, score, tier1, due, stage, disqualifier in rows:
        evaluation = model.evaluate(fit, activities.get(lead_id, empty), now)
        if evaluation.points != score or evaluation.tier1 != bool(tier1) or evaluation.next_change_at != due:
            changed.append((evaluation.points, evaluation.tier1, evaluation.next_change_at, lead_id))
        yield Rescored(lead_id, stage, disqualifier, evaluation)
    if changed:
        lead_store.update_many(("score", "tier1_fired", "score_due_at"), changed)


_SELECT = "SELECT id, fit_points, score, tier1_fired, score_due_at, stage, disqualifier FROM lead"


def rescore_due(context: Context) -> list[Rescored]:
    """Rescore every lead whose ``score_due_at`` has come; call inside a write transaction."""
    now = to_epoch(context.now())
    rows = database.obj.execute_sql(
        f"{_SELECT} WHERE score_due_at <= ? ORDER BY id", (now,)
    ).fetchall()
    done: list[Rescored] = []
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        activities = event_store.activities(context.scoring, now, [row[0] for row in chunk])
        done.extend(_score_rows(context, chunk, activities, now))
    return done


def rescore_all(context: Context) -> list[Rescored]:
    """Rescore every lead with one aggregate over all events (config changes, benchmarks)."""
    now = to_epoch(context.now())
    activities = event_store.activities(context.scoring, now)
    rows = database.obj.execute_sql(_SELECT).fetchall()
    return list(_score_rows(context, rows, activities, now))


def scoring_fingerprint(context: Context) -> str:
    """Changes whenever the rules that decide scores, tiers or disqualification change."""
    text = repr((context.config.scoring, context.config.tiers))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fit_row(context: Context, fields: dict) -> tuple[int, str | None]:
    """(fit points, disqualify rule name) of a lead's fields."""
    model = context.scoring
    rule = model.disqualifier(fields)
    return model.fit_points(fields), (rule.name if rule else None)


def refresh_fit(context: Context) -> bool:
    """When the scoring rules changed since the last pass, recompute every lead's fit and
    disqualifier and make every score due. Returns True when it did."""
    fingerprint = scoring_fingerprint(context)
    db = database.obj
    row = db.execute_sql("SELECT value FROM meta WHERE key = 'scoring_fingerprint'").fetchone()
    if row and row[0] == fingerprint:
        return False
    cursor = db.execute_sql(f"SELECT id, {', '.join(_LEAD_FIELDS)} FROM lead")
    updates = []
    for lead_id, *values in cursor.fetchall():
        fields = dict(zip(_LEAD_FIELDS, values))
        fields["form"] = json.loads(fields["form"]) if fields["form"] else {}
        points, disqualifier = fit_row(context, fields)
        updates.append((points, disqualifier, 0, lead_id))
    lead_store.update_many(("fit_points", "disqualifier", "score_due_at"), updates)
    db.execute_sql(
        "INSERT INTO meta (key, value) VALUES ('scoring_fingerprint', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (fingerprint,),
    )
    return True
