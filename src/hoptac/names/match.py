"""Compare two person names across scripts: a score in [0, 1], a verdict and the reasons.

Syllables meet through what they mean, not how they look: `Kiện` and `jian` both read the
character 健; `Vương` is the Sino-Vietnamese reading of 王, `wang` its pinyin; `박` is
romanized `bak` and spelled `Park`. Parts may come in either order (family first or last);
a missing middle name costs less than a different given name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from hoptac.names import parse as _parse
from hoptac.names import readings
from hoptac.names.fold import fold, vietnamese_key, vietnamese_syllable_key
from hoptac.names.hangul import jamo, romanize_syllable
from hoptac.names.parse import (
    HAN,
    HANGUL,
    LATIN,
    ParsedName,
    Syllable,
    korean_surname_spellings,
    korean_surnames_spelled,
)
from hoptac.names.parse import parse as parse_name

MATCH_THRESHOLD = 0.85  # default name verdict (to be calibrated on the development set)
TYPO_BETWEEN_SYLLABLES = 0.65  # credit for one letter between two real syllables
MIDDLE_MISSING = 0.35  # weight of a wholly unmatched middle part (vs 1.0 otherwise)

_LOOSE_RULES = [
    (r"eui", "ui"),  # McCune-Reischauer habit: Eui-yong for 의용
    (r"^wh", "hw"),  # Kyung-wha for 경화
    (r"ck", "k"),
    (r"ui", "i"),
    (r"oo|eo|eu|ou", "u"),
    (r"ee|yi", "i"),
    (r"ae|ai|ay", "e"),
    (r"sh", "s"),
    (r"ch|j", "c"),
    (r"g", "k"),
    (r"b", "p"),
    (r"d", "t"),
    (r"r", "l"),
    (r"w(?=u)", ""),
    (r"h$", ""),
    (r"(?<=[aeiou])h(?=[^aeiou])", ""),
]


_LOOSE_COMPILED = [(re.compile(pattern), repl) for pattern, repl in _LOOSE_RULES]


@lru_cache(maxsize=65536)
def korean_loose(syllable: str) -> str:
    """A spelling-insensitive key for one romanized Korean syllable: Soo/Su, Jung/Jeong,
    Kwan/Gwan, Chul/Cheol, Oh/O meet; vowels and consonant classes collapse."""
    key = fold(syllable)
    for pattern, repl in _LOOSE_COMPILED:
        key = pattern.sub(repl, key)
    return key


def _romanizations(hangul: str) -> set[str]:
    """RR, and the McCune-Reischauer habit of writing ŏ as o (정: jeong, jong)."""
    rr = romanize_syllable(hangul)
    return {rr, rr.replace("eo", "o")}


@cache
def _hangul_by_loose() -> dict[str, frozenset[str]]:
    """Loose romanization key -> the hangul syllables spelled so (11,172 syllables)."""
    index: dict[str, set[str]] = {}
    for code in range(0xAC00, 0xD7A4):
        syllable = chr(code)
        for spelling in _romanizations(syllable):
            index.setdefault(korean_loose(spelling), set()).add(syllable)
    return {k: frozenset(v) for k, v in index.items()}


@dataclass(frozen=True, slots=True)
class Sound:
    """What a syllable can stand for."""

    text: str  # folded Latin text, or the character itself
    chars: frozenset[str]  # CJK characters it is (han), or reads (hangul)
    loose: frozenset[str]  # Korean-romanization keys
    exact_chars: bool  # True for a written character (not a guess from a reading)
    # For Latin syllables, the characters each reading system allows (guesses):
    vi: frozenset[str] = frozenset()
    py: frozenset[str] = frozenset()
    ko: frozenset[str] = frozenset()


@lru_cache(maxsize=65536)
def sound(text: str, script: str) -> Sound:
    if script == HAN:
        r = readings.of(text)
        chars = frozenset({text, *(r.variants if r else ())})
        loose = frozenset(
            korean_loose(s) for k in (r.korean if r else ()) for s in _romanizations(k)
        )
        return Sound(text, chars, loose, True)
    if script == HANGUL:
        spellings = {*_romanizations(text), *korean_surname_spellings().get(text, ())}
        return Sound(
            text,
            readings.chars_for_korean(text),
            frozenset(korean_loose(s) for s in spellings),
            False,
        )
    folded = fold(text)
    if text.lower() != folded:
        # Written with Vietnamese marks: it is Vietnamese, and the marks count. Only the
        # characters read with the same letters qualify (Đạt is not Đất; sources disagree
        # on some tones: 斗 đấu/đẩu, so the tone is weighed in _han_reads, not here); no
        # pinyin or Korean reading of the bare letters.
        letters = vietnamese_key(text)[0]
        vi = frozenset(
            c
            for c in readings.chars_for_vietnamese(folded)
            if any(vietnamese_key(v)[0] == letters for v in _vietnamese_of(c))
        )
        return Sound(folded, vi, frozenset(), False, vi, frozenset(), frozenset())
    spelled = {korean_loose(folded)}
    ko: set[str] = set()
    # A romanized Korean syllable reads the characters of the hangul it spells (Geun: 槿);
    # only text that can be a Korean spelling (not Manh, not Nguyen) is read so.
    if folded in _parse.korean_spellings():
        for hangul in _hangul_by_loose().get(korean_loose(folded), ()):
            ko.update(readings.chars_for_korean(hangul))
    # A Korean surname spelling (Park, Lee, Choi) stands for its hangul and all its spellings.
    for hangul in korean_surnames_spelled(folded):
        ko.update(readings.chars_for_korean(hangul))
        spelled |= {korean_loose(s) for s in korean_surname_spellings()[hangul]}
    vi, py = readings.chars_for_vietnamese(folded), readings.chars_for_pinyin(folded)
    return Sound(folded, vi | py | frozenset(ko), frozenset(spelled), False, vi, py, frozenset(ko))


def _vietnamese_of(char: str) -> tuple[str, ...]:
    r = readings.of(char)
    return r.vietnamese if r else ()


def _common_reading(a: Sound, b: Sound) -> frozenset[str]:
    """Characters two Latin syllables may both stand for, across reading systems that
    meet in practice: Sino-Vietnamese with pinyin or Korean. Two Vietnamese spellings
    meet only when they are the same syllable (Lê is not Lý through 離); pinyin and Korean
    romanization are not crossed (jian ~ jun through 前). Between a Vietnamese and a
    Korean romanized syllable only characters in common use count: both spellings are
    loose, and rare characters would bridge anything (Thang ~ Dung through 鼟)."""
    korean = frozenset(c for c in (a.vi & b.ko) | (b.vi & a.ko) if _weight(c) > 0)
    return (a.vi & b.py) | (b.vi & a.py) | korean


def _han_reads(char_sound: Sound, written: str) -> tuple[float, str] | None:
    """(score, how) a written character reads as the Latin syllable, if it does. A syllable
    with Vietnamese marks must have the reading's letters; a different tone costs a little."""
    folded = fold(written)
    key = vietnamese_key(written) if written.lower() != folded else None
    found: tuple[float, str] | None = None
    for char in sorted(char_sound.chars):
        r = readings.of(char)
        if r is None:
            continue
        if key is not None:
            keys_of_char = [vietnamese_key(v) for v in r.vietnamese]
            if key in keys_of_char:
                return 0.95, f"Sino-Vietnamese reading of {char}"
            if found is None and any(k[0] == key[0] for k in keys_of_char):
                found = 0.85, f"Sino-Vietnamese reading of {char}, another tone"
            continue
        if folded in r.pinyin:
            return 0.95, f"pinyin of {char}"
        plain = vietnamese_syllable_key(folded)
        if plain in {vietnamese_syllable_key(v) for v in r.vietnamese}:
            return 0.95, f"Sino-Vietnamese reading of {char}"
    return found


