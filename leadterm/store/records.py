"""The plain objects the store hands out (never peewee rows)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadterm.engine.scoring import EventFact
from leadterm.engine.sla import ClockState
from leadterm.engine.times import from_epoch

__all__ = [
    "LeadRecord",
    "TouchRecord",
    "HistoryRecord",
    "NotificationRecord",
    "AssignmentRecord",
    "EventFact",
    "leads_from_rows",
    "TIME_COLUMNS",
]

#: Lead columns that hold instants.
TIME_COLUMNS = frozenset(
    {
        "created_at",
        "mql_at",
        "assigned_at",
        "accepted_at",
        "first_touch_at",
        "route_due",
        "accept_due",
        "first_touch_due",
        "due_at",
        "escalate_at",
        "unroutable_since",
        "recheck_at",
        "inserted_at",
        "updated_at",
    }
)


@dataclass(frozen=True)
class LeadRecord:
    id: int
    email: str
    email_display: str
    first_name: str | None
    last_name: str | None
    company: str | None
    title: str | None
    industry: str | None
    company_size: int | None
    country: str | None
    phone: str | None
    source: str | None
    created_at: datetime | None
    form: dict[str, str]
    stage: str
    stage_reason: str | None
    score: int
    fit_points: int
    tier1_fired: bool
    disqualifier: str | None
    score_due_at: int | None
    tier: int | None
    owner: str | None
    routed_group: str | None
    routed_via: str | None
    mql_at: datetime | None
    assigned_at: datetime | None
    accepted_at: datetime | None
    first_touch_at: datetime | None
    route_due: datetime | None
    accept_due: datetime | None
    first_touch_due: datetime | None
    due_at: datetime | None
    escalation_level: int
    escalate_at: datetime | None
    unroutable_since: datetime | None
    recheck_at: datetime | None
    inserted_at: datetime | None
    updated_at: datetime | None

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def who(self) -> str:
        """How a notification names the lead: its name, else its email."""
        return self.name or self.email_display

    def fields(self) -> dict[str, Any]:
        """The values scoring and routing rules test."""
        return {
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company": self.company,
            "title": self.title,
            "industry": self.industry,
            "company_size": self.company_size,
            "country": self.country,
            "phone": self.phone,
            "source": self.source,
            "form": self.form,
        }

    def clock_state(self) -> ClockState:
        return ClockState(
            stage=self.stage,
            tier=self.tier,
            owner=self.owner,
            mql_at=self.mql_at,
            assigned_at=self.assigned_at,
            first_touch_at=self.first_touch_at,
            route_due=self.route_due,
            accept_due=self.accept_due,
            first_touch_due=self.first_touch_due,
            escalation_level=self.escalation_level,
        )

    def but(self, **changes: Any) -> LeadRecord:
        """This lead with ``changes`` (what ``dataclasses.replace`` gives, without its
        ``__init__``: see ``leads_from_rows``)."""
        if not changes.keys() <= _LEAD_FIELDS:
            raise TypeError(f"LeadRecord has no field {sorted(changes.keys() - _LEAD_FIELDS)[0]!r}")
        record = _new(LeadRecord)
        record.__dict__.update(self.__dict__, **changes)
        return record


_LEAD_FIELDS = frozenset(LeadRecord.__dataclass_fields__)
_new = object.__new__


def leads_from_rows(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[LeadRecord]:
    """The records of ``rows``, whose columns are ``names``: every field of LeadRecord (times
    as epoch seconds, the form as JSON), in any order; checked once for all the rows.

    Each record is built as pickle and ``copy`` build one, its fields put in its ``__dict__``:
    the frozen dataclass's ``__init__`` sets its 39 fields one ``object.__setattr__`` at a time
    (measured: 10.8 µs a lead against under 1). The names are interned so that each row's dict
    is keyed by the same strings the class uses."""
    names = [sys.intern(name) for name in names]
    if len(names) != len(_LEAD_FIELDS) or set(names) != _LEAD_FIELDS:
        missing, extra = sorted(_LEAD_FIELDS - set(names)), sorted(set(names) - _LEAD_FIELDS)
        raise ValueError(f"lead rows: columns missing {missing}, not lead fields {extra}")
    times = [name for name in names if name in TIME_COLUMNS]
    records = []
    for row in rows:
        values = dict(zip(names, row))
        for name in times:
            if (seconds := values[name]) is not None:
                values[name] = from_epoch(seconds)
        form = values["form"]
        values["form"] = json.loads(form) if form else {}
        values["tier1_fired"] = bool(values["tier1_fired"])
        record = _new(LeadRecord)
        record.__dict__.update(values)
        records.append(record)
    return records


@dataclass(frozen=True)
class TouchRecord:
    id: int
    lead_id: int
    rep: str
    channel: str
    outcome: str
    note: str | None
    at: datetime


@dataclass(frozen=True)
class HistoryRecord:
    id: int
    lead_id: int | None
    at: datetime
    actor: str
    action: str
    reason: str | None
    level: int | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NotificationRecord:
    id: int
    rep: str
    lead_id: int | None
    at: datetime
    kind: str
    message: str
    read_at: datetime | None


@dataclass(frozen=True)
class AssignmentRecord:
    id: int
    lead_id: int
    rep: str
    via: str
    group_name: str | None
    tier: int | None
    assigned_at: datetime
    accept_due: datetime | None
    first_touch_due: datetime | None
    first_touch_at: datetime | None
    ended_at: datetime | None
    end_reason: str | None
