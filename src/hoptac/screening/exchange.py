"""Wanted notices between partner nodes (envelope kind `notice`).

An agency sends one of its notices to chosen partners (`send`): each gets the whole notice,
and again each time it changes (its status above all: withdrawn, executed). A change made
by any path (the form, the API, an import, a handover) moves the notice's `version`; the
sender's round (`sync`, an outbox producer) sends every notice whose version a partner has
not had yet, so none is missed; a version whose data is what the partner already has (an
unchanged re-import) is not sent again.

The partner's node keeps the issuer's notice as a copy: owned by its own agency so that
its officers see it, read-only there (`Notice.origin_peer_id`; only the issuer changes
it), and replaced only by a later version from the same issuer (a late or repeated
envelope changes nothing). When a notice stops being active, its pending hits are closed
on every node that holds it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session

from hoptac.auth import audit
from hoptac.auth.audit import Action
from hoptac.auth.principal import Principal
from hoptac.auth.scoping import can_edit
from hoptac.db.models import Notice, NoticeShare, Peer, utcnow
from hoptac.errors import FieldError, Forbidden, InvalidInput
from hoptac.exchange import outbox
from hoptac.exchange.envelope import Envelope, Rejected, canonical
from hoptac.exchange.identity import SYSTEM, this_node
from hoptac.exchange.inbox import Batch, Placement, handles
from hoptac.exchange.keys import NodeKeys
from hoptac.exchange.peering import allowed
from hoptac.registry import service as svc
from hoptac.screening import schemas as s
from hoptac.screening import search
from hoptac.screening import service as screening
from hoptac.types import Sharing

log = logging.getLogger(__name__)

KIND = "notice"
WIRE_FIELDS = tuple(s.NoticeData.model_fields)


def wire_notice(notice: Notice) -> dict[str, Any]:
    """The body of a `notice` envelope: the notice as its issuer holds it now."""
    data = s.NoticeData.model_validate(
        {k: v for k, v in screening.NOTICES.to_in(notice).items() if k in WIRE_FIELDS}
    )
    return {
        "notice": notice.uid,
        "version": notice.version,
        "data": data.model_dump(mode="json"),
    }


def shares_of(session: Session, notice: Notice) -> list[NoticeShare]:
    return list(
        session.scalars(
            sa.select(NoticeShare)
            .where(NoticeShare.notice_id == notice.id)
            .order_by(NoticeShare.shared_at, NoticeShare.id)
        )
    )


def partners_for(session: Session) -> list[Peer]:
    """The pinned partners this node may send notices to."""
    peers = session.scalars(sa.select(Peer).where(Peer.active).order_by(Peer.name))
    return [p for p in peers if allowed(p.send_kinds, KIND)]


def send(
    session: Session,
    keys: NodeKeys,
    principal: Principal,
    notice_id: int,
    node_ids: Sequence[str],
    handling: str | None = None,
    handling_note: str | None = None,
) -> list[NoticeShare]:
    """Send one of the caller's agency's notices to partner nodes (queued in the caller's
    transaction; audited). A partner it was sent to before is not sent it twice: it gets
    each later version by itself; unless a handling code is given and it (or its note) is
    another now, then it gets the notice again under the new code, and later versions
    under it too. No code given: H0 for a new partner, the code it had for the others.
    Returns the notice's shares, those made now included."""
    notice = svc.get_record(session, principal, screening.NOTICES, notice_id)
    if notice.origin_peer_id is not None:
        raise Forbidden("this notice was received from a partner: only its issuer sends it")
    if not can_edit(notice, principal):
        raise Forbidden("Only the owning agency's officers may send this notice.")
    errors = outbox.handling_errors(handling or "H0", handling_note)
    note = (handling_note or "").strip() or None
    if note is not None and len(note) > 500:
        errors.append(FieldError("handling_note", "at most 500 characters"))
    wanted = list(dict.fromkeys(n.strip() for n in node_ids if n.strip()))
    if not wanted:
        errors.append(FieldError("to", "choose at least one partner node"))
    peers: list[Peer] = []
    for node_id in wanted:
        peer = session.scalar(sa.select(Peer).where(Peer.node_id == node_id, Peer.active))
        if peer is None:
            errors.append(FieldError("to", f"{node_id[:64]} is not a pinned partner node"))
        elif not allowed(peer.send_kinds, KIND):
            errors.append(
                FieldError("to", f"the agreement with {peer.name} does not allow sending notices")
            )
        else:
            peers.append(peer)
    if errors:
        raise InvalidInput("the notice cannot be sent", errors=errors)
    known = {sh.peer_id: sh for sh in shares_of(session, notice)}
    new = [p for p in peers if p.id not in known]
    recoded = []
    for peer in peers:  # sent before under another code: sent again under this one
        share = known.get(peer.id)
        if share is None or handling is None:
            continue
        if (share.handling, share.handling_note) != (handling, note):
            share.handling, share.handling_note = handling, note
            share.sent_version, share.sent_digest = 0, None
            recoded.append(peer.node_id)
    for peer in new:
        session.add(
            NoticeShare(
                notice_id=notice.id,
                peer_id=peer.id,
                handling=handling or "H0",
                handling_note=note,
                shared_by=principal.username[:80],
                shared_at=utcnow(),
            )
        )
    session.flush()
    audit.record(
        session,
        Action.NOTICE_SENT,
        principal=principal,
        object_type="notices",
        object_id=notice.id,
        detail={
            "to": [p.node_id for p in new],
            "already": [p.node_id for p in peers if p.id in known],
            "recoded": recoded,
            "handling": handling or "H0",
            "version": notice.version,
        },
    )
    sync(session, keys, notice_ids=[notice.id])
    return shares_of(session, notice)


