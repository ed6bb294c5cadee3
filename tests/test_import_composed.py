"""Accents written decomposed (NFD: "e" and a combining accent, as macOS tools and some exports
write them) are the same text as composed ones (NFC, as most tools write them): an import stores
text composed, and config.toml's values are read composed, so that a rule, a routing group, an
event's identity and a metric see one "Télécoms" however its accents came in."""

from __future__ import annotations

import sqlite3
import unicodedata
from typing import Any

import pytest

from conftest import MONDAY_9AM, Workspace, add_events, add_leads, demo_request
from test_import_hostile import counts, imp, lines, show, write

from leadterm.engine.identity import normalize_email
from leadterm.engine.values import is_composed


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


TELECOMS = "Télécoms"  # composed, as typed on most systems
assert nfd(TELECOMS) != TELECOMS
TEXT_FIELDS = ("first_name", "last_name", "company", "title", "industry", "country", "phone", "source", "form")


def test_text_of_latin_1_alone_is_composed() -> None:
    # is_composed's shortcut: no character below U+0100 composes with another or decomposes
    latin_1 = [chr(code) for code in range(256)]
    assert all(unicodedata.is_normalized("NFC", first + second) for first in latin_1 for second in latin_1)
    assert is_composed("".join(latin_1)) and is_composed("Société’s €") and not is_composed(nfd("Société"))
