"""What front ends turn into exit codes: Refused → 1, Invalid → 2."""

from __future__ import annotations

__all__ = ["Refused", "Invalid"]


class Refused(Exception):
    """An action the rules refuse: wrong stage, not yours, unknown lead or rep (exit 1)."""


class Invalid(Exception):
    """Bad usage or input: a bad value, an invalid config or file (exit 2)."""
