"""A million names' blocking keys, canons and batch rows at once: the loop that assembles
them from their parts, compiled (numba, `hoptac.jit`).

`hoptac.names.blocking` reads each distinct name into its parts (written words: the only
work that needs Python per name) and describes each distinct part once, as arrays
(`Parts`). What a name's keys, canons and `batch.encode`d rows are follows from its parts'
arrays alone, by the rules of `blocking._keys_parsed`, `blocking._canons` and
`batch.encode`; `assemble` applies them to every name in one compiled loop. The Python path
of `blocking` (one name at a time) is its reference: the tests hold the two to the same
keys, canons and rows on generated names of every script.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hoptac.jit import compiled

KEYED_SYLLABLES = 4  # a name's first syllables make its keys (`blocking.MAX_SYLLABLES`)


def _crc_table() -> np.ndarray:
    """The table of zlib's CRC-32 (reflected polynomial 0xEDB88320), one entry per byte."""
    table = np.zeros(256, dtype=np.int64)
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table[n] = c
    return table


CRC_TABLE = _crc_table()


@dataclass(frozen=True)
class Parts:
    """Parts (written words) as arrays; a part's syllables are the entries
    `start[p]:start[p + 1]` of the per-syllable arrays, and a (starts, values) pair holds
    one tuple per syllable or part, tuple k being `values[starts[k]:starts[k + 1]]`.

    Per syllable: codes, own: its sound codes (`blocking._codes`, `blocking._own`), each
    below 2**32; plain: its `batch` syllable id; optional: whether it is a Latin Vietnamese
    middle name; vi, py: its `blocking._forms` without spaces, as code points. Per part:
    deletions: its `blocking._deletions` (none for most); whole: the `batch` syllable id of
    a part of several Latin syllables read as one, or -1, and whether that is a middle
    name."""

    start: np.ndarray
    code_start: np.ndarray
    codes: np.ndarray
    own_start: np.ndarray
    own: np.ndarray
    plain: np.ndarray
    optional: np.ndarray
    vi_start: np.ndarray
    vi_chars: np.ndarray
    py_start: np.ndarray
    py_chars: np.ndarray
    deletion_start: np.ndarray
    deletions: np.ndarray
    whole: np.ndarray
    whole_optional: np.ndarray


def _join(starts: list[np.ndarray]) -> np.ndarray:
    """Concatenated start arrays (each beginning at 0), each shifted past the ones before."""
    out = [np.zeros(1, dtype=np.int64)]
    end = 0
    for s in starts:
        out.append(s[1:] + end)
        end += int(s[-1])
    return np.concatenate(out)


@dataclass(frozen=True)
class Described:
    """Parts described, and their syllables and whole forms as `batch` writes them
    ((text, script); None for no whole form): their ids in the process that scores go into
    `parts.plain` and `parts.whole`."""

    parts: Parts
    plain: list[tuple[str, str]]
    whole: list[tuple[str, str] | None]

    @staticmethod
    def concat(described: list[Described]) -> Described:
        """The parts of `described`, in order, as one."""
        ps = [d.parts for d in described]
        return Described(
            Parts(
                **{
                    f: _join([getattr(p, f) for p in ps])
                    if f.endswith("start")
                    else np.concatenate([getattr(p, f) for p in ps])
                    for f in Parts.__dataclass_fields__
                }
            ),
            [t for d in described for t in d.plain],
            [t for d in described for t in d.whole],
        )


@dataclass(frozen=True)
class Assembled:
    """Per name: `keys[key_start[i]:key_start[i + 1]]` its keys, sorted, each once;
    `canons[i]` its two canons (the smaller first). Its batch row: `ids[i]` (syllable
    ids, -1 past its last), `optional[i]` (before its layout's middle is applied), and
    `layout[i]` a code of its part sizes and whether its family name is known
    (`layout_code`); the same of its whole-part form in `whole_*`, `whole_layout[i]` -1
    where it has none."""

    keys: np.ndarray
    key_start: np.ndarray
    canons: np.ndarray
    ids: np.ndarray
    optional: np.ndarray
    layout: np.ndarray
    whole_ids: np.ndarray
    whole_optional: np.ndarray
    whole_layout: np.ndarray


def layout_code(sizes: tuple[int, ...], family_known: bool) -> int:
    """A layout as one integer: whether the family name is known (bit 0), the number of
    parts (bits 1-4), each part's size (3 bits each from bit 5): `parse` keeps at most 8
    parts of at most 6 syllables."""
    code = int(family_known) | len(sizes) << 1
    for k, size in enumerate(sizes):
        code |= size << (5 + 3 * k)
    return code


def layout_of_code(code: int) -> tuple[tuple[int, ...], bool]:
    """The (sizes, family known) of a `layout_code`."""
    parts = (code >> 1) & 15
    return tuple((code >> (5 + 3 * k)) & 7 for k in range(parts)), bool(code & 1)


