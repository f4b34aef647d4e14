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

KEYED_SYLLABLES = 4  # `blocking.MAX_SYLLABLES`: a name's first syllables make its keys


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
    """Distinct parts (written words) as arrays; a part's syllables are the entries
    `start[p]:start[p + 1]` of the per-syllable arrays.

    codes, own: each syllable's sound-code sets (`blocking._codes`, `blocking._own`) as
    entries of `sets`; plain: its `batch` syllable id; optional: whether it is a Latin
    Vietnamese middle name; vi, py: its `blocking._forms` without spaces, as code points
    (`vi_chars[vi_start[s]:vi_start[s + 1]]`). deletions: a part's `blocking._deletions`
    set, or -1; whole: the `batch` syllable id of a part of several Latin syllables read
    as one, or -1, and whether that is a middle name. sets: code sets, `set_values`
    `[set_start[i]:set_start[i + 1]]`, each code below 2**32."""

    start: np.ndarray
    codes: np.ndarray
    own: np.ndarray
    plain: np.ndarray
    optional: np.ndarray
    vi_start: np.ndarray
    vi_chars: np.ndarray
    py_start: np.ndarray
    py_chars: np.ndarray
    deletions: np.ndarray
    whole: np.ndarray
    whole_optional: np.ndarray
    set_start: np.ndarray
    set_values: np.ndarray


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
    """Every name's keys, canons and batch rows, the name `i` being the parts
    `name_parts[name_start[i]:name_start[i + 1]]` (ids of `parts`), its family name known
    where `family[i]`."""
    p = parts
    out = compiled(_assemble)(
        name_start.astype(np.int64),
        name_parts.astype(np.int64),
        family.astype(np.bool_),
        p.start,
        p.codes,
        p.own,
        p.plain,
        p.optional,
        p.vi_start,
        p.vi_chars,
        p.py_start,
        p.py_chars,
        p.deletions,
        p.whole,
        p.whole_optional,
        p.set_start,
        p.set_values,
        CRC_TABLE,
    )
    return Assembled(*out)


def _assemble(
    name_start: Any,
    name_parts: Any,
    family: Any,
    start: Any,
    codes: Any,
    own: Any,
    plain: Any,
    optional: Any,
    vi_start: Any,
    vi_chars: Any,
    py_start: Any,
    py_chars: Any,
    deletions: Any,
    whole: Any,
    whole_optional: Any,
    set_start: Any,
    set_values: Any,
    table: Any,
) -> tuple[Any, ...]:  # pragma: no cover - compiled; tested against the Python path
    names = len(name_start) - 1
    # each name's first syllables: their code sets, own sounds, parts; how many
    at = np.zeros((names, KEYED_SYLLABLES, 3), dtype=np.int64)
    keyed = np.zeros(names, dtype=np.int64)
    for i in range(names):
        m = 0
        for k in range(name_start[i], name_start[i + 1]):
            part = name_parts[k]
            for s in range(start[part], start[part + 1]):
                if m < KEYED_SYLLABLES:
                    at[i, m, 0] = codes[s]
                    at[i, m, 1] = own[s]
                    at[i, m, 2] = k - name_start[i]
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
            total = set_start[at[i, 0, 0] + 1] - set_start[at[i, 0, 0]]
        else:
            for a in range(m):
                size_a = set_start[at[i, a, 0] + 1] - set_start[at[i, a, 0]]
                for b in range(a + 1, m):
                    total += size_a * (set_start[at[i, b, 0] + 1] - set_start[at[i, b, 0]])
            for k in range(name_start[i], min(name_start[i] + KEYED_SYLLABLES, name_start[i + 1])):
                d = deletions[name_parts[k]]
                if d >= 0:
                    size_d = set_start[d + 1] - set_start[d]
                    for t in range(m):
                        if at[i, t, 2] != k - name_start[i]:
                            total += size_d * (set_start[at[i, t, 1] + 1] - set_start[at[i, t, 1]])
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
            for c in range(set_start[at[i, 0, 0]], set_start[at[i, 0, 0] + 1]):
                keys[w] = set_values[c]
                w += 1
        else:
            for a in range(m):
                for b in range(a + 1, m):
                    for x in range(set_start[at[i, a, 0]], set_start[at[i, a, 0] + 1]):
                        first = set_values[x]
                        for y in range(set_start[at[i, b, 0]], set_start[at[i, b, 0] + 1]):
                            second = set_values[y]
                            if first <= second:
                                keys[w] = (first << shift) | second
                            else:
                                keys[w] = (second << shift) | first
                            w += 1
            for k in range(name_start[i], min(name_start[i] + KEYED_SYLLABLES, name_start[i + 1])):
                d = deletions[name_parts[k]]
                if d < 0:
                    continue
                for t in range(m):
                    if at[i, t, 2] == k - name_start[i]:
                        continue
                    for x in range(set_start[d], set_start[d + 1]):
                        first = set_values[x]
                        for y in range(set_start[at[i, t, 1]], set_start[at[i, t, 1] + 1]):
                            second = set_values[y]
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
