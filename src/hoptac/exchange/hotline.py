"""The hotline: messages between this node's agency and its partners, sent
(`send_message`, `forward`, `grant`), received (the inbox handlers for `message`,
`status` and `permission`), read (`conversations`, `threads`, `open_thread`), acknowledged
and exported. It belongs to the node's agency: its officers and admins read and send,
nobody else sees it (`require_hotline`); every read is audited."""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy.orm import Session

from hoptac import ulid
from hoptac.auth import audit
from hoptac.auth.audit import Action
from hoptac.auth.principal import Principal
from hoptac.db.models import (
    EnvelopeRow,
    ExchangeNode,
    ExchangePermission,
    Peer,
    utcnow,
)
from hoptac.errors import FieldError, Forbidden, InvalidInput, NotFound
from hoptac.exchange import envelope as wire
from hoptac.exchange.envelope import Envelope, Rejected
from hoptac.exchange.identity import NODE_ID, open_row, this_node
from hoptac.exchange.inbox import Batch, Placement, handles
from hoptac.exchange.keys import NodeKeys, b64
from hoptac.exchange.outbox import enqueue, handling_errors
from hoptac.exchange.peering import allowed, peer_by_node, peers
from hoptac.registry.service import validation_errors
from hoptac.types import (
    NEEDS_ACK,
    DeliveryStatus,
    Direction,
    Priority,
    Role,
)

log = logging.getLogger(__name__)

PRIORITIES = tuple(Priority)
MAX_ATTACHMENTS_BYTES = 512 * 1024  # all attachments of one message, before encoding
MAX_SUBJECT, MAX_TEXT = 200, 100_000


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
    errors: list[FieldError] = handling_errors(handling, handling_note)
    if reliability not in wire.RELIABILITY:
        errors.append(FieldError("reliability", "one of A, B, C, X"))
    if accuracy not in wire.ACCURACY:
        errors.append(FieldError("accuracy", "one of 1, 2, 3, 4"))
    thread_id = None
    if in_reply_to:
        original = session.scalar(
            sa.select(EnvelopeRow).where(
                EnvelopeRow.envelope_id == in_reply_to, EnvelopeRow.kind == "message"
            )
        )
        if original is None or original.peer_id != peer.id:
            errors.append(FieldError("in_reply_to", "no message of this partner with that id"))
            in_reply_to = None
        else:
            thread_id = original.thread_id
    body = {
        "subject": subject.strip(),
        "text": text.strip(),
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
    try:
        MessageBody.model_validate(body)
    except ValidationError as exc:
        errors = _message_errors(exc) + errors
    if errors:
        raise InvalidInput("the message cannot be sent", errors=errors)
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


def _envelope_id(value: str | None) -> str | None:
    if value is not None and not ulid.is_valid(value):
        raise ValueError("an envelope id (a ULID) or null")
    return value


class AttachmentBody(BaseModel):
    """One attached file in a message body: its bytes (base64), checked against its size
    and SHA-256."""

    model_config = ConfigDict(extra="forbid")
    name: StrictStr = Field(min_length=1, max_length=255)
    type: StrictStr | None = Field(None, max_length=255)
    size: StrictInt = Field(ge=0)
    sha256: StrictStr
    data: StrictStr

    @model_validator(mode="after")
    def _matches(self) -> AttachmentBody:
        try:
            raw = base64.b64decode(self.data, validate=True)
        except ValueError:
            raise ValueError("an attachment is not base64 data") from None
        if len(raw) != self.size or hashlib.sha256(raw).hexdigest() != self.sha256:
            raise ValueError("an attachment does not match its size and SHA-256")
        return self

    @property
    def raw(self) -> bytes:
        return base64.b64decode(self.data)


class MessageBody(BaseModel):
    """The content of a `message` envelope: one model, the same rules for a message this
    node sends (`send_message` builds it) and one a partner sends (the inbox handler)."""

    model_config = ConfigDict(extra="forbid")
    subject: StrictStr
    text: StrictStr
    priority: Priority
    thread: Annotated[StrictStr | None, AfterValidator(_envelope_id)] = None
    in_reply_to: Annotated[StrictStr | None, AfterValidator(_envelope_id)] = None
    author: StrictStr | None = Field(None, max_length=255)
    attachments: list[AttachmentBody] = Field(default_factory=list)

    @field_validator("subject")
    @classmethod
    def _subject(cls, value: str) -> str:
        if not 1 <= len(value.strip()) <= MAX_SUBJECT:
            raise ValueError(f"1 to {MAX_SUBJECT} characters")
        return value

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        if not 1 <= len(value.strip()) <= MAX_TEXT:
            raise ValueError(f"1 to {MAX_TEXT:,} characters")
        return value

    @field_validator("attachments")
    @classmethod
    def _attachments_size(cls, value: list[AttachmentBody]) -> list[AttachmentBody]:
        if sum(a.size for a in value) > MAX_ATTACHMENTS_BYTES:
            raise ValueError(f"at most {MAX_ATTACHMENTS_BYTES // 1024} KiB in all")
        return value


# the API calls the message's text `body` (MessageIn), the wire calls it `text`
_API_FIELD = {"text": "body"}


def _message_errors(exc: ValidationError) -> list[FieldError]:
    errors = []
    for e in validation_errors(exc):
        head, _, rest = e.field.partition(".")
        if head == "priority":  # pydantic's enum wording names the values with quotes
            e = FieldError("priority", f"one of {', '.join(PRIORITIES)}")
        errors.append(
            FieldError(".".join(filter(None, [_API_FIELD.get(head, head), rest])), e.message)
        )
    return errors


@handles("message")
def _receive_message(
    session: Session, peer: Peer, env: Envelope, body: dict[str, Any], batch: Batch
) -> Placement:
    """A partner's message: checked by the same model as one sent; a reply marks the
    message it answers `answered`."""
    try:
        message = MessageBody.model_validate(body)
    except ValidationError as exc:
        first = validation_errors(exc)[0]
        raise Rejected("bad_payload", f"{first.field}: {first.message}") from None
    if message.in_reply_to:
        session.execute(
            sa.update(EnvelopeRow)
            .where(
                EnvelopeRow.envelope_id == message.in_reply_to,
                EnvelopeRow.direction == Direction.OUT,
                EnvelopeRow.peer_id == peer.id,
                EnvelopeRow.answered_at.is_(None),
            )
            .values(answered_at=utcnow())
        )
    thread_id = _thread_of(session, peer, message.thread, batch.accepted) or env.id
    return Placement(thread_id, message.in_reply_to, message.priority)


@handles("status")
def _receive_status(
    session: Session, peer: Peer, env: Envelope, body: dict[str, Any], batch: Batch
) -> Placement:
    _apply_status(session, peer, body)
    return Placement()


@handles("permission")
def _receive_permission(
    session: Session, peer: Peer, env: Envelope, body: dict[str, Any], batch: Batch
) -> Placement:
    _apply_permission(session, peer, env, body, batch.accepted)
    return Placement()


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
    return [summary(r, open_row(keys, r) if keys else {}) for r in rows], int(total)


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
            Message(row, open_row(keys, row))
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
    messages = [Message(r, open_row(keys, r)) for r in rows]
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
    found = _attachments(open_row(keys, row))[index : index + 1] if index >= 0 else []
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
    body = open_row(keys, row)
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
        body = open_row(keys, row)
        out.append({**summary(row, body), "text": body.get("text")})
    audit.record(
        session,
        Action.EXPORTED,
        principal=principal,
        object_type="hotline",
        detail={"messages": len(out), "withheld_h2": withheld},
    )
    return out, withheld
