"""config.toml as typed, frozen objects. Each field's docstring is its meaning in the SLA."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from leadterm.engine.clock import BusinessClock

__all__ = [
    "AppSettings",
    "Calendar",
    "FieldMatch",
    "FitRule",
    "BehaviourRule",
    "DecayStep",
    "DisqualifyRule",
    "Scoring",
    "Tiers",
    "FirstTouchSla",
    "Sla",
    "Escalation",
    "Reason",
    "Rep",
    "GroupMatch",
    "RoutingGroup",
    "Routing",
    "Config",
    "LEAD_FIELDS",
    "REJECT_DESTINATIONS",
    "ROLES",
]

#: Lead fields a rule may test; ``form.<column>`` tests an imported form answer.
LEAD_FIELDS = (
    "email",
    "email_domain",
    "first_name",
    "last_name",
    "company",
    "title",
    "industry",
    "company_size",
    "country",
    "phone",
    "source",
)
#: Where a reject reason may send a lead.
REJECT_DESTINATIONS = ("nurture", "disqualified")
#: ``rep`` works a queue; ``lead`` (team lead) also sees the board, assigns and edits the config.
ROLES = ("rep", "lead")


@dataclass(frozen=True)
class AppSettings:
    database: str = "data/leadterm.db"
    """A SQLite path (relative to config.toml's folder) or a postgresql:// URL."""
    theme: str = "leadterm-dark"
    """A theme name from themes/ or a built-in Textual theme."""


@dataclass(frozen=True)
class Calendar:
    timezone: str
    """IANA zone the working hours and holidays are local to."""
    hours: tuple[tuple[tuple[int, int], ...], ...]
    """Seven weekdays (Monday first), each a sorted tuple of (start, end) minutes after midnight."""
    holidays: frozenset[date] = frozenset()
    """Whole local days off."""

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def clock(self) -> BusinessClock:
        return BusinessClock(self.zone, self.hours, self.holidays)


@dataclass(frozen=True)
class FieldMatch:
    """A test of one lead field: text (case-insensitive, trimmed) or numeric bounds."""

    field: str
    """A name of LEAD_FIELDS or ``form.<column>``."""
    contains_any: tuple[str, ...] | None = None
    """Matches when the value contains any of these (already lower-cased)."""
    in_: tuple[str, ...] | None = None
    """Matches when the value equals any of these (already lower-cased)."""
    min: float | None = None
    """Inclusive lower bound; the value must be a number."""
    max: float | None = None
    """Inclusive upper bound; the value must be a number."""


@dataclass(frozen=True)
class FitRule:
    name: str
    match: FieldMatch
    points: int
    """Scored once when the field matches; fit points never decay."""


@dataclass(frozen=True)
class BehaviourRule:
    name: str
    event: str
    """The event type it counts (exact, as imported)."""
    points: int
    """Per matching event, or once for a threshold rule; may be negative."""
    max_times: int | None = None
    """A per-event rule counts at most this many events."""
    at_least: int | None = None
    """A threshold rule fires once when this many events fall in the window."""
    within_days: float | None = None
    """The threshold rule's window: the days up to now."""
    tier: int | None = None
    """1: firing makes the lead a tier-1 MQL whatever its score."""

    @property
    def is_threshold(self) -> bool:
        return self.at_least is not None


@dataclass(frozen=True)
class DecayStep:
    after_days: float
    """Days since the lead's latest event from which this multiplier applies."""
    multiplier: float
    """Multiplies the behaviour sum (0 to 1)."""


@dataclass(frozen=True)
class DisqualifyRule:
    name: str
    match: FieldMatch
    reason: str
    """Recorded with the move to ``disqualified``."""


@dataclass(frozen=True)
class Scoring:
    mql_threshold: int
    """A lead at or above this score becomes an MQL."""
    fit: tuple[FitRule, ...] = ()
    behaviour: tuple[BehaviourRule, ...] = ()
    decay: tuple[DecayStep, ...] = ()
    """Sorted by after_days."""
    disqualify: tuple[DisqualifyRule, ...] = ()


@dataclass(frozen=True)
class Tiers:
    tier2_min_score: int
    """An MQL at or above this score (without a tier-1 action) is tier 2; below, tier 3."""


@dataclass(frozen=True)
class FirstTouchSla:
    within: timedelta
    """Business time from assignment to the first touch."""
    outside_hours: timedelta | None = None
    """Wall-clock time instead, when the assignment falls outside working hours."""


@dataclass(frozen=True)
class Sla:
    route_within: timedelta
    """MQL to assigned, wall clock."""
    accept_within: timedelta
    """Assigned to accepted or rejected, business clock."""
    at_risk_fraction: float
    """At risk when less than this share of a window is left."""
    min_touches: int
    """Touches needed before a lead may be recycled as unreachable."""
    first_touch: Mapping[int, FirstTouchSla]
    """Per tier (1, 2, 3)."""


@dataclass(frozen=True)
class Escalation:
    reassign_after: timedelta
    """Business time after the breach before the lead is reassigned."""


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    to: str
    """``nurture`` or ``disqualified``."""
    recheck_after: timedelta | None = None
    """Wall-clock delay before a nurtured lead returns to ``lead``."""
    needs_touches: bool = False
    """Requires sla.min_touches touches since the lead became an MQL."""


@dataclass(frozen=True)
class Rep:
    handle: str
    name: str
    role: str = "rep"
    manager: str | None = None
    capacity: int | None = None
    """Round-robin skips the rep with this many open (mql or sal) leads."""
    timezone: str | None = None
    """The zone times are shown in for this rep (the calendar's when unset)."""

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"


@dataclass(frozen=True)
class GroupMatch:
    company_size_min: int | None = None
    company_size_max: int | None = None
    country: tuple[str, ...] | None = None
    industry: tuple[str, ...] | None = None
    source: tuple[str, ...] | None = None
    """Text lists are lower-cased; an empty match matches every lead."""


@dataclass(frozen=True)
class RoutingGroup:
    name: str
    members: tuple[str, ...]
    match: GroupMatch


@dataclass(frozen=True)
class Routing:
    personal_domains: frozenset[str] = frozenset()
    """Email domains that never form an account."""
    groups: tuple[RoutingGroup, ...] = ()


@dataclass(frozen=True)
class Config:
    app: AppSettings
    calendar: Calendar
    scoring: Scoring
    tiers: Tiers
    sla: Sla
    escalation: Escalation
    reasons: Mapping[str, Reason]
    reps: tuple[Rep, ...]
    routing: Routing
    path: Path | None = field(default=None, compare=False)
    """The file it was read from; relative paths in it are relative to its folder."""

    @cached_property
    def reps_by_handle(self) -> Mapping[str, Rep]:
        return {rep.handle: rep for rep in self.reps}

    def rep(self, handle: str) -> Rep | None:
        return self.reps_by_handle.get(handle)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path is not None else Path.cwd()
