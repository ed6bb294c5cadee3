"""Lead queries and updates (plain SQL: these run on every worker pass and every screen refresh)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from peewee import DatabaseError as PeeweeDatabaseError

from leadterm.engine.lifecycle import OPEN_STAGES
from leadterm.engine.times import to_epoch
from leadterm.store import scores
from leadterm.store.db import database, insert_columns as _insert_columns, select_in
from leadterm.store.records import LeadRecord, leads_from_rows

__all__ = [
    "get",
    "find",
    "update",
    "update_each",
    "update_many",
    "queue",
    "unrouted",
    "escalations_due",
    "rechecks_due",
    "make_mqls",
    "still_leads",
    "max_id",
    "ids_of",
    "data_of",
    "insert_columns",
    "email_ids",
    "any_email_starting",
    "every_fields",
    "form_keys",
    "export_rows",
    "create_bare",
    "open_counts",
]


#: The open stages as an SQL list of literals, as the partial index lead_open names them.
_OPEN = "(" + ", ".join(f"'{stage}'" for stage in OPEN_STAGES) + ")"
assert _OPEN == "('mql', 'sal')", "the schema's lead_open index names these stages"

#: A lead row with its score columns; queries add WHERE / ORDER BY.
SELECT_LEAD = (
    "SELECT lead.*, lead_score.score, lead_score.tier1_fired, lead_score.due_at AS score_due_at "
    "FROM lead JOIN lead_score ON lead_score.lead_id = lead.id"
)


def _records(sql: str, params: Sequence[Any] = ()) -> list[LeadRecord]:
    cursor = database.obj.execute_sql(sql, params)
    return leads_from_rows([column[0] for column in cursor.description], cursor)


def get(lead_id: int) -> LeadRecord | None:
    rows = _records(f"{SELECT_LEAD} WHERE lead.id = ?", (lead_id,))
    return rows[0] if rows else None


def find(ref: int | str) -> LeadRecord | None:
    """By id (an int) or normalised email (a str)."""
    if isinstance(ref, int):
        return get(ref)
    rows = _records(f"{SELECT_LEAD} WHERE lead.email = ?", (ref,))
    return rows[0] if rows else None


@lru_cache(maxsize=256)
def _update_sql(columns: tuple[str, ...]) -> str:
    return f"UPDATE lead SET {', '.join(f'{name} = ?' for name in columns)} WHERE id = ?"


def update(lead_id: int, changes: Mapping[str, Any], now: datetime) -> None:
    update_each(tuple(changes), [(*changes.values(), lead_id)], now)


def update_each(columns: Sequence[str], rows: Iterable[Sequence[Any]], now: datetime) -> None:
    """``update`` of many leads: each row the values of ``columns`` (times as datetimes) and then
    its lead's id, all at ``now``, in one executemany."""
    stamp = to_epoch(now)
    update_many((*columns, "updated_at"), [
        (*(to_epoch(value) if isinstance(value, datetime) else value for value in row[:-1]), stamp, row[-1])
        for row in rows])


