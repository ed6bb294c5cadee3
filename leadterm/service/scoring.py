"""Keeping scores current, in one set-based statement per worker pass.

A lead is due when its data or events changed (``lead_score.due_at = 0``) or when time alone
can change its score (a window empties, decay starts): ``due_at`` keeps that next moment, so
a pass with nothing due reads one index entry and stops.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, NamedTuple

from leadterm.engine.times import to_epoch
from leadterm.service.context import Context
from leadterm.store import leads as lead_store
from leadterm.store.meta import get_meta, set_meta
from leadterm.store import scores

__all__ = ["Rescored", "rescore", "refresh_fit", "fingerprint", "fit_row"]

_LEAD_FIELDS = (
    "email", "first_name", "last_name", "company", "title", "industry",
    "company_size", "country", "phone", "source", "form",
)


class Rescored(NamedTuple):
    lead_id: int
    score: int
    tier1: bool


def rescore(context: Context, everything: bool = False) -> list[Rescored]:
    """Rescore the leads that are due (or every lead) and return those written.

    Call it inside a write transaction.
    """
    rows = scores.rescore(context.scoring, to_epoch(context.now()), only_due=not everything)
    return [Rescored(*row) for row in rows]


def fingerprint(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def fit_row(context: Context, fields: dict) -> tuple[int, str | None]:
    """(fit points, disqualify rule name) of a lead's fields."""
    model = context.scoring
    rule = model.disqualifier(fields)
    return model.fit_points(fields), (rule.name if rule else None)


def refresh_fit(context: Context) -> bool:
    """When the scoring rules changed since the last pass, recompute every lead's fit and
    disqualifier and make every score due. Returns True when it did."""
    current = fingerprint(context.config.scoring, context.config.tiers)
    if get_meta("scoring_fingerprint") == current:
        return False
    updates = []
    for lead_id, *values in lead_store.every_fields(_LEAD_FIELDS):
        fields = dict(zip(_LEAD_FIELDS, values))
        fields["form"] = json.loads(fields["form"]) if fields["form"] else {}
        points, disqualifier = fit_row(context, fields)
        updates.append((points, disqualifier, lead_id))
    lead_store.update_many(("fit_points", "disqualifier"), updates)
    scores.mark_all_due()
    set_meta("scoring_fingerprint", current)
    return True
