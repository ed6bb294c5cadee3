"""The plain facts the metrics are computed from, read out of the history and assignments."""

from __future__ import annotations

import json
from datetime import datetime

from leadterm.engine.metrics import AssignmentFact, Decision, MqlFact, RejectFact
from leadterm.engine.times import from_epoch, to_epoch
from leadterm.store.db import database

__all__ = ["decisions", "assignments", "mqls", "rejects"]


def _history(action: str, since: datetime, until: datetime):  # type: ignore[no-untyped-def]
    return database.obj.execute_sql(
        "SELECT h.lead_id, h.at, h.reason, h.detail, l.source FROM history h JOIN lead l ON l.id = h.lead_id "
        "WHERE h.action = ? AND h.at >= ? AND h.at < ? ORDER BY h.id",
        (action, to_epoch(since), to_epoch(until)),
    )


def decisions(since: datetime, until: datetime) -> list[Decision]:
    """Accepts (a first touch on an MQL writes one too) and rejects from ``mql``."""
    found = []
    for action in ("accepted", "rejected"):
        for _lead, at, _reason, detail, source in _history(action, since, until):
            facts = json.loads(detail) if detail else {}
            if action == "rejected" and facts.get("from") != "mql":
                continue
            found.append(Decision(from_epoch(at), action == "accepted", facts.get("owner"), facts.get("tier"), source))  # type: ignore[arg-type]
    return found


def rejects(since: datetime, until: datetime) -> list[RejectFact]:
    found = []
    for _lead, at, reason, detail, _source in _history("rejected", since, until):
        facts = json.loads(detail) if detail else {}
        found.append(RejectFact(from_epoch(at), reason, facts.get("label", reason), facts.get("from", "")))  # type: ignore[arg-type]
    return found


def assignments(since: datetime, until: datetime) -> list[AssignmentFact]:
    """Assignments whose first touch or first-touch deadline falls in the period."""
    cursor = database.obj.execute_sql(
        "SELECT a.lead_id, a.rep, a.tier, l.source, a.assigned_at, a.first_touch_due, a.first_touch_at, "
        "a.ended_at, l.stage FROM assignment a JOIN lead l ON l.id = a.lead_id "
        "WHERE (a.first_touch_at >= ?1 AND a.first_touch_at < ?2) OR (a.first_touch_due >= ?1 AND a.first_touch_due < ?2)",
        (to_epoch(since), to_epoch(until)),
    )
    return [
        AssignmentFact(lead_id, rep, tier, source, from_epoch(assigned), from_epoch(due), from_epoch(touched),  # type: ignore[arg-type]
                       from_epoch(ended), stage)
        for lead_id, rep, tier, source, assigned, due, touched, ended, stage in cursor
    ]


def mqls(since: datetime, until: datetime) -> list[MqlFact]:
    """Leads that became MQLs in the period, with their score then and where they are now."""
    cursor = database.obj.execute_sql(
        "SELECT h.lead_id, h.at, h.detail, l.source, l.stage, "
        "(SELECT a.rep FROM assignment a WHERE a.lead_id = h.lead_id AND a.assigned_at >= h.at "
        " ORDER BY a.id DESC LIMIT 1) "
        "FROM history h JOIN lead l ON l.id = h.lead_id WHERE h.action = 'mql' AND h.at >= ? AND h.at < ? "
        "ORDER BY h.id",
        (to_epoch(since), to_epoch(until)),
    )
    found = []
    for lead_id, at, detail, source, stage, rep in cursor:
        facts = json.loads(detail) if detail else {}
        found.append(MqlFact(lead_id, from_epoch(at), facts.get("score"), facts.get("tier"), source, rep, stage))  # type: ignore[arg-type]
    return found
