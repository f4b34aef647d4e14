"""The batch scorer (screening's path) gives exactly the scores `compare` gives."""

import sys
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hoptac.names import batch, compare
from hoptac.names.batch import NameTable

sys.path.insert(0, str(Path(__file__).parents[1] / "bench"))

from names_bench import load_people, make_pairs


def _check(pairs: list[tuple[str, str]]) -> None:
    table = NameTable()
    index: dict[str, int] = {}
    for name in {n for pair in pairs for n in pair}:
        index[name] = table.add(name)
    a, b = [index[a] for a, _ in pairs], [index[b] for _, b in pairs]
    got = table.score(a, b)
    want = [compare(a, b).score for a, b in pairs]
    wrong = [(a, b, w, g) for (a, b), w, g in zip(pairs, want, got, strict=True) if w != g]
    assert wrong == []
    # the compiled alignment (`batch._group_loop`) and the numpy one agree to the bit, with
    # the screening's floor (pairs that cannot reach it score 0 unaligned) too
    default = batch.COMPILED_FROM
    for floor in (0.0, 0.5, 0.7, 0.93):
        try:
            batch.COMPILED_FROM = 0
            compiled = table.score(a, b, floor=floor)
            batch.COMPILED_FROM = None
            reference = table.score(a, b, floor=floor)
        finally:
            batch.COMPILED_FROM = default
        assert compiled.tobytes() == reference.tobytes(), floor


def test_development_set_pairs_score_as_compare_does() -> None:
    pairs = make_pairs(load_people())
    _check([(a, b) for _, a, b, _ in pairs])


def test_edge_cases_score_as_compare_does() -> None:
    _check(
        [
            ("", "Wang Jian"),
            ("", ""),
            ("Thiếu tướng", "Wang Jian"),  # a title alone is no name
            ("Wang Jineing", "Vương Cận Bình"),  # a typo spoils the cut: whole parts compared
            ("Nguyễn Văn An", "Nguyễn An"),  # a middle name left out
            ("Nguyễn Văn An", "Nguyễn Thị An"),
            ("A B C D E F G H I J", "J I H G F E D C B A"),  # more parts than names have
            ("NGUYEN, Hai Trung", "Trung Nguyen Hai"),
            ("XI Jinping", "Jinping Xi"),
            ("황보관", "Hwangbo Kwan"),
        ]
    )


def test_a_batch_keeps_the_order_of_its_pairs() -> None:
    table = NameTable(["Wang Jian", "王健", "Li Qiang", "李克强"])
    scores = table.score(np.array([0, 2, 0, 2]), np.array([1, 3, 3, 1]))
    assert scores[0] >= 0.85 > scores[1]
    assert scores[2] == compare("Wang Jian", "李克强").score
    assert scores[3] == compare("Li Qiang", "王健").score
    assert len(table.score([], [])) == 0


PART = st.sampled_from(
    [
        "Nguyễn",
        "nguyen",
        "Văn",
        "Thị",
        "Hùng",
        "Hưng",
        "An",
        "Trọng",
        "Xi",
        "XI",
        "Jinping",
        "Jin-ping",
        "Li",
        "Keqiang",
        "Qiang",
        "Park",
        "Bak",
        "Geun-hye",
        "Kim",
        "Jong-un",
        "Jongun",
        "习近平",
        "王健",
        "박근혜",
        "김정은",
        "Vương",
        "Kiện",
        "Wang",
        "Jian",
        "Jiang",
    ]
)
NAME = st.builds(
    lambda parts, comma: f"{parts[0]}, {' '.join(parts[1:])}" if comma else " ".join(parts),
    st.lists(PART, min_size=1, max_size=5),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(NAME, NAME), min_size=1, max_size=30))
def test_generated_batches_score_as_compare_does(pairs: list[tuple[str, str]]) -> None:
    _check(pairs)


def test_a_full_pair_memo_starts_again_without_losing_scores() -> None:
    from hoptac.names import batch

    batch.clear_memo()
    batch._memo.LIMIT = 10  # tiny: every batch overflows it
    try:
        pairs = [(a, b) for _, a, b, _ in make_pairs(load_people())][:120]
        for start in range(0, len(pairs), 30):
            _check(pairs[start : start + 30])
        _check(pairs[:30])  # pairs the memo forgot
    finally:
        batch.clear_memo()


def test_new_scores_merge_into_the_memo_without_losing_any() -> None:
    from hoptac.names import batch

    batch.clear_memo()
    batch._memo.FRESH = 5  # tiny: new scores merge into the large table every few batches
    try:
        pairs = [(a, b) for _, a, b, _ in make_pairs(load_people())][:200]
        for start in range(0, len(pairs), 20):
            _check(pairs[start : start + 20])
        old_codes, _, new_codes, _, _ = batch._memo.table
        assert len(old_codes) > len(new_codes) > 0  # both tables in use
        _check(pairs)  # every pair again, from both tables
    finally:
        batch.clear_memo()


def test_several_threads_score_alike() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from hoptac.names import batch

    batch.clear_memo()
    pairs = [(a, b) for _, a, b, _ in make_pairs(load_people())]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda k: _check(pairs[k::4]), range(4)))


def test_bad_index_lists_are_refused() -> None:
    import pytest

    table = NameTable(["Wang Jian", "王健"])
    for a, b in (([0, 1], [1]), ([0], [2]), ([-1], [0]), ([0.9], [1])):
        with pytest.raises(ValueError):
            table.score(a, b)


@settings(max_examples=200, deadline=None)
@given(
    st.sets(st.tuples(st.integers(0, 40), st.integers(0, 60)), max_size=300),
    st.lists(st.tuples(st.integers(0, 45), st.integers(0, 65)), max_size=300),
)
def test_the_compiled_pair_lookup_finds_what_the_sorted_search_finds(
    table: set[tuple[int, int]], queries: list[tuple[int, int]]
) -> None:
    """`_find_loop` (each code searched among its first syllable's pairs) fills and flags
    the same entries as `_find` (one search over the whole table), ids past the table's
    largest first syllable included."""
    from hoptac.jit import compiled

    codes = np.array(sorted((a << 32) | b for a, b in table), dtype=np.int64)
    values = np.arange(len(codes), dtype=np.float64) / 7 + 0.5
    flat = np.array([(a << 32) | b for a, b in queries], dtype=np.int64)
    want, got = np.full(len(flat), -1.0), np.full(len(flat), -1.0)
    known = batch._find(codes, values, flat, want)
    found = compiled(batch._find_loop)(codes, values, batch._row_starts(codes), flat, got)
    assert found.tolist() == known.tolist()
    assert got.tobytes() == want.tobytes()
