"""Person search over every register and notice the caller may see, across scripts:
`王健` finds `Vương Kiện` and `Wang Jian`.

The index (`screening_name_keys`) holds one row per sound key of the syllables of a
person's names: the syllable sounds of `hoptac.names.blocking` (the pinyin of the
characters a syllable may write, its Korean spelling class, its letters), hashed. Pair keys,
as the screening engine blocks on, were measured at about 70 rows a person (70 million for
a million-record register, too slow to write); syllable keys are about 10.

A syllable key alone is coarse: at a million records one sound is shared by 5-30% of the
rows. So each index row also carries what a search needs to rank it without visiting the
person: a 128-bit Bloom signature of all the person's keys (does it share this other
syllable of the query?), its register (`scope`, to keep to visible registers) and its
syllable count. The signature also holds each syllable's spellings (its folded letters;
a character's readings), narrower than its sounds. A query reads the postings of its
rarest syllables only — any row sharing two of n syllables shares one of the n - 1
rarest — counts the syllables each row shares by sound and by spelling from the
signatures, keeps the rows sharing the most (then closest in length), and scores those
with `hoptac.names` (batch scores equal to `compare`; `compare` explains the best).
Syllable keys do not forgive a typo inside a syllable (the engine's deletion keys do).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from hoptac.auth import audit
from hoptac.auth.audit import Action
from hoptac.auth.principal import Principal
from hoptac.auth.scoping import scoped, visible
from hoptac.db.models import NameKey, Notice, Register, RegisterRecord
from hoptac.names import compare, readings
from hoptac.names.batch import NameTable
from hoptac.names.blocking import MAX_SYLLABLES, syllable_sounds
from hoptac.names.fold import fold
from hoptac.names.hangul import romanize_syllable
from hoptac.names.match import prepare
from hoptac.names.parse import HAN, HANGUL

NOTICE, RECORD = 1, 2  # NameKey.kind
MAX_POSTINGS = 250_000  # index rows a search reads at most (the rarest syllables first)
CANDIDATES = 400  # rows scored per kind
LIMIT = 50
MIN_SCORE = 0.6  # below this a name has little to do with the query
MAX_SIZE = 15


@lru_cache(maxsize=1 << 16)
def _codes(text: str, script: str) -> frozenset[int]:
    return frozenset(zlib.crc32(k.encode()) for k in syllable_sounds(text, script))


def syllable_keys(name: str) -> list[frozenset[int]]:
    """The sound keys of each syllable of a name (the first MAX_SYLLABLES, as blocking)."""
    return [_codes(s.text, s.script) for s in prepare(name).syllables[:MAX_SYLLABLES]]


@lru_cache(maxsize=1 << 16)
def _spelled(text: str, script: str) -> frozenset[int]:
    """How a syllable is written, narrowly: its folded letters; a character, also its own
    readings (阮: nguyen, ruan, won); a hangul syllable, also its romanization. Sounds find
    candidates; spellings rank the closest of them first (Phan before Phạm)."""
    if script == HAN:
        r = readings.of(text)
        spellings = {text}
        if r is not None:
            spellings |= {fold(v) for v in r.vietnamese} | set(r.pinyin)
            spellings |= {romanize_syllable(k) for k in r.korean}
    elif script == HANGUL:
        spellings = {text, romanize_syllable(text)}
    else:
        spellings = {fold(text)}
    return frozenset(zlib.crc32(f"s:{v}".encode()) for v in spellings)


def syllable_spellings(name: str) -> list[frozenset[int]]:
    return [_spelled(s.text, s.script) for s in prepare(name).syllables[:MAX_SYLLABLES]]


def _signed(value: int) -> int:
    """A 64-bit pattern as the signed BIGINT both databases store."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _bloom(keys: Iterable[int]) -> tuple[int, int]:
    """128 bits, three per key (its 7-bit slices; CRC-32 bits are well mixed)."""
    bits = 0
    for key in keys:
        bits |= (1 << (key & 127)) | (1 << ((key >> 7) & 127)) | (1 << ((key >> 14) & 127))
    return _signed(bits & ((1 << 64) - 1)), _signed(bits >> 64)


def _size(name: str) -> int:
    return min(MAX_SIZE, len(prepare(name).syllables))


def person_keys(names: Iterable[str]) -> set[int]:
    return {k for name in names for syllable in syllable_keys(name) for k in syllable}


