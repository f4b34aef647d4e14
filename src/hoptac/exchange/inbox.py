"""The inbox: a batch of envelopes from partners checked, stored and acknowledged
(`receive`). What an envelope's content means belongs to the capability that registered a
handler for its kind (`handles`): the hotline for messages, statuses and permissions,
assistance for requests. The exchange itself knows none of them."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac.auth import audit
from hoptac.auth.audit import Action
from hoptac.db.models import (
    EnvelopeRow,
    Peer,
    utcnow,
)
from hoptac.exchange import envelope as wire
from hoptac.exchange.envelope import Envelope, Rejected
from hoptac.exchange.identity import SYSTEM, this_node, utc
from hoptac.exchange.keys import NodeKeys
from hoptac.exchange.peering import allowed
from hoptac.types import (
    Direction,
)

log = logging.getLogger(__name__)


# ---- what each kind of envelope means: a handler per kind, registered by its capability


@dataclass(frozen=True)
class Placement:
    """Where a received envelope's row belongs, as its handler says: a thread, the
    envelope it answers, a priority (all optional)."""

    thread_id: str | None = None
    in_reply_to: str | None = None
    priority: str | None = None


@dataclass
class Batch:
    """The request being received, as a handler sees it: the envelopes of this batch
    stored so far (id -> envelope and peer id), the time of receipt, and this node's keys
    (a handler may queue an answer in the same transaction)."""

    accepted: dict[str, tuple[Envelope, int]]
    now: datetime
    keys: NodeKeys


Handler = Callable[[Session, Peer, Envelope, dict[str, Any], Batch], Placement]
_HANDLERS: dict[str, Handler] = {}


def handles(kind: str) -> Callable[[Handler], Handler]:
    """Register the handler of one kind of envelope (a decorator). The handler checks the
    opened body (raising `Rejected` with `bad_payload`, or another final code, to refuse
    the envelope: nothing of it is stored) and applies it in the caller's transaction.
    A kind has one handler; a kind without one is refused."""
    if kind not in wire.KINDS:
        raise ValueError(f"{kind!r} is not an envelope kind of the protocol")

    def register(handler: Handler) -> Handler:
        if _HANDLERS.get(kind, handler) is not handler:
            raise ValueError(f"{kind!r} envelopes already have a handler")
        _HANDLERS[kind] = handler
        return handler

    return register


def handled_kinds() -> list[str]:
    return sorted(_HANDLERS)


@dataclass
class Received:
    receipts: list[dict[str, Any]]
    rejected: list[dict[str, str | None]]


def partner_of(session: Session, obj: Any, now: datetime | None = None) -> Peer | None:
    """The pinned, active peer that sent `obj` (an envelope as received) to this node now,
    or None. The inbox asks this of a request's first envelope before it does any other
    work for it. To vouch for the request the envelope must carry the peer's valid
    signature, be addressed to this node, be within the clock window and not be stored
    already: a copy of an envelope delivered before (captured on the way, or addressed to
    another node) does not make a stranger's request a partner's."""
    try:
        env = Envelope.from_json(obj)
        if env.recipient != this_node(session).node_id:
            return None
        peer = session.scalar(sa.select(Peer).where(Peer.node_id == env.sender, Peer.active))
        if peer is None:
            return None
        wire.verify(env, base64.b64decode(peer.signing_key))
        wire.check_time(env, now or datetime.now(UTC))
    except Rejected:
        return None
    stored = sa.select(EnvelopeRow.seq).where(EnvelopeRow.envelope_id == env.id)
    return None if session.scalar(stored) is not None else peer


def receive(
    session: Session, keys: NodeKeys, objs: list[Any], client: str | None = None
) -> Received:
    """Check and store a batch of envelopes from a partner, in order, then sign a receipt
    for each one stored now or before (a retried duplicate), and a refusal for each one
    refused. Refusals are logged (one audit row `exchange.rejected` per request, with each
    envelope's code and reason) and nothing of a refused envelope is stored.
    The caller commits before answering: a receipt means the envelope is on disk.

    Every check runs first; the envelopes that pass are then written with one bulk
    INSERT (in batch order, so `seq` keeps the sender's order) that skips an id a
    concurrent request stored meanwhile (then compared: the same bytes, or refused)."""
    node = this_node(session)
    now = datetime.now(UTC)
    out = Received([], [])
    ids = [o.get("id") for o in objs if isinstance(o, dict) and isinstance(o.get("id"), str)]
    known: dict[str, bytes] = {
        envelope_id: row_wire if direction == Direction.IN else b""
        for envelope_id, direction, row_wire in session.execute(
            sa.select(EnvelopeRow.envelope_id, EnvelopeRow.direction, EnvelopeRow.wire).where(
                EnvelopeRow.envelope_id.in_(ids)
            )
        )
    }
    peer_cache: dict[str, Peer | None] = {}
    rows: list[dict[str, Any]] = []
    batch = Batch({}, now, keys)  # this batch's new envelopes so far
    refused: list[dict[str, Any]] = []
    for obj in objs:
        try:
            env = Envelope.from_json(obj)
            if env.recipient != node.node_id:
                raise Rejected(
                    "wrong_node", f"addressed to {env.recipient}, this is {node.node_id}"
                )
            if env.sender not in peer_cache:
                peer_cache[env.sender] = session.scalar(
                    sa.select(Peer).where(Peer.node_id == env.sender, Peer.active)
                )
            peer = peer_cache[env.sender]
            if peer is None:
                raise Rejected("unknown_sender", f"{env.sender} is not a pinned peer of this node")
            wire.verify(env, base64.b64decode(peer.signing_key))
            env_wire = env.wire()
            if env.id in known:
                if known[env.id] == env_wire:
                    out.receipts.append(wire.receipt(keys, env, node.node_id, now))
                    continue  # a retry of what is stored: acknowledged again, kept once
                raise Rejected("replayed", f"envelope id {env.id} was already used")
            if not allowed(peer.receive_kinds, env.kind):
                raise Rejected(
                    "kind_not_allowed",
                    f"the agreement with {peer.node_id} does not allow {env.kind}",
                )
            wire.check_time(env, now)
            body = wire.open_body(env, keys)
            rows.append(_received_row(session, peer, env, env_wire, body, batch))
            known[env.id] = env_wire
            batch.accepted[env.id] = (env, peer.id)
            out.receipts.append(wire.receipt(keys, env, node.node_id, now))
        except Rejected as exc:
            claimed = obj.get("id") if isinstance(obj, dict) else None
            sender = obj.get("from") if isinstance(obj, dict) else None
            claimed = claimed if isinstance(claimed, str) else None
            sender = sender if isinstance(sender, str) else None
            out.rejected.append(
                wire.refusal(keys, node.node_id, sender, claimed, exc.code, exc.reason)
            )
            log.warning("envelope %r from %r rejected: %s", claimed, sender, exc.code)
            refused.append(
                {"envelope": (claimed or "")[:40], "from": (sender or "")[:64], "code": exc.code}
            )
    if rows:
        _insert_new(session, rows)
        for raced in _drop_raced(session, keys, node.node_id, rows, out, now):
            refused.append({"envelope": raced, "from": "", "code": "replayed"})
    if refused:
        audit.record(
            session,
            Action.ENVELOPE_REJECTED,
            username=SYSTEM,
            outcome="denied",
            client=client,
            detail={
                "refused": len(refused),
                "codes": sorted({r["code"] for r in refused}),
                "envelopes": refused[:50],
            },
        )
    return out


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> None:
    """INSERT the rows, skipping an envelope id already stored (a concurrent request)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(
            pg_insert(EnvelopeRow).on_conflict_do_nothing(index_elements=["envelope_id"]), rows
        )
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(
            sqlite_insert(EnvelopeRow).on_conflict_do_nothing(index_elements=["envelope_id"]), rows
        )
    else:
        session.execute(sa.insert(EnvelopeRow), rows)


def _drop_raced(
    session: Session,
    keys: NodeKeys,
    node_id: str,
    rows: list[dict[str, Any]],
    out: Received,
    now: datetime,
) -> list[str]:
    """A concurrent request stored one of these ids first: same bytes, the receipt
    stands; other bytes, the receipt becomes a refusal. Returns the refused ids."""
    stored = dict(
        session.execute(
            sa.select(EnvelopeRow.envelope_id, EnvelopeRow.wire).where(
                EnvelopeRow.envelope_id.in_([r["envelope_id"] for r in rows])
            )
        ).all()
    )
    raced = []
    for row in rows:
        if stored.get(row["envelope_id"]) == row["wire"]:
            continue
        raced.append(row["envelope_id"])
        out.receipts = [r for r in out.receipts if r.get("envelope") != row["envelope_id"]]
        env = Envelope.from_json(json.loads(row["wire"]))
        out.rejected.append(
            wire.refusal(keys, node_id, env.sender, env.id, "replayed", "id already used")
        )
    return raced


def _received_row(
    session: Session,
    peer: Peer,
    env: Envelope,
    env_wire: bytes,
    body: dict[str, Any],
    batch: Batch,
) -> dict[str, Any]:
    """Hand a received body to its kind's handler (which checks it and applies what it
    says); the envelope's row, to insert."""
    handler = _HANDLERS.get(env.kind)
    if handler is None:
        raise Rejected("kind_not_allowed", f"this node takes no {env.kind} envelopes")
    place = handler(session, peer, env, body, batch)
    return {
        "envelope_id": env.id,
        "direction": Direction.IN,
        "peer_id": peer.id,
        "kind": env.kind,
        "created_at": utc(wire.parse_timestamp(env.created_at)),
        "stored_at": utcnow(),
        "handling": env.handling,
        "handling_note": env.handling_note,
        "reliability": env.reliability,
        "accuracy": env.accuracy,
        "wire": env_wire,
        "sealed": env.payload,
        "thread_id": place.thread_id,
        "in_reply_to": place.in_reply_to,
        "priority": place.priority,
        "status": "received",
        "attempts": 0,
    }
