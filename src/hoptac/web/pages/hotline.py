"""Hotline pages: the partners with their unread and urgent messages, a conversation's
threads, a thread with its messages, and the forms that send, reply, acknowledge, forward
and permit. Each handler: parse, call one service, render. Content is opened with the
node's keys by the exchange service, which audits every read."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from hoptac.assistance import service as assistance
from hoptac.errors import FieldError, Forbidden, InvalidInput, NotFound
from hoptac.exchange import envelope as wire
from hoptac.exchange import hotline as exchange_hotline
from hoptac.exchange import identity, peering
from hoptac.exchange.keys import NodeKeys
from hoptac.types import whole_number
from hoptac.web.deps import DB, Page, client_of, node_keys, wake_sender
from hoptac.web.i18n import translate_error
from hoptac.web.pages.render import TEMPLATES, render, request_words

router = APIRouter(include_in_schema=False)

MAX_FILES = 10
# Defaults of the compose form: a routine message, H0, a usually reliable source.
DEFAULTS = {"priority": "routine", "handling": "H0", "reliability": "B", "accuracy": "2"}


# What the codes mean, shown beside them (message ids: translated by i18n).
HANDLING_HELP = {
    "H0": "Use only for preventing and combating crime",
    "H1": "Not to be used in judicial proceedings without the provider's permission",
    "H2": "Not to be disseminated without the provider's permission",
    "H3": "Other restrictions, written in the note",
}
RELIABILITY_HELP = {
    "A": "Reliable: no doubt about the source",
    "B": "Usually reliable",
    "C": "Not usually reliable",
    "X": "Reliability cannot be assessed",
}
ACCURACY_HELP = {
    1: "Known to be true without reservation",
    2: "Known personally to the source, not to the officer passing it on",
    3: "Not known personally to the source, but corroborated",
    4: "Cannot be judged",
}
# A message's state (exchange_hotline.Message.state) in words, by direction.
STATE_WORDS = {
    ("out", "queued"): "Waiting to be sent",
    ("out", "sent"): "Sent, not yet confirmed",
    ("out", "delivered"): "Delivered to the partner",
    ("out", "read"): "Read by the partner",
    ("out", "answered"): "Answered by the partner",
    ("out", "rejected"): "Refused by the partner's node",
    ("in", "new"): "Not read yet",
    ("in", "read"): "Read",
    ("in", "acknowledged"): "Acknowledged",
}
TEMPLATES.env.globals.update(
    handling_help=HANDLING_HELP,
    reliability_help=RELIABILITY_HELP,
    accuracy_help=ACCURACY_HELP,
    state_words=STATE_WORDS,
    hotline_limits={"subject": exchange_hotline.MAX_SUBJECT, "body": exchange_hotline.MAX_TEXT},
)


class NoIdentity(Exception):
    """The node has no exchange identity yet (`hoptac init` was not run)."""


def _keys(request: Request, db: Session) -> NodeKeys:
    """The node's keys, once it is known to have an identity."""
    try:
        identity.this_node(db)
    except NotFound:
        raise NoIdentity from None
    return node_keys(request)


def _conversations(
    request: Request, page: Page, db: Session
) -> list[exchange_hotline.Conversation]:
    try:
        return exchange_hotline.conversations(db, page.principal)
    except NotFound:
        _keys(request, db)  # no identity at all: say so instead of "not found"
        raise


def no_identity_page(request: Request, status: int = 404) -> HTMLResponse:
    """What to do when the node has no exchange identity. The hotline's own page answers
    200 (it is there, it explains how to set it up); its threads and forms answer 404."""
    page = getattr(request.state, "page", None)
    return render(request, "hotline_setup.html", {"page": page}, status_code=status)


def _wake(request: Request) -> None:
    """A new envelope is committed: let the sender deliver it now, not at its next round."""
    sender = getattr(request.app.state, "sender", None)
    if sender is not None:
        sender.wake()


def _int(value: Any) -> int:
    return whole_number(value.strip() if isinstance(value, str) else value) or 0


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _errors(exc: InvalidInput, lang: str) -> dict[str, str]:
    errors = {e.field: translate_error(e.message, lang) for e in exc.errors}
    return errors or {"form": translate_error(exc.detail, lang)}


def _form_context(db: Session) -> dict[str, Any]:
    return {
        "priorities": exchange_hotline.PRIORITIES,
        "handlings": wire.HANDLING,
        "reliabilities": wire.RELIABILITY,
        "accuracies": wire.ACCURACY,
        "max_kib": exchange_hotline.MAX_ATTACHMENTS_BYTES // 1024,
        "peers": peering.peers(db),
    }


