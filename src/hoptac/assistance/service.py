"""Requests for assistance in the database: a draft written and edited, every step taken
through the one state machine (`states.step`), the shared steps sent to the partner as
`request` envelopes and the partner's steps applied as they arrive (`receive_step`, the
inbox handler), in order, once each.

Both nodes hold the same request (`uid`) and the same shared history: a step is numbered
(`seq`, 1 = sent) by the node that takes it, and applied by the other only when it follows
the last one applied there. A step that arrives early is held (`HeldEvent`) and applied
when its turn comes; a step seen before is a no-op. Only one pair of steps can cross on
the way: the requester's withdrawal and a step of the receiving side taken meanwhile
(every other state has one side to act). Both nodes put the receiving side's step first
and the withdrawal after it, so they agree.

Reads and steps belong to the node's agency, to its officers and admins
(`require_liaison`); another agency hosted on the node sees no request (404). Every step
leaves an audit row with the values before and after.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session

from hoptac import ulid
from hoptac.assistance import deadlines as clock
from hoptac.assistance import states
from hoptac.assistance.schemas import HandoverData, RequestIn, StepBody, WireRequest, iso
from hoptac.assistance.states import Action, RequestKind, RequestPriority, Side, State
from hoptac.auth import audit
from hoptac.auth.audit import Action as Audit
from hoptac.auth.principal import Principal
from hoptac.auth.scoping import get_visible
from hoptac.db.models import (
    Agreement,
    AssistanceRequest,
    ExchangeNode,
    Handover,
    HeldEvent,
    Notice,
    NoticeShare,
    Peer,
    Person,
    RequestAttachment,
    RequestEvent,
)
from hoptac.errors import (
    Conflict,
    FieldError,
    Forbidden,
    HoptacError,
    InvalidInput,
    NotFound,
    StaleEdit,
)
from hoptac.exchange.envelope import Envelope, Rejected
from hoptac.exchange.identity import SYSTEM, this_node
from hoptac.exchange.inbox import Batch, Placement, handles
from hoptac.exchange.keys import NodeKeys
from hoptac.exchange.outbox import enqueue
from hoptac.exchange.peering import allowed, peer_by_node
from hoptac.registry.service import validation_errors
from hoptac.screening import service as screening
from hoptac.types import Role

log = logging.getLogger(__name__)

KIND = "request"  # the envelope kind every shared step travels in
EXTEND = "extend"  # a step that moves a deadline and changes no state
# the states a deadline may be extended in: those where only the receiving side acts
# (besides the requester's withdrawal, which may cross any step), so that an extension
# never crosses another step of the requester
EXTENDABLE = frozenset(
    {
        State.DELIVERED,
        State.ACKNOWLEDGED,
        State.ACCEPTED,
        State.IN_EXECUTION,
        State.POSTPONED,
        State.PARTIALLY_ANSWERED,
    }
)
HOLD_AHEAD = 50  # a partner's step at most this far ahead of the last applied is held
HOLD_PER_PEER = 1_000  # steps held for one partner at most (more: refused, to retry)
CLOCK_SKEW = timedelta(minutes=5)
_UNSHARED = (State.DRAFT, State.AWAITING_VALIDATION)


def other(side: Side) -> Side:
    return Side.RECEIVING if side is Side.REQUESTING else Side.REQUESTING


def _aware(at: datetime | None) -> datetime | None:
    return at.replace(tzinfo=UTC) if at is not None else None


def _naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


# ---- who may -----------------------------------------------------------------------------


def require_liaison(session: Session, principal: Principal) -> ExchangeNode:
    """The node, if `principal` is one of its agency's officers or admins: requests travel
    between this node's agency and its partners, like the hotline."""
    node = this_node(session)
    if principal.agency_id != node.agency_id:
        raise NotFound("no requests here for this agency")
    if principal.role not in (Role.ADMIN, Role.OFFICER):
        raise Forbidden("only officers and admins handle requests for assistance")
    return node


def _scoped(session: Session, principal: Principal) -> sa.Select[AssistanceRequest]:
    node = require_liaison(session, principal)
    return sa.select(AssistanceRequest).where(AssistanceRequest.agency_id == node.agency_id)


def get_request(session: Session, principal: Principal, uid: str) -> AssistanceRequest:
    """One request of the caller's agency (404 otherwise)."""
    row = session.scalar(_scoped(session, principal).where(AssistanceRequest.uid == uid))
    if row is None:
        raise NotFound(f"no request {uid!r}")
    return row


def read_request(
    session: Session, principal: Principal, uid: str, client: str | None = None
) -> AssistanceRequest:
    """One request, opened: an audit row of the read (the caller commits)."""
    row = get_request(session, principal, uid)
    audit.record(
        session,
        Audit.REQUEST_READ,
        principal=principal,
        object_type="assistance_request",
        object_id=row.id,
        client=client,
        detail={"request": row.uid},
    )
    return row


@dataclass(frozen=True)
class RequestQuery:
    state: str | None = None
    side: str | None = None
    peer: str | None = None
    kind: str | None = None
    open_only: bool = False
    overdue_only: bool = False
    limit: int = 50
    offset: int = 0


def list_requests(
    session: Session,
    principal: Principal,
    query: RequestQuery,
    *,
    now: datetime | None = None,
    client: str | None = None,
) -> tuple[list[AssistanceRequest], int]:
    """A page of the agency's requests, the most pressing first (overdue, then the
    nearest deadline, then the newest), and how many there are. Audited as a read."""
    stmt = _scoped(session, principal)
    if query.state:
        stmt = stmt.where(AssistanceRequest.state == query.state)
    if query.side:
        stmt = stmt.where(AssistanceRequest.side == query.side)
    if query.kind:
        stmt = stmt.where(AssistanceRequest.kind == query.kind)
    if query.peer:
        stmt = stmt.where(AssistanceRequest.peer_id == peer_by_node(session, query.peer).id)
    if query.open_only or query.overdue_only:
        stmt = stmt.where(AssistanceRequest.state != State.CLOSED)
    if query.overdue_only:
        stmt = stmt.where(overdue_clause(now))
    total = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(
            AssistanceRequest.due_at.is_(None),
            AssistanceRequest.due_at,
            AssistanceRequest.id.desc(),
        )
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    audit.record(
        session,
        Audit.REQUEST_READ,
        principal=principal,
        object_type="assistance_requests",
        client=client,
        detail={"listed": len(rows), "state": query.state, "peer": query.peer},
    )
    return list(rows), int(total)


def overdue_clause(now: datetime | None = None) -> sa.ColumnElement[bool]:
    """SQL twin of `clock.Deadline.overdue` for the nearest deadline: not paused, past due."""
    at = _naive(now or datetime.now(UTC))
    return sa.and_(
        AssistanceRequest.due_at.is_not(None),
        AssistanceRequest.due_at < at,
        sa.not_(AssistanceRequest.paused),
    )


