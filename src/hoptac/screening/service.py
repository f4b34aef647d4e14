"""Screening over the database: notices and registers (registry resources: API, forms,
scoping and audit come with them), CSV imports, register records and the review of hits.

Every read is scoped (`hoptac.auth.scoping`): a register record through its register, a
hit through its job, its notice and its record's register. Every write adds an audit row
in its transaction; an import commits one transaction per batch of rows.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any, Protocol, TextIO, cast

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, selectinload

from hoptac.auth import audit
from hoptac.auth.audit import Action
from hoptac.auth.principal import Principal
from hoptac.auth.scoping import can_edit, get_visible, not_found, scoped, visible
from hoptac.db.models import (
    Notice,
    Register,
    RegisterRecord,
    ScreeningHit,
    ScreeningJob,
    utcnow,
)
from hoptac.errors import Conflict, FieldError, Forbidden, InvalidInput
from hoptac.registry import service as svc
from hoptac.screening import schemas as s
from hoptac.screening import search
from hoptac.screening.records import (
    FileRefused,
    Outcome,
    Person,
    RowError,
    notice_rows,
    register_rows,
)
from hoptac.screening.score import LIKELY, Evidence, document_key
from hoptac.types import (
    HitStatus,
    NoticeKind,
    NoticeStatus,
    PartialDate,
    Precision,
    RegisterKind,
    Sharing,
)

BATCH = 1_000  # rows per import transaction
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


# ---- notices and registers as registry resources ----------------------------------------


def _notice_apply(session: Session, p: Principal, obj: Notice, d: s.NoticeIn) -> None:
    svc.apply_common(session, p, obj, d)
    obj.kind, obj.status, obj.name = d.kind, d.status, d.name
    obj.alt_names = list(d.alt_names)
    obj.birth_on, obj.birth_precision = svc.split_date(d.birth)
    obj.sex, obj.nationality = d.sex, d.nationality
    obj.document_number, obj.issuing_agency, obj.charges = (
        d.document_number,
        d.issuing_agency,
        d.charges,
    )


def _notice_in(o: Notice) -> dict[str, Any]:
    return {
        **svc.common_in(o),
        "kind": o.kind,
        "status": o.status,
        "name": o.name,
        "alt_names": list(o.alt_names),
        "birth": birth_of(o),
        "sex": o.sex,
        "nationality": o.nationality,
        "document_number": o.document_number,
        "issuing_agency": o.issuing_agency,
        "charges": o.charges,
    }


def _notice_out(o: Notice, p: Principal | None) -> s.NoticeOut:
    birth = svc.iso_date(o.birth_on, o.birth_precision)
    origin = o.origin_peer.node_id if o.origin_peer is not None else None
    return svc.shaped(s.NoticeOut, _notice_in(o), o, p, birth=birth, uid=o.uid, origin=origin)


def _notice_filter(stmt: sa.Select[Any], q: svc.ListQuery) -> sa.Select[Any]:
    conds: list[sa.ColumnElement[bool]] = []
    if q.q:
        conds += search.name_filter(Notice.id, search.NOTICE, q.q)
    if q.status:
        conds.append(Notice.status == svc.member(NoticeStatus, q.status, "status"))
    if q.kind:
        conds.append(Notice.kind == svc.member(NoticeKind, q.kind, "kind"))
    return stmt.where(*conds)


def _notice_written(session: Session, notice: Notice) -> None:
    search.index_notice(session, notice)
    close_pending_hits(session, notice)


def close_pending_hits(session: Session, notice: Notice) -> int:
    """A notice no longer active (withdrawn, executed) is screened no more: its hits still
    waiting for review are closed, with the reason. Returns how many."""
    if notice.status == NoticeStatus.ACTIVE:
        return 0
    result = session.execute(
        sa.update(ScreeningHit)
        .where(ScreeningHit.notice_id == notice.id, ScreeningHit.status == HitStatus.PENDING)
        .values(
            status=HitStatus.CLOSED,
            decision_reason=f"notice {notice.status.value}",
            reviewer="hoptac",
            reviewed_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount or 0)


def _register_apply(session: Session, p: Principal, obj: Register, d: s.RegisterIn) -> None:
    svc.apply_common(session, p, obj, d)
    obj.name, obj.kind = d.name, d.kind


def _register_in(o: Register) -> dict[str, Any]:
    return {**svc.common_in(o), "name": o.name, "kind": o.kind}


def _register_out(o: Register, p: Principal | None) -> s.RegisterOut:
    return svc.shaped(s.RegisterOut, _register_in(o), o, p, records=record_count(o))


def _register_filter(stmt: sa.Select[Any], q: svc.ListQuery) -> sa.Select[Any]:
    conds: list[sa.ColumnElement[bool]] = [Register.name.ilike(f"%{q.q}%")] if q.q else []
    if q.kind:
        conds.append(Register.kind == svc.member(RegisterKind, q.kind, "kind"))
    return stmt.where(*conds)


NOTICES: svc.Resource[Notice] = svc.Resource(
    name="notices",
    model=Notice,
    schema_in=s.NoticeIn,
    schema_patch=s.NoticePatch,
    apply=_notice_apply,
    to_in=_notice_in,
    to_out=_notice_out,
    filter=_notice_filter,
    order_by=(Notice.updated_at.desc(), Notice.id.desc()),
    after_write=_notice_written,
    load=(selectinload(Notice.origin_peer),),
    audit_reads=True,
    schema_out=s.NoticeOut,
    filters=s.NoticeFilters,
)
REGISTERS: svc.Resource[Register] = svc.Resource(
    name="registers",
    model=Register,
    schema_in=s.RegisterIn,
    schema_patch=s.RegisterPatch,
    apply=_register_apply,
    to_in=_register_in,
    to_out=_register_out,
    filter=_register_filter,
    order_by=(Register.name, Register.id),
    schema_out=s.RegisterOut,
    filters=s.RegisterFilters,
)
RESOURCES: dict[str, svc.Resource[Any]] = {r.name: r for r in (NOTICES, REGISTERS)}


def record_count(register: Register) -> int:
    session = sa.orm.object_session(register)
    if session is None:
        return 0
    stmt = sa.select(sa.func.count()).where(RegisterRecord.register_id == register.id)
    return int(session.scalar(stmt) or 0)


def set_notice_status(
    session: Session,
    principal: Principal,
    notice_id: int,
    status: str,
    expected_version: int | None = None,
) -> Notice:
    """Active, withdrawn or executed: the notice's one-field change (audited, versioned)."""
    value = svc.member(NoticeStatus, status, "status")
    return svc.update_record(
        session, principal, NOTICES, notice_id, {"status": value}, expected_version
    )