def assemble(
    name_start: np.ndarray, name_parts: np.ndarray, family: np.ndarray, parts: Parts
) -> Assembled:
    """Every name's keys, canons and batch rows, name i being the parts
    `name_parts[name_start[i]:name_start[i + 1]]` (indexes of `parts`), its family name
    known where `family[i]`."""
    p = parts
    out = compiled(_assemble)(
        name_start.astype(np.int64),
        name_parts.astype(np.int64),
        family.astype(np.bool_),
        p.start,
        p.code_start,
        p.codes,
        p.own_start,
        p.own,
        p.plain,
        p.optional,
        p.vi_start,
        p.vi_chars,
        p.py_start,
        p.py_chars,
        p.deletion_start,
        p.deletions,
        p.whole,
        p.whole_optional,
        CRC_TABLE,
    )
    return Assembled(*out)


def _assemble(
    name_start: Any,
    name_parts: Any,
    family: Any,
    start: Any,
    code_start: Any,
    codes: Any,
    own_start: Any,
    own: Any,
    plain: Any,
    optional: Any,
    vi_start: Any,
    vi_chars: Any,
    py_start: Any,
    py_chars: Any,
    deletion_start: Any,
    deletions: Any,
    whole: Any,
    whole_optional: Any,
    table: Any,
) -> tuple[Any, ...]:  # pragma: no cover - compiled; tested against the Python path
    names = len(name_start) - 1
    # each name's first syllables, and their parts (the name's k-th); how many
    at = np.zeros((names, KEYED_SYLLABLES, 2), dtype=np.int64)
    keyed = np.zeros(names, dtype=np.int64)
    for i in range(names):
        m = 0
        for k in range(name_start[i], name_start[i + 1]):
            part = name_parts[k]
            for s in range(start[part], start[part + 1]):
                if m < KEYED_SYLLABLES:
                    at[i, m, 0] = s
                    at[i, m, 1] = k - name_start[i]
                    m += 1
        keyed[i] = m
    # then: how many keys at most (before repeats are dropped), the widest row
    bound = np.zeros(names + 1, dtype=np.int64)
    width = 1
    most_chars = 1
    for i in range(names):
        m = keyed[i]
        total = 0
        if m == 1:
            s = at[i, 0, 0]
            total = code_start[s + 1] - code_start[s]
        else:
            for a in range(m):
                sa = at[i, a, 0]
                for b in range(a + 1, m):
                    sb = at[i, b, 0]
                    total += (code_start[sa + 1] - code_start[sa]) * (
                        code_start[sb + 1] - code_start[sb]
                    )
            for k in range(name_start[i], min(name_start[i] + KEYED_SYLLABLES, name_start[i + 1])):
                part = name_parts[k]
                size_d = deletion_start[part + 1] - deletion_start[part]
                for t in range(m):
                    if at[i, t, 1] != k - name_start[i]:
                        st = at[i, t, 0]
                        total += size_d * (own_start[st + 1] - own_start[st])
        bound[i + 1] = bound[i] + total
        length = 0
        letters_vi = 0
        letters_py = 0
        for k in range(name_start[i], name_start[i + 1]):
            part = name_parts[k]
            length += start[part + 1] - start[part]
            for s in range(start[part], start[part + 1]):
                letters_vi += vi_start[s + 1] - vi_start[s]
                letters_py += py_start[s + 1] - py_start[s]
        width = max(width, length)
        most_chars = max(most_chars, letters_vi, letters_py)

    keys = np.empty(bound[names], dtype=np.uint64)
    key_start = np.zeros(names + 1, dtype=np.int64)
    canons = np.empty((names, 2), dtype=np.int64)
    ids = np.full((names, width), -1, dtype=np.int64)
    opt = np.zeros((names, width), dtype=np.bool_)
    layout = np.zeros(names, dtype=np.int64)
    whole_ids = np.full((names, width), -1, dtype=np.int64)
    whole_opt = np.zeros((names, width), dtype=np.bool_)
    whole_layout = np.full(names, -1, dtype=np.int64)
    buffer = np.empty(most_chars, dtype=np.int64)
    readings = np.zeros(2, dtype=np.int64)
    shift = np.uint64(32)
    written = 0
    for i in range(names):
        # keys: every pair of codes of two syllables, and each Latin part less one letter
        # against the other syllables' own sounds; then sorted, each once
        m = keyed[i]
        w = bound[i]
        if m == 1:
            s = at[i, 0, 0]
            for c in range(code_start[s], code_start[s + 1]):
                keys[w] = codes[c]
                w += 1
        else:
            for a in range(m):
                sa = at[i, a, 0]
                for b in range(a + 1, m):
                    sb = at[i, b, 0]
                    for x in range(code_start[sa], code_start[sa + 1]):
                        first = codes[x]
                        for y in range(code_start[sb], code_start[sb + 1]):
                            second = codes[y]
                            if first <= second:
                                keys[w] = (first << shift) | second
                            else:
                                keys[w] = (second << shift) | first
                            w += 1
            for k in range(name_start[i], min(name_start[i] + KEYED_SYLLABLES, name_start[i + 1])):
                part = name_parts[k]
                for t in range(m):
                    if at[i, t, 1] == k - name_start[i]:
                        continue
                    st = at[i, t, 0]
                    for x in range(deletion_start[part], deletion_start[part + 1]):
                        first = deletions[x]
                        for y in range(own_start[st], own_start[st + 1]):
                            second = own[y]
                            if first <= second:
                                keys[w] = (first << shift) | second
                            else:
                                keys[w] = (second << shift) | first
                            w += 1
        mine = keys[bound[i] : w]
        mine.sort()
        for k in range(len(mine)):
            if k == 0 or mine[k] != mine[k - 1]:
                keys[written] = mine[k]
                written += 1
        key_start[i + 1] = written

        # canons (`blocking._canons`): per reading, zlib.crc32 of the UTF-8 of the sorted
        # letters of all the name's syllables; both readings, the smaller first
        for reading in range(2):
            char_start, chars = (vi_start, vi_chars) if reading == 0 else (py_start, py_chars)
            n = 0
            for k in range(name_start[i], name_start[i + 1]):
                part = name_parts[k]
                for s in range(start[part], start[part + 1]):
                    for c in range(char_start[s], char_start[s + 1]):
                        buffer[n] = chars[c]
                        n += 1
            letters = np.sort(buffer[:n])
            crc = 0xFFFFFFFF
            for c in letters:
                if c < 0x80:
                    crc = table[(crc ^ c) & 0xFF] ^ (crc >> 8)
                    continue
                if c < 0x800:
                    units = 2
                    lead = 0xC0 | (c >> 6)
                elif c < 0x10000:
                    units = 3
                    lead = 0xE0 | (c >> 12)
                else:
                    units = 4
                    lead = 0xF0 | (c >> 18)
                crc = table[(crc ^ lead) & 0xFF] ^ (crc >> 8)
                for u in range(units - 2, -1, -1):  # the continuation bytes, 6 bits each
                    crc = table[(crc ^ (0x80 | ((c >> (6 * u)) & 0x3F))) & 0xFF] ^ (crc >> 8)
            readings[reading] = crc ^ 0xFFFFFFFF
        canons[i, 0] = min(readings[0], readings[1])
        canons[i, 1] = max(readings[0], readings[1])

        # the batch rows: the syllables in order; the whole-part form where a part has one
        parts = name_start[i + 1] - name_start[i]
        code = np.int64(1 if family[i] else 0) | (parts << 1)
        whole_code = code
        n = 0
        n_whole = 0
        has_whole = False
        for k in range(name_start[i], name_start[i + 1]):
            part = name_parts[k]
            size = start[part + 1] - start[part]
            code |= size << (5 + 3 * (k - name_start[i]))
            for s in range(start[part], start[part + 1]):
                ids[i, n] = plain[s]
                opt[i, n] = optional[s]
                n += 1
            if whole[part] >= 0:
                has_whole = True
                whole_ids[i, n_whole] = whole[part]
                whole_opt[i, n_whole] = whole_optional[part]
                n_whole += 1
                whole_code |= 1 << (5 + 3 * (k - name_start[i]))
            else:
                for s in range(start[part], start[part + 1]):
                    whole_ids[i, n_whole] = plain[s]
                    whole_opt[i, n_whole] = optional[s]
                    n_whole += 1
                whole_code |= size << (5 + 3 * (k - name_start[i]))
        layout[i] = code
        if has_whole:
            whole_layout[i] = whole_code
        else:
            for k in range(n_whole):
                whole_ids[i, k] = -1
                whole_opt[i, k] = False
    return (
        keys[:written].copy(),
        key_start,
        canons,
        ids,
        opt,
        layout,
        whole_ids,
        whole_opt,
        whole_layout,
    )


