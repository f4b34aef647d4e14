"""Name-matching quality and speed.

Quality, on two people tables in tests/data: the development set (the matcher was tuned on
it) and the held-out set (only ever measured). Pairs are generated per kind: every positive
pair is one person written two ways; the negatives of a kind are two different people
written the same two ways, chosen to share a family name where possible (hard negatives).
Precision, recall and F1 per kind for hoptac.names and two baselines: unidecode + rapidfuzz
token-sort ratio, and the OpenSanctions matcher (nomenklatura LogicV2, in its own venv).

Speed, on one core: names keyed per second (parse + keys, distinct names), and pairs
scored per second by the batch scorer on pairs that share a blocking key, as screening
scores them; `compare` one pair at a time for reference.
"""

from __future__ import annotations

import csv
import json
import random
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from hoptac.names import MATCH_THRESHOLD, compare, readings
from hoptac.names.batch import NameTable, clear_memo
from hoptac.names.blocking import clear_memos, name_keys
from hoptac.names.fold import fold

DATA = Path(__file__).parents[1] / "tests" / "data"
PEOPLE = DATA / "names_people.csv"  # development set: the matcher was tuned on it
HELDOUT = DATA / "names_people_heldout.csv"  # held-out set: only measured
NK_PYTHON = Path(__file__).parents[1] / ".venv-nk" / "bin" / "python"
NK_THRESHOLD = 0.70
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


def load_people(path: Path = PEOPLE) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
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

    return (
        fuzz.token_sort_ratio(unidecode(a).lower(), unidecode(b).lower()) >= MATCH_THRESHOLD * 100
    )


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


