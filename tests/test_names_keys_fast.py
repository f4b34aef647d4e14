"""The fast keying path (`blocking._keys_of_names`, `name_keys`, `keys_of_people`) gives
what the code it replaced gave, to the order of each name's keys: the reference below is a
copy of that code (the parse, the keys of a parsed name, its canons and `batch.encode`, one
name at a time), held against the fast path on names of every script."""

from __future__ import annotations

import csv
import re
import unicodedata
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoptac.names import blocking, readings
from hoptac.names.batch import _MIDDLE_NAMES, Layout, NameTable, _layout_id, _layouts
from hoptac.names.fold import fold
from hoptac.names.hangul import romanize_syllable
from hoptac.names.parse import (
    _INVISIBLE,
    _SUFFIXES,
    _TITLES,
    HAN,
    HANGUL,
    LATIN,
    MAX_PARTS,
    ParsedName,
    Syllable,
    _korean_surnames,
    _word,
    korean_surname_spellings,
    parse,
)

# --- the reference: the code the fast path replaced, as it was -----------------------

_SPACES = re.compile(r"\s+")


def _strip_titles_reference(words: list[str]) -> list[str]:
    kept = [(w, f) for w in words if (f := fold(w))]
    words, folded = [w for w, _ in kept], [f for _, f in kept]
    start = 0
    while start < len(words):
        for n in (3, 2, 1):
            if len(words) - start > n and " ".join(folded[start : start + n]) in _TITLES:
                start += n
                break
        else:
            break
    return words[start:]


def _split_cjk_reference(chars: list[str], script: str, first: bool) -> list[list[tuple[str, str]]]:
    if not first or len(chars) < 2:
        return [[(c, script) for c in chars]]
    family = 1
    if script == HANGUL and len(chars) >= 3 and "".join(chars[:2]) in _korean_surnames():
        family = 2
    return [[(c, script) for c in chars[:family]], [(c, script) for c in chars[family:]]]


def parse_reference(name: str) -> ParsedName:
    text = unicodedata.normalize("NFKC", name.translate(_INVISIBLE)).strip()
    while text.endswith(_SUFFIXES):
        text = next(text.removesuffix(x) for x in _SUFFIXES if text.endswith(x)).strip()
    family_known = False
    if "," in text:
        family, _, given = text.partition(",")
        text, family_known = f"{family.strip()} {given.strip()}", True
    words = _strip_titles_reference([w for w in _SPACES.split(text) if w])
    raw_parts: list[list[tuple[str, str]]] = []
    upper = []
    for word in words:
        script, syllables = _word(word)
        if script != LATIN:
            raw_parts.extend(_split_cjk_reference(list(syllables), script, first=not raw_parts))
        elif syllables:
            letters = "".join(syllables)
            if len(letters) > 1 and letters.isupper():
                upper.append(len(raw_parts))
            raw_parts.append([(s, LATIN) for s in syllables])
    if not family_known and len(upper) == 1 and len(upper) < len(raw_parts):
        raw_parts.insert(0, raw_parts.pop(upper[0]))
        family_known = True
    parts = tuple(
        tuple([Syllable(text, script, i) for text, script in part[:6]])
        for i, part in enumerate(raw_parts[:MAX_PARTS])
    )
    return ParsedName(parts, family_known)


def _pair_keys_reference(first: tuple[int, ...], second: tuple[int, ...]) -> frozenset[int]:
    return frozenset((a << 32) | b if a <= b else (b << 32) | a for a in first for b in second)


def keys_reference(parsed: ParsedName) -> frozenset[int]:
    syllables = parsed.syllables[:4]
    codes = [blocking._codes(s.text, s.script) for s in syllables]
    if len(codes) == 1:
        return frozenset(codes[0])
    sets = [_pair_keys_reference(first, second) for first, second in combinations(codes, 2)]
    for index, part in enumerate(parsed.parts[:4]):
        if part[0].script in (HAN, HANGUL):
            continue
        letters = blocking._part_letters(tuple(s.text for s in part))
        if len(letters) < 4:
            continue
        deleted = blocking._deletions(letters)
        sets += [
            _pair_keys_reference(deleted, blocking._own(s.text, s.script))
            for s in syllables
            if s.part != index
        ]
    return frozenset().union(*sets)


