"""Blocking keys: which names are worth scoring against each other. The one key design:
screening blocks on it (`hoptac.screening.engine`), the person search indexes its syllable
sounds (`hoptac.screening.search`), and `hoptac names keys NAME` prints it
(`described_keys`).

Two names are candidates when two of their syllables sound alike pairwise: each syllable
gets a few sound keys (a character's pinyin and Sino-Vietnamese readings; a Latin or hangul
syllable's Korean spelling class, its folded letters, the pinyin of the characters it most
likely writes), and a name gets one key per pair of its syllables and per combination of
their sound keys, unordered, so that family/given order and script
do not matter: `Vương Kiện`, `王健`, `Wang Jian` and `Jian Wang` share `p:jian + p:wang`.
A one-syllable name keys on its syllable alone.

Keys are 64-bit integers made of two CRC-32s (the pair, smaller first), the same in every
process (Spark included); a collision only adds a candidate pair, never loses one.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations, pairwise
from typing import Any, NamedTuple

from hoptac.names import bulk, match, readings
from hoptac.names.batch import Encoded, NameTable, _Interner, layout_middle
from hoptac.names.fold import fold
from hoptac.names.match import _MIDDLE_NAMES, korean_loose, prepare, sound
from hoptac.names.parse import HAN, HANGUL, LATIN, ParsedName, RawPart, korean_spellings, raw_parts
from hoptac.parallel import fork_map, gc_paused

LIKELY_CHARACTERS = 6  # a Latin or hangul syllable's characters kept, commonest first
MAX_SYLLABLES = bulk.KEYED_SYLLABLES  # syllables of a name that make keys (the first ones)
FORK_FROM = 20_000  # distinct names from which `keys_of_people` shares them among workers
# Distinct names from which `keys_of_people` assembles keys, canons and rows in one compiled
# loop (`hoptac.names.bulk`) rather than one name at a time (importing numba costs a second).
BULK_FROM = 20_000


def _pinyin(char: str) -> str | None:
    r = readings.of(char)
    return r.pinyin[0] if r is not None and r.pinyin else None


def _likely(chars: frozenset[str]) -> list[str]:
    def weight(c: str) -> tuple[int, str]:
        r = readings.of(c)
        return (-(r.weight if r else 0), c)

    return sorted(chars, key=weight)[:LIKELY_CHARACTERS]


@lru_cache(maxsize=1 << 16)
def syllable_sounds(text: str, script: str) -> frozenset[str]:
    """The sound keys of one syllable."""
    s = sound(text, script)
    keys: set[str] = set()
    if script == HAN:
        chars = (text, *sorted(s.chars - {text}))
        keys |= {f"p:{p}" for c in chars if (p := _pinyin(c))}
        # Its Sino-Vietnamese readings, as a Latin syllable keys its own letters: 阮 meets
        # Nguyễn even where 阮 is not among Nguyễn's likeliest characters.
        keys |= {f"p:{fold(v)}" for c in chars if (r := readings.of(c)) for v in r.vietnamese}
        keys |= {f"k:{k}" for k in s.loose}
    elif script == HANGUL:
        keys |= {f"k:{k}" for k in s.loose}
        keys |= {f"p:{p}" for c in _likely(s.chars) if (p := _pinyin(c))}
    else:
        folded = fold(text)
        keys.add(f"p:{folded}")  # its own letters (pinyin, or the same spelling elsewhere)
        if folded in korean_spellings():
            keys.add(f"k:{korean_loose(folded)}")
        keys |= {f"k:{k}" for k in s.loose}
        keys |= {f"p:{p}" for c in _likely(s.vi) if (p := _pinyin(c))}
    return frozenset(keys)


def _crc(sound_key: str) -> int:
    return zlib.crc32(sound_key.encode())


@lru_cache(maxsize=1 << 16)
def _codes(text: str, script: str) -> tuple[int, ...]:
    return tuple(sorted(_crc(k) for k in syllable_sounds(text, script)))


def _own_sounds(text: str, script: str) -> frozenset[str]:
    """The sound keys a slip is paired with: a Latin syllable's own letters (a slip and a
    change of script seldom come together), a character's or hangul's every sound key."""
    if script in (HAN, HANGUL):
        return syllable_sounds(text, script)
    return frozenset({f"p:{fold(text)}"})


@lru_cache(maxsize=1 << 16)
def _own(text: str, script: str) -> tuple[int, ...]:
    return tuple(sorted(_crc(k) for k in _own_sounds(text, script)))


def _deletion_sounds(part: str) -> list[str]:
    """A Latin part's spellings with one letter left out: a one-letter slip (Qieng for
    Qiang, Jineing for Jinping) leaves one of them unchanged (`qing`)."""
    return [f"d:{part[:i]}{part[i + 1 :]}" for i in range(len(part))]


@lru_cache(maxsize=1 << 16)
def _deletions(part: str) -> tuple[int, ...]:
    return tuple(_crc(k) for k in _deletion_sounds(part))


def _pair_key(a: int, b: int) -> int:
    """Two codes as one key, blind to their order."""
    return (a << 32) | b if a <= b else (b << 32) | a


def _pair_set(first: tuple[int, ...], second: tuple[int, ...]) -> frozenset[int]:
    """Every unordered pair of a code of `first` and a code of `second`, as one key
    (`_pair_key`, written out: this is the hot loop of keying a register)."""
    return frozenset([(a << 32) | b if a <= b else (b << 32) | a for a in first for b in second])


_pair_keys = lru_cache(maxsize=1 << 20)(_pair_set)


@lru_cache(maxsize=1 << 16)
def _part_letters(texts: tuple[str, ...]) -> str:
    return fold("".join(texts)).replace(" ", "")


@lru_cache(maxsize=1 << 16)
def _forms(text: str, script: str) -> tuple[str, str]:
    """A syllable as the namesake table reads it: a character by its first Sino-Vietnamese
    and its first pinyin reading, a Latin syllable by its folded letters (both), a hangul
    syllable as written."""
    if script == HAN:
        r = readings.of(text)
        vi = fold(r.vietnamese[0]) if r is not None and r.vietnamese else text
        py = r.pinyin[0] if r is not None and r.pinyin else text
        return vi, py
    own = text if script == HANGUL else fold(text)
    return own, own


def _canons(parsed: ParsedName) -> tuple[int, ...]:
    """The name's spellings for counting namesakes, blind to order, spacing and script:
    the sorted letters of its syllables read the Sino-Vietnamese way, and read the pinyin
    way (`Phạm Quang Phúc` = `范光福` = `PHAM QUANGPHUC`; `潘恒芳` = `PAN HENGFANG`).
    Anagrams collide, which only counts a namesake too many."""
    forms = [_forms(s.text, s.script) for s in parsed.syllables]
    found = {
        zlib.crc32("".join(sorted("".join(f[k] for f in forms).replace(" ", ""))).encode())
        for k in (0, 1)
    }
    return tuple(sorted(found))


def _keys_parsed(parsed: ParsedName) -> frozenset[int]:
    """A parsed name's keys: what `name_keys` computes (by `_fast_keys`, the same set built
    in the same order)."""
    syllables = parsed.syllables[:MAX_SYLLABLES]
    codes = [_codes(s.text, s.script) for s in syllables]
    if len(codes) == 1:
        return frozenset(codes[0])
    sets = [_pair_keys(first, second) for first, second in combinations(codes, 2)]
    # Typos: each Latin part of four letters or more, with one letter left out, against
    # the sounds of the other parts' syllables.
    for index, part in enumerate(parsed.parts[:MAX_SYLLABLES]):
        if part[0].script in (HAN, HANGUL):
            continue
        letters = _part_letters(tuple(s.text for s in part))
        if len(letters) < 4:
            continue
        deleted = _deletions(letters)
        sets += [_pair_keys(deleted, _own(s.text, s.script)) for s in syllables if s.part != index]
    return frozenset().union(*sets)


# The fast path. `_keys_parsed`, `_canons` and `batch.encode` say what a name's keys, canons
# and encoded form are, from its `ParsedName`. A register of a million names holds some
# 100,000 distinct words and far fewer syllables: below, whatever depends on one part (a
# written word) or one pair of syllables is computed once (memoised), and a name only
# assembles it. Its key set is the union of the same pair sets in the same order as in
# `_keys_parsed`, so that even its iteration order is the same (the tests hold the two
# paths equal on every script).


class _Sounds(NamedTuple):
    """One syllable as the fast path reads it."""

    codes: int  # `_codes`: its sound keys, as an id of `_code_sets`
    own: int  # `_own`: the sound keys a slip is paired with, as an id of `_code_sets`
    vi: str  # `_forms`: read the Sino-Vietnamese way, without spaces
    py: str  # and the pinyin way
    plain: tuple[str, str]  # as `batch.encode` writes it
    optional: bool  # a Latin Vietnamese middle name (`batch.encode`, in a middle part)


class _Part(NamedTuple):
    """One part (a written word) as the fast path reads it."""

    syllables: tuple[_Sounds, ...]
    deletions: int  # a Latin part's `_deletions` of four letters or more (an id), else -1
    # A part of several Latin syllables as one (`ParsedName.joined`), as `batch.encode`
    # writes it, and whether that is a middle name; None for other parts.
    whole: tuple[tuple[str, str], bool] | None


# Sound-code sets (sorted `_codes`, `_own`; `_deletions`) -> an id, for the life of the
# process (one per distinct syllable and Latin part), so that the memos below may be
# dropped at any time, even while another thread keys a name.
_code_sets: _Interner[tuple[int, ...]] = _Interner()
_parts: dict[RawPart, _Part] = {}
_pairs: dict[int, frozenset[int]] = {}  # (id << 32) | id -> `_pair_set` of the two
PARTS_KEPT = 1 << 18  # past these sizes a memo starts again (~100k parts, ~1M pairs
PAIRS_KEPT = 1 << 20  # at a million names: a few hundred MB)


@lru_cache(maxsize=1 << 16)
def _sounds(text: str, script: str) -> _Sounds:
    """One syllable as the fast path reads it (memoised)."""
    vi, py = _forms(text, script)
    return _Sounds(
        _code_sets(_codes(text, script)),
        _code_sets(_own(text, script)),
        vi.replace(" ", ""),
        py.replace(" ", ""),
        (text.lower() if script == LATIN else text, script),
        script == LATIN and vi in _MIDDLE_NAMES,  # a Latin syllable's form is `fold(text)`
    )


def _part(raw: RawPart) -> _Part:
    """One part as the fast path reads it, memoised in `_parts`."""
    if len(_parts) >= PARTS_KEPT:
        _parts.clear()
    deletions = -1
    if raw[0][1] not in (HAN, HANGUL):
        letters = _part_letters(tuple([text for text, _ in raw]))
        if len(letters) >= 4:
            deletions = _code_sets(_deletions(letters))
    whole = None
    if len(raw) > 1 and all(script == LATIN for _, script in raw):
        text = "".join([text for text, _ in raw])
        whole = (text.lower(), LATIN), fold(text) in _MIDDLE_NAMES
    part = _Part(tuple([_sounds(text, script) for text, script in raw]), deletions, whole)
    _parts[raw] = part
    return part


def _pair(key: int) -> frozenset[int]:
    """`_pair_keys` of two code sets, by their ids `(first << 32) | second`, memoised in
    `_pairs`."""
    if len(_pairs) >= PAIRS_KEPT:
        _pairs.clear()
    sets = _code_sets.values
    found = _pairs[key] = _pair_set(sets[key >> 32], sets[key & 0xFFFFFFFF])
    return found


def _read(name: str) -> tuple[list[_Part], bool]:
    """A name's parts as the fast path reads them, and whether its family name is known."""
    raw, family_known = raw_parts(name)
    return [_parts.get(r) or _part(r) for r in raw], family_known