# ---- register records -------------------------------------------------------------------


def visible_records(principal: Principal) -> sa.Select[RegisterRecord]:
    """Register records the caller may read: those of the registers it may read."""
    return (
        sa.select(RegisterRecord)
        .join(Register, Register.id == RegisterRecord.register_id)
        .where(visible(Register, principal))
    )


def list_register_records(
    session: Session, principal: Principal, register_id: int, offset: int = 0, limit: int = 50
) -> tuple[list[RegisterRecord], int]:
    """A page of a register's records (names, birth dates: personal data), audited with
    the register and the offset (the caller commits)."""
    get_visible(session, Register, register_id, principal)
    base = visible_records(principal).where(RegisterRecord.register_id == register_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    rows = list(session.scalars(base.order_by(RegisterRecord.ref).limit(limit).offset(offset)))
    audit.record(
        session,
        Action.RECORDS_LISTED,
        principal=principal,
        object_type="registers",
        object_id=register_id,
        detail={"offset": offset, "shown": len(rows)},
    )
    return rows, total


def read_register_record(session: Session, principal: Principal, record_id: int) -> RegisterRecord:
    """One register record, for its page: audited (the caller commits)."""
    stmt = visible_records(principal).where(RegisterRecord.id == record_id)
    record = session.scalars(stmt.options(selectinload(RegisterRecord.register))).first()
    if record is None:
        owner = (
            sa.select(Register.owner_agency_id)
            .join(RegisterRecord, RegisterRecord.register_id == Register.id)
            .where(RegisterRecord.id == record_id)
        )
        raise not_found(session, RegisterRecord, record_id, "register record", owner)
    audit.record(
        session,
        Action.RECORD_READ,
        principal=principal,
        object_type="register_records",
        object_id=record_id,
    )
    return record


def hits_of_record(session: Session, principal: Principal, record_id: int) -> list[ScreeningHit]:
    return list(
        session.scalars(
            visible_hits(principal)
            .where(ScreeningHit.record_id == record_id, ScreeningHit.carried_from_id.is_(None))
            .order_by(ScreeningHit.id.desc())
        )
    )


# ---- uploads and imports ------------------------------------------------------------------


def open_upload(raw: IO[bytes], filename: str, max_bytes: int = MAX_UPLOAD_BYTES) -> TextIO:
    """An uploaded CSV as text, checked whole before any row is imported: a `.csv` name,
    at most `max_bytes`, UTF-8 throughout, no NUL character (else the file is refused
    with the reason)."""
    name = filename or "the file"
    if not name.lower().endswith(".csv"):
        raise InvalidInput(
            f"{name} is not a CSV file; save the sheet as CSV UTF-8 (.csv) and upload that"
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = lines = 0
    raw.seek(0)
    while chunk := raw.read(1 << 20):
        if (nul := chunk.find(b"\x00")) >= 0:
            line = lines + chunk.count(b"\n", 0, nul) + 1
            raise InvalidInput(
                f"{name} holds a NUL character on line {line}, which no field accepts; "
                "remove it and upload the file again"
            )
        lines += chunk.count(b"\n")
        size += len(chunk)
        if size > max_bytes:
            raise InvalidInput(f"{name} is larger than {_size(max_bytes)}; split it into parts")
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"{name} is not UTF-8 text (byte {size - len(chunk) + exc.start + 1}); "
                "save it as CSV UTF-8"
            ) from None
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise InvalidInput(f"{name} ends in the middle of a character; save it again") from None
    if size == 0:
        raise InvalidInput(f"{name} is empty")
    raw.seek(0)
    return _Named(raw, name)


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


class _Named(io.TextIOWrapper):
    """The upload as text, named after the uploaded file (row errors quote it)."""

    def __init__(self, raw: IO[bytes], name: str) -> None:
        super().__init__(raw, encoding="utf-8-sig", newline="")
        self._label = name

    @property
    def name(self) -> str:
        return self._label


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)
    batches: int = 0

    @property
    def refused(self) -> int:
        return len(self.errors)


