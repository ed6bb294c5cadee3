"""Who a lead is: its email, normalised for matching (the original is kept for display)."""

from __future__ import annotations

import re
import unicodedata

from leadterm.engine.values import from_spreadsheet

__all__ = ["normalize_email", "normalize_emails", "address_as_written", "is_email", "EmailError", "lead_ref"]

# Unicode's Default_Ignorable_Code_Point set (DerivedCoreProperties.txt): zero-width, direction,
# soft-hyphen, filler, variation-selector and tag characters that ride along in copy-pasted
# addresses and show as nothing. None is ASCII (the plain paths never meet one), and neither NFC
# nor case-folding makes one.
_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
_INVISIBLE = dict.fromkeys((code for first, last in _IGNORABLE for code in range(first, last + 1)), None)
_SHAPE = re.compile(r"[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+\.[^@\s<>(),;:\"\[\].]{2,}")

# Many plain ASCII addresses, one per line, in what ``normalize_emails`` asks of them: none of
# the characters no address may hold but "@" (white space, <>(),;:"[]), each a C-level search of
# the whole column, then as many "@" as lines and every line the shape of one address
# (``_LINES``): so exactly one "@" on each, and the shape is left only the line break to refuse,
# which "." does in sre's fastest loops, where _SHAPE's sets cost a test of each set per
# character (the reader's regex work on 100,000 leads: 258 -> 119 M instructions, 2.0 -> 0.9 ms
# a 10,000). A test holds the column and the one-by-one reading to agree.
_REFUSED = "\t\x0b\x0c\r\x1c\x1d\x1e\x1f <>(),;:\"[]"
_LINE = r".+@.+\.[^.\n]{2,}"
_LINES = re.compile(f"(?:{_LINE}\n)*{_LINE}")


class EmailError(ValueError):
    """Not an email address."""


def normalize_email(raw: str | None) -> str:
    """Trimmed, NFC, case-folded, default-ignorable characters removed; raises EmailError if malformed."""
    if raw is None or not raw.strip():
        raise EmailError("missing email")
    address = address_as_written(raw)
    if address.isascii():  # nothing to compose, and lower() is casefold()
        cleaned = address.lower()
    else:
        cleaned = unicodedata.normalize("NFC", address).casefold()
    if not _SHAPE.fullmatch(cleaned) or ".." in cleaned:
        raise EmailError(f"malformed email {raw.strip()!r}")
    return cleaned


def address_as_written(raw: str) -> str:
    """The address in ``raw`` as written, its case kept (what a lead shows as its email):
    trimmed, without default-ignorable characters, a name around it ("Ada <Ada@Acme.com>") or a
    "mailto:" before it."""
    text = raw.strip() if raw.isascii() else raw.translate(_INVISIBLE).strip()
    if text.endswith(">") and "<" in text:
        text = text[text.rindex("<") + 1 : -1].strip()
    return text[7:] if text[:7].lower() == "mailto:" else text


def normalize_emails(column: list[str]) -> list[str] | None:
    """``normalize_email`` over a column of plain addresses (ASCII, no space, no quote mark
    leading, none malformed) in C-level passes; None when any is not one such (then each goes
    through ``normalize_email``). Such an address is its own clean text, and its normal form
    is itself lower-cased: the column itself when all are lower-case already."""
    joined = "\n".join(column)
    if not column or not joined.isascii() or "\n'" in "\n" + joined or ".." in joined:
        return None
    if any(char in joined for char in _REFUSED) or joined.count("@") != len(column) or not _LINES.fullmatch(joined):
        return None
    # no value holds a line break: each line holds an "@", and there are as many as values
    lowered = joined.lower()
    if lowered == joined:  # each written as stored already (most exports write them so)
        return column
    return lowered.split("\n")


def is_email(raw: str | None) -> bool:
    try:
        normalize_email(raw)
    except EmailError:
        return False
    return True


def lead_ref(text: str) -> int | str:
    """A LEAD argument: an id when it is all digits, else an email to normalise (one copied from
    an export's protected cell, ``'-ada@acme.com``, unprotected as an import reads it)."""
    stripped = text.strip()
    if stripped.isascii() and stripped.isdigit():
        number = int(stripped)
        if number > 2**63 - 1:
            raise EmailError(f"no lead has the id {stripped}")
        return number
    return normalize_email(from_spreadsheet(stripped))