def _fast_keys(parts: list[_Part]) -> frozenset[int]:
    """`_keys_parsed`, from the name's `_read` parts."""
    syllables = [(s, i) for i, part in enumerate(parts) for s in part.syllables][:MAX_SYLLABLES]
    if len(syllables) == 1:
        return frozenset(_code_sets.values[syllables[0][0].codes])
    pairs = [(a.codes << 32) | b.codes for (a, _), (b, _) in combinations(syllables, 2)]
    for index, part in enumerate(parts[:MAX_SYLLABLES]):
        if part.deletions >= 0:
            first = part.deletions << 32
            pairs += [first | s.own for s, at in syllables if at != index]
    known = _pairs.get
    return frozenset().union(*[known(key) or _pair(key) for key in pairs])


def _fast_canons(parts: list[_Part]) -> tuple[int, int]:
    """`_canons` (both, the smaller first: one twice if they are the same)."""
    syllables = [s for p in parts for s in p.syllables]
    vi = zlib.crc32("".join(sorted("".join([s.vi for s in syllables]))).encode())
    py = zlib.crc32("".join(sorted("".join([s.py for s in syllables]))).encode())
    return (vi, py) if vi <= py else (py, vi)


def _fast_encode(parts: list[_Part], family_known: bool) -> Encoded:
    """`batch.encode`, from the name's `_read` parts."""
    syllables = [s for p in parts for s in p.syllables]
    sizes = tuple([len(p.syllables) for p in parts])
    middle = layout_middle(sizes, family_known)
    plain = (
        tuple([s.plain for s in syllables]),
        sizes,
        family_known,
        tuple([m and s.optional for m, s in zip(middle, syllables, strict=True)]),
    )
    if all(p.whole is None for p in parts):
        return plain, None
    texts: list[tuple[str, str]] = []
    optional: list[bool] = []
    for p in parts:
        if p.whole is None:
            texts += [s.plain for s in p.syllables]
            optional += [s.optional for s in p.syllables]
        else:
            texts.append(p.whole[0])
            optional.append(p.whole[1])
    sizes = tuple([len(p.syllables) if p.whole is None else 1 for p in parts])
    middle = layout_middle(sizes, family_known)
    whole = (
        tuple(texts),
        sizes,
        family_known,
        tuple([m and o for m, o in zip(middle, optional, strict=True)]),
    )
    return plain, whole


