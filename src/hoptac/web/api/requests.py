"""Requests for assistance over the API: the pages' service, for scripts and other systems.

GET   /api/v1/requests                          a page, the most pressing first
POST  /api/v1/requests                          a new draft (201, Location, ETag)
GET   /api/v1/requests/{uid}                    the request, its history and deadlines; audited
PATCH /api/v1/requests/{uid}                    edit a draft (If-Match)
POST  /api/v1/requests/{uid}/steps/{action}     take one step of the state machine (If-Match)
POST  /api/v1/requests/{uid}/extend             move a deadline, with a reason (receiving side)
GET   /api/v1/requests/{uid}/attachments/{i}    one file; audited

Officers and admins of the node's agency only: other agencies get 404, viewers 403. A
step from the wrong state is 409 with the state named, the wrong side or role 403,
missing details 422; nothing changes then.
"""

# No `from __future__ import annotations`: FastAPI reads the signatures at runtime.
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Request, Response
from pydantic import BaseModel, Field

from hoptac.assistance import service, sla
from hoptac.assistance.deadlines import DeadlineName
from hoptac.assistance.schemas import RequestIn
from hoptac.assistance.states import Action, RequestKind, Side, State
from hoptac.registry.schemas import Page, UtcDateTime
from hoptac.web.api import RESPONSES, operation_id
from hoptac.web.api.records import etag, parse_etag
from hoptac.web.deps import DB, ApiPrincipal, ApiWriter, client_of, node_keys, wake_sender
from hoptac.web.params import Offset

router = APIRouter(
    prefix="/api/v1/requests",
    tags=["requests"],
    responses=RESPONSES,
    generate_unique_id_function=operation_id,
)

Uid = Annotated[str, Path(min_length=26, max_length=26, description="The request's id (ULID).")]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description="Optional. The ETag from GET: refuse (412) if the request changed since.",
    ),
]


class PersonOut(BaseModel):
    name: str
    birth: str | None = None
    nationality: str | None = None
    document: str | None = None
    notice_id: int | None = None
    hit_id: int | None = None
    person_id: int | None = None


class FileOut(BaseModel):
    index: int
    name: str
    type: str
    size: int
    sha256: str


class RequestOut(BaseModel):
    """A request as lists show it."""

    uid: str = Field(description="The request's id, the same on both nodes.")
    side: Side = Field(description="This node's side: requesting or receiving.")
    peer: str = Field(description="The partner's node id.")
    kind: RequestKind
    priority: str
    priority_reason: str | None
    state: State
    title: str
    summary: str
    measures: list[str]
    persons: list[PersonOut]
    legal_agreement_id: int | None
    legal_basis: str | None
    handling: str
    handling_note: str | None
    reliability: str
    accuracy: int
    partner_ref: str | None
    created_by: str
    received_at: UtcDateTime | None = Field(
        description="When the partner's node (or this one) stored it: the clocks start here."
    )
    acknowledged_at: UtcDateTime | None
    decided_at: UtcDateTime | None
    answered_at: UtcDateTime | None
    closed_at: UtcDateTime | None
    due_at: UtcDateTime | None = Field(description="The nearest deadline not met.")
    due_name: str | None
    overdue: bool = Field(description="A flag, never a state: the nearest deadline has passed.")
    urgent: bool = Field(description="An overdue P1: urgent to both sides.")
    paused: bool = Field(description="The clock stops while more information is awaited.")
    files: list[FileOut]
    version: int
    created_at: UtcDateTime
    updated_at: UtcDateTime


class StepOut(BaseModel):
    seq: int | None = Field(
        description="Its number in the history both nodes share; none for a step "
        "inside the requesting agency."
    )
    action: str
    side: str
    actor: str
    role: str | None
    at: UtcDateTime
    from_state: str
    to_state: str
    details: dict[str, Any]
    envelope_id: str | None


class DeadlineOut(BaseModel):
    name: DeadlineName
    due: datetime | None
    met_at: datetime | None
    overdue: bool
    near: bool
    paused: bool
    late: bool
    urgent: bool


class HandoverIn(BaseModel):
    persons: list[str] = Field(min_length=1, max_length=50, description="Who was handed over.")
    place: str = Field(min_length=1, max_length=300, examples=["Cửa khẩu Móng Cái"])
    at: datetime = Field(description="When, with its timezone.")
    handing_agency: str = Field(min_length=1, max_length=300)
    receiving_agency: str = Field(min_length=1, max_length=300)
    handing_officers: list[str] = Field(default_factory=list, max_length=20)
    receiving_officers: list[str] = Field(default_factory=list, max_length=20)
    documents: list[str] = Field(default_factory=list, max_length=50)
    text: str | None = Field(None, max_length=20000, description="The answer's text (optional).")


