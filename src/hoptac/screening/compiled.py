"""Compiled loops of the in-process engine (numba), each beside the numpy reference it must
equal (the tests hold them to it on generated inputs).

Why numba: the candidate pairs of a large screening are read as ranges of the key index
that overlap heavily (a record shares tens of keys with a notice of its name), and numpy can
only drop the repeats by sorting every pair read (tens of millions per slice of notices). A
loop that marks each record with the last notice that read it drops them as they come and
sorts only each notice's own records. numba compiles such loops from Python at first use
(`hoptac.jit`) and installs from PyPI wheels (numba, llvmlite) with no compiler.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from hoptac.jit import compiled

SLICE = 20_000  # notices expanded at once by the numpy reference (bounds its memory)
# Fewer entries than this go through the numpy reference, without importing numba (a
# second or two, once per process): a small screening in the app does not wait for it.
COMPILED_FROM = 200_000


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


def fold_keys(keys: np.ndarray, key_bits: int) -> np.ndarray:
    """64-bit keys folded to `key_bits` (a collision only adds a candidate, as a CRC's)."""
    k = keys.view(np.uint64) if keys.dtype.itemsize == 8 else keys.astype(np.uint64)
    k = k ^ (k >> np.uint64(key_bits))
    k &= np.uint64((1 << key_bits) - 1)
    return k.view(np.int64)


def index_reference(
    keys: np.ndarray, owner: np.ndarray, dcodes: np.ndarray, key_bits: int, date_bits: int
) -> tuple[np.ndarray, np.ndarray]:
    """The key index (`engine._Index`): entries (key folded to key_bits, record `owner`)
    sorted by key, then by the record's birth date code (`dcodes`), then by record: numpy,
    one sort of (key, record numbered in date order) packed in a uint64. Gives (key <<
    date_bits | date code, record) per entry."""
    key = fold_keys(keys, key_bits)
    records = len(dcodes)
    bits = max(records, 1).bit_length()
    by_date = np.argsort(dcodes, kind="stable")
    rank = np.empty(records, dtype=np.uint64)
    rank[by_date] = np.arange(records, dtype=np.uint64)
    packed = (key.astype(np.uint64) << np.uint64(bits)) | rank[owner]
    packed.sort()
    record = by_date[(packed & np.uint64((1 << bits) - 1)).view(np.int64)]
    code = ((packed >> np.uint64(bits)).view(np.int64) << date_bits) | dcodes[record]
    return code, record


def _pack(
    key: np.ndarray, owner: np.ndarray, rank: np.ndarray, bits: int, key_bits: int
) -> np.ndarray:  # pragma: no cover - compiled; tested against the reference
    """Each entry's key, folded as `fold_keys` folds it, above its record's date rank."""
    b = np.uint64(bits)
    packed = np.empty(len(key), dtype=np.uint64)
    low_key = np.uint64((1 << key_bits) - 1)
    for i in range(len(key)):
        k = key[i]
        packed[i] = (((k ^ (k >> np.uint64(key_bits))) & low_key) << b) | np.uint64(rank[owner[i]])
    return packed


def _unpack(
    packed: np.ndarray, dcodes: np.ndarray, by_date: np.ndarray, bits: int, date_bits: int
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled; tested against the reference
    """The sorted packed entries as (key << date_bits | date code, record), the codes in
    place of the packed entries."""
    b = np.uint64(bits)
    record = np.empty(len(packed), dtype=np.int64)
    low = np.uint64((1 << bits) - 1)
    code = packed.view(np.int64)
    for i in range(len(packed)):
        r = by_date[np.int64(packed[i] & low)]
        record[i] = r
        code[i] = (np.int64(packed[i] >> b) << date_bits) | dcodes[r]
    return code, record


def index(
    keys: np.ndarray, owner: np.ndarray, dcodes: np.ndarray, key_bits: int, date_bits: int
) -> tuple[np.ndarray, np.ndarray]:
    """`index_reference`, compiled: the keys folded and packed in one loop, sorted in
    place (numpy's SIMD sort), unpacked in place: none of numpy's temporaries."""
    if len(keys) < COMPILED_FROM:
        return index_reference(keys, owner, dcodes, key_bits, date_bits)
    records = len(dcodes)
    bits = max(records, 1).bit_length()
    by_date = np.argsort(dcodes, kind="stable")
    rank = np.empty(records, dtype=np.int64)
    rank[by_date] = np.arange(records, dtype=np.int64)
    raw = np.ascontiguousarray(keys).view(np.uint64)
    owner, dcodes = (np.ascontiguousarray(x, dtype=np.int64) for x in (owner, dcodes))
    packed = compiled(_pack)(raw, owner, rank, bits, key_bits)
    packed.sort()
    code, record = compiled(_unpack)(packed, dcodes, by_date, bits, date_bits)
    return code, record


def expand(
    lo: np.ndarray, hi: np.ndarray, n: np.ndarray, record: np.ndarray, notices: int, total: int
) -> np.ndarray:
    """`expand_reference`, compiled: each record is marked with the last notice that read
    it, so that a repeat is dropped as it comes, and only each notice's records are sorted."""
    if int((hi - lo).sum()) < COMPILED_FROM:
        return expand_reference(lo, hi, n, record, notices, total)
    as64 = (np.ascontiguousarray(x, dtype=np.int64) for x in (lo, hi, n, record))
    notice, found = compiled(_expand)(*as64, total)
    return np.stack([notice, found], axis=1)


def _within(
    code: np.ndarray, start: np.ndarray, end: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - compiled; tested against searchsorted
    first = np.empty(len(lo), dtype=np.int64)
    last = np.empty(len(lo), dtype=np.int64)
    for i in range(len(lo)):
        a = start[i]
        b = end[i]
        while a < b:
            mid = (a + b) >> 1
            if code[mid] < lo[i]:
                a = mid + 1
            else:
                b = mid
        first[i] = a
        b = end[i]  # hi >= lo: at or after lo's place
        while a < b:
            mid = (a + b) >> 1
            if code[mid] < hi[i]:
                a = mid + 1
            else:
                b = mid
        last[i] = a
    return first, last


def ranges_within(
    code: np.ndarray, start: np.ndarray, end: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`np.searchsorted(code, lo)` and `(code, hi)` (left), hi >= lo, given that each
    needle lies within the span of `code[start[i]:end[i]]` (its key's entries: `start` the
    first entry not below the span, `end` the first above it): each searched in that range
    alone, a few cache lines, not the whole index (needles in key order sweep it once)."""
    if len(lo) < COMPILED_FROM:
        return np.searchsorted(code, lo), np.searchsorted(code, hi)
    as64 = (np.ascontiguousarray(x, dtype=np.int64) for x in (code, start, end, lo, hi))
    first, last = compiled(_within)(*as64)
    return first, last


def holds_reference(
    values: np.ndarray, start: np.ndarray, end: np.ndarray, wanted: np.ndarray
) -> np.ndarray:
    """Whether `wanted[i]` is among `values[start[i]:end[i]]` (each such range ascending):
    one `searchsorted` per range."""
    found = np.zeros(len(wanted), dtype=np.bool_)
    for i, (a, b, w) in enumerate(zip(start.tolist(), end.tolist(), wanted.tolist(), strict=True)):
        at = a + int(np.searchsorted(values[a:b], w))
        found[i] = at < b and values[at] == w
    return found


def holds(values: np.ndarray, start: np.ndarray, end: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """`holds_reference`, compiled: the searches of `ranges_within` for [wanted,
    wanted + 1) in each range, which holds the value where that is not empty."""
    if len(wanted) < COMPILED_FROM // 100:  # a Python loop per range below that
        return holds_reference(values, start, end, wanted)
    as64 = [np.ascontiguousarray(x, dtype=np.int64) for x in (values, start, end, wanted)]
    first, last = compiled(_within)(*as64, as64[3] + 1)
    return last > first  # type: ignore[no-any-return]
