"""The CJK reading table (built by `hoptac.names.build`, shipped in data/readings.tsv.gz).

For each character: Mandarin readings (toneless pinyin), Sino-Vietnamese readings, Korean
(hangul) readings, simplified/traditional variants and a frequency weight; and reverse
indexes from a folded Vietnamese syllable, a pinyin syllable or a hangul syllable to the
characters that read so. Loaded once, on first use.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from hoptac.names.fold import vietnamese_syllable_key


@dataclass(frozen=True, slots=True)
class Readings:
    char: str
    pinyin: tuple[str, ...]  # likeliest first
    vietnamese: tuple[str, ...]  # with diacritics, NFC, lower case
    korean: tuple[str, ...]  # hangul syllables
    variants: tuple[str, ...]  # simplified/traditional counterparts
    weight: int  # kHanyuPinlu count (0 when unknown)


@dataclass(frozen=True)
class Table:
    by_char: dict[str, Readings]
    by_pinyin: dict[str, frozenset[str]]
    by_vietnamese: dict[str, frozenset[str]]  # key: vietnamese_syllable_key (folded, y->i)
    by_korean: dict[str, frozenset[str]]


def _split(field: str) -> tuple[str, ...]:
    return tuple(x for x in field.split(",") if x)


@cache
def table() -> Table:
    by_char: dict[str, Readings] = {}
    by_pinyin: dict[str, set[str]] = {}
    by_vi: dict[str, set[str]] = {}
    by_ko: dict[str, set[str]] = {}
    raw = files("hoptac.names").joinpath("data/readings.tsv.gz").read_bytes()
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        if line.startswith("#"):
            continue
        char, pinyin, vi, ko, variants, weight = line.split("\t")
        r = Readings(char, _split(pinyin), _split(vi), _split(ko), tuple(variants), int(weight))
        by_char[char] = r
        for p in r.pinyin:
            by_pinyin.setdefault(p, set()).add(char)
        for v in r.vietnamese:
            by_vi.setdefault(vietnamese_syllable_key(v), set()).add(char)
        for k in r.korean:
            by_ko.setdefault(k, set()).add(char)
    return Table(
        by_char,
        {k: frozenset(v) for k, v in by_pinyin.items()},
        {k: frozenset(v) for k, v in by_vi.items()},
        {k: frozenset(v) for k, v in by_ko.items()},
    )


def of(char: str) -> Readings | None:
    return table().by_char.get(char)


def chars_for_pinyin(syllable: str) -> frozenset[str]:
    return table().by_pinyin.get(syllable.lower().replace("ü", "v"), frozenset())


def chars_for_vietnamese(syllable: str) -> frozenset[str]:
    """Characters read so in Sino-Vietnamese; diacritics and case are ignored."""
    return table().by_vietnamese.get(vietnamese_syllable_key(syllable), frozenset())


def chars_for_korean(syllable: str) -> frozenset[str]:
    return table().by_korean.get(syllable, frozenset())