# ---- a draft -----------------------------------------------------------------------------


def _validated(data: Mapping[str, Any]) -> RequestIn:
    try:
        return RequestIn.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("the request is not valid", errors=validation_errors(exc)) from None


def _check_links(session: Session, principal: Principal, data: RequestIn) -> None:
    """Links to notices, hits and people resolve through the caller's scope: one it cannot
    see is reported as not existing, on its field."""
    errors = []
    for i, p in enumerate(data.persons):
        for field, model in (("notice_id", Notice), ("person_id", Person)):
            ident = getattr(p, field)
            if ident is not None:
                try:
                    get_visible(session, model, ident, principal)
                except NotFound:
                    errors.append(FieldError(f"persons.{i}.{field}", f"no {field[:-3]} {ident}"))
        if p.hit_id is not None:
            try:
                screening.read_hit(session, principal, p.hit_id)
            except NotFound:
                errors.append(FieldError(f"persons.{i}.hit_id", f"no hit {p.hit_id}"))
    if data.legal_agreement_id is not None:
        try:
            get_visible(session, Agreement, data.legal_agreement_id, principal)
        except NotFound:
            errors.append(FieldError("legal_agreement_id", "no such agreement"))
    if errors:
        raise InvalidInput("the request names records that do not exist", errors=errors)


def _snapshot(row: AssistanceRequest) -> dict[str, Any]:
    """The values an audit row records before and after a change."""
    return {
        "state": row.state,
        "resume_state": row.resume_state,
        "last_seq": row.last_seq,
        "due_at": iso(row.due_at) if row.due_at else None,
        "due_name": row.due_name,
        "paused": row.paused,
        "partner_ref": row.partner_ref,
        "title": row.title,
        "priority": row.priority,
        "kind": row.kind,
        "persons": row.persons,
        "measures": row.measures,
    }


def create_draft(
    session: Session,
    principal: Principal,
    data: Mapping[str, Any] | RequestIn,
    *,
    client: str | None = None,
) -> AssistanceRequest:
    """A new draft to a partner (nothing leaves the node until it is sent)."""
    require_liaison(session, principal)
    node = this_node(session)
    d = data if isinstance(data, RequestIn) else _validated(data)
    peer = peer_by_node(session, d.to)
    _check_links(session, principal, d)
    row = AssistanceRequest(
        uid=ulid.new(),
        side=Side.REQUESTING,
        agency_id=node.agency_id,
        peer_id=peer.id,
        state=State.DRAFT,
        created_by=principal.username,
        **_fields(d),
    )
    row.attachments = [
        RequestAttachment(
            name=f.name,
            content_type=f.type or "application/octet-stream",
            size=len(f.raw),
            sha256=hashlib.sha256(f.raw).hexdigest(),
            data=f.raw,
        )
        for f in d.attachments
    ]
    session.add(row)
    session.flush()
    audit.record(
        session,
        Audit.REQUEST_CREATED,
        principal=principal,
        object_type="assistance_request",
        object_id=row.id,
        client=client,
        detail={"request": row.uid, "to": peer.node_id, "after": _snapshot(row)},
    )
    return row


def _fields(d: RequestIn) -> dict[str, Any]:
    return {
        "kind": d.kind.value,
        "priority": d.priority.value,
        "priority_reason": (d.priority_reason or "").strip() or None,
        "title": d.title,
        "summary": d.summary,
        "measures": [m.strip() for m in d.measures if m.strip()],
        "persons": [p.model_dump(exclude_none=True) for p in d.persons],
        "legal_agreement_id": d.legal_agreement_id,
        "legal_basis": (d.legal_basis or "").strip() or None,
        "handling": d.handling,
        "handling_note": (d.handling_note or "").strip() or None,
        "reliability": d.reliability,
        "accuracy": d.accuracy,
    }


def draft_in(row: AssistanceRequest) -> dict[str, Any]:
    """A stored draft as the input it came from (a PATCH is merged into this)."""
    return {
        "to": row.peer.node_id,
        "kind": row.kind,
        "priority": row.priority,
        "priority_reason": row.priority_reason,
        "title": row.title,
        "summary": row.summary,
        "measures": list(row.measures),
        "persons": [dict(p) for p in row.persons],
        "legal_agreement_id": row.legal_agreement_id,
        "legal_basis": row.legal_basis,
        "handling": row.handling,
        "handling_note": row.handling_note,
        "reliability": row.reliability,
        "accuracy": row.accuracy,
    }


def update_draft(
    session: Session,
    principal: Principal,
    uid: str,
    changes: Mapping[str, Any],
    *,
    version: int | None = None,
    client: str | None = None,
) -> AssistanceRequest:
    """Edit a draft (merged, then re-validated whole). Only a draft is edited: once
    submitted or sent, a request changes by its steps."""
    row = get_request(session, principal, uid)
    _check_version(row, version)
    if row.state != State.DRAFT:
        raise Conflict(
            f"a request that is '{row.state}' is no longer edited: it changes by its steps"
        )
    if "attachments" in changes:
        raise InvalidInput(
            "files are attached when the draft is created",
            errors=[FieldError("attachments", "not editable")],
        )
    before = _snapshot(row)
    d = _validated({**draft_in(row), **changes})
    if d.to != row.peer.node_id:
        row.peer_id = peer_by_node(session, d.to).id
    _check_links(session, principal, d)
    for name, value in _fields(d).items():
        setattr(row, name, value)
    session.flush()
    audit.record(
        session,
        Audit.REQUEST_UPDATED,
        principal=principal,
        object_type="assistance_request",
        object_id=row.id,
        client=client,
        detail={"request": row.uid, "before": before, "after": _snapshot(row)},
    )
    return row


def _check_version(row: AssistanceRequest, version: int | None) -> None:
    if version is not None and row.version != version:
        raise StaleEdit(
            f"the request changed since it was read (version {row.version}, not {version})"
        )


# ---- steps -------------------------------------------------------------------------------


