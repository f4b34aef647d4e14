"""The audit log: a model, not a log line. Event names are stable and documented here.

Rows form one hash chain in `seq` order: each row's `row_hash` is the SHA-256 of the
previous row's hash and of the row's own fields in a canonical form (`digest`), so that an
edited, deleted or reordered row breaks the chain from that row on (`verify`). Rows are
chained as they are added, under a lock (PostgreSQL: a transaction-level advisory lock;
SQLite: its one writer), and `seq` is unique, so that two writers can never fork it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac.auth.principal import Principal
from hoptac.db.guards import RETENTION_DAYS
from hoptac.db.models import AuditAnchor, AuditEvent, utcnow
from hoptac.errors import Forbidden, InvalidInput
from hoptac.types import Role


class Action(StrEnum):
    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOGOUT = "auth.logout"
    TOKEN_ISSUED = "auth.token_issued"
    USER_CREATED = "auth.user_created"
    ACCOUNT_LOCKED = "auth.account_locked"  # repeated failed logins
    ACCOUNT_UNLOCKED = "auth.account_unlocked"
    ACCOUNT_DISABLED = "auth.account_disabled"  # by an admin, or unused for 90 days
    ACCOUNT_ENABLED = "auth.account_enabled"  # an account an admin disabled, enabled again
    PASSWORD_CHANGED = "auth.password_changed"
    ROLE_CHANGED = "auth.role_changed"
    SECOND_FACTOR_RESET = "auth.second_factor_reset"  # by an admin: a lost phone
    RECORD_CREATED = "record.created"
    RECORD_UPDATED = "record.updated"
    RECORD_READ = "record.read"  # one record of personal data shown (notice, register record)
    RECORDS_LISTED = "records.listed"  # a page of register records shown: register, offset
    HITS_LISTED = "screening.hits_listed"  # a page of the review queue shown: its filters
    IMPORTED = "screening.imported"  # one committed batch of an upload: counts in detail
    JOB_STARTED = "screening.job_started"
    JOB_FINISHED = "screening.job_finished"  # hits stored
    JOB_FAILED = "screening.job_failed"
    HIT_READ = "screening.hit_read"
    HIT_DECIDED = "screening.hit_decided"  # confirmed or rejected, with the reason
    SEARCHED = "screening.searched"  # a person search over registers and notices
    NODE_CREATED = "exchange.node_created"
    PEER_PINNED = "exchange.peer_pinned"
    PEER_REVOKED = "exchange.peer_revoked"
    ENVELOPE_REJECTED = "exchange.rejected"  # refused at the inbox: code and reason in detail
    MESSAGE_SENT = "hotline.sent"
    MESSAGE_READ = "hotline.read"  # a thread or an attachment opened
    MESSAGES_LISTED = "hotline.listed"  # subjects shown: a conversation or the API's list
    MESSAGE_ACKNOWLEDGED = "hotline.acknowledged"
    FORWARD_DENIED = "hotline.forward_denied"  # H2 without the provider's permission
    PERMISSION_GRANTED = "hotline.permission_granted"
    DEMO_LOADED = "demo.loaded"
    EXPORTED = "data.exported"
    AUDIT_VIEWED = "audit.viewed"  # the audit log listed or exported: its filters
    AUDIT_PURGED = "audit.purged"  # rows older than the retention removed
    ACCESS_DENIED = "access.denied"  # a request refused 401/403/404: route, status, record


GENESIS = "0" * 64  # the previous hash of the first row ever written
CHAIN_LOCK = 0x686F70746163  # PostgreSQL advisory lock key of the chain ("hoptac")
_FIELDS = (
    "seq", "at", "user_id", "username", "agency_id", "action", "object_type", "object_id",
    "outcome", "client", "detail",
)  # fmt: skip


def digest(prev_hash: str, row: AuditEvent) -> str:
    """The row's hash: SHA-256 over the previous hash and the row's fields as canonical
    JSON (sorted keys, UTF-8, the time as ISO 8601 to the microsecond). Version 1: a
    change here must keep verifying the rows written before it."""
    values: dict[str, Any] = {name: getattr(row, name) for name in _FIELDS}
    values["at"] = row.at.isoformat(timespec="microseconds")
    body = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"v1|{prev_hash}|{body}".encode()).hexdigest()


def _start(session: Session) -> tuple[int, str]:
    """(seq, previous hash) of the chain's first row: the last purge's anchor, or
    (1, GENESIS)."""
    anchor = session.execute(
        sa.select(AuditAnchor.seq, AuditAnchor.prev_hash).order_by(AuditAnchor.seq.desc())
    ).first()
    return (int(anchor[0]), str(anchor[1])) if anchor is not None else (1, GENESIS)


def _head(session: Session) -> tuple[int, str]:
    """(seq, hash) of the chain's last row, under the chain's lock; before the first row,
    the seq before the chain's start and the hash it must link to."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(CHAIN_LOCK)))
    last = session.execute(  # autoflush: this transaction's own pending rows first
        sa.select(AuditEvent.seq, AuditEvent.row_hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    if last is not None:
        return int(last[0]), str(last[1])
    seq, prev = _start(session)
    return seq - 1, prev


def record(
    session: Session,
    action: Action,
    *,
    principal: Principal | None = None,
    username: str | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    outcome: str = "ok",
    client: str | None = None,
    detail: dict[str, Any] | None = None,
    agency_id: int | None = None,
) -> None:
    """Add an audit row to the caller's transaction, chained to the last row: it commits
    or rolls back with the change, and if it cannot be written the change fails with it.
    Without a principal (the node's own work, a failed login), `agency_id` names the agency
    the row concerns, so that its admins read it."""
    name = principal.username if principal else username
    row = AuditEvent(
        at=utcnow(),
        user_id=principal.user_id if principal else None,
        username=name[:80] if name is not None else None,
        agency_id=principal.agency_id if principal else agency_id,
        action=str(action),
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        client=client[:100] if client is not None else None,
        # the stored form: what is read back is what was hashed
        detail=json.loads(json.dumps(detail, ensure_ascii=False)) if detail is not None else None,
    )
    seq, prev = _head(session)
    row.seq, row.prev_hash = seq + 1, prev
    row.row_hash = digest(prev, row)
    session.add(row)


@dataclass(frozen=True)
class Verdict:
    """What `verify` found: the rows checked and, if the chain is broken, the first bad
    row's seq (or the seq a missing row should have had) and why."""

    rows: int
    head: str  # the last good row's hash: recorded elsewhere, it pins the chain so far
    start: int = 1  # the chain's first seq: after a purge, its anchor's
    bad_seq: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.bad_seq is None


def _rows(session: Session, batch: int = 5_000) -> Iterator[AuditEvent]:
    after = -1
    while True:
        page = list(
            session.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.seq > after)
                .order_by(AuditEvent.seq)
                .limit(batch)
            )
        )
        yield from page
        if len(page) < batch:
            return
        after = page[-1].seq
        session.expunge_all()


