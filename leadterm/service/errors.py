"""What front ends turn into exit codes: Refused → 1, Unfinished → 1, Invalid → 2; and a
database error something outside caused (``outside_failure``: the disk full, the database
locked too long or read-only) → 1."""

from __future__ import annotations

from leadterm.store import OPERATIONAL_ERRORS, outside_failure

__all__ = ["Refused", "Invalid", "Unfinished", "OPERATIONAL_ERRORS", "outside_failure"]


class Refused(Exception):
    """An action the rules refuse: wrong stage, not yours, unknown lead or rep (exit 1)."""


class Invalid(Exception):
    """Bad usage or input: a bad value, an invalid config or file (exit 2)."""


class Unfinished(Exception):
    """A command that could not finish for a reason outside it (a process of its killed, the disk
    full, the database locked too long): what it had committed is kept, the rest rolled back,
    and running it again finishes it (exit 1)."""