def take(
    session: Session,
    keys: NodeKeys,
    principal: Principal,
    uid: str,
    action: str,
    details: Mapping[str, Any] | None = None,
    *,
    version: int | None = None,
    now: datetime | None = None,
    client: str | None = None,
) -> AssistanceRequest:
    """Take one step on a request, as `principal`, through the state machine: refused
    with 409 (the state named), 403 (the side or role) or 422 (details) otherwise, with
    nothing changed. A shared step is queued to the partner in the same transaction."""
    row = get_request(session, principal, uid)
    _check_version(row, version)
    try:
        act = Action(action)
    except ValueError:
        raise InvalidInput(
            f"unknown action {action!r}",
            errors=[FieldError("action", "one of " + ", ".join(a.value for a in Action))],
        ) from None
    at = now or datetime.now(UTC)
    typed = _typed(_known(details or {}))
    if HANDOVER in typed:
        _check_handover_step(row, Side(row.side), act, typed)
        typed[HANDOVER] = handover_details(typed[HANDOVER])
    target = states.step(
        State(row.state),
        act,
        side=Side(row.side),
        role=principal.role,
        kind=RequestKind(row.kind),
        details=typed,
        resume=State(row.resume_state) if row.resume_state else None,
        actor=principal.username,
        submitted_by=row.submitted_by,
        now=at,
    )
    _answer_has_handover(row, act, typed)  # (after the machine: the state is named first)
    details = _clean(typed)
    node = this_node(session)
    before = _snapshot(row)
    shared = target == State.SENT or State(row.state) not in _UNSHARED
    event = _append(
        session,
        row,
        uid=ulid.new(),
        seq=row.last_seq + 1 if shared else None,
        action=act,
        side=Side(row.side),
        actor=f"{principal.username}@{node.node_id}",
        role=principal.role,
        at=_naive(at),
        target=target,
        details=details,
    )
    if act is Action.SUBMIT:
        row.submitted_by = principal.username
    return _taken(session, keys, principal, row, event, before, at, client)


def _taken(
    session: Session,
    keys: NodeKeys,
    principal: Principal,
    row: AssistanceRequest,
    event: RequestEvent,
    before: dict[str, Any],
    at: datetime,
    client: str | None,
) -> AssistanceRequest:
    """After a step taken here: a shared one (numbered) queued to the partner, the
    deadlines read again, and the audit row with the values before and after."""
    if event.seq is not None:
        event.envelope_id = _send(session, keys, row, event).envelope_id
    refresh(row, now=at)
    audit.record(
        session,
        Audit.REQUEST_STEP,
        principal=principal,
        object_type="assistance_request",
        object_id=row.id,
        client=client,
        detail={
            "request": row.uid,
            "action": event.action,
            "seq": event.seq,
            "before": before,
            "after": _snapshot(row),
        },
    )
    return row


HANDOVER = "handover"  # a step's detail: the person handed over (HandoverData)
DETAIL_KEYS = (
    states.REASON,
    states.QUESTION,
    states.TEXT,
    states.REASON_CODE,
    states.NEW_DATE,
    "partner_ref",
    HANDOVER,
)
MAX_DETAIL = 20_000
LAST_YEAR = 2200  # a date past this is no date a request can mean (and nears datetime.max)


def _known(details: Mapping[str, Any]) -> dict[str, Any]:
    """A step's details: known names, text values within their length (422 otherwise)."""
    errors = [FieldError(k, "not a detail of any step") for k in details if k not in DETAIL_KEYS]
    for k, v in details.items():
        if k == HANDOVER:
            continue  # checked whole by its model (handover_details)
        if k in DETAIL_KEYS and v is not None and not isinstance(v, str | date):
            errors.append(FieldError(k, "must be text"))
        elif isinstance(v, str) and len(v) > MAX_DETAIL:
            errors.append(FieldError(k, f"at most {MAX_DETAIL:,} characters"))
    if errors:
        raise InvalidInput("the step's details are not valid", errors=errors)
    return {k: v for k, v in details.items() if v is not None}


def _typed(details: Mapping[str, Any]) -> dict[str, Any]:
    """Details as the state machine reads them: a `new_date` written as ISO text (a form,
    the CLI, the wire) becomes a date, or an aware time; text that is neither stays as it
    is, for the machine to refuse by name."""
    out = dict(details)
    value = out.get(states.NEW_DATE)
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        with contextlib.suppress(ValueError):
            parsed = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
            if 1970 <= parsed.year <= LAST_YEAR:  # else the machine refuses the text by name
                out[states.NEW_DATE] = parsed
    return out


def _clean(details: dict[str, Any]) -> dict[str, Any]:
    """Details as stored and sent: strings stripped, a date as ISO text."""
    out: dict[str, Any] = {}
    for k, v in details.items():
        if isinstance(v, str):
            v = v.strip()
        elif isinstance(v, datetime):
            v = v.astimezone(UTC).isoformat()
        elif isinstance(v, date):
            v = v.isoformat()
        out[k] = v
    return out


def _append(
    session: Session,
    row: AssistanceRequest,
    *,
    uid: str,
    seq: int | None,
    side: Side,
    actor: str,
    role: Role | None,
    at: datetime,
    target: State,
    details: dict[str, Any],
    action: Action | None = None,
    action_name: str | None = None,
    envelope_id: str | None = None,
) -> RequestEvent:
    """Record a step (`action`, or `extend` by `action_name`) and move the request to its
    state."""
    event = RequestEvent(
        request_id=row.id,
        uid=uid,
        seq=seq,
        action=action.value if action is not None else str(action_name),
        side=side.value,
        actor=actor[:200],
        role=role.value if role else None,
        at=at,
        from_state=row.state,
        to_state=target.value,
        details=details,
        envelope_id=envelope_id,
    )
    session.add(event)
    row.events.append(event)
    if action is Action.REQUEST_INFO:
        row.resume_state = row.state
    elif action is Action.PROVIDE_INFO:
        row.resume_state = None
    row.state = target.value
    if seq is not None:
        row.last_seq = seq
    if action is not None:
        _timestamps(row, action, at, details)
    session.flush()
    if HANDOVER in details:
        _record_handover(session, row, event)
    return event


def _timestamps(
    row: AssistanceRequest, action: Action, at: datetime, details: dict[str, Any]
) -> None:
    if action is Action.DELIVER:
        row.received_at = at
        row.quarter = at.year * 10 + (at.month - 1) // 3 + 1
    elif action is Action.ACKNOWLEDGE:
        row.acknowledged_at = at
        row.ack_seconds = _seconds(row.received_at, at)
    elif action in (Action.ACCEPT, Action.REFUSE):
        row.decided_at = row.decided_at or at
    elif action is Action.ANSWER:
        row.answered_at = at
        row.answer_seconds = _seconds(row.received_at, at)
    elif action is Action.ACKNOWLEDGE_WITHDRAWAL or (
        action in (Action.CLOSE, Action.WITHDRAW) and row.state == State.CLOSED
    ):
        row.closed_at = at
    ref = details.get("partner_ref")
    if isinstance(ref, str) and ref and row.side == Side.REQUESTING:
        row.partner_ref = ref[:120]


def _seconds(start: datetime | None, end: datetime) -> int | None:
    return None if start is None else int((end - start).total_seconds())


