"""The hotline over the API: the pages' service, for scripts and other systems.

GET  /api/v1/hotline/peers                        partners, with unread and urgent counts (a page)
GET  /api/v1/hotline/messages?peer=               summaries, newest first (a page)
POST /api/v1/hotline/messages                     send (attachments as base64)
GET  /api/v1/hotline/messages/{id}                content; marks the thread read; audited
POST /api/v1/hotline/messages/{id}/ack            acknowledge an urgent received message
POST /api/v1/hotline/messages/{id}/forward        pass it on (H2: provider's leave needed)
POST /api/v1/hotline/messages/{id}/permissions    as provider: permit dissemination

Officers and admins of the node's agency only: other agencies get 404, viewers 403.
"""

# No `from __future__ import annotations`: FastAPI reads the signatures at runtime.
import base64
import binascii
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from hoptac.errors import FieldError, InvalidInput
from hoptac.exchange import envelope as wire
from hoptac.exchange import hotline
from hoptac.registry.schemas import Page, UtcDateTime
from hoptac.types import Priority
from hoptac.web.api import RESPONSES, operation_id
from hoptac.web.deps import DB, ApiPrincipal, ApiWriter, client_of, node_keys, wake_sender
from hoptac.web.params import Offset

router = APIRouter(
    prefix="/api/v1/hotline",
    tags=["hotline"],
    responses=RESPONSES,
    generate_unique_id_function=operation_id,
)

EnvelopeId = Annotated[str, Path(min_length=1, max_length=26, description="Envelope id (ULID).")]


class PeerOut(BaseModel):
    node_id: str
    name: str
    url: str
    fingerprint: str
    active: bool
    unread: int = Field(description="Received messages not opened yet.")
    urgent: int = Field(description="Urgent or flash messages received and not acknowledged.")
    last_at: UtcDateTime | None = Field(description="Time of the latest message, UTC.")


class AttachmentIn(BaseModel):
    name: str = Field(min_length=1, max_length=255, examples=["photo.jpg"])
    type: str = Field("application/octet-stream", max_length=100, examples=["image/jpeg"])
    data: str = Field(description="The file, base64.")


class MessageIn(BaseModel):
    to: str = Field(description="The partner's node id.", examples=["kr-busan-pd"])
    subject: str = Field(examples=["Đối tượng Kim Min-jun nhập cảnh"])
    body: str = Field(description="The message text.")
    priority: str = Field(
        Priority.ROUTINE,
        # checked with the body's other rules in one place (hotline.MessageBody, the same
        # for a message received), so that every refused field is named at once
        json_schema_extra={"enum": list(hotline.PRIORITIES)},
        examples=["urgent"],
    )
    handling: str = Field(
        "H0",
        description="H0: only for preventing and combating crime; H1: not for judicial "
        "proceedings without the provider's permission; H2: not to be disseminated without "
        "the provider's permission; H3: other restrictions (handling_note).",
        json_schema_extra={"enum": list(wire.HANDLING)},
    )
    handling_note: str | None = Field(None, description="H3: the restrictions.")
    reliability: str = Field(
        "B",
        description="Source reliability.",
        json_schema_extra={"enum": list(wire.RELIABILITY)},
    )
    accuracy: int = Field(
        2, description="Information accuracy.", json_schema_extra={"enum": list(wire.ACCURACY)}
    )
    in_reply_to: str | None = Field(None, description="The message this answers (its thread).")
    attachments: list[AttachmentIn] = Field(
        default_factory=list,
        description=f"At most {hotline.MAX_ATTACHMENTS_BYTES // 1024} KiB in all, decoded.",
    )


class AttachmentOut(BaseModel):
    name: str
    type: str | None
    size: int
    sha256: str


class MessageOut(BaseModel):
    """A message without its text (what lists show)."""

    id: str
    direction: str = Field(description="out (sent) or in (received).")
    peer: str
    thread: str | None
    in_reply_to: str | None
    subject: str | None
    priority: str | None
    handling: str
    handling_note: str | None
    reliability: str
    accuracy: int
    created_at: UtcDateTime
    status: str = Field(
        description="Sent: queued, sent, delivered, read, answered, rejected. "
        "Received: new, read, acknowledged."
    )
    attempts: int
    last_error: str | None
    needs_ack: bool
    attachments: list[AttachmentOut]


class MessageFull(MessageOut):
    text: str | None
    author: str | None


class SentOut(BaseModel):
    id: str = Field(description="The new envelope's id.")
    thread: str | None
    status: str


class AckOut(BaseModel):
    id: str
    status: str


class ForwardIn(BaseModel):
    to: str = Field(description="Another partner's node id.")
    note: str = Field("", max_length=2000, description="A line above the forwarded text.")


class PermissionIn(BaseModel):
    grantee: str = Field(description="A node id, or `export`.", examples=["cn-yunnan-pst"])


def _sent(row: Any) -> SentOut:
    return SentOut(id=row.envelope_id, thread=row.thread_id, status=row.status)


def _decode(attachments: list[AttachmentIn]) -> list[hotline.Attachment]:
    out, errors = [], []
    for i, a in enumerate(attachments):
        try:
            out.append(hotline.Attachment(a.name, a.type, base64.b64decode(a.data, validate=True)))
        except (binascii.Error, ValueError):
            errors.append(FieldError(f"attachments.{i}.data", "not base64"))
    if errors:
        raise InvalidInput("an attachment is not base64", errors=errors)
    return out