def canons_reference(parsed: ParsedName) -> tuple[int, ...]:
    forms = [blocking._forms(s.text, s.script) for s in parsed.syllables]
    found = {
        zlib.crc32("".join(sorted("".join(f[k] for f in forms).replace(" ", ""))).encode())
        for k in (0, 1)
    }
    return tuple(sorted(found))


def _plain_reference(parsed: ParsedName) -> Any:
    sizes = tuple(len(p) for p in parsed.parts)
    layout = _layouts[_layout_id(Layout(sizes, parsed.family_known))]
    syllables = parsed.syllables
    optional = tuple(
        middle and s.script == LATIN and fold(s.text) in _MIDDLE_NAMES
        for s, middle in zip(syllables, layout.middle, strict=True)
    )
    texts = tuple((s.text.lower() if s.script == LATIN else s.text, s.script) for s in syllables)
    return texts, sizes, parsed.family_known, optional


def encode_reference(parsed: ParsedName) -> Any:
    joined = parsed.joined()
    return _plain_reference(parsed), (_plain_reference(joined) if joined != parsed else None)


def keys_of_names_reference(names: list[str]) -> tuple[list[int], list[int], list[int], list[Any]]:
    keys: list[int] = []
    counts: list[int] = []
    canons: list[int] = []
    forms: list[Any] = []
    for name in names:
        parsed = parse_reference(name)
        mine = keys_reference(parsed)
        keys.extend(mine)
        counts.append(len(mine))
        two = canons_reference(parsed)
        canons += (two[0], two[-1])
        forms.append(encode_reference(parsed))
    return keys, counts, canons, forms


def keys_of_people_reference(people: Sequence[tuple[str, ...]], table: NameTable) -> blocking.Keyed:
    """`keys_of_people` in one process, as it was (but for each person's keys, now in
    ascending order, as the bulk path gives them)."""
    name_of: dict[str, int] = {}
    distinct: list[str] = []
    for names in people:
        for name in names:
            if name not in name_of:
                name_of[name] = len(distinct)
                distinct.append(name)
    k, c, n, forms = keys_of_names_reference(distinct)
    k = [key for start, end in zip(np.r_[0, np.cumsum(c)][:-1], np.cumsum(c), strict=True)
         for key in sorted(k[start:end])]  # fmt: skip
    flat, counts = np.array(k, dtype=np.uint64), np.array(c, dtype=np.int64)
    canon = np.array(n, dtype=np.int64).reshape(-1, 2)
    rows = np.array([table.add_encoded(f) for f in forms], dtype=np.int64)
    starts = np.r_[0, np.cumsum(counts)]
    width = max((len(names) for names in people), default=1)
    slots = np.full((len(people), width), -1, dtype=np.int64)
    for p, names in enumerate(people):
        slots[p, : len(names)] = [name_of[n] for n in names]
    present = slots >= 0
    owners = np.nonzero(present)[0]
    which = slots[present]
    canons = np.where(present[:, :, None], canon[np.maximum(slots, 0)], -1)
    in_table = np.where(present, rows[np.maximum(slots, 0)], -1)
    lengths = counts[which]
    total = int(lengths.sum())
    first = np.repeat(starts[which] - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    keys = flat[first + np.arange(total)]
    person = np.repeat(owners, lengths)
    if width > 1:
        both = np.unique(np.stack([person.astype(np.uint64), keys]), axis=1)
        person, keys = both[0].astype(np.int64), both[1]
    return blocking.Keyed(keys, person, canons, in_table)


# --- generated names -------------------------------------------------------------------

_TABLE = readings.table()
_COMMON = sorted(c for c, r in _TABLE.by_char.items() if r.weight > 0)
_RARE = sorted(c for c, r in _TABLE.by_char.items() if r.weight == 0)[::40]
_UNREAD = ["\U00020000", "\U0002a6d6", "\u3400", "\u9fff", "〇"]  # CJK without readings
_PINYIN = sorted(p for p in _TABLE.by_pinyin if p.isascii() and p.isalpha())
_VIETNAMESE = sorted({v for r in _TABLE.by_char.values() for v in r.vietnamese})
_HANGUL = [chr(c) for c in range(0xAC00, 0xD7A4)]
_SURNAMES = sorted(korean_surname_spellings())
_SPELLINGS = sorted({s for v in korean_surname_spellings().values() for s in v})
_VIET_NAMES = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô",
    "Dương", "Lý", "Văn", "Thị", "Hữu", "Đức", "Ngọc", "Xuân", "Quang", "Minh", "Thanh",
    "Hải", "Trung", "Hùng", "Hưng", "Tuấn", "Hòa", "Hoà", "Lí", "Kiện", "Vương", "Cường",
]  # fmt: skip
_WRITTEN_TITLES = [
    "Ông", "Bà", "Mr.", "Mrs", "Dr", "Đồng chí", "Thiếu tướng", "Bộ trưởng", "Chủ tịch",
    "General", "Prime Minister", "Ambassador", "Sir", "Mr. &", "-",
]  # fmt: skip
_CASES: list[Callable[[str], str]] = [
    str,
    str.upper,
    str.lower,
    str.title,
    str.capitalize,
    lambda s: unicodedata.normalize("NFD", s),
    lambda s: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s),  # fullwidth
]
_JOINS = ["", "-", " ", "'", "’", ".", "‐"]


