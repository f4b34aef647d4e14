"""The engine's compiled loops (`hoptac.screening.compiled`, numba) give exactly what their
numpy references give, on generated inputs of every shape: empty ranges, repeats across a
notice's ranges, notices without ranges, one record read by many notices."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoptac.screening import compiled


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
