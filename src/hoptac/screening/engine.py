"""The in-process screening engine: notices against a register, in memory.

1. Block: every register record's names give blocking keys (`blocking.person_keys`); a
   notice meets the records that share a key with it.
2. Drop pairs that no evidence could save: birth years more than a year apart, unless the
   document numbers agree (the birth-year window `score` reckons with).
3. Score names in one batch (`hoptac.names.batch.NameTable`): a pair's name score is the
   best over the notice's names and aliases against the record's names.
4. Count each notice's namesakes per name level (how common its name is in this register)
   and turn name, namesakes and evidence into a probability (`score`); keep the pairs at
   or above the threshold, with the reasons.
"""

from __future__ import annotations

import multiprocessing
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from hoptac.names import Comparison, compare
from hoptac.names.batch import NameTable
from hoptac.screening.blocking import keys_of_people, person_keys
from hoptac.screening.records import Person
from hoptac.screening.score import (
    LOWEST_NAME,
    NAME_LEVELS,
    THRESHOLD,
    YEAR_GAP,
    evidence,
    explain,
    name_factor,
    probability,
)

Progress = Callable[[int, int], None]  # (done, total) notices


@dataclass(frozen=True, slots=True)
class Hit:
    notice_id: str
    record_id: str
    score: float
    reasons: str


def _possible(notice: Person, record: Person) -> bool:
    a, b = notice.evidence, record.evidence
    if a.document and a.document == b.document:
        return True
    return a.birth is None or b.birth is None or abs(a.birth.year - b.birth.year) <= YEAR_GAP


COMMON_KEY = 512  # with DATE_SPLIT: records under one key above which it is read by date


DCODE_BITS = 25  # a birth date as yyyymmdd (0 where unknown), below a key's dense id
DATE_SPLIT = False  # prototype: common keys read only the dates that can make a hit


SHORT_KEY_BITS = 38  # keys folded to 38 bits, to sit above a birth date in one int64


def _short(keys: np.ndarray) -> np.ndarray:
    """A key folded to SHORT_KEY_BITS (a collision only adds a candidate, as a CRC's)."""
    k = keys.astype(np.uint64)
    return ((k ^ (k >> np.uint64(SHORT_KEY_BITS))) & np.uint64((1 << SHORT_KEY_BITS) - 1)).astype(
        np.int64
    )


def _dcodes(people: Sequence[Person]) -> np.ndarray:
    """yyyymmdd per person; an unknown month or day is 00, an unknown date 0."""
    out = np.zeros(len(people), dtype=np.int64)
    for i, p in enumerate(people):
        b = p.evidence.birth
        if b is not None:
            out[i] = b.year * 10000 + (b.month or 0) * 100 + (b.day or 0)
    return out