def _cased(words: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda w, case: case(w), words, st.sampled_from(_CASES))


def _joined(syllables: st.SearchStrategy[str], most: int = 3) -> st.SearchStrategy[str]:
    return st.builds(
        lambda xs, join: join.join(xs),
        st.lists(syllables, min_size=1, max_size=most),
        st.sampled_from(_JOINS),
    )


_CJK = st.sampled_from(_COMMON) | st.sampled_from(_RARE) | st.sampled_from(_UNREAD)
WORD = st.one_of(
    # Vietnamese, with its marks, without them, or as a reading of a character
    _cased(st.sampled_from(_VIET_NAMES)),
    _cased(st.sampled_from(_VIETNAMESE)),
    _cased(st.sampled_from(_VIETNAMESE).map(fold)),
    # hanzi, one word or several characters
    st.lists(_CJK, min_size=1, max_size=4).map("".join),
    # pinyin, cut or run together (Jinping, Jin-ping, jin ping)
    _cased(_joined(st.sampled_from(_PINYIN))),
    # hangul, with compound surnames and the syllables of any name
    st.lists(st.sampled_from(_HANGUL), min_size=1, max_size=4).map("".join),
    st.builds(lambda s, g: s + g, st.sampled_from(_SURNAMES), st.sampled_from(_HANGUL)),
    # Korean romanisations: Revised Romanization, passport spellings, surnames
    _cased(_joined(st.sampled_from(_HANGUL).map(romanize_syllable), 2)),
    _cased(st.sampled_from(_SPELLINGS)),
    _cased(st.sampled_from(["Soo", "Hee", "Young", "Kyung", "Jong-un", "Geun-hye", "Myung"])),
    # titles, punctuation and what is no name at all
    st.sampled_from(_WRITTEN_TITLES),
    st.sampled_from(sorted(_TITLES)).map(str.title),
    st.sampled_from(["&", "-", ".", "—", "(", ")", "'", "1975", "A.", "J.R.", "_", "x2"]),
    st.text(min_size=1, max_size=6),
)
_SEPARATORS = [" ", "  ", "\u200b", "\t", "\u3000", "\u00a0", " - ", "", "\x1c", "\x85", "\u2028"]


def _name(words: list[str], seps: list[str], comma: int, suffix: str) -> str:
    text = words[0] if words else ""
    for word, sep in zip(words[1:], seps, strict=False):
        text += (sep or " ") + word
    if comma and len(words) > 1:
        at = text.find(" ")
        text = f"{text[:at]},{text[at:]}" if at > 0 else text
    return text + suffix


NAME = st.builds(
    _name,
    st.lists(WORD, min_size=0, max_size=7),
    st.lists(st.sampled_from(_SEPARATORS), min_size=6, max_size=6),
    st.integers(0, 3),
    st.sampled_from(["", "", "", " 先生", "씨", "님", "同志", ","]),
) | st.text(max_size=20)