Flush = Callable[[list[tuple[int, dict[str, str], Person]]], tuple[int, int]]


def _batched(
    session: Session,
    principal: Principal,
    outcomes: Iterator[Outcome],
    flush: Flush,
    what: dict[str, Any],
    batch: int,
    late: list[RowError],
) -> ImportReport:
    """Feed the good rows to `flush` `batch` at a time, committing each batch with its
    audit row: a failure keeps the batches before it and nothing of its own. `late`:
    rows `flush` refused, reported in line order with the others."""
    report = ImportReport()
    pending: list[tuple[int, dict[str, str], Person]] = []

    def commit() -> None:
        added, updated = flush(pending) if pending else (0, 0)
        report.added += added
        report.updated += updated
        report.batches += 1
        lines = [pending[0][0], pending[-1][0]] if pending else []
        audit.record(
            session,
            Action.IMPORTED,
            principal=principal,
            detail={**what, "lines": lines, "added": added, "updated": updated},
        )
        session.commit()
        pending.clear()

    try:
        for line, row, outcome in outcomes:
            if isinstance(outcome, RowError):
                report.errors.append(outcome)
                continue
            pending.append((line, row, outcome))
            if len(pending) >= batch:
                commit()
        if pending or report.batches == 0:
            commit()
    except FileRefused as exc:
        session.rollback()
        raise InvalidInput(str(exc)) from None
    except BaseException:
        session.rollback()
        raise
    report.errors = sorted(report.errors + late, key=lambda e: e.line)
    return report


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def import_notices(
    session: Session,
    principal: Principal,
    source: TextIO,
    sharing: Sharing = Sharing.AGENCY,
    batch: int = BATCH,
) -> ImportReport:
    """Notices from CSV, created or updated by `notice_id` among the caller's agency's
    notices. A reimport changes what the file says and keeps each notice's status and
    sharing; new notices get `sharing`."""
    principal.require_write()
    agency = principal.agency_id
    errors: list[RowError] = []

    def flush(rows: list[tuple[int, dict[str, str], Person]]) -> tuple[int, int]:
        refs = [p.id for _, _, p in rows]
        existing = {
            n.ref: n
            for n in session.scalars(
                sa.select(Notice).where(Notice.owner_agency_id == agency, Notice.ref.in_(refs))
            )
        }
        written: list[Notice] = []
        added = updated = 0
        with session.no_autoflush:
            for line, row, person in rows:
                fields = {
                    "ref": person.id,
                    "name": person.names[0],
                    "alt_names": list(person.names[1:]),
                    "birth": _blank(row.get("birth_date")),
                    "sex": person.evidence.sex,
                    "nationality": person.evidence.nationality,
                    "document_number": _blank(row.get("document_number")),
                    "issuing_agency": _blank(row.get("issuing_agency")),
                    "charges": _blank(row.get("charges")),
                }
                old = existing.get(person.id)
                if old is not None and old.origin_peer_id is not None:
                    errors.append(RowError(line, "a partner's notice has this number"))
                    continue
                base = NOTICES.to_in(old) if old is not None else {"sharing": sharing}
                try:
                    data = s.NoticeIn.model_validate({**base, **fields})
                except ValidationError as exc:
                    reason = "; ".join(
                        f"{e.field}: {e.message}" for e in svc.validation_errors(exc)
                    )
                    errors.append(RowError(line, reason))
                    continue
                if old is None:
                    obj = Notice(owner_agency_id=agency)
                    session.add(obj)
                    added += 1
                else:
                    obj, updated = old, updated + 1
                    obj.updated_at = utcnow()
                _notice_apply(session, principal, obj, data)
                written.append(obj)
        session.flush()
        search.index(session, search.NOTICE, [(n.id, search.notice_names(n)) for n in written])
        return added, updated

    what = {"notices": True}
    return _batched(session, principal, notice_rows(source), flush, what, batch, errors)