@lru_cache(maxsize=1 << 17)
def name_keys(name: str) -> frozenset[int]:
    """Blocking keys of one name (see the module docstring)."""
    return _fast_keys(_read(name)[0])


def described_keys(name: str) -> dict[int, str]:
    """`name_keys(name)`, each with the sound keys it is made of, for people to read:
    `p:jian + p:wang` (a pair of two syllables' sounds), `d:qang + p:li` (a Latin part
    with one letter left out, beside another syllable's own letters), or one sound alone
    for a one-syllable name. Sound keys: `p:` pinyin or folded letters, `k:` Korean
    spelling class, `d:` a part less one letter. Keys a CRC collision shares list each
    pair, separated by ` / `."""
    parsed = prepare(name)
    syllables = parsed.syllables[:MAX_SYLLABLES]
    sounds = [syllable_sounds(s.text, s.script) for s in syllables]
    found: dict[int, set[str]] = defaultdict(set)
    if len(sounds) == 1:
        for one in sounds[0]:
            found[_crc(one)].add(one)
    else:
        pairs = [(a, b) for first, second in combinations(sounds, 2) for a in first for b in second]
        # the typo keys, as `_keys_parsed` makes them
        for index, part in enumerate(parsed.parts[:MAX_SYLLABLES]):
            letters = _part_letters(tuple(s.text for s in part))
            if part[0].script in (HAN, HANGUL) or len(letters) < 4:
                continue
            deleted = _deletion_sounds(letters)
            for s in syllables:
                if s.part != index:
                    pairs += [(d, o) for d in deleted for o in _own_sounds(s.text, s.script)]
        for a, b in pairs:
            found[_pair_key(_crc(a), _crc(b))].add(" + ".join(sorted((a, b))))
    return {key: " / ".join(sorted(texts)) for key, texts in found.items()}


