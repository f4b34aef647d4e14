"""The engine's compiled loops (`hoptac.screening.compiled`, numba) give exactly what their
numpy references give, on generated inputs of every shape: empty ranges, repeats across a
notice's ranges, notices without ranges, one record read by many notices."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoptac.screening import compiled


@pytest.fixture(autouse=True)
def _always_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled loops even for these small inputs (the app's small ones go to numpy)."""
    monkeypatch.setattr(compiled, "COMPILED_FROM", 0)


@st.composite
def _ranges(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    """An index (its record per entry) and notices' ranges over it, notices ascending."""
    records = draw(st.integers(1, 40))
    entries = draw(st.lists(st.integers(0, records - 1), min_size=1, max_size=200))
    notices = draw(st.integers(1, 30))
    rows = draw(
        st.lists(
            st.tuples(
                st.integers(0, notices - 1),
                st.integers(0, len(entries)),
                st.integers(0, len(entries)),
            ),
            max_size=60,
        )
    )
    rows.sort(key=lambda row: row[0])
    n = np.array([r[0] for r in rows], dtype=np.int64)
    lo = np.array([min(r[1], r[2]) for r in rows], dtype=np.int64)
    hi = np.array([max(r[1], r[2]) for r in rows], dtype=np.int64)
    return lo, hi, n, np.array(entries, dtype=np.int64), np.int64(notices), np.int64(records)


@settings(max_examples=300, deadline=None)
@given(_ranges())
def test_expand_equals_its_reference(case: tuple[np.ndarray, ...]) -> None:
    lo, hi, n, record, notices, records = case
    want = compiled.expand_reference(lo, hi, n, record, int(notices), int(records))
    got = compiled.expand(lo, hi, n, record, int(notices), int(records))
    assert got.tolist() == want.tolist()
    # each (notice, record) once, sorted, and exactly those its ranges read
    read = {(int(n[i]), int(record[j])) for i in range(len(n)) for j in range(lo[i], hi[i])}
    assert [tuple(p) for p in got.tolist()] == sorted(read)


def test_expand_reference_works_in_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reference's slices of notices (which bound its memory) change nothing."""
    rng = np.random.default_rng(5)
    n = np.sort(rng.integers(0, 50, 300))
    lo = rng.integers(0, 500, 300)
    hi = lo + rng.integers(0, 30, 300)
    record = rng.integers(0, 90, 530)
    whole = compiled.expand_reference(lo, hi, n, record, 50, 90)
    monkeypatch.setattr(compiled, "SLICE", 7)
    assert compiled.expand_reference(lo, hi, n, record, 50, 90).tolist() == whole.tolist()
    assert compiled.expand(lo, hi, n, record, 50, 90).tolist() == whole.tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, (1 << 64) - 1), st.integers(0, 59)), max_size=300),
    st.lists(
        st.sampled_from([0, 19850000, 19850300, 19850307, 19850703, 19860101, 20010911]),
        min_size=60,
        max_size=60,
    ),
    st.booleans(),
)
def test_index_equals_its_reference(
    entries: list[tuple[int, int]], dates: list[int], few_keys: bool
) -> None:
    """Keys of all 64 bits (or a few keys shared by many records), dates repeated."""
    keys = np.array([k % 5 if few_keys else k for k, _ in entries], dtype=np.uint64)
    owner = np.array([r for _, r in entries], dtype=np.int64)
    dcodes = np.array(dates, dtype=np.int64)
    want = compiled.index_reference(keys, owner, dcodes, 38, 25)
    got = compiled.index(keys, owner, dcodes, 38, 25)
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
    # each entry once, sorted by folded key and date
    folded = compiled.fold_keys(keys, 38)
    assert sorted(zip(got[0].tolist(), got[1].tolist(), strict=True)) == sorted(
        ((int(k) << 25) | int(dcodes[r]), int(r)) for k, r in zip(folded, owner, strict=True)
    )
    assert got[0].tolist() == sorted(got[0].tolist())
    assert all(0 <= int(k) < (1 << 38) for k in folded)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 40)), min_size=1, max_size=150),
    st.lists(st.tuples(st.integers(0, 7), st.integers(0, 45), st.integers(0, 6)), max_size=60),
)
def test_searches_within_a_key_find_what_a_search_of_the_index_finds(
    entries: list[tuple[int, int]], needles: list[tuple[int, int, int]]
) -> None:
    """`ranges_within`: each (key, date) needle searched among its key's entries alone
    lands where `np.searchsorted` over the whole index does (keys absent from the index,
    empty date ranges and dates past every entry included)."""
    bits = 6
    code = np.sort(np.array([(k << bits) | d for k, d in entries], dtype=np.int64))
    key = np.array([k for k, _, _ in needles], dtype=np.int64)
    lo = (key << bits) + np.array([d for _, d, _ in needles], dtype=np.int64)
    hi = np.minimum(lo + np.array([w for _, _, w in needles], dtype=np.int64), (key + 1) << bits)
    start, end = np.searchsorted(code, key << bits), np.searchsorted(code, (key + 1) << bits)
    first, last = compiled.ranges_within(code, start, end, lo, hi)
    assert first.tolist() == np.searchsorted(code, lo).tolist()
    assert last.tolist() == np.searchsorted(code, hi).tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 30), max_size=12).map(sorted), min_size=1, max_size=20),
    st.lists(st.tuples(st.integers(0, 19), st.integers(0, 31)), max_size=40),
)
def test_holds_equals_its_reference(runs: list[list[int]], asks: list[tuple[int, int]]) -> None:
    """`holds`: whether a value is among an ascending range of the array (empty ranges,
    repeats, values past the range's ends)."""
    values = np.array([v for run in runs for v in run], dtype=np.int64)
    ends = np.cumsum([len(run) for run in runs])
    starts = ends - np.array([len(run) for run in runs])
    which = np.array([min(k, len(runs) - 1) for k, _ in asks], dtype=np.int64)
    wanted = np.array([w for _, w in asks], dtype=np.int64)
    got = compiled.holds(values, starts[which], ends[which], wanted)
    want = compiled.holds_reference(values, starts[which], ends[which], wanted)
    assert got.tolist() == want.tolist()
    assert want.tolist() == [
        int(w) in runs[int(k)] for k, w in zip(which.tolist(), wanted.tolist(), strict=True)
    ]
