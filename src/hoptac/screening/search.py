"""Person search over every register and notice the caller may see, across scripts:
`王健` finds `Vương Kiện` and `Wang Jian`.

The index (`screening_name_keys`) holds one row per sound key of each syllable of a
person's names: the syllable sounds of `hoptac.screening.blocking` (the pinyin of the
characters a syllable may write, its Korean spelling class, its letters), hashed. Pair
keys, as the screening engine blocks on, would be about 70 rows a person (70 million for
a million-record register); syllable keys are about 10.

A query keeps the rows that share a sound with at least two of its syllables (one, for a
one-syllable query), found from its rarer syllables: every such row shares a sound with
one of the `n - 1` rarest of `n` syllables. Syllables that more than `COMMON` rows share
(a family name such as Nguyễn) only count, they never drive the search. The candidates
are then scored with `hoptac.names` (batch scores equal to `compare`; `compare` explains
the best) and the best come first.
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
from hoptac.auth.scoping import visible
from hoptac.db.models import NameKey, Notice, Register, RegisterRecord
from hoptac.names import compare
from hoptac.names.batch import NameTable
from hoptac.names.match import prepare
from hoptac.screening.blocking import MAX_SYLLABLES, syllable_sounds

NOTICE, RECORD = 1, 2  # NameKey.kind
COMMON = 20_000  # index rows of a syllable above which it does not drive a search
CANDIDATES = 2_000  # rows scored per kind, those sharing the most syllables first
LIMIT = 50
MIN_SCORE = 0.6  # below this a name has little to do with the query


@lru_cache(maxsize=1 << 16)
def _codes(text: str, script: str) -> frozenset[int]:
    return frozenset(zlib.crc32(k.encode()) for k in syllable_sounds(text, script))


def syllable_keys(name: str) -> list[frozenset[int]]:
    """The sound keys of each syllable of a name (the first MAX_SYLLABLES, as blocking)."""
    return [_codes(s.text, s.script) for s in prepare(name).syllables[:MAX_SYLLABLES]]


def person_keys(names: Iterable[str]) -> set[int]:
    return {k for name in names for syllable in syllable_keys(name) for k in syllable}


def index(
    session: Session, kind: int, people: Sequence[tuple[int, Sequence[str]]], new: bool = False
) -> None:
    """(Re)write the keys of these rows (id, names) in the caller's transaction; `new`:
    the rows were just inserted, there are no old keys to delete."""
    ids = [row_id for row_id, _ in people]
    for chunk in [] if new else _chunks(ids):
        session.execute(
            sa.delete(NameKey).where(NameKey.kind == kind, NameKey.row_id.in_(chunk)),
            execution_options={"synchronize_session": False},
        )
    rows = [(kind, row_id, key) for row_id, names in people for key in person_keys(names)]
    if rows:
        # Straight to the driver's executemany: ten rows a person, and SQLAlchemy's
        # per-row parameter handling would cost more than the insert.
        connection = session.connection()
        mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
        connection.exec_driver_sql(
            f"INSERT INTO {NameKey.__tablename__} (kind, row_id, key) "
            f"VALUES ({mark}, {mark}, {mark})",
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
    candidates: int = 0  # rows scored
    truncated: bool = False  # more rows shared the query's syllables than were scored


def _rows_sharing(session: Session, keys: frozenset[int]) -> int:
    """How many index rows hold one of `keys`, counted up to COMMON + 1."""
    capped = sa.select(sa.literal(1)).where(NameKey.key.in_(keys)).limit(COMMON + 1).subquery()
    return int(session.scalar(sa.select(sa.func.count()).select_from(capped)) or 0)


def _candidates(
    session: Session,
    principal: Principal,
    kind: int,
    drivers: frozenset[int],
    syllables: list[frozenset[int]],
    need: int,
) -> tuple[list[int], bool]:
    """Visible rows of `kind` holding a driver key and sharing at least `need` syllables,
    those sharing the most first; and whether there were more than CANDIDATES."""
    met = (
        sa.select(NameKey.row_id)
        .where(NameKey.kind == kind, NameKey.key.in_(drivers))
        .distinct()
        .subquery()
    )
    other = sa.orm.aliased(NameKey)
    shared = sum(
        (
            sa.case(
                (
                    sa.exists().where(
                        other.kind == kind, other.row_id == met.c.row_id, other.key.in_(keys)
                    ),
                    1,
                ),
                else_=0,
            )
            for keys in syllables
        ),
        sa.literal(0),
    )
    stmt = sa.select(met.c.row_id, shared.label("shared"))
    if kind == RECORD:
        stmt = (
            stmt.join(RegisterRecord, RegisterRecord.id == met.c.row_id)
            .join(Register, Register.id == RegisterRecord.register_id)
            .where(visible(Register, principal))
        )
    else:
        stmt = stmt.join(Notice, Notice.id == met.c.row_id).where(visible(Notice, principal))
    counted = stmt.subquery()
    rows = session.execute(
        sa.select(counted.c.row_id)
        .where(counted.c.shared >= need)
        .order_by(counted.c.shared.desc(), counted.c.row_id)
        .limit(CANDIDATES + 1)
    ).all()
    ids = [r[0] for r in rows]
    return ids[:CANDIDATES], len(ids) > CANDIDATES


def search(
    session: Session, principal: Principal, text: str, limit: int = LIMIT, audited: bool = True
) -> Results:
    """People whose names sound like `text`, best first, in the caller's scope."""
    text = " ".join(text.split())[:200]
    results = Results(text)
    syllables = _distinct(syllable_keys(text)) if text else []
    counts = [_rows_sharing(session, keys) for keys in syllables]
    known = [(n, keys) for n, keys in zip(counts, syllables, strict=True) if n > 0]
    if known:
        known.sort(key=lambda nk: nk[0])
        need = min(2, len(known))
        # Any row sharing `need` of n syllables shares one of the n - need + 1 rarest.
        drive = known[: len(known) - need + 1]
        rare = [keys for n, keys in drive if n <= COMMON] or [drive[0][1]]
        drivers = frozenset().union(*rare)
        scored: list[Found] = []
        for kind in (NOTICE, RECORD):
            ids, more = _candidates(session, principal, kind, drivers, [k for _, k in known], need)
            results.truncated |= more or len(rare) < len(drive)
            scored += _score(session, kind, ids, text)
        results.candidates = len(scored)
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


def _score(session: Session, kind: int, ids: list[int], text: str) -> list[Found]:
    if not ids:
        return []
    rows: list[Any]
    if kind == NOTICE:
        rows = list(session.scalars(sa.select(Notice).where(Notice.id.in_(ids))))
        label = "notice"
    else:
        rows = list(
            session.scalars(
                sa.select(RegisterRecord)
                .where(RegisterRecord.id.in_(ids))
                .options(selectinload(RegisterRecord.register))
            )
        )
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
    scores = table.score(
        np.full(len(pairs), query, dtype=np.int64),
        np.array([p[2] for p in pairs], dtype=np.int64),
    )
    best: dict[int, Found] = {}
    for (i, name, _), score in zip(pairs, scores.tolist(), strict=True):
        if i not in best or score > best[i].score:
            best[i] = Found(label, rows[i], name, float(score))
    return list(best.values())