def person_keys(names: tuple[str, ...]) -> frozenset[int]:
    """Keys of a person known by several names (aliases)."""
    return frozenset().union(*(name_keys(n) for n in names))


def _keys_of_names(
    names: list[str], encoded: bool = False
) -> tuple[list[int], list[int], list[int], list[Encoded]]:
    """Flat keys of each name, how many each has, its two canons (`_canons`) and, if
    `encoded`, its `batch.encode`d form, from one reading per name (uncached: every name
    is new here, its words and syllables are not)."""
    keys: list[int] = []
    counts: list[int] = []
    canons: list[int] = []
    forms: list[Encoded] = []
    with gc_paused():
        for name in names:
            parts, family_known = _read(name)
            mine = _fast_keys(parts)
            keys.extend(mine)
            counts.append(len(mine))
            canons += _fast_canons(parts)
            if encoded:
                forms.append(_fast_encode(parts, family_known))
    return keys, counts, canons, forms


def _keys_part(job: tuple[list[str], bool]) -> tuple[bytes, bytes, bytes, list[Encoded]]:
    import numpy as np

    keys, counts, canons, forms = _keys_of_names(*job)
    return (
        np.array(keys, dtype=np.uint64).tobytes(),
        np.array(counts, dtype=np.int64).tobytes(),
        np.array(canons, dtype=np.int64).tobytes(),
        forms,
    )