def nomenklatura_decisions(pairs: list[Pair]) -> list[bool] | str:
    """The OpenSanctions matcher's verdicts (its own venv), or why it could not run."""
    if not NK_PYTHON.exists():
        return f"not installed ({NK_PYTHON} missing: see `make bench`)"
    lines = "".join(json.dumps([a, b]) + "\n" for _, a, b, _ in pairs)
    done = subprocess.run(
        [str(NK_PYTHON), str(Path(__file__).with_name("nk_baseline.py"))],
        input=lines,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        return f"failed: {done.stderr.strip().splitlines()[-1:]}"
    return [float(x) >= NK_THRESHOLD for x in done.stdout.split()]


def synthetic_names(people: list[dict[str, str]], count: int, seed: int = 3) -> list[str]:
    """Distinct names made of real family and given names, each form kept in its script:
    a stand-in for a register's name column."""
    combos: set[str] = set()
    for column in ("vi", "hanzi", "latin", "hangul"):
        written = [p[column] for p in people if p[column]]
        if column in ("hanzi", "hangul"):
            families, givens, sep = {n[:1] for n in written}, {n[1:] for n in written}, ""
        else:
            families = {n.split()[0] for n in written}
            givens = {" ".join(n.split()[1:]) for n in written}
            sep = " "
        if column == "vi":
            families |= {fold(f) for f in families}
            givens |= {fold(g) for g in givens}
        combos |= {f + sep + g for f in families for g in givens}
    rng = random.Random(seed)
    return rng.sample(sorted(combos), min(count, len(combos)))


def blocked_pairs(names: list[str], count: int, seed: int = 5) -> tuple[list[int], list[int]]:
    """`count` pairs of names that share a blocking key, drawn as a screening run meets
    them: a block of n names gives n*(n-1)/2 pairs, so blocks are drawn by that weight."""
    blocks: dict[int, list[int]] = defaultdict(list)
    for i, name in enumerate(names):
        for key in name_keys(name):
            blocks[key].append(i)
    members = [m for m in blocks.values() if len(m) > 1]
    weights = [len(m) * (len(m) - 1) for m in members]
    rng = random.Random(seed)
    a, b = [], []
    for block in rng.choices(members, weights=weights, k=count):
        x, y = rng.sample(block, 2)
        a.append(x)
        b.append(y)
    return a, b


def _cell(result: Scores | None, kind: str) -> str:
    if result is None:
        return f"{'-':>8}{'-':>7}{'-':>7}"
    p, r, f = result[kind]
    return f"{p:>8.3f}{r:>7.3f}{f:>7.3f}"


def quality(label: str, path: Path) -> Scores:
    people = load_people(path)
    pairs = make_pairs(people)
    ours = score(pairs, lambda a, b: compare(a, b).match)
    try:
        fuzzy: Scores | None = score(pairs, baseline)
    except ImportError as exc:
        fuzzy = None
        print(f"rapidfuzz baseline skipped: {exc} (pip install -r requirements-bench.txt)")
    said = nomenklatura_decisions(pairs)
    if isinstance(said, str):
        print(f"OpenSanctions baseline skipped: {said}")
        nk: Scores | None = None
    else:
        verdicts = dict(zip(((a, b) for _, a, b, _ in pairs), said, strict=True))
        nk = score(pairs, lambda a, b: verdicts[(a, b)])
    print(f"\n{label} set: {len(people)} people, {len(pairs)} pairs ({path.name})")
    print(f"{'':<20}{'hoptac.names':>22}{'unidecode+rapidfuzz':>22}{'nomenklatura LogicV2':>22}")
    print(f"{'kind':<20}" + f"{'P':>8}{'R':>7}{'F1':>7}" * 3)
    for kind in [*SIDE_A, "overall"]:
        print(f"{kind:<20}{_cell(ours, kind)}{_cell(fuzzy, kind)}{_cell(nk, kind)}")
    print(
        f"thresholds: hoptac {MATCH_THRESHOLD}, "
        f"rapidfuzz token-sort {MATCH_THRESHOLD * 100:.0f}, "
        f"nomenklatura {NK_THRESHOLD} (yente's default)"
    )
    return ours


def near_misses(people: list[dict[str, str]], seed: int = 11) -> list[tuple[str, str, int]]:
    """Negatives one letter away from a real name: a given-name syllable of the Latin form
    replaced by another real syllable one letter apart (Li Qiang -> Li Liang). They are
    what a typo-tolerant matcher confuses; returned with the name's syllable count."""
    from hoptac.names.match import _within_one_edit, prepare
    from hoptac.names.parse import _whole_syllables

    inventory = sorted(s for s in _whole_syllables() if len(s) >= 4)
    rng = random.Random(seed)
    out = []
    for person in people:
        parsed = prepare(person["latin"])
        syllables = [s.text for s in parsed.syllables]
        for k in range(1, len(syllables)):
            text = syllables[k].lower()
            near = [s for s in inventory if s != text and _within_one_edit(s, text)]
            for other in rng.sample(near, min(2, len(near))):
                changed = [*syllables[:k], other, *syllables[k + 1 :]]
                out.append((person["latin"], " ".join(changed), len(syllables)))
    return out


def near_miss_report() -> None:
    people = load_people(PEOPLE) + load_people(HELDOUT)
    cases = near_misses(people)
    print("\nnear misses (a given-name syllable replaced by a real syllable one letter away):")
    for label, keep in (("2 syllables", lambda n: n == 2), ("3+ syllables", lambda n: n > 2)):
        chosen = [(a, b) for a, b, n in cases if keep(n)]
        ours = sum(compare(a, b).match for a, b in chosen)
        try:
            fuzzy = f"{sum(baseline(a, b) for a, b in chosen) / len(chosen):.1%}"
        except ImportError:
            fuzzy = "-"
        print(
            f"  {label}: {len(chosen)} pairs, matched by hoptac {ours / len(chosen):.1%}, "
            f"by unidecode+rapidfuzz {fuzzy}"
        )


def speed() -> dict[str, float]:
    people = load_people(PEOPLE) + load_people(HELDOUT)
    names = synthetic_names(people, 20_000)
    readings.table.cache_clear()
    clear_memos()  # measure names and syllables never seen before
    clear_memo()
    t = time.perf_counter()
    name_keys("Nguyễn Văn An")  # loads the reading table: once per process
    startup = time.perf_counter() - t
    t = time.perf_counter()
    for name in names:
        name_keys(name)  # parse + keys; every name distinct
    keyed = len(names) / (time.perf_counter() - t)
    print(f"\nreading table loaded in {startup:.2f} s (once per process)")
    print(f"names keyed per second: {keyed:,.0f} ({len(names):,} distinct names, parse included)")

    clear_memos()  # encoding parses again, as it would for names never keyed
    t = time.perf_counter()
    table = NameTable(names)
    encoded = len(names) / (time.perf_counter() - t)
    a, b = blocked_pairs(names, 1_000_000)
    rates = []
    for _ in range(2):  # first run fills the syllable-pair memo, second is steady state
        t = time.perf_counter()
        table.score(a, b)
        rates.append(len(a) / (time.perf_counter() - t))
    print(f"names encoded for batch scoring per second: {encoded:,.0f} (parse included)")
    print(
        f"pairs scored per second (batch, one core, {len(a):,} blocked pairs): "
        f"{rates[1]:,.0f} with the syllable-pair memo warm (the same pairs again), "
        f"{rates[0]:,.0f} on a cold memo"
    )
    sample = list(zip(a[:3000], b[:3000], strict=True))
    t = time.perf_counter()
    for x, y in sample:
        compare(names[x], names[y])
    single = len(sample) / (time.perf_counter() - t)
    print(f"pairs compared one at a time with explanation (warm caches): {single:,.0f}/s")
    return {
        "names_keyed_per_second": round(keyed),
        "names_pairs_per_second_batch": round(rates[1]),
        "names_pairs_per_second_batch_cold": round(rates[0]),
        "names_pairs_per_second_compare": round(single),
    }


def run() -> dict[str, float]:
    dev = quality("development (tuned on)", PEOPLE)
    held = quality("held-out (never tuned on)", HELDOUT)
    near_miss_report()
    return {
        "names_f1_overall": round(dev["overall"][2], 4),
        "names_f1_heldout": round(held["overall"][2], 4),
        **speed(),
    }


if __name__ == "__main__":
    run()