def syllable_score(a: Syllable, b: Syllable) -> tuple[float, str]:
    """(score, how) for two syllables; 0 when they cannot be the same."""
    return _syllable_score(a.text, a.script, b.text, b.script)


@lru_cache(maxsize=1 << 18)
def _syllable_score(a_text: str, a_script: str, b_text: str, b_script: str) -> tuple[float, str]:
    # Memoised: a screening run meets the same syllable pairs over and over.
    a, b = Syllable(a_text, a_script, 0), Syllable(b_text, b_script, 0)
    sa, sb = sound(a.text, a.script), sound(b.text, b.script)
    same_letters = vietnamese_syllable_key(sa.text) == vietnamese_syllable_key(sb.text)
    if a.script == LATIN and b.script == LATIN and same_letters:
        marked_a, marked_b = a.text.lower() != sa.text, b.text.lower() != sb.text
        if marked_a and marked_b and vietnamese_key(a.text) != vietnamese_key(b.text):
            # Both written with diacritics, and they differ: Hùng is not Hưng.
            return 0.3, "same letters, different diacritics"
        return 1.0, "same" if marked_a == marked_b else "same, diacritics dropped"
    if sa.exact_chars and sb.exact_chars:
        return (
            (1.0, "same character" if a.text == b.text else "variant")
            if sa.chars & sb.chars
            else (0.0, "")
        )
    if sa.exact_chars or sb.exact_chars:
        han, other, other_syl = (sa, sb, b) if sa.exact_chars else (sb, sa, a)
        if other_syl.script == HANGUL:
            return (0.95, "Korean reading") if han.chars & other.chars else (0.0, "")
        read = _han_reads(han, other_syl.text)
        if read:
            return read
        if han.loose & other.loose:
            return 0.9, "Korean reading, romanized"
        return 0.0, ""
    # Neither is a written character: Latin and hangul spellings and readings.
    if a.script == b.script == HANGUL:
        # Hangul is exact; only the initial-sound rule (두음법칙) writes one name two ways.
        if a.text == b.text:
            return 1.0, "same"
        return (
            (0.95, "initial-sound variant")
            if _initial_sound_variants(a.text, b.text)
            else (0.0, "")
        )
    if sa.loose & sb.loose and _korean_variants(a, sa, b, sb):
        return 0.9, "Korean spelling variant"
    common = (sa.chars & sb.chars) if HANGUL in (a.script, b.script) else _common_reading(sa, sb)
    if common:
        best = max(common, key=lambda c: (_weight(c), c))
        return 0.9, f"via {best}"
    if a.script != LATIN or b.script != LATIN or not _within_one_edit(sa.text, sb.text):
        return 0.0, ""
    # A slip of the pen usually breaks the syllable (Jineing for Jinping, Hươbg for Hương,
    # KIJ for KIM): full typo credit when one side is no real syllable, or a different
    # number of them, from three letters up.
    shape_a, shape_b = _parse.syllable_count(sa.text), _parse.syllable_count(sb.text)
    if min(len(sa.text), len(sb.text)) >= 3 and (
        shape_a is None or shape_b is None or shape_a != shape_b
    ):
        return 0.8, "one letter differs"
    # Both real syllables of the same shape: as likely another name (Qiang and Liang,
    # Geunhye and Geuphye), so less credit, and none between two syllables both written
    # with Vietnamese marks (Tiến and Kiên are two names, not a slip).
    both_marked = a.text.lower() != sa.text and b.text.lower() != sb.text
    if min(len(sa.text), len(sb.text)) >= 4 and not both_marked:
        return TYPO_BETWEEN_SYLLABLES, "one letter differs, both real syllables"
    return 0.0, ""