# The bulk path (`hoptac.names.bulk`): each distinct name read into parts and each part
# described, as arrays (Python, in the workers); the rest compiled, in this process.


def _csr(groups: list[tuple[int, ...]]) -> tuple[Any, Any]:
    """Tuples of codes as (starts, values): tuple k is `values[starts[k]:starts[k + 1]]`."""
    import numpy as np

    sizes = np.array([len(g) for g in groups], dtype=np.int64)
    values = np.fromiter((c for g in groups for c in g), dtype=np.uint64, count=int(sizes.sum()))
    return np.r_[0, np.cumsum(sizes)], values


def _letters(forms: list[str]) -> tuple[Any, Any]:
    """Strings as (starts, code points)."""
    import numpy as np

    sizes = np.array([len(f) for f in forms], dtype=np.int64)
    chars = np.frombuffer("".join(forms).encode("utf-32-le"), dtype=np.uint32)
    return np.r_[0, np.cumsum(sizes)], chars.astype(np.int64)


def _read_names(names: list[str]) -> tuple[Any, Any, Any, list[RawPart]]:
    """Each name's parts, as indexes of the parts in the order this call first met them,
    how many parts each name has, whether its family name is known; and those parts."""
    import numpy as np

    ids: dict[RawPart, int] = {}
    flat: list[int] = []
    counts: list[int] = []
    family: list[bool] = []
    with gc_paused():
        for name in names:
            raw, family_known = raw_parts(name)
            flat += [ids.setdefault(part, len(ids)) for part in raw]
            counts.append(len(raw))
            family.append(family_known)
    return (
        np.array(flat, dtype=np.int32),
        np.array(counts, dtype=np.int8),
        np.array(family, dtype=np.bool_),
        list(ids),
    )


def _describe(raws: list[RawPart]) -> bulk.Described:
    """The parts `raws` described (`bulk.Described`)."""
    import numpy as np

    with gc_paused():
        parts = [_parts.get(r) or _part(r) for r in raws]
        syllables = [s for p in parts for s in p.syllables]
        sets = _code_sets.values
        code_start, codes = _csr([sets[s.codes] for s in syllables])
        own_start, own = _csr([sets[s.own] for s in syllables])
        deletion_start, deletions = _csr(
            [() if p.deletions < 0 else sets[p.deletions] for p in parts]
        )
        vi_start, vi_chars = _letters([s.vi for s in syllables])
        py_start, py_chars = _letters([s.py for s in syllables])
        sizes = np.array([len(p.syllables) for p in parts], dtype=np.int64)
        return bulk.Described(
            bulk.Parts(
                start=np.r_[0, np.cumsum(sizes)],
                code_start=code_start,
                codes=codes,
                own_start=own_start,
                own=own,
                plain=np.zeros(len(syllables), dtype=np.int64),  # ids of this process
                optional=np.array([s.optional for s in syllables], dtype=np.bool_),
                vi_start=vi_start,
                vi_chars=vi_chars,
                py_start=py_start,
                py_chars=py_chars,
                deletion_start=deletion_start,
                deletions=deletions,
                whole=np.zeros(len(parts), dtype=np.int64),
                whole_optional=np.array(
                    [p.whole is not None and p.whole[1] for p in parts], dtype=np.bool_
                ),
            ),
            [s.plain for s in syllables],
            [None if p.whole is None else p.whole[0] for p in parts],
        )