def people_keys(keys: np.ndarray, key_start: np.ndarray, names: np.ndarray) -> tuple[Any, Any]:
    """(keys, owner): one entry per (person, key), each person's keys once and in ascending
    order, of people whose names are `names` [people, most names] (name indexes, -1 past a
    person's last), name i's keys being `keys[key_start[i]:key_start[i + 1]]`, ascending."""
    out_keys, owner = compiled(_people_keys)(keys, key_start.astype(np.int64), names)
    return out_keys, owner


def _people_keys(keys: Any, key_start: Any, names: Any) -> tuple[Any, Any]:  # pragma: no cover
    people, width = names.shape
    total = 0
    for p in range(people):
        for j in range(width):
            n = names[p, j]
            if n >= 0:
                total += key_start[n + 1] - key_start[n]
    out = np.empty(total, dtype=np.uint64)
    owner = np.empty(total, dtype=np.int64)
    w = 0
    for p in range(people):
        begin = w
        many = 0
        for j in range(width):
            n = names[p, j]
            if n < 0:
                continue
            many += 1
            for k in range(key_start[n], key_start[n + 1]):
                out[w] = keys[k]
                w += 1
        if many > 1:  # aliases may share keys: each once, in order
            mine = out[begin:w]
            mine.sort()
            kept = 0
            for k in range(len(mine)):
                if k == 0 or mine[k] != mine[k - 1]:
                    out[begin + kept] = mine[k]
                    kept += 1
            w = begin + kept
        owner[begin:w] = p
    return out[:w].copy(), owner[:w].copy()
