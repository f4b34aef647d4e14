"""CSV imports over the API (the upload pages' service, for scripts), and notices sent
to partner nodes.

POST /api/v1/notices/import              body: the CSV (Content-Type: text/csv)
POST /api/v1/registers/{id}/import       body: the CSV
POST /api/v1/notices/{id}/send           {"to": [node ids], "handling": "H0".."H3"}
GET  /api/v1/notices/{id}/shares         the partner nodes a notice was sent to
GET  /api/v1/screening/hits              the review queue: likely first, best first; audited
GET  /api/v1/screening/hits/{id}         one hit with its reasons; audited

The imports answer how many rows were added, updated (same id) and refused, with each
refused row's line and reason. Officers and admins of the owning agency only.
"""

# No `from __future__ import annotations`: FastAPI reads the signatures at runtime.
import io
from datetime import datetime
from typing import Annotated, Any, Literal, TextIO

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from hoptac.db.models import NoticeShare
from hoptac.errors import UnsupportedMediaType
from hoptac.registry import service as svc
from hoptac.registry.schemas import Page
from hoptac.screening import exchange, service
from hoptac.types import HitStatus, Sharing
from hoptac.web.api import RESPONSES, operation_id
from hoptac.web.deps import DB, ApiPrincipal, ApiWriter, node_keys, settings_of, wake_sender
from hoptac.web.params import Id

router = APIRouter(
    prefix="/api/v1",
    tags=["screening"],
    responses=RESPONSES,
    generate_unique_id_function=operation_id,
)


class RowErrorOut(BaseModel):
    line: int
    reason: str


class ImportOut(BaseModel):
    added: int
    updated: int
    refused: int
    errors: list[RowErrorOut]


def _out(report: service.ImportReport) -> ImportOut:
    errors = [RowErrorOut(line=e.line, reason=e.reason) for e in report.errors]
    return ImportOut(
        added=report.added, updated=report.updated, refused=report.refused, errors=errors
    )


async def _csv(request: Request) -> TextIO:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("text/csv", "application/csv"):
        raise UnsupportedMediaType("send the file as the body, with Content-Type: text/csv")
    body = await request.body()
    limit = settings_of(request).max_upload_bytes
    return service.open_upload(io.BytesIO(body), "body.csv", limit)


@router.post(
    "/notices/import",
    response_model=ImportOut,
    summary="Import notices (CSV)",
    name="notices_import",
)
async def import_notices(
    request: Request,
    db: DB,
    principal: ApiWriter,
    sharing: Annotated[
        Literal[Sharing.AGENCY, Sharing.ALL],
        Query(description="Sharing of new notices: agency or all (name partners per notice)."),
    ] = Sharing.AGENCY,
) -> ImportOut:
    """`notice_id,name,alt_names,birth_date,sex,nationality,document_number,issuing_agency,
    charges`; a notice already imported (same notice_id) is updated, its status kept."""
    text = await _csv(request)
    report = await run_in_threadpool(service.import_notices, db, principal, text, sharing)
    return _out(report)


@router.post(
    "/registers/{record_id}/import",
    response_model=ImportOut,
    summary="Import register records",
    name="registers_import",
)
async def import_records(
    record_id: Id,
    request: Request,
    db: DB,
    principal: ApiWriter,
) -> ImportOut:
    """`record_id,name,birth_date,sex,nationality,document_number,source,seen_at`; a record
    already imported (same record_id) is updated."""
    text = await _csv(request)
    report = await run_in_threadpool(service.import_records, db, principal, record_id, text)
    return _out(report)


class NoticeSendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: list[Annotated[str, Field(max_length=64)]] = Field(
        min_length=1, max_length=50, description="The partner nodes' ids."
    )
    handling: Literal["H0", "H1", "H2", "H3"] | None = Field(
        None,
        description="H0 if omitted for a new partner; for a partner that has the notice, "
        "omitted keeps its code, another sends it again under the new one.",
    )
    handling_note: str | None = Field(None, max_length=500, description="Required with H3.")


class NoticeShareOut(BaseModel):
    node: str = Field(description="The partner node's id.")
    name: str
    handling: str
    shared_by: str
    shared_at: datetime
    sent_version: int = Field(description="The notice's version the partner was last sent.")
    sent_at: datetime | None