def _record_values(row: dict[str, str], person: Person) -> dict[str, Any]:
    """A register record's columns; ValueError for a value too long to keep."""
    birth = person.evidence.birth
    values: dict[str, Any] = {
        "name": person.names[0],
        "birth_on": birth.first_day if birth else None,
        "birth_precision": birth.precision if birth else None,
        "sex": person.evidence.sex,
        "nationality": person.evidence.nationality,
        "document_number": _blank(row.get("document_number")),
        "source": _blank(row.get("source", "").lower()),
        "seen_at": _blank(row.get("seen_at")),
    }
    for column in ("document_number", "seen_at"):
        most = cast(sa.String, RegisterRecord.__table__.c[column].type).length
        if most is not None and len(values[column] or "") > most:
            raise ValueError(f"{column} is longer than {most} characters")
    return values


def _record_ids(session: Session, register_id: int, refs: list[str]) -> dict[str, int]:
    stmt = sa.select(RegisterRecord.ref, RegisterRecord.id).where(
        RegisterRecord.register_id == register_id, RegisterRecord.ref.in_(refs)
    )
    return {ref: ident for ref, ident in session.execute(stmt)}


def import_records(
    session: Session,
    principal: Principal,
    register_id: int,
    source: TextIO,
    batch: int = BATCH,
) -> ImportReport:
    """Register records from CSV into a register the caller's agency owns, created or
    updated by `record_id`. Bulk statements (a register may hold millions of rows)."""
    principal.require_write()
    register = get_visible(session, Register, register_id, principal)
    if not can_edit(register, principal):
        raise Forbidden("Only the owning agency's officers may import into this register.")

    errors: list[RowError] = []

    def flush(rows: list[tuple[int, dict[str, str], Person]]) -> tuple[int, int]:
        good: list[tuple[Person, dict[str, Any]]] = []
        for line, row, person in rows:
            try:
                good.append((person, _record_values(row, person)))
            except ValueError as exc:
                errors.append(RowError(line, str(exc)))
        existing = _record_ids(session, register_id, [p.id for p, _ in good])
        now = utcnow()
        new = [
            {"register_id": register_id, "ref": p.id, **v, "created_at": now, "updated_at": now}
            for p, v in good
            if p.id not in existing
        ]
        changed = [
            {"id": existing[p.id], **v, "updated_at": now} for p, v in good if p.id in existing
        ]
        if changed:
            session.execute(sa.update(RegisterRecord), changed)
            search.index(
                session,
                search.RECORD,
                [(existing[p.id], p.names) for p, _ in good if p.id in existing],
                scope=register_id,
            )
        if new:
            # Core executemany, then the ids by ref: RETURNING through the ORM costs more
            # than the insert itself.
            session.execute(sa.insert(RegisterRecord.__table__), new)  # type: ignore[arg-type]
            ids = _record_ids(session, register_id, [row["ref"] for row in new])
            search.index(
                session,
                search.RECORD,
                [(ids[p.id], p.names) for p, _ in good if p.id not in existing],
                scope=register_id,
                new=True,
            )
        return len(new), len(changed)

    what = {"register": register_id}
    return _batched(session, principal, register_rows(source), flush, what, batch, errors)


