"""The audit log: a model, not a log line. Event names are stable and documented here.

Rows form one hash chain in `seq` order: each row's `row_hash` is the SHA-256 of the
previous row's hash and of the row's own fields in a canonical form (`digest`), so that an
edited, deleted or reordered row breaks the chain from that row on (`verify`). Rows are
chained as they are added, under a lock (PostgreSQL: a transaction-level advisory lock;
SQLite: its one writer), and `seq` is unique, so that two writers can never fork it.

The purge (`purge`) removes the oldest rows and leaves an anchor (`audit_anchors`) at the
newest row past the retention, which it keeps: the chain then starts there. An anchor is
a claim, and `verify` checks it rather than trusting it: no row below it is left; it lies
above the anchor before it and counts the rows between them; the row it names is still
there, links to the anchor's hash and is older than RETENTION_DAYS at the time of the
purge (every row below it came before it, so they were older still); and the purge that
made it is a row of the chain itself (`audit.purged`, naming the anchor, its hash and
count, dated as the anchor), not dated in the future.

What that holds against. Someone who can write the database (its owner; on SQLite,
whoever can write the file) can drop the triggers and change anything. Without a secret
they cannot make an edit that `verify` misses, except by rewriting the chain from the
edited row to its end, which changes the head; they cannot remove recent rows behind a
forged anchor (the anchor's row would be too young, or it would be rewritten), nor cut
off the newest rows without shortening the chain. Both of those (a rewritten chain, a
truncated end) are consistent chains that `verify` alone cannot tell from the real one:
nothing in the database is secret. That is what the signed head is for (`head_statement`,
`hoptac audit head` run daily, the file kept off the node or sent to a partner): the
node's Ed25519 key signs (seq, hash) of the last row, and `check_head` finds that row
with that hash still in the chain; the key is a file outside the database, and the head
a copy outside the node. What is appended after the last head taken is only as good as
the database; so is everything, for a node that never takes a head. Anchors written
before this check (revision 0011) carry no proof of the rows' age: `verify` accepts them
with a warning (fatal with `hoptac audit verify --strict`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey
from sqlalchemy.orm import Session

from hoptac.auth.principal import Principal
from hoptac.db.guards import RETENTION_DAYS
from hoptac.db.models import AuditAnchor, AuditEvent, ExchangeNode, utcnow
from hoptac.errors import Forbidden, InvalidInput
from hoptac.exchange.envelope import canonical
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
    NOTICE_SENT = "screening.notice_sent"  # a notice sent to partner nodes
    NOTICE_RECEIVED = "screening.notice_received"  # a partner's notice, or a new version of it
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
    REQUEST_CREATED = "assistance.created"  # a draft request for assistance
    REQUEST_UPDATED = "assistance.updated"  # a draft edited: values before and after
    REQUEST_STEP = "assistance.step"  # a state change, here or from the partner: before/after
    REQUEST_READ = "assistance.read"  # one request opened, or a page of them listed
    REQUEST_STEP_REFUSED = "assistance.step_refused"  # a partner's step it was not entitled to
    CASE_CHANGED = "case.changed"  # opened, linked, item added, transferred, closed: before/after
    CASE_READ = "case.read"  # a case (or an evidence file) opened, or a page of cases listed
    CUSTODY_TRANSFERRED = "case.custody"  # an evidence item changed hands: holder before/after
    HANDOVER_RECORDED = "assistance.handover"  # a person handed over; the notice executed
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
) -> AuditEvent:
    """Add an audit row to the caller's transaction, chained to the last row: it commits
    or rolls back with the change, and if it cannot be written the change fails with it.
    Without a principal (the node's own work, a failed login), `agency_id` names the agency
    the row concerns, so that its admins read it. Returns the row (pending)."""
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
    return row


@dataclass(frozen=True)
class Verdict:
    """What `verify` found: the rows checked and, if the chain is broken, the first bad
    row's seq (or the seq a missing row should have had, or the anchor's) and why."""

    rows: int
    head: str  # the last good row's hash: recorded elsewhere, it pins the chain so far
    start: int = 1  # the chain's first seq: after a purge, its anchor's
    bad_seq: int | None = None
    reason: str | None = None
    warnings: tuple[str, ...] = field(default=())  # what holds but cannot be proven

    @property
    def ok(self) -> bool:
        return self.bad_seq is None

    @property
    def last_seq(self) -> int:
        """The seq of the last row checked (the head's row)."""
        return self.start + self.rows - 1


CLOCK_SKEW = timedelta(hours=1)  # how far ahead of the verifier's clock a purge may be dated
_LEGACY_SKEW = timedelta(minutes=1)  # anchor and purge row of a purge before revision 0011


def _rows(session: Session, after: int = -1, batch: int = 5_000) -> Iterator[AuditEvent]:
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


@dataclass(frozen=True)
class _Anchor:
    seq: int
    prev_hash: str
    purged_rows: int
    at: datetime


@dataclass(frozen=True)
class _Purge:
    seq: int
    at: datetime
    detail: dict[str, Any]


def _anchors(session: Session) -> list[_Anchor]:
    """The anchors in the order they were added."""
    rows = session.execute(
        sa.select(
            AuditAnchor.seq, AuditAnchor.prev_hash, AuditAnchor.purged_rows, AuditAnchor.at
        ).order_by(AuditAnchor.id)
    ).all()
    return [_Anchor(int(r[0]), str(r[1]), int(r[2]), r[3]) for r in rows]


def _anchor_order(anchors: list[_Anchor]) -> tuple[int, str] | None:
    """(anchor seq, reason) of the first anchor out of line with the ones before it."""
    below, when = 1, None
    for a in anchors:
        if a.seq < below or (a.seq == below and a.purged_rows):
            return a.seq, f"its anchor does not lie above the anchor before it (row {below})"
        if a.purged_rows != a.seq - below:
            return a.seq, (
                f"its anchor claims {a.purged_rows} rows purged, but {a.seq - below} lay "
                f"between it and the anchor before it"
            )
        if when is not None and a.at < when:
            return a.seq, "its anchor is dated before the anchor before it"
        below, when = a.seq, a.at
    return None


def _check_anchor(
    a: _Anchor, purge: _Purge | None, start_at: datetime | None, now: datetime
) -> str | None:
    """Why the purge row `purge` does not bear out anchor `a` (None: it does). `start_at`
    is the time of the row the anchor names when that row is still there."""
    if purge is None:
        return "its anchor has no purge in the chain that names it: a forged anchor"
    d = purge.detail
    if (d.get("prev_hash"), d.get("rows")) != (a.prev_hash, a.purged_rows) or purge.at != a.at:
        return f"its anchor is not the one the purge at row {purge.seq} recorded"
    if purge.seq <= a.seq:
        return f"its anchor is recorded by a purge at row {purge.seq}, not after it"
    keep = d.get("keep_days")
    if not isinstance(keep, int) or keep < RETENTION_DAYS:
        return f"the purge at row {purge.seq} kept less than {RETENTION_DAYS} days"
    if purge.at > now + CLOCK_SKEW:
        return f"the purge at row {purge.seq} is dated in the future ({purge.at:%Y-%m-%d})"
    if start_at is not None and start_at + timedelta(days=RETENTION_DAYS) > purge.at:
        return (
            f"its anchor's row is dated {start_at:%Y-%m-%d}, less than {RETENTION_DAYS} days "
            f"before the purge at row {purge.seq}: rows younger than that were removed"
        )
    return None


def _legacy_purge(a: _Anchor, purges: list[_Purge]) -> _Purge | None:
    """The purge row a purge from before revision 0011 wrote for anchor `a`: no anchor
    named, its count and time the anchor's, before any purge that names its anchor."""
    for p in purges:
        if "anchor" in p.detail:
            return None
        if (
            p.seq > a.seq
            and p.detail.get("rows") == a.purged_rows
            and abs(p.at - a.at) <= _LEGACY_SKEW
        ):
            return p
    return None


def verify(session: Session, now: datetime | None = None) -> Verdict:
    """Walk the chain in seq order from its start (the last purge's anchor, or seq 1):
    every seq present once and in turn, every row linked to the one before it, every
    row's hash its content's. Check the anchors (see the module's docstring): no row left
    below the start, each anchor borne out by the purge row that names it. Names the
    first row (or anchor) where that fails."""
    now = now or utcnow()
    anchors = _anchors(session)
    start, prev = (anchors[-1].seq, anchors[-1].prev_hash) if anchors else (1, GENESIS)
    bad = _anchor_order(anchors)
    if bad is not None:
        return Verdict(0, prev, start, bad[0], bad[1])
    left = session.scalar(sa.select(sa.func.min(AuditEvent.seq)).where(AuditEvent.seq < start))
    if left is not None:
        return Verdict(
            0, prev, start, int(left),
            f"it is still there, below the anchor at row {start}: the anchor is forged or "
            "the purge incomplete",
        )  # fmt: skip
    expected, count = start, 0
    start_at: datetime | None = None
    purges: list[_Purge] = []
    for row in _rows(session, after=start - 1):
        if row.seq != expected:
            missing = f"row {expected} is missing (next is {row.seq})"
            return Verdict(count, prev, start, expected, missing)
        if row.prev_hash != prev:
            return Verdict(count, prev, start, row.seq, "it does not link to the row before it")
        if digest(prev, row) != row.row_hash:
            return Verdict(count, prev, start, row.seq, "its content does not match its hash")
        if row.seq == start:
            start_at = row.at
        if row.action == Action.AUDIT_PURGED and isinstance(row.detail, dict):
            purges.append(_Purge(row.seq, row.at, row.detail))
        prev, expected, count = row.row_hash, expected + 1, count + 1
    found = Verdict(count, prev, start)
    return _check_anchors(found, anchors, purges, start_at, now)


def _check_anchors(
    found: Verdict,
    anchors: list[_Anchor],
    purges: list[_Purge],
    start_at: datetime | None,
    now: datetime,
) -> Verdict:
    """The intact chain `found`, unless an anchor is not borne out by its purge row."""
    by_seq = {a.seq: a for a in anchors}
    named: dict[int, _Purge] = {}
    for p in purges:
        seq = p.detail.get("anchor")
        if seq is None:
            continue
        if not isinstance(seq, int) or seq not in by_seq or seq in named:
            reason = f"it records a purge anchored at row {seq}, which has no anchor"
            if isinstance(seq, int) and seq in named:
                reason = f"it records a second purge anchored at row {seq}"
            return Verdict(found.rows, found.head, found.start, p.seq, reason)
        named[seq] = p
    warnings: list[str] = []
    for a in anchors:
        if not a.purged_rows:
            continue  # claims nothing: the chain starts at row 1 all the same
        latest = a.seq == found.start
        purge = named.get(a.seq)
        if purge is None and not latest:
            continue  # its purge row went with a later purge, whose anchor vouches for it
        if purge is None:
            legacy = _legacy_purge(a, purges)
            if legacy is not None:
                keep = legacy.detail.get("keep_days")
                if isinstance(keep, int) and keep >= RETENTION_DAYS and legacy.at <= now:
                    warnings.append(
                        f"the anchor at row {a.seq} comes from a purge before revision 0011 "
                        f"(row {legacy.seq}): that the {a.purged_rows} rows it removed were "
                        f"older than {RETENTION_DAYS} days cannot be proven"
                    )
                    continue
        why = _check_anchor(a, purge, start_at if latest else None, now)
        if why is not None:
            return Verdict(found.rows, found.head, found.start, a.seq, why)
    return Verdict(found.rows, found.head, found.start, warnings=tuple(warnings))


def purge(
    session: Session,
    keep_days: int,
    now: datetime | None = None,
    username: str = "(cli)",
) -> int:
    """Remove the chain's oldest rows, those older than `keep_days` (at least
    RETENTION_DAYS) but the newest of them, and anchor the chain at that row: kept, it
    shows that the rows before it were older than the retention. The purge is itself an
    audit row, naming the anchor (`verify` checks one against the other). Needs the
    DELETE privilege the application role does not have: run it as the database owner.
    Returns how many rows were removed."""
    if keep_days < RETENTION_DAYS:
        raise InvalidInput(f"audit rows are kept at least {RETENTION_DAYS} days")
    # CLOCK_SKEW more: the database's trigger judges "older than the retention" by its
    # own clock, which may run behind this host's
    cutoff = (now or utcnow()) - timedelta(days=keep_days) - CLOCK_SKEW
    head_seq, _ = _head(session)  # the chain's lock: no row is added meanwhile
    start, _ = _start(session)
    first_kept = session.scalar(
        sa.select(sa.func.min(AuditEvent.seq)).where(AuditEvent.at >= cutoff)
    )
    boundary = (int(first_kept) if first_kept is not None else head_seq + 1) - 1
    detail: dict[str, Any] = {"rows": 0, "keep_days": keep_days}
    anchor: AuditAnchor | None = None
    if boundary > start:
        prev = session.scalar(sa.select(AuditEvent.prev_hash).where(AuditEvent.seq == boundary))
        if prev is None:
            raise InvalidInput(f"audit row {boundary} is missing: run `hoptac audit verify`")
        gone = session.query(AuditEvent).filter(AuditEvent.seq < boundary).delete()
        detail = {
            "rows": int(gone),
            "keep_days": keep_days,
            "anchor": boundary,
            "prev_hash": prev,
            "cutoff": cutoff.isoformat(timespec="seconds"),
        }
        anchor = AuditAnchor(seq=boundary, prev_hash=prev, purged_rows=int(gone))
    row = record(session, Action.AUDIT_PURGED, username=username, detail=detail)
    if anchor is not None:
        anchor.at = row.at
        session.add(anchor)
    session.flush()
    return int(detail["rows"])


# ---- the signed head -------------------------------------------------------------------

HEAD_FORMAT = "hoptac-audit-head"
HEAD_CONTEXT = b"hoptac/v1/audit-head\x00"  # what a head signature is over, before the body
_HEAD_FIELDS = ("format", "v", "node_id", "seq", "hash", "start", "rows", "at", "signing_key")


def _head_body(statement: dict[str, Any]) -> bytes:
    body = {name: statement.get(name) for name in _HEAD_FIELDS}
    return HEAD_CONTEXT + canonical(body)


def head_statement(
    session: Session,
    node_id: str | None = None,
    signing: SigningKey | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The chain's head as a statement to keep outside the node: the last row's seq and
    hash, the chain's start and length, the time, signed with the node's Ed25519 key
    (`signing`; unsigned without one). Refused on a broken chain: a head vouches for it."""
    found = verify(session, now)
    if not found.ok:
        raise InvalidInput(
            f"the audit log is broken at row {found.bad_seq} ({found.reason}): "
            "run `hoptac audit verify`; no head is written for a broken chain"
        )
    statement: dict[str, Any] = {
        "format": HEAD_FORMAT,
        "v": 1,
        "node_id": node_id,
        "seq": found.last_seq,
        "hash": found.head,
        "start": found.start,
        "rows": found.rows,
        "at": (now or utcnow()).isoformat(timespec="seconds") + "Z",
        "signing_key": None,
    }
    signature = None
    if signing is not None:
        statement["signing_key"] = base64.b64encode(bytes(signing.verify_key)).decode()
        signature = signing.sign(_head_body(statement)).signature
    statement["signature"] = base64.b64encode(signature).decode() if signature else None
    return statement


def check_head(
    session: Session,
    statement: Any,
    found: Verdict,
    now: datetime | None = None,
    key_file_public: str | None = None,
) -> tuple[str | None, str]:
    """(why the chain does not bear out the head `statement`, or None; what was checked).
    The signature must verify with the key this node published (its identity row): a
    signed head when the node has none, or an unsigned one when it has, is refused.
    `found` is `verify`'s verdict on the chain. The head's row must still be there with
    its hash; or, purged since, the head must be older than the retention (every row
    after the head's was written after it was taken, the anchor's row too).
    `key_file_public`: the public key of the node's key file (base64), outside the
    database: when given, the identity row must name it, so that whoever rewrote the
    database, its identity row included, cannot vouch for a head of their own."""
    if not isinstance(statement, dict) or statement.get("format") != HEAD_FORMAT:
        return "it is not an audit head", ""
    if statement.get("v") != 1:
        return f"head format version {statement.get('v')!r} is not known", ""
    seq, hash_ = statement.get("seq"), statement.get("hash")
    if isinstance(seq, bool) or not isinstance(seq, int) or not isinstance(hash_, str):
        return "it names no row and hash", ""
    try:
        taken_at = datetime.fromisoformat(str(statement.get("at")).removesuffix("Z"))
    except ValueError:
        return "it has no valid time", ""
    node = session.scalar(sa.select(ExchangeNode))
    signature = statement.get("signature")
    if node is None:
        if signature is not None:
            return "it is signed, but this node has no identity to check the key against", ""
        signed = "unsigned (this node has no identity)"
    else:
        if signature is None:
            return f"it is unsigned, but node {node.node_id} signs its heads", ""
        if key_file_public is not None and key_file_public != node.signing_key:
            return "the node's identity row names another key than its key file", ""
        if statement.get("node_id") != node.node_id:
            return f"it is node {statement.get('node_id')!r}'s head, not {node.node_id}'s", ""
        try:
            key = VerifyKey(base64.b64decode(node.signing_key, validate=True))
            key.verify(_head_body(statement), base64.b64decode(str(signature), validate=True))
        except (BadSignatureError, binascii.Error, ValueError):
            return f"its signature does not verify with node {node.node_id}'s key", ""
        if statement.get("signing_key") != node.signing_key:
            return f"it names a key that is not node {node.node_id}'s", ""
        signed = f"signed by node {node.node_id}"
    taken = f"row {seq}, taken {statement.get('at')}, {signed}"
    if seq < found.start:
        if taken_at + timedelta(days=RETENTION_DAYS) > (now or utcnow()) + CLOCK_SKEW:
            return (
                f"row {seq} is gone, though the head is younger than {RETENTION_DAYS} days: "
                f"rows younger than that were removed below the anchor at row {found.start}",
                taken,
            )
        return None, f"{taken}: that row has been purged since, take a newer head"
    if seq > found.last_seq:
        return (
            f"the chain ends at row {found.last_seq}, before row {seq} the head recorded: "
            "its newest rows were removed",
            taken,
        )
    row_hash = session.scalar(sa.select(AuditEvent.row_hash).where(AuditEvent.seq == seq))
    if row_hash != hash_:
        return f"row {seq} no longer has the hash the head recorded: the chain was rewritten", taken
    return None, taken


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
