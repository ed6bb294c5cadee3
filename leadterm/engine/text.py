"""Outside text on a screen or in a report: shown, never obeyed."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["visible", "visible_json"]

# Unicode's bidirectional controls (marks, embeddings, overrides, isolates): a terminal that lays
# out bidirectional text reorders what follows one, so that a name or an email would show as
# something it is not (as "Trojan Source" does to code)
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
# and C0 and C1 control characters and DEL, tab and line break excepted: a terminal acts on them
_OBEYED = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")
# what json.dumps leaves raw of those (it escapes C0 controls itself)
_OBEYED_IN_JSON = re.compile(f"[\x7f-\x9f{_BIDI}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(value: Any) -> str:
    """``value`` as text with control characters written as escapes (``\\x1b``, ``\\u202e``)."""
    if value is None:
        return ""
    return _OBEYED.sub(_escape, str(value))


def visible_json(text: str) -> str:
    """JSON text as ``json.dumps`` writes it with each control character it leaves raw (DEL, C1,
    bidirectional) written as a ``\\uXXXX`` escape: the same data, nothing a terminal obeys."""
    return _OBEYED_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
