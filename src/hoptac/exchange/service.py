"""The exchange in the database: this node's identity, its pinned peers, the outbox it
fills and the inbox partners fill (`receive`), and the hotline read over both.

Every envelope is one `EnvelopeRow`, sent or received, holding the wire bytes exactly as
signed and the node's own sealed copy of the content: the database alone reveals no
message, the node's private key (a file outside it) is needed to read one. The hotline
belongs to the node's agency: its officers and admins read and send, nobody else sees it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac.auth import audit
from hoptac.auth.audit import Action
from hoptac.auth.principal import Principal
from hoptac.auth.service import find_agency
from hoptac.db.models import (
    Agency,
    Agreement,
    EnvelopeRow,
    ExchangeNode,
    ExchangePermission,
    Peer,
    utcnow,
)
from hoptac.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from hoptac.exchange import envelope as wire
from hoptac.exchange import ulid
from hoptac.exchange.envelope import Envelope, Rejected
from hoptac.exchange.keys import CARD_CONTEXT, NodeKeys, b64, fingerprint, unb64
from hoptac.registry import schemas as registry_schemas
from hoptac.registry import service as registry_service
from hoptac.types import (
    NEEDS_ACK,
    UNDELIVERED,
    AgencyLevel,
    DeliveryStatus,
    Direction,
    Priority,
    Role,
    Sharing,
)

log = logging.getLogger(__name__)

NODE_ID = re.compile(r"^[a-z0-9][a-z0-9.-]{1,62}$")
PRIORITIES = tuple(Priority)
MAX_ATTACHMENTS_BYTES = 512 * 1024  # all attachments of one message, before encoding
MAX_SUBJECT, MAX_TEXT = 200, 100_000
SYSTEM = "exchange"  # the audit log's actor for what the node does by itself


def utc(at: datetime) -> datetime:
    """Naive UTC (as stored) from an aware time."""
    return at.astimezone(UTC).replace(tzinfo=None)


# ---- identity and peers -------------------------------------------------------------


def init_node(
    session: Session,
    keys_dir: Path,
    *,
    node_id: str,
    name: str,
    url: str,
    agency_ref: str | None = None,
) -> tuple[ExchangeNode, NodeKeys]:
    """Create this node's key pair (files in `keys_dir`) and identity row. The node serves
    the agency `agency_ref` (id, ref or name), or a new agency called `name` whose country
    is the node id's prefix (`vn-hanoi-pd` is in VN)."""
    errors = []
    if not NODE_ID.match(node_id):
        errors.append(FieldError("node_id", "lower-case letters, digits, dots and dashes"))
    if not url.startswith(("http://", "https://")):
        errors.append(FieldError("url", "must start with http:// or https://"))
    if not name.strip():
        errors.append(FieldError("name", "must not be empty"))
    if errors:
        raise InvalidInput("cannot create this node", errors=errors)
    if session.scalar(sa.select(ExchangeNode)) is not None:
        raise Conflict("this node already has an identity")
    if (keys_dir / "signing.key").exists():
        raise Conflict(f"{keys_dir} already holds keys: another node's directory?")
    agency = _agency(session, name.strip(), agency_ref, node_id)
    keys = NodeKeys.generate()
    node = ExchangeNode(
        node_id=node_id,
        name=name.strip(),
        url=url.rstrip("/"),
        agency_id=agency.id,
        signing_key=b64(keys.signing_public),
        encryption_key=b64(keys.encryption_public),
    )
    session.add(node)
    session.flush()
    keys.save(keys_dir)
    audit.record(session, Action.NODE_CREATED, username=SYSTEM, detail={"node_id": node_id})
    return node, keys


def _agency(session: Session, name: str, agency_ref: str | None, node_id: str) -> Agency:
    if agency_ref:
        return find_agency(session, agency_ref)
    prefix = node_id.split("-", 1)[0].upper()
    if len(prefix) != 2 or not prefix.isalpha():
        raise InvalidInput(
            "name the node's agency (--agency) or start the node id with its country code",
            errors=[FieldError("node_id", "e.g. vn-hanoi-pd, cn-beijing-psb")],
        )
    data = registry_schemas.AgencyIn(
        name_vi=name, country=prefix, level=AgencyLevel.PROVINCE, sharing=Sharing.ALL
    )
    return registry_service.create_own_agency(session, data, SYSTEM)


