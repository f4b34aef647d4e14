"""Diacritic- and case-insensitive folding of Latin-script names.

`Nguyễn Hải Trung`, `NGUYEN HAI TRUNG` and `nguyen  hai trung` all fold to `nguyen hai trung`.
Vietnamese `đ`/`Đ` is a letter of its own, not `d` plus a mark, so NFD alone keeps it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "ø": "o", "ł": "l", "ß": "ss"})
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case, strip combining marks, collapse punctuation and spaces to one space."""
    if text.isascii():  # no marks, nothing special: the same steps, the no-ops left out
        return " ".join(_NON_WORD.sub(" ", text.lower()).split())
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = _NON_WORD.sub(" ", stripped.casefold().translate(_SPECIAL))
    return " ".join(cleaned.split())


def tokens(text: str) -> list[str]:
    return fold(text).split()


def search_key(text: str) -> str:
    """Folded tokens padded with spaces, so `LIKE '% hai%'` matches a token prefix."""
    return f" {fold(text)} "


# Vietnamese writes vowel quality (â ă ê ô ơ ư) and tone (à á ả ã ạ) as separate marks; the
# tone's position varies by habit (hoà / hòa), so compare letters and tone, not positions.
_TONES = {
    "\u0300": "grave",
    "\u0301": "acute",
    "\u0309": "hook",
    "\u0303": "tilde",
    "\u0323": "dot",
}


@lru_cache(maxsize=1 << 16)  # syllables repeat: a screening run meets few distinct ones
def vietnamese_key(syllable: str) -> tuple[str, str]:
    """(letters with their quality marks, tone): `Hòa` and `hoà` -> ('hoa', 'grave');
    `Hưng` -> ('hư' + 'ng', '') differs from `Hùng` -> ('hung', 'grave')."""
    decomposed = unicodedata.normalize("NFD", syllable.casefold())
    tone = "".join(_TONES[c] for c in decomposed if c in _TONES)
    letters = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    # `lý` and `lí` are one syllable in two spellings (see vietnamese_syllable_key).
    if _I_FOR_Y.match(letters):
        letters = letters[:-1] + "i"
    return letters, tone


_I_FOR_Y = re.compile(r"^(b|c|ch|d|g|gh|h|k|kh|l|m|n|ng|ngh|nh|p|ph|qu|r|s|t|th|tr|v|x)y$")


@lru_cache(maxsize=1 << 16)
def vietnamese_syllable_key(syllable: str) -> str:
    """Folded, with the final `y` of an open syllable written `i`: `Lý` and `Lí`, `Hy` and
    `Hi` are one syllable in two spellings (Vietnamese allows both)."""
    folded = fold(syllable)
    return folded[:-1] + "i" if _I_FOR_Y.match(folded) else folded
