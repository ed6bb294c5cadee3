"""Outside text on a screen or in a report: shown, never obeyed."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["visible"]

# C0 and C1 control characters and DEL, tab and line break excepted: a terminal would act on them
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(value: Any) -> str:
    """``value`` as text with control characters written as escapes (``\\x1b``)."""
    if value is None:
        return ""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", str(value))
