"""SLA clocks: deadlines, the countdown a rep sees, and when escalation is due (SPEC §2)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from leadterm.config.schema import Escalation, Sla
from leadterm.engine.clock import BusinessClock
from leadterm.engine.lifecycle import MQL, OPEN_STAGES

__all__ = ["ClockState", "Countdown", "SlaPolicy", "OK", "AT_RISK", "BREACHED"]

OK, AT_RISK, BREACHED = "ok", "at_risk", "breached"
ROUTE, ACCEPT, FIRST_TOUCH = "route", "accept", "first_touch"


@dataclass(frozen=True)
class ClockState:
    """The parts of a lead its SLA clocks depend on."""

    stage: str
    tier: int | None
    owner: str | None
    mql_at: datetime | None
    assigned_at: datetime | None
    first_touch_at: datetime | None
    route_due: datetime | None
    accept_due: datetime | None
    first_touch_due: datetime | None
    escalation_level: int = 0


@dataclass(frozen=True)
class Countdown:
    clock: str
    """``route``, ``accept`` or ``first_touch``."""
    deadline: datetime
    seconds_left: int
    """Wall-clock seconds to the deadline, negative when breached."""
    state: str
    """``ok``, ``at_risk`` or ``breached``."""


class SlaPolicy:
    def __init__(self, sla: Sla, escalation: Escalation, clock: BusinessClock) -> None:
        self.sla = sla
        self.escalation = escalation
        self.clock = clock

    # -- deadlines ----------------------------------------------------------------------------
    def route_due(self, mql_at: datetime) -> datetime:
        return mql_at + self.sla.route_within

    def accept_due(self, assigned_at: datetime) -> datetime:
        return self.clock.add(assigned_at, self.sla.accept_within)

    def first_touch_on_wall_clock(self, assigned_at: datetime, tier: int) -> bool:
        rule = self.sla.first_touch[tier]
        return rule.outside_hours is not None and not self.clock.is_open(assigned_at)

    def first_touch_due(self, assigned_at: datetime, tier: int) -> datetime:
        rule = self.sla.first_touch[tier]
        if self.first_touch_on_wall_clock(assigned_at, tier):
            return assigned_at + rule.outside_hours  # type: ignore[operator]
        return self.clock.add(assigned_at, rule.within)

    # -- what is still running ----------------------------------------------------------------
    def unmet(self, lead: ClockState) -> list[tuple[str, datetime]]:
        """The deadlines not yet met, earliest first."""
        running: list[tuple[str, datetime]] = []
        if lead.stage not in OPEN_STAGES:
            return running
        if lead.owner is None:
            if lead.stage == MQL and lead.route_due is not None:
                running.append((ROUTE, lead.route_due))
            return running
        if lead.stage == MQL and lead.accept_due is not None:
            running.append((ACCEPT, lead.accept_due))
        if lead.first_touch_at is None and lead.first_touch_due is not None:
            running.append((FIRST_TOUCH, lead.first_touch_due))
        running.sort(key=lambda item: item[1])
        return running

    def due_at(self, lead: ClockState) -> datetime | None:
        """The countdown's deadline: the earliest unmet one."""
        running = self.unmet(lead)
        return running[0][1] if running else None

    def countdown(self, lead: ClockState, now: datetime) -> Countdown | None:
        running = self.unmet(lead)
        if not running:
            return None
        name, deadline = running[0]
        seconds_left = int((deadline - now).total_seconds())
        if now > deadline:
            return Countdown(name, deadline, seconds_left, BREACHED)
        if name == ROUTE:
            window = deadline - lead.mql_at  # type: ignore[operator]
            left = deadline - now
        elif name == FIRST_TOUCH and self.first_touch_on_wall_clock(lead.assigned_at, lead.tier or 3):  # type: ignore[arg-type]
            window = deadline - lead.assigned_at  # type: ignore[operator]
            left = deadline - now
        else:
            window = self.clock.elapsed(lead.assigned_at, deadline)  # type: ignore[arg-type]
            left = self.clock.elapsed(now, deadline)
        at_risk = window <= timedelta(0) or left < window * self.sla.at_risk_fraction
        return Countdown(name, deadline, seconds_left, AT_RISK if at_risk else OK)

    # -- escalation ---------------------------------------------------------------------------
    def breach_base(self, lead: ClockState) -> datetime | None:
        """D: the earliest deadline among the assignment's unmet clocks (accept, first touch)."""
        running = [due for name, due in self.unmet(lead) if name != ROUTE]
        return min(running) if running else None

    def reassign_at(self, base: datetime) -> datetime:
        return self.clock.add(base, self.escalation.reassign_after)

    def next_escalation(self, lead: ClockState) -> datetime | None:
        """When the next escalation step is due (level 1 at D, level 2 at D + reassign_after)."""
        base = self.breach_base(lead)
        if base is None or lead.escalation_level >= 2:
            return None
        return base if lead.escalation_level == 0 else self.reassign_at(base)
