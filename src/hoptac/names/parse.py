"""Split a person's name into parts and syllables, script by script.

`Thiếu tướng Mai Hoàng` -> [Mai] [Hoàng]; `XI Jinping` -> [XI] [Jin ping];
`習近平` -> [習] [近 平]; `박수관` -> [박] [수 관]; `Park Soo-kwan` -> [Park] [Soo kwan];
`NGUYEN, Hai Trung` -> [NGUYEN] [Hai] [Trung]. Family names come first in every part list
the parser can tell (comma form, one upper-cased part); otherwise the written order is
kept and the matcher tries the rotations.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib.resources import files
from typing import NamedTuple

from hoptac.names import readings
from hoptac.names.fold import fold
from hoptac.names.hangul import is_syllable, romanize_syllable
from hoptac.types import RANKS

HAN, HANGUL, LATIN = "han", "hangul", "latin"

# Leading words that are not names (folded). Ranks come from the shared vocabulary.
_TITLES = (
    {fold(vi) for vi, _ in RANKS}
    | {fold(en) for _, en in RANKS}
    | {
        "dong chi",
        "ong",
        "ba",
        "ngai",
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "sir",
        "general",
        "gen",
        "col",
        "lt",
        "maj",
        "capt",
        "comrade",
        "ambassador",
        # offices written before a name
        "chu tich",
        "tong bi thu",
        "thu tuong",
        "bo truong",
        "thu truong",
        "giam doc",
        "pho giam doc",
        "dai su",
        "president",
        "premier",
        "chairman",
        "minister",
        "prime minister",
        "general secretary",
        "secretary general",
    }
)
# Longer input is not a person's name: bound the work (alignment tries part rotations).
MAX_PARTS, MAX_SYLLABLES = 8, 6
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), " ")
_SUFFIXES = ("先生", "女士", "同志", "씨", "님")


class Syllable(NamedTuple):
    text: str  # as written (NFKC)
    script: str  # han | hangul | latin
    part: int  # index of the part it belongs to


@dataclass(frozen=True)
class ParsedName:
    parts: tuple[tuple[Syllable, ...], ...]
    family_known: bool  # True when the first part is known to be the family name

    @cached_property
    def syllables(self) -> tuple[Syllable, ...]:
        return tuple(s for part in self.parts for s in part)

    def joined(self) -> ParsedName:
        """Latin parts as written, uncut (`Jinping` stays one): a typo can spoil the cut
        (`Jineing`), so the matcher also compares whole parts."""
        parts = tuple(
            (Syllable("".join(s.text for s in part), LATIN, i),)
            if len(part) > 1 and all(s.script == LATIN for s in part)
            else part
            for i, part in enumerate(self.parts)
        )
        return ParsedName(parts, self.family_known)


@lru_cache(maxsize=1 << 14)
def script_of(char: str) -> str | None:
    if is_syllable(char):
        return HANGUL
    if "CJK" in unicodedata.name(char, "") and unicodedata.category(char) == "Lo":
        return HAN
    if char.isalpha():
        return LATIN
    return None


@cache
def _korean_surnames() -> dict[str, frozenset[str]]:
    """Hangul surname -> its spellings (RR and common variants), from data/korean_surnames.tsv."""
    out: dict[str, frozenset[str]] = {}
    text = files("hoptac.names").joinpath("data/korean_surnames.tsv").read_text("utf-8")
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        hangul, rr, *rest = line.split("\t")
        out[hangul] = frozenset([rr, *(rest[0].split() if rest else [])])
    return out


def korean_surname_spellings() -> dict[str, frozenset[str]]:
    return _korean_surnames()


def korean_surnames_spelled(spelling: str) -> frozenset[str]:
    """Hangul surnames a Latin spelling stands for: `park` -> {박}, `lee` -> {이}."""
    return _surnames_by_spelling().get(spelling, frozenset())


@cache
def _surnames_by_spelling() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for hangul, spellings in _korean_surnames().items():
        for s in spellings:
            index.setdefault(s, set()).add(hangul)
    return {k: frozenset(v) for k, v in index.items()}


@cache
def _revised_romanizations() -> frozenset[str]:
    """Revised Romanization of every hangul syllable (11,172)."""
    return frozenset(romanize_syllable(chr(c)) for c in range(0xAC00, 0xD7A4))


@cache
def _korean_romanized() -> frozenset[str]:
    """Revised Romanization, surname spellings and the common passport spellings (Soo,
    Hee, Young...)."""
    surnames = {v for spellings in _korean_surnames().values() for v in spellings}
    return _revised_romanizations() | surnames | _KOREAN_SPELLINGS


@cache
def korean_spellings() -> frozenset[str]:
    """Latin syllables a Korean name may be written with: `_korean_romanized` and the
    McCune-Reischauer-style `o` for `eo` of RR (Jong for Jeong). `Manh` is none of them."""
    return _korean_romanized() | {s.replace("eo", "o") for s in _revised_romanizations()}


@cache
def _latin_syllables() -> frozenset[str]:
    """Syllables a romanized CJK given name may be cut into (pinyin and Korean RR)."""
    pinyin = {p for p in readings.table().by_pinyin if p.isascii() and p.isalpha()}
    return frozenset(pinyin) | _korean_romanized()


# Common non-RR spellings of Korean given-name syllables (passport habits).
_KOREAN_SPELLINGS = frozenset(
    {
        "eui",
        "wha",
        "whan",
        "soo",
        "joo",
        "woo",
        "yoo",
        "koo",
        "hoo",
        "choo",
        "soon",
        "sook",
        "hee",
        "young",
        "kyung",
        "hyun",
        "seung",
        "chul",
        "jung",
        "yong",
        "woong",
        "hoon",
        "joon",
        "hwan",
        "suk",
        "sik",
        "ok",
        "nam",
        "sung",
        "kyu",
        "chan",
        "jin",
        "min",
        "eun",
        "ji",
        "hye",
        "won",
        "duk",
        "deok",
    }
)


@cache
def _whole_syllables() -> frozenset[str]:
    """Tokens never cut: any known syllable, Vietnamese ones included (`nguyen`, `hoang`)."""
    return _latin_syllables() | frozenset(readings.table().by_vietnamese)


def syllable_count(folded: str) -> int | None:
    """How many pinyin, Korean or Sino-Vietnamese syllables this folded Latin text is
    (1 for `jian`, 2 for `geunhye`), or None when it is not made of such syllables
    (`jineing`)."""
    if folded in _whole_syllables():
        return 1
    pieces = len(_segment(folded))
    return pieces if pieces > 1 else None


@lru_cache(maxsize=1 << 18)  # a national register has ~100k distinct words
def _segment(token: str) -> tuple[str, ...]:
    """`jinping` -> [jin, ping]; `daejung` -> [dae, jung]; otherwise the token itself.

    Only plain-letter tokens of two or more pinyin or Korean syllables are cut, preferring
    the fewest pieces: a Vietnamese syllable (written with or without its diacritics) or
    any other known syllable stays whole.
    """
    word = token.lower()
    if not word.isascii() or not word.isalpha() or len(word) < 4:
        return (token,)
    known = _latin_syllables()
    if word in _whole_syllables():
        return (token,)
    best: list[str] | None = None

    def cost(pieces: list[str]) -> tuple[int, int]:
        # Fewest pieces, then fewest pieces after the first that start with a vowel
        # (hu-ning, not hun-ing; da-tong, not dat-ong: such cuts are written Xi'an).
        return len(pieces), sum(p[0] in "aeiou" for p in pieces[1:])

    def walk(rest: str, acc: list[str]) -> None:
        nonlocal best
        if best is not None and len(acc) > len(best):
            return
        if not rest:
            if best is None or cost(acc) < cost(best):
                best = acc
            return
        for end in range(min(len(rest), 6), 1, -1):
            piece = rest[:end]
            # A piece needs a vowel: `soon` is not `soo` + `n`.
            if piece in known and any(v in piece for v in "aeiouy"):
                walk(rest[end:], [*acc, piece])

    walk(word, [])
    if best is None or len(best) < 2:
        return (token,)
    # Keep the written letters (case, diacritics are absent in segmentable tokens).
    out, at = [], 0
    for piece in best:
        out.append(token[at : at + len(piece)])
        at += len(piece)
    return tuple(out)


def _title_heads() -> frozenset[str]:
    """Every beginning of a title (`ong`, `dong c`...): a name whose first word is none of
    them starts with no title."""
    return frozenset(title[:n] for title in _TITLES for n in range(1, len(title) + 1))


_TITLE_HEADS = _title_heads()


RawPart = tuple[tuple[str, str], ...]  # a part's syllables as (text, script)


class _Written(NamedTuple):
    """One written word, as `raw_parts` reads it."""

    folded: str  # empty for punctuation, which is no word
    first: tuple[RawPart, ...]  # the parts it adds as the name's first part
    later: tuple[RawPart, ...]  # the parts it adds after other parts
    capitals: bool  # a Latin word written in capitals (XI)


def _strip_titles(words: list[_Written]) -> list[_Written]:
    # Punctuation between titles (`Ông - Bộ trưởng`, `Mr. & Mrs.`) is not a word.
    words = [w for w in words if w.folded]
    start = 0
    while start < len(words) and words[start].folded in _TITLE_HEADS:
        for n in (3, 2, 1):
            if (
                len(words) - start > n
                and " ".join([w.folded for w in words[start : start + n]]) in _TITLES
            ):
                start += n
                break
        else:
            break
    return words[start:]


_PUNCTUATION = re.compile(r"[-‐'’.]")


@lru_cache(maxsize=1 << 18)  # a national register has ~100k distinct words
def _word(word: str) -> tuple[str, tuple[str, ...]]:
    """(script, syllables) of one written word: a hanzi or hangul word as its characters,
    a Latin word cut at hyphens and apostrophes and into pinyin or Korean syllables."""
    scripts = {script_of(c) for c in word} - {None}
    if scripts == {HAN} or scripts == {HANGUL}:
        script = HAN if scripts == {HAN} else HANGUL
        return script, tuple(c for c in word if script_of(c) == script)
    pieces = [p for p in _PUNCTUATION.split(word) if p]
    return LATIN, tuple(s for p in pieces for s in _segment(p) if any(c.isalpha() for c in s))


@lru_cache(maxsize=1 << 18)  # a national register has ~100k distinct words
def _written(word: str) -> _Written:
    script, syllables = _word(word)
    if script != LATIN:
        chars = list(syllables)
        first, later = _split_cjk(chars, script, True), _split_cjk(chars, script, False)
        return _Written(fold(word), first, later, False)
    letters = "".join(syllables)
    parts = (tuple([(s, LATIN) for s in syllables]),) if syllables else ()
    return _Written(fold(word), parts, parts, len(letters) > 1 and letters.isupper())


def raw_parts(name: str) -> tuple[tuple[RawPart, ...], bool]:
    """`parse` as plain values: each part's syllables as (text, script), and whether the
    family name is known. Each written word is read once (memoised): a register of a
    million names has some 100,000 distinct words."""
    # NFKC: fullwidth and styled letters (ＸＩ, 𝐖𝐚𝐧𝐠) become plain ones; invisible spaces count.
    text = unicodedata.normalize("NFKC", name.translate(_INVISIBLE)).strip()
    while text.endswith(_SUFFIXES):
        text = next(text.removesuffix(x) for x in _SUFFIXES if text.endswith(x)).strip()
    family_known = False
    if "," in text:  # "FAMILY, Given"
        family, _, given = text.partition(",")
        text, family_known = f"{family.strip()} {given.strip()}", True
    # str.split() cuts at Unicode whitespace, the characters `\s` matches.
    words = _strip_titles([_written(w) for w in text.split()])
    parts: list[RawPart] = []
    upper = []  # Latin parts written in capitals
    for word in words:
        if word.capitals:
            upper.append(len(parts))
        parts.extend(word.later if parts else word.first)
    # One upper-cased Latin part among mixed-case ones is the family name: XI Jinping.
    if not family_known and len(upper) == 1 and len(upper) < len(parts):
        parts.insert(0, parts.pop(upper[0]))
        family_known = True
    return tuple([part[:MAX_SYLLABLES] for part in parts[:MAX_PARTS]]), family_known


def parse(name: str) -> ParsedName:
    parts, family_known = raw_parts(name)
    return ParsedName(
        tuple(
            tuple([Syllable(text, script, i) for text, script in part])
            for i, part in enumerate(parts)
        ),
        family_known,
    )


def _split_cjk(chars: list[str], script: str, first: bool) -> tuple[RawPart, ...]:
    """A name written without spaces: family name first (two syllables for compound
    Korean surnames like 황보), the rest one given-name part."""
    if not first or len(chars) < 2:
        return (tuple([(c, script) for c in chars]),)
    family = 1
    if script == HANGUL and len(chars) >= 3 and "".join(chars[:2]) in _korean_surnames():
        family = 2
    return tuple([(c, script) for c in chars[:family]]), tuple(
        [(c, script) for c in chars[family:]]
    )