def _send(session: Session, keys: NodeKeys, row: AssistanceRequest, event: RequestEvent) -> Any:
    """Queue one shared step to the partner (with the request itself in the first)."""
    body: dict[str, Any] = {"request": row.uid, "step": _step_json(event)}
    if event.seq == 1:
        body["data"] = _wire_request(session, row)
    return enqueue(
        session,
        keys,
        row.peer,
        KIND,
        body,
        handling=row.handling,
        handling_note=row.handling_note,
        reliability=row.reliability,
        accuracy=row.accuracy,
        thread_id=row.uid,
        priority=row.priority,
    )


def _step_json(event: RequestEvent) -> dict[str, Any]:
    return {
        "uid": event.uid,
        "seq": event.seq,
        "action": event.action,
        "side": event.side,
        "actor": event.actor,
        "role": event.role,
        "at": iso(event.at),
        "details": event.details,
    }


def _wire_request(session: Session, row: AssistanceRequest) -> dict[str, Any]:
    import base64

    agreement = session.get(Agreement, row.legal_agreement_id) if row.legal_agreement_id else None
    persons = []
    for p in row.persons:
        person = {k: v for k, v in p.items() if k not in ("notice_id", "hit_id", "person_id")}
        uid = _shared_notice_uid(session, row, p.get("notice_id"))
        if uid is not None:
            person["notice"] = uid
        persons.append(person)
    return {
        "kind": row.kind,
        "priority": row.priority,
        "priority_reason": row.priority_reason,
        "title": row.title,
        "summary": row.summary,
        "measures": row.measures,
        "persons": persons,
        "legal_basis": row.legal_basis,
        "agreement": agreement.title if agreement else None,
        "handling": row.handling,
        "handling_note": row.handling_note,
        "reliability": row.reliability,
        "accuracy": row.accuracy,
        "attachments": [
            {
                "name": a.name,
                "type": a.content_type,
                "data": base64.b64encode(a.data).decode(),
                "sha256": a.sha256,
            }
            for a in row.attachments
        ],
    }


# ---- the partner's steps (the inbox handler of `request` envelopes) ----------------------


class _NotEntitled(Rejected):
    def __init__(self, reason: str) -> None:
        super().__init__("not_entitled", reason)


@handles(KIND)
def receive_step(
    session: Session, peer: Peer, env: Envelope, body: dict[str, Any], batch: Batch
) -> Placement:
    """A partner's step: checked whole first (its shape, that the partner may take it
    from the state it follows), then applied; an early step is held, a known one is a
    no-op. A step the partner may not take is refused (`not_entitled`): nothing of it is
    stored, and the partner gets a signed refusal."""
    if not allowed(peer.send_kinds, KIND):
        raise Rejected(
            "kind_not_allowed",
            f"this node may not answer {peer.node_id}'s requests (pin it with request both ways)",
        )
    try:
        msg = StepBody.model_validate(body)
    except ValidationError as exc:
        first = validation_errors(exc)[0]
        raise Rejected("bad_payload", f"{first.field}: {first.message}") from None
    row = session.scalar(sa.select(AssistanceRequest).where(AssistanceRequest.uid == msg.request))
    if row is not None and row.peer_id != peer.id:
        raise _NotEntitled("this request is not between this node and the sender")
    known = session.scalar(
        sa.select(RequestEvent.id)
        .join(AssistanceRequest, AssistanceRequest.id == RequestEvent.request_id)
        .where(RequestEvent.uid == msg.step.uid, AssistanceRequest.uid == msg.request)
    )
    held = session.scalar(
        sa.select(HeldEvent.id).where(
            HeldEvent.event_uid == msg.step.uid, HeldEvent.peer_id == peer.id
        )
    )
    if known is not None or held is not None:
        return Placement(thread_id=msg.request)
    _check_time(msg, env)
    _check_details(msg.step.action, msg.step.details)
    if row is None:
        if msg.step.seq != 1:
            _hold(session, peer, msg, env.id)
            return Placement(thread_id=msg.request)
        row = _open_received(session, peer, msg, env)
    _apply_or_hold(session, batch.keys, peer, row, msg, env.id, batch.now)
    return Placement(thread_id=msg.request, priority=row.priority)


def _check_time(msg: StepBody, env: Envelope) -> None:
    """A step is taken before the envelope that carries it was made (a few minutes of
    clock skew allowed), and after the Unix epoch: the partner does not date our clocks
    into the future or out of the calendar."""
    from hoptac.exchange import envelope as wire

    made = wire.parse_timestamp(env.created_at)
    at = msg.step.at
    if not datetime(1970, 1, 1, tzinfo=UTC) <= at <= made + CLOCK_SKEW:
        raise Rejected("bad_payload", f"step time {at.isoformat()} is not before its envelope")


def _check_details(action: Any, details: Mapping[str, Any]) -> None:
    """A partner's step carries the details a step may carry, as text within its length
    (a handover as its model; an extension its deadline, due and reason), like a step
    taken here."""
    allowed_keys = {"deadline", "due", states.REASON} if action == EXTEND else set(DETAIL_KEYS)
    for key, value in details.items():
        if key not in allowed_keys:
            raise Rejected("bad_payload", f"details: {key!r} is not a detail of {action!r}")
        if key == HANDOVER:
            if not isinstance(value, dict):
                raise Rejected("bad_payload", "details: a handover is an object")
            continue
        if not isinstance(value, str) or len(value) > MAX_DETAIL:
            raise Rejected(
                "bad_payload", f"details: {key!r} must be text of {MAX_DETAIL:,} at most"
            )


def _open_received(session: Session, peer: Peer, msg: StepBody, env: Envelope) -> AssistanceRequest:
    """The partner's new request, as the receiving side holds it (not yet flushed: its
    first step is checked before anything is written)."""
    data = msg.data
    assert data is not None  # StepBody: seq 1 carries the data
    if msg.step.side is not Side.REQUESTING or msg.step.action not in (
        Action.SEND,
        Action.VALIDATE,
    ):
        raise _NotEntitled("a request starts with the requesting side sending it")
    node = this_node(session)
    row = AssistanceRequest(
        uid=msg.request,
        side=Side.RECEIVING,
        agency_id=node.agency_id,
        peer_id=peer.id,
        # the state its first step left, on the partner's side; that step follows
        state=State.DRAFT if msg.step.action is Action.SEND else State.AWAITING_VALIDATION,
        created_by=msg.step.actor,
        **{
            **_received_fields(data),
            # the envelope's code governs what it carries (the data's own is ignored)
            "handling": env.handling,
            "handling_note": env.handling_note,
            "reliability": env.reliability,
            "accuracy": env.accuracy,
        },
    )
    _link_notices(session, row)
    row.attachments = [
        RequestAttachment(
            name=f.name,
            content_type=f.type or "application/octet-stream",
            size=len(f.raw),
            sha256=f.sha256 or "",
            data=f.raw,
        )
        for f in data.attachments
    ]
    return row