def verify(session: Session) -> Verdict:
    """Walk the chain in seq order from its start (the last purge's anchor, or seq 1):
    every seq present once and in turn, every row linked to the one before it, every
    row's hash its content's. Names the first row where that fails."""
    start, prev = _start(session)
    expected, count = start, 0
    for row in _rows(session):
        if row.seq < expected:
            continue  # left before an anchor: already outside the chain's start
        if row.seq != expected:
            missing = f"row {expected} is missing (next is {row.seq})"
            return Verdict(count, prev, start, expected, missing)
        if row.prev_hash != prev:
            return Verdict(count, prev, start, row.seq, "it does not link to the row before it")
        if digest(prev, row) != row.row_hash:
            return Verdict(count, prev, start, row.seq, "its content does not match its hash")
        prev, expected, count = row.row_hash, expected + 1, count + 1
    return Verdict(count, prev, start)


def purge(session: Session, keep_days: int, now: datetime | None = None) -> int:
    """Remove the chain's oldest rows, those older than `keep_days` (at least
    RETENTION_DAYS), and anchor the chain at the first row kept. Needs the DELETE
    privilege the application role does not have: run it as the database owner."""
    if keep_days < RETENTION_DAYS:
        raise InvalidInput(f"audit rows are kept at least {RETENTION_DAYS} days")
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    _head(session)  # the chain's lock: no row is added meanwhile
    first_kept = session.execute(
        sa.select(AuditEvent.seq, AuditEvent.prev_hash)
        .where(AuditEvent.at >= cutoff)
        .order_by(AuditEvent.seq)
        .limit(1)
    ).first()
    if first_kept is None:
        raise InvalidInput("every audit row is older than the cutoff: nothing would be left")
    seq, prev = int(first_kept[0]), str(first_kept[1])
    gone = session.query(AuditEvent).filter(AuditEvent.seq < seq).delete()
    if gone:
        session.add(AuditAnchor(seq=seq, prev_hash=prev, purged_rows=gone))
    return int(gone)


