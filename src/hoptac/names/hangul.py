"""Hangul syllables: decomposition and Revised Romanization (per syllable).

Unicode composes every modern hangul syllable as 0xAC00 + (initial * 21 + medial) * 28 +
final, so romanization needs no table beyond the jamo below. Names are romanized syllable
by syllable (박수관 -> Bak Su Gwan), without the sound changes of running text.
"""

from __future__ import annotations

_BASE, _LAST = 0xAC00, 0xD7A3
_INITIALS = (
    "g",
    "kk",
    "n",
    "d",
    "tt",
    "r",
    "m",
    "b",
    "pp",
    "s",
    "ss",
    "",
    "j",
    "jj",
    "ch",
    "k",
    "t",
    "p",
    "h",
)
_MEDIALS = (
    "a",
    "ae",
    "ya",
    "yae",
    "eo",
    "e",
    "yeo",
    "ye",
    "o",
    "wa",
    "wae",
    "oe",
    "yo",
    "u",
    "wo",
    "we",
    "wi",
    "yu",
    "eu",
    "ui",
    "i",
)
_FINALS = (
    "",
    "k",
    "k",
    "k",
    "n",
    "n",
    "n",
    "t",
    "l",
    "k",
    "m",
    "l",
    "l",
    "l",
    "p",
    "l",
    "m",
    "p",
    "p",
    "t",
    "t",
    "ng",
    "t",
    "t",
    "k",
    "t",
    "p",
    "t",
)


def is_syllable(char: str) -> bool:
    return len(char) == 1 and _BASE <= ord(char) <= _LAST


def jamo(char: str) -> tuple[int, int, int]:
    """(initial, medial, final) indexes of a hangul syllable."""
    if not is_syllable(char):
        raise ValueError(f"{char!r} is not a hangul syllable")
    offset = ord(char) - _BASE
    return offset // (21 * 28), (offset // 28) % 21, offset % 28


def romanize_syllable(char: str) -> str:
    """Revised Romanization of one syllable: 박 -> bak, 수 -> su, 관 -> gwan."""
    initial, medial, final = jamo(char)
    return _INITIALS[initial] + _MEDIALS[medial] + _FINALS[final]


def romanize(text: str) -> str:
    """Every hangul syllable romanized and separated by a space; other text kept."""
    out: list[str] = []
    for char in text:
        if is_syllable(char):
            out.append(" " + romanize_syllable(char) + " ")
        else:
            out.append(char)
    return " ".join("".join(out).split())
