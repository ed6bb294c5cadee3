"""peewee models over the schema of store/schema.py. Times are epoch seconds (UTC)."""

from __future__ import annotations

from peewee import (
    BooleanField,
    CompositeKey,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from leadterm.store.db import database

__all__ = [
    "Meta",
    "Lead",
    "LeadScore",
    "EventType",
    "Event",
    "Touch",
    "Account",
    "RepState",
    "GroupCursor",
    "Assignment",
    "History",
    "Notification",
    "MODELS",
]


class _Base(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Meta(_Base):
    key = TextField(primary_key=True)
    value = TextField()


class Lead(_Base):
    email = TextField(unique=True)
    email_display = TextField()
    first_name = TextField(null=True)
    last_name = TextField(null=True)
    company = TextField(null=True)
    title = TextField(null=True)
    industry = TextField(null=True)
    company_size = IntegerField(null=True)
    country = TextField(null=True)
    phone = TextField(null=True)
    source = TextField(null=True)
    created_at = IntegerField(null=True)
    form = TextField(null=True)
    stage = TextField(default="lead")
    stage_reason = TextField(null=True)
    fit_points = IntegerField(default=0)
    disqualifier = TextField(null=True)
    tier = IntegerField(null=True)
    owner = TextField(null=True)
    routed_group = TextField(null=True)
    routed_via = TextField(null=True)
    mql_at = IntegerField(null=True)
    assigned_at = IntegerField(null=True)
    accepted_at = IntegerField(null=True)
    first_touch_at = IntegerField(null=True)
    route_due = IntegerField(null=True)
    accept_due = IntegerField(null=True)
    first_touch_due = IntegerField(null=True)
    due_at = IntegerField(null=True)
    escalation_level = IntegerField(default=0)
    escalate_at = IntegerField(null=True)
    unroutable_since = IntegerField(null=True)
    recheck_at = IntegerField(null=True)
    inserted_at = IntegerField()
    updated_at = IntegerField()


class LeadScore(_Base):
    lead = ForeignKeyField(Lead, column_name="lead_id", primary_key=True, backref="score_row")
    score = IntegerField(default=0)
    tier1_fired = BooleanField(default=False)
    due_at = IntegerField(null=True)


class EventType(_Base):
    name = TextField(unique=True)


class Event(_Base):
    lead = ForeignKeyField(Lead, column_name="lead_id", backref="events")
    type = ForeignKeyField(EventType, column_name="type_id")
    occurred_at = IntegerField()
    detail = TextField(default="")

    class Meta:
        primary_key = CompositeKey("lead", "type", "occurred_at", "detail")
        without_rowid = True


class Touch(_Base):
    lead = ForeignKeyField(Lead, column_name="lead_id", backref="touches")
    rep = TextField()
    channel = TextField()
    outcome = TextField()
    note = TextField(null=True)
    at = IntegerField()


class Account(_Base):
    domain = TextField(primary_key=True)
    name = TextField(null=True)
    owner = TextField(null=True)
    updated_at = IntegerField()


class RepState(_Base):
    handle = TextField(primary_key=True)
    away = BooleanField(default=False)
    changed_at = IntegerField()


class GroupCursor(_Base):
    name = TextField(primary_key=True)
    last_handle = TextField()


class Assignment(_Base):
    lead = ForeignKeyField(Lead, column_name="lead_id", backref="assignments")
    rep = TextField()
    via = TextField()
    group_name = TextField(null=True)
    tier = IntegerField(null=True)
    assigned_at = IntegerField()
    accept_due = IntegerField(null=True)
    first_touch_due = IntegerField(null=True)
    first_touch_at = IntegerField(null=True)
    ended_at = IntegerField(null=True)
    end_reason = TextField(null=True)


class History(_Base):
    lead = ForeignKeyField(Lead, column_name="lead_id", null=True, backref="history")
    at = IntegerField()
    actor = TextField()
    action = TextField()
    reason = TextField(null=True)
    level = IntegerField(null=True)
    detail = TextField(null=True)


class Notification(_Base):
    rep = TextField()
    lead = ForeignKeyField(Lead, column_name="lead_id", null=True)
    at = IntegerField()
    kind = TextField()
    message = TextField()
    read_at = IntegerField(null=True)


MODELS = (Meta, Lead, LeadScore, EventType, Event, Touch, Account, RepState, GroupCursor, Assignment, History, Notification)