def this_node(session: Session) -> ExchangeNode:
    """The node's identity, read once per session (a request, a command): it is asked for
    several times in each send and receive, and changes only at `hoptac init`."""
    node: ExchangeNode | None = session.info.get(_NODE)
    if node is None or node not in session:
        node = session.scalar(sa.select(ExchangeNode))
        if node is None:
            raise NotFound("this node has no identity yet: run `hoptac init`")
        session.info[_NODE] = node
    return node


_NODE = "hoptac.exchange.node"


def load_keys(session: Session, keys_dir: Path) -> NodeKeys:
    """The node's private keys, checked against the public keys it published."""
    node = this_node(session)
    keys = NodeKeys.load(keys_dir)
    if b64(keys.signing_public) != node.signing_key:
        raise InvalidInput(f"the keys in {keys_dir} are not this node's")
    return keys


def card(node: ExchangeNode, keys: NodeKeys) -> dict[str, Any]:
    """The public card a partner pins: ids, URL, public keys, fingerprint, self-signed."""
    body = {
        "v": wire.VERSION,
        "node_id": node.node_id,
        "name": node.name,
        "url": node.url,
        "signing_key": node.signing_key,
        "encryption_key": node.encryption_key,
        "fingerprint": keys.fingerprint,
    }
    return wire.sign_object(keys, CARD_CONTEXT, body)


def read_card(obj: Any) -> dict[str, Any]:
    """A partner's card, checked: shape, self-signature and fingerprint."""
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey

    fields = ("node_id", "name", "url", "signing_key", "encryption_key", "fingerprint", "sig")
    if not isinstance(obj, dict) or any(not isinstance(obj.get(f), str) for f in fields):
        raise InvalidInput(f"a card is a JSON object with the strings {', '.join(fields)}")
    if type(obj.get("v")) is not int or obj["v"] != wire.VERSION:
        raise InvalidInput(f"card version {obj.get('v')!r} is not supported (1)")
    if not NODE_ID.match(obj["node_id"]):
        raise InvalidInput(f"node_id {obj['node_id']!r} is not a node id")
    if not obj["url"].startswith(("http://", "https://")):
        raise InvalidInput("the card's url must start with http:// or https://")
    signing = unb64(obj["signing_key"], "signing_key", 32)
    encryption = unb64(obj["encryption_key"], "encryption_key", 32)
    if obj["fingerprint"] != fingerprint(signing, encryption):
        raise InvalidInput("the card's fingerprint does not match its keys")
    body = {k: v for k, v in obj.items() if k != "sig"}
    try:
        VerifyKey(signing).verify(CARD_CONTEXT + wire.canonical(body), unb64(obj["sig"], "sig", 64))
    except BadSignatureError:
        raise InvalidInput("the card is not signed by its own key") from None
    return obj


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
            if not agreement.isdigit()
            else Agreement.id == int(agreement),
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
            body=_open(keys, row),
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


# ---- the outbox -----------------------------------------------------------------------


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


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def require_hotline(session: Session, principal: Principal) -> ExchangeNode:
    """The node, if `principal` belongs to its agency as an officer or admin; the hotline
    of another agency hosted here does not exist for them."""
    node = this_node(session)
    if principal.agency_id != node.agency_id:
        raise NotFound("no hotline here for this agency")
    if principal.role not in (Role.ADMIN, Role.OFFICER):
        raise Forbidden("only officers and admins use the hotline")
    return node


