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

from hoptac.errors import FieldError, InvalidInput
from hoptac.registry import schemas as s
from hoptac.registry import service as svc
from hoptac.types import whole_number
from hoptac.web.api import RESPONSES, operation_id
from hoptac.web.deps import DB, ApiPrincipal, ApiWriter
from hoptac.web.params import Id
from hoptac.web.resources import RESOURCES

router = APIRouter(prefix="/api/v1", responses=RESPONSES, generate_unique_id_function=operation_id)

RecordId = Id


def etag(version: int) -> str:
    return f'"{version}"'


def parse_etag(value: str) -> int | None:
    """`"3"`, `W/"3"` or `3` -> 3; `*` (any version: the record must exist) -> None."""
    if value.strip() == "*":
        return None
    text = value.strip().removeprefix("W/").strip('"')
    version = whole_number(text)
    if version is None:
        raise InvalidInput(
            'If-Match must be an ETag returned by GET, such as "3"',
            errors=[FieldError("if-match", f"not an ETag of this API: {value[:40]!r}")],
        )
    return version


def _register(res: svc.Resource[Any]) -> None:
    out = res.schema_out
    label = res.label
    tag = res.name
    page_model = s.Page[out]  # type: ignore[valid-type]

    def list_(
        db: DB,
        principal: ApiPrincipal,
        filters: Annotated[res.filters, Query()],  # type: ignore[name-defined]
    ) -> Any:
        query = svc.ListQuery(**filters.model_dump())
        items, total = svc.list_records(db, principal, res, query)
        return page_model(
            items=[res.out(i, principal) for i in items],
            total=total,
            limit=query.limit,
            offset=query.offset,
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
            Header(
                description="Optional. The ETag from GET: refuse (412) if the record changed "
                "since; `*` matches any version. Without it the change is applied to the "
                "current version (last writer wins)."
            ),
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
        name=f"{res.name}_list",
        description="Only records visible to the caller's agency. Filters: "
        + ", ".join(n for n in res.filters.model_fields if n not in ("limit", "offset"))
        + "; any other query parameter is refused (422).",
    )
    router.add_api_route(
        f"/{res.name}/{{record_id}}",
        get,
        methods=["GET"],
        response_model=out,
        response_model_exclude_unset=True,
        tags=[tag],
        summary=f"Get {label}",
        name=f"{res.name}_get",
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
        name=f"{res.name}_create",
    )
    router.add_api_route(
        f"/{res.name}/{{record_id}}",
        patch,
        methods=["PATCH"],
        response_model=out,
        response_model_exclude_unset=True,
        tags=[tag],
        summary=f"Change {label}",
        name=f"{res.name}_update",
        description="Send only the fields to change; the merged record is validated whole.",
    )


for _res in RESOURCES.values():
    _register(_res)
