"""Compiled loops of the in-process engine (numba), each beside the numpy reference it must
equal (the tests hold them to it on generated inputs).

Why numba: the candidate pairs of a large screening are read as ranges of the key index
that overlap heavily (a record shares tens of keys with a notice of its name), and numpy can
only drop the repeats by sorting every pair read (tens of millions per slice of notices). A
loop that marks each record with the last notice that read it drops them as they come and
sorts only each notice's own records. numba compiles such loops from Python at first use
(cached on disk) and installs from PyPI wheels (numba, llvmlite) with no compiler.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np

SLICE = 20_000  # notices expanded at once by the numpy reference (bounds its memory)


def expand_reference(
    lo: np.ndarray, hi: np.ndarray, n: np.ndarray, record: np.ndarray, notices: int, total: int
) -> np.ndarray:
    """The (notice, record) pairs, sorted and each once, of the index ranges [lo, hi) read
    for notice n (each notice's rows together, notices ascending), `record` the index's
    record per entry: numpy, a sort of every pair read."""
    bounds = np.searchsorted(n, np.arange(0, notices + SLICE, SLICE))
    out: list[np.ndarray] = []
    for a, b in pairwise(bounds):
        if b <= a:
            continue
        lens = hi[a:b] - lo[a:b]
        count = int(lens.sum())
        if not count:
            continue
        shift = np.repeat(lo[a:b] - (np.cumsum(lens) - lens), lens)
        rec = record[shift + np.arange(count)]
        flat = np.repeat(n[a:b], lens) * total + rec
        flat.sort()
        out.append(flat[np.r_[True, flat[1:] != flat[:-1]]])
    flat = np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
    return np.stack([flat // total, flat % total], axis=1)


def _expand(
    lo: np.ndarray, hi: np.ndarray, n: np.ndarray, record: np.ndarray, total: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled; tested against the reference
    seen = np.full(total, -1, dtype=np.int64)  # the last notice that read each record
    count = 0
    for i in range(len(lo)):  # first the size of the output
        for j in range(lo[i], hi[i]):
            r = record[j]
            if seen[r] != n[i]:
                seen[r] = n[i]
                count += 1
    seen[:] = -1
    notice = np.empty(count, dtype=np.int64)
    found = np.empty(count, dtype=np.int64)
    at = 0
    start = 0
    for i in range(len(lo)):
        if i > 0 and n[i] != n[i - 1]:
            found[start:at].sort()  # the notice before's records, ascending
            start = at
        for j in range(lo[i], hi[i]):
            r = record[j]
            if seen[r] != n[i]:
                seen[r] = n[i]
                notice[at] = n[i]
                found[at] = r
                at += 1
    found[start:at].sort()
    return notice, found


_KERNELS: dict[str, Any] = {}


def _compiled(name: str) -> Any:
    """The loop `name` of this module compiled, on first use (numba's import alone takes a
    second or two: the app and the tests that never screen a register do without it)."""
    kernel = _KERNELS.get(name)
    if kernel is None:
        from numba import njit

        kernel = _KERNELS[name] = njit(cache=True, nogil=True)(globals()[name])
    return kernel


def expand(
    lo: np.ndarray, hi: np.ndarray, n: np.ndarray, record: np.ndarray, notices: int, total: int
) -> np.ndarray:
    """`expand_reference`, compiled: each record is marked with the last notice that read
    it, so that a repeat is dropped as it comes, and only each notice's records are sorted."""
    del notices  # the reference's slices only
    as64 = (np.ascontiguousarray(x, dtype=np.int64) for x in (lo, hi, n, record))
    notice, found = _compiled("_expand")(*as64, total)
    return np.stack([notice, found], axis=1)
