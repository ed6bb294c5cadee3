"""Stages and the moves between them (SPEC §1)."""

from __future__ import annotations

__all__ = [
    "LEAD",
    "MQL",
    "SAL",
    "SQL",
    "WON",
    "LOST",
    "NURTURE",
    "DISQUALIFIED",
    "STAGES",
    "OPEN_STAGES",
    "MOVES",
    "MoveRefused",
    "check_move",
]

LEAD, MQL, SAL, SQL, WON, LOST, NURTURE, DISQUALIFIED = (
    "lead",
    "mql",
    "sal",
    "sql",
    "won",
    "lost",
    "nurture",
    "disqualified",
)
STAGES = (LEAD, MQL, SAL, SQL, WON, LOST, NURTURE, DISQUALIFIED)
#: Stages a rep is working: they count against capacity and fill the queue.
OPEN_STAGES = (MQL, SAL)

#: Every allowed move; nobody may skip a stage. lead→disqualified is a disqualify rule's.
MOVES: dict[str, frozenset[str]] = {
    LEAD: frozenset({MQL, DISQUALIFIED}),
    MQL: frozenset({SAL, NURTURE, DISQUALIFIED}),
    SAL: frozenset({SQL, NURTURE, DISQUALIFIED}),
    SQL: frozenset({WON, LOST}),
    NURTURE: frozenset({LEAD}),
    WON: frozenset(),
    LOST: frozenset(),
    DISQUALIFIED: frozenset(),
}


class MoveRefused(Exception):
    """A move the lifecycle forbids."""


def check_move(current: str, target: str, action: str) -> None:
    """Raise MoveRefused unless ``current`` → ``target`` is an allowed move."""
    if target not in MOVES.get(current, ()):
        allowed_from = sorted(stage for stage, targets in MOVES.items() if target in targets)
        raise MoveRefused(
            f"cannot {action} a lead at stage {current!r}; {action} needs {' or '.join(allowed_from)}"
        )
