"""Cases over the API.

GET  /api/v1/cases                                    a page of the agency's cases
POST /api/v1/cases                                    open one (201, Location, ETag)
GET  /api/v1/cases/{ref}                              the case: links, evidence, timeline; audited
POST /api/v1/cases/{ref}/links                        tie in a request, notice, hit, person, thread
POST /api/v1/cases/{ref}/evidence                     an item: a file (multipart) or a physical one
GET  /api/v1/cases/{ref}/evidence/{item}/file         the file; audited
POST /api/v1/cases/{ref}/evidence/{item}/custody      one more hand in its chain of custody
POST /api/v1/cases/{ref}/transfer                     to another officer or agency, with a reason
POST /api/v1/cases/{ref}/close                        refused (409) while a request is open
POST /api/v1/cases/{ref}/shares                       let another agency read it, up to H0-H3
DELETE /api/v1/cases/{ref}/shares/{agency_id}         stop sharing it with that agency

The owning agency's officers and admins change a case; an agency it is shared with reads
it (its requests and threads up to the share's handling code) and gets 403 on a change;
any other agency gets 404, a viewer 403.
"""

# No `from __future__ import annotations`: FastAPI reads the signatures at runtime.
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Header, Path, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from hoptac.assistance import cases
from hoptac.registry.schemas import Page, UtcDateTime
from hoptac.web.api import RESPONSES, operation_id
from hoptac.web.api.records import etag, parse_etag
from hoptac.web.deps import DB, ApiPrincipal, ApiWriter, client_of
from hoptac.web.params import Offset

router = APIRouter(
    prefix="/api/v1/cases",
    tags=["cases"],
    responses=RESPONSES,
    generate_unique_id_function=operation_id,
)

Ref = Annotated[str, Path(min_length=1, max_length=40, description="The case's reference.")]
Item = Annotated[int, Path(ge=1, le=2**62, description="The evidence item's id.")]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description="Optional. The ETag from GET: 412 if the case changed."),
]