def _shares_out(shares: list[NoticeShare]) -> list[NoticeShareOut]:
    return [
        NoticeShareOut(
            node=sh.peer.node_id,
            name=sh.peer.name,
            handling=sh.handling,
            shared_by=sh.shared_by,
            shared_at=sh.shared_at,
            sent_version=sh.sent_version,
            sent_at=sh.sent_at,
        )
        for sh in shares
    ]


@router.post(
    "/notices/{record_id}/send",
    response_model=list[NoticeShareOut],
    summary="Send a notice to partner nodes",
    name="notices_send",
)
def send_notice(
    record_id: Id, body: NoticeSendIn, request: Request, db: DB, principal: ApiWriter
) -> list[NoticeShareOut]:
    """Send one of the agency's notices over the hotline; each later change (its status
    above all) follows by itself. Answers every node the notice was sent to."""
    shares = exchange.send(
        db,
        node_keys(request),
        principal,
        record_id,
        body.to,
        body.handling,
        body.handling_note,
    )
    out = _shares_out(shares)
    db.commit()
    wake_sender(request)
    return out


@router.get(
    "/notices/{record_id}/shares",
    response_model=list[NoticeShareOut],
    summary="The partner nodes a notice was sent to",
    name="notices_shares",
)
def notice_shares(record_id: Id, db: DB, principal: ApiPrincipal) -> list[NoticeShareOut]:
    """Only the owning agency sees whom its notice was sent to."""
    notice = svc.get_record(db, principal, service.NOTICES, record_id)
    if notice.owner_agency_id != principal.agency_id:
        return []
    return _shares_out(exchange.shares_of(db, notice))


class HitSide(BaseModel):
    id: int
    ref: str | None
    name: str
    birth: str | None


class HitOut(BaseModel):
    id: int
    job_id: int
    notice: HitSide
    record: HitSide
    register_id: int
    score: float
    band: Literal["likely", "possible"] = Field(
        description="likely: at or above the screening's threshold; possible: below it."
    )
    rivals: int = Field(
        description="How many of the notice's hits in the screening share this score "
        "(1: none): records to tell apart by photo or document, reviewed together."
    )
    reasons: list[str]
    status: str
    decision_reason: str | None
    reviewer: str | None
    reviewed_at: datetime | None


def _side(obj: Any) -> HitSide:
    return HitSide(
        id=obj.id,
        ref=obj.ref,
        name=obj.name,
        birth=svc.iso_date(obj.birth_on, obj.birth_precision),
    )


def _hit_out(hit: Any) -> HitOut:
    return HitOut(
        id=hit.id,
        job_id=hit.job_id,
        notice=_side(hit.notice),
        record=_side(hit.record),
        register_id=hit.record.register_id,
        score=hit.score,
        band=hit.band,
        rivals=hit.rivals,
        reasons=service.reason_lines(hit.reasons),
        status=hit.status.value,
        decision_reason=hit.decision_reason,
        reviewer=hit.reviewer,
        reviewed_at=hit.reviewed_at,
    )


@router.get(
    "/screening/hits",
    response_model=Page[HitOut],
    summary="The review queue",
    name="screening_hits",
)
def list_hits(
    db: DB,
    principal: ApiPrincipal,
    status: Annotated[
        Literal["pending", "confirmed", "rejected", "closed", "all"], Query()
    ] = "pending",
    job: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    notice: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    band: Annotated[Literal["likely", "possible"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """Hits the caller may see, the likely band first, best score first."""
    chosen = None if status == "all" else HitStatus(status)
    rows, total = service.list_hits(
        db, principal, chosen, job, notice, offset, limit, audited=True, band=band
    )
    items = [_hit_out(h) for h in rows]
    db.commit()  # the audit row of the listing
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get(
    "/screening/hits/{record_id}",
    response_model=HitOut,
    summary="One hit",
    name="screening_hit",
)
def get_hit(record_id: Id, db: DB, principal: ApiPrincipal) -> HitOut:
    out = _hit_out(service.read_hit(db, principal, record_id))
    db.commit()  # the audit row of the read
    return out
