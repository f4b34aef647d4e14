"""Which syllables can meet at all: every pair of a set of syllables whose
`match.syllable_score` may be above 0, found through indexes instead of by trying all pairs.

A screening meets millions of syllable pairs, most of which score 0 (`nguyen` and `an`).
Scoring the few thousand distinct syllables of a register against each other once, through
the ways a pair can score (below), costs far less than scoring every pair a batch meets;
any pair not listed then scores 0 (`batch` relies on it: a branch of `syllable_score` that
lets two syllables meet must have its index here, and the tests try every pair of a large
set of syllables against this one).

The ways, by script (`match._syllable_score`):
- Latin and Latin: the same letters (`vietnamese_syllable_key`), a Korean loose key in
  common, a character read one way by one and another way by the other (`_common_reading`:
  a Sino-Vietnamese reading of one is a pinyin or Korean reading of the other), or one
  letter apart.
- Latin and hangul: a loose key, or a character in common.
- A written character and anything: a character in common (hanzi, hangul), a loose key in
  common, or a Latin syllable that is one of its readings (`_han_reads`: pinyin, the
  Sino-Vietnamese letters with or without the tone).
- hangul and hangul: the same syllable, or the initial-sound rule (same vowel and final).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import numpy as np

from hoptac.names import readings
from hoptac.names.fold import fold, vietnamese_key, vietnamese_syllable_key
from hoptac.names.hangul import jamo
from hoptac.names.match import sound
from hoptac.names.parse import HAN, HANGUL, LATIN
from hoptac.parallel import gc_paused

Index = defaultdict[object, list[int]]


def _deletions(text: str) -> Iterable[str]:
    yield text
    for i in range(len(text)):
        yield text[:i] + text[i + 1 :]


def meeting_pairs(syllables: Sequence[tuple[str, str]]) -> set[tuple[int, int]]:
    """(i, j) with i <= j for every pair of `syllables` [(text, script)] that may score
    above 0 (a superset: a pair listed may still score 0; a pair not listed never does)."""
    codes = meeting_codes(syllables)
    return set(zip((codes >> 32).tolist(), (codes & 0xFFFFFFFF).tolist(), strict=True))


def meeting_codes(syllables: Sequence[tuple[str, str]]) -> np.ndarray:
    """`meeting_pairs` as sorted codes `(i << 32) | j`, each once: the pairs of each large
    index group made by numpy, not one by one."""
    with gc_paused():  # tens of thousands of sounds and index lists, no cycles
        return _meeting_codes(syllables)


def _meeting_codes(syllables: Sequence[tuple[str, str]]) -> np.ndarray:
    by: dict[str, Index] = {
        name: defaultdict(list)
        for name in (
            "letters",  # Latin: vietnamese_syllable_key of the folded text
            "loose",  # any script: Korean loose keys
            "py",  # Latin: characters its pinyin reads
            "ko",  # Latin: characters its Korean spelling reads
            "latin_chars",  # Latin: every character it may stand for
            "written",  # hanzi: the character and its variants
            "hangul_chars",  # hangul: the characters it reads
            "edit",  # Latin: the folded text and it with one letter left out
            "marked",  # Latin with Vietnamese marks: its letters (vietnamese_key)
            "plain",  # Latin without marks: its folded text
            "plain_letters",  # Latin without marks: vietnamese_syllable_key
            "vowel_final",  # hangul: (vowel, final) for the initial-sound rule
        )
    }
    sounds = [sound(text, script) for text, script in syllables]
    for i, ((text, script), s) in enumerate(zip(syllables, sounds, strict=True)):
        for key in s.loose:
            by["loose"][key].append(i)
        if script == HAN:
            for c in s.chars:
                by["written"][c].append(i)
        elif script == HANGUL:
            for c in s.chars:
                by["hangul_chars"][c].append(i)
            _, vowel, final = jamo(text)
            by["vowel_final"][(vowel, final)].append(i)
        else:
            folded = s.text
            by["letters"][vietnamese_syllable_key(folded)].append(i)
            for c in s.py:
                by["py"][c].append(i)
            for c in s.ko:
                by["ko"][c].append(i)
            for c in s.chars:
                by["latin_chars"][c].append(i)
            for d in set(_deletions(folded)):
                by["edit"][d].append(i)
            if text.lower() != folded:
                by["marked"][vietnamese_key(text)[0]].append(i)
            else:
                by["plain"][folded].append(i)
                by["plain_letters"][vietnamese_syllable_key(folded)].append(i)
    firsts: list[np.ndarray] = []  # pairs of large groups, as arrays
    seconds: list[np.ndarray] = []
    first: list[int] = []  # and the rest one by one
    second: list[int] = []

    def meet(i: int, others: Sequence[int]) -> None:
        second.extend(others)
        first.extend([i] * len(others))

    for group in ("letters", "loose", "written", "edit", "vowel_final"):
        for members in by[group].values():
            if len(members) > 16:  # every pair of the group (each meets itself below)
                a, b = np.triu_indices(len(members), 1)
                ids = np.array(members, dtype=np.int64)
                firsts.append(ids[a])
                seconds.append(ids[b])
            else:
                for k, i in enumerate(members[:-1]):
                    meet(i, members[k + 1 :])
    for i, ((_, script), s) in enumerate(zip(syllables, sounds, strict=True)):
        meet(i, [i])
        if script == LATIN:
            for c in s.vi:  # a Sino-Vietnamese reading against a pinyin or Korean one
                meet(i, by["py"].get(c, ()))
                meet(i, by["ko"].get(c, ()))
        elif script == HANGUL:
            for c in s.chars:
                meet(i, by["latin_chars"].get(c, ()))
                meet(i, by["written"].get(c, ()))
        else:
            for c in s.chars:
                meet(i, by["hangul_chars"].get(c, ()))
                r = readings.of(c)
                if r is None:
                    continue
                for p in r.pinyin:
                    meet(i, by["plain"].get(p, ()))
                for v in r.vietnamese:
                    meet(i, by["marked"].get(vietnamese_key(v)[0], ()))
                    meet(i, by["plain_letters"].get(vietnamese_syllable_key(fold(v)), ()))
    left = np.concatenate([*firsts, np.array(first, dtype=np.int64)])
    right = np.concatenate([*seconds, np.array(second, dtype=np.int64)])
    return np.unique((np.minimum(left, right) << 32) | np.maximum(left, right))