def _shared_notice_uid(session: Session, row: AssistanceRequest, notice_id: Any) -> str | None:
    """The id among nodes of a linked notice the partner holds too (ours, sent to it; or
    its own, received from it), else None: another notice's id is nothing to the partner."""
    if not isinstance(notice_id, int):
        return None
    notice = session.get(Notice, notice_id)
    if notice is None or notice.owner_agency_id != row.agency_id:
        return None
    if notice.origin_peer_id == row.peer_id:
        return notice.uid
    sent = sa.select(NoticeShare.id).where(
        NoticeShare.notice_id == notice.id, NoticeShare.peer_id == row.peer_id
    )
    return notice.uid if notice.origin_peer_id is None and session.scalar(sent) else None


def _link_notices(session: Session, row: AssistanceRequest) -> None:
    """A received request's persons linked to the notices both nodes hold, by their id
    among nodes (`_shared_notice_uid` on the sender's side, the same rule here)."""
    persons = []
    for p in row.persons:
        person = dict(p)
        uid = person.get("notice")
        if isinstance(uid, str):
            ours = sa.select(Notice.id).where(
                Notice.uid == uid,
                Notice.owner_agency_id == row.agency_id,
                sa.or_(
                    Notice.origin_peer_id == row.peer_id,
                    sa.and_(
                        Notice.origin_peer_id.is_(None),
                        Notice.id.in_(
                            sa.select(NoticeShare.notice_id).where(
                                NoticeShare.peer_id == row.peer_id
                            )
                        ),
                    ),
                ),
            )
            notice_id = session.scalar(ours)
            if notice_id is not None:
                person["notice_id"] = notice_id
        persons.append(person)
    row.persons = persons


def _received_fields(d: WireRequest) -> dict[str, Any]:
    basis = " — ".join(x for x in (d.agreement, d.legal_basis) if x)
    return {
        "kind": d.kind.value,
        "priority": d.priority.value,
        "priority_reason": d.priority_reason,
        "title": d.title,
        "summary": d.summary,
        "measures": list(d.measures),
        "persons": [p.model_dump(exclude_none=True) for p in d.persons],
        "legal_basis": basis or None,
        "handling": d.handling,
        "handling_note": d.handling_note,
        "reliability": d.reliability,
        "accuracy": d.accuracy,
    }


def _hold(session: Session, peer: Peer, msg: StepBody, envelope_id: str) -> None:
    """Keep a step that came early. Bounded: a partner's held steps, and how far ahead of
    its request's last step one may be; past that, refused for now (`busy`: retried)."""
    count = session.scalar(
        sa.select(sa.func.count()).select_from(HeldEvent).where(HeldEvent.peer_id == peer.id)
    )
    if (count or 0) >= HOLD_PER_PEER:
        raise Rejected("busy", f"{HOLD_PER_PEER} steps of this partner wait already")
    last = session.scalar(
        sa.select(AssistanceRequest.last_seq).where(AssistanceRequest.uid == msg.request)
    )
    if msg.step.seq > (last or 0) + HOLD_AHEAD:
        raise Rejected("busy", f"step {msg.step.seq} is too far ahead; send the steps before it")
    session.add(
        HeldEvent(
            request_uid=msg.request,
            event_uid=msg.step.uid,
            seq=msg.step.seq,
            peer_id=peer.id,
            body=msg.model_dump(mode="json"),
            envelope_id=envelope_id,
        )
    )
    session.flush()
    log.info("request %s: step %d held until the steps before it", msg.request, msg.step.seq)


def _apply_or_hold(
    session: Session,
    keys: NodeKeys,
    peer: Peer,
    row: AssistanceRequest,
    msg: StepBody,
    envelope_id: str,
    now: datetime,
) -> None:
    step = msg.step
    # Our withdrawal the partner has not seen yet floats: the partner numbers its steps
    # without it, so its next step may carry our withdrawal's number (crossed), and any
    # later one waits for the steps before it.
    floating = _floating_withdrawal(row, msg)
    base = row.last_seq - 1 if floating else row.last_seq
    if row.id is not None and step.seq > base + 1:
        _hold(session, peer, msg, envelope_id)
        return
    if row.id is not None and step.seq <= row.last_seq:
        _crossed(session, keys, row, msg, envelope_id, now)
    else:
        _apply(session, keys, row, msg, envelope_id, now, seq=step.seq)
    _drain(session, keys, peer, row, now)


def _floating_withdrawal(row: AssistanceRequest, msg: StepBody) -> bool:
    if row.id is None or row.side != Side.REQUESTING or msg.step.side is not Side.RECEIVING:
        return False
    if msg.step.action is Action.ACKNOWLEDGE_WITHDRAWAL:
        return False  # it follows our withdrawal: the partner has seen it
    last = max((e for e in row.events if e.seq is not None), key=lambda e: e.seq or 0, default=None)
    return last is not None and last.action == Action.WITHDRAW and last.side == Side.REQUESTING


def _check_remote(row: AssistanceRequest, msg: StepBody, now: datetime) -> State:
    """The state the partner's step leads to, or `not_entitled`."""
    step = msg.step
    if step.side is not other(Side(row.side)):
        raise _NotEntitled(f"'{step.action}' is the {row.side} side's step here")
    if row.id is None:
        # A new request: its first step was taken inside the partner (who validated a
        # coercive one is theirs to check); here, that it is the right step for the kind,
        # taken by a role that may.
        rule = states.rule_for(State(row.state), Action(step.action), RequestKind(row.kind))
        if rule is None or step.role not in rule.roles:
            raise _NotEntitled(f"a {row.kind} request does not start with '{step.action}'")
        return State.SENT
    try:
        _answer_has_handover(row, step.action, step.details)
    except HoptacError as exc:
        raise _NotEntitled(exc.detail) from None
    if HANDOVER in step.details:
        try:
            _check_handover_step(row, step.side, step.action, step.details)
            HandoverData.model_validate(step.details[HANDOVER])
        except (HoptacError, ValidationError) as exc:
            raise _NotEntitled(f"handover refused: {exc}") from None
    if not isinstance(step.action, Action):  # extend: the receiving side moves a deadline
        if step.side is not Side.RECEIVING or row.state not in EXTENDABLE:
            raise _NotEntitled(f"no deadline of a '{row.state}' request is extended by {step.side}")
        d = step.details
        try:
            due = datetime.fromisoformat(str(d.get("due")))
            _extension(row, str(d.get("deadline")), due, str(d.get("reason") or ""), step.at)
        except (HoptacError, ValueError) as exc:
            raise _NotEntitled(f"extension refused: {exc}") from None
        return State(row.state)
    try:
        return states.step(
            State(row.state),
            step.action,
            side=step.side,
            role=step.role,
            kind=RequestKind(row.kind),
            details=_typed(step.details),
            resume=State(row.resume_state) if row.resume_state else None,
            actor=step.actor,
            submitted_by=row.submitted_by,
            now=step.at,  # a new date must come after the step, as the sender took it
        )
    except HoptacError as exc:
        raise _NotEntitled(exc.detail) from None