class _Index:
    """Blocking keys -> register records as sorted arrays: one entry per (key, record),
    sorted by (key, birth date, record). A notice with a birth year reads each of its keys
    only over the years its window allows (and unknown dates); with DATE_SPLIT, a key of
    more than COMMON_KEY records only at the dates that can make a hit (the notice's date,
    day and month swapped, the same year written without month or day, unknown)."""

    def __init__(self, register: Sequence[Person], workers: int = 1) -> None:
        self.register = register
        keys, owner = keys_of_people([r.names for r in register], workers)
        kid = _short(keys)
        self.years = _evidence_columns(register, "r")["year"]
        self.dcodes = _dcodes(register)
        code = (kid << DCODE_BITS) | self.dcodes[owner]
        del kid
        order = np.argsort(code, kind="stable")
        self.code = code[order]
        self.record = owner[order]
        del code, order
        self.documents: dict[str, list[int]] = defaultdict(list)
        for r, record in enumerate(register):
            if record.evidence.document:
                self.documents[record.evidence.document].append(r)

    def pairs(self, notices: Sequence[Person], workers: int = 1) -> np.ndarray:
        """[pairs, 2] (notice, record) sorted, as `_possible` and the keys allow."""
        out: list[np.ndarray] = []
        nkeys, nowner = keys_of_people([n.names for n in notices], workers)
        ndc = _dcodes(notices)
        nyears = np.where(ndc > 0, ndc // 10000, -1)
        kid = _short(nkeys)
        first = np.searchsorted(self.code, kid << DCODE_BITS)
        last = np.searchsorted(self.code, (kid + 1) << DCODE_BITS)
        found = last > first
        kid, owner, first, last = kid[found], nowner[found], first[found], last[found]
        size = last - first
        base = kid << DCODE_BITS
        known = nyears[owner] >= 0
        # a notice of unknown birth year reads the whole key; with DATE_SPLIT only its keys
        # of at most COMMON_KEY records, or else its rarest key: without a date only a
        # record that is the one of its name can be a hit, and such a record shares every
        # key of the name, the rare ones too
        whole = ~known
        if DATE_SPLIT and whole.any():
            rarest = np.full(len(notices), np.iinfo(np.int64).max, dtype=np.int64)
            np.minimum.at(rarest, owner[whole], size[whole])
            whole &= (size <= COMMON_KEY) | (size == rarest[owner])
        los, his, who = [first[whole]], [last[whole]], [owner[whole]]
        # the others read the dates their window allows (and unknown dates); with
        # DATE_SPLIT a key over COMMON_KEY records only the dates that can make a hit
        common = known & (size > COMMON_KEY) if DATE_SPLIT else np.zeros_like(known)
        window = known & ~common
        wk, wo, wy = base[window], owner[window], nyears[owner[window]]
        spans: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = [
            (wk, wk + 1, wo),  # unknown dates
            (wk + (wy - YEAR_GAP) * 10000, wk + (wy + YEAR_GAP + 1) * 10000, wo),
        ]
        ck, co, y, d = base[common], owner[common], nyears[owner[common]], ndc[owner[common]]
        spans.append((ck, ck + 1, co))  # unknown dates
        if DATE_SPLIT:
            full = d % 100 > 0
            spans.append(
                (ck[~full] + y[~full] * 10000, ck[~full] + (y[~full] + 1) * 10000, co[~full])
            )
            f_ck, f_co, f_y, f_d = ck[full], co[full], y[full], d[full]
            month, day = f_d // 100 % 100, f_d % 100
            swapped = f_y * 10000 + day * 100 + month
            ok = (day <= 12) & (day != month)
            for c, where in (
                (f_d, slice(None)),
                (swapped[ok], ok),
                (f_y * 10000 + month * 100, slice(None)),
                (f_y * 10000, slice(None)),
            ):
                spans.append((f_ck[where] + c, f_ck[where] + c + 1, f_co[where]))
        for lo_code, hi_code, o in spans:
            los.append(np.searchsorted(self.code, lo_code))
            his.append(np.searchsorted(self.code, hi_code))
            who.append(o)
        lo, hi, n = np.concatenate(los), np.concatenate(his), np.concatenate(who)
        keep = hi > lo
        lo, hi, n = lo[keep], hi[keep], n[keep]
        # expand in slices of notices to bound memory
        order = np.argsort(n, kind="stable")
        lo, hi, n = lo[order], hi[order], n[order]
        bounds = np.searchsorted(n, np.arange(0, len(notices) + 2000, 2000))
        total = len(self.register)
        for a, b in pairwise(bounds):
            if b <= a:
                continue
            lens = hi[a:b] - lo[a:b]
            count = int(lens.sum())
            shift = np.repeat(lo[a:b] - (np.cumsum(lens) - lens), lens)
            rec = self.record[shift + np.arange(count)]
            nn = np.repeat(n[a:b], lens)
            ny = nyears[nn]
            ry = self.years[rec]
            ok = (ny < 0) | (ry < 0) | (np.abs(ny - ry) <= YEAR_GAP)
            out.append(np.unique(nn[ok] * total + rec[ok]))
        flat = np.concatenate(out) if out else np.zeros(0, dtype=np.int64)
        pairs = np.stack([flat // max(total, 1), flat % max(total, 1)], axis=1)
        extra = []
        for i, notice in enumerate(notices):
            document = notice.evidence.document
            if document and document in self.documents:
                keys = person_keys(notice.names)
                extra += [
                    (i, r)
                    for r in self.documents[document]
                    if keys & person_keys(self.register[r].names)
                ]
        if extra:
            pairs = np.unique(np.concatenate([pairs, np.array(extra, dtype=np.int64)]), axis=0)
        return pairs


def candidates(
    notices: Sequence[Person],
    register: Sequence[Person],
    progress: Progress | None = None,
    workers: int = 1,
) -> list[tuple[int, int]]:
    """(notice index, record index) pairs that share a blocking key and that the birth
    year or the document number does not rule out (`_possible`)."""
    index = _Index(register, workers)
    found = index.pairs(notices, workers)
    if progress is not None:
        progress(len(notices), len(notices))
    return list(zip(found[:, 0].tolist(), found[:, 1].tolist(), strict=True))


def _key_columns(people: Sequence[Person], column: str, workers: int = 1) -> dict[str, np.ndarray]:
    keys, owners = keys_of_people([p.names for p in people], workers)
    return {"key": _short(keys), column: owners}  # as the in-process index folds them


def _evidence_columns(people: Sequence[Person], column: str) -> dict[str, np.ndarray]:
    """Birth year (-1 unknown) and a CRC of the document number (0 none) per person."""
    years = [p.evidence.birth.year if p.evidence.birth else -1 for p in people]
    documents = [
        zlib.crc32(p.evidence.document.encode()) if p.evidence.document else 0 for p in people
    ]
    return {
        column: np.arange(len(people), dtype=np.int64),
        "year": np.array(years, dtype=np.int64),
        "doc": np.array(documents, dtype=np.int64),
    }


def candidates_duckdb(
    notices: Sequence[Person],
    register: Sequence[Person],
    progress: Progress | None = None,
    workers: int = 1,
) -> list[tuple[int, int]]:
    """`candidates`, with the key join and the year filter run by DuckDB (out of core, on
    every core): the same pairs in the same order. The join is on (key, birth year), the
    notice's window unrolled, so that a common key is not joined across all years."""
    import duckdb

    con = duckdb.connect()
    try:
        con.register("notice_keys", _key_columns(notices, "n", workers))
        con.register("record_keys", _key_columns(register, "r", workers))
        con.register("notice_facts", {**_evidence_columns(notices, "n"), "dc": _dcodes(notices)})
        con.register("record_facts", {**_evidence_columns(register, "r"), "dc": _dcodes(register)})
        found = con.execute(
            """
            WITH sizes AS (SELECT key, count(*) AS size FROM record_keys GROUP BY key),
            rk AS (SELECT key, r, year, dc FROM record_keys JOIN record_facts USING (r)),
            nk AS (
                SELECT key, n, year, dc, size
                FROM notice_keys JOIN notice_facts USING (n) JOIN sizes USING (key)
            ),
            q AS (
                SELECT key, n, year AS ny, dc AS ndc, size,
                       unnest(list_concat([-1], range(year - $gap, year + $gap + 1))) AS qy
                FROM nk WHERE year >= 0
            ),
            met AS (
                SELECT n, r FROM q JOIN rk ON rk.key = q.key AND rk.year = q.qy
                WHERE NOT $split OR size <= $common OR rk.dc = 0
                   OR (ndc % 100 > 0 AND rk.dc IN (
                          ndc, ny * 10000 + (ndc % 100) * 100 + (ndc // 100) % 100,
                          ndc - ndc % 100, ny * 10000))
                   OR (ndc % 100 = 0 AND rk.year = ny)
                UNION
                SELECT n, r FROM (
                    SELECT key, n, size, min(size) OVER (PARTITION BY n) AS rarest
                    FROM nk WHERE year < 0
                ) JOIN rk USING (key)
                WHERE NOT $split OR size <= $common OR size = rarest
                UNION
                SELECT n, r FROM notice_keys JOIN record_keys USING (key)
                JOIN notice_facts a USING (n) JOIN record_facts b USING (r)
                WHERE a.doc <> 0 AND a.doc = b.doc
            )
            SELECT DISTINCT n, r FROM met ORDER BY n, r
            """,
            {"gap": YEAR_GAP, "split": DATE_SPLIT, "common": COMMON_KEY},
        ).fetchnumpy()
    finally:
        con.close()
    pairs = [
        (n, r)
        for n, r in zip(found["n"].tolist(), found["r"].tolist(), strict=True)
        if _possible(notices[n], register[r])  # exact, where a CRC of documents collided
    ]
    if progress is not None:
        progress(len(notices), len(notices))
    return pairs


def _name_slots(
    people: Sequence[Person], needed: np.ndarray, table: NameTable, rows: dict[str, int]
) -> np.ndarray:
    """[people, most names] table rows of the `needed` people's names (-1 elsewhere)."""
    width = max((len(p.names) for p in people), default=1)
    slots = np.full((len(people), width), -1, dtype=np.int64)
    for i in needed.tolist():
        for k, name in enumerate(people[i].names):
            found = rows.get(name)
            if found is None:
                found = rows[name] = table.add(name)
            slots[i, k] = found
    return slots


CHUNK = 100_000  # pairs scored between two calls of `tick`


def _name_scores(
    notices: Sequence[Person],
    register: Sequence[Person],
    index: np.ndarray,
    tick: Callable[[], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    best = np.zeros(len(index), dtype=np.float64)
    which = np.zeros(len(index), dtype=np.int64)
    if not len(index):
        return best, which
    table, rows = NameTable(), dict[str, int]()
    slots_n = _name_slots(notices, np.unique(index[:, 0]), table, rows)
    slots_r = _name_slots(register, np.unique(index[:, 1]), table, rows)
    for start in range(0, len(index), CHUNK):
        part = index[start : start + CHUNK]
        for k in range(slots_n.shape[1]):
            for j in range(slots_r.shape[1]):
                a, b = slots_n[part[:, 0], k], slots_r[part[:, 1], j]
                present = np.flatnonzero((a >= 0) & (b >= 0))
                if present.size:
                    scores = table.score(a[present], b[present])
                    at = start + present
                    better = scores > best[at]
                    best[at[better]] = scores[better]
                    which[at[better]] = k
        if tick is not None:
            tick()  # a job being stopped stops here
    return best, which


PARALLEL_PAIRS = 200_000  # fewer pairs are scored in this process
_SHARED: tuple[Sequence[Person], Sequence[Person], np.ndarray] | None = None


def _score_part(bounds: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """In a forked worker: score the pairs [start, end) of the shared batch."""
    assert _SHARED is not None
    notices, register, index = _SHARED
    return _name_scores(notices, register, index[bounds[0] : bounds[1]])


def name_scores(
    notices: Sequence[Person],
    register: Sequence[Person],
    pairs: Sequence[tuple[int, int]],
    workers: int = 1,
    tick: Callable[[], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The best name score of each pair over both sides' names, and which of the notice's
    names gave it (batch-scored; each distinct name is encoded once per worker).

    `workers` > 1 scores parts of a large batch in forked processes (copies of this one,
    its memos warm): for the command line and the bench, not from a threaded server.
    In one process, `tick()` is called after every CHUNK pairs."""
    index = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    if workers <= 1 or len(index) < PARALLEL_PAIRS:
        return _name_scores(notices, register, index, tick)
    global _SHARED
    edges = np.linspace(0, len(index), workers + 1).astype(int).tolist()
    _SHARED = (notices, register, index)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            parts = list(pool.map(_score_part, pairwise(edges)))
    finally:
        _SHARED = None
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


ENGINES = {"python": candidates, "duckdb": candidates_duckdb}


def name_levels(
    pairs: Sequence[tuple[int, int]], names: np.ndarray, which: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(level, namesakes) per pair: the NAME_LEVELS index of its name score (-1 below the
    lowest) and how many pairs of the same notice's name (`which` of its aliases) share
    that level."""
    bounds = np.array([lowest for lowest, _, _ in NAME_LEVELS])
    level = np.searchsorted(-bounds, -names)  # bounds descend
    level[names < LOWEST_NAME] = -1
    notice = np.array([n for n, _ in pairs], dtype=np.int64)
    group = (notice * (int(which.max()) + 1) + which) * (len(NAME_LEVELS) + 1) + level + 1
    _, inverse, counts = np.unique(group, return_inverse=True, return_counts=True)
    return level, counts[inverse]


def screen(
    notices: Sequence[Person],
    register: Sequence[Person],
    threshold: float = THRESHOLD,
    progress: Progress | None = None,
    engine: str = "python",
    workers: int = 1,
) -> list[Hit]:
    """Hits of `notices` in `register`, best first (ties by notice id, then record id).
    Both engines find the same candidate pairs and score them with the same functions;
    `workers` processes score the names (see `name_scores`)."""
    pairs = ENGINES[engine](notices, register, progress, workers)
    tick = None if progress is None else lambda: progress(len(notices), len(notices))
    names, which = name_scores(notices, register, pairs, workers, tick)
    levels, namesakes = name_levels(pairs, names, which) if pairs else (names, names)
    hits = []
    for (n, r), name, slot, level, count in zip(
        pairs, names, which, levels, namesakes, strict=True
    ):
        if level < 0:
            continue
        notice, record = notices[n], register[r]
        factors = [name_factor(int(level), int(count)), *evidence(notice.evidence, record.evidence)]
        chance = probability(factors)
        if chance < threshold:
            continue
        how = _best_comparison(notice.names[slot], record, float(name)).explain()
        hits.append(Hit(notice.id, record.id, chance, explain(float(name), how, factors)))
    hits.sort(key=lambda h: (-h.score, h.notice_id, h.record_id))
    return hits


def _best_comparison(name: str, record: Person, score: float) -> Comparison:
    """The comparison of the notice's `name` (the one `name_scores` found best) with the
    record's name that gave the pair's name score (for the reasons)."""
    found = [compare(name, y) for y in record.names]
    return next((c for c in found if c.score == score), found[0])
