"""CSV imports over the API: the upload pages' service, for scripts.

POST /api/v1/notices/import              body: the CSV (Content-Type: text/csv)
POST /api/v1/registers/{id}/import       body: the CSV

Both answer how many rows were added, updated (same id) and refused, with each refused
row's line and reason. Officers and admins of the owning agency only.
"""

# No `from __future__ import annotations`: FastAPI reads the signatures at runtime.
import io
from typing import Annotated, Literal, TextIO

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from hoptac.errors import UnsupportedMediaType
from hoptac.screening import service
from hoptac.types import Sharing
from hoptac.web.api import RESPONSES, operation_id
from hoptac.web.deps import DB, ApiWriter, settings_of
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