# ---- the partners and the compose form ---------------------------------------------------


@router.get("/hotline", response_class=HTMLResponse)
def hotline(request: Request, page: Page, db: DB, to: str | None = None) -> Response:
    try:
        convs = _conversations(request, page, db)
    except NoIdentity:
        return no_identity_page(request, status=200)
    return _home(request, page, db, convs, {**DEFAULTS, "to": to or ""})


def _home(
    request: Request,
    page: Page,
    db: Session,
    convs: list[exchange_hotline.Conversation],
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "hotline.html",
        {
            **request_words(request),
            "pressing": assistance.pressing(db, page.principal),
            "page": page,
            "conversations": convs,
            "values": values,
            "errors": errors or {},
            **_form_context(db),
        },
        status_code=status,
    )


async def _attachments(form: Any) -> list[exchange_hotline.Attachment]:
    files = []
    for upload in form.getlist("attachments"):
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read()
            kind = upload.content_type or "application/octet-stream"
            files.append(exchange_hotline.Attachment(upload.filename, kind, data))
    return files


@router.post("/hotline/messages")
async def send(request: Request, page: Page, db: DB) -> Response:
    """A new thread (from /hotline or a conversation) or a reply (from a thread)."""
    page.require_write()
    form = await request.form(max_files=MAX_FILES, max_fields=30)
    page.check_csrf(form)
    names = ("to", "subject", "body", "priority", "handling", "handling_note", "reliability")
    values: dict[str, Any] = {k: _text(form, k) for k in (*names, "accuracy", "in_reply_to")}
    try:
        keys = _keys(request, db)
        row = exchange_hotline.send_message(
            db,
            keys,
            page.principal,
            to=values["to"],
            subject=values["subject"],
            text=values["body"],
            priority=values["priority"],
            handling=values["handling"],
            handling_note=values["handling_note"] or None,
            reliability=values["reliability"],
            accuracy=_int(values["accuracy"]),
            attachments=await _attachments(form),
            in_reply_to=values["in_reply_to"] or None,
            client=client_of(request),
        )
        thread_id = row.thread_id
        db.commit()
    except NoIdentity:
        return no_identity_page(request)
    except (InvalidInput, NotFound) as exc:
        db.rollback()
        if isinstance(exc, NotFound):  # no hotline for this user (404), or no such partner
            exchange_hotline.require_hotline(db, page.principal)
            exc = InvalidInput("choose a partner", errors=[FieldError("to", "choose a partner")])
        errors = _errors(exc, page.lang)
        if values["in_reply_to"] and "in_reply_to" not in errors:
            thread = _thread_of(db, page, values["in_reply_to"])
            return _thread_page(request, page, db, thread, reply=values, errors=errors)
        convs = exchange_hotline.conversations(db, page.principal)
        return _home(request, page, db, convs, values, errors, status=422)
    wake_sender(request)
    return RedirectResponse(f"/hotline/threads/{thread_id}?sent=1", status_code=303)


def _thread_of(db: Session, page: Page, envelope_id: str) -> str:
    row = exchange_hotline.message_row(db, page.principal, envelope_id)
    return row.thread_id or row.envelope_id


# ---- a conversation ---------------------------------------------------------------------


@router.get("/hotline/peers/{node_id}", response_class=HTMLResponse)
def conversation(request: Request, node_id: str, page: Page, db: DB) -> Response:
    try:
        keys = _keys(request, db)
    except NoIdentity:
        return no_identity_page(request)
    threads = exchange_hotline.threads(db, keys, page.principal, node_id, client_of(request))
    db.commit()  # the listing's audit row
    peer = peering.peer_by_node(db, node_id)
    return render(
        request,
        "hotline_peer.html",
        {
            "page": page,
            "peer": peer,
            "threads": threads,
            "values": {**DEFAULTS, "to": node_id},
            "errors": {},
            **_form_context(db),
        },
    )


# ---- a thread ------------------------------------------------------------------------------


@router.get("/hotline/threads/{thread_id}", response_class=HTMLResponse)
def thread(request: Request, thread_id: str, page: Page, db: DB) -> Response:
    try:
        return _thread_page(request, page, db, thread_id)
    except NoIdentity:
        return no_identity_page(request)


