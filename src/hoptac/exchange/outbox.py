"""The outbox: an envelope sealed, signed and queued in the caller's transaction
(`enqueue`), and the steps of the sender (`delivery.Sender`) over it: which peers are due,
the next batch, the receiver's answer settled, a failed try recorded.

A capability whose records travel when they change, by whatever path they change (a
notice's new status after an import, a form, a handover), registers a producer
(`produces`): the sender runs the producers (`produce`) before its rounds, and each queues
what its partners have not had yet."""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac.db.models import (
    EnvelopeRow,
    Peer,
    utcnow,
)
from hoptac.errors import FieldError, Forbidden, InvalidInput
from hoptac.exchange import envelope as wire
from hoptac.exchange.envelope import Rejected
from hoptac.exchange.identity import this_node, utc
from hoptac.exchange.keys import NodeKeys
from hoptac.exchange.peering import allowed
from hoptac.types import (
    UNDELIVERED,
    DeliveryStatus,
    Direction,
)

log = logging.getLogger(__name__)


def handling_errors(handling: str, handling_note: str | None) -> list[FieldError]:
    """What is wrong with a handling code and its note as a person gave them (none: [])."""
    errors = []
    if handling not in wire.HANDLING:
        errors.append(FieldError("handling", f"one of {', '.join(wire.HANDLING)}"))
    if handling == "H3" and not (handling_note or "").strip():
        errors.append(FieldError("handling_note", "H3 needs the restrictions written out"))
    return errors


