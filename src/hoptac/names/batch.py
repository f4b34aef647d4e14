"""Score many name pairs at once: the screening path.

`compare` aligns two names in Python and explains the result; screening scores millions
of candidate pairs and needs only the score. Here every name is encoded once into a
`NameTable` row (syllable ids, its part layout, which syllables are optional Vietnamese
middle names, and its whole-part form). `NameTable.score` then scores a batch of row pairs
with numpy:

- each distinct pair of syllables is scored once by the same memoised `syllable_score`
  that `compare` uses;
- pairs are grouped by the layouts of their two names, so that within a group the part
  rotations, the alignment (the same Needleman-Wunsch recurrence and traceback as
  `compare`) and the unmatched-syllable weights are array operations over all its pairs;
- pairs still below the threshold are scored again on their whole-part forms.

The arithmetic is done in the same order as `compare`, so the scores are equal to the
last bit (the tests hold the two to it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, TypeVar

import numpy as np
import numpy.typing as npt

from hoptac.jit import compiled, is_compiled
from hoptac.names.bulk import Assembled, layout_of_code
from hoptac.names.fold import fold
from hoptac.names.match import (
    _MIDDLE_NAMES,
    MATCH_THRESHOLD,
    MIDDLE_MISSING,
    _syllable_score,
    prepare,
)
from hoptac.names.meet import meeting_codes
from hoptac.names.parse import LATIN, ParsedName
from hoptac.parallel import fork_map, fork_start

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

_ID_BITS = 32  # a syllable-pair code is (id_a << 32) | id_b

K = TypeVar("K", bound=Hashable)


class _Interner(Generic[K]):
    """Dense ids for values, in step with the list of values; safe across threads."""

    def __init__(self) -> None:
        self.ids: dict[K, int] = {}
        self.values: list[K] = []
        self._lock = threading.Lock()

    def __call__(self, value: K) -> int:
        found = self.ids.get(value)
        if found is None:
            with self._lock:
                found = self.ids.get(value)
                if found is None:
                    found = len(self.values)
                    self.values.append(value)
                    self.ids[value] = found
        return found


_syllable_interner: _Interner[tuple[str, str]] = _Interner()
_syllables = _syllable_interner.values


_score_uncached = _syllable_score.__wrapped__  # the pair memo is the cache here


def _pair_score(code: int) -> float:
    (ta, sa), (tb, sb) = _syllables[code >> _ID_BITS], _syllables[code & 0xFFFFFFFF]
    return _score_uncached(ta, sa, tb, sb)[0]


def _score_codes(codes: Ints) -> Floats:
    """`_pair_score` of each syllable-pair code."""
    return np.array([_pair_score(int(c)) for c in codes], dtype=np.float64)


@dataclass(frozen=True)
class Layout:
    """How a name's syllables fall into parts, and the orders `compare` tries. Interned:
    one instance per layout, so its derived values are computed once."""

    sizes: tuple[int, ...]  # syllables per part
    family_known: bool

    @cached_property
    def length(self) -> int:
        return sum(self.sizes)

    @cached_property
    def parts(self) -> int:
        return len(self.sizes)

    @cached_property
    def part_of(self) -> tuple[int, ...]:
        return tuple(p for p, size in enumerate(self.sizes) for _ in range(size))

    @cached_property
    def middle(self) -> tuple[bool, ...]:
        return tuple(0 < p < self.parts - 1 for p in self.part_of)

    @cached_property
    def orders(self) -> list[list[int]]:
        """Syllable positions in written order and, unless the family name is known, in
        every rotation of the parts (as `match._orders`)."""
        starts = [sum(self.sizes[:p]) for p in range(self.parts)]
        spans = [list(range(s, s + n)) for s, n in zip(starts, self.sizes, strict=True)]
        if self.family_known or self.parts < 2:
            return [list(range(self.length))]
        return [[i for span in spans[k:] + spans[:k] for i in span] for k in range(self.parts)]


_layout_id: _Interner[Layout] = _Interner()
_layouts = _layout_id.values


@dataclass(frozen=True, slots=True)
class _Row:
    ids: tuple[int, ...]
    optional: tuple[bool, ...]  # an optional middle name in a middle part
    layout: int


# A parsed name as plain values, the same in every process (picklable): its syllables as
# (text, script), its part sizes, whether the family name is known, and which syllables
# are optional middle names.
Plain = tuple[tuple[tuple[str, str], ...], tuple[int, ...], bool, tuple[bool, ...]]
# A name and its whole-part form (None where that is the name itself).
Encoded = tuple[Plain, Plain | None]


def _plain(parsed: ParsedName) -> Plain:
    sizes = tuple(len(p) for p in parsed.parts)
    layout = _layouts[_layout_id(Layout(sizes, parsed.family_known))]
    syllables = parsed.syllables
    optional = tuple(
        middle and s.script == LATIN and fold(s.text) in _MIDDLE_NAMES
        for s, middle in zip(syllables, layout.middle, strict=True)
    )
    # A Latin syllable's score is blind to case (`syllable_score`): one id for NGUYEN
    # and Nguyen, so that their pairs are scored once.
    texts = tuple((s.text.lower() if s.script == LATIN else s.text, s.script) for s in syllables)
    return texts, sizes, parsed.family_known, optional


_middle_of: dict[tuple[tuple[int, ...], bool], tuple[bool, ...]] = {}


def layout_middle(sizes: tuple[int, ...], family_known: bool) -> tuple[bool, ...]:
    """`Layout.middle` of a name's layout (its part sizes, whether the family name is
    known), the layout interned on first sight as `encode` interns it."""
    found = _middle_of.get((sizes, family_known))
    if found is None:
        found = _layouts[_layout_id(Layout(sizes, family_known))].middle
        _middle_of[(sizes, family_known)] = found
    return found


def encode(parsed: ParsedName) -> Encoded:
    """What `NameTable.add_encoded` needs of a parsed name: computed where the name was
    parsed (a blocking worker), so that the table need not parse it again."""
    joined = parsed.joined()
    return _plain(parsed), (_plain(joined) if joined != parsed else None)


_layout_of: dict[tuple[tuple[int, ...], bool], int] = {}  # (sizes, family known) -> id


def layout_of(sizes: tuple[int, ...], family_known: bool) -> int:
    """The id of the layout of a name's part sizes, whether its family name is known."""
    layout = _layout_of.get((sizes, family_known))
    if layout is None:
        layout = _layout_of[(sizes, family_known)] = _layout_id(Layout(sizes, family_known))
    return layout


