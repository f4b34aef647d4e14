"""CRUD routes for every registry resource, generated from the resource table.

GET /api/v1/{resource}            list (filters, limit/offset)
GET /api/v1/{resource}/{id}       one record
POST /api/v1/{resource}           create (officer, admin)
PATCH /api/v1/{resource}/{id}     partial update (owning agency's officers, admins)

Records outside the caller's scope answer 404, exactly like records that do not exist.
"""

# No `from __future__ import annotations`: the route signatures below are built from
# runtime classes, which FastAPI must see as objects, not strings.
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response
from pydantic import BaseModel

from hoptac.errors import FieldError, InvalidInput
from hoptac.registry import schemas as s
from hoptac.registry import service as svc
from hoptac.screening import schemas as screening
from hoptac.web.deps import DB, ApiPrincipal, ApiWriter
from hoptac.web.params import Id, IdFilter, Offset
from hoptac.web.resources import RESOURCES

router = APIRouter(prefix="/api/v1")

RecordId = Id

OUT: dict[str, type[BaseModel]] = {
    "agencies": s.AgencyOut,
    "sources": s.SourceOut,
    "people": s.PersonOut,
    "agreements": s.AgreementOut,
    "engagements": s.EngagementOut,
    "commitments": s.CommitmentOut,
    "notices": screening.NoticeOut,
    "registers": screening.RegisterOut,
}

FILTERS = {
    "agencies": "q (name, any script, diacritics ignored), country, kind (level)",
    "sources": "q (title)",
    "people": "q (name, diacritics and case ignored), agency_id",
    "agreements": "agency_id (a party), kind, topic",
    "engagements": "agency_id (host or visitor), kind, topic",
    "commitments": "status (open, overdue, done, dropped), agency_id (owes or is owed)",
    "notices": "q (name, any script: 王健 finds Wang Jian), status (active, withdrawn, "
    "executed), kind (wanted, missing)",
    "registers": "q (name), kind (resident, arrival, hotel)",
}


def etag(version: int) -> str:
    return f'"{version}"'


def parse_etag(value: str) -> int:
    """`"3"`, `W/"3"` or `3` -> 3."""
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidInput(
            'If-Match must be an ETag returned by GET, such as "3"',
            errors=[FieldError("If-Match", f"not an ETag of this API: {value[:40]!r}")],
        )
    return int(text)


def _register(res: svc.Resource[Any]) -> None:
    out = OUT[res.name]
    label = res.label
    tag = res.name
    page_model = s.Page[out]  # type: ignore[valid-type]

    def list_(
        db: DB,
        principal: ApiPrincipal,
        q: Annotated[str | None, Query(max_length=200)] = None,
        agency_id: IdFilter = None,
        kind: Annotated[str | None, Query(max_length=40)] = None,
        status: Annotated[str | None, Query(max_length=20)] = None,
        country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
        topic: Annotated[str | None, Query(max_length=40)] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        offset: Offset = 0,
    ) -> Any:
        query = svc.ListQuery(
            q=q,
            agency_id=agency_id,
            kind=kind,
            status=status,
            country=country,
            topic=topic,
            limit=limit,
            offset=offset,
        )
        items, total = svc.list_records(db, principal, res, query)
        return page_model(
            items=[res.out(i, principal) for i in items], total=total, limit=limit, offset=offset
        )

    def get(record_id: RecordId, db: DB, principal: ApiPrincipal, response: Response) -> Any:
        obj = svc.read_record(db, principal, res, record_id)
        db.commit()  # the audit row of the read, where the resource keeps one
        response.headers["ETag"] = etag(obj.version)
        return res.out(obj, principal)

    def create(
        body: Annotated[res.schema_in, Body()],  # type: ignore[name-defined]
        db: DB,
        principal: ApiWriter,
        response: Response,
    ) -> Any:
        obj = svc.create_record(db, principal, res, body)
        db.commit()
        response.headers["Location"] = f"/api/v1/{res.name}/{obj.id}"
        response.headers["ETag"] = etag(obj.version)
        return res.out(obj, principal)

    def patch(
        record_id: RecordId,
        body: Annotated[res.schema_patch, Body()],  # type: ignore[name-defined]
        db: DB,
        principal: ApiWriter,
        response: Response,
        if_match: Annotated[
            str | None,
            Header(description="The ETag from GET: refuse (412) if the record changed since."),
        ] = None,
    ) -> Any:
        # Attribute values, not a dump: dumping would turn typed values into plain dicts.
        changes = {name: getattr(body, name) for name in body.model_fields_set}
        expected = parse_etag(if_match) if if_match else None
        obj = svc.update_record(db, principal, res, record_id, changes, expected)
        db.commit()
        response.headers["ETag"] = etag(obj.version)
        return res.out(obj, principal)

    router.add_api_route(
        f"/{res.name}",
        list_,
        methods=["GET"],
        response_model=page_model,
        response_model_exclude_unset=True,  # restricted fields are absent, not null
        tags=[tag],
        summary=f"List {res.name}",
        name=f"list_{res.name}",
        description=f"Only records visible to the caller's agency. Filters: {FILTERS[res.name]}.",
    )
    router.add_api_route(
        f"/{res.name}/{{record_id}}",
        get,
        methods=["GET"],
        response_model=out,
        response_model_exclude_unset=True,
        tags=[tag],
        summary=f"Get {label}",
        name=f"get_{label}",
    )
    router.add_api_route(
        f"/{res.name}",
        create,
        methods=["POST"],
        response_model=out,
        response_model_exclude_unset=True,
        status_code=201,
        tags=[tag],
        summary=f"Create {label}",
        name=f"create_{label}",
    )
    router.add_api_route(
        f"/{res.name}/{{record_id}}",
        patch,
        methods=["PATCH"],
        response_model=out,
        response_model_exclude_unset=True,
        tags=[tag],
        summary=f"Change {label}",
        name=f"update_{label}",
        description="Send only the fields to change; the merged record is validated whole.",
    )


for _res in RESOURCES.values():
    _register(_res)
