"""A column of emails read at once (``normalize_emails``, the import's clean blocks) says what
reading them one by one (``normalize_email``) says, or hands the column back to that reading."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadterm.engine.identity import EmailError, normalize_email, normalize_emails


def one_by_one(column: list[str]) -> list[str] | None:
    """Every address normalised, or None when one is refused."""
    try:
        return [normalize_email(value) for value in column]
    except EmailError:
        return None


def agrees(column: list[str]) -> bool:
    """The column at once is the one-by-one reading, or declines (None) and leaves it to that."""
    at_once = normalize_emails(column)
    return at_once is None or at_once == one_by_one(column)


@pytest.mark.parametrize("code", range(128))
def test_each_ascii_character_anywhere_in_an_address_is_read_as_one_by_one(code: int) -> None:
    char = chr(code)
    for address in (f"a{char}b@acme.com", f"ab@ac{char}me.com", f"ab@acme.c{char}om", f"ab@acme.com{char}",
                    f"{char}ab@acme.com", f"ab{char}@acme.com", f"ab@{char}acme.com", f"ab@acme{char}.com"):
        column = ["first@acme.com", address, "last@acme.com"]
        assert agrees(column), address
        if one_by_one(column) is not None and address.strip() == address and not address.startswith("'"):
            # a plain address the column reading takes too (else it would only ever decline)
            assert normalize_emails(column) == one_by_one(column), address


@pytest.mark.parametrize("column", [
    ["a@b.co", "c@d.com"],
    ["a@b.co", "c@@d.com"],           # two "@" on one line ...
    ["a@b@c.com", "d.com"],           # ... and none on another: as many "@" as lines
    ["a@b.c", "d@e.com"],             # a one-letter last label
    ["a@b.com.", "d@e.com"],
    ["@b.com", "d@e.com"],
    ["a@.com", "d@e.com"],
    ["a@bcom", "d@e.com"],
    ["a@b.com\nc@d.com", "e@f.com"],  # a value holding a line break
    ["a@b.com\n", "e@f.com"],
    ["A@B.COM", "mailto:x@y.org"],
    # not ASCII: the one-by-one reading composes, case-folds and drops invisible characters
    ["Stra\u00dfe@acme.de", "a@b.com"],
    ["a\u200b@b.com", "c@d.com"],
    ["\uff21@b.com"],
    ["a@b.com\x85", "c@d.com"],
    ["a@b.com\u2028c@d.com"],
    ["e\u0301@b.com"],
])
def test_columns_that_try_the_shape_are_read_as_one_by_one(column: list[str]) -> None:
    assert agrees(column)


@pytest.mark.parametrize("column", [["a@b.co", "c@d.com"], ["A@B.COM"], ["a'@b.com", "x+y@sub.acme.io"]])
def test_plain_columns_are_read_at_once(column: list[str]) -> None:
    assert normalize_emails(column) == one_by_one(column) is not None


#: Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt), as README lists them.
DEFAULT_IGNORABLE = [(0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
                     (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
                     (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
                     (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF)]


@pytest.mark.parametrize("first,last", DEFAULT_IGNORABLE, ids=[f"U+{first:04X}" for first, _ in DEFAULT_IGNORABLE])
def test_every_default_ignorable_character_is_removed_on_either_reading(first: int, last: int) -> None:
    for code in {first, (first + last) // 2, last}:
        char = chr(code)
        for address in (f"{char}ada@acme.com", f"ada@acme.com{char}", f"ad{char}a@ac{char}me.com", f"{char}ADA@Acme.com{char}"):
            assert normalize_email(address) == "ada@acme.com", f"U+{code:04X} in {address!r}"
            assert normalize_emails([address, "bea@beta.io"]) is None  # not ASCII: left to the one-by-one reading
            assert agrees([address, "bea@beta.io"])


def test_characters_next_to_the_ignorable_ones_are_kept() -> None:
    for code in (0x00AC, 0x00AE, 0x034E, 0x0350, 0x061B, 0x061D, 0x2010, 0x2070, 0xFE10, 0xFFF9, 0x1BCA4, 0xE1000):
        assert normalize_email(f"a{chr(code)}b@acme.com") == f"a{chr(code)}b@acme.com", f"U+{code:04X}"


# mostly what an address holds, now and then one thing it may not: columns read at once too
PARTS = st.lists(st.sampled_from([*"abAB1-_+" * 12, *".'@\n \t\r\x0b\x1c\x1f\"<>:,;[]()\x7f\x85\u00df\u200b"]),
                 min_size=0, max_size=6).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.builds(lambda local, domain, tld: f"{local}@{domain}.{tld}", PARTS, PARTS, PARTS),
                min_size=1, max_size=6))
def test_any_column_of_address_like_values_is_read_as_one_by_one(column: list[str]) -> None:
    assert agrees(column)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.from_regex(r"[a-z0-9._+-]{1,8}@[a-z0-9-]{1,8}(\.[a-z0-9-]{1,5})*\.[a-z]{2,4}", fullmatch=True),
                min_size=1, max_size=8))
def test_a_column_of_plain_addresses_is_read_at_once(column: list[str]) -> None:
    if ".." in "\n".join(column) or one_by_one(column) is None:
        return  # not plain: the one-by-one reading's to refuse
    assert normalize_emails(column) == one_by_one(column)