class CaseIn(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    summary: str = Field("", max_length=cases.MAX_TEXT)
    officer: str | None = Field(None, max_length=80, description="Default: you.")


class LinkIn(BaseModel):
    kind: str = Field(description="request, notice, hit, person or thread.")
    target: str = Field(min_length=1, max_length=40, description="Its id (a request's uid).")


class CustodyIn(BaseModel):
    to_holder: str = Field(min_length=1, max_length=200)
    place: str = Field(min_length=1, max_length=300)
    reason: str = Field(min_length=1, max_length=2000)
    at: datetime | None = Field(None, description="When it changed hands (default: now).")


class TransferIn(BaseModel):
    officer: str | None = Field(None, max_length=80)
    agency_id: int | None = Field(None, ge=1, le=2**62)
    reason: str = Field(min_length=1, max_length=2000)


class LinkOut(BaseModel):
    kind: str
    ref: str
    added_by: str
    added_at: UtcDateTime


class CustodyOut(BaseModel):
    from_holder: str
    to_holder: str
    at: UtcDateTime
    place: str
    reason: str
    recorded_by: str


class EvidenceOut(BaseModel):
    id: int
    kind: str
    description: str
    name: str | None
    size: int | None
    sha256: str | None
    holder: str
    location: str | None
    added_by: str
    added_at: UtcDateTime
    custody: list[CustodyOut]


class EntryOut(BaseModel):
    at: UtcDateTime
    source: str
    what: str
    detail: dict[str, Any]
    href: str | None


class CaseOut(BaseModel):
    ref: str
    agency_id: int
    officer: str
    title: str
    summary: str
    status: str
    closed_at: UtcDateTime | None
    version: int
    created_at: UtcDateTime
    updated_at: UtcDateTime


class ShareIn(BaseModel):
    agency_id: int = Field(ge=1, le=2**31 - 1)
    max_handling: str = Field(pattern="^H[0-3]$", description="H0, H1, H2 or H3.")


class ShareOut(BaseModel):
    agency_id: int
    agency: str
    max_handling: str
    shared_by: str
    shared_at: UtcDateTime


class CaseFull(CaseOut):
    shared_with_you: str | None = Field(
        None,
        description="The handling code up to which the case is shared with your agency "
        "(null: it is your agency's).",
    )
    shares: list[ShareOut] = Field(description="The agencies it is shared with (owner only).")
    links: list[LinkOut]
    evidence: list[EvidenceOut]
    timeline: list[EntryOut] = Field(description="Newest first.")


def _out(case: Any) -> dict[str, Any]:
    return {
        k: getattr(case, k)
        for k in (
            "ref", "agency_id", "officer", "title", "summary", "status", "closed_at",
            "version", "created_at", "updated_at",
        )
    }  # fmt: skip


def _full(db: Any, principal: Any, case: Any, response: Response) -> dict[str, Any]:
    response.headers["ETag"] = etag(case.version)
    share = cases.share_of(case, principal)
    return {
        **_out(case),
        "shared_with_you": share.max_handling if share is not None else None,
        "shares": [] if share is not None else [
            {"agency_id": s.agency_id, "agency": s.agency.name_vi,
             "max_handling": s.max_handling, "shared_by": s.shared_by, "shared_at": s.shared_at}
            for s in case.shares
        ],
        "links": [
            {"kind": x.kind, "ref": x.ref, "added_by": x.added_by, "added_at": x.added_at}
            for x in cases.visible_links(db, principal, case)
        ],
        "evidence": [
            {
                "id": e.id, "kind": e.kind, "description": e.description, "name": e.name,
                "size": e.size, "sha256": e.sha256, "holder": e.holder, "location": e.location,
                "added_by": e.added_by, "added_at": e.added_at,
                "custody": [
                    {"from_holder": t.from_holder, "to_holder": t.to_holder, "at": t.at,
                     "place": t.place, "reason": t.reason, "recorded_by": t.recorded_by}
                    for t in e.custody
                ],
            }
            for e in case.evidence
        ],
        "timeline": [
            {"at": t.at, "source": t.source, "what": t.what, "detail": dict(t.detail),
             "href": t.href}
            for t in cases.timeline(db, principal, case)
        ],
    }  # fmt: skip


def _version(if_match: str | None) -> int | None:
    return parse_etag(if_match) if if_match else None


@router.get("", response_model=Page[CaseOut], summary="The agency's cases", name="cases_list")
def list_cases(
    request: Request,
    db: DB,
    principal: ApiPrincipal,
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    rows, total = cases.list_cases(
        db, principal, status=status, limit=limit, offset=offset, client=client_of(request)
    )
    items = [_out(c) for c in rows]
    db.commit()
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.post(
    "", response_model=CaseFull, status_code=201, summary="Open a case", name="cases_create"
)
def create_case(
    request: Request, response: Response, db: DB, principal: ApiWriter, data: CaseIn
) -> dict[str, Any]:
    case = cases.open_case(
        db, principal, data.title, data.summary, officer=data.officer, client=client_of(request)
    )
    out = _full(db, principal, case, response)
    db.commit()
    response.headers["Location"] = f"/api/v1/cases/{quote(case.ref)}"
    return out


@router.get("/{ref}", response_model=CaseFull, summary="One case", name="cases_get")
def get_case(
    request: Request, response: Response, db: DB, principal: ApiPrincipal, ref: Ref
) -> dict[str, Any]:
    case = cases.read_case(db, principal, ref, client=client_of(request))
    out = _full(db, principal, case, response)
    db.commit()
    return out


@router.post("/{ref}/links", response_model=CaseFull, summary="Tie a record in", name="cases_link")
def link(
    request: Request,
    response: Response,
    db: DB,
    principal: ApiWriter,
    ref: Ref,
    data: LinkIn,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    cases.link(
        db, principal, ref, data.kind, data.target, version=_version(if_match),
        client=client_of(request),
    )  # fmt: skip
    out = _full(db, principal, cases.get_case(db, principal, ref), response)
    db.commit()
    return out


@router.post(
    "/{ref}/evidence",
    response_model=EvidenceOut,
    status_code=201,
    summary="Add an evidence item",
    name="cases_evidence_add",
)
async def add_evidence(
    request: Request,
    db: DB,
    principal: ApiWriter,
    ref: Ref,
    kind: Annotated[str, Form(description="file or physical")],
    description: Annotated[str, Form(max_length=cases.MAX_TEXT)],
    holder: Annotated[str, Form(max_length=200, description="Who holds it now.")],
    location: Annotated[str | None, Form(max_length=300)] = None,
    file: Annotated[UploadFile | None, File(description="The file (kind=file).")] = None,
) -> dict[str, Any]:
    upload = None
    if file is not None:
        data = await file.read(cases.EVIDENCE_MAX_BYTES + 1)
        upload = cases.File(file.filename or "file", file.content_type or "", data)
    item = cases.add_evidence(
        db, principal, ref, kind=kind, description=description, holder=holder,
        location=location, file=upload, client=client_of(request),
    )  # fmt: skip
    out = {
        "id": item.id, "kind": item.kind, "description": item.description, "name": item.name,
        "size": item.size, "sha256": item.sha256, "holder": item.holder,
        "location": item.location, "added_by": item.added_by, "added_at": item.added_at,
        "custody": [],
    }  # fmt: skip
    db.commit()
    return out


@router.get(
    "/{ref}/evidence/{item}/file",
    summary="An evidence file",
    name="cases_evidence_file",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def evidence_file(
    request: Request, db: DB, principal: ApiPrincipal, ref: Ref, item: Item
) -> Response:
    found = cases.evidence_file(db, principal, ref, item, client=client_of(request))
    db.commit()
    return Response(
        found.data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.name or 'file')}",
            "X-Content-SHA256": found.sha256 or "",
        },
    )


@router.post(
    "/{ref}/evidence/{item}/custody",
    response_model=CustodyOut,
    status_code=201,
    summary="Record a transfer of custody",
    name="cases_custody",
)
def custody(
    request: Request, db: DB, principal: ApiWriter, ref: Ref, item: Item, data: CustodyIn
) -> dict[str, Any]:
    row = cases.transfer_custody(
        db, principal, ref, item, to_holder=data.to_holder, place=data.place,
        reason=data.reason, at=data.at, client=client_of(request),
    )  # fmt: skip
    out = {
        "from_holder": row.from_holder, "to_holder": row.to_holder, "at": row.at,
        "place": row.place, "reason": row.reason, "recorded_by": row.recorded_by,
    }  # fmt: skip
    db.commit()
    return out


@router.post(
    "/{ref}/transfer", response_model=CaseOut, summary="Transfer the case", name="cases_transfer"
)
def transfer(
    request: Request,
    response: Response,
    db: DB,
    principal: ApiWriter,
    ref: Ref,
    data: TransferIn,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    case = cases.transfer(
        db, principal, ref, officer=data.officer, agency_id=data.agency_id, reason=data.reason,
        version=_version(if_match), client=client_of(request),
    )  # fmt: skip
    out = _out(case)
    response.headers["ETag"] = etag(case.version)
    db.commit()
    return out


@router.post("/{ref}/close", response_model=CaseOut, summary="Close the case", name="cases_close")
def close(
    request: Request,
    response: Response,
    db: DB,
    principal: ApiWriter,
    ref: Ref,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    case = cases.close(db, principal, ref, version=_version(if_match), client=client_of(request))
    out = _out(case)
    response.headers["ETag"] = etag(case.version)
    db.commit()
    return out


@router.post(
    "/{ref}/shares", response_model=CaseFull, summary="Share the case with an agency",
    name="cases_share",
)  # fmt: skip
def share(
    request: Request,
    response: Response,
    db: DB,
    principal: ApiWriter,
    ref: Ref,
    data: ShareIn,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    cases.share(
        db, principal, ref, data.agency_id, data.max_handling, version=_version(if_match),
        client=client_of(request),
    )  # fmt: skip
    out = _full(db, principal, cases.get_case(db, principal, ref), response)
    db.commit()
    return out


@router.delete(
    "/{ref}/shares/{agency_id}", response_model=CaseFull, summary="Stop sharing the case",
    name="cases_unshare",
)  # fmt: skip
def unshare(
    request: Request,
    response: Response,
    db: DB,
    principal: ApiWriter,
    ref: Ref,
    agency_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    if_match: IfMatch = None,
) -> dict[str, Any]:
    case = cases.unshare(
        db, principal, ref, agency_id, version=_version(if_match), client=client_of(request)
    )
    out = _full(db, principal, case, response)
    db.commit()
    return out