# ---- as the engines see them ----------------------------------------------------------------


# What the engines need of a register record: a million of them are read as rows, not objects.
RECORD_FACTS = (
    RegisterRecord.id,
    RegisterRecord.name,
    RegisterRecord.birth_on,
    RegisterRecord.birth_precision,
    RegisterRecord.sex,
    RegisterRecord.nationality,
    RegisterRecord.document_number,
)


class Facts(Protocol):
    """A notice, a register record or a row of RECORD_FACTS: what the engines read."""

    @property
    def birth_on(self) -> date | None: ...
    @property
    def birth_precision(self) -> Precision | None: ...
    @property
    def sex(self) -> str | None: ...
    @property
    def nationality(self) -> str | None: ...
    @property
    def document_number(self) -> str | None: ...


class RecordFacts(Facts, Protocol):
    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...


def birth_of(o: Facts) -> PartialDate | None:
    return svc.partial_date(o.birth_on, o.birth_precision)


def _evidence(o: Facts) -> Evidence:
    return Evidence(
        birth=birth_of(o),
        sex=o.sex,
        nationality=o.nationality,
        document=document_key(o.document_number),
    )


def notice_person(n: Notice) -> Person:
    return Person(str(n.id), tuple(search.notice_names(n)), _evidence(n))


def record_person(r: RecordFacts) -> Person:
    """A record, or a row of RECORD_FACTS, as the engines see it."""
    return Person(str(r.id), (r.name,), _evidence(r))


def reason_lines(reasons: str) -> list[str]:
    """The engine's reasons one per line: split at `; ` outside parentheses (the name's
    explanation has its own `;` inside)."""
    lines, depth, start = [], 0, 0
    for i, ch in enumerate(reasons):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and reasons.startswith("; ", i):
            lines.append(reasons[start:i])
            start = i + 2
    lines.append(reasons[start:])
    return [line for line in lines if line]


# ---- hits and their review ------------------------------------------------------------------


def visible_hits(principal: Principal) -> sa.Select[ScreeningHit]:
    """Hits of the caller's agency's jobs whose notice and record it may still read."""
    return (
        sa.select(ScreeningHit)
        .join(ScreeningJob, ScreeningJob.id == ScreeningHit.job_id)
        .join(Notice, Notice.id == ScreeningHit.notice_id)
        .join(RegisterRecord, RegisterRecord.id == ScreeningHit.record_id)
        .join(Register, Register.id == RegisterRecord.register_id)
        .where(
            visible(ScreeningJob, principal),
            visible(Notice, principal),
            visible(Register, principal),
        )
    )


_HIT_LOAD = (
    selectinload(ScreeningHit.notice),
    selectinload(ScreeningHit.record).selectinload(RegisterRecord.register),
    selectinload(ScreeningHit.job),
)