@router.get(
    "/peers",
    response_model=Page[PeerOut],
    summary="Partners and their unread messages",
    name="hotline_peers_list",
)
def list_peers(
    db: DB,
    principal: ApiPrincipal,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Offset = 0,
) -> Page[PeerOut]:
    peers = [
        PeerOut(
            node_id=c.peer.node_id,
            name=c.peer.name,
            url=c.peer.url,
            fingerprint=c.peer.fingerprint,
            active=c.peer.active,
            unread=c.unread,
            urgent=c.urgent,
            last_at=c.last_at,
        )
        for c in hotline.conversations(db, principal)
    ]
    return Page[PeerOut](
        items=peers[offset : offset + limit], total=len(peers), limit=limit, offset=offset
    )


MAX_LISTED = 10_000  # offset + limit: the rows listed are opened (their subjects are sealed)


@router.get(
    "/messages",
    response_model=Page[MessageOut],
    summary="Messages, newest first",
    name="hotline_messages_list",
)
def list_messages(
    request: Request,
    db: DB,
    principal: ApiPrincipal,
    peer: Annotated[str | None, Query(max_length=64, description="One partner only.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_LISTED - 1000)] = 0,
) -> dict[str, Any]:
    """Sent and received messages with their status and subject (not their text: reading
    one is `GET /messages/{id}`, which marks it read)."""
    rows, total = hotline.list_envelopes(
        db,
        principal,
        node_keys(request),
        peer=peer,
        limit=limit,
        offset=offset,
        client=client_of(request),
    )
    db.commit()  # the listing's audit row
    return {"items": rows, "total": total, "limit": limit, "offset": offset}


@router.post(
    "/messages",
    response_model=SentOut,
    status_code=201,
    summary="Send a message",
    name="hotline_messages_send",
)
def send_message(request: Request, db: DB, principal: ApiWriter, message: MessageIn) -> SentOut:
    """Queue a message for a partner (a new thread, or a reply with `in_reply_to`); the
    node's sender delivers it. The status says how far it went: `queued` at first."""
    row = hotline.send_message(
        db,
        node_keys(request),
        principal,
        to=message.to,
        subject=message.subject,
        text=message.body,
        priority=message.priority,
        handling=message.handling,
        handling_note=message.handling_note,
        reliability=message.reliability,
        accuracy=message.accuracy,
        attachments=_decode(message.attachments),
        in_reply_to=message.in_reply_to,
        client=client_of(request),
    )
    out = _sent(row)
    db.commit()
    wake_sender(request)
    return out


@router.get(
    "/messages/{envelope_id}",
    response_model=MessageFull,
    summary="Read a message",
    name="hotline_messages_get",
)
def read_message(
    request: Request, db: DB, principal: ApiPrincipal, envelope_id: EnvelopeId
) -> dict[str, Any]:
    """The message with its text. Reading marks its thread read (the partner is told)
    and leaves an audit row."""
    m = hotline.read_message(db, node_keys(request), principal, envelope_id, client_of(request))
    out = {
        **hotline.summary(m.row, m.body),
        "text": m.body.get("text"),
        "author": m.body.get("author"),
    }
    db.commit()
    wake_sender(request)
    return out


@router.post(
    "/messages/{envelope_id}/ack",
    response_model=AckOut,
    summary="Acknowledge",
    name="hotline_messages_ack",
)
def acknowledge(request: Request, db: DB, principal: ApiWriter, envelope_id: EnvelopeId) -> AckOut:
    """An officer has seen to an urgent received message: it is no longer highlighted."""
    row = hotline.acknowledge(db, principal, envelope_id, client_of(request))
    out = AckOut(id=row.envelope_id, status=hotline.Message(row, {}).state)
    db.commit()
    return out


@router.post(
    "/messages/{envelope_id}/forward",
    response_model=SentOut,
    status_code=201,
    summary="Forward to another partner",
    name="hotline_messages_forward",
)
def forward(
    request: Request, db: DB, principal: ApiWriter, envelope_id: EnvelopeId, body: ForwardIn
) -> SentOut:
    """Pass a message on as a new thread. An H2 message without its provider's permission
    for that partner is refused (403) and the refusal audited; nothing is sent."""
    row = hotline.forward(
        db, node_keys(request), principal, envelope_id, body.to, body.note, client_of(request)
    )
    out = _sent(row)
    db.commit()
    wake_sender(request)
    return out


@router.post(
    "/messages/{envelope_id}/permissions",
    response_model=SentOut,
    status_code=201,
    summary="Permit dissemination of an H2 message",
    name="hotline_messages_permit",
)
def permit(
    request: Request, db: DB, principal: ApiWriter, envelope_id: EnvelopeId, body: PermissionIn
) -> SentOut:
    """As the provider of a message: let its recipient pass it on to `grantee` (a node
    id, or `export`). Sent to the partner as a signed `permission` envelope."""
    row = hotline.grant(
        db, node_keys(request), principal, envelope_id, body.grantee, client_of(request)
    )
    out = _sent(row)
    db.commit()
    wake_sender(request)
    return out