def _keys_in_bulk(
    names: list[str], workers: int, table: NameTable | None
) -> tuple[Any, Any, Any, Any]:
    """`_keys_of_names` of many names at once: flat keys (each name's sorted), how many
    each name has, its canons [names, 2], its row in `table` (empty without a table).
    The names are read into parts, then the parts met described, each once: in `workers`
    forked processes for many names."""
    import numpy as np

    from hoptac.names.batch import _syllable_interner

    forked = workers > 1 and len(names) > FORK_FROM
    if forked:
        _read_names(names[:2000])  # warm the shared memos (words) before forking
        edges = np.linspace(0, len(names), workers * 4 + 1).astype(int).tolist()
        read = fork_map(_read_names, [names[a:b] for a, b in pairwise(edges)], workers)
    else:
        read = [_read_names(names)]
    index: dict[RawPart, int] = {}  # every part met, in the order first met
    flat, counts, family = [], [], []
    with gc_paused():
        for part_ids, part_counts, known, seen in read:
            remap = np.array([index.setdefault(p, len(index)) for p in seen], dtype=np.int64)
            flat.append(remap[part_ids])
            counts.append(part_counts)
            family.append(known)
    del read
    raws = list(index)
    del index
    if forked:
        edges = np.linspace(0, len(raws), workers * 2 + 1).astype(int).tolist()
        described = bulk.Described.concat(
            fork_map(_describe, [raws[a:b] for a, b in pairwise(edges)], workers)
        )
    else:
        described = _describe(raws)
    with gc_paused():  # syllable ids of this process
        parts = described.parts
        parts.plain[:] = [_syllable_interner(t) for t in described.plain]
        parts.whole[:] = [-1 if t is None else _syllable_interner(t) for t in described.whole]
    name_counts = np.concatenate(counts).astype(np.int64)
    got = bulk.assemble(
        np.r_[0, np.cumsum(name_counts)], np.concatenate(flat), np.concatenate(family), parts
    )
    rows = np.zeros(0, dtype=np.int64) if table is None else table.add_assembled(got)
    return got.keys, np.diff(got.key_start), got.canons, rows


@dataclass(frozen=True)
class Keyed:
    """People's blocking keys and namesake-table spellings, as arrays.

    keys, owner: one entry per (person, key), each person's keys once, in ascending order.
    canons: [people, most names, 2], the two `_canons` of each of a person's names, in the
    order of the names (-1 past a person's last name).
    names: [people, most names], each name's index in the `NameTable` given to
    `keys_of_people` (-1 past a person's last name), or None without a table."""

    keys: Any
    owner: Any
    canons: Any
    names: Any = None


def keys_of_people(
    people: Sequence[tuple[str, ...]], workers: int = 1, table: NameTable | None = None
) -> Keyed:
    """Every person's keys (the same keys as `person_keys`) and canons, computed once per
    distinct name (in `workers` forked processes for many names); each distinct name is
    added to `table`, if given, from the same parse."""
    return keys_of_sides([people], workers, table)[0]


def keys_of_sides(
    sides: Sequence[Sequence[tuple[str, ...]]], workers: int = 1, table: NameTable | None = None
) -> list[Keyed]:
    """`keys_of_people` of each side (notices, a register), their names keyed together:
    a name on both sides once, one share of the work among the workers."""
    with gc_paused():  # the forked workers inherit the pause
        return _keys_of_sides(sides, workers, table)


