"""The in-process screening engine: notices against a register, in memory.

1. Block: every name gives blocking keys (`hoptac.names.blocking.keys_of_sides`); a
   notice reads, under each of its keys, only the register records whose birth date could
   still make a hit (`reads`: its date, day and month swapped, the same year written
   without day or month; the whole year window under a rare key; unknown dates only under
   a rare key), and those carrying its document number.
2. Score names in one batch (`hoptac.names.batch.NameTable`): a pair's name score is the
   best over the notice's names and aliases against the record's names.
3. Count each notice's namesakes per name level: among the pairs read, and at least the
   register's records of the name's own spelling in the year window, or in any year where a
   birth year is unknown (`Namesakes`, a table: no namesake needs reading).
4. Turn name, namesakes and evidence into a probability (`score`); keep the pairs at or
   above the threshold, with the reasons.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, TypeVar

import numpy as np

from hoptac.names import Comparison, batch, compare
from hoptac.names.batch import NameTable
from hoptac.names.blocking import Keyed, keys_of_sides
from hoptac.parallel import fork_map
from hoptac.screening import compiled
from hoptac.screening.records import Person
from hoptac.screening.score import (
    HIT_THRESHOLD,
    LIKELY,
    LOWEST_NAME,
    NAME_LEVELS,
    POSSIBLE_THRESHOLD,
    YEAR_GAP,
    Coded,
    band,
    code_evidence,
    evidence,
    explain,
    name_factor,
    probabilities,
    probability,
)

Progress = Callable[[int, int], None]  # (done, total) notices
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Hit:
    notice_id: str
    record_id: str
    score: float
    reasons: str
    band: str = LIKELY  # likely: at or above the threshold; possible: below, down to POSSIBLE
    # How many of the notice's hits share this score (1: none): records the evidence
    # cannot tell apart, reviewed together ("tell them apart by photo or document").
    rivals: int = 1


RARE_KEY = 512  # records under a key at or below which it reads records of unknown date
WINDOW_KEY = 512  # records under a key at or below which it reads the whole year window


DUCKDB_MEMORY = "3GB"  # DuckDB's own memory (joins, aggregates) before it spills

DCODE_BITS = 25  # a birth date as yyyymmdd (0 where unknown), below a key's dense id
SHORT_KEY_BITS = 38  # keys folded to 38 bits, to sit above a birth date in one int64
PACKED_BITS = 64  # a key and a record number sort packed in one uint64 (`_Index`)


def _short(keys: np.ndarray) -> np.ndarray:
    """A key folded to SHORT_KEY_BITS (a collision only adds a candidate, as a CRC's)."""
    return compiled.fold_keys(keys, SHORT_KEY_BITS)


@dataclass(frozen=True)
class Reads:
    """What each notice key reads of the register (`reads`), by birth date code (`Coded.birth`):
    `exact` (key, notice, date code) rows read the records of that key and date code;
    `years` (key, notice, year, month) rows the records of that key and year (of that month,
    or without a month, where month > 0); `whole` (key, notice) rows every record of the key.
    """

    exact: tuple[np.ndarray, np.ndarray, np.ndarray]
    years: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    whole: tuple[np.ndarray, np.ndarray]


def reads(
    kid: np.ndarray,
    owner: np.ndarray,
    size: np.ndarray,
    ndc: np.ndarray,
    wide: bool = True,
    only: np.ndarray | None = None,
) -> Reads:
    """The register records a notice's keys `kid` (of notices `owner`, shared by `size`
    records each) must read: those whose birth date could still make a hit (`score`:
    without a matching date, a name alone can only be a hit for the one record of its
    name). A notice born on a known day reads its date, its date with day and month
    swapped, its year-and-month and its year written without day or month; born in a known
    month, that month's records and the year's without a month; born in a known year, that
    year. Records of unknown birth date, and every record for a notice of unknown birth
    date, only through a rare key (of at most RARE_KEY records) or the notice's rarest:
    the one record of a name shares all of its keys, the rare ones too.

    `wide` False leaves out the year-window reads (a notice's rare keys then read as its
    common ones do); `only` (a mask over the notices) keeps the reads of those notices."""
    rarest = np.full(len(ndc), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(rarest, owner, size)
    least = size == rarest[owner]
    rare = (size <= RARE_KEY) | least
    wide_key = ((size <= WINDOW_KEY) | least) & wide
    if only is not None:
        kid, owner, rare, wide_key = (x[only[owner]] for x in (kid, owner, rare, wide_key))
    d = ndc[owner]
    blank = d == 0
    whole = rare & blank
    exact_k, exact_n, exact_d = [kid[rare & ~blank]], [owner[rare & ~blank]], [d[rare & ~blank] * 0]
    full = (d % 100 > 0) & ~wide_key
    fk, fn, fd = kid[full], owner[full], d[full]
    year, month, day = fd // 10000, fd // 100 % 100, fd % 100
    swapped = (day <= 12) & (day != month)
    for k, n, c in (
        (fk, fn, fd),
        (fk[swapped], fn[swapped], (year * 10000 + day * 100 + month)[swapped]),
        (fk, fn, year * 10000 + month * 100),
        (fk, fn, year * 10000),
    ):
        exact_k.append(k)
        exact_n.append(n)
        exact_d.append(c)
    part = ~blank & ~full & ~wide_key & rare
    known = wide_key & ~blank  # reads the whole year window
    wk, wn, wy = kid[known], owner[known], d[known] // 10000
    years_k = [kid[part], *([wk] * (2 * YEAR_GAP + 1))]
    years_n = [owner[part], *([wn] * (2 * YEAR_GAP + 1))]
    years_y = [d[part] // 10000, *(wy + gap for gap in range(-YEAR_GAP, YEAR_GAP + 1))]
    years_m = [d[part] // 100 % 100, *([wy * 0] * (2 * YEAR_GAP + 1))]
    return Reads(
        (np.concatenate(exact_k), np.concatenate(exact_n), np.concatenate(exact_d)),
        tuple(np.concatenate(x) for x in (years_k, years_n, years_y, years_m)),  # type: ignore[arg-type]
        (kid[whole], owner[whole]),
    )


def _ranges(haystack: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.searchsorted(haystack, lo)` and `(haystack, hi)`, needles looked up in the
    ascending order of `lo` (each search then starts where the last ended: several times
    faster on a large haystack; `hi` lies just above `lo`, in nearly the same order)."""
    order = np.argsort(lo)
    first = np.empty(len(lo), dtype=np.int64)
    last = np.empty(len(lo), dtype=np.int64)
    first[order] = np.searchsorted(haystack, lo[order])
    last[order] = np.searchsorted(haystack, hi[order])
    return first, last


def _spans(start: np.ndarray, size: np.ndarray) -> np.ndarray:
    """The indexes `start[i]:start[i] + size[i]` of every i, one after another."""
    total = int(size.sum())
    return np.repeat(start - np.r_[0, np.cumsum(size)[:-1]], size) + np.arange(total)


class _Index:
    """Blocking keys -> register records as one sorted array: (key, birth date code) per
    (key, record), so that a notice reads each of its keys only over the dates `reads`
    allows, by `searchsorted`."""

    def __init__(
        self, register: Sequence[Person], keyed: Keyed, dcodes: np.ndarray, documents: np.ndarray
    ) -> None:
        self.register = register
        self.dcodes = dcodes
        bits = max(len(register), 1).bit_length()
        if SHORT_KEY_BITS + bits <= PACKED_BITS:
            # One sort of (key, record numbered in birth-date order) packed in a uint64:
            # within a key, the records come out in date order, as (key, date) would sort
            # them (ties in any order: the pairs come out sorted anyway).
            self.code, self.record = compiled.index(
                keyed.keys, keyed.owner, dcodes, SHORT_KEY_BITS, DCODE_BITS
            )
        else:  # a register too large to pack: (key, date) sorted, then gathered
            code = (_short(keyed.keys) << DCODE_BITS) | dcodes[keyed.owner]
            order = np.argsort(code, kind="stable")  # records ascending within a code
            self.code = code[order]
            self.record = keyed.owner[order]
            del code, order
        # the records by document number (`Coded.document` ids; 0: none), for `pairs`
        self.by_document = np.argsort(documents, kind="stable")
        self.documents = documents[self.by_document]

    def pairs(
        self,
        notices: Sequence[Person],
        keyed: Keyed,
        coded: Coded,
        wide: bool = True,
        only: np.ndarray | None = None,
    ) -> np.ndarray:
        """[pairs, 2] (notice, record) sorted: what `reads` lets through (the notices'
        evidence `coded`: born on `coded.birth`), and records carrying a notice's document
        number under a shared key."""
        ndc = coded.birth
        kid, owner = _short(keyed.keys), keyed.owner
        if only is not None:  # the keys of those notices only
            kid, owner = kid[only[owner]], owner[only[owner]]
        first, last = _ranges(self.code, kid << DCODE_BITS, (kid + 1) << DCODE_BITS)
        found = last > first
        # in key order, so that the searches below sweep the index once per kind of read
        order = np.flatnonzero(found)[np.argsort(kid[found], kind="stable")]
        kid, owner, first, last = kid[order], owner[order], first[order], last[order]
        # what each key reads, by its place k here: searched within the key's entries
        want = reads(np.arange(len(kid)), owner, last - first, ndc, wide)

        def within(k: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, ...]:
            key = kid[k] << DCODE_BITS
            return compiled.ranges_within(self.code, first[k], last[k], key + lo, key + hi)

        los, his, who = [], [], []
        k, n, c = want.exact
        lo, hi = within(k, c, c + 1)
        los.append(lo)
        his.append(hi)
        who.append(n)
        k, n, year, month = want.years
        base = year * 10000
        in_month = month > 0
        lo = base + month * 100
        lo, hi = within(k, np.where(in_month, lo, base), np.where(in_month, lo + 100, base + 10000))
        los.append(lo)
        his.append(hi)
        who.append(n)
        lo, hi = within(k[in_month], base[in_month], base[in_month] + 1)  # the year, no month
        los.append(lo)
        his.append(hi)
        who.append(n[in_month])
        k, n = want.whole
        los.append(first[k])
        his.append(last[k])
        who.append(n)
        lo, hi, n = np.concatenate(los), np.concatenate(his), np.concatenate(who)
        keep = hi > lo
        lo, hi, n = lo[keep], hi[keep], n[keep]
        order = np.argsort(n, kind="stable")  # each notice's ranges together
        pairs = compiled.expand(
            lo[order], hi[order], n[order], self.record, len(notices), max(len(self.register), 1)
        )
        more = self._same_document(keyed, coded.document, only)
        if len(more):  # few: merged as (notice, record) codes
            total = max(len(self.register), 1)
            flat = np.concatenate(
                [pairs[:, 0] * total + pairs[:, 1], more[:, 0] * total + more[:, 1]]
            )
            flat.sort(kind="stable")  # a sorted run and a few more: a merge
            flat = flat[np.r_[True, flat[1:] != flat[:-1]]]
            pairs = np.stack([flat // total, flat % total], axis=1)
        return pairs

    def _same_document(
        self, keyed: Keyed, documents: np.ndarray, only: np.ndarray | None
    ) -> np.ndarray:
        """[pairs, 2] (notice, record): the records that carry a notice's document number
        (`Coded.document` ids) and share one of its keys, as the index holds them (under
        the key and the record's birth date)."""
        asking = documents > 0 if only is None else (documents > 0) & only
        notice = np.flatnonzero(asking)
        lo = np.searchsorted(self.documents, documents[notice], side="left")
        hi = np.searchsorted(self.documents, documents[notice], side="right")
        size = hi - lo
        notice = np.repeat(notice, size)
        record = self.by_document[_spans(lo, size)]  # ascending per notice: a stable sort
        # each (notice, record) against each key of the notice (`Keyed`: by owner)
        key_start = np.searchsorted(keyed.owner, np.arange(len(documents) + 1))
        many = key_start[notice + 1] - key_start[notice]
        pair = np.repeat(np.arange(len(notice)), many)
        key = _short(keyed.keys[_spans(key_start[notice], many)])
        code = (key << DCODE_BITS) | self.dcodes[record[pair]]
        first = np.searchsorted(self.code, code, side="left")
        last = np.searchsorted(self.code, code, side="right")
        # the index's records under that key and date (ascending: numbered in date order,
        # or a stable sort) hold the pair's record? searched, not read one by one: a common
        # key's records of unknown date are many
        shares = compiled.holds(self.record, first, last, record[pair])
        found = np.unique(pair[shares])
        return np.stack([notice[found], record[found]], axis=1)


class Keys:
    """The notices' and the register's keys (`hoptac.names.blocking.keys_of_sides`) and
    evidence (`score.code_evidence`: birth dates, documents...), and what the engines and
    the namesake count build from them, built once for the passes of one screening."""

    def __init__(
        self, notices: Keyed, register: Keyed, evidence: list[Coded], table: NameTable
    ) -> None:
        self.name_table = table  # every name of both sides (`Keyed.names` index it)
        self.notices = notices
        self.register = register
        self.evidence = evidence[0], evidence[1]  # the notices', the register's
        self.notice_dates = evidence[0].birth
        self.register_dates = evidence[1].birth
        self._table: Namesakes | None = None
        self._index: _Index | None = None
        self._duckdb: Any = None  # (connection, notice keys with their sizes)

    def index(self, register: Sequence[Person]) -> _Index:
        """The in-process engine's index (then the register's key arrays are let go: the
        index holds them, sorted)."""
        if self._index is None:
            documents = self.evidence[1].document
            self._index = _Index(register, self.register, self.register_dates, documents)
            self.register = Keyed(None, None, self.register.canons, self.register.names)
        return self._index

    def duckdb(self, notices: Sequence[Person], register: Sequence[Person]) -> Any:
        """The DuckDB engine's connection, with the keys, dates and documents registered,
        and each notice key's size in the register."""
        if self._duckdb is None:
            import duckdb

            nk, rk, rdc = self.notices, self.register, self.register_dates
            con = duckdb.connect()
            # DuckDB's joins spill to disk past this: the process holds the register's
            # keys (scanned in place) and its NameTable besides.
            con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
            # (key, record, date code) per register key, the narrowest types that hold
            # them: 73M rows at 1M records; the register's own key arrays are let go.
            register_keys = {
                "key": _short(rk.keys),
                "r": rk.owner.astype(np.int32),
                "dc": rdc[rk.owner].astype(np.int32),
            }
            self.register = Keyed(None, None, rk.canons, rk.names)
            del rk
            con.register("rk", register_keys)
            con.execute("CREATE VIEW rky AS SELECT *, dc // 10000 AS year FROM rk")
            con.register("nk", {"key": _short(nk.keys), "n": nk.owner})
            ndoc, rdoc = (e.document for e in self.evidence)  # ids shared by both sides
            con.register("ndoc", {"n": np.arange(len(notices)), "doc": ndoc})
            con.register("rdoc", {"r": np.arange(len(register)), "doc": rdoc})
            sized = con.execute(
                "SELECT nk.key, nk.n, s.size FROM nk JOIN "
                "(SELECT key, count(*) AS size FROM rk GROUP BY key) s USING (key) "
                "ORDER BY nk.n, nk.key"
            ).fetchnumpy()
            self._duckdb = (con, sized)
        return self._duckdb

    def table(self) -> Namesakes:
        """The register's namesake table."""
        if self._table is None:
            self._table = Namesakes(self.register.canons, self.register_dates)
        return self._table

    def close(self) -> None:
        if self._duckdb is not None:
            self._duckdb[0].close()
            self._duckdb = None


def _keyed(
    notices: Sequence[Person], register: Sequence[Person], workers: int, keys: Keys | None
) -> Keys:
    if keys is not None:
        return keys
    table = NameTable()
    notice_keys, register_keys = keys_of_sides(
        [[n.names for n in notices], [r.names for r in register]], workers, table
    )
    return Keys(
        notice_keys,
        register_keys,
        code_evidence([n.evidence for n in notices], [r.evidence for r in register]),
        table,
    )


def candidates(
    notices: Sequence[Person],
    register: Sequence[Person],
    progress: Progress | None = None,
    workers: int = 1,
    keys: Keys | None = None,
    wide: bool = True,
    only: np.ndarray | None = None,
) -> np.ndarray:
    """[pairs, 2] (notice index, record index), sorted: the pairs that share a blocking key
    and whose birth dates could make a hit (`reads`), or that share a document number.
    `wide` and `only` as `reads` takes them."""
    prepared = _keyed(notices, register, workers, keys)
    index = prepared.index(register)

    def part(start: int, end: int) -> np.ndarray:
        mine = np.zeros(len(notices), dtype=bool)
        mine[start:end] = True
        if only is not None:
            mine &= only
        return index.pairs(notices, prepared.notices, prepared.evidence[0], wide, mine)

    if workers > 1 and len(notices) >= PARALLEL_NOTICES:
        found = np.concatenate(_forked(part, len(notices), workers))  # sorted: by notice
    else:
        found = index.pairs(notices, prepared.notices, prepared.evidence[0], wide, only)
    if progress is not None:
        progress(len(notices), len(notices))
    return found


def candidates_duckdb(
    notices: Sequence[Person],
    register: Sequence[Person],
    progress: Progress | None = None,
    workers: int = 1,
    keys: Keys | None = None,
    wide: bool = True,
    only: np.ndarray | None = None,
) -> np.ndarray:
    """`candidates`, with the joins run by DuckDB (out of core, on every core): the same
    pairs in the same order. Each read of `reads` is an equality join on (key, date code)
    or (key, year), so that a common key is never joined across all its records."""
    prepared = _keyed(notices, register, workers, keys)
    try:
        con, sized = prepared.duckdb(notices, register)
        want = reads(sized["key"], sized["n"], sized["size"], prepared.notice_dates, wide, only)
        k, n, c = want.exact
        con.register("q_exact", {"key": k, "n": n, "dc": c})
        k, n, year, month = want.years
        con.register("q_years", {"key": k, "n": n, "year": year, "month": month})
        k, n = want.whole
        con.register("q_whole", {"key": k, "n": n})
        found = con.execute(
            """
            SELECT n, r FROM q_exact JOIN rk USING (key, dc)
            UNION
            SELECT n, r FROM q_years q JOIN rky USING (key, year)
            WHERE q.month = 0 OR rky.dc // 100 % 100 IN (0, q.month)
            UNION
            SELECT n, r FROM q_whole JOIN rk USING (key)
            """
        ).fetchnumpy()
        shared = con.execute(
            """
            SELECT DISTINCT n, r FROM ndoc JOIN rdoc USING (doc) JOIN nk USING (n)
            JOIN rk USING (r, key) WHERE doc <> 0
            """
        ).fetchall()
    finally:
        if keys is None:
            prepared.close()
    same = [(n, r) for n, r in shared if only is None or only[n]]  # document ids are exact
    flat = np.concatenate(
        [
            found["n"].astype(np.int64) * len(register) + found["r"].astype(np.int64),
            np.array([n * len(register) + r for n, r in same], dtype=np.int64),
        ]
    )
    flat = np.unique(flat)
    total = max(len(register), 1)
    pairs = np.stack([flat // total, flat % total], axis=1)
    if progress is not None:
        progress(len(notices), len(notices))
    return pairs


CHUNK = 100_000  # pairs scored between two calls of `tick`


def _name_scores(
    keys: Keys, index: np.ndarray, tick: Callable[[], None] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    best = np.zeros(len(index), dtype=np.float64)
    which = np.zeros(len(index), dtype=np.int64)
    if not len(index):
        return best, which
    table, slots_n, slots_r = keys.name_table, keys.notices.names, keys.register.names
    for start in range(0, len(index), CHUNK):
        part = index[start : start + CHUNK]
        for k in range(slots_n.shape[1]):
            for j in range(slots_r.shape[1]):
                a, b = slots_n[part[:, 0], k], slots_r[part[:, 1], j]
                present = np.flatnonzero((a >= 0) & (b >= 0))
                if present.size:
                    scores = table.score(a[present], b[present], floor=LOWEST_NAME)
                    at = start + present
                    better = scores > best[at]
                    best[at[better]] = scores[better]
                    which[at[better]] = k
        if tick is not None:
            tick()  # a job being stopped stops here
    return best, which


PARALLEL_PAIRS = 200_000  # fewer pairs are scored in this process
PARALLEL_NOTICES = 20_000  # fewer notices read their candidates in this process
PARALLEL_HITS = 5_000  # fewer hits are explained in this process


def _forked(task: Callable[[int, int], T], total: int, workers: int) -> list[T]:
    """`task(start, end)` over `workers` consecutive slices of range(total), each in a
    forked process (`parallel.fork_map`)."""
    edges = np.linspace(0, total, workers + 1).astype(int).tolist()
    return fork_map(lambda bounds: task(*bounds), pairwise(edges), workers)


def _score_part(keys: Keys, index: np.ndarray, start: int, end: int) -> tuple[np.ndarray, ...]:
    """In a forked worker: score the pairs [start, end) of the batch; hand back the
    syllable-pair scores it computed too."""
    batch.keep_new_scores()
    return (*_name_scores(keys, index[start:end]), *batch.new_scores())


def name_scores(
    keys: Keys,
    pairs: np.ndarray,
    workers: int = 1,
    tick: Callable[[], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The best name score of each pair over both sides' names (those of `keys.name_table`),
    and which of the notice's names gave it; a score below LOWEST_NAME may be given as 0.

    A large batch first scores every syllable pair of the table that can meet
    (`batch.learn_meetings`). `workers` > 1 scores parts of a large batch in forked
    processes (copies of this one, its memos warm, which learns the syllable-pair scores
    they compute): for the command line and the bench, not from a threaded server. In one
    process, `tick()` is called after every CHUNK pairs."""
    index = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    if len(index) < PARALLEL_PAIRS:
        return _name_scores(keys, index, tick)
    batch.learn_meetings(workers)  # fewer syllable pairs than a large batch meets
    if workers <= 1:
        return _name_scores(keys, index, tick)
    keys.name_table.pack()  # before the fork, once for all workers
    parts = _forked(lambda start, end: _score_part(keys, index, start, end), len(index), workers)
    for part in parts:
        batch.learn_scores(part[2], part[3])
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


ENGINES = {"python": candidates, "duckdb": candidates_duckdb}


class Namesakes:
    """How many register records carry a name, by birth year: a table of the records'
    canons (`hoptac.names.blocking.Keyed.canons`: spellings blind to script, order and
    spacing), so that a name's frequency is known without reading its namesakes (`reads`
    skips most)."""

    YEAR_BITS = 13  # a birth year as year - 1799 (0 where unknown), below a canon

    def __init__(self, canons: np.ndarray, dcodes: np.ndarray) -> None:
        years = self._years(dcodes)
        codes = (canons.reshape(len(canons), -1) << self.YEAR_BITS) | years[:, None]
        codes = np.where(canons.reshape(len(canons), -1) >= 0, codes, -1)
        codes.sort(axis=1)  # each record's codes once: its two canons may be one
        fresh = np.ones_like(codes, dtype=bool)
        fresh[:, 1:] = codes[:, 1:] != codes[:, :-1]
        self.codes = np.sort(codes[fresh & (codes >= 0)])

    @classmethod
    def _years(cls, dcodes: np.ndarray) -> np.ndarray:
        return np.where(dcodes > 0, np.clip(dcodes // 10000 - 1799, 1, (1 << cls.YEAR_BITS) - 1), 0)

    def _range(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.codes, hi) - np.searchsorted(self.codes, lo)

    def count(self, canons: np.ndarray, dcodes: np.ndarray, any_year: np.ndarray) -> np.ndarray:
        """Per query: the records whose canon is one of `canons` [queries, 2] (the most for
        one of the two), born in the year window of `dcodes` (YEAR_GAP either side) or of
        unknown year; born in any year where `any_year`."""
        years = self._years(dcodes)
        best = np.zeros(len(canons), dtype=np.int64)
        for column in canons.T:
            base = column << self.YEAR_BITS
            found = np.where(
                any_year,
                self._range(base, base + (1 << self.YEAR_BITS)),
                self._range(base, base + 1)
                + self._range(base + years - YEAR_GAP, base + years + YEAR_GAP + 1),
            )
            best = np.maximum(best, np.where(column >= 0, found, 0))
        return best


def name_levels(
    pairs: np.ndarray, names: np.ndarray, which: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(level, namesakes) per pair: the NAME_LEVELS index of its name score (-1 below the
    lowest) and how many pairs of the same notice's name (`which` of its aliases) share
    that level."""
    bounds = np.array([lowest for lowest, _, _ in NAME_LEVELS])
    level = np.searchsorted(-bounds, -names)  # bounds descend
    level[names < LOWEST_NAME] = -1
    group = (pairs[:, 0] * (int(which.max()) + 1) + which) * (len(NAME_LEVELS) + 1) + level + 1
    if int(group.max()) < 8 * len(group) + (1 << 20):  # few groups for the pairs: count them
        return level, np.bincount(group)[group]
    _, inverse, counts = np.unique(group, return_inverse=True, return_counts=True)
    return level, counts[inverse]


def namesakes(
    keys: Keys,
    pairs: np.ndarray,
    names: np.ndarray,
    which: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(level, namesakes) per pair: `name_levels` over the pairs read, and at least the
    register's records of the notice name's own spelling (`Namesakes`), in its year window
    or, where a birth year is unknown on either side, in any year."""
    level, counted = name_levels(pairs, names, which)
    ndc, rdc = keys.notice_dates, keys.register_dates
    n, r = pairs[:, 0], pairs[:, 1]
    # The table's count depends on the notice, its name and whether the record's birth
    # year is unknown: counted once for each of those of the notices paired, not per pair.
    paired = np.zeros(len(ndc), dtype=bool)
    paired[n] = True
    ids = np.flatnonzero(paired)
    slot = np.zeros(len(ndc), dtype=np.int64)
    slot[ids] = np.arange(len(ids))
    canons = keys.notices.canons[ids]  # [notices paired, names, 2]
    floors = np.empty((len(ids), canons.shape[1], 2), dtype=np.int64)
    for name in range(canons.shape[1]):
        for unknown in (0, 1):
            floors[:, name, unknown] = keys.table().count(
                canons[:, name], ndc[ids], (ndc[ids] == 0) | bool(unknown)
            )
    floor = floors[slot[n], which, (rdc[r] == 0).astype(np.int64)]
    return level, np.maximum(counted, floor)


def _potential(
    notices: Sequence[Person],
    register: Sequence[Person],
    keys: Keys,
    pairs: np.ndarray,
    names: np.ndarray,
    which: np.ndarray,
    threshold: float,
) -> np.ndarray:
    """A mask of the notices with a pair that could still be a hit: its namesakes so far
    (those read, and the table's) can only grow with more reads, its odds only fall."""
    level, counted = namesakes(keys, pairs, names, which)
    mask = np.zeros(len(notices), dtype=bool)
    mask[pairs[_likely(keys, pairs, level, counted, threshold), 0]] = True
    return mask


SLACK = 1e-9  # `probabilities` is exact; a hair of slack keeps it a superset regardless


def _likely(
    keys: Keys,
    pairs: np.ndarray,
    level: np.ndarray,
    counted: np.ndarray,
    threshold: float,
) -> np.ndarray:
    """Indexes of the pairs (with their name levels and namesakes, `namesakes`) whose
    chance (`score.probabilities`, over arrays) reaches the threshold."""
    at = np.flatnonzero(level >= 0)
    a, b = keys.evidence
    chance = probabilities(level[at], counted[at], a, b, pairs[at, 0], pairs[at, 1])
    found: np.ndarray = at[chance >= threshold - SLACK]
    return found


def _scored_pairs(
    notices: Sequence[Person],
    register: Sequence[Person],
    engine: str,
    keys: Keys,
    threshold: float,
    progress: Progress | None,
    workers: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pairs, name scores, which notice name) of everything `reads` reads. In two passes,
    with the same outcome as one: first without the year-window reads (the pairs that can
    be hits); then the window reads, which only count namesakes, of the notices with a
    pair that could still be a hit."""
    tick = None if progress is None else lambda: progress(len(notices), len(notices))
    find = ENGINES[engine]
    learned = None
    if workers > 1 and len(register) >= PARALLEL_PAIRS:
        # the syllable pairs that can meet, scored while the first pass builds its index
        learned = batch.start_learning_meetings(workers)
    try:
        first = find(notices, register, progress, workers, keys, False)
    finally:
        if learned is not None:  # also on a failure: the process is waited for, not left
            learned()
    names, which = name_scores(keys, first, workers, tick)
    if not len(first):
        return first, names, which
    only = _potential(notices, register, keys, first, names, which, threshold)
    more = find(notices, register, None, workers, keys, True, only)
    total = max(len(register), 1)
    seen = first[:, 0] * total + first[:, 1]  # ascending: both passes come sorted
    extra = more[:, 0] * total + more[:, 1]
    at = np.searchsorted(seen, extra)
    known = at < len(seen)
    known[known] = seen[at[known]] == extra[known]
    more, extra = more[~known], extra[~known]
    if not len(more):
        return first, names, which
    more_names, more_which = name_scores(keys, more, workers, tick)
    pairs = np.concatenate([first, more])
    order = np.argsort(np.concatenate([seen, extra]), kind="stable")  # merges two runs
    return (
        pairs[order],
        np.concatenate([names, more_names])[order],
        np.concatenate([which, more_which])[order],
    )


def screen(
    notices: Sequence[Person],
    register: Sequence[Person],
    threshold: float = HIT_THRESHOLD,
    progress: Progress | None = None,
    engine: str = "python",
    workers: int = 1,
    possible: float | None = POSSIBLE_THRESHOLD,
) -> list[Hit]:
    """Hits of `notices` in `register`, best first (ties by notice id, then record id):
    band `likely` at or above `threshold`, `possible` below it down to `possible` (None:
    no such band), each with the number of the notice's hits that share its score
    (`rivals`). Both engines find the same candidate pairs and score them with the same
    functions; `workers` > 1 shares the work of a large screening among forked processes
    (`_forked`)."""
    floor = min(threshold, possible) if possible is not None else threshold
    keys = _keyed(notices, register, workers, None)
    try:
        pairs, names, which = _scored_pairs(
            notices, register, engine, keys, floor, progress, workers
        )
    finally:
        keys.close()
    if not len(pairs):
        return []
    levels, counts = namesakes(keys, pairs, names, which)
    likely = _likely(keys, pairs, levels, counts, floor)

    def part(start: int, end: int) -> list[Hit]:
        hits = []
        for i in likely[start:end].tolist():
            n, r = int(pairs[i, 0]), int(pairs[i, 1])
            notice, record = notices[n], register[r]
            factors = [
                name_factor(int(levels[i]), int(counts[i])),
                *evidence(notice.evidence, record.evidence),
            ]
            chance = probability(factors)
            if chance < floor:
                continue
            name = float(names[i])
            how = _best_comparison(notice.names[int(which[i])], record, name).explain()
            reasons = explain(name, how, factors)
            hits.append(Hit(notice.id, record.id, chance, reasons, band(chance, threshold)))
        return hits

    if workers > 1 and len(likely) >= PARALLEL_HITS:
        hits = [hit for found in _forked(part, len(likely), workers) for hit in found]
    else:
        hits = part(0, len(likely))
    return rival_groups(hits)


TIE = 1e-9  # scores this close are one score: the evidence tells the records apart no more


def rival_groups(hits: list[Hit]) -> list[Hit]:
    """The hits best first (ties by notice id, then record id), each with the number of its
    notice's hits whose score ties with its own (`rivals`): a planted record and its
    namesakes born the same day reach the queue together, neither dropped."""
    hits = sorted(hits, key=lambda h: (-h.score, h.notice_id, h.record_id))
    by_notice: dict[str, list[int]] = {}
    for i, hit in enumerate(hits):
        by_notice.setdefault(hit.notice_id, []).append(i)
    out = list(hits)
    for rows in by_notice.values():
        start = 0
        while start < len(rows):  # the notice's hits, best first: runs of equal scores
            end = start + 1
            top = hits[rows[start]].score
            while end < len(rows) and top - hits[rows[end]].score <= TIE * max(top, 1.0):
                end += 1
            if end - start > 1:
                for i in rows[start:end]:
                    out[i] = dataclasses.replace(hits[i], rivals=end - start)
            start = end
    return out


def _best_comparison(name: str, record: Person, score: float) -> Comparison:
    """The comparison of the notice's `name` (the one `name_scores` found best) with the
    record's name that gave the pair's name score (for the reasons)."""
    found = [compare(name, y) for y in record.names]
    return next((c for c in found if c.score == score), found[0])
