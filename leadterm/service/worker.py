"""The worker pass (``tick``): rescore, qualify, route, escalate, recycle — each step once.

Everything happens in one ``BEGIN IMMEDIATE`` transaction, so several workers (or apps) on
one database never hand a lead out twice, and a pass is all or nothing.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from dataclasses import dataclass
from datetime import datetime

from leadterm.engine.lifecycle import DISQUALIFIED, LEAD
from leadterm.engine.routing import Router, RoutingState, account_domain
from leadterm.engine.times import to_epoch, to_iso
from leadterm.config import ConfigError, load_config
from leadterm.service.context import SYSTEM, Context
from leadterm.service.handoff import apply, give, give_many, managers_of, routing_changed
from leadterm.service.scoring import Rescored, fingerprint, refresh_fit, rescore
from leadterm.store import journal, leads, scores, team, write
from leadterm.store.meta import get_meta, set_meta
from leadterm.store.records import LeadRecord

__all__ = ["TickReport", "tick", "run_worker"]


@dataclass
class TickReport:
    rescored: int = 0
    qualified: int = 0
    disqualified: int = 0
    routed: int = 0
    unroutable: int = 0
    escalated: int = 0
    reassigned: int = 0
    recycled: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


def tick(context: Context) -> TickReport:
    """One worker pass at ``context.now()``: every step of it happens at that one instant."""
    context = context.at(context.now())
    report = TickReport()
    with write():
        rules_changed = refresh_fit(context)
        rescored = rescore(context, everything=rules_changed)
        report.rescored = len(rescored)
        # only a rescored lead (new data, time passing, recycled, new rules) can newly qualify
        _qualify(context, rescored, report)
        router = _route(context, report)
        _escalate(context, router, report)
        _recycle(context, report)
    return report


def _qualify(context: Context, rescored: list[Rescored], report: TickReport) -> None:
    """Of the leads just rescored, those at stage ``lead`` that match a disqualify rule are
    disqualified; those at the MQL bar or with a tier-1 action become MQLs."""
    if not rescored:
        return
    model = context.scoring
    at_stage_lead = leads.still_leads([lead.lead_id for lead in rescored])  # id → disqualify rule
    candidates = [
        (lead.lead_id, lead.score, lead.tier1, at_stage_lead[lead.lead_id])
        for lead in rescored
        if lead.lead_id in at_stage_lead
        and (at_stage_lead[lead.lead_id] is not None or lead.tier1 or lead.score >= model.threshold)
    ]
    if not candidates:
        return
    now = context.now()
    reasons = {rule.name: rule.reason for rule in context.config.scoring.disqualify}
    route_due = context.sla.route_due(now)
    history, disqualified, qualified = [], [], []
    for lead_id, score, tier1, disqualifier in candidates:
        if disqualifier is not None:
            reason = reasons.get(disqualifier, disqualifier)
            disqualified.append((DISQUALIFIED, reason, to_epoch(now), lead_id))
            history.append((lead_id, now, SYSTEM, "disqualified", reason, None, {"rule": disqualifier}))
            continue
        tier = model.tier_for(score, tier1)
        qualified.append((tier, to_epoch(now), to_epoch(route_due), to_epoch(route_due), to_epoch(now), lead_id))
        history.append((lead_id, now, SYSTEM, "mql", model.mql_reason(score, tier1), None,
                        {"score": score, "tier": tier}))
    leads.update_many(("stage", "stage_reason", "updated_at"), disqualified)
    leads.make_mqls(qualified)
    journal.record_many(history)
    report.disqualified += len(disqualified)
    report.qualified += len(qualified)


def _router(context: Context, pending: list[LeadRecord]) -> tuple[Router, dict[str, str]]:
    """A router over the team's current state, with the account owners of ``pending``'s domains."""
    personal = context.config.routing.personal_domains
    domains = {domain for lead in pending if (domain := account_domain(lead.email, personal))}
    owners = team.account_owners(domains)
    state = RoutingState(team.away_handles(), leads.open_counts(), team.cursors())
    return Router(context.config, state, owners.get), owners


#: Leads a pass gives out with one statement per table (after a large import a pass routes tens
#: of thousands: all at once, their records and rows would double the pass's memory).
_GIVEN_AT_ONCE = 1_000


def _route(context: Context, report: TickReport) -> Router | None:
    rules = fingerprint(context.config.routing, context.config.reps)
    retry = get_meta("routing_retry") == "1" or get_meta("routing_fingerprint") != rules
    if retry:
        set_meta("routing_retry", "0")
        set_meta("routing_fingerprint", rules)
    pending = leads.unrouted(include_tried=retry)
    if not pending:
        return None
    now = context.now()
    router, owners = _router(context, pending)
    personal = context.config.routing.personal_domains
    routed = []
    for lead in pending:
        decision = router.route(lead.fields())
        if decision.rep is None:
            report.unroutable += 1
            if lead.unroutable_since is None:
                apply(context, lead, {"unroutable_since": now})
                journal.record(lead.id, now, SYSTEM, "unroutable", decision.reason)
            continue
        routed.append((lead, decision))
        router.commit(decision)
        domain = account_domain(lead.email, personal)
        if domain is not None:
            owners.setdefault(domain, decision.rep)  # the next lead of this account follows
        if len(routed) == _GIVEN_AT_ONCE:
            report.routed += len(give_many(context, routed, actor=SYSTEM, action="routed"))
            routed.clear()
    report.routed += len(give_many(context, routed, actor=SYSTEM, action="routed"))
    team.save_cursors(router.state.cursors)
    return router


def _escalate(context: Context, router: Router | None, report: TickReport) -> None:
    due = leads.escalations_due(context.now())
    if not due:
        return
    now = context.now()
    router = router or _router(context, due)[0]
    sla = context.sla
    for lead in due:
        base = sla.breach_base(lead.clock_state())
        acted = False
        if base is not None and lead.escalation_level == 0 and now >= base:
            lead = _remind(context, lead, base, now)
            report.escalated += 1
            acted = True
        if base is not None and lead.escalation_level == 1 and now >= sla.reassign_at(base):
            report.reassigned += _reassign(context, router, lead, base, now)
            acted = True
        if not acted:  # its clocks changed since escalate_at was set: recompute it
            apply(context, lead, {})
    team.save_cursors(router.state.cursors)


def _remind(context: Context, lead: LeadRecord, base: datetime, now: datetime) -> LeadRecord:
    owner = lead.owner or "nobody"
    clock = "first-touch" if lead.first_touch_due == base else "accept"
    reason = f"{clock} deadline {to_iso(base)} breached"
    updated = apply(context, lead, {"escalation_level": 1})
    journal.record(lead.id, now, SYSTEM, "escalated", reason, 1, {"rep": owner, "deadline": to_iso(base)})
    notices = [(owner, lead.id, now, "reminder", f"SLA breached on {lead.who}: {clock} was due {to_iso(base)}")]
    notices += [
        (manager, lead.id, now, "escalation", f"{owner} breached the {clock} SLA on {lead.who}")
        for manager in managers_of(context, owner)
    ]
    journal.notify(notices)
    return updated


def _reassign(context: Context, router: Router, lead: LeadRecord, base: datetime, now: datetime) -> bool:
    decision = router.reassign(lead.fields(), lead.owner, lead.routed_group)
    previous = lead.owner or "nobody"
    if decision.rep is None:
        apply(context, lead, {"escalation_level": 2})
        journal.record(lead.id, now, SYSTEM, "escalated", f"{decision.reason}; stays with {previous}", 2)
        return False
    reason = f"breached since {to_iso(base)}; {decision.reason}"
    give(context, lead, decision, actor=SYSTEM, action="reassigned", level=2, reason=reason)
    router.commit(decision, previous=lead.owner)
    routing_changed()  # the old owner has room again
    journal.notify(
        [
            (manager, lead.id, now, "escalation", f"{lead.who} was taken from {previous} and given to {decision.rep}")
            for manager in managers_of(context, previous)
        ]
    )
    return True


def _recycle(context: Context, report: TickReport) -> None:
    now = context.now()
    for lead in leads.rechecks_due(now):
        apply(context, lead, {"stage": LEAD, "recheck_at": None})
        scores.mark_due([lead.id])
        journal.record(lead.id, now, SYSTEM, "recycled", f"recheck after {lead.stage_reason or 'nurture'}")
        report.recycled += 1


def _modified(path: Path | None) -> float | None:
    try:
        return path.stat().st_mtime if path is not None else None
    except OSError:
        return None


def run_worker(
    context: Context,
    interval: float,
    on_report: Callable[[TickReport], None] | None = None,
    stop: Callable[[], bool] | None = None,
    on_problem: Callable[[str], None] | None = None,
) -> None:
    """Run ``tick`` every ``interval`` seconds until ``stop()`` is true (or forever).

    A changed config.toml (a new threshold from ``calibrate --apply``, a new rep) is read again
    before the next pass; an invalid one is reported and the last good one kept.
    """
    path = context.config.path
    seen = _modified(path)
    while stop is None or not stop():
        started = time.monotonic()
        modified = _modified(path)
        if modified != seen and path is not None:
            seen = modified
            try:
                context = Context(load_config(path), context.actor, context.timebase)
            except ConfigError as error:
                if on_problem is not None:
                    on_problem(f"{error}\nkeeping the config the worker started with")
        report = tick(context)
        if on_report is not None:
            on_report(report)
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