def send_message(
    session: Session,
    keys: NodeKeys,
    principal: Principal,
    *,
    to: str,
    subject: str,
    text: str,
    priority: str = Priority.ROUTINE,
    handling: str = "H0",
    handling_note: str | None = None,
    reliability: str = "B",
    accuracy: int = 2,
    attachments: list[Attachment] | None = None,
    in_reply_to: str | None = None,
    client: str | None = None,
) -> EnvelopeRow:
    """Queue a hotline message (a new thread, or a reply in `in_reply_to`'s thread)."""
    require_hotline(session, principal)
    peer = peer_by_node(session, to)
    attachments = attachments or []
    subject, text = subject.strip(), text.strip()
    errors = message_rules(subject, text, priority)
    if handling not in wire.HANDLING:
        errors.append(FieldError("handling", f"one of {', '.join(wire.HANDLING)}"))
    if handling == "H3" and not (handling_note or "").strip():
        errors.append(FieldError("handling_note", "H3 needs the restrictions written out"))
    if reliability not in wire.RELIABILITY:
        errors.append(FieldError("reliability", "one of A, B, C, X"))
    if accuracy not in wire.ACCURACY:
        errors.append(FieldError("accuracy", "one of 1, 2, 3, 4"))
    if sum(len(a.data) for a in attachments) > MAX_ATTACHMENTS_BYTES:
        errors.append(
            FieldError("attachments", f"at most {MAX_ATTACHMENTS_BYTES // 1024} KiB in all")
        )
    thread_id = None
    if in_reply_to:
        original = session.scalar(
            sa.select(EnvelopeRow).where(
                EnvelopeRow.envelope_id == in_reply_to, EnvelopeRow.kind == "message"
            )
        )
        if original is None or original.peer_id != peer.id:
            errors.append(FieldError("in_reply_to", "no message of this partner with that id"))
        else:
            thread_id = original.thread_id
    if errors:
        raise InvalidInput("the message cannot be sent", errors=errors)
    body = {
        "subject": subject,
        "text": text,
        "priority": priority,
        "thread": thread_id,
        "in_reply_to": in_reply_to,
        "author": principal.username,
        "attachments": [
            {
                "name": a.name,
                "type": a.content_type,
                "size": len(a.data),
                "sha256": a.sha256,
                "data": b64(a.data),
            }
            for a in attachments
        ],
    }
    row = enqueue(
        session,
        keys,
        peer,
        "message",
        body,
        handling=handling,
        handling_note=(handling_note or "").strip() or None,
        reliability=reliability,
        accuracy=accuracy,
        thread_id=thread_id,
        in_reply_to=in_reply_to,
        priority=priority,
    )
    audit.record(
        session,
        Action.MESSAGE_SENT,
        principal=principal,
        object_type="envelope",
        object_id=row.seq,
        client=client,
        detail={"envelope": row.envelope_id, "to": peer.node_id, "handling": handling},
    )
    return row


# ---- the inbox ------------------------------------------------------------------------


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
    accepted: dict[str, tuple[Envelope, int]] = {}  # this batch's new envelopes: id -> peer
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
            rows.append(_received_row(session, peer, env, env_wire, body, accepted))
            known[env.id] = env_wire
            accepted[env.id] = (env, peer.id)
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
    accepted: dict[str, tuple[Envelope, int]],
) -> dict[str, Any]:
    """Check a received body by kind and apply what it says (an answer, a read note, a
    permission); the envelope's row, to insert."""
    thread_id = in_reply_to = priority = None
    if env.kind == "message":
        _check_message(body)
        priority = body["priority"]
        in_reply_to = body.get("in_reply_to")
        thread_id = _thread_of(session, peer, body.get("thread"), accepted) or env.id
        if in_reply_to:
            session.execute(
                sa.update(EnvelopeRow)
                .where(
                    EnvelopeRow.envelope_id == in_reply_to,
                    EnvelopeRow.direction == Direction.OUT,
                    EnvelopeRow.peer_id == peer.id,
                    EnvelopeRow.answered_at.is_(None),
                )
                .values(answered_at=utcnow())
            )
    elif env.kind == "status":
        _apply_status(session, peer, body)
    elif env.kind == "permission":
        _apply_permission(session, peer, env, body, accepted)
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
        "thread_id": thread_id,
        "in_reply_to": in_reply_to,
        "priority": priority,
        "status": "received",
        "attempts": 0,
    }