def _row(plain: Plain) -> _Row:
    # A screening adds a million names: dictionary lookups first, the interners on a miss.
    syllables, sizes, family_known, optional = plain
    known = _syllable_interner.ids.get
    ids = tuple([known(s, -1) for s in syllables])
    if -1 in ids:
        ids = tuple([_syllable_interner(s) for s in syllables])
    return _Row(ids, optional, layout_of(sizes, family_known))


class NameTable:
    """Names encoded for batch scoring; a name is addressed by the index `add` returns."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._rows: list[_Row] = []  # rows added one name at a time, after the blocks'
        # rows packed: those added in bulk (`add_assembled`), and earlier single rows
        self._blocks: list[tuple[Ints, Bools, Ints]] = []
        self._packed = 0  # rows in the blocks
        self._name_row: list[int] = []  # name index -> its row
        self._whole_row: list[int] = []  # name index -> row of its whole-part form, or -1
        self._arrays: tuple[Ints, Bools, Ints, Ints, Ints] | None = None
        for name in names:
            self.add(name)

    def __len__(self) -> int:
        return len(self._name_row)

    def add(self, name: str) -> int:
        """Encode `name` (parsed once) and return its index."""
        return self.add_encoded(encode(prepare(name)))

    def add_encoded(self, encoded: Encoded) -> int:
        """Add a name `encode`d (perhaps in another process) and return its index."""
        plain, whole = encoded
        self._name_row.append(self._append(plain))
        self._whole_row.append(-1 if whole is None else self._append(whole))
        return len(self._name_row) - 1

    def _append(self, plain: Plain) -> int:
        self._rows.append(_row(plain))
        self._arrays = None
        return self._packed + len(self._rows) - 1

    def _pack_rows(self) -> None:
        """The rows added one at a time, as a block."""
        if not self._rows:
            return
        width = max(len(r.ids) for r in self._rows)
        ids = np.full((len(self._rows), max(width, 1)), -1, dtype=np.int64)
        optional = np.zeros(ids.shape, dtype=np.bool_)
        for k, row in enumerate(self._rows):
            ids[k, : len(row.ids)] = row.ids
            optional[k, : len(row.optional)] = row.optional
        layouts = np.array([r.layout for r in self._rows], dtype=np.int64)
        self._blocks.append((ids, optional, layouts))
        self._packed += len(self._rows)
        self._rows = []

    def add_assembled(self, names: Assembled) -> Ints:
        """Add the names `bulk.assemble` encoded (in their order) and return their
        indexes: as `add_encoded` of each would."""
        self._pack_rows()
        self._arrays = None
        whole = names.whole_layout >= 0
        # each name's row, then its whole-part form's where it has one
        rows_before = np.r_[0, np.cumsum(1 + whole)][:-1]
        order = len(names.layout) + int(whole.sum())
        ids = np.empty((order, names.ids.shape[1]), dtype=np.int64)
        optional = np.empty(ids.shape, dtype=np.bool_)
        codes = np.empty(order, dtype=np.int64)
        at, whole_at = rows_before, rows_before[whole] + 1
        ids[at], optional[at], codes[at] = names.ids, names.optional, names.layout
        ids[whole_at] = names.whole_ids[whole]
        optional[whole_at] = names.whole_optional[whole]
        codes[whole_at] = names.whole_layout[whole]
        # layouts by their codes: each once
        unique, inverse = np.unique(codes, return_inverse=True)
        layouts = np.empty(len(unique), dtype=np.int64)
        middle = np.zeros((len(unique), ids.shape[1]), dtype=np.bool_)
        for k, code in enumerate(unique.tolist()):
            sizes, family_known = layout_of_code(code)
            layouts[k] = layout_of(sizes, family_known)
            flags = _layouts[int(layouts[k])].middle
            middle[k, : len(flags)] = flags
        optional &= middle[inverse]
        self._blocks.append((ids, optional, layouts[inverse]))
        first = len(self._name_row)
        self._name_row += (self._packed + at).tolist()
        self._whole_row += np.where(whole, self._packed + rows_before + 1, -1).tolist()
        self._packed += order
        return np.arange(first, len(self._name_row), dtype=np.int64)

    def pack(self) -> tuple[Ints, Bools, Ints, Ints, Ints]:
        """Rows as arrays (syllable ids, optional flags, layouts), and name index -> row of
        the name and of its whole-part form; rebuilt only after `add`."""
        if self._arrays is None:
            self._pack_rows()
            width = max((b[0].shape[1] for b in self._blocks), default=1)
            ids = np.full((self._packed, width), -1, dtype=np.int64)
            optional = np.zeros(ids.shape, dtype=np.bool_)
            at = 0
            for block_ids, block_optional, _ in self._blocks:
                ids[at : at + len(block_ids), : block_ids.shape[1]] = block_ids
                optional[at : at + len(block_ids), : block_ids.shape[1]] = block_optional
                at += len(block_ids)
            layouts = np.concatenate([b[2] for b in self._blocks] or [np.zeros(0, np.int64)])
            self._blocks = [(ids, optional, layouts)]  # one block from now on, held once
            name_row = np.array(self._name_row, dtype=np.int64)
            whole_row = np.array(self._whole_row, dtype=np.int64)
            self._arrays = ids, optional, layouts, name_row, whole_row
        return self._arrays

    def score(
        self,
        a: Sequence[int] | Ints,
        b: Sequence[int] | Ints,
        threshold: float = MATCH_THRESHOLD,
        floor: float = 0.0,
    ) -> Floats:
        """Scores of the name pairs (a[k], b[k]), equal to `compare(name_a, name_b).score`;
        except that a pair whose syllable scores bound its score below `floor` scores 0
        without being aligned (screening needs no score below its lowest name level)."""
        ids, optional, layouts, name_row, whole_row = self.pack()
        a_names, b_names = np.asarray(a), np.asarray(b)
        if a_names.shape != b_names.shape or a_names.ndim != 1:
            raise ValueError(
                f"a and b must be two index lists of one length ({a_names.shape}, {b_names.shape})"
            )
        if a_names.size and not (
            np.issubdtype(a_names.dtype, np.integer) and np.issubdtype(b_names.dtype, np.integer)
        ):
            raise ValueError("a and b must hold name indexes (integers)")
        a_names, b_names = a_names.astype(np.int64), b_names.astype(np.int64)
        if a_names.size and (
            min(a_names.min(), b_names.min()) < 0 or max(a_names.max(), b_names.max()) >= len(self)
        ):
            raise ValueError(f"a name index is outside this table of {len(self)} names")
        ra, rb = name_row[a_names], name_row[b_names]
        scores = _score_rows(ids, optional, layouts, ra, rb, floor)
        wa, wb = whole_row[a_names], whole_row[b_names]
        again = np.flatnonzero((scores < threshold) & ((wa >= 0) | (wb >= 0)))
        if again.size:
            # A typo can spoil how a romanized part is cut: compare whole parts too.
            whole = _score_rows(
                ids,
                optional,
                layouts,
                np.where(wa[again] >= 0, wa[again], ra[again]),
                np.where(wb[again] >= 0, wb[again], rb[again]),
                floor,
            )
            scores[again] = np.maximum(scores[again], whole)
        return scores


def _score_rows(
    ids: Ints, optional: Bools, layouts: Ints, ra: Ints, rb: Ints, floor: float = 0.0
) -> Floats:
    """Best score over both directions and every order, pairs grouped by layout pair;
    0 for the pairs `_may_reach` says cannot reach `floor`."""
    scores = np.zeros(len(ra), dtype=np.float64)
    if not len(ra):
        return scores
    aligned = COMPILED_FROM is not None and (len(ra) >= COMPILED_FROM or is_compiled(_group_loop))
    groups = layouts[ra] * len(_layouts) + layouts[rb]
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.diff(groups[order])) + 1
    for members in np.split(order, bounds):
        la, lb = _layouts[layouts[ra[members[0]]]], _layouts[layouts[rb[members[0]]]]
        xa, xb = ra[members], rb[members]
        s = _syllable_scores(ids[xa, : la.length], ids[xb, : lb.length])
        oa, ob = optional[xa, : la.length], optional[xb, : lb.length]
        if aligned:
            scores[members] = _group_compiled(s, oa, ob, la, lb, floor)
            continue
        # No syllable in common: nothing aligns and the score is 0, as in compare.
        some = (s > 0).any(axis=(1, 2))
        if floor > 0 and s.size:  # (an empty name has no syllable to bound)
            some &= _may_reach(s, oa, ob, floor)
        if not some.all():
            members, xa, xb, s = members[some], xa[some], xb[some], s[some]
            oa, ob = oa[some], ob[some]
            if not len(members):
                continue
        best = np.zeros(len(members), dtype=np.float64)
        for perm in la.orders:  # a in each of its orders against b as written
            one = _aligned_score(s[:, perm, :], oa[:, perm], ob, la, lb, perm)
            best = np.maximum(best, one)
        st = s.transpose(0, 2, 1)
        for perm in lb.orders:  # and b in each of its orders against a as written
            two = _aligned_score(st[:, perm, :], ob[:, perm], oa, lb, la, perm)
            best = np.maximum(best, two)
        scores[members] = best
    return scores


# `_score_rows` aligns a batch of at least this many pairs through `_group_loop` (numba),
# and any batch once the loop is compiled; a smaller one before (a person search's few
# candidates) with numpy, without importing numba (a second or two, once per process);
# None: always numpy (the reference, for the tests).
COMPILED_FROM: int | None = 20_000


def _group_compiled(
    s: Floats, oa: Bools, ob: Bools, la: Layout, lb: Layout, floor: float
) -> Floats:
    """What `_score_rows` computes for one group of pairs of layouts (la, lb), in
    compiled loops (`_group_loop`): the same steps and arithmetic in the same order."""

    if not la.length or not lb.length:
        return np.zeros(len(s), dtype=np.float64)  # an empty name aligns with nothing

    def orders(layout: Layout) -> Ints:
        return np.array(layout.orders, dtype=np.int64).reshape(-1, layout.length)

    s = np.ascontiguousarray(s, dtype=np.float64)
    return compiled(_group_loop)(  # type: ignore[no-any-return]
        s,
        np.ascontiguousarray(oa),
        np.ascontiguousarray(ob),
        orders(la),
        orders(lb),
        np.array(la.part_of, dtype=np.int64),
        np.array(lb.part_of, dtype=np.int64),
        la.parts,
        lb.parts,
        floor,
        MIDDLE_MISSING,
    )


def _group_loop(
    s: Floats,
    oa: Bools,
    ob: Bools,
    orders_a: Ints,
    orders_b: Ints,
    part_a: Ints,
    part_b: Ints,
    parts_a: int,
    parts_b: int,
    floor: float,
    middle_missing: float,
) -> Floats:  # pragma: no cover - compiled; held to the numpy path by the tests
    n, na, nb = s.shape
    out = np.zeros(n, dtype=np.float64)
    big = max(na, nb)
    table = np.zeros((big + 1, big + 1), dtype=np.float64)
    matched_x = np.zeros(big, dtype=np.bool_)
    score_x = np.zeros(big, dtype=np.float64)
    matched_y = np.zeros(big, dtype=np.bool_)
    part_matched = np.zeros(big, dtype=np.bool_)
    best_r = np.zeros(na, dtype=np.float64)
    best_c = np.zeros(nb, dtype=np.float64)
    can = np.zeros(2, dtype=np.int64)  # rows, columns with a score above 0
    lost = np.zeros(2, dtype=np.float64)  # their weight with nothing matched
    light = np.ones(2, dtype=np.float64)  # the lightest weight of those that can match
    for p in range(n):
        # each row's and column's best syllable score (scores are >= 0); any above 0?
        best_r[:] = 0.0
        best_c[:] = 0.0
        for r in range(na):
            for c in range(nb):
                v = s[p, r, c]
                best_r[r] = max(best_r[r], v)
                best_c[c] = max(best_c[c], v)
        if best_r.max() <= 0:
            continue  # nothing aligns: 0, as in compare
        if floor > 0:  # _may_reach, rows then columns: matched, weight lost, lightest weight
            can[:] = 0
            lost[:] = 0.0
            light[:] = 1.0
            for side in range(2):
                maxima = best_r if side == 0 else best_c
                opt = oa if side == 0 else ob
                for k in range(len(maxima)):
                    w = middle_missing if opt[p, k] else 1.0
                    if maxima[k] > 0:
                        can[side] += 1
                        light[side] = min(light[side], w)
                    else:
                        lost[side] += w
            nr, nc = can[0], can[1]
            lost_r, lost_c, light_r, light_c = lost[0], lost[1], light[0], light[1]
            top_r = -np.sort(-best_r)
            top_c = -np.sort(-best_c)
            sum_r = 0.0
            sum_c = 0.0
            reach = False
            for m in range(1, min(na, nb) + 1):
                sum_r += top_r[m - 1]
                sum_c += top_c[m - 1]
                total = 2 * min(sum_r, sum_c)
                weight = 2 * m + lost_r + lost_c + light_r * (nr - m) + light_c * (nc - m)
                if m <= nr and m <= nc and total >= (floor - 1e-9) * weight:
                    reach = True
            if not reach:
                continue
        best = 0.0
        for direction in range(2):
            if direction == 0:
                orders, nx, ny, parts_x, parts_y = orders_a, na, nb, parts_a, parts_b
            else:
                orders, nx, ny, parts_x, parts_y = orders_b, nb, na, parts_b, parts_a
            for k in range(orders.shape[0]):
                perm = orders[k]
                # best alignment of x[r:] (x in this order) with y[c:] (y as written)
                for r in range(nx + 1):
                    table[r, ny] = 0.0
                for c in range(ny + 1):
                    table[nx, c] = 0.0
                for r in range(nx - 1, -1, -1):
                    for c in range(ny - 1, -1, -1):
                        src = s[p, perm[r], c] if direction == 0 else s[p, c, perm[r]]
                        take = src + table[r + 1, c + 1] if src > 0 else 0.0
                        table[r, c] = max(max(take, table[r + 1, c]), table[r, c + 1])
                for r in range(nx):
                    matched_x[r] = False
                    score_x[r] = 0.0
                for c in range(ny):
                    matched_y[c] = False
                i = 0
                j = 0
                for _ in range(nx + ny):
                    if not (i < nx and j < ny):
                        break
                    sij = s[p, perm[i], j] if direction == 0 else s[p, j, perm[i]]
                    here = table[i, j]
                    take_it = sij > 0 and abs(here - (sij + table[i + 1, j + 1])) < 1e-9
                    down = (not take_it) and here == table[min(i + 1, nx), j]
                    if take_it:
                        matched_x[i] = True
                        score_x[i] = sij
                        matched_y[j] = True
                    if take_it or down:
                        i += 1
                    if take_it or not down:
                        j += 1
                total = 0.0
                count = 0
                for col in range(nx):
                    total = total + (2 * score_x[col] if matched_x[col] else 0.0)
                    if matched_x[col]:
                        count += 1
                weight = 2.0 * count
                # unmatched syllables of x (in this order), then of y
                for side in range(2):
                    if side == 0:
                        length, parts, left_out = nx, parts_x, parts_y < parts_x
                    else:
                        length, parts, left_out = ny, parts_y, parts_x < parts_y
                    for q in range(parts):
                        part_matched[q] = False
                    for col in range(length):
                        if side == 0:
                            part = part_a[perm[col]] if direction == 0 else part_b[perm[col]]
                            hit = matched_x[col]
                        else:
                            part = part_b[col] if direction == 0 else part_a[col]
                            hit = matched_y[col]
                        part_matched[part] = part_matched[part] or hit
                    for col in range(length):
                        if side == 0:
                            part = part_a[perm[col]] if direction == 0 else part_b[perm[col]]
                            hit = matched_x[col]
                            opt = oa[p, perm[col]] if direction == 0 else ob[p, perm[col]]
                        else:
                            part = part_b[col] if direction == 0 else part_a[col]
                            hit = matched_y[col]
                            opt = ob[p, col] if direction == 0 else oa[p, col]
                        w = 1.0
                        if left_out and opt and not part_matched[part]:
                            w = middle_missing
                        weight = weight + (0.0 if hit else w)
                one = total / weight if weight > 0 else 0.0
                best = max(best, one)
        out[p] = best
    return out


def _may_reach(s: Floats, oa: Bools, ob: Bools, floor: float) -> Bools:
    """Per pair of syllable scores s [pairs, len a, len b]: whether any alignment could
    score `floor`. A bound without the alignment's order: with m syllables matched, the
    matched scores sum at most to the m best row (and column) maxima, and the weight is
    2m, plus each syllable that nothing matches at its weight (MIDDLE_MISSING for an
    optional middle name, else 1), plus the lightest weight for each one left unmatched."""
    rows, cols = s.max(axis=2), s.max(axis=1)
    found = np.zeros(len(s), dtype=np.bool_)
    bound: list[tuple[Ints, Floats, Floats, Floats]] = []
    for best, opt in ((rows, oa), (cols, ob)):
        weight = np.where(opt, MIDDLE_MISSING, 1.0)
        can = best > 0
        lost = np.where(can, 0.0, weight).sum(axis=1)  # nothing matches these
        lightest = np.where(can, weight, 1.0).min(axis=1)
        top = np.cumsum(-np.sort(-best, axis=1), axis=1)  # the m best maxima, by m
        bound.append((can.sum(axis=1), lost, lightest, top))
    (nr, lost_r, light_r, top_r), (nc, lost_c, light_c, top_c) = bound
    for m in range(1, min(s.shape[1], s.shape[2]) + 1):
        total = 2 * np.minimum(top_r[:, m - 1], top_c[:, m - 1])
        weight = 2 * m + lost_r + lost_c + light_r * (nr - m) + light_c * (nc - m)
        found |= (m <= nr) & (m <= nc) & (total >= (floor - 1e-9) * weight)
    return found


def _find(codes: Ints, values: Floats, flat: Ints, out: Floats) -> Bools:
    """Fill `out` where `flat` is among the sorted `codes`; which were."""
    at = np.searchsorted(codes, flat)
    known = at < len(codes)
    known[known] = codes[at[known]] == flat[known]
    out[known] = values[at[known]]
    return known


def _row_starts(codes: Ints) -> Ints:
    """Where each first syllable's pairs start in the sorted pair `codes` (one more entry
    than the largest first syllable id + 1)."""
    first = codes >> _ID_BITS
    top = int(first[-1]) + 1 if len(first) else 0
    return np.searchsorted(first, np.arange(top + 1)).astype(np.int64)


def _find_loop(
    codes: Ints, values: Floats, rows: Ints, flat: Ints, out: Floats
) -> Bools:  # pragma: no cover - compiled; tested against `_find`
    """`_find`, each code searched among its first syllable's pairs only (`_row_starts`:
    tens of entries that stay in cache, not millions)."""
    known = np.zeros(len(flat), dtype=np.bool_)
    top = len(rows) - 1
    for k in range(len(flat)):
        code = flat[k]
        first = code >> 32
        if first >= top:
            continue
        lo = rows[first]
        end = rows[first + 1]
        hi = end
        while lo < hi:
            mid = (lo + hi) >> 1
            if codes[mid] < code:
                lo = mid + 1
            else:
                hi = mid
        if lo < end and codes[lo] == code:
            out[k] = values[lo]
            known[k] = True
    return known


class _PairMemo:
    """Syllable-pair scores already computed, as sorted arrays for vectorised lookup: a
    large table and a small one that new scores join, merged into the large one when it
    grows past a quarter of it (so that adding a batch costs the small table's size, not
    the large one's). Where `learn_meetings` has scored every pair of the syllables below
    an id that can meet, any other pair of them scores 0 without being computed."""

    LIMIT = 20_000_000  # pairs kept (16 bytes each); past it the memo starts again
    FRESH = 65_536  # the small table's least size before a merge

    def __init__(self) -> None:
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))
        # (large codes, values, small codes, values, syllable ids below which the memo
        # holds every pair that can meet), replaced together (one tuple), so that a
        # concurrent reader sees either the old tables or the new ones, never a mix.
        self.table: tuple[Ints, Floats, Ints, Floats, int] = (*empty, *empty, 0)
        self.fresh: list[tuple[Ints, Floats]] | None = None  # scores computed, if kept
        # the large table's codes and their `_row_starts`, for `_find_loop`
        self._rows: tuple[Ints, Ints] | None = None

    def _find_large(self, codes: Ints, values: Floats, flat: Ints, out: Floats) -> Bools:
        """`_find` in the large table: compiled once the name loop is (numba is then
        imported), for a large batch first."""
        if COMPILED_FROM is None or not (
            (len(flat) >= COMPILED_FROM and is_compiled(_group_loop)) or is_compiled(_find_loop)
        ):
            return _find(codes, values, flat, out)
        rows = self._rows
        if rows is None or rows[0] is not codes:
            rows = self._rows = (codes, _row_starts(codes))
        return compiled(_find_loop)(codes, values, rows[1], flat, out)  # type: ignore[no-any-return]

    def learn(self, codes: Ints, values: Floats, complete: int = 0) -> None:
        """Take scores computed elsewhere (another process's `fresh`); with `complete`,
        every pair that can meet among the syllables below that id."""
        old_codes, old_values, new_codes, new_values, known = self.table
        both = np.concatenate([old_codes, new_codes, codes])
        if len(both) > self.LIMIT:
            return
        kept, first = np.unique(both, return_index=True)
        merged = np.concatenate([old_values, new_values, values])[first]
        empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))
        self.table = (kept, merged, *empty, max(known, complete))

    def lookup(self, codes: Ints) -> Floats:
        old_codes, old_values, new_codes, new_values, complete = self.table
        flat = codes.ravel()
        out = np.empty(len(flat), dtype=np.float64)
        known = self._find_large(old_codes, old_values, flat, out)
        if not known.all():
            rest = np.flatnonzero(~known)
            part = np.empty(len(rest), dtype=np.float64)
            found = _find(new_codes, new_values, flat[rest], part)
            out[rest[found]] = part[found]
            known[rest[found]] = True
        if complete and not known.all():
            rest = np.flatnonzero(~known)
            never = ((flat[rest] >> _ID_BITS) < complete) & ((flat[rest] & 0xFFFFFFFF) < complete)
            out[rest[never]] = 0.0  # they cannot meet
            known[rest[never]] = True
        if not known.all():
            missing, where = np.unique(flat[~known], return_inverse=True)
            values = _score_codes(missing)
            out[~known] = values[where]
            if self.fresh is not None:
                self.fresh.append((missing, values))
            slots = np.searchsorted(new_codes, missing)
            new_codes = np.insert(new_codes, slots, missing)
            new_values = np.insert(new_values, slots, values)
            empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))
            if len(old_codes) + len(new_codes) > self.LIMIT:
                # Start again from this call's pairs alone.
                here, first = np.unique(flat, return_index=True)
                self.table = (here, out[first], *empty, 0)
            elif len(new_codes) > max(self.FRESH, len(old_codes) // 4):
                both = np.concatenate([old_codes, new_codes])
                order = np.argsort(both)
                merged = np.concatenate([old_values, new_values])[order]
                self.table = (both[order], merged, *empty, complete)
            else:
                self.table = (old_codes, old_values, new_codes, new_values, complete)
        return out.reshape(codes.shape)


_memo = _PairMemo()


def clear_memo() -> None:
    """Forget the syllable-pair scores (benchmarks measure a cold start with it)."""
    global _memo
    _memo = _PairMemo()


def keep_new_scores() -> None:
    """From now on, keep the syllable-pair scores this process computes (a forked worker
    hands them back with `new_scores`, so that its parent need not compute them again)."""
    _memo.fresh = []


def new_scores() -> tuple[Ints, Floats]:
    """The syllable-pair scores computed since `keep_new_scores` (codes, scores)."""
    fresh = _memo.fresh or []
    return (
        np.concatenate([c for c, _ in fresh]) if fresh else np.zeros(0, dtype=np.int64),
        np.concatenate([v for _, v in fresh]) if fresh else np.zeros(0, dtype=np.float64),
    )


def learn_meetings(workers: int = 1) -> None:
    """Score every pair of the syllables known so far that can meet (`meet`), once (in
    `workers` forked processes), so that any other pair of them scores 0 uncomputed: a
    register's syllables are far fewer than the syllable pairs its name pairs hold."""
    _learn(*_meetings(workers))


def start_learning_meetings(workers: int = 1) -> Callable[[], None]:
    """`learn_meetings`, computed in a process forked now while this one goes on (a
    screening builds its key index meanwhile); the function returned waits for it and
    learns its scores. The syllables are those known now."""
    if _memo.table[4] >= len(_syllables):
        return lambda: None
    finish = fork_start(lambda: _meetings(workers))
    return lambda: _learn(*finish())


def _meetings(workers: int) -> tuple[Ints, Floats, int]:
    syllables = list(_syllables)
    complete = _memo.table[4]
    if complete >= len(syllables):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64), complete
    codes = meeting_codes(syllables)
    pairs = np.stack([codes >> _ID_BITS, codes & 0xFFFFFFFF], axis=1)
    pairs = pairs[pairs[:, 1] >= complete]  # pairs of older syllables are known
    codes = (pairs[:, 0] << _ID_BITS) | pairs[:, 1]
    if workers > 1 and len(codes) > 100_000:
        parts = fork_map(_score_codes, np.array_split(codes, workers * 4), workers)
        values = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float64)
    else:
        values = _score_codes(codes)
    # a syllable score is symmetric (`compare` is): each pair in both orders
    swapped = (pairs[:, 1] << _ID_BITS) | pairs[:, 0]
    return np.concatenate([codes, swapped]), np.concatenate([values, values]), len(syllables)


