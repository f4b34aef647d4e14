"""Errors as RFC 9457 problem details — one shape, built here, pinned by tests.

Every problem the node answers has the members `type` (a `/problems/{slug}` URI, explained
at that address), `title`, `status`, `detail`, `instance` (the path asked for) and
`errors` (each `{field, message}`; empty when no field is to blame), with the content
type `application/problem+json`. The types and titles live in `hoptac.errors`; the API,
the app's error handlers and the middleware's early refusals all build their bodies with
`body` / `problem` below. The OpenAPI document declares the same shape (`Problem`)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from hoptac.errors import (
    INVALID_INPUT,
    MALFORMED_JSON,
    PROBLEM_TYPES,
    UNSUPPORTED_MEDIA_TYPE,
    FieldError,
    HoptacError,
    NotFound,
    ProblemType,
    problem_type,
)

MEDIA_TYPE = "application/problem+json"
CRASH_DETAIL = "An unexpected error occurred; nothing was saved."


class FieldErrorOut(BaseModel):
    field: str = Field(
        description="The dotted path of the field in the body (`participants.0.person_id`), "
        "or the parameter's name (`limit`, `if-match`); `body` is the body as a whole.",
        examples=["owed_by_id"],
    )
    message: str = Field(examples=["agency 999999 does not exist"])


class Problem(BaseModel):
    """An error (RFC 9457 problem details), sent as application/problem+json."""

    type: str = Field(
        description="What kind of problem: GET this URI (relative to the node) for an explanation.",
        examples=["/problems/invalid-input"],
    )
    title: str = Field(description="The kind's short name; the same for every occurrence.")
    status: int = Field(description="The HTTP status, repeated.")
    detail: str = Field(description="This occurrence, for people.")
    instance: str = Field(description="The path that was asked for.")
    errors: list[FieldErrorOut] = Field(description="The fields to blame; may be empty.")


def body(
    kind: ProblemType,
    detail: str,
    *,
    instance: str,
    errors: list[FieldError] | None = None,
) -> dict[str, Any]:
    """The one problem shape, as a dict (the middleware writes it itself)."""
    return {
        "type": kind.type,
        "title": kind.title,
        "status": kind.status,
        "detail": detail,
        "instance": instance,
        "errors": [{"field": e.field, "message": e.message} for e in errors or []],
    }


def problem(
    kind: ProblemType | int,
    detail: str,
    *,
    instance: str,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    kind = problem_type(kind) if isinstance(kind, int) else kind
    return JSONResponse(
        body(kind, detail, instance=instance, errors=errors),
        status_code=kind.status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def from_domain(request: Request, exc: HoptacError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem(
        type(exc).problem, exc.detail, instance=request.url.path, errors=exc.errors,
        headers=headers,
    )  # fmt: skip


LOCATIONS = ("body", "query", "path", "header", "cookie")


def field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    """FastAPI's error location as one spelling: the dotted path in the body or the
    parameter's name, without the location (`("body", "parties", 0)` -> `parties.0`)."""
    parts = [str(p) for p in loc]
    where = parts.pop(0) if parts and parts[0] in LOCATIONS else "body"
    return ".".join(parts) or where


def _is_json(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip().lower()
    main, _, sub = kind.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def from_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors: list[FieldError] = []
    malformed = False
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            malformed = True
            errors.append(
                FieldError("body", f"malformed JSON: {err.get('ctx', {}).get('error', err['msg'])}")
            )
            continue
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            msg = "unknown field"
        errors.append(FieldError(field_name(err.get("loc", ())), msg))
    instance = request.url.path
    if malformed:
        return problem(
            MALFORMED_JSON, "The request body is not valid JSON.", instance=instance, errors=errors
        )
    content_type = request.headers.get("content-type")
    body_blamed = any(str((e.get("loc") or ("",))[0]) == "body" for e in exc.errors())
    if body_blamed and content_type and not _is_json(content_type):
        # FastAPI reads a JSON body only when it is sent as JSON: anything else arrives as
        # bytes and fails the model; the honest answer is the media type.
        return problem(
            UNSUPPORTED_MEDIA_TYPE,
            f"Send the body as JSON (Content-Type: application/json), not "
            f"{content_type.split(';')[0].strip()[:60]}.",
            instance=instance,
        )
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:3])
    return problem(
        INVALID_INPUT, f"The request is not valid — {summary}", instance=instance, errors=errors
    )


def allowed_methods(request: Request) -> list[str]:
    """Every method of every route at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    routes = list(request.app.router.routes)
    while routes:
        route = routes.pop()
        inner = getattr(route, "original_router", None)  # FastAPI's wrapper of a router
        if inner is not None:
            routes.extend(inner.routes)
            continue
        found = getattr(route, "methods", None)
        if found and route.matches(request.scope)[0] is not Match.NONE:
            methods |= set(found)
    return sorted(methods)


def http_headers(request: Request, exc: StarletteHTTPException) -> dict[str, str] | None:
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return headers or None


def from_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return problem(
        exc.status_code,
        str(exc.detail),
        instance=request.url.path,
        headers=http_headers(request, exc),
    )


def crash(request: Request) -> JSONResponse:
    return problem(500, CRASH_DETAIL, instance=request.url.path)


# ---- the OpenAPI document: one Problem schema for every error --------------------------

ERROR_STATUSES = (400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 500)
RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": problem_type(status).title}
    for status in ERROR_STATUSES
}


def openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """`app.openapi`: FastAPI's document, with every error declared as a Problem sent as
    application/problem+json, and FastAPI's own validation error schema gone (the server
    never sends it)."""

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            description=app.description,
            routes=app.routes,
        )
        ref = "#/components/schemas/Problem"
        for operations in spec.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    declared = content.get("application/json", {}).get("schema", {})
                    if status.isdigit() and int(status) >= 400 and declared.get("$ref") == ref:
                        response["content"] = {MEDIA_TYPE: {"schema": {"$ref": ref}}}
        schemas = spec.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = spec
        return spec

    return build


# ---- the type URIs resolve: what each problem means --------------------------------------

router = APIRouter()

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · hoptac</title><link rel="stylesheet" href="/static/app.css"></head>
<body><main class="container"><section class="card narrow">
<h1>{title}</h1><p>HTTP {status} · <code>{type}</code></p><p>{explanation}</p>
<p>Errors are RFC 9457 problem details (<code>application/problem+json</code>):
<code>type</code>, <code>title</code>, <code>status</code>, <code>detail</code>,
<code>instance</code> and <code>errors</code> (each <code>field</code> and
<code>message</code>).</p><p><a href="/api/v1/docs">API documentation</a></p>
</section></main></body></html>"""


@router.get("/problems/{slug}", include_in_schema=False, name="problem_type")
def explain(slug: str, request: Request) -> Response:
    """What a problem type means: a page for people, JSON for programs (Accept)."""
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        raise NotFound(f"no problem type '{slug[:60]}'")
    info = {
        "type": kind.type, "title": kind.title, "status": kind.status,
        "explanation": kind.explanation,
    }  # fmt: skip
    if "json" in request.headers.get("accept", "") and "html" not in request.headers.get(
        "accept", ""
    ):
        return JSONResponse(info)
    return HTMLResponse(_PAGE.format(**{k: html.escape(str(v)) for k, v in info.items()}))