@dataclass(frozen=True)
class Filters:
    """What an auditor narrows the log to (all optional); dates are UTC days, inclusive."""

    action: str | None = None
    username: str | None = None
    outcome: str | None = None
    since: date | None = None
    until: date | None = None

    def as_detail(self) -> dict[str, str]:
        return {k: str(v) for k, v in vars(self).items() if v not in (None, "")}


def _visible_rows(principal: Principal, filters: Filters) -> sa.Select[AuditEvent]:
    """An admin reads the rows about the own agency (its users' actions, its accounts),
    never another agency's nor the node's own (failed logins under unknown names may hold
    another agency's mistyped names, even passwords): those are the node operator's, in
    the database."""
    if principal.role != Role.ADMIN:
        raise Forbidden("Only an administrator may read the audit log.")
    stmt = sa.select(AuditEvent).where(AuditEvent.agency_id == principal.agency_id)
    if filters.action:
        stmt = stmt.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    if filters.username:
        stmt = stmt.where(AuditEvent.username == filters.username)
    if filters.outcome:
        stmt = stmt.where(AuditEvent.outcome == filters.outcome)
    if filters.since:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(filters.since, time.min))
    if filters.until:
        stmt = stmt.where(AuditEvent.at < datetime.combine(filters.until + timedelta(1), time.min))
    return stmt


def listing(
    session: Session,
    principal: Principal,
    filters: Filters,
    offset: int,
    limit: int,
    client: str | None = None,
) -> tuple[list[AuditEvent], int]:
    """A page of the log, newest first, and how many rows match; the reading is audited."""
    stmt = _visible_rows(principal, filters)
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    rows = list(session.scalars(stmt.order_by(AuditEvent.seq.desc()).offset(offset).limit(limit)))
    record(
        session,
        Action.AUDIT_VIEWED,
        principal=principal,
        client=client,
        detail={**filters.as_detail(), "offset": offset, "rows": len(rows)},
    )
    return rows, total


EXPORT_COLUMNS = (
    "seq", "at", "username", "user_id", "agency_id", "action", "object_type", "object_id",
    "outcome", "client", "detail", "prev_hash", "row_hash",
)  # fmt: skip


def export(
    session: Session, principal: Principal, filters: Filters, client: str | None = None
) -> Iterator[tuple[Any, ...]]:
    """Every matching row in chain order, hashes included (an auditor can re-verify the
    links of a contiguous stretch). The export is audited here, before any row is read."""
    stmt = _visible_rows(principal, filters)
    record(
        session,
        Action.AUDIT_VIEWED,
        principal=principal,
        client=client,
        detail={**filters.as_detail(), "export": "csv"},
    )
    return _export_lines(session, stmt)


def _export_lines(session: Session, stmt: sa.Select[AuditEvent]) -> Iterator[tuple[Any, ...]]:
    for row in session.scalars(stmt.order_by(AuditEvent.seq).execution_options(yield_per=2000)):
        values = {name: getattr(row, name) for name in EXPORT_COLUMNS}
        values["at"] = row.at.isoformat(timespec="microseconds") + "Z"
        if row.detail is not None:
            values["detail"] = json.dumps(row.detail, ensure_ascii=False, sort_keys=True)
        yield tuple(_inert(v) for v in values.values())


def _inert(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (`=HYPERLINK(...)` typed as a
    username) is quoted, as OWASP advises for CSV exports."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