def index(
    session: Session,
    kind: int,
    people: Sequence[tuple[int, Sequence[str]]],
    scope: int = 0,
    new: bool = False,
) -> None:
    """(Re)write the keys of these rows (id, names; `scope`: their register, 0 for
    notices) in the caller's transaction; `new`: just inserted, no old keys to delete."""
    ids = [row_id for row_id, _ in people]
    for chunk in [] if new else _chunks(ids):
        session.execute(
            sa.delete(NameKey).where(NameKey.kind == kind, NameKey.row_id.in_(chunk)),
            execution_options={"synchronize_session": False},
        )
    rows = []
    for row_id, names in people:
        keys = person_keys(names)
        spellings = {k for name in names for syl in syllable_spellings(name) for k in syl}
        sig_a, sig_b = _bloom(keys | spellings)
        size = _size(names[0])
        rows += [(kind, row_id, key, scope, sig_a, sig_b, size) for key in keys]
    if rows:
        rows.sort(key=lambda r: r[2])  # in key order: the table's order
        # Straight to the driver's executemany: ten rows a person, and SQLAlchemy's
        # per-row parameter handling would cost more than the insert.
        connection = session.connection()
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        connection.exec_driver_sql(
            f"INSERT INTO {NameKey.__tablename__} "
            "(kind, row_id, key, scope, sig_a, sig_b, size) "
            f"VALUES ({', '.join([mark] * 7)})",
            rows,
        )


def index_notice(session: Session, notice: Notice) -> None:
    index(session, NOTICE, [(notice.id, notice_names(notice))])


def notice_names(notice: Notice) -> list[str]:
    return [notice.name, *notice.alt_names]


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def name_filter(row_id: Any, kind: int, text: str) -> list[sa.ColumnElement[bool]]:
    """SQL conditions: the row shares a sound with every syllable of `text` (list filters)."""
    return [
        row_id.in_(sa.select(NameKey.row_id).where(NameKey.kind == kind, NameKey.key.in_(keys)))
        for keys in _distinct(syllable_keys(text))
    ]


def _distinct(syllables: list[frozenset[int]]) -> list[frozenset[int]]:
    return [s for i, s in enumerate(syllables) if s and s not in syllables[:i]]


# ---- search ---------------------------------------------------------------------------


@dataclass
class Found:
    """One person found: a notice or a register record, the name that matched best."""

    kind: str  # "notice" | "record"
    row: Any  # Notice | RegisterRecord
    name: str
    score: float
    reasons: str = ""


@dataclass
class Results:
    query: str
    found: list[Found] = field(default_factory=list)
    truncated: bool = False  # more rows shared the query's syllables than were scored


def _postings(session: Session, kind: int, keys: frozenset[int]) -> int:
    """Index rows of `kind` holding one of `keys`, counted up to MAX_POSTINGS + 1."""
    capped = (
        sa.select(sa.literal(1))
        .where(NameKey.kind == kind, NameKey.key.in_(keys))
        .limit(MAX_POSTINGS + 1)
        .subquery()
    )
    return int(session.scalar(sa.select(sa.func.count()).select_from(capped)) or 0)


def _shares(keys: frozenset[int]) -> sa.ColumnElement[bool]:
    """The row's signature holds one of `keys` (a Bloom test: rarely true by chance)."""
    tests = []
    for key in keys:
        a, b = _bloom((key,))
        tests.append(sa.and_(NameKey.sig_a.op("&")(a) == a, NameKey.sig_b.op("&")(b) == b))
    return sa.or_(*tests)