def _apply(
    session: Session,
    keys: NodeKeys,
    row: AssistanceRequest,
    msg: StepBody,
    envelope_id: str,
    now: datetime,
    *,
    seq: int,
) -> RequestEvent:
    step = msg.step
    target = _check_remote(row, msg, now)
    before = _snapshot(row) if row.id is not None else None
    if row.id is None:
        session.add(row)
        session.flush()
    event = _append(
        session,
        row,
        uid=step.uid,
        seq=seq,
        action=step.action if isinstance(step.action, Action) else None,
        action_name=str(step.action),
        side=step.side,
        actor=step.actor,
        role=step.role,
        at=_naive(step.at),
        target=target,
        details=step.details,
        envelope_id=envelope_id,
    )
    if step.action in (Action.SEND, Action.VALIDATE) and row.side == Side.RECEIVING:
        _deliver(session, keys, row, now)
    refresh(row, now=now)
    audit.record(
        session,
        Audit.REQUEST_STEP,
        username=f"{SYSTEM}:{row.peer.node_id}",
        agency_id=row.agency_id,
        object_type="assistance_request",
        object_id=row.id,
        detail={
            "request": row.uid,
            "action": str(step.action),
            "seq": seq,
            "from": row.peer.node_id,
            "before": before,
            "after": _snapshot(row),
        },
    )
    return event


def _deliver(session: Session, keys: NodeKeys, row: AssistanceRequest, now: datetime) -> None:
    """The receiving node has the request: its own step `deliver`, sent back (the clocks
    start at this moment, on both nodes)."""
    node = this_node(session)
    target = states.step(
        State(row.state), Action.DELIVER, side=Side(row.side), role=None, kind=RequestKind(row.kind)
    )
    event = _append(
        session,
        row,
        uid=ulid.new(),
        seq=row.last_seq + 1,
        action=Action.DELIVER,
        side=Side(row.side),
        actor=node.node_id,
        role=None,
        at=_naive(now),
        target=target,
        details={},
    )
    event.envelope_id = _send(session, keys, row, event).envelope_id


def _crossed(
    session: Session,
    keys: NodeKeys,
    row: AssistanceRequest,
    msg: StepBody,
    envelope_id: str,
    now: datetime,
) -> None:
    """The partner's step has a number a step of ours already took: the requester's
    withdrawal crossed a step of the receiving side. The receiving side's step goes
    first on both nodes, the withdrawal after it. Any other pair cannot cross (each
    state has one side to act) and is refused."""
    step = msg.step
    mine = next((e for e in row.events if e.seq == step.seq), None)
    if mine is None:
        raise _NotEntitled(f"step {step.seq} does not follow this node's history")
    if row.side == Side.RECEIVING and step.action is Action.WITHDRAW:
        # ours stays; their withdrawal follows our last step
        _apply(session, keys, row, msg, envelope_id, now, seq=row.last_seq + 1)
        return
    withdrawals = [e for e in row.events if e.seq is not None and e.seq >= step.seq]
    if (
        row.side == Side.REQUESTING
        and step.side is Side.RECEIVING
        and len(withdrawals) == 1
        and withdrawals[0].action == Action.WITHDRAW
    ):
        w = withdrawals[0]
        # the partner's step is checked against the state before our withdrawal first:
        # a refusal must leave our history as it was
        saved = (row.state, row.last_seq)
        row.state, row.last_seq = w.from_state, step.seq - 1
        try:
            _check_remote(row, msg, now)
        finally:
            row.state, row.last_seq = saved
        row.state, row.last_seq = w.from_state, step.seq - 1
        w.seq = None  # free its number while the partner's step takes it
        session.flush()
        _apply(session, keys, row, msg, envelope_id, now, seq=step.seq)
        target = states.step(
            State(row.state),
            Action.WITHDRAW,
            side=Side.REQUESTING,
            role=Role(w.role) if w.role else None,
            kind=RequestKind(row.kind),
            details=w.details,
        )
        w.from_state, w.to_state, w.seq = row.state, target.value, row.last_seq + 1
        row.state, row.last_seq = target.value, row.last_seq + 1
        row.events.sort(key=lambda e: (e.seq is None, e.seq or 0, e.id))
        session.flush()
        refresh(row, now=now)
        return
    raise _NotEntitled(f"step {step.seq} crosses this node's step {mine.action!r}")


def _drain(
    session: Session, keys: NodeKeys, peer: Peer, row: AssistanceRequest, now: datetime
) -> None:
    """Apply the held steps whose turn has come. One that the partner was not entitled
    to take is dropped and audited (it was acknowledged when it was held)."""
    while True:
        held = session.scalar(
            sa.select(HeldEvent)
            .where(
                HeldEvent.request_uid == row.uid,
                HeldEvent.peer_id == peer.id,
                HeldEvent.seq <= row.last_seq + 1,
            )
            .order_by(HeldEvent.seq)
            .limit(1)
        )
        if held is None:
            return
        msg = StepBody.model_validate(held.body)
        envelope_id = held.envelope_id
        session.delete(held)
        session.flush()
        try:
            if msg.step.seq <= row.last_seq:
                _crossed(session, keys, row, msg, envelope_id, now)
            else:
                _apply(session, keys, row, msg, envelope_id, now, seq=msg.step.seq)
        except Rejected as exc:
            audit.record(
                session,
                Audit.REQUEST_STEP_REFUSED,
                username=f"{SYSTEM}:{peer.node_id}",
                agency_id=row.agency_id,
                outcome="denied",
                object_type="assistance_request",
                object_id=row.id,
                detail={"request": row.uid, "seq": msg.step.seq, "reason": exc.reason},
            )


# ---- deadlines ---------------------------------------------------------------------------


def facts(row: AssistanceRequest) -> clock.Facts:
    """What the request's deadlines depend on, from its history."""
    pauses: list[clock.Pause] = []
    extensions: list[clock.Extension] = []
    for e in row.events:
        at = _aware(e.at)
        assert at is not None
        if e.action == Action.REQUEST_INFO:
            pauses.append((at, None))
        elif e.action == Action.PROVIDE_INFO and pauses and pauses[-1][1] is None:
            pauses[-1] = (pauses[-1][0], at)
        elif e.action == "extend":
            extensions.append(
                clock.Extension(
                    clock.DeadlineName(e.details["deadline"]),
                    datetime.fromisoformat(e.details["due"]),
                    str(e.details.get("reason", "")),
                    at,
                )
            )
    refusal = next((e for e in row.events if e.action == Action.REFUSE), None)
    decided = row.decided_at
    if refusal is not None and RequestKind(row.kind) not in states.COERCIVE:
        decided = refusal.at  # a refusal answers a non-coercive request: when it came
    return clock.Facts(
        priority=RequestPriority(row.priority),
        kind=RequestKind(row.kind),
        received_at=_aware(row.received_at),
        acknowledged_at=_aware(row.acknowledged_at),
        decided_at=_aware(decided),
        refused=refusal is not None,
        answered_at=_aware(row.answered_at),
        pauses=pauses,
        extensions=extensions,
    )