class HandoverOut(BaseModel):
    persons: list[str]
    place: str
    at: UtcDateTime
    handing_agency: str
    receiving_agency: str
    handing_officers: list[str]
    receiving_officers: list[str]
    documents: list[str]
    recorded_by: str


class RequestFull(RequestOut):
    handover: HandoverOut | None = Field(None, description="A hand-over request's handover.")
    history: list[StepOut] = Field(description="Oldest first.")
    deadlines: list[DeadlineOut]
    actions: list[Action] = Field(description="The steps the caller may take now.")


class ExtendIn(BaseModel):
    deadline: DeadlineName
    due: datetime = Field(description="The new due time, with its timezone.")
    reason: str = Field(min_length=1, max_length=2000)


def _out(row: Any, now: datetime | None = None) -> dict[str, Any]:
    top = service.nearest(row, now)
    return {
        "uid": row.uid,
        "side": row.side,
        "peer": row.peer.node_id,
        "kind": row.kind,
        "priority": row.priority,
        "priority_reason": row.priority_reason,
        "state": row.state,
        "title": row.title,
        "summary": row.summary,
        "measures": row.measures,
        "persons": row.persons,
        "legal_agreement_id": row.legal_agreement_id,
        "legal_basis": row.legal_basis,
        "handling": row.handling,
        "handling_note": row.handling_note,
        "reliability": row.reliability,
        "accuracy": row.accuracy,
        "partner_ref": row.partner_ref,
        "created_by": row.created_by,
        "received_at": row.received_at,
        "acknowledged_at": row.acknowledged_at,
        "decided_at": row.decided_at,
        "answered_at": row.answered_at,
        "closed_at": row.closed_at,
        "due_at": row.due_at,
        "due_name": row.due_name,
        "overdue": bool(top and top.overdue),
        "urgent": bool(top and top.urgent),
        "paused": row.paused,
        "files": [
            {"index": i, "name": a.name, "type": a.content_type, "size": a.size, "sha256": a.sha256}
            for i, a in enumerate(row.attachments)
        ],
        "version": row.version,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _full(row: Any, principal: Any) -> dict[str, Any]:
    from sqlalchemy.orm import object_session

    session = object_session(row)
    handover = service.handover_of(session, row) if session is not None else None
    return {
        **_out(row),
        "handover": None
        if handover is None
        else {
            k: getattr(handover, k)
            for k in (
                "persons",
                "place",
                "at",
                "handing_agency",
                "receiving_agency",
                "handing_officers",
                "receiving_officers",
                "documents",
                "recorded_by",
            )
        },
        "history": [
            {
                "seq": e.seq,
                "action": e.action,
                "side": e.side,
                "actor": e.actor,
                "role": e.role,
                "at": e.at,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "details": e.details,
                "envelope_id": e.envelope_id,
            }
            for e in row.history
        ],
        "deadlines": [d.__dict__ for d in service.deadlines(row)],
        "actions": service.actions_for(row, principal),
    }


def _answer(response: Response, row: Any, principal: Any) -> dict[str, Any]:
    response.headers["ETag"] = etag(row.version)
    return _full(row, principal)


class LevelOut(BaseModel):
    """One partner, one direction (we_owe: requests we received; they_owe: requests we
    sent), one quarter of receipt."""

    peer: str
    peer_name: str
    direction: str
    quarter: str
    requests: int
    open: int = Field(description="Not closed today (on the current quarter's line).")
    overdue: int = Field(description="Past a deadline today (on the current quarter's line).")
    refused: int
    acknowledged: int
    answered: int
    ack_median_hours: float | None
    ack_p90_hours: float | None
    answer_median_hours: float | None
    answer_p90_hours: float | None


@router.get(
    "/sla",
    response_model=list[LevelOut],
    summary="Service levels per partner, both ways, per quarter",
    name="requests_sla",
    responses={200: {"content": {"text/csv": {}}}},
)
def service_levels(
    db: DB,
    principal: ApiPrincipal,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Any:
    """Per partner and quarter: requests, open and overdue today, refused, and the median
    and 90th percentile of the hours to acknowledge and to answer. `format=csv` for a
    spreadsheet."""
    lines = sla.levels(db, principal, year=year)
    if format == "csv":
        return Response(
            sla.to_csv(lines),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="service-levels.csv"'},
        )
    return [{c: getattr(x, c) for c in sla.COLUMNS} for x in lines]


@router.get(
    "",
    response_model=Page[RequestOut],
    summary="Requests, the most pressing first",
    name="requests_list",
)
def list_requests(
    request: Request,
    db: DB,
    principal: ApiPrincipal,
    state: Annotated[State | None, Query()] = None,
    side: Annotated[Side | None, Query()] = None,
    kind: Annotated[RequestKind | None, Query()] = None,
    peer: Annotated[str | None, Query(max_length=64, description="One partner only.")] = None,
    open: Annotated[bool, Query(description="Only requests not closed.")] = False,
    overdue: Annotated[bool, Query(description="Only requests past a deadline.")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows, total = service.list_requests(
        db,
        principal,
        service.RequestQuery(
            state=state,
            side=side,
            kind=kind,
            peer=peer,
            open_only=open,
            overdue_only=overdue,
            limit=limit,
            offset=offset,
        ),
        client=client_of(request),
    )
    items = [_out(r) for r in rows]
    db.commit()  # the listing's audit row
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.post(
    "",
    response_model=RequestFull,
    status_code=201,
    summary="Write a draft request",
    name="requests_create",
)
def create_request(
    request: Request, response: Response, db: DB, principal: ApiWriter, data: RequestIn
) -> dict[str, Any]:
    """A draft to a partner: nothing leaves the node until it is sent (`steps/send`), or,
    for arrest, hand-over and evidence, submitted and validated by a second person."""
    row = service.create_draft(db, principal, data, client=client_of(request))
    out = _answer(response, row, principal)
    db.commit()
    response.headers["Location"] = f"/api/v1/requests/{row.uid}"
    return out


@router.get(
    "/{uid}",
    response_model=RequestFull,
    summary="One request with its history",
    name="requests_get",
)
def get_request(
    request: Request, response: Response, db: DB, principal: ApiPrincipal, uid: Uid
) -> dict[str, Any]:
    row = service.read_request(db, principal, uid, client=client_of(request))
    out = _answer(response, row, principal)
    db.commit()  # the read's audit row
    return out


@router.patch("/{uid}", response_model=RequestFull, summary="Edit a draft", name="requests_update")
def update_request(
    request: Request,
    response: Response,
    db: DB,
    principal: ApiWriter,
    uid: Uid,
    changes: Annotated[dict[str, Any], Body(description="Fields of the draft to change.")],
    if_match: IfMatch = None,
) -> dict[str, Any]:
    row = service.update_draft(
        db,
        principal,
        uid,
        changes,
        version=parse_etag(if_match) if if_match else None,
        client=client_of(request),
    )
    out = _answer(response, row, principal)
    db.commit()
    return out


@router.post(
    "/{uid}/steps/{action}",
    response_model=RequestFull,
    summary="Take one step",
    name="requests_step",
)
def take_step(
    request: Request,
    response: Response,
    db: DB,
    principal: ApiWriter,
    uid: Uid,
    action: Action,
    details: Annotated[
        dict[str, Any] | None,
        Body(
            description="What the step needs: reason, question, text, reason_code, "
            "new_date, partner_ref."
        ),
    ] = None,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    row = service.take(
        db,
        node_keys(request),
        principal,
        uid,
        action,
        details or {},
        version=parse_etag(if_match) if if_match else None,
        client=client_of(request),
    )
    out = _answer(response, row, principal)
    db.commit()
    wake_sender(request)
    return out


@router.post(
    "/{uid}/extend", response_model=RequestFull, summary="Move a deadline", name="requests_extend"
)
def extend_deadline(
    request: Request,
    response: Response,
    db: DB,
    principal: ApiWriter,
    uid: Uid,
    data: ExtendIn,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    row = service.extend(
        db,
        node_keys(request),
        principal,
        uid,
        data.deadline,
        data.due,
        data.reason,
        version=parse_etag(if_match) if if_match else None,
        client=client_of(request),
    )
    out = _answer(response, row, principal)
    db.commit()
    wake_sender(request)
    return out


@router.post(
    "/{uid}/handover",
    response_model=RequestFull,
    summary="Record the handover of a hand-over request",
    name="requests_handover",
)
def record_handover(
    request: Request,
    response: Response,
    db: DB,
    principal: ApiWriter,
    uid: Uid,
    data: HandoverIn,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """The side handing the person over records it with its answer; the requesting side,
    receiving the person, with its close. Both nodes hold it; the notices of the persons
    concerned are marked executed."""
    row = service.record_handover(
        db,
        node_keys(request),
        principal,
        uid,
        data.model_dump(exclude={"text"}, mode="json"),
        text=data.text,
        version=parse_etag(if_match) if if_match else None,
        client=client_of(request),
    )
    out = _answer(response, row, principal)
    db.commit()
    wake_sender(request)
    return out


@router.get(
    "/{uid}/attachments/{index}",
    summary="One file of a request",
    name="requests_attachment",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def get_attachment(
    request: Request,
    db: DB,
    principal: ApiPrincipal,
    uid: Uid,
    index: Annotated[int, Path(ge=0, le=1000)],
) -> Response:
    found = service.attachment(db, principal, uid, index, client=client_of(request))
    db.commit()  # the read's audit row
    return Response(
        found.data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(found.name)}",
            "X-Content-SHA256": found.sha256,
        },
    )


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")
