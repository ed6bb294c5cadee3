"""Which code page a CSV file that is not UTF-8 was written in: Windows-1252 (Excel's "CSV" on
Windows) or Mac Roman (Excel for Mac's "Comma Separated Values").

The two agree on ASCII and on little above it. Mac Roman has its small accented letters at
0x80-0x9F, where Windows-1252 has punctuation (quotes, dashes, the ellipsis, the euro), a few
rare letters and five bytes it leaves undefined; Windows-1252 has its accented letters at
0xC0-0xFF, where Mac Roman has capitals, signs and its own quotes and dashes. Each byte from 0x80
on counts for one of them, or for neither:

- for Mac Roman: é ü ä ö å ç è à á ß and the like, which Windows-1252 reads as a rare letter
  (Ž Ÿ Š š Œ), leaves undefined, or reads as a sign seldom written (ˆ ‡ §);
- for Windows-1252: its letters at 0xC0-0xFF, but for the bytes where Mac Roman has punctuation
  that text carries (« » … no-break space, dashes, quotes, €), which count for neither;
- ñ ó ë ï ô ì î Ä Ö Ñ æ ø, which Windows-1252 reads as punctuation or a sign (– — ‘ • ™ “ ” €
  … „ ¾ ¿): a letter where a letter sits, between two letters (ASCII, or of the first kind),
  where no quote, dash or sign does; there they count for Mac Roman, elsewhere for
  Windows-1252 (so a letter that begins or ends a word, Özil, Zoë, counts for Windows-1252);
- for neither: 0x92, ’ or í, both between letters (O’Brien, García), and the signs at
  0xA0-0xBF.

Mac Roman when its count is the higher and at least one byte of the first kind, a letter only
Mac Roman explains, is there: Windows-1252 text whose only bytes from 0x80 on are dashes and
ellipses closed up between words ("approved—call", "now…maybe") is not read as Mac Roman's
ó and Ö. On a tie (nothing either way, or a file with both kinds of bytes in equal measure)
Windows-1252, since Windows Excel is the commoner source.

The bytes are counted by value, with one translate a MiB that keeps only those from 0x80 on;
the letters around the third kind are looked at (one translate and one count a MiB, read again)
only while those counts leave the answer open: a Windows-1252 file of smart quotes and dashes
and no accented letters, a Mac Roman file of Spanish names.
"""

from __future__ import annotations

from string import ascii_letters
from typing import BinaryIO

__all__ = ["windows_1252_or_mac_roman"]

_SCAN = 1 << 20
_ASCII = bytes(range(0x80))
#: Letters in Mac Roman; undefined, a rare letter or a sign seldom written in Windows-1252
#: (ß, 0xA7, is § there).
_MAC_ROMAN_LETTERS = bytes([0x81, 0x82, 0x83, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8B, 0x8C, 0x8D, 0x8E, 0x8F,
                            0x90, 0x98, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA7])
#: Letters in Mac Roman; punctuation or a sign in Windows-1252.
_LETTER_OR_PUNCTUATION = bytes([0x80, 0x84, 0x85, 0x91, 0x93, 0x94, 0x95, 0x96, 0x97, 0x99, 0xBE, 0xBF])
#: Punctuation in Mac Roman that text carries (« » … no-break space, dashes, quotes, €), and
#: Windows-1252's × and ÷: no letters at 0xC0-0xFF.
_MAC_ROMAN_PUNCTUATION = frozenset([0xC7, 0xC8, 0xC9, 0xCA, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD7, 0xDB, 0xF7])
_WINDOWS_1252_LETTERS = bytes(byte for byte in range(0xC0, 0x100) if byte not in _MAC_ROMAN_PUNCTUATION)


def _table(**kinds: bytes) -> bytes:
    """A translate table: each byte of a kind becomes that kind's letter, any other byte a dot."""
    table = bytearray(b"." * 256)
    for kind, members in kinds.items():
        for byte in members:
            table[byte] = ord(kind)
    return bytes(table)


_KINDS = _table(m=_MAC_ROMAN_LETTERS, w=_WINDOWS_1252_LETTERS, p=_LETTER_OR_PUNCTUATION)
_AROUND = _table(a=ascii_letters.encode() + _MAC_ROMAN_LETTERS, p=_LETTER_OR_PUNCTUATION)


def windows_1252_or_mac_roman(handle: BinaryIO) -> str:
    """"mac_roman" or "cp1252": how the bytes from the handle's position to its end were
    written (see the module's description)."""
    start = handle.tell()
    mac_roman = windows_1252 = 0
    either: list[int] = []  # the letter-or-punctuation bytes of each MiB
    while chunk := handle.read(_SCAN):
        if chunk.isascii():
            either.append(0)
            continue
        kinds = chunk.translate(_KINDS, _ASCII)  # the bytes from 0x80 on, each as its kind
        mac_roman += kinds.count(b"m")
        windows_1252 += kinds.count(b"w")
        either.append(kinds.count(b"p"))
    # Mac Roman's margin, between what it would be if none of the letter-or-punctuation bytes
    # were letters and if all were; each MiB of them looked at narrows it to the exact margin
    low = mac_roman - windows_1252 - sum(either)
    high = mac_roman - windows_1252 + sum(either)
    for index, count in enumerate(either):
        if low > 0 or high <= 0:
            break  # the rest cannot change the answer
        if count:
            handle.seek(start + index * _SCAN)
            letters = handle.read(_SCAN).translate(_AROUND).count(b"apa")
            low += 2 * letters
            high -= 2 * (count - letters)
    return "mac_roman" if low > 0 and mac_roman else "cp1252"
