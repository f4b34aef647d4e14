"""Errors as RFC 9457 problem details (API) — one shape, pinned by tests."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hoptac.errors import FieldError, HoptacError

MEDIA_TYPE = "application/problem+json"

_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
}


def problem(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    title: str | None = None,
    slug: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"/problems/{slug or _TITLES.get(status, 'error').lower().replace(' ', '-')}",
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def from_domain(request: Request, exc: HoptacError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return problem(
        exc.status,
        exc.detail,
        instance=request.url.path,
        title=exc.title,
        slug=exc.slug,
        errors=exc.errors,
        headers=headers,
    )


def from_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors: list[FieldError] = []
    malformed = False
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        if err.get("type") == "json_invalid":
            malformed = True
            errors.append(
                FieldError("body", f"malformed JSON: {err.get('ctx', {}).get('error', err['msg'])}")
            )
            continue
        msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            msg = "unknown field"
        errors.append(FieldError(".".join(loc) or "body", msg))
    if malformed:
        return problem(
            400,
            "The request body is not valid JSON.",
            instance=request.url.path,
            slug="malformed-json",
            errors=errors,
        )
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:3])
    return problem(
        422,
        f"The request is not valid — {summary}",
        instance=request.url.path,
        slug="invalid-input",
        errors=errors,
    )


def from_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return problem(
        exc.status_code,
        str(exc.detail),
        instance=request.url.path,
        headers=getattr(exc, "headers", None),
    )