def enqueue(
    session: Session,
    keys: NodeKeys,
    peer: Peer,
    kind: str,
    body: dict[str, Any],
    *,
    handling: str = "H0",
    handling_note: str | None = None,
    reliability: str = "B",
    accuracy: int = 2,
    thread_id: str | None = None,
    in_reply_to: str | None = None,
    priority: str | None = None,
) -> EnvelopeRow:
    """Seal, sign and queue one envelope for `peer` in the caller's transaction: once that
    commits, the sender delivers it, whatever stops in between."""
    if not allowed(peer.send_kinds, kind):
        raise Forbidden(f"the agreement with {peer.name} does not allow sending {kind}")
    node = this_node(session)
    try:
        env = wire.seal(
            keys,
            sender=node.node_id,
            recipient=peer.node_id,
            recipient_key=base64.b64decode(peer.encryption_key),
            kind=kind,
            body=body,
            handling=handling,
            handling_note=handling_note,
            reliability=reliability,
            accuracy=accuracy,
        )
    except Rejected as exc:
        raise InvalidInput(exc.reason) from None
    row = EnvelopeRow(
        envelope_id=env.id,
        direction=Direction.OUT,
        peer_id=peer.id,
        kind=kind,
        created_at=utc(wire.parse_timestamp(env.created_at)),
        handling=handling,
        handling_note=handling_note,
        reliability=reliability,
        accuracy=accuracy,
        wire=env.wire(),
        sealed=wire.seal_local(keys, env.id, node.node_id, peer.node_id, body),
        thread_id=thread_id or (env.id if kind == "message" else None),
        in_reply_to=in_reply_to,
        priority=priority,
        status=DeliveryStatus.QUEUED,
        next_attempt_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


Producer = Callable[[Session, NodeKeys], int]
_PRODUCERS: list[Producer] = []


def produces(producer: Producer) -> Producer:
    """Register a producer: a function that queues (with `enqueue`, in the session it is
    given) what has changed since it last ran, and returns how many envelopes it queued."""
    if producer not in _PRODUCERS:
        _PRODUCERS.append(producer)
    return producer


def produce(session: Session, keys: NodeKeys) -> int:
    """Run every producer in the caller's transaction; the envelopes they queued."""
    return sum(producer(session, keys) for producer in _PRODUCERS)


def due_peers(session: Session, now: datetime) -> list[Peer]:
    """Peers with envelopes waiting to go, unless their backoff (`Peer.retry_at`, naive
    UTC like `now`) is not over yet."""
    ids = session.scalars(
        sa.select(EnvelopeRow.peer_id)
        .where(
            EnvelopeRow.direction == Direction.OUT,
            EnvelopeRow.status.in_(UNDELIVERED),
        )
        .distinct()
    ).all()
    return list(
        session.scalars(
            sa.select(Peer).where(
                Peer.id.in_(ids),
                Peer.active,
                sa.or_(Peer.retry_at.is_(None), Peer.retry_at <= now),
            )
        )
    )


def next_batch(
    session: Session, peer: Peer, limit: int, max_bytes: int | None
) -> list[EnvelopeRow]:
    """The peer's oldest undelivered envelopes, in order, up to `limit` and `max_bytes`
    (None: no limit of bytes)."""
    rows = session.scalars(
        sa.select(EnvelopeRow)
        .where(
            EnvelopeRow.direction == Direction.OUT,
            EnvelopeRow.status.in_(UNDELIVERED),
            EnvelopeRow.peer_id == peer.id,
        )
        .order_by(EnvelopeRow.seq)
        .limit(limit)
    ).all()
    return cut(list(rows), limit, max_bytes)


def cut(rows: list[EnvelopeRow], limit: int, max_bytes: int | None) -> list[EnvelopeRow]:
    """The first of `rows` that fit `limit` envelopes and `max_bytes` of wire (the first
    always goes, however large)."""
    batch: list[EnvelopeRow] = []
    size = 0
    for row in rows[:limit]:
        size += len(row.wire)
        if batch and max_bytes is not None and size > max_bytes:
            break
        batch.append(row)
    return batch


@dataclass(frozen=True)
class Settled:
    delivered: int
    rejected: int  # refused for good
    pending: list[int]  # seqs neither delivered nor refused for good: to try again
    unanswered: list[int] = field(default_factory=list)  # of `pending`: not in the answer


def settle(session: Session, peer: Peer, batch: list[EnvelopeRow], answer: Any) -> Settled:
    """Apply a receiver's answer to `batch`: a valid receipt marks an envelope delivered;
    a signed refusal with a final code marks it rejected with the reason. Anything else (a
    curable refusal such as `unknown_sender`, a receipt or refusal that does not verify,
    an envelope the answer does not mention) stays in the outbox, to be sent again."""
    receipts = answer.get("receipts") if isinstance(answer, dict) else None
    refusals = answer.get("rejected") if isinstance(answer, dict) else None
    by_id = {r.envelope_id: r for r in batch if r.status in UNDELIVERED}
    key = base64.b64decode(peer.signing_key)
    node_id = this_node(session).node_id
    now = utcnow()
    done: dict[str, dict[str, Any]] = {}
    notes: dict[str, str] = {}
    for obj in receipts if isinstance(receipts, list) else []:
        row = by_id.get(str(obj.get("envelope"))) if isinstance(obj, dict) else None
        if row is None:
            continue
        digest = hashlib.sha256(row.wire).hexdigest()  # the wire bytes are canonical
        try:
            wire.verify_receipt(obj, row.envelope_id, digest, node_id, peer.node_id, key)
        except Rejected as exc:
            notes[row.envelope_id] = f"receipt refused: {exc.reason}"
            continue
        done[row.envelope_id] = {
            "s": row.seq,
            "status": DeliveryStatus.DELIVERED,
            "delivered_at": now,
            "receipt": obj,
            "last_error": None,
            "attempts": row.attempts + 1,
        }
    rejected = 0
    for obj in refusals if isinstance(refusals, list) else []:
        row = by_id.get(str(obj.get("id"))) if isinstance(obj, dict) else None
        if row is None or row.envelope_id in done:
            continue
        try:
            code = wire.verify_refusal(obj, row.envelope_id, node_id, peer.node_id, key)
        except Rejected as exc:
            notes[row.envelope_id] = f"refusal not trusted: {exc.reason}"
            continue
        note = f"{code}: {obj.get('reason')}"[:500]
        if code in wire.RETRYABLE and row.created_at > now - wire.MAX_AGE:
            notes[row.envelope_id] = f"refused for now, will retry: {note}"
            continue
        row.status, row.attempts, row.last_error = DeliveryStatus.REJECTED, row.attempts + 1, note
        rejected += 1
    if done:
        table = sa.Table("envelopes", EnvelopeRow.metadata)
        session.execute(
            table.update()
            .where(table.c.seq == sa.bindparam("s"))
            .values(
                status=sa.bindparam("status"),
                delivered_at=sa.bindparam("delivered_at"),
                receipt=sa.bindparam("receipt"),
                last_error=sa.bindparam("last_error"),
                attempts=sa.bindparam("attempts"),
                sent_at=sa.func.coalesce(table.c.sent_at, sa.bindparam("delivered_at")),
            ),
            list(done.values()),
        )
    pending = [
        r
        for r in by_id.values()
        if r.envelope_id not in done and r.status != DeliveryStatus.REJECTED
    ]
    for row in pending:
        if row.envelope_id in notes:
            row.last_error = notes[row.envelope_id]
    unanswered = [r.seq for r in pending if r.envelope_id not in notes]
    return Settled(len(done), rejected, [r.seq for r in pending], unanswered)


def mark_tried(session: Session, seqs: list[int], error: str, retry_at: datetime) -> None:
    """Envelopes sent without a receipt (the peer down, or the answer settled nothing):
    `sent`, one more attempt, the error, when the next try is due."""
    error_value = {"last_error": error[:500]} if error else {}  # else: settle's note stays
    session.execute(
        sa.update(EnvelopeRow)
        .where(EnvelopeRow.seq.in_(seqs), EnvelopeRow.status.in_(UNDELIVERED))
        .values(
            status=DeliveryStatus.SENT,
            attempts=EnvelopeRow.attempts + 1,
            sent_at=sa.func.coalesce(EnvelopeRow.sent_at, utcnow()),
            next_attempt_at=retry_at,
            **error_value,
        )
    )


def retry_after(failures: int, cap: float, jitter: float) -> timedelta:
    """Exponential backoff with jitter: 0.25 s doubling to `cap`, times `jitter` (0.5-1)."""
    return timedelta(seconds=min(cap, 0.25 * 2 ** min(failures, 20)) * jitter)