def _thread_of(
    session: Session,
    peer: Peer,
    thread: str | None,
    accepted: dict[str, tuple[Envelope, int]],
) -> str | None:
    """The thread a received message names, if it is a thread with this very peer (a
    partner cannot file its message into a conversation with another partner)."""
    if not thread:
        return None
    if thread in accepted:
        return thread if accepted[thread][1] == peer.id else None
    owner = session.scalar(
        sa.select(EnvelopeRow.peer_id).where(EnvelopeRow.thread_id == thread).limit(1)
    )
    return thread if owner == peer.id else None


def _optional_id(body: dict[str, Any], field: str) -> None:
    value = body.get(field)
    if value is not None and not (isinstance(value, str) and ulid.is_valid(value)):
        raise Rejected("bad_payload", f"{field} must be an envelope id (a ULID) or null")


def message_rules(subject: Any, text: Any, priority: Any) -> list[FieldError]:
    """The rules of a message body, the same for one sent and one received: a subject and a
    text within their lengths, a known priority."""
    errors = []
    if not isinstance(subject, str) or not 1 <= len(subject.strip()) <= MAX_SUBJECT:
        errors.append(FieldError("subject", f"1 to {MAX_SUBJECT} characters"))
    if not isinstance(text, str) or not 1 <= len(text.strip()) <= MAX_TEXT:
        errors.append(FieldError("body", f"1 to {MAX_TEXT:,} characters"))
    if priority not in PRIORITIES:
        errors.append(FieldError("priority", f"one of {', '.join(PRIORITIES)}"))
    return errors


def _check_message(body: dict[str, Any]) -> None:
    if not isinstance(body.get("subject"), str) or not isinstance(body.get("text"), str):
        raise Rejected("bad_payload", "a message needs a subject and a text")
    if body.get("priority") not in PRIORITIES:
        raise Rejected("bad_payload", f"priority must be one of {', '.join(PRIORITIES)}")
    errors = message_rules(body["subject"], body["text"], body["priority"])
    if errors:  # (type and priority were checked above, with their own words: lengths left)
        raise Rejected("bad_payload", f"{errors[0].field}: {errors[0].message}")
    _optional_id(body, "thread")
    _optional_id(body, "in_reply_to")
    attachments = body.get("attachments") or []
    if not isinstance(attachments, list):
        raise Rejected("bad_payload", "attachments must be a list")
    if not isinstance(body.get("author"), str | None):
        raise Rejected("bad_payload", "author must be a string or null")
    for a in attachments:
        if not isinstance(a, dict) or not isinstance(a.get("name"), str) or len(a["name"]) > 255:
            raise Rejected("bad_payload", "an attachment is an object with a name (<= 255)")
        if not isinstance(a.get("type"), str | None):
            raise Rejected("bad_payload", "an attachment's type must be a string or null")
        try:
            data = base64.b64decode(a["data"], validate=True)
        except (KeyError, TypeError, ValueError):
            raise Rejected("bad_payload", "an attachment is not base64 data") from None
        if hashlib.sha256(data).hexdigest() != a.get("sha256") or len(data) != a.get("size"):
            raise Rejected("bad_payload", "an attachment does not match its size and SHA-256")


