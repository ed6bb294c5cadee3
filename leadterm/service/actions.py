"""A rep's and a team lead's actions: accept, reject, touch, qualify, close, assign, away/back.

Each runs in one ``BEGIN IMMEDIATE`` transaction, re-reads the lead inside it, is guarded by
stage, ownership and role, and is written to the history with its actor and reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadterm.config import Rep
from leadterm.engine.lifecycle import LOST, MQL, NURTURE, SAL, SQL, WON, MoveRefused, check_move
from leadterm.engine.routing import Decision
from leadterm.service.context import Context
from leadterm.service.errors import Invalid, Refused
from leadterm.service.handoff import apply, give, load_lead, routing_changed
from leadterm.store import journal, team, write
from leadterm.store.records import LeadRecord

__all__ = [
    "CHANNELS",
    "OUTCOMES",
    "Outcome",
    "accept",
    "reject",
    "touch",
    "qualify",
    "close",
    "assign",
    "set_away",
]

CHANNELS = ("call", "email", "linkedin", "sms", "meeting", "other")
OUTCOMES = ("connected", "no_answer", "voicemail", "replied", "bounced", "meeting_booked", "other")


@dataclass(frozen=True)
class Outcome:
    """What an action did, for the front end to report."""

    lead: LeadRecord | None
    message: str


def _move(lead: LeadRecord, target: str, action: str) -> None:
    try:
        check_move(lead.stage, target, action)
    except MoveRefused as error:
        raise Refused(f"lead {lead.id}: {error}") from None


def _own(context: Context, lead: LeadRecord) -> Rep:
    """The acting rep, who must own the lead or be a team lead."""
    rep = context.acting_rep()
    if rep.is_lead:
        if lead.owner is None and lead.stage == MQL:
            raise Refused(f"lead {lead.id} is not assigned to anyone yet; assign it first")
        return rep
    if lead.owner != rep.handle:
        owner = f"assigned to {lead.owner}" if lead.owner else "not assigned to anyone"
        raise Refused(f"lead {lead.id} is {owner}, not to {rep.handle}")
    return rep


def _lead_only(context: Context, what: str) -> Rep:
    rep = context.acting_rep()
    if not rep.is_lead:
        raise Refused(f"only a team lead may {what}; {rep.handle} is a rep")
    return rep


def _accept(context: Context, lead: LeadRecord, rep: Rep, reason: str | None) -> LeadRecord:
    _move(lead, SAL, "accept")
    now = context.now()
    updated = apply(context, lead, {"stage": SAL, "accepted_at": now})
    journal.record(lead.id, now, rep.handle, "accepted", reason, None, {"owner": lead.owner, "tier": lead.tier})
    return updated


def accept(context: Context, ref: int | str) -> Outcome:
    with write():
        lead = load_lead(ref)
        rep = _own(context, lead)
        updated = _accept(context, lead, rep, None)
    return Outcome(updated, f"lead {lead.id} accepted (sal)")


def reject(context: Context, ref: int | str, reason_code: str, note: str | None = None) -> Outcome:
    reason = context.config.reasons.get(reason_code)
    if reason is None:
        known = ", ".join(context.config.reasons)
        raise Invalid(f"unknown reason {reason_code!r} (reasons: {known})")
    with write():
        lead = load_lead(ref)
        rep = _own(context, lead)
        if lead.stage not in (MQL, SAL):
            raise Refused(f"lead {lead.id}: cannot reject a lead at stage {lead.stage!r}; reject needs mql or sal")
        _move(lead, reason.to, "reject")
        now = context.now()
        if reason.needs_touches:
            touches = team.touch_count_since(lead.id, lead.mql_at)
            needed = context.config.sla.min_touches
            if touches < needed:
                raise Refused(
                    f"lead {lead.id}: {reason_code} needs {needed} touches since it became an MQL; "
                    f"it has {touches}"
                )
        recheck_at = now + reason.recheck_after if reason.to == NURTURE and reason.recheck_after else None
        updated = apply(
            context,
            lead,
            {"stage": reason.to, "stage_reason": reason_code, "owner": None, "recheck_at": recheck_at},
        )
        team.end_assignment(lead.id, now, f"rejected: {reason_code}")
        routing_changed()
        detail = {"from": lead.stage, "to": reason.to, "label": reason.label, "owner": lead.owner, "tier": lead.tier}
        if note:
            detail["note"] = note
        if recheck_at is not None:
            detail["recheck_at"] = recheck_at.isoformat()
        journal.record(lead.id, now, rep.handle, "rejected", reason_code, None, detail)
    return Outcome(updated, f"lead {lead.id} rejected ({reason.label}) → {reason.to}")


def touch(
    context: Context, ref: int | str, channel: str, outcome: str, note: str | None = None
) -> Outcome:
    if channel not in CHANNELS:
        raise Invalid(f"unknown channel {channel!r} (channels: {', '.join(CHANNELS)})")
    if outcome not in OUTCOMES:
        raise Invalid(f"unknown outcome {outcome!r} (outcomes: {', '.join(OUTCOMES)})")
    with write():
        lead = load_lead(ref)
        rep = _own(context, lead)
        if lead.stage not in (MQL, SAL, SQL):
            raise Refused(f"lead {lead.id}: cannot log a touch on a lead at stage {lead.stage!r}")
        now = context.now()
        if lead.stage == MQL:
            lead = _accept(context, lead, rep, "first touch")
        team.add_touch(lead.id, rep.handle, channel, outcome, note, now)
        detail: dict[str, object] = {"channel": channel, "outcome": outcome}
        if note:
            detail["note"] = note
        message = f"touch logged on lead {lead.id}"
        if lead.first_touch_at is None:
            due = lead.first_touch_due
            met = due is None or now <= due
            detail["first_touch"] = "met" if met else "missed"
            lead = apply(context, lead, {"first_touch_at": now})
            team.record_first_touch(lead.id, now)
            message += f" (first touch, SLA {'met' if met else 'missed'})"
        journal.record(lead.id, now, rep.handle, "touched", f"{channel}: {outcome}", None, detail)
    return Outcome(lead, message)


def qualify(context: Context, ref: int | str) -> Outcome:
    with write():
        lead = load_lead(ref)
        rep = _own(context, lead)
        _move(lead, SQL, "qualify")
        now = context.now()
        updated = apply(context, lead, {"stage": SQL})
        journal.record(lead.id, now, rep.handle, "sql")
        routing_changed()  # an sql lead no longer counts against capacity
    return Outcome(updated, f"lead {lead.id} qualified (sql)")


def close(context: Context, ref: int | str, won: bool, reason: str | None = None) -> Outcome:
    if not won and not (reason and reason.strip()):
        raise Invalid("closing as lost needs --reason")
    target = WON if won else LOST
    with write():
        lead = load_lead(ref)
        rep = _own(context, lead)
        _move(lead, target, "close")
        now = context.now()
        updated = apply(context, lead, {"stage": target, "stage_reason": reason})
        team.end_assignment(lead.id, now, target)
        journal.record(lead.id, now, rep.handle, target, reason)
    return Outcome(updated, f"lead {lead.id} closed {target}")


def assign(context: Context, ref: int | str, handle: str) -> Outcome:
    lead_rep = _lead_only(context, "assign leads")
    if context.config.rep(handle) is None:
        raise Refused(f"unknown rep {handle!r}")
    with write():
        lead = load_lead(ref)
        if lead.stage not in (MQL, SAL):
            raise Refused(f"lead {lead.id}: only open leads (mql or sal) can be assigned; it is {lead.stage}")
        if lead.owner == handle:
            raise Refused(f"lead {lead.id} is already assigned to {handle}")
        action = "reassigned" if lead.owner else "routed"
        decision = Decision(handle, "manual", None, f"assigned by {lead_rep.handle}")
        updated = give(context, lead, decision, actor=lead_rep.handle, action=action)
        routing_changed()
    return Outcome(updated, f"lead {lead.id} assigned to {handle}")


def set_away(context: Context, handle: str, away: bool) -> Outcome:
    lead_rep = _lead_only(context, "mark reps away or back")
    if context.config.rep(handle) is None:
        raise Refused(f"unknown rep {handle!r}")
    state = "away" if away else "back"
    with write():
        now = context.now()
        if not team.set_away(handle, away, now):
            return Outcome(None, f"{handle} is already {'away' if away else 'available'}")
        journal.record(None, now, lead_rep.handle, state, None, None, {"rep": handle})
        routing_changed()
    return Outcome(None, f"{handle} is {'away' if away else 'back'}")
