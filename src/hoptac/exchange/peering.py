"""Pinned partners: a partner's card pinned under an agreement that says which kinds of
envelope flow each way (`add_peer`), revoked (`revoke_peer`), looked up."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac.auth import audit
from hoptac.auth.audit import Action
from hoptac.db.models import (
    Agreement,
    EnvelopeRow,
    ExchangeNode,
    Peer,
)
from hoptac.errors import Conflict, FieldError, InvalidInput, NotFound
from hoptac.exchange import envelope as wire
from hoptac.exchange.envelope import Envelope
from hoptac.exchange.identity import SYSTEM, open_row, read_card, this_node
from hoptac.exchange.keys import NodeKeys
from hoptac.types import (
    DeliveryStatus,
    Direction,
    whole_number,
)

log = logging.getLogger(__name__)


def _kinds(kinds: list[str], field: str) -> list[str]:
    unknown = [k for k in kinds if k not in wire.KINDS or k in wire.FOLLOWS_MESSAGE]
    if unknown:
        allowed = ", ".join(k for k in wire.KINDS if k not in wire.FOLLOWS_MESSAGE)
        raise InvalidInput(
            f"unknown kind {', '.join(unknown)}", errors=[FieldError(field, f"one of {allowed}")]
        )
    return sorted(set(kinds))


def add_peer(
    session: Session,
    obj: Any,
    *,
    agreement: str | None = None,
    send_kinds: list[str] | None = None,
    receive_kinds: list[str] | None = None,
    keys: NodeKeys | None = None,
) -> Peer:
    """Pin a partner's keys from its card, under an agreement (id or ref) that says which
    kinds of envelope flow each way (default: hotline messages both ways). When a revoked
    partner comes back with new keys, what is still in the outbox for it is sealed and
    signed again for the new keys (`keys`: this node's, needed for that)."""
    c = read_card(obj)
    node = this_node(session)
    if c["node_id"] == node.node_id:
        raise InvalidInput("this is this node's own card")
    peer = session.scalar(sa.select(Peer).where(Peer.node_id == c["node_id"]))
    if peer is not None and peer.active and peer.fingerprint != c["fingerprint"]:
        raise Conflict(
            f"{c['node_id']} is pinned with other keys (fingerprint {peer.fingerprint}); "
            "if the partner really changed its keys, revoke the old pin first "
            "(hoptac peer revoke) and confirm the new fingerprint with them"
        )
    agreement_id = None
    if agreement:
        query = sa.select(Agreement.id).where(
            Agreement.owner_agency_id == node.agency_id,
            Agreement.ref == agreement
            if whole_number(agreement) is None
            else Agreement.id == whole_number(agreement),
        )
        agreement_id = session.scalar(query)
        if agreement_id is None:
            raise NotFound(f"no agreement {agreement!r} of this node's agency")
    if peer is None:
        peer = Peer(node_id=c["node_id"])
        session.add(peer)
    rekeyed = peer.id is not None and peer.encryption_key != c["encryption_key"]
    peer.name, peer.url = c["name"], c["url"].rstrip("/")
    peer.signing_key, peer.encryption_key = c["signing_key"], c["encryption_key"]
    peer.fingerprint = c["fingerprint"]
    peer.agreement_id = agreement_id
    peer.send_kinds = _kinds(send_kinds or ["message"], "send")
    peer.receive_kinds = _kinds(receive_kinds or ["message"], "receive")
    peer.active = True
    session.flush()
    if rekeyed:
        if keys is None:
            raise InvalidInput("re-pinning new keys needs this node's keys (to re-seal the outbox)")
        _reseal_outbox(session, keys, node, peer)
    audit.record(
        session,
        Action.PEER_PINNED,
        username=SYSTEM,
        object_type="peer",
        object_id=peer.id,
        detail={"node_id": peer.node_id, "fingerprint": peer.fingerprint},
    )
    return peer


def _reseal_outbox(session: Session, keys: NodeKeys, node: ExchangeNode, peer: Peer) -> None:
    """Seal and sign again, for the peer's new key, every envelope never tried yet (same
    id, content and time). One already tried (`sent`) keeps its bytes: the partner may
    have stored it and lost only the receipt; if it cannot open it any more, the refusal
    is curable and, after MAX_AGE, final (the officer sends it again)."""
    waiting = session.scalars(
        sa.select(EnvelopeRow).where(
            EnvelopeRow.peer_id == peer.id,
            EnvelopeRow.direction == Direction.OUT,
            EnvelopeRow.status == DeliveryStatus.QUEUED,
        )
    ).all()
    for row in waiting:
        old = Envelope.from_json(json.loads(row.wire))
        env = wire.seal(
            keys,
            sender=node.node_id,
            recipient=peer.node_id,
            recipient_key=base64.b64decode(peer.encryption_key),
            kind=row.kind,
            body=open_row(keys, row),
            handling=row.handling,
            handling_note=row.handling_note,
            reliability=row.reliability,
            accuracy=row.accuracy,
            envelope_id=row.envelope_id,
            created_at=wire.parse_timestamp(old.created_at),
        )
        row.wire, row.last_error = env.wire(), "sealed again for the partner's new keys"


def revoke_peer(session: Session, node_id: str) -> Peer:
    """Stop trusting a partner's keys (compromised, or replaced): nothing more is accepted
    from them or sent to them until a new card is pinned. Their envelopes stay on record."""
    peer = peer_by_node(session, node_id)
    peer.active = False
    audit.record(
        session,
        Action.PEER_REVOKED,
        username=SYSTEM,
        object_type="peer",
        object_id=peer.id,
        detail={"node_id": peer.node_id, "fingerprint": peer.fingerprint},
    )
    return peer


def peer_by_node(session: Session, node_id: str) -> Peer:
    peer = session.scalar(sa.select(Peer).where(Peer.node_id == node_id, Peer.active))
    if peer is None:
        raise NotFound(f"no pinned peer {node_id!r}")
    return peer


def peers(session: Session) -> list[Peer]:
    return list(session.scalars(sa.select(Peer).order_by(Peer.name)))


def allowed(kinds: list[str], kind: str) -> bool:
    return kind in kinds or (kind in wire.FOLLOWS_MESSAGE and "message" in kinds)