def list_hits(
    session: Session,
    principal: Principal,
    status: HitStatus | None = HitStatus.PENDING,
    job_id: int | None = None,
    notice_id: int | None = None,
    offset: int = 0,
    limit: int = 50,
    audited: bool = False,
    band: str | None = None,
) -> tuple[list[ScreeningHit], int]:
    """Hits, the likely band first, best first; `audited`: a page shows them (an audit
    row with the filters)."""
    stmt = visible_hits(principal)
    if band is not None:
        stmt = stmt.where(ScreeningHit.band == band)
    if status is not None:
        stmt = stmt.where(ScreeningHit.status == status)
    if status is HitStatus.PENDING:  # a withdrawn or executed notice needs no review
        stmt = stmt.where(Notice.status == NoticeStatus.ACTIVE)
    if job_id is not None:
        stmt = stmt.where(ScreeningHit.job_id == job_id)
    else:  # a decision carried into later jobs is listed once, where it was made
        stmt = stmt.where(ScreeningHit.carried_from_id.is_(None))
    if notice_id is not None:
        stmt = stmt.where(ScreeningHit.notice_id == notice_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    rows = list(
        session.scalars(
            stmt.order_by(  # the likely band first, then the best score
                sa.case((ScreeningHit.band == LIKELY, 0), else_=1),
                ScreeningHit.score.desc(),
                ScreeningHit.id,
            )
            .limit(limit)
            .offset(offset)
            .options(*_HIT_LOAD)
        )
    )
    if not audited:
        return rows, total
    audit.record(  # names and birth dates of both sides are shown (the caller commits)
        session,
        Action.HITS_LISTED,
        principal=principal,
        detail={
            "status": status.value if status else "all",
            "job": job_id,
            "notice": notice_id,
            "band": band,
            "offset": offset,
            "shown": len(rows),
        },
    )
    return rows, total


def _get_hit(session: Session, principal: Principal, hit_id: int) -> ScreeningHit:
    stmt = visible_hits(principal).where(ScreeningHit.id == hit_id).options(*_HIT_LOAD)
    hit = session.scalars(stmt).first()
    if hit is None:
        owner = (
            sa.select(ScreeningJob.owner_agency_id)
            .join(ScreeningHit, ScreeningHit.job_id == ScreeningJob.id)
            .where(ScreeningHit.id == hit_id)
        )
        raise not_found(session, ScreeningHit, hit_id, "hit", owner)
    return hit


def read_hit(session: Session, principal: Principal, hit_id: int) -> ScreeningHit:
    """One hit, for its review page: audited (the caller commits)."""
    hit = _get_hit(session, principal, hit_id)
    audit.record(
        session,
        Action.HIT_READ,
        principal=principal,
        object_type="screening_hits",
        object_id=hit_id,
    )
    return hit


MAX_REASON = 2_000


def decide(
    session: Session, principal: Principal, hit_id: int, decision: str, reason: str
) -> ScreeningHit:
    """Confirm or reject a pending hit, with the reviewer's reason (required)."""
    principal.require_write()
    status = svc.member(HitStatus, decision, "decision")
    if status is HitStatus.PENDING:
        raise InvalidInput(
            "a decision is confirmed or rejected",
            errors=[FieldError("decision", "use confirmed or rejected")],
        )
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput(
            "say why (the reason is kept with the decision)",
            errors=[FieldError("reason", "Field required")],
        )
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            "the reason is too long",
            errors=[FieldError("reason", f"String should have at most {MAX_REASON} characters")],
        )
    hit = _get_hit(session, principal, hit_id)
    if not can_edit(hit.job, principal):
        raise Forbidden("Only the owning agency's officers may change this record.")
    # Only a pending hit changes, checked in the UPDATE itself: two reviewers at once
    # cannot both decide it.
    result = session.execute(
        sa.update(ScreeningHit)
        .where(ScreeningHit.id == hit_id, ScreeningHit.status == HitStatus.PENDING)
        .values(
            status=status,
            reviewer_id=principal.user_id,
            reviewer=principal.username,
            reviewed_at=utcnow(),
            decision_reason=reason,
        )
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        if session.get(ScreeningHit, hit_id, populate_existing=True) is None:
            raise Conflict("a newer screening replaced this hit; open the review queue again")
        session.refresh(hit)
        raise Conflict(
            f"this hit was already {hit.status.value} by {hit.reviewer or 'another officer'}"
        )
    audit.record(
        session,
        Action.HIT_DECIDED,
        principal=principal,
        object_type="screening_hits",
        object_id=hit_id,
        detail={
            "decision": status.value,
            "reason": reason,
            "before": {"status": HitStatus.PENDING.value},
            "after": {"status": status.value, "reviewer": principal.username},
        },
    )
    session.refresh(hit)
    return hit


def confirmed_hits(session: Session, principal: Principal, notice_id: int) -> list[ScreeningHit]:
    """The notice's confirmed hits the caller may see, newest decision first."""
    stmt = (
        visible_hits(principal)
        .where(
            ScreeningHit.notice_id == notice_id,
            ScreeningHit.status == HitStatus.CONFIRMED,
            ScreeningHit.carried_from_id.is_(None),  # once, where it was decided
        )
        .order_by(ScreeningHit.reviewed_at.desc(), ScreeningHit.id.desc())
        .options(*_HIT_LOAD)
    )
    return list(session.scalars(stmt))


def registers_for(session: Session, principal: Principal) -> list[Register]:
    """The registers the caller may read, by name."""
    return list(
        session.scalars(
            scoped(sa.select(Register), Register, principal).order_by(*REGISTERS.order_by)
        )
    )


def active_notices(session: Session, principal: Principal) -> Iterable[Notice]:
    stmt = scoped(sa.select(Notice), Notice, principal).where(Notice.status == NoticeStatus.ACTIVE)
    return session.scalars(stmt.order_by(Notice.id))
