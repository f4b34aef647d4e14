"""Diacritic- and case-insensitive folding of Latin-script names.

`Nguyễn Hải Trung`, `NGUYEN HAI TRUNG` and `nguyen  hai trung` all fold to `nguyen hai trung`.
Vietnamese `đ`/`Đ` is a letter of its own, not `d` plus a mark, so NFD alone keeps it.
"""

from __future__ import annotations

import re
import unicodedata

_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "ø": "o", "ł": "l", "ß": "ss"})
_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case, strip combining marks, collapse punctuation and spaces to one space."""
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = _NON_WORD.sub(" ", stripped.casefold().translate(_SPECIAL))
    return " ".join(cleaned.split())


def tokens(text: str) -> list[str]:
    return fold(text).split()


def search_key(text: str) -> str:
    """Folded tokens padded with spaces, so `LIKE '% hai%'` matches a token prefix."""
    return f" {fold(text)} "