def _candidates(
    session: Session,
    kind: int,
    scopes: list[int] | None,
    syllables: list[frozenset[int]],
    spellings: list[frozenset[int]],
    size: int,
    readable: sa.Select[Any] | None = None,
) -> tuple[list[int], bool]:
    """Rows of `kind` (in `scopes`, or among the `readable` row ids, if given) sharing the
    most syllables with the query by sound and by spelling (a sound shared by chance weighs
    no more than a spelling), then closest in length; and whether rows were left unread
    (MAX_POSTINGS)."""
    counted = [(_postings(session, kind, keys), keys) for keys in syllables]
    known = sorted((c for c in counted if c[0] > 0), key=lambda c: c[0])
    if not known:
        return [], False
    need = min(2, len(known))
    drivers = known[: len(known) - need + 1]
    truncated = drivers[0][0] > MAX_POSTINGS
    while len(drivers) > 1 and sum(n for n, _ in drivers) > MAX_POSTINGS:
        drivers.pop()
        truncated = True
    shared = sum((sa.case((_shares(keys), 1), else_=0) for _, keys in known), sa.literal(0)).label(
        "shared"
    )
    spelled = sum(
        (sa.case((_shares(keys), 1), else_=0) for keys in spellings), sa.literal(0)
    ).label("spelled")
    gap = sa.func.abs(NameKey.size - size).label("gap")
    conds = [NameKey.kind == kind, NameKey.key.in_(frozenset().union(*(k for _, k in drivers)))]
    if scopes is not None:
        conds.append(NameKey.scope.in_(scopes))
    if readable is not None:  # before the LIMIT: rows the caller cannot read take no place
        conds.append(NameKey.row_id.in_(readable))
    # The LIMIT bounds the rows read, and keeps the subquery whole (not flattened into
    # the outer query), so that each row's signature tests are evaluated once.
    rows = (
        sa.select(NameKey.row_id, shared, spelled, gap)
        .where(*conds)
        .limit(MAX_POSTINGS + 1)
        .subquery()
    )
    stmt = (
        sa.select(rows.c.row_id)
        .where(rows.c.shared >= need)
        .order_by(
            (rows.c.shared + rows.c.spelled).desc(),
            rows.c.spelled.desc(),
            rows.c.gap,
            rows.c.row_id,
        )
        .limit(CANDIDATES * 3)  # a row holding several driver keys comes once per key
    )
    ids = list(dict.fromkeys(session.scalars(stmt)))
    return ids[:CANDIDATES], truncated


def search(
    session: Session, principal: Principal, text: str, limit: int = LIMIT, audited: bool = True
) -> Results:
    """People whose names sound like `text`, best first, in the caller's scope."""
    text = " ".join(text.split())[:200]
    results = Results(text)
    syllables = _distinct(syllable_keys(text)) if text else []
    spellings = syllable_spellings(text) if text else []
    if syllables:
        size = _size(text)
        registers = list(session.scalars(scoped(sa.select(Register.id), Register, principal)))
        scored: list[Found] = []
        notices = scoped(sa.select(Notice.id), Notice, principal)
        for kind, scopes, readable in ((NOTICE, None, notices), (RECORD, registers, None)):
            if scopes == []:
                continue
            ids, more = _candidates(session, kind, scopes, syllables, spellings, size, readable)
            results.truncated |= more
            scored += _score(session, principal, kind, ids, text)
        scored.sort(key=lambda f: (-f.score, f.kind, f.row.id))
        results.found = [f for f in scored if f.score >= MIN_SCORE][:limit]
        for f in results.found:
            f.reasons = compare(text, f.name).explain()
    if audited:
        audit.record(
            session,
            Action.SEARCHED,
            principal=principal,
            detail={"q": text, "found": len(results.found)},
        )
    return results


def _score(
    session: Session, principal: Principal, kind: int, ids: list[int], text: str
) -> list[Found]:
    """The visible rows among `ids`, each with its best name's score against `text`."""
    if not ids:
        return []
    rows: list[Any]
    if kind == NOTICE:
        notices = scoped(sa.select(Notice), Notice, principal).where(Notice.id.in_(ids))
        rows = list(session.scalars(notices))
        label = "notice"
    else:
        records = (
            sa.select(RegisterRecord)
            .join(Register, Register.id == RegisterRecord.register_id)
            .where(RegisterRecord.id.in_(ids), visible(Register, principal))
            .options(selectinload(RegisterRecord.register))
        )
        rows = list(session.scalars(records))
        label = "record"
    table = NameTable()
    query = table.add(text)
    pairs: list[tuple[int, str, int]] = []  # (row index, name, table row)
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        for name in notice_names(row) if kind == NOTICE else [row.name]:
            if name not in seen:
                seen[name] = table.add(name)
            pairs.append((i, name, seen[name]))
    if not pairs:
        return []
    scores = table.score(
        np.full(len(pairs), query, dtype=np.int64),
        np.array([p[2] for p in pairs], dtype=np.int64),
    )
    best: dict[int, Found] = {}
    for (i, name, _), score in zip(pairs, scores.tolist(), strict=True):
        if i not in best or score > best[i].score:
            best[i] = Found(label, rows[i], name, float(score))
    return list(best.values())