def _apply_status(session: Session, peer: Peer, body: dict[str, Any]) -> None:
    """The partner opened one of our messages."""
    if body.get("status") != "read" or not isinstance(body.get("of"), str):
        raise Rejected("bad_payload", "a status says {'of': <envelope id>, 'status': 'read'}")
    session.execute(
        sa.update(EnvelopeRow)
        .where(
            EnvelopeRow.envelope_id == body["of"],
            EnvelopeRow.direction == Direction.OUT,
            EnvelopeRow.peer_id == peer.id,
            EnvelopeRow.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )


def _apply_permission(
    session: Session,
    peer: Peer,
    env: Envelope,
    body: dict[str, Any],
    accepted: dict[str, tuple[Envelope, int]],
) -> None:
    """The provider of one of our received messages lets us disseminate it."""
    of, grantee = body.get("of"), body.get("grantee")
    if not isinstance(of, str) or not isinstance(grantee, str):
        raise Rejected("bad_payload", "a permission says {'of': <envelope id>, 'grantee': ...}")
    original = session.scalar(
        sa.select(EnvelopeRow).where(
            EnvelopeRow.envelope_id == of,
            EnvelopeRow.direction == Direction.IN,
            EnvelopeRow.peer_id == peer.id,
        )
    )
    in_batch = accepted.get(of)
    if original is None and not (in_batch and in_batch[1] == peer.id):
        raise Rejected("bad_payload", "the permission names a message this peer never sent here")
    if (
        session.scalar(
            sa.select(ExchangePermission.id).where(
                ExchangePermission.envelope_id == of, ExchangePermission.grantee == grantee
            )
        )
        is None
    ):
        session.add(ExchangePermission(envelope_id=of, grantee=grantee, granted_by=env.id))


# ---- delivery (the sender's side of the outbox) ------------------------------------------


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


# ---- the hotline as people read it ------------------------------------------------------


@dataclass(frozen=True)
class Message:
    row: EnvelopeRow
    body: dict[str, Any]

    @property
    def state(self) -> str:
        """What the user sees of its delivery: queued, sent, delivered, read, answered,
        rejected (out); new, read, acknowledged (in)."""
        r = self.row
        if r.direction == Direction.IN:
            return "acknowledged" if r.acknowledged_at else ("read" if r.read_at else "new")
        if r.status == DeliveryStatus.REJECTED:
            return "rejected"
        if r.answered_at:
            return "answered"
        if r.read_at:
            return "read"
        return r.status

    @property
    def urgent(self) -> bool:
        return self.row.priority in NEEDS_ACK

    @property
    def needs_ack(self) -> bool:
        return (
            self.row.direction == Direction.IN and self.urgent and self.row.acknowledged_at is None
        )


def _open(keys: NodeKeys, row: EnvelopeRow) -> dict[str, Any]:
    try:
        body: dict[str, Any] = wire.open_sealed(row.sealed, keys)["body"]
    except Rejected:
        return {"subject": "(unreadable)", "text": "", "attachments": []}
    return body


def summary(row: EnvelopeRow, body: dict[str, Any]) -> dict[str, Any]:
    """A message as the API shows it (no attachment bytes)."""
    m = Message(row, body)
    return {
        "id": row.envelope_id,
        "direction": row.direction,
        "peer": row.peer.node_id,
        "kind": row.kind,
        "thread": row.thread_id,
        "in_reply_to": row.in_reply_to,
        "subject": body.get("subject"),
        "priority": row.priority,
        "handling": row.handling,
        "handling_note": row.handling_note,
        "reliability": row.reliability,
        "accuracy": row.accuracy,
        "created_at": row.created_at.isoformat() + "Z",
        "status": m.state,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "needs_ack": m.needs_ack,
        "attachments": [
            {k: a.get(k) for k in ("name", "type", "size", "sha256")}
            for a in body.get("attachments") or []
        ],
    }


def list_envelopes(
    session: Session,
    principal: Principal,
    keys: NodeKeys | None,
    *,
    peer: str | None = None,
    kind: str | None = "message",
    limit: int = 10_000,
    offset: int = 0,
    client: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """A page of envelopes, newest first, with their status, and how many there are: for
    the node's officers and admins only (`require_hotline`). Without keys, no subjects;
    with them (subjects are content), the listing is an audit row of `principal`'s read,
    which the caller commits with the rest."""
    require_hotline(session, principal)
    query = sa.select(EnvelopeRow)
    if kind:
        query = query.where(EnvelopeRow.kind == kind)
    if peer:
        query = query.where(EnvelopeRow.peer_id == peer_by_node(session, peer).id)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(EnvelopeRow.seq.desc()).limit(limit).offset(offset)).all()
    if keys is not None:
        _audit_listing(session, principal, client, peer, len(rows))
    return [summary(r, _open(keys, r) if keys else {}) for r in rows], int(total)


def _audit_listing(
    session: Session, principal: Principal, client: str | None, peer: str | None, n: int
) -> None:
    """A listing of messages (their subjects are content) is a read: an audit row, which
    the caller commits (a read leaves its row even though nothing else is written)."""
    audit.record(
        session,
        Action.MESSAGES_LISTED,
        principal=principal,
        object_type="hotline",
        client=client,
        detail={"peer": peer, "messages": n},
    )


@dataclass(frozen=True)
class Conversation:
    peer: Peer
    unread: int
    urgent: int
    last_at: datetime | None


def conversations(session: Session, principal: Principal) -> list[Conversation]:
    """Each partner with its unread and unacknowledged urgent messages."""
    require_hotline(session, principal)
    counts = {
        peer_id: (unread, urgent, last)
        for peer_id, unread, urgent, last in session.execute(
            sa.select(
                EnvelopeRow.peer_id,
                sa.func.sum(
                    sa.case(
                        (
                            sa.and_(
                                EnvelopeRow.direction == Direction.IN, EnvelopeRow.read_at.is_(None)
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ),
                sa.func.sum(
                    sa.case(
                        (
                            sa.and_(
                                EnvelopeRow.direction == Direction.IN,
                                EnvelopeRow.priority.in_(NEEDS_ACK),
                                EnvelopeRow.acknowledged_at.is_(None),
                            ),
                            1,
                        ),
                        else_=0,
                    )
                ),
                sa.func.max(EnvelopeRow.created_at),
            )
            .where(EnvelopeRow.kind == "message")
            .group_by(EnvelopeRow.peer_id)
        )
    }
    return [
        Conversation(
            p,
            int(counts.get(p.id, (0, 0, None))[0] or 0),
            int(counts.get(p.id, (0, 0, None))[1] or 0),
            counts.get(p.id, (0, 0, None))[2],
        )
        for p in peers(session)
    ]


def unread_total(session: Session, principal: Principal) -> tuple[int, int] | None:
    """(unread, urgent unacknowledged) for the dashboard; None where the caller has no
    hotline (another agency, a viewer, or no node identity)."""
    try:
        convs = conversations(session, principal)
    except (NotFound, Forbidden):
        return None
    return sum(c.unread for c in convs), sum(c.urgent for c in convs)


@dataclass(frozen=True)
class Thread:
    thread_id: str
    subject: str
    messages: list[Message]

    @property
    def last(self) -> Message:
        return self.messages[-1]

    @property
    def unread(self) -> int:
        return sum(
            1 for m in self.messages if m.row.direction == Direction.IN and m.row.read_at is None
        )

    @property
    def needs_ack(self) -> bool:
        return any(m.needs_ack for m in self.messages)


def threads(
    session: Session,
    keys: NodeKeys,
    principal: Principal,
    peer_node: str,
    client: str | None = None,
) -> list[Thread]:
    """The conversation with one partner: threads, the latest first. Opening this list
    reads subjects only: each message is marked read when its thread is opened."""
    require_hotline(session, principal)
    peer = peer_by_node(session, peer_node)
    rows = session.scalars(
        sa.select(EnvelopeRow)
        .where(EnvelopeRow.peer_id == peer.id, EnvelopeRow.kind == "message")
        .order_by(EnvelopeRow.seq)
    ).all()
    grouped: dict[str, list[Message]] = {}
    for row in rows:
        grouped.setdefault(row.thread_id or row.envelope_id, []).append(
            Message(row, _open(keys, row))
        )
    out = [Thread(t, ms[0].body.get("subject", ""), ms) for t, ms in grouped.items()]
    out.sort(key=lambda t: t.last.row.seq, reverse=True)
    _audit_listing(session, principal, client, peer_node, len(rows))
    return out


def open_thread(
    session: Session,
    keys: NodeKeys,
    principal: Principal,
    thread_id: str,
    client: str | None = None,
) -> Thread:
    """A thread's messages, oldest first. Opening it marks its received messages read and
    tells the partner (a `status` envelope per message), and leaves an audit row."""
    node = require_hotline(session, principal)
    del node
    rows = session.scalars(
        sa.select(EnvelopeRow)
        .where(EnvelopeRow.thread_id == thread_id, EnvelopeRow.kind == "message")
        .order_by(EnvelopeRow.seq)
    ).all()
    if not rows:
        raise NotFound("no such thread")
    now = utcnow()
    for row in rows:
        if row.direction == Direction.IN and row.read_at is None:
            row.read_at = now
            if row.peer.active and allowed(row.peer.send_kinds, "status"):
                enqueue(
                    session, keys, row.peer, "status", {"of": row.envelope_id, "status": "read"}
                )
    audit.record(
        session,
        Action.MESSAGE_READ,
        principal=principal,
        object_type="thread",
        object_id=rows[0].seq,
        client=client,
        detail={"thread": thread_id, "envelopes": [r.envelope_id for r in rows]},
    )
    messages = [Message(r, _open(keys, r)) for r in rows]
    return Thread(thread_id, messages[0].body.get("subject", ""), messages)


def message_row(session: Session, principal: Principal, envelope_id: str) -> EnvelopeRow:
    require_hotline(session, principal)
    row = session.scalar(
        sa.select(EnvelopeRow).where(
            EnvelopeRow.envelope_id == envelope_id, EnvelopeRow.kind == "message"
        )
    )
    if row is None:
        raise NotFound("no such message")
    return row


def read_message(
    session: Session,
    keys: NodeKeys,
    principal: Principal,
    envelope_id: str,
    client: str | None = None,
) -> Message:
    """One message with its content; audited."""
    row = message_row(session, principal, envelope_id)
    thread = open_thread(session, keys, principal, row.thread_id or row.envelope_id, client)
    return next(m for m in thread.messages if m.row.envelope_id == envelope_id)


def acknowledge(
    session: Session, principal: Principal, envelope_id: str, client: str | None = None
) -> EnvelopeRow:
    """An officer has seen to an urgent received message: it is no longer highlighted."""
    row = message_row(session, principal, envelope_id)
    if row.direction != Direction.IN:
        raise InvalidInput("only a received message is acknowledged")
    if row.acknowledged_at is None:
        row.acknowledged_at = utcnow()
        row.read_at = row.read_at or row.acknowledged_at
        audit.record(
            session,
            Action.MESSAGE_ACKNOWLEDGED,
            principal=principal,
            object_type="envelope",
            object_id=row.seq,
            client=client,
            detail={"envelope": envelope_id},
        )
    return row


def attachment(
    session: Session,
    keys: NodeKeys,
    principal: Principal,
    envelope_id: str,
    index: int,
    client: str | None = None,
) -> Attachment:
    row = message_row(session, principal, envelope_id)
    found = _attachments(_open(keys, row))[index : index + 1] if index >= 0 else []
    if not found:
        raise NotFound("no such attachment")
    audit.record(
        session,
        Action.MESSAGE_READ,
        principal=principal,
        object_type="attachment",
        object_id=row.seq,
        client=client,
        detail={"envelope": envelope_id, "attachment": index, "sha256": found[0].sha256},
    )
    return found[0]


def permitted(session: Session, row: EnvelopeRow, grantee: str) -> bool:
    """May this node disseminate a message to `grantee` (a node id or `export`)? H2
    needs the provider's recorded permission: for a received message, its own; for a copy
    this node forwarded, the permission of the received original (the provider's code
    follows its content). What this node wrote itself, it may pass on."""
    if row.handling != "H2":
        return True
    if row.direction == Direction.OUT:
        if row.origin_id is None:
            return True
        original = session.scalar(
            sa.select(EnvelopeRow).where(EnvelopeRow.envelope_id == row.origin_id)
        )
        return original is not None and permitted(session, original, grantee)
    return (
        session.scalar(
            sa.select(ExchangePermission.id).where(
                ExchangePermission.envelope_id == row.envelope_id,
                ExchangePermission.grantee == grantee,
            )
        )
        is not None
    )


def _attachments(body: dict[str, Any]) -> list[Attachment]:
    return [
        Attachment(
            a["name"], a.get("type") or "application/octet-stream", base64.b64decode(a["data"])
        )
        for a in body.get("attachments") or []
    ]


def forward(
    session: Session,
    keys: NodeKeys,
    principal: Principal,
    envelope_id: str,
    to: str,
    note: str = "",
    client: str | None = None,
) -> EnvelopeRow:
    """Send a received message on to another partner, as a new thread quoting it. An H2
    message needs its provider's permission for that partner: refused (403) and audited
    otherwise, and nothing is queued."""
    row = message_row(session, principal, envelope_id)
    target = peer_by_node(session, to)
    if row.peer_id == target.id and row.direction == Direction.IN:
        raise InvalidInput("this message came from that partner")
    if not permitted(session, row, target.node_id):
        audit.record(
            session,
            Action.FORWARD_DENIED,
            principal=principal,
            outcome="denied",
            object_type="envelope",
            object_id=row.seq,
            client=client,
            detail={"envelope": envelope_id, "to": to, "handling": "H2"},
        )
        session.commit()  # the denial is on record even though the caller's request fails
        raise Forbidden(
            f"H2: {row.peer.name} has not permitted passing this message on to {target.name}",
            audited=True,
        )
    body = _open(keys, row)
    text = (
        (note.strip() + "\n\n" if note.strip() else "")
        + f"--- {row.peer.name}, {row.created_at:%Y-%m-%d %H:%M} UTC ---\n"
        + str(body.get("text", ""))
    )
    copy = send_message(
        session,
        keys,
        principal,
        to=to,
        subject="Fwd: " + str(body.get("subject", ""))[: MAX_SUBJECT - 5],
        text=text,
        priority=str(row.priority or Priority.ROUTINE),
        handling=row.handling,
        handling_note=row.handling_note,
        reliability=row.reliability,
        accuracy=row.accuracy,
        attachments=_attachments(body),
        client=client,
    )
    # the copy stays under the provider's handling code and permissions
    copy.origin_id = row.envelope_id if row.direction == Direction.IN else row.origin_id
    return copy


def grant(
    session: Session,
    keys: NodeKeys,
    principal: Principal,
    envelope_id: str,
    grantee: str,
    client: str | None = None,
) -> EnvelopeRow:
    """As the provider: let the recipient of our H2 message disseminate it to `grantee`
    (a node id, or `export`), by a signed `permission` envelope."""
    row = message_row(session, principal, envelope_id)
    if row.direction != Direction.OUT or row.origin_id is not None:
        raise InvalidInput("only the provider of a message may permit its dissemination")
    if not (grantee == "export" or NODE_ID.match(grantee)):
        raise InvalidInput("grantee is a node id or 'export'")
    sent = enqueue(session, keys, row.peer, "permission", {"of": envelope_id, "grantee": grantee})
    audit.record(
        session,
        Action.PERMISSION_GRANTED,
        principal=principal,
        object_type="envelope",
        object_id=row.seq,
        client=client,
        detail={"envelope": envelope_id, "grantee": grantee},
    )
    return sent


def export(
    session: Session, keys: NodeKeys, principal: Principal
) -> tuple[list[dict[str, Any]], int]:
    """The hotline's messages with their content, for the agency's records; received H2
    messages without the provider's permission to export are withheld (their count is
    returned)."""
    require_hotline(session, principal)
    rows = session.scalars(
        sa.select(EnvelopeRow).where(EnvelopeRow.kind == "message").order_by(EnvelopeRow.seq)
    ).all()
    out, withheld = [], 0
    for row in rows:
        if not permitted(session, row, "export"):
            withheld += 1
            continue
        body = _open(keys, row)
        out.append({**summary(row, body), "text": body.get("text")})
    audit.record(
        session,
        Action.EXPORTED,
        principal=principal,
        object_type="hotline",
        detail={"messages": len(out), "withheld_h2": withheld},
    )
    return out, withheld


def retry_after(failures: int, cap: float, jitter: float) -> timedelta:
    """Exponential backoff with jitter: 0.25 s doubling to `cap`, times `jitter` (0.5-1)."""
    return timedelta(seconds=min(cap, 0.25 * 2 ** min(failures, 20)) * jitter)