def _learn(codes: Ints, values: Floats, complete: int) -> None:
    if len(codes) or complete > _memo.table[4]:
        _memo.learn(codes, values, complete)


def learn_scores(codes: Ints, values: Floats) -> None:
    """Add syllable-pair scores from `new_scores` of another process (same syllable ids:
    a process forked after the names were added)."""
    _memo.learn(codes, values)


def _syllable_scores(xa: Ints, xb: Ints) -> Floats:
    """[pairs, len a, len b] syllable-pair scores; each distinct pair computed once."""
    codes = (xa[:, :, None] << _ID_BITS) | xb[:, None, :]
    if codes.size == 0:
        return np.zeros(codes.shape, dtype=np.float64)
    return _memo.lookup(codes)


def _aligned_score(
    s: Floats, ox: Bools, oy: Bools, lx: Layout, ly: Layout, perm: list[int]
) -> Floats:
    """`match.compare_parsed` for one order of x against y, over all pairs at once:
    the best monotone alignment (same recurrence and traceback), then matched scores
    over matched and unmatched weights, summed in the same order."""
    n, nx, ny = s.shape
    # best[i][j]: the best alignment of x[i:] with y[j:].
    zero = np.zeros(n, dtype=np.float64)
    best = [[zero] * (ny + 1) for _ in range(nx + 1)]
    for r in range(nx - 1, -1, -1):
        for c in range(ny - 1, -1, -1):
            src = s[:, r, c]
            take = np.where(src > 0, src + best[r + 1][c + 1], 0.0)
            best[r][c] = np.maximum(np.maximum(take, best[r + 1][c]), best[r][c + 1])
    table = np.stack([np.stack(row, axis=1) for row in best], axis=1)  # [n, nx+1, ny+1]
    rows = np.arange(n)
    i = np.zeros(n, dtype=np.int64)
    j = np.zeros(n, dtype=np.int64)
    matched_x = np.zeros((n, nx), dtype=np.bool_)
    score_x = np.zeros((n, nx), dtype=np.float64)
    matched_y = np.zeros((n, ny), dtype=np.bool_)
    for _ in range(nx + ny):
        live = (i < nx) & (j < ny)
        if not live.any():
            break
        ic, jc = np.minimum(i, nx - 1), np.minimum(j, ny - 1)
        sij = s[rows, ic, jc]
        here = table[rows, i, j]
        take = live & (sij > 0) & (np.abs(here - (sij + table[rows, ic + 1, jc + 1])) < 1e-9)
        down = live & ~take & (here == table[rows, np.minimum(i + 1, nx), j])
        right = live & ~take & ~down
        matched_x[rows[take], i[take]] = True
        score_x[rows[take], i[take]] = sij[take]
        matched_y[rows[take], j[take]] = True
        i = i + (take | down)
        j = j + (take | right)
    total = zero
    for col in range(nx):  # in alignment order, as compare_parsed sums
        total = total + np.where(matched_x[:, col], 2 * score_x[:, col], 0.0)
    weight = 2.0 * matched_x.sum(axis=1)
    part_x = [lx.part_of[p] for p in perm]
    weight = _add_unmatched(weight, matched_x, ox, part_x, lx.parts, ly.parts < lx.parts)
    weight = _add_unmatched(weight, matched_y, oy, list(ly.part_of), ly.parts, lx.parts < ly.parts)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(weight > 0, total / weight, 0.0)


def _add_unmatched(
    weight: Floats, matched: Bools, optional: Bools, part_of: list[int], parts: int, left_out: bool
) -> Floats:
    """Add each unmatched syllable's weight, in order: a middle name the other name leaves
    out (a part with nothing matched, in a name with more parts) weighs MIDDLE_MISSING."""
    part_matched = np.zeros((len(weight), parts), dtype=np.bool_)
    for col, part in enumerate(part_of):
        part_matched[:, part] |= matched[:, col]
    for col, part in enumerate(part_of):
        light = optional[:, col] & ~part_matched[:, part] if left_out else None
        w = 1.0 if light is None else np.where(light, MIDDLE_MISSING, 1.0)
        weight = weight + np.where(matched[:, col], 0.0, w)
    return weight