def sync(session: Session, keys: NodeKeys, notice_ids: Sequence[int] | None = None) -> int:
    """Queue the current version of every sent notice to each partner that has not had
    it (in the caller's transaction). A partner the agreement no longer lets us send
    notices to is skipped and tried again later. Returns the envelopes queued."""
    stmt = (
        sa.select(NoticeShare, Notice)
        .join(Notice, Notice.id == NoticeShare.notice_id)
        .where(NoticeShare.sent_version < Notice.version, Notice.origin_peer_id.is_(None))
        .order_by(NoticeShare.id)
    )
    if notice_ids is not None:
        stmt = stmt.where(Notice.id.in_(notice_ids))
    queued = 0
    for share, notice in session.execute(stmt).all():
        peer = session.get(Peer, share.peer_id)
        if peer is None or not peer.active or not allowed(peer.send_kinds, KIND):
            continue  # tried again once the agreement allows it
        body = wire_notice(notice)
        digest = hashlib.sha256(canonical(body["data"])).hexdigest()
        if digest == share.sent_digest:  # a new version, the same notice for the partner
            share.sent_version = notice.version
            continue
        outbox.enqueue(
            session,
            keys,
            peer,
            KIND,
            body,
            handling=share.handling,
            handling_note=share.handling_note,
            thread_id=notice.uid,
        )
        share.sent_version, share.sent_at, share.sent_digest = notice.version, utcnow(), digest
        queued += 1
    if queued:
        session.flush()
    return queued


outbox.produces(sync)


@handles(KIND)
def receive_notice(
    session: Session, peer: Peer, env: Envelope, body: dict[str, Any], batch: Batch
) -> Placement:
    """A partner's notice, new or a later version of one it sent before: stored as its
    copy (read-only here), indexed for searches and screenings; an older or repeated
    version changes nothing. A copy no longer active closes its pending hits here."""
    try:
        msg = s.NoticeWire.model_validate(body)
    except ValidationError as exc:
        first = svc.validation_errors(exc)[0]
        raise Rejected("bad_payload", f"{first.field}: {first.message}") from None
    notice = session.scalar(
        sa.select(Notice).where(Notice.origin_peer_id == peer.id, Notice.uid == msg.notice)
    )
    if notice is not None and (notice.origin_version or 0) >= msg.version:
        return Placement(thread_id=msg.notice)  # a repeat, or overtaken by a later version
    node = this_node(session)
    data = msg.data
    ref = f"{peer.node_id}/{data.ref}"[: s.MAX_REF]
    clash = session.scalar(
        sa.select(Notice.id).where(
            Notice.owner_agency_id == node.agency_id,
            Notice.ref == ref,
            Notice.id != (notice.id if notice is not None else -1),
        )
    )
    if clash is not None:
        raise Rejected("bad_payload", f"notice number {data.ref} is another of this partner's")
    before = screening.NOTICES.to_in(notice) if notice is not None else None
    if notice is None:
        notice = Notice(owner_agency_id=node.agency_id, uid=msg.notice, origin_peer_id=peer.id)
        session.add(notice)
    # the notice's fields through the one path every notice takes (its agency alone reads it)
    fields = s.NoticeIn.model_validate({**data.model_dump(mode="json"), "sharing": Sharing.AGENCY})
    acting = Principal.node(node.agency_id, f"{SYSTEM}:{peer.node_id}"[:80])
    screening.NOTICES.apply(session, acting, notice, fields)
    notice.ref = ref  # its number here: the issuer's, under the issuer's node id
    notice.issuing_agency = data.issuing_agency or peer.name
    notice.origin_version = msg.version
    notice.updated_at = utcnow()
    session.flush()
    search.index_notice(session, notice)
    closed = screening.close_pending_hits(session, notice)
    after = screening.NOTICES.to_in(notice)
    audit.record(
        session,
        Action.NOTICE_RECEIVED,
        username=f"{SYSTEM}:{peer.node_id}"[:80],
        agency_id=node.agency_id,
        object_type="notices",
        object_id=notice.id,
        detail={
            "from": peer.node_id,
            "envelope": env.id,
            "version": msg.version,
            "hits_closed": closed,
            **(svc.changes(before, after) if before is not None else {"new": True}),
        },
    )
    return Placement(thread_id=msg.notice)
