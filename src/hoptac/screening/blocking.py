"""Blocking: which notice/record pairs are worth scoring.

Two names are candidates when two of their syllables sound alike pairwise: each syllable
gets a few sound keys (a character's pinyin and Sino-Vietnamese readings; a Latin or hangul
syllable's Korean spelling class, its folded letters, the pinyin of the characters it most
likely writes), and a name gets one key per pair of its syllables and per combination of
their sound keys, unordered, so that family/given order and script
do not matter: `Vương Kiện`, `王健`, `Wang Jian` and `Jian Wang` share `p:jian|p:wang`.
A one-syllable name keys on its syllable alone.

Keys are 64-bit integers made of two CRC-32s (the pair, smaller first), the same in every
process (Spark included); a collision only adds a candidate pair, never loses one.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from itertools import combinations

from hoptac.names import readings
from hoptac.names.fold import fold
from hoptac.names.match import korean_loose, prepare, sound
from hoptac.names.parse import HAN, HANGUL, korean_spellings

LIKELY_CHARACTERS = 6  # a Latin or hangul syllable's characters kept, commonest first
MAX_SYLLABLES = 4  # syllables of a name that make keys (the first ones)


def _pinyin(char: str) -> str | None:
    r = readings.of(char)
    return r.pinyin[0] if r is not None and r.pinyin else None


def _likely(chars: frozenset[str]) -> list[str]:
    def weight(c: str) -> tuple[int, str]:
        r = readings.of(c)
        return (-(r.weight if r else 0), c)

    return sorted(chars, key=weight)[:LIKELY_CHARACTERS]


@lru_cache(maxsize=1 << 16)
def syllable_sounds(text: str, script: str) -> frozenset[str]:
    """The sound keys of one syllable."""
    s = sound(text, script)
    keys: set[str] = set()
    if script == HAN:
        chars = (text, *sorted(s.chars - {text}))
        keys |= {f"p:{p}" for c in chars if (p := _pinyin(c))}
        # Its Sino-Vietnamese readings, as a Latin syllable keys its own letters: 阮 meets
        # Nguyễn even where 阮 is not among Nguyễn's likeliest characters.
        keys |= {f"p:{fold(v)}" for c in chars if (r := readings.of(c)) for v in r.vietnamese}
        keys |= {f"k:{k}" for k in s.loose}
    elif script == HANGUL:
        keys |= {f"k:{k}" for k in s.loose}
        keys |= {f"p:{p}" for c in _likely(s.chars) if (p := _pinyin(c))}
    else:
        folded = fold(text)
        keys.add(f"p:{folded}")  # its own letters (pinyin, or the same spelling elsewhere)
        if folded in korean_spellings():
            keys.add(f"k:{korean_loose(folded)}")
        keys |= {f"k:{k}" for k in s.loose}
        keys |= {f"p:{p}" for c in _likely(s.vi) if (p := _pinyin(c))}
    return frozenset(keys)


@lru_cache(maxsize=1 << 16)
def _codes(text: str, script: str) -> tuple[int, ...]:
    return tuple(sorted(zlib.crc32(k.encode()) for k in syllable_sounds(text, script)))


def _deletions(part: str) -> tuple[int, ...]:
    """A Latin part's spellings with one letter left out: a one-letter slip (Qieng for
    Qiang, Jineing for Jinping) leaves one of them unchanged (`qing`)."""
    return tuple(zlib.crc32(f"d:{part[:i]}{part[i + 1 :]}".encode()) for i in range(len(part)))


@lru_cache(maxsize=1 << 17)
def name_keys(name: str) -> frozenset[int]:
    """Blocking keys of one name (see the module docstring)."""
    parsed = prepare(name)
    syllables = parsed.syllables[:MAX_SYLLABLES]
    codes = [_codes(s.text, s.script) for s in syllables]
    if len(codes) == 1:
        return frozenset(codes[0])
    out: set[int] = set()
    for first, second in combinations(codes, 2):
        out.update((a << 32) | b if a <= b else (b << 32) | a for a in first for b in second)
    # Typos: each Latin part of four letters or more, with one letter left out, against
    # the sounds of the other parts' syllables.
    for index, part in enumerate(parsed.parts[:MAX_SYLLABLES]):
        if part[0].script in (HAN, HANGUL):
            continue
        letters = fold("".join(s.text for s in part)).replace(" ", "")
        if len(letters) < 4:
            continue
        others = [c for s, cs in zip(syllables, codes, strict=True) if s.part != index for c in cs]
        out.update(
            (a << 32) | b if a <= b else (b << 32) | a for a in _deletions(letters) for b in others
        )
    return frozenset(out)


def person_keys(names: tuple[str, ...]) -> frozenset[int]:
    """Keys of a person known by several names (aliases)."""
    return frozenset().union(*(name_keys(n) for n in names))
