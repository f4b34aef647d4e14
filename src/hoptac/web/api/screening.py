"""CSV imports over the API (the upload pages' service, for scripts), and notices sent
to partner nodes.

POST /api/v1/notices/import              body: the CSV (Content-Type: text/csv)
POST /api/v1/registers/{id}/import       body: the CSV
POST /api/v1/notices/{id}/send           {"to": [node ids], "handling": "H0".."H3"}
GET  /api/v1/notices/{id}/shares         the partner nodes a notice was sent to

The imports answer how many rows were added, updated (same id) and refused, with each
refused row's line and reason. Officers and admins of the owning agency only.
"""

# No `from __future__ import annotations`: FastAPI reads the signatures at runtime.
import io
from datetime import datetime
from typing import Annotated, Literal, TextIO

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from hoptac.db.models import NoticeShare
from hoptac.errors import UnsupportedMediaType
from hoptac.registry import service as svc
from hoptac.screening import exchange, service
from hoptac.types import Sharing
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
    handling: Literal["H0", "H1", "H2", "H3"] = "H0"
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