def _check_names(names: list[str]) -> None:
    got = blocking._keys_of_names(names, True)
    want = keys_of_names_reference(names)
    assert got[1] == want[1]  # how many keys each name has
    assert got[0] == want[0]  # the keys, in the same order
    assert got[2] == want[2]  # the canons
    assert got[3] == want[3]  # the encoded names
    for name in names:
        assert parse(name) == parse_reference(name)
        assert list(blocking.name_keys(name)) == list(keys_reference(parse_reference(name)))


@contextmanager
def _bulk(on: bool) -> Iterator[None]:
    """Key every list of names in bulk (`hoptac.names.bulk`), or every one one at a time."""
    before = blocking.BULK_FROM
    blocking.BULK_FROM = 0 if on else 1 << 62
    try:
        yield
    finally:
        blocking.BULK_FROM = before


def _check_people(people: list[tuple[str, ...]], workers: int = 1, bulk: bool = False) -> None:
    with _bulk(bulk):
        _check_people_keyed(people, workers)


def _check_people_keyed(people: list[tuple[str, ...]], workers: int = 1) -> None:
    fast_table, slow_table = NameTable(), NameTable()
    got = blocking.keys_of_people(people, workers, fast_table)
    want = keys_of_people_reference(people, slow_table)
    for field in ("keys", "owner", "canons", "names"):
        a, b = getattr(got, field), getattr(want, field)
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), field
    for a, b in zip(fast_table.pack(), slow_table.pack(), strict=True):
        assert a.tobytes() == b.tobytes()
    assert blocking.keys_of_people(people).keys.tobytes() == want.keys.tobytes()  # no table
    # two sides keyed together (a name on both once) key each side as it alone keys
    half = len(people) // 2
    sides = [people[: half + 1], people[half:]]
    table = NameTable()
    for side, together in zip(sides, blocking.keys_of_sides(sides, workers, table), strict=True):
        alone_table = NameTable()
        alone = blocking.keys_of_people(side, 1, alone_table)
        for field in ("keys", "owner", "canons"):
            assert getattr(together, field).tobytes() == getattr(alone, field).tobytes(), field
        assert _rows(together, table) == _rows(alone, alone_table)
    for names in people:
        assert blocking.person_keys(names) == frozenset().union(
            *(keys_reference(parse_reference(n)) for n in names)
        )


def _rows(keyed: blocking.Keyed, table: NameTable) -> list[tuple[object, ...]]:
    """Each person's names as the table encoded them (syllable ids, layout, whole form)."""
    ids, optional, layouts, name_row, whole_row = table.pack()
    out: list[tuple[object, ...]] = []
    for index in keyed.names.ravel().tolist():
        if index < 0:
            out.append(())
            continue
        row, whole = name_row[index], whole_row[index]
        width = int((ids[row] >= 0).sum())  # past it, the table's padding
        out.append(
            (
                ids[row, :width].tolist(),
                optional[row, :width].tolist(),
                int(layouts[row]),
                None if whole < 0 else [i for i in ids[whole].tolist() if i >= 0],
            )
        )
    return out


# --- the tests --------------------------------------------------------------------------


@settings(max_examples=1000, deadline=None)
@given(st.lists(NAME, min_size=1, max_size=12))
def test_generated_names_key_as_before(names: list[str]) -> None:
    _check_names(names)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(NAME, min_size=1, max_size=3).map(tuple), min_size=1, max_size=12))
def test_generated_people_key_as_before(people: list[tuple[str, ...]]) -> None:
    _check_people(people)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(NAME, min_size=1, max_size=3).map(tuple), min_size=1, max_size=12))
def test_generated_people_key_as_before_in_bulk(people: list[tuple[str, ...]]) -> None:
    """The compiled bulk path: the same keys, canons and table rows as one name at a time."""
    _check_people(people, bulk=True)


def _names_of_the_bench() -> list[str]:
    """Every name form of the matcher's development and held-out sets."""
    rows = []
    for file in ("names_people.csv", "names_people_heldout.csv"):
        with (Path(__file__).parent / "data" / file).open(encoding="utf-8") as f:
            rows += list(csv.DictReader(f))
    return sorted({v for row in rows for v in row.values() if v and not v.isdigit()})