def _thread_page(
    request: Request,
    page: Page,
    db: Session,
    thread_id: str,
    *,
    reply: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status: int | None = None,
) -> HTMLResponse:
    """Opening a thread marks its received messages read and queues a `status` envelope
    for each: committed here, and the sender woken."""
    keys = _keys(request, db)
    opened = exchange_hotline.open_thread(db, keys, page.principal, thread_id, client_of(request))
    db.commit()
    wake_sender(request)
    peer = opened.messages[0].row.peer
    last = opened.messages[-1]
    subject = opened.subject if opened.subject.startswith("Re: ") else "Re: " + opened.subject
    values = reply or {
        **DEFAULTS,
        "priority": last.row.priority or "routine",
        "handling": last.row.handling,
        "handling_note": last.row.handling_note or "",
        "subject": subject[: exchange_hotline.MAX_SUBJECT],
    }
    values = {**values, "to": peer.node_id, "in_reply_to": last.row.envelope_id}
    if status is None:
        status = 422 if errors else 200
    return render(
        request,
        "hotline_thread.html",
        {
            "page": page,
            "thread": opened,
            "peer": peer,
            "values": values,
            "errors": errors or {},
            "error": error,
            "others": [p for p in peering.peers(db) if p.id != peer.id and p.active],
            **_form_context(db),
        },
        status_code=status,
    )


@router.post("/hotline/messages/{envelope_id}/ack")
async def acknowledge(request: Request, envelope_id: str, page: Page, db: DB) -> Response:
    page.require_write()
    page.check_csrf(await request.form())
    try:
        _keys(request, db)
    except NoIdentity:
        return no_identity_page(request)
    row = exchange_hotline.acknowledge(db, page.principal, envelope_id, client_of(request))
    thread_id = row.thread_id or row.envelope_id
    db.commit()
    return RedirectResponse(f"/hotline/threads/{thread_id}#m-{envelope_id}", status_code=303)


@router.post("/hotline/messages/{envelope_id}/forward")
async def forward(request: Request, envelope_id: str, page: Page, db: DB) -> Response:
    """Pass a message on to another partner. An H2 message needs its provider's leave:
    the service records the refusal, and the thread says why with a 403."""
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    try:
        keys = _keys(request, db)
        row = exchange_hotline.forward(
            db,
            keys,
            page.principal,
            envelope_id,
            _text(form, "to"),
            _text(form, "note"),
            client_of(request),
        )
        thread_id = row.thread_id
        db.commit()
    except NoIdentity:
        return no_identity_page(request)
    except (Forbidden, InvalidInput) as exc:
        db.rollback()
        message = translate_error(exc.detail, page.lang)
        thread_id = _thread_of(db, page, envelope_id)
        return _thread_page(request, page, db, thread_id, error=message, status=exc.status)
    wake_sender(request)
    return RedirectResponse(f"/hotline/threads/{thread_id}?sent=1", status_code=303)


@router.post("/hotline/messages/{envelope_id}/permissions")
async def permit(request: Request, envelope_id: str, page: Page, db: DB) -> Response:
    """As the provider of an H2 message: let its recipient pass it on to a grantee."""
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    try:
        keys = _keys(request, db)
        exchange_hotline.grant(
            db,
            keys,
            page.principal,
            envelope_id,
            _text(form, "grantee").strip(),
            client_of(request),
        )
        db.commit()
    except NoIdentity:
        return no_identity_page(request)
    except InvalidInput as exc:
        db.rollback()
        message = translate_error(exc.detail, page.lang)
        thread_id = _thread_of(db, page, envelope_id)
        return _thread_page(request, page, db, thread_id, error=message, status=exc.status)
    wake_sender(request)
    thread_id = _thread_of(db, page, envelope_id)
    return RedirectResponse(
        f"/hotline/threads/{thread_id}?granted=1#m-{envelope_id}", status_code=303
    )


@router.get("/hotline/messages/{envelope_id}/attachments/{index:int}")
def download(request: Request, envelope_id: str, index: int, page: Page, db: DB) -> Response:
    """An attachment, always as a download (never shown inline: it came from elsewhere)."""
    try:
        keys = _keys(request, db)
    except NoIdentity:
        return no_identity_page(request)
    found = exchange_hotline.attachment(
        db, keys, page.principal, envelope_id, index, client_of(request)
    )
    db.commit()  # the audit row of the download
    return Response(
        found.data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.name, safe='')}",
            "X-Content-SHA256": found.sha256,
        },
    )