def update_many(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """One executemany of ``UPDATE lead SET c1 = ?, ... WHERE id = ?``; rows end with the id."""
    database.obj.cursor().executemany(_update_sql(tuple(columns)), rows)


def make_mqls(rows: Iterable[tuple[int, int, int, int, int, int]]) -> None:
    """(tier, mql_at, route_due, due_at, now, id) rows: each lead starts a new MQL cycle, keeping
    nothing of a previous assignment."""
    database.obj.cursor().executemany(
        "UPDATE lead SET stage = 'mql', tier = ?, mql_at = ?, route_due = ?, due_at = ?, "
        "owner = NULL, routed_group = NULL, routed_via = NULL, assigned_at = NULL, accepted_at = NULL, "
        "first_touch_at = NULL, accept_due = NULL, first_touch_due = NULL, escalation_level = 0, "
        "escalate_at = NULL, stage_reason = NULL, unroutable_since = NULL, updated_at = ? WHERE id = ?",
        rows,
    )


def queue(owner: str | None) -> list[LeadRecord]:
    """Open leads in queue order: tier ascending, then deadline ascending (none last).

    ``owner=None`` gives every open lead, unassigned MQLs included.
    """
    # the stages as literals, so that SQLite can use the partial index lead_open
    where = f"lead.stage IN {_OPEN}" + (" AND lead.owner = ?" if owner is not None else "")
    return _records(
        f"{SELECT_LEAD} WHERE {where} ORDER BY COALESCE(tier, 9), lead.due_at IS NULL, lead.due_at, lead.id",
        [] if owner is None else [owner],
    )


def unrouted(include_tried: bool) -> list[LeadRecord]:
    """MQLs nobody owns, oldest first (mql_at, then id); ``include_tried`` adds those a pass
    already found unroutable."""
    tried = "" if include_tried else " AND unroutable_since IS NULL"
    # literals, so SQLite can use the partial indexes lead_unrouted and lead_unrouted_untried
    return _records(f"{SELECT_LEAD} WHERE stage = 'mql' AND owner IS NULL{tried} ORDER BY mql_at, lead.id")


def escalations_due(now: datetime) -> list[LeadRecord]:
    return _records(
        f"{SELECT_LEAD} WHERE escalate_at <= ? ORDER BY escalate_at, lead.id", (to_epoch(now),)
    )


def rechecks_due(now: datetime) -> list[LeadRecord]:
    return _records(
        f"{SELECT_LEAD} WHERE recheck_at <= ? AND stage = 'nurture' ORDER BY recheck_at, lead.id",
        (to_epoch(now),),
    )


def still_leads(lead_ids: Sequence[int]) -> dict[int, str | None]:
    """Of these leads, those at stage ``lead``, with the disqualify rule each matches."""
    return dict(select_in("SELECT id, disqualifier FROM lead WHERE stage = 'lead' AND id IN ({marks})", lead_ids))


def ids_of(emails: Sequence[str]) -> list[tuple[str, int]]:
    """(email, id) of those of ``emails`` (normalised) that a lead has."""
    return list(select_in("SELECT email, id FROM lead WHERE email IN ({marks})", emails))


def data_of(emails: Sequence[str], columns: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``columns`` (which must include email) of the leads that have these emails, by email;
    form answers decoded."""
    found: dict[str, dict[str, Any]] = {}
    for row in select_in(f"SELECT {', '.join(columns)} FROM lead WHERE email IN ({{marks}})", emails):
        lead = dict(zip(columns, row))
        if "form" in lead:
            lead["form"] = json.loads(lead["form"]) if lead["form"] else {}
        found[lead["email"]] = lead
    return found


def create_bare(leads: Sequence[tuple[str, str, int, str | None]], now: int) -> int:
    """Create leads that are nothing but an email: (email normalised, as written, fit points,
    disqualify rule) each; returns how many were new."""
    if not leads:
        return 0
    last = max_id()
    database.obj.cursor().executemany(
        "INSERT OR IGNORE INTO lead (email, email_display, fit_points, disqualifier, inserted_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(email, shown, fit, disqualifier, now, now) for email, shown, fit, disqualifier in leads],
    )
    scores.add_new_leads(last)
    return database.obj.execute_sql("SELECT COUNT(*) FROM lead WHERE id > ?", (last,)).fetchone()[0]


def insert_columns(columns: Sequence[str], values: Sequence[Sequence[Any]]) -> bool:
    """Insert leads given column by column (``values[i]`` holds column ``columns[i]`` of each),
    with their score rows, due at once; or, when one of their emails is a lead's already (or
    comes twice), insert none and return False."""
    last = max_id()
    try:
        with database.obj.atomic():  # a savepoint: a refused statement takes the ones before back too
            _insert_columns("lead", columns, values)
    except sqlite3.IntegrityError as error:
        if str(error) != "UNIQUE constraint failed: lead.email":
            raise
        return False
    scores.add_new_leads(last)
    return True


def email_ids() -> dict[str, int]:
    """Every lead's id by its (normalised) email."""
    return dict(database.obj.execute_sql("SELECT email, id FROM lead").fetchall())


def any_email_starting(prefix: str) -> bool:
    """Whether some lead's (normalised) email begins with ``prefix`` (one seek of the email index)."""
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return bool(database.obj.execute_sql("SELECT EXISTS (SELECT 1 FROM lead WHERE email >= ? AND email < ?)",
                                         (prefix, end)).fetchone()[0])


def every_fields(columns: Sequence[str]) -> list[tuple[Any, ...]]:
    """(id, *columns) of every lead."""
    return database.obj.execute_sql(f"SELECT id, {', '.join(columns)} FROM lead").fetchall()


def form_keys() -> list[str]:
    """Every form-answer name, in the order leads first brought them: by SQLite's JSON functions
    where they serve (a million leads' forms in a fraction of the 1.3 s of decoding each one in
    Python), each key placed by the first lead that has it and its place in that lead's form.
    Python decodes them where SQLite would not give the same: a key holding a NUL (json_each
    cuts it there), a lead id of 2**31 or more (the order's arithmetic would leave 64 bits), or
    a SQLite without JSON."""
    db = database.obj
    try:
        if (max_id() < 2**31 and db.execute_sql("SELECT NOT EXISTS (SELECT 1 FROM lead WHERE instr(form, ?))",
                                                 ("\\u0000",)).fetchone()[0]):
            return [key for (key,) in db.execute_sql(
                "SELECT j.key FROM lead, json_each(lead.form) AS j WHERE lead.form IS NOT NULL "
                "GROUP BY j.key ORDER BY MIN(lead.id * 4294967296 + j.id)"
            )]
    except PeeweeDatabaseError:  # a SQLite built without JSON
        pass
    keys: dict[str, None] = {}
    for (form,) in db.execute_sql("SELECT form FROM lead WHERE form IS NOT NULL ORDER BY id"):
        keys.update(dict.fromkeys(json.loads(form)))
    return list(keys)


def export_rows(expressions: Sequence[str], size: int = 5_000) -> Iterator[list[tuple[Any, ...]]]:
    """``expressions`` (over lead and lead_score) of every lead, by id, ``size`` rows at a time."""
    cursor = database.obj.execute_sql(
        f"SELECT {', '.join(expressions)} FROM lead JOIN lead_score ON lead_score.lead_id = lead.id ORDER BY lead.id"
    )
    while rows := cursor.fetchmany(size):
        yield rows


def max_id() -> int:
    return database.obj.execute_sql("SELECT COALESCE(MAX(id), 0) FROM lead").fetchone()[0]


def open_counts() -> dict[str, int]:
    """Open (mql or sal) leads per owner."""
    cursor = database.obj.execute_sql(
        f"SELECT owner, COUNT(*) FROM lead WHERE stage IN {_OPEN} AND owner IS NOT NULL GROUP BY owner"
    )
    return dict(cursor.fetchall())