def _keys_of_sides(
    sides: Sequence[Sequence[tuple[str, ...]]], workers: int, table: NameTable | None
) -> list[Keyed]:
    import numpy as np

    encoded = table is not None

    name_of: dict[str, int] = {}
    distinct: list[str] = []
    named: list[list[int]] = []  # per side: each person's names as indexes of `distinct`
    sizes: list[list[int]] = []  # per side: how many names each person has
    for people in sides:
        ids: list[int] = []
        counts_of: list[int] = []
        for names in people:
            counts_of.append(len(names))
            for name in names:
                found = name_of.get(name)
                if found is None:
                    found = name_of[name] = len(distinct)
                    distinct.append(name)
                ids.append(found)
        named.append(ids)
        sizes.append(counts_of)
    del name_of
    if len(distinct) >= BULK_FROM:
        flat, counts, canon, rows = _keys_in_bulk(distinct, workers, table)
    else:
        if workers > 1 and len(distinct) > FORK_FROM:
            # warm the shared memos (readings, syllable sounds) before forking
            _keys_of_names(distinct[:2000])
            edges = np.linspace(0, len(distinct), workers * 4 + 1).astype(int).tolist()
            jobs = [(distinct[a:b], encoded) for a, b in pairwise(edges)]
            parts = fork_map(_keys_part, jobs, workers)
            flat = np.concatenate([np.frombuffer(p[0], dtype=np.uint64) for p in parts])
            counts = np.concatenate([np.frombuffer(p[1], dtype=np.int64) for p in parts])
            canon = np.concatenate([np.frombuffer(p[2], dtype=np.int64) for p in parts])
            forms = [form for p in parts for form in p[3]]
        else:
            k, c, n, forms = _keys_of_names(distinct, encoded)
            flat, counts = np.array(k, dtype=np.uint64), np.array(c, dtype=np.int64)
            canon = np.array(n, dtype=np.int64)
        rows = np.array(
            [table.add_encoded(f) for f in forms] if table is not None else [], dtype=np.int64
        )
        del forms
        # each name's keys sorted, as the bulk path gives them
        of_name = np.repeat(np.arange(len(counts)), counts)
        flat = flat[np.lexsort((flat, of_name))]
    canon = canon.reshape(-1, 2)
    starts = np.r_[0, np.cumsum(counts)]
    out = []
    for people, mine, side_sizes in zip(sides, named, sizes, strict=True):
        # person -> its names' key spans
        many = np.array(side_sizes, dtype=np.int64)
        width = int(many.max()) if len(people) else 1
        slots = np.full((len(people), width), -1, dtype=np.int64)
        slots[
            np.repeat(np.arange(len(people)), many),
            np.arange(len(mine)) - np.repeat(np.cumsum(many) - many, many),
        ] = mine
        present = slots >= 0
        owners = np.nonzero(present)[0]
        which = slots[present]
        canons = np.where(present[:, :, None], canon[np.maximum(slots, 0)], -1)
        in_table = None if table is None else np.where(present, rows[np.maximum(slots, 0)], -1)
        if len(distinct) >= BULK_FROM:
            keys, person = bulk.people_keys(flat, starts, slots)
        else:
            keys, person = _people_keys(flat, counts, starts, which, owners, width)
        out.append(Keyed(keys, person, canons, in_table))
    return out


def _people_keys(
    flat: Any, counts: Any, starts: Any, which: Any, owners: Any, width: int
) -> tuple[Any, Any]:
    """`bulk.people_keys` in numpy, of the names `which` of the people `owners` (each
    person's names in a row), `width` the most names of a person."""
    import numpy as np

    lengths = counts[which]
    total = int(lengths.sum())
    first = np.repeat(starts[which] - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    keys = flat[first + np.arange(total)]
    person = np.repeat(owners, lengths)
    if width > 1:  # aliases may share keys: keep each once, sorted by (person, key)
        _, dense = np.unique(keys, return_inverse=True)  # keys in order, as 32-bit ranks
        packed = (person.astype(np.uint64) << np.uint64(32)) | dense.astype(np.uint64)
        _, first = np.unique(packed, return_index=True)
        person, keys = person[first], keys[first]
    return keys, person


def clear_memos() -> None:
    """`match.clear_memos`, and the keys' own memos (per name, syllable and pair), so that
    a benchmark keys names and syllables never seen before."""
    match.clear_memos()
    for memo in (
        name_keys,
        syllable_sounds,
        _codes,
        _own,
        _deletions,
        _pair_keys,
        _part_letters,
        _forms,
        _sounds,
    ):
        memo.cache_clear()
    _parts.clear()  # (`_code_sets` stays: its ids are what other threads' parts hold)
    _pairs.clear()
