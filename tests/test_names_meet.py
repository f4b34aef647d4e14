"""names.meet lists every syllable pair that can score above 0, so that the batch scorer may
take any other pair for 0 without computing it."""

import random
import sys
from pathlib import Path

import numpy as np
import pytest

from hoptac.names import batch
from hoptac.names.match import _syllable_score, prepare
from hoptac.names.meet import meeting_pairs

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))

from names_bench import load_people, make_pairs

# Syllable pairs that meet through one branch of syllable_score each.
L, H, K = "latin", "han", "hangul"
BRANCHES = [
    (("kiện", L), ("jian", L)),  # a Sino-Vietnamese reading and a pinyin reading of 健
    (("kiến", L), ("健", H)),  # the letters of a reading, another tone
    (("kien", L), ("健", H)),  # unmarked letters of a Sino-Vietnamese reading
    (("jian", L), ("健", H)),  # pinyin of a character
    (("박", K), ("park", L)),  # a Korean surname spelling
    (("련", K), ("연", K)),  # the initial-sound rule (no loose key in common)
    (("성", K), ("成", H)),  # a character's Korean reading
    (("soo", L), ("su", L)),  # a Korean loose key
    (("jineing", L), ("jinping", L)),  # one letter apart
    (("hùng", L), ("hưng", L)),  # the same letters, other marks (0.3)
    (("lý", L), ("lí", L)),  # y for i
    (("国", H), ("國", H)),  # simplified and traditional
]


def _syllables() -> list[tuple[str, str]]:
    names = [n for _, a, b, _ in make_pairs(load_people()) for n in (a, b)]
    found: set[tuple[str, str]] = set()
    for name in names:
        for s in prepare(name).syllables:
            found.add((s.text.lower() if s.script == "latin" else s.text, s.script))
            found.add((s.text, s.script))
    return sorted(found | {s for pair in BRANCHES for s in pair})


def test_every_pair_that_scores_is_listed() -> None:
    syllables = _syllables()
    if len(syllables) > 700:  # every pair of 700: a quarter of a million scores
        branch = {
            (s.text, s.script) for pair in BRANCHES for n in pair for s in prepare(n).syllables
        }
        syllables = sorted(set(random.Random(7).sample(syllables, 700)) | branch)
    listed = meeting_pairs(syllables)
    missed, scoring, asymmetric = [], 0, []
    for i, a in enumerate(syllables):
        for j in range(i, len(syllables)):
            b = syllables[j]
            score = _syllable_score(*a, *b)[0]
            if score != _syllable_score(*b, *a)[0]:
                asymmetric.append((a, b))
            if score > 0:
                scoring += 1
                if (i, j) not in listed:
                    missed.append((a, b, score))
    assert missed == [] and asymmetric == []
    assert scoring > 500  # the set holds many pairs that meet, of every branch
    for a, b in BRANCHES:
        assert _syllable_score(*a, *b)[0] > 0, (a, b)
        i, j = sorted((syllables.index(a), syllables.index(b)))
        assert (i, j) in listed


@pytest.mark.parametrize("forked", [False, True])
def test_scores_after_learning_meetings_are_those_of_compare(forked: bool) -> None:
    """Once every pair that can meet is scored, a pair never computed scores 0, and the
    batch still gives exactly `compare`'s scores; also where the pairs were scored in a
    process forked to run beside this one (`start_learning_meetings`)."""
    from hoptac.names import compare

    batch.clear_memo()
    try:
        pairs = [(a, b) for _, a, b, _ in make_pairs(load_people())]
        table = batch.NameTable()
        index = {name: table.add(name) for name in {n for pair in pairs for n in pair}}
        if forked:
            batch.start_learning_meetings(workers=2)()
        else:
            batch.learn_meetings()
        complete = batch._memo.table[4]
        assert complete == len(batch._syllables)
        learned = len(batch._memo.table[0])
        got = table.score([index[a] for a, _ in pairs], [index[b] for _, b in pairs])
        assert got.tolist() == [compare(a, b).score for a, b in pairs]
        # nothing more was computed: every pair looked up was known or cannot meet
        old_codes, _, new_codes, _, _ = batch._memo.table
        assert len(old_codes) + len(new_codes) == learned
        # a name of new syllables is scored as before (its pairs computed)
        late = table.add("Zzyzx Qwerty")
        twin = table.add("Zzyzx Qwerty")
        assert table.score(np.array([late]), np.array([twin])).tolist() == [1.0]
    finally:
        batch.clear_memo()