def deadlines(row: AssistanceRequest, now: datetime | None = None) -> list[clock.Deadline]:
    return clock.deadlines(facts(row), now or datetime.now(UTC))


def refresh(row: AssistanceRequest, now: datetime | None = None) -> None:
    """The read model the lists sort and filter on: the nearest deadline not met, and
    whether the clock is paused. None once the request is closed or withdrawn."""
    if row.state in (State.CLOSED, State.WITHDRAWN):
        row.due_at, row.due_name, row.paused = None, None, False
        return
    open_ = [d for d in deadlines(row, now) if d.met_at is None and d.due is not None]
    first = min(open_, key=lambda d: d.due or datetime.max.replace(tzinfo=UTC), default=None)
    row.due_at = _naive(first.due) if first and first.due else None
    row.due_name = first.name.value if first else None
    row.paused = row.state in states.CLOCK_PAUSED


def nearest(row: AssistanceRequest, now: datetime | None = None) -> clock.Deadline | None:
    """The request's most pressing deadline (overdue first, then near, then by due)."""
    if row.state in (State.CLOSED, State.WITHDRAWN):
        return None
    return clock.most_urgent([d for d in deadlines(row, now) if d.met_at is None])


def actions_for(row: AssistanceRequest, principal: Principal) -> list[Action]:
    """The steps `principal` may take on the request now: the buttons a page offers."""
    return states.allowed_actions(
        State(row.state),
        side=Side(row.side),
        role=principal.role,
        kind=RequestKind(row.kind),
        actor=principal.username,
        submitted_by=row.submitted_by,
    )


def can_extend(row: AssistanceRequest, principal: Principal) -> bool:
    return (
        row.side == Side.RECEIVING
        and row.state in EXTENDABLE
        and principal.role in (Role.ADMIN, Role.OFFICER)
    )


def extend(
    session: Session,
    keys: NodeKeys,
    principal: Principal,
    uid: str,
    deadline: str,
    due: datetime,
    reason: str,
    *,
    version: int | None = None,
    now: datetime | None = None,
    client: str | None = None,
) -> AssistanceRequest:
    """Move one deadline to `due`, with a reason: the receiving side says it needs more
    time (recorded, shared with the partner). A due time in the past, or not later than
    the deadline's, is 422; a coercive request's decision deadline moves once."""
    row = get_request(session, principal, uid)
    _check_version(row, version)
    at = now or datetime.now(UTC)
    if row.side != Side.RECEIVING:
        raise Forbidden("the receiving side extends a deadline it needs more time for")
    if row.state not in EXTENDABLE:
        raise Conflict(f"a request that is '{row.state}' has no deadline to extend")
    ext = _extension(row, deadline, due, reason, at)
    node = this_node(session)
    before = _snapshot(row)
    event = _append(
        session,
        row,
        uid=ulid.new(),
        seq=row.last_seq + 1,
        action_name=EXTEND,
        side=Side(row.side),
        actor=f"{principal.username}@{node.node_id}",
        role=principal.role,
        at=_naive(at),
        target=State(row.state),
        details=ext,
    )
    return _taken(session, keys, principal, row, event, before, at, client)


def _extension(
    row: AssistanceRequest, deadline: str, due: datetime, reason: str, at: datetime
) -> dict[str, Any]:
    """An extension's details, checked by the deadline rules (422 otherwise)."""
    try:
        name = clock.DeadlineName(deadline)
    except ValueError:
        raise InvalidInput(
            f"unknown deadline {deadline!r}",
            errors=[FieldError("deadline", ", ".join(d.value for d in clock.DeadlineName))],
        ) from None
    if due.tzinfo is None:
        raise InvalidInput(
            "the new due time needs its timezone",
            errors=[FieldError("due", "an ISO time with its offset, e.g. 2026-12-09T17:00Z")],
        )
    if due.year > LAST_YEAR or due - at > timedelta(days=5 * 366):
        raise InvalidInput(
            "a deadline is extended by five years at most",
            errors=[FieldError("due", "within five years")],
        )
    ext = clock.extend(facts(row), name, due, reason, at)
    return {
        "deadline": ext.deadline.value,
        "due": ext.due.astimezone(UTC).isoformat(),
        "reason": ext.reason,
    }


def attachment(
    session: Session, principal: Principal, uid: str, index: int, client: str | None = None
) -> RequestAttachment:
    """One file of a request; audited."""
    row = get_request(session, principal, uid)
    if not 0 <= index < len(row.attachments):
        raise NotFound("no such file")
    found = row.attachments[index]
    audit.record(
        session,
        Audit.REQUEST_READ,
        principal=principal,
        object_type="assistance_attachment",
        object_id=found.id,
        client=client,
        detail={"request": row.uid, "file": index, "sha256": found.sha256},
    )
    return found


# ---- handovers ---------------------------------------------------------------------------

# who records a handover, with which step: the side executing the surrender answers with
# it; the requesting side, receiving the person, closes with it (once the partner answered)
HANDOVER_STEPS = {
    (Side.RECEIVING, State.IN_EXECUTION): Action.ANSWER,
    (Side.RECEIVING, State.PARTIALLY_ANSWERED): Action.ANSWER,
    (Side.REQUESTING, State.ANSWERED): Action.CLOSE,
}


def handover_details(data: Mapping[str, Any]) -> dict[str, Any]:
    """A handover checked by its model, as a step carries it (422 otherwise)."""
    try:
        model = HandoverData.model_validate(data)
    except ValidationError as exc:
        errors = [FieldError(f"handover.{e.field}", e.message) for e in validation_errors(exc)]
        raise InvalidInput("the handover is not valid", errors=errors) from None
    out = model.model_dump(mode="json")
    out["at"] = model.at.astimezone(UTC).isoformat()
    return out


def _answer_has_handover(row: AssistanceRequest, action: Any, details: Mapping[str, Any]) -> None:
    """A hand-over request is answered with its handover: the person handed over, where,
    when, by and to whom (409 otherwise: there is a form for it)."""
    if row.kind == RequestKind.SURRENDER and action == Action.ANSWER and HANDOVER not in details:
        raise Conflict(
            "a hand-over request is answered with its handover: record the handover "
            "(persons, border gate, time, agencies) instead"
        )