EDGES = [
    "",
    " ",
    ",",
    "Thiếu tướng",  # a title alone
    "Ông - Bộ trưởng Nguyễn Văn An",
    "Mr. & Mrs. Wang Jian",
    "王健先生 同志",
    "XI Jinping",
    "Xi Jineing",
    "NGUYEN, Hai Trung",
    "황보관",
    "황보영수",
    "Park Soo-kwan",
    "A B C D E F G H I J",  # more parts than a name keeps
    "Qwertyuiopasdfghjkl-zxcvbnm",
    "jinpingjinpingjinpingjinping",  # more syllables than a part keeps
    "ＸＩ Ｊｉｎｐｉｎｇ",
    "𝐖𝐚𝐧𝐠 𝐉𝐢𝐚𝐧",
    "Nguyễn\u200bVăn\u200bAn",
    "阮顯 Nguyễn Hiển",
    "习近平 Xi Jinping 습근평",
    "\U00020000\U00020001",
]


@pytest.mark.parametrize("bulk", [False, True], ids=["one-at-a-time", "bulk"])
def test_edge_cases_and_the_bench_names_key_as_before(bulk: bool) -> None:
    names = EDGES + _names_of_the_bench()
    _check_names(names)
    people = [(n,) for n in names] + [tuple(names[i : i + 3]) for i in range(0, 60, 3)]
    _check_people(people, bulk=bulk)


def test_memos_that_start_again_key_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blocking, "PARTS_KEPT", 3)
    monkeypatch.setattr(blocking, "PAIRS_KEPT", 5)
    blocking.clear_memos()
    try:
        _check_names(EDGES + _names_of_the_bench()[:300])
    finally:
        blocking.clear_memos()


@pytest.mark.parametrize("bulk", [False, True], ids=["one-at-a-time", "bulk"])
def test_forked_workers_key_as_one_process(monkeypatch: pytest.MonkeyPatch, bulk: bool) -> None:
    monkeypatch.setattr(blocking, "FORK_FROM", 100)
    names = _names_of_the_bench()
    assert len(names) > 200
    people = [(n,) for n in names]  # one name each: the keys in their order
    _check_people(people, workers=2, bulk=bulk)
    people = [tuple(names[i : i + 1 + i % 3]) for i in range(len(names))]
    _check_people(people, workers=2, bulk=bulk)


def test_a_table_mixes_names_added_one_at_a_time_and_in_bulk() -> None:
    """Rows added by `NameTable.add` before and after a bulk add keep their indexes and
    score as in a table of single adds."""
    names = _names_of_the_bench()[:300]
    mixed, single = NameTable(), NameTable()
    first = [mixed.add(n) for n in names[:50]]
    with _bulk(True):
        keyed = blocking.keys_of_people([(n,) for n in names[50:250]], 1, mixed)
    last = [mixed.add(n) for n in names[250:]]
    assert first == list(range(50)) and last == list(range(250, 300))
    assert keyed.names.ravel().tolist() == list(range(50, 250))
    for n in names:
        single.add(n)
    a, b = np.repeat(np.arange(300), 7), np.tile(np.arange(0, 300, 43), 300)
    assert mixed.score(a, b).tolist() == single.score(a, b).tolist()


def test_garbage_collection_is_back_on_afterwards() -> None:
    import gc

    assert gc.isenabled()
    blocking.keys_of_people([("Wang Jian",), ("Nguyễn Văn An", "阮文安")], 1, NameTable())
    assert gc.isenabled()
    gc.disable()
    try:
        blocking.keys_of_people([("Wang Jian",)])
        assert not gc.isenabled()  # a pause the caller made stays
    finally:
        gc.enable()


def test_several_threads_key_alike_while_the_memos_are_dropped() -> None:
    from concurrent.futures import ThreadPoolExecutor

    names = EDGES + _names_of_the_bench()
    want = [list(keys_reference(parse_reference(n))) for n in names]

    def key(chunk: list[str]) -> list[list[int]]:
        out = []
        for name in chunk:
            k, _, _, _ = blocking._keys_of_names([name], True)
            out.append(k)
        return out

    chunks = [names[i::4] for i in range(4)]
    for _ in range(3):
        with ThreadPoolExecutor(4) as pool:
            running = [pool.submit(key, chunk) for chunk in chunks]
            for _ in range(20):
                blocking.clear_memos()
            got = [f.result() for f in running]
        for chunk, keys in zip(chunks, got, strict=True):
            assert keys == [want[names.index(n)] for n in chunk]