def _korean_variants(a: Syllable, sa: Sound, b: Syllable, sb: Sound) -> bool:
    """Whether two syllables whose Korean-spelling keys meet may be one Korean syllable.
    Against hangul, yes: the hangul says the name is Korean, and people spell their own
    names freely (Duck-soo, Doo-hwan). Two Latin syllables, only if both are Korean
    spellings (Ahn / An, Jung / Jeong), so that `Đỗ Thị An` is not `Đỗ Thị Anh`: Anh is
    no Korean spelling."""
    if HANGUL in (a.script, b.script):
        return True
    spellings = _parse.korean_spellings()
    return sa.text in spellings and sb.text in spellings


def _initial_sound_variants(x: str, y: str) -> bool:
    """리/이, 류/유, 라/나, 로/노…: the same syllable with and without its initial ㄹ/ㄴ."""
    (ix, mx, fx), (iy, my, fy) = jamo(x), jamo(y)
    dropped = {5: {11, 2}, 2: {11}}  # ㄹ -> ㅇ or ㄴ; ㄴ -> ㅇ
    return (mx, fx) == (my, fy) and (iy in dropped.get(ix, set()) or ix in dropped.get(iy, set()))


def _weight(char: str) -> int:
    r = readings.of(char)
    return r.weight if r else 0


def _within_one_edit(x: str, y: str) -> bool:
    if abs(len(x) - len(y)) > 1:
        return False
    if len(x) == len(y):
        return sum(c1 != c2 for c1, c2 in zip(x, y, strict=True)) == 1
    short, long_ = (x, y) if len(x) < len(y) else (y, x)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@dataclass
class Comparison:
    score: float
    match: bool
    pairs: list[tuple[str, str, float, str]] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)

    def explain(self) -> str:
        lines = [f"{a} ~ {b}: {s:.2f} ({how})" for a, b, s, how in self.pairs]
        if self.unmatched:
            lines.append("unmatched: " + ", ".join(self.unmatched))
        return "; ".join(lines) if lines else "nothing in common"


def _orders(name: ParsedName) -> list[list[Syllable]]:
    """The name's syllables in written order and every rotation of its parts
    (`Jinping Xi` -> `Xi Jinping`, `Hai Trung Nguyen` -> `Nguyen Hai Trung`)."""
    parts = list(name.parts)
    if name.family_known or len(parts) < 2:
        return [list(name.syllables)]
    return [[s for p in parts[k:] + parts[:k] for s in p] for k in range(len(parts))]


