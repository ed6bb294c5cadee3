"""Runtime team state: who is away, round-robin positions, account owners, assignments, touches."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from leadterm.engine.times import from_epoch, to_epoch
from leadterm.store.db import database
from leadterm.store.models import Account, Assignment, GroupCursor, RepState, Touch
from leadterm.store.records import AssignmentRecord, TouchRecord

__all__ = [
    "away_handles",
    "set_away",
    "cursors",
    "save_cursors",
    "account_owners",
    "set_account_owner",
    "start_assignment",
    "end_assignment",
    "record_first_touch",
    "assignments_for",
    "add_touch",
    "touches_for",
    "touch_count_since",
]


def away_handles() -> set[str]:
    return {row.handle for row in RepState.select(RepState.handle).where(RepState.away == True)}  # noqa: E712


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
    return {row.name: row.last_handle for row in GroupCursor.select()}


def save_cursors(values: dict[str, str]) -> None:
    database.obj.cursor().executemany(
        "INSERT INTO group_cursor (name, last_handle) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET last_handle = excluded.last_handle",
        list(values.items()),
    )


def account_owners(domains: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(domains))
    owners: dict[str, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = Account.select(Account.domain, Account.owner).where(
            Account.domain.in_(chunk) & Account.owner.is_null(False)
        )
        owners.update({row.domain: row.owner for row in query})
    return owners


def set_account_owner(domain: str, owner: str | None, now: datetime, name: str | None = None,
                      only_if_unowned: bool = False) -> None:
    update = {Account.updated_at: to_epoch(now)}
    if not only_if_unowned:
        update[Account.owner] = owner
        if name is not None:
            update[Account.name] = name
    query = Account.insert(domain=domain, name=name, owner=owner, updated_at=to_epoch(now))
    if only_if_unowned:
        query = query.on_conflict_ignore()
    else:
        query = query.on_conflict(conflict_target=[Account.domain], update=update)
    query.execute()


def start_assignment(
    lead_id: int, rep: str, via: str, group: str | None, tier: int | None, at: datetime,
    accept_due: datetime | None, first_touch_due: datetime | None,
) -> None:
    Assignment.insert(
        lead=lead_id, rep=rep, via=via, group_name=group, tier=tier, assigned_at=to_epoch(at),
        accept_due=to_epoch(accept_due), first_touch_due=to_epoch(first_touch_due),
    ).execute()


def end_assignment(lead_id: int, at: datetime, reason: str) -> None:
    Assignment.update(ended_at=to_epoch(at), end_reason=reason).where(
        (Assignment.lead == lead_id) & Assignment.ended_at.is_null()
    ).execute()


def record_first_touch(lead_id: int, at: datetime) -> None:
    Assignment.update(first_touch_at=to_epoch(at)).where(
        (Assignment.lead == lead_id) & Assignment.ended_at.is_null() & Assignment.first_touch_at.is_null()
    ).execute()


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
