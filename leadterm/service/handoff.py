"""The moves every front end shares: change a lead and keep its clocks right, give a lead to a rep."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadterm.engine.lifecycle import MQL
from leadterm.engine.routing import Decision, account_domain
from leadterm.service.context import Context
from leadterm.service.errors import Refused
from leadterm.store import journal, leads, team
from leadterm.store.meta import set_meta
from leadterm.store.records import LeadRecord

__all__ = ["apply", "clock_columns", "give", "give_many", "managers_of", "load_lead", "routing_changed"]


def load_lead(ref: int | str) -> LeadRecord:
    lead = leads.find(ref)
    if lead is None:
        raise Refused(f"no lead {ref}")
    return lead


def routing_changed() -> None:
    """Something happened that can make a waiting (unroutable) MQL routable: a rep is back,
    a rep has room again, an account owner was set. The next worker pass retries them."""
    set_meta("routing_retry", "1")


def clock_columns(context: Context, lead: LeadRecord) -> dict[str, Any]:
    """The derived columns: the countdown's deadline and when escalation is next due."""
    state = lead.clock_state()
    return {
        "due_at": context.sla.due_at(state),
        "escalate_at": context.sla.next_escalation(state),
    }


def apply(context: Context, lead: LeadRecord, changes: dict[str, Any]) -> LeadRecord:
    """Write ``changes`` (plus the derived clock columns) and return the lead as it now is."""
    updated, values = _with_clocks(context, lead, changes)
    leads.update(lead.id, values, context.now())
    return updated


def _with_clocks(context: Context, lead: LeadRecord, changes: dict[str, Any]) -> tuple[LeadRecord, dict[str, Any]]:
    """The lead with ``changes``, and the values to write: the changes and the clock columns."""
    changed = lead.but(**changes)
    derived = clock_columns(context, changed)
    return changed.but(**derived), {**changes, **derived}


def managers_of(context: Context, handle: str) -> list[str]:
    """Who hears of a rep's breaches: their manager, or else the team leads."""
    rep = context.config.rep(handle)
    if rep is not None and rep.manager:
        return [rep.manager]
    return [other.handle for other in context.config.reps if other.is_lead and other.handle != handle]


def give(
    context: Context,
    lead: LeadRecord,
    decision: Decision,
    *,
    actor: str,
    action: str,
    level: int | None = None,
    reason: str | None = None,
) -> LeadRecord:
    """Assign ``lead`` to ``decision.rep`` with fresh deadlines and escalation level 0."""
    return give_many(context, [(lead, decision)], actor=actor, action=action, level=level, reason=reason)[0]


def give_many(
    context: Context,
    handoffs: Sequence[tuple[LeadRecord, Decision]],
    *,
    actor: str,
    action: str,
    level: int | None = None,
    reason: str | None = None,
) -> list[LeadRecord]:
    """``give`` each lead to its decision's rep, at one instant, writing each table once (a
    worker pass routes thousands of leads after a large import: statement by statement, the
    writes were most of its time)."""
    if not handoffs:
        return []
    now = context.now()
    sla, personal = context.sla, context.config.routing.personal_domains
    accept_due = sla.accept_due(now)
    first_touch_due = {tier: sla.first_touch_due(now, tier) for tier in {lead.tier or 3 for lead, _ in handoffs}}
    given, rows, assignments, history, notices, claims = [], [], [], [], [], []
    for lead, decision in handoffs:
        rep, previous, tier = decision.rep, lead.owner, lead.tier or 3
        assert rep is not None
        if previous is not None:
            team.end_assignment(lead.id, now, "reassigned")
        changes = {
            "owner": rep,
            "assigned_at": now,
            "routed_group": decision.group if decision.via == "group" else lead.routed_group,
            "routed_via": decision.via,
            "accept_due": accept_due if lead.stage == MQL else None,
            "first_touch_due": first_touch_due[tier] if lead.first_touch_at is None else None,
            "escalation_level": 0,
            "unroutable_since": None,
        }
        changed, values = _with_clocks(context, lead, changes)
        given.append(changed)
        columns = tuple(values)  # the same for every lead
        rows.append((*values.values(), lead.id))
        assignments.append((lead.id, rep, decision.via, decision.group, tier, now, changed.accept_due,
                            changed.first_touch_due))
        detail = {"to": rep, "via": decision.via, "group": decision.group}
        if previous is not None:
            detail["from"] = previous
        history.append((lead.id, now, actor, action, reason or decision.reason, level, detail))
        notices.append((rep, lead.id, now, "assigned", f"New tier-{tier} lead: {lead.who} ({lead.company or 'no company'})"))
        if previous is not None and previous != rep:
            notices.append((previous, lead.id, now, "reassigned", f"{lead.who} was reassigned to {rep}"))
        if (domain := account_domain(lead.email, personal)) is not None:
            claims.append((domain, rep))
    leads.update_each(columns, rows, now)
    team.start_assignments(assignments)
    journal.record_many(history)
    journal.notify(notices)
    team.claim_accounts(claims, now)
    return given
