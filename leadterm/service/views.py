"""What reps read: the queue and the lead brief, as plain data (JSON-ready)."""

from __future__ import annotations

from typing import Any

from leadterm.engine.times import epoch_to_iso, to_epoch, to_iso
from leadterm.service.context import Context
from leadterm.service.errors import Refused
from leadterm.service.handoff import load_lead
from leadterm.store import events as event_store
from leadterm.store import journal, leads, team
from leadterm.store.records import LeadRecord

__all__ = ["queue", "brief", "queue_row", "score_basis"]


def queue_row(context: Context, lead: LeadRecord) -> dict[str, Any]:
    countdown = context.sla.countdown(lead.clock_state(), context.now())
    return {
        "id": lead.id,
        "email": lead.email_display,
        "name": lead.name,
        "company": lead.company,
        "stage": lead.stage,
        "tier": lead.tier,
        "score": lead.score,
        "owner": lead.owner,
        "deadline": to_iso(countdown.deadline) if countdown else None,
        "clock": countdown.clock if countdown else None,
        "seconds_left": countdown.seconds_left if countdown else None,
        "sla_state": countdown.state if countdown else None,
        "escalation_level": lead.escalation_level,
    }


def queue(context: Context, everyone: bool = False) -> list[dict[str, Any]]:
    """The acting rep's open leads (mql, sal) in queue order; ``everyone`` for a team lead."""
    rep = context.acting_rep()
    if everyone and not rep.is_lead:
        raise Refused(f"only a team lead sees everyone's queue; {rep.handle} is a rep")
    rows = leads.queue(None if everyone else rep.handle)
    return [queue_row(context, lead) for lead in rows]


def brief(context: Context, ref: int | str) -> dict[str, Any]:
    """Everything a rep reads before the call, with the score explained at ``now``."""
    lead = load_lead(ref)
    now = context.now()
    events = event_store.for_lead(lead.id)
    score = context.scoring.explain(lead.fields(), events, to_epoch(now))
    row = queue_row(context, lead)
    row["score"] = score.points
    qualifies = context.scoring.qualifies(score.evaluation)
    row.update(
        {
            "first_name": lead.first_name,
            "last_name": lead.last_name,
            "title": lead.title,
            "industry": lead.industry,
            "company_size": lead.company_size,
            "country": lead.country,
            "phone": lead.phone,
            "source": lead.source,
            "created_at": to_iso(lead.created_at),
            "stage_reason": lead.stage_reason,
            "form": lead.form,
            "qualifies": qualifies,
            "raised_hand": score.evaluation.tier1,
            "disqualifier": score.disqualifier.name if score.disqualifier else None,
            "drivers": [
                {
                    "rule": driver.rule,
                    "points": driver.points,
                    "kind": driver.kind,
                    "evidence": driver.evidence,
                    "events": [
                        {"type": e.type, "occurred_at": epoch_to_iso(e.occurred_at), "detail": e.detail}
                        for e in driver.events
                    ],
                    "tier1": driver.tier1,
                }
                for driver in score.drivers
            ],
            "mql_at": to_iso(lead.mql_at),
            "assigned_at": to_iso(lead.assigned_at),
            "accepted_at": to_iso(lead.accepted_at),
            "first_touch_at": to_iso(lead.first_touch_at),
            "recheck_at": to_iso(lead.recheck_at),
            "deadlines": {
                "route": to_iso(lead.route_due),
                "accept": to_iso(lead.accept_due),
                "first_touch": to_iso(lead.first_touch_due),
            },
            "events": [
                {"type": e.type, "occurred_at": epoch_to_iso(e.occurred_at), "detail": e.detail}
                for e in events
            ],
            "touches": [
                {"at": to_iso(t.at), "rep": t.rep, "channel": t.channel, "outcome": t.outcome, "note": t.note}
                for t in team.touches_for(lead.id)
            ],
            "history": [_history(entry) for entry in journal.for_lead(lead.id)],
        }
    )
    return row


def score_basis(brief: dict[str, Any]) -> str | None:
    """How a brief's score came, as the tiers name it: "raised a hand" (a tier-1 action fired),
    "accumulated engagement" (any behaviour rule counts), "fit alone" (only fit rules do), or
    None when no rule does."""
    if brief["raised_hand"]:
        return "raised a hand"
    if any(driver["kind"] != "fit" for driver in brief["drivers"]):
        return "accumulated engagement"
    return "fit alone" if brief["drivers"] else None


def _history(entry: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"at": to_iso(entry.at), "actor": entry.actor, "action": entry.action, "reason": entry.reason}
    if entry.level is not None:
        row["level"] = entry.level
    if entry.detail:
        row["detail"] = entry.detail
    return row
