"""Windows-1252 or Mac Roman: the count that stops early gives the answer of the whole count.

The import tests (test_import_hostile.py) hold the heuristic to real names and punctuation;
this one holds its shortcut (the letters around the letter-or-punctuation bytes are looked at
only while the counts leave the answer open) to counting everything.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadterm.service import codepage

# ASCII letters and not, and bytes of every kind: Mac Roman letters, Windows-1252 letters, letter
# or punctuation, neither
BYTES = st.lists(st.sampled_from(b"aZ ,\n" + bytes([0x8E, 0x9F, 0x81, 0xE9, 0xFC, 0xD2, 0x96, 0x97, 0x80, 0xBF, 0x92, 0xA9])),
                 max_size=200).map(bytes)


def _whole_count(data: bytes, scan: int) -> str:
    margin = mac_roman_letters = 0
    for start in range(0, len(data), scan):
        chunk = data[start:start + scan]
        kinds = chunk.translate(codepage._KINDS, codepage._ASCII)
        letters = chunk.translate(codepage._AROUND).count(b"apa")
        margin += kinds.count(b"m") - kinds.count(b"w") + 2 * letters - kinds.count(b"p")
        mac_roman_letters += kinds.count(b"m")
    return "mac_roman" if margin > 0 and mac_roman_letters else "cp1252"


@given(BYTES, st.integers(min_value=3, max_value=40), st.integers(min_value=0, max_value=3))
def test_stopping_early_gives_the_answer_of_counting_everything(data: bytes, scan: int, skip: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(codepage, "_SCAN", scan)
        handle = io.BytesIO(b"\xef\xbb\xbf"[:skip] + data)
        handle.seek(skip)  # past a BOM, as the reader calls it
        assert codepage.windows_1252_or_mac_roman(handle) == _whole_count(data, scan)
