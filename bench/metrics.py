"""Scores of a screening run against the planted matches of make_screening_data.py: one
function for every engine and baseline, so that their numbers mean the same thing.

`found` is the set of (notice_id, record_id) pairs an engine reported; `truth` maps each
planted pair of truth.csv to its variant.

- recall: planted pairs found / planted pairs; precision: found pairs that are planted /
  found pairs (1.0 when nothing was found); hits: found pairs.
- variant_recall: recall per variant of truth.csv.
- cross_script_f1: F1 on the cross-script variants (CROSS_SCRIPT). Its recall is over the
  planted pairs of those variants; its precision is over the found pairs whose notice has a
  planted pair of those variants (the notices whose scenario is cross-script), a found pair
  being right when it is planted, whatever its variant (another planted record of the same
  person is no false hit). cross_script_recall and cross_script_precision are given too.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import TypedDict

CROSS_SCRIPT = frozenset(
    {
        "hanzi_vs_vietnamese",
        "hanzi_vs_pinyin",
        "pinyin_vs_vietnamese",
        "hangul_vs_roman",
        "hanja_vs_hangul",
    }
)

Pair = tuple[str, str]


class Score(TypedDict):
    recall: float
    precision: float
    f1: float
    hits: int
    variant_recall: dict[str, float]
    cross_script_recall: float
    cross_script_precision: float
    cross_script_f1: float


def f1(recall: float, precision: float) -> float:
    """The harmonic mean of recall and precision (0.0 when both are 0)."""
    return 2 * recall * precision / (recall + precision) if recall + precision else 0.0


def read_truth(folder: Path, name: str = "truth.csv") -> dict[Pair, str]:
    """truth.csv of make_screening_data.py in `folder` (or another truth file of the same
    shape, `name`): planted pair -> variant."""
    with (folder / name).open(encoding="utf-8") as f:
        return {(row["notice_id"], row["record_id"]): row["variant"] for row in csv.DictReader(f)}


def score(found: set[Pair], truth: dict[Pair, str]) -> Score:
    """Recall, precision, hits, recall per variant and F1 on the cross-script variants of
    the `found` pairs against the planted pairs `truth` (pair -> variant)."""
    right = {pair for pair in found if pair in truth}
    recall = len(right) / len(truth) if truth else 1.0
    precision = len(right) / len(found) if found else 1.0

    planted = Counter(truth.values())
    caught = Counter(truth[pair] for pair in right)
    variant_recall = {variant: caught[variant] / planted[variant] for variant in sorted(planted)}

    cross = {pair for pair, variant in truth.items() if variant in CROSS_SCRIPT}
    cross_notices = {notice for notice, _ in cross}
    cross_found = {pair for pair in found if pair[0] in cross_notices}
    cross_recall = len(cross & right) / len(cross) if cross else 1.0
    cross_precision = len(cross_found & right) / len(cross_found) if cross_found else 1.0
    return Score(
        recall=recall,
        precision=precision,
        f1=f1(recall, precision),
        hits=len(found),
        variant_recall=variant_recall,
        cross_script_recall=cross_recall,
        cross_script_precision=cross_precision,
        cross_script_f1=f1(cross_recall, cross_precision),
    )


class Ceiling(TypedDict):
    distinguishable_recall: float
    rival_free_precision: float
    indistinguishable: int
    planted: int


def score_within_reach(
    found: set[Pair], truth: dict[Pair, str], rivals: dict[Pair, set[str]]
) -> Ceiling:
    """The figures the data allows (issue 18's (b)): a planted pair with a *rival* (a
    non-planted record of the same notice that ties or beats it on every piece of
    evidence, `rivals`: planted pair -> the rivals' record ids) cannot be ranked above a
    false hit by any scoring over these fields. Recall over the other planted pairs;
    precision that does not count a rival of a planted pair of the same notice as a false
    hit."""
    reachable = {pair for pair in truth if not rivals.get(pair)}
    excused = {(pair[0], r) for pair, ids in rivals.items() for r in ids}
    right = {pair for pair in found if pair in truth or pair in excused}
    return Ceiling(
        distinguishable_recall=(len(found & reachable) / len(reachable) if reachable else 1.0),
        rival_free_precision=len(right) / len(found) if found else 1.0,
        indistinguishable=len(truth) - len(reachable),
        planted=len(truth),
    )
