"""Runtime team state: who is away, round-robin positions, account owners, assignments, touches."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from leadterm.engine.times import from_epoch, to_epoch
from leadterm.store.db import database, select_in
from leadterm.store.models import Assignment, RepState, Touch
from leadterm.store.records import AssignmentRecord, TouchRecord

__all__ = [
    "away_handles",
    "set_away",
    "cursors",
    "save_cursors",
    "account_owners",
    "claim_accounts",
    "merge_account",
    "accounts_of",
    "start_assignments",
    "end_assignment",
    "record_first_touch",
    "assignments_for",
    "add_touch",
    "touches_for",
    "touch_count_since",
]


def away_handles() -> set[str]:
    return {row[0] for row in database.obj.execute_sql("SELECT handle FROM rep_state WHERE away = 1")}


def set_away(handle: str, away: bool, now: datetime) -> bool:
    """Returns False when the rep was already in that state."""
    current = RepState.get_or_none(RepState.handle == handle)
    if current is not None and current.away == away:
        return False
    RepState.insert(handle=handle, away=away, changed_at=to_epoch(now)).on_conflict(
        conflict_target=[RepState.handle],
        update={RepState.away: away, RepState.changed_at: to_epoch(now)},
    ).execute()
    return True


def cursors() -> dict[str, str]:
    return dict(database.obj.execute_sql("SELECT name, last_handle FROM group_cursor").fetchall())


def save_cursors(values: dict[str, str]) -> None:
    database.obj.cursor().executemany(
        "INSERT INTO group_cursor (name, last_handle) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET last_handle = excluded.last_handle",
        list(values.items()),
    )


def account_owners(domains: Iterable[str]) -> dict[str, str]:
    """The owner of each of these domains that is an account with one."""
    return {domain: owner for domain, (_, owner) in accounts_of(domains).items() if owner is not None}


def claim_accounts(claims: Iterable[tuple[str, str]], now: datetime) -> None:
    """Make each (domain, rep) rep the domain's owner unless it has one already (the first
    claim of a domain wins)."""
    database.obj.cursor().executemany(
        "INSERT INTO account (domain, owner, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (domain) DO UPDATE SET owner = excluded.owner, updated_at = excluded.updated_at "
        "WHERE account.owner IS NULL",
        [(domain, rep, to_epoch(now)) for domain, rep in claims],
    )


def accounts_of(domains: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
    """(name, owner) of each of these domains that is an account."""
    return {domain: (name, owner) for domain, name, owner in select_in(
        "SELECT domain, name, owner FROM account WHERE domain IN ({marks})", sorted(set(domains))
    )}


def merge_account(domain: str, name: str | None, owner: str | None, now: int) -> tuple[str, list[str]]:
    """Add an account, or fill in its name and owner where given; returns ("inserted" |
    "updated" | "duplicate", the fields that changed)."""
    db = database.obj
    row = db.execute_sql("SELECT name, owner FROM account WHERE domain = ?", (domain,)).fetchone()
    if row is None:
        db.execute_sql("INSERT INTO account (domain, name, owner, updated_at) VALUES (?, ?, ?, ?)",
                       (domain, name, owner, now))
        return "inserted", []
    merged = (name if name is not None else row[0], owner if owner is not None else row[1])
    changed = [field for field, before, after in zip(("name", "owner"), row, merged) if before != after]
    if not changed:
        return "duplicate", []
    db.execute_sql("UPDATE account SET name = ?, owner = ?, updated_at = ? WHERE domain = ?", (*merged, now, domain))
    return "updated", changed


def start_assignments(rows: Iterable[tuple[int, str, str, str | None, int | None, datetime,
                                             datetime | None, datetime | None]]) -> None:
    """(lead id, rep, via, group, tier, assigned at, accept due, first touch due) rows."""
    database.obj.cursor().executemany(
        "INSERT INTO assignment (lead_id, rep, via, group_name, tier, assigned_at, accept_due, first_touch_due) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(lead_id, rep, via, group, tier, to_epoch(at), to_epoch(accept_due), to_epoch(first_touch_due))
         for lead_id, rep, via, group, tier, at, accept_due, first_touch_due in rows],
    )


def end_assignment(lead_id: int, at: datetime, reason: str) -> None:
    database.obj.execute_sql(
        "UPDATE assignment SET ended_at = ?, end_reason = ? WHERE lead_id = ? AND ended_at IS NULL",
        (to_epoch(at), reason, lead_id),
    )


def record_first_touch(lead_id: int, at: datetime) -> None:
    database.obj.execute_sql(
        "UPDATE assignment SET first_touch_at = ? WHERE lead_id = ? AND ended_at IS NULL AND first_touch_at IS NULL",
        (to_epoch(at), lead_id),
    )


def assignments_for(lead_id: int) -> list[AssignmentRecord]:
    query = Assignment.select().where(Assignment.lead == lead_id).order_by(Assignment.id)
    return [
        AssignmentRecord(
            row["id"], row["lead"], row["rep"], row["via"], row["group_name"], row["tier"],
            from_epoch(row["assigned_at"]), from_epoch(row["accept_due"]),  # type: ignore[arg-type]
            from_epoch(row["first_touch_due"]), from_epoch(row["first_touch_at"]),
            from_epoch(row["ended_at"]), row["end_reason"],
        )
        for row in query.dicts()
    ]


def add_touch(lead_id: int, rep: str, channel: str, outcome: str, note: str | None, at: datetime) -> int:
    return Touch.insert(
        lead=lead_id, rep=rep, channel=channel, outcome=outcome, note=note, at=to_epoch(at)
    ).execute()


def touches_for(lead_id: int) -> list[TouchRecord]:
    query = Touch.select().where(Touch.lead == lead_id).order_by(Touch.at, Touch.id)
    return [
        TouchRecord(row["id"], row["lead"], row["rep"], row["channel"], row["outcome"], row["note"],
                    from_epoch(row["at"]))  # type: ignore[arg-type]
        for row in query.dicts()
    ]


def touch_count_since(lead_id: int, since: datetime | None) -> int:
    query = Touch.select().where(Touch.lead == lead_id)
    if since is not None:
        query = query.where(Touch.at >= to_epoch(since))
    return query.count()
