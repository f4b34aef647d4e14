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
from collections.abc import Sequence
from functools import lru_cache
from itertools import combinations, pairwise
from typing import Any

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


@lru_cache(maxsize=1 << 16)
def _deletions(part: str) -> tuple[int, ...]:
    """A Latin part's spellings with one letter left out: a one-letter slip (Qieng for
    Qiang, Jineing for Jinping) leaves one of them unchanged (`qing`)."""
    return tuple(zlib.crc32(f"d:{part[:i]}{part[i + 1 :]}".encode()) for i in range(len(part)))


@lru_cache(maxsize=1 << 20)
def _pair_keys(first: tuple[int, ...], second: tuple[int, ...]) -> frozenset[int]:
    """Every unordered pair of a code of `first` and a code of `second`, as one key."""
    return frozenset((a << 32) | b if a <= b else (b << 32) | a for a in first for b in second)


@lru_cache(maxsize=1 << 16)
def _part_letters(texts: tuple[str, ...]) -> str:
    return fold("".join(texts)).replace(" ", "")


def _name_keys(name: str) -> frozenset[int]:
    parsed = prepare(name)
    syllables = parsed.syllables[:MAX_SYLLABLES]
    codes = [_codes(s.text, s.script) for s in syllables]
    if len(codes) == 1:
        return frozenset(codes[0])
    sets = [_pair_keys(first, second) for first, second in combinations(codes, 2)]
    # Typos: each Latin part of four letters or more, with one letter left out, against
    # the sounds of the other parts' syllables.
    for index, part in enumerate(parsed.parts[:MAX_SYLLABLES]):
        if part[0].script in (HAN, HANGUL):
            continue
        letters = _part_letters(tuple(s.text for s in part))
        if len(letters) < 4:
            continue
        deleted = _deletions(letters)
        sets += [
            _pair_keys(deleted, cs)
            for s, cs in zip(syllables, codes, strict=True)
            if s.part != index
        ]
    return frozenset().union(*sets)


@lru_cache(maxsize=1 << 17)
def name_keys(name: str) -> frozenset[int]:
    """Blocking keys of one name (see the module docstring)."""
    return _name_keys(name)


def person_keys(names: tuple[str, ...]) -> frozenset[int]:
    """Keys of a person known by several names (aliases)."""
    return frozenset().union(*(name_keys(n) for n in names))


def _keys_of_names(names: list[str]) -> tuple[list[int], list[int]]:
    """Flat keys of each name and how many each has (uncached: every name is new here)."""
    keys: list[int] = []
    counts: list[int] = []
    compute = _name_keys
    for name in names:
        mine = compute(name)
        keys.extend(mine)
        counts.append(len(mine))
    return keys, counts


def _keys_part(names: list[str]) -> tuple[bytes, bytes]:
    import numpy as np

    keys, counts = _keys_of_names(names)
    return np.array(keys, dtype=np.uint64).tobytes(), np.array(counts, dtype=np.int64).tobytes()


def keys_of_people(people: Sequence[tuple[str, ...]], workers: int = 1) -> tuple[Any, Any]:
    """Every person's keys as two arrays (key, person), each person's keys once, computed
    once per distinct name (in `workers` forked processes for many names): the same keys as
    `person_keys`."""
    import numpy as np

    name_of: dict[str, int] = {}
    distinct: list[str] = []
    for names in people:
        for name in names:
            if name not in name_of:
                name_of[name] = len(distinct)
                distinct.append(name)
    if workers > 1 and len(distinct) > 20_000:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # warm the shared memos (readings, syllable sounds) before forking
        _keys_of_names(distinct[:2000])
        edges = np.linspace(0, len(distinct), workers * 4 + 1).astype(int).tolist()
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            parts = list(pool.map(_keys_part, [distinct[a:b] for a, b in pairwise(edges)]))
        flat = np.concatenate([np.frombuffer(k, dtype=np.uint64) for k, _ in parts])
        counts = np.concatenate([np.frombuffer(c, dtype=np.int64) for _, c in parts])
    else:
        k, c = _keys_of_names(distinct)
        flat, counts = np.array(k, dtype=np.uint64), np.array(c, dtype=np.int64)
    starts = np.r_[0, np.cumsum(counts)]
    # person -> its names' key spans
    owner_names = [(p, name_of[n]) for p, names in enumerate(people) for n in names]
    owners = np.array([p for p, _ in owner_names], dtype=np.int64)
    which = np.array([n for _, n in owner_names], dtype=np.int64)
    lengths = counts[which]
    total = int(lengths.sum())
    first = np.repeat(starts[which] - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    keys = flat[first + np.arange(total)]
    person = np.repeat(owners, lengths)
    if any(len(names) > 1 for names in people):  # aliases may share keys: keep each once
        both = np.unique(np.stack([person.astype(np.uint64), keys]), axis=1)
        person, keys = both[0].astype(np.int64), both[1]
    return keys, person