def _align(xs: list[Syllable], ys: list[Syllable]) -> list[tuple[int, int, float, str]]:
    """Best monotone alignment (Needleman-Wunsch without gap costs)."""
    n, m = len(xs), len(ys)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    scores = [[syllable_score(x, y) for y in ys] for x in xs]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            take = scores[i][j][0] + best[i + 1][j + 1] if scores[i][j][0] > 0 else 0.0
            best[i][j] = max(take, best[i + 1][j], best[i][j + 1])
    out, i, j = [], 0, 0
    while i < n and j < m:
        s, how = scores[i][j]
        if s > 0 and abs(best[i][j] - (s + best[i + 1][j + 1])) < 1e-9:
            out.append((i, j, s, how))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return out


# Vietnamese middle names (tên đệm) that are often left out; a Chinese name's middle
# syllable is part of its given name (Lý [Khắc] Cường is someone else), so only these count.
_MIDDLE_NAMES = frozenset(
    {
        "van",
        "thi",
        "huu",
        "duc",
        "cong",
        "dinh",
        "ba",
        "ngoc",
        "xuan",
        "quang",
        "minh",
        "thanh",
        "hong",
        "kim",
        "nhu",
        "quoc",
    }
)


def _unmatched_weight(
    name_parts: int, other_parts: int, syl: Syllable, matched_parts: set[int]
) -> float:
    """A middle name the other name leaves out (Nguyễn [Văn] An) costs less than anything
    else; a middle name the other name replaces (Thị for Văn) costs in full."""
    middle = 0 < syl.part < name_parts - 1
    optional = syl.script == LATIN and fold(syl.text) in _MIDDLE_NAMES
    left_out = other_parts < name_parts
    if middle and optional and left_out and syl.part not in matched_parts:
        return MIDDLE_MISSING
    return 1.0


def compare_parsed(a: ParsedName, b: ParsedName, threshold: float = MATCH_THRESHOLD) -> Comparison:
    best: Comparison | None = None
    for xs in _orders(a):
        ys = b.syllables
        pairs = _align(xs, list(ys))
        matched_x = {i for i, _, _, _ in pairs}
        matched_y = {j for _, j, _, _ in pairs}
        parts_x = {xs[i].part for i in matched_x}
        parts_y = {ys[j].part for j in matched_y}
        total = sum(2 * s for _, _, s, _ in pairs)
        weight = 2.0 * len(pairs)
        unmatched = []
        for i, syl in enumerate(xs):
            if i not in matched_x:
                weight += _unmatched_weight(len(a.parts), len(b.parts), syl, parts_x)
                unmatched.append(syl.text)
        for j, syl in enumerate(ys):
            if j not in matched_y:
                weight += _unmatched_weight(len(b.parts), len(a.parts), syl, parts_y)
                unmatched.append(syl.text)
        score = total / weight if weight else 0.0
        comparison = Comparison(
            score,
            score >= threshold,
            [(xs[i].text, ys[j].text, s, how) for i, j, s, how in pairs],
            unmatched,
        )
        if best is None or comparison.score > best.score:
            best = comparison
    return best or Comparison(0.0, False)


@lru_cache(maxsize=1 << 16)
def prepare(name: str) -> ParsedName:
    """Parse once, compare many times (screening prepares each name once)."""
    return parse_name(name)


def compare(a: str, b: str, threshold: float = MATCH_THRESHOLD) -> Comparison:
    """Are `a` and `b` the same person's name? Symmetric in a and b."""
    return compare_prepared(prepare(a), prepare(b), threshold)


def compare_prepared(
    pa: ParsedName, pb: ParsedName, threshold: float = MATCH_THRESHOLD
) -> Comparison:
    """`compare` on names prepared with `prepare`."""
    best = _both_ways(pa, pb, threshold)
    if not best.match:
        # A typo can spoil how a romanized part is cut (Jineing): compare whole parts too.
        ja, jb = pa.joined(), pb.joined()
        if (ja, jb) != (pa, pb):
            whole = _both_ways(ja, jb, threshold)
            if whole.score > best.score:
                best = whole
    return best


def _both_ways(pa: ParsedName, pb: ParsedName, threshold: float) -> Comparison:
    one, two = compare_parsed(pa, pb, threshold), compare_parsed(pb, pa, threshold)
    return (
        one
        if one.score >= two.score
        else Comparison(
            two.score, two.match, [(y, x, s, how) for x, y, s, how in two.pairs], two.unmatched
        )
    )


def clear_memos() -> None:
    """Forget every per-name, per-word and per-syllable memo (the reading table stays
    loaded), so that a benchmark measures names and syllables never seen before."""
    for memo in (
        prepare,
        sound,
        _syllable_score,
        korean_loose,
        _parse._word,
        _parse._written,
        _parse._segment,
        _parse.script_of,
    ):
        memo.cache_clear()