def _check_handover_step(
    row: AssistanceRequest, side: Side, action: Any, details: Mapping[str, Any]
) -> None:
    """A handover rides only on the step that records it (409 otherwise)."""
    if row.kind != RequestKind.SURRENDER or not isinstance(details.get(HANDOVER), Mapping):
        raise Conflict("only a hand-over request's step carries a handover")
    if HANDOVER_STEPS.get((side, State(row.state))) is not action:
        raise Conflict(f"a handover is not recorded by '{action}' from '{row.state}'")


def record_handover(
    session: Session,
    keys: NodeKeys,
    principal: Principal,
    uid: str,
    data: Mapping[str, Any],
    *,
    text: str | None = None,
    version: int | None = None,
    now: datetime | None = None,
    client: str | None = None,
) -> AssistanceRequest:
    """Record the handover that completes a hand-over request, as the step it belongs to:
    the executing side's answer, or the requesting side's close once the partner answered.
    Both nodes then hold the handover, and the notices of the persons concerned are
    marked executed on each node that holds them."""
    row = get_request(session, principal, uid)
    if row.kind != RequestKind.SURRENDER:
        raise Conflict(f"a {row.kind} request has no handover; only a hand-over request does")
    action = HANDOVER_STEPS.get((Side(row.side), State(row.state)))
    if action is None:
        raise Conflict(
            f"a hand-over request that is '{row.state}' does not take a handover here: the "
            "side that hands the person over records it while executing, the requesting "
            "side once the partner has answered"
        )
    handover = handover_details(data)
    at = now or datetime.now(UTC)
    if datetime.fromisoformat(handover["at"]) > at + timedelta(minutes=5):
        raise InvalidInput(
            "a handover is recorded once it happened",
            errors=[FieldError("handover.at", "in the future")],
        )
    details: dict[str, Any] = {HANDOVER: handover}
    if action is Action.ANSWER:
        details[states.TEXT] = (text or "").strip() or (
            f"Đã bàn giao tại {handover['place']}: {', '.join(handover['persons'])}"
        )
    return take(
        session, keys, principal, uid, action.value, details, version=version, now=now,
        client=client,
    )  # fmt: skip


def _record_handover(session: Session, row: AssistanceRequest, event: RequestEvent) -> None:
    """The step carries a handover: store it (once per request) and mark the notices of
    the persons handed over executed, here, where they are our own; the sender's producer
    then sends the change to every node each notice was sent to."""
    if session.scalar(sa.select(Handover.id).where(Handover.request_id == row.id)) is not None:
        return
    try:
        h = HandoverData.model_validate(event.details[HANDOVER])
    except ValidationError as exc:
        raise _NotEntitled(f"handover: {validation_errors(exc)[0].message}") from None
    session.add(
        Handover(
            request_id=row.id,
            persons=list(h.persons),
            place=h.place,
            at=_naive(h.at),
            handing_agency=h.handing_agency,
            receiving_agency=h.receiving_agency,
            handing_officers=list(h.handing_officers),
            receiving_officers=list(h.receiving_officers),
            documents=list(h.documents),
            recorded_by=event.actor,
        )
    )
    node_principal = Principal.node(row.agency_id, f"{SYSTEM}:handover")
    executed = []
    handed = _handed_over([str(p.get("name", "")) for p in row.persons], list(h.persons))
    for i, person in enumerate(row.persons):
        notice_id = person.get("notice_id")
        # only the notices of the persons handed over (a request may name others)
        if isinstance(notice_id, int) and i in handed:
            notice = session.get(Notice, notice_id)
            # our own notice (a partner's copy changes when its issuer sends the change)
            owned = (
                notice is not None
                and notice.owner_agency_id == row.agency_id
                and notice.origin_peer_id is None
            )
            if owned and notice is not None and notice.status != "executed":
                screening.set_notice_status(session, node_principal, notice_id, "executed")
                executed.append(notice_id)
    session.flush()
    audit.record(
        session,
        Audit.HANDOVER_RECORDED,
        username=event.actor[:80],
        agency_id=row.agency_id,
        object_type="assistance_request",
        object_id=row.id,
        detail={
            "request": row.uid,
            "place": h.place,
            "at": h.at.isoformat(),
            "persons": list(h.persons),
            "notices_executed": executed,
        },
    )


def _handed_over(names: list[str], handed: list[str]) -> set[int]:
    """Which of a request's persons (by index) a handover lists. The form is filled in
    with the request's names, and an officer may add to a line ("Vương Kiện (王健)"): a
    person is listed when a line holds their whole name, spaces and case aside. A request
    for one person whose handover lists one person: that person."""
    if len(names) == 1 and len(handed) == 1:
        return {0}

    def words(text: str) -> str:
        return " " + " ".join(re.findall(r"\w+", text.casefold())) + " "

    lines = [words(line) for line in handed]
    return {
        i for i, name in enumerate(names) if name.strip() and any(words(name) in x for x in lines)
    }


def handover_of(session: Session, row: AssistanceRequest) -> Handover | None:
    return session.scalar(sa.select(Handover).where(Handover.request_id == row.id))


# ---- what needs action now (the dashboard and the hotline) -----------------------------


@dataclass(frozen=True)
class Pressing:
    """The requests near or past a deadline, the most pressing first, and how many of the
    agency's requests are overdue in all."""

    items: list[tuple[AssistanceRequest, clock.Deadline]]
    overdue: int


def pressing(
    session: Session, principal: Principal, now: datetime | None = None, limit: int = 5
) -> Pressing | None:
    """Open requests whose nearest deadline is past or near (overdue first; an overdue P1
    is urgent to both sides), read from the scoped list: None where the caller handles no
    requests (another agency, a viewer, a node without identity)."""
    try:
        query = _scoped(session, principal)
    except (NotFound, Forbidden):
        return None
    at = now or datetime.now(UTC)
    soon = _naive(at) + timedelta(days=1)
    candidates = session.scalars(
        query.where(
            AssistanceRequest.state.not_in((State.CLOSED, State.WITHDRAWN)),
            AssistanceRequest.due_at.is_not(None),
            AssistanceRequest.due_at < soon,
        )
        .order_by(AssistanceRequest.due_at)
        .limit(200)
    ).all()
    found = []
    for row in candidates:
        top = nearest(row, at)
        if top is not None and (top.overdue or top.near):
            found.append((row, top))
    found.sort(key=lambda pair: clock.sort_key(pair[1]))
    overdue = session.scalar(
        sa.select(sa.func.count()).select_from(
            query.where(AssistanceRequest.state != State.CLOSED, overdue_clause(at)).subquery()
        )
    )
    return Pressing(found[:limit], int(overdue or 0))
