"""Name-matching quality and speed on the development set (tests/data/names_people.csv).

Pairs are generated per kind from the people table: every positive pair is one person
written two ways; the negatives of a kind are two different people written the same two
ways, chosen to share a family name where possible (hard negatives). Reports precision,
recall and F1 per kind for hoptac.names and for the baseline (unidecode + rapidfuzz
token-sort ratio), and names keyed and pairs scored per second.
"""

from __future__ import annotations

import csv
import random
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from hoptac.names import THRESHOLD, compare, keys
from hoptac.names.fold import fold
from hoptac.names.match import compare_prepared, prepare

PEOPLE = Path(__file__).parents[1] / "tests" / "data" / "names_people.csv"
Pair = tuple[str, str, str, bool]  # kind, a, b, same person?
Scores = dict[str, tuple[float, float, float]]  # kind -> precision, recall, F1


def _typo(latin: str) -> str:
    """One letter changed in the longest word (of four letters or more)."""
    words = latin.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    if len(w) < 4:
        return latin
    at = len(w) // 2
    while not w[at].isalpha():
        at += 1
    words[i] = w[:at] + ("e" if w[at] != "e" else "a") + w[at + 1 :]
    return " ".join(words)


def _swap(latin: str) -> str:
    words = latin.split()
    return " ".join(words[1:] + words[:1])


FORMS: dict[str, tuple[str, Callable[[dict[str, str]], str]]] = {
    # kind: (what is needed, how side b is written)
    "vi-zh": ("hanzi", lambda p: p["hanzi"]),
    "vi-pinyin": ("pinyin", lambda p: p["latin"]),
    "vi-ko": ("hangul", lambda p: p["hangul"]),
    "diacritics-dropped": ("vi", lambda p: fold(p["vi"])),
}
SIDE_A: dict[str, Callable[[dict[str, str]], str]] = {
    "vi-zh": lambda p: p["vi"],
    "vi-pinyin": lambda p: p["vi"],
    "vi-ko": lambda p: p["vi"],
    "diacritics-dropped": lambda p: p["vi"],
    "zh-pinyin": lambda p: p["hanzi"],
    "ko-hangul-roman": lambda p: p["hangul"],
    "ko-hanja": lambda p: p["hangul"],
    "order-swapped": lambda p: p["latin"],
    "upper-cased": lambda p: p["latin"],
    "one-typo": lambda p: p["latin"],
}
SIDE_B: dict[str, Callable[[dict[str, str]], str]] = {
    "vi-zh": lambda p: p["hanzi"],
    "vi-pinyin": lambda p: p["latin"],
    "vi-ko": lambda p: p["hangul"],
    "diacritics-dropped": lambda p: fold(p["vi"]),
    "zh-pinyin": lambda p: p["latin"],
    "ko-hangul-roman": lambda p: p["latin"],
    "ko-hanja": lambda p: p["hanzi"],
    "order-swapped": lambda p: _swap(p["latin"]),
    "upper-cased": lambda p: p["latin"].upper(),
    "one-typo": lambda p: _typo(p["latin"]),
}
NEEDS: dict[str, Callable[[dict[str, str]], bool]] = {
    "vi-pinyin": lambda p: not p["hangul"],
    "zh-pinyin": lambda p: not p["hangul"],
    "vi-ko": lambda p: bool(p["hangul"]),
    "ko-hangul-roman": lambda p: bool(p["hangul"]),
    "ko-hanja": lambda p: bool(p["hangul"]),
}


def load_people() -> list[dict[str, str]]:
    with PEOPLE.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def make_pairs(people: list[dict[str, str]], seed: int = 7) -> list[Pair]:
    rng = random.Random(seed)
    pairs: list[Pair] = []
    for kind in SIDE_A:
        group = [p for p in people if NEEDS.get(kind, lambda _p: True)(p)]
        for p in group:
            pairs.append((kind, SIDE_A[kind](p), SIDE_B[kind](p), True))
            # Hard negative: another person of the same family name if there is one.
            same_family = [q for q in group if q is not p and q["hanzi"][:1] == p["hanzi"][:1]]
            others = same_family or [q for q in group if q is not p]
            q = rng.choice(others)
            pairs.append((kind, SIDE_A[kind](p), SIDE_B[kind](q), False))
    return pairs


def baseline(a: str, b: str) -> bool:
    from rapidfuzz import fuzz
    from unidecode import unidecode

    return fuzz.token_sort_ratio(unidecode(a).lower(), unidecode(b).lower()) >= THRESHOLD * 100


def score(pairs: list[Pair], decide: Callable[[str, str], bool]) -> Scores:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    for kind, a, b, same in pairs:
        said = decide(a, b)
        for bucket in (kind, "overall"):
            c = counts[bucket]
            if said and same:
                c[0] += 1
            elif said:
                c[1] += 1
            elif same:
                c[2] += 1
    out = {}
    for kind, (tp, fp, fn) in counts.items():
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        out[kind] = (p, r, 2 * p * r / (p + r) if p + r else 0.0)
    return out


def run() -> dict[str, float]:
    people = load_people()
    pairs = make_pairs(people)
    ours = score(pairs, lambda a, b: compare(a, b).match)
    try:
        theirs: Scores | None = score(pairs, baseline)
    except ImportError as exc:
        theirs = None
        print(f"baseline skipped: {exc} (pip install -r requirements-bench.txt)")
    print(f"names: {len(people)} people, {len(pairs)} pairs, threshold {THRESHOLD}")
    print(f"{'kind':<22}{'hoptac P/R/F1':>24}{'baseline P/R/F1':>26}")
    for kind in [*SIDE_A, "overall"]:
        p, r, f = ours[kind]
        line = f"{kind:<22}{p:>8.3f}{r:>8.3f}{f:>8.3f}"
        if theirs is not None:
            bp, br, bf = theirs[kind]
            line += f"{bp:>10.3f}{br:>8.3f}{bf:>8.3f}"
        print(line)
    names = sorted({x for _, a, b, _ in pairs for x in (a, b)})
    prepare.cache_clear()
    t = time.perf_counter()
    for n in names:
        keys(n)  # parses and prepares each name once
    keyed = len(names) / (time.perf_counter() - t)
    prepared = [(prepare(a), prepare(b)) for _, a, b, _ in pairs]
    rounds = 20
    t = time.perf_counter()
    for _ in range(rounds):
        for pa, pb in prepared:
            compare_prepared(pa, pb)
    per_second = rounds * len(pairs) / (time.perf_counter() - t)
    print(f"names keyed per second: {keyed:,.0f} ({len(names)} distinct names, parse included)")
    print(f"pairs scored per second: {per_second:,.0f} (prepared names, one core)")
    return {
        "names_f1_overall": round(ours["overall"][2], 4),
        "names_pairs_per_second": round(per_second),
    }


if __name__ == "__main__":
    run()
