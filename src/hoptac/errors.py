"""One exception hierarchy for the domain. Each error carries the HTTP status it maps to,
so the web layer renders RFC 9457 problem details and the CLI prints one red line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class HoptacError(Exception):
    status: int = 500
    title: str = "Internal error"
    slug: str = "internal"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class InvalidInput(HoptacError):
    status = 422
    title = "Invalid input"
    slug = "invalid-input"


class NotFound(HoptacError):
    """Also raised for records outside the caller's scope: existence is not leaked."""

    status = 404
    title = "Not found"
    slug = "not-found"


class Unauthenticated(HoptacError):
    status = 401
    title = "Authentication required"
    slug = "unauthenticated"


class Forbidden(HoptacError):
    status = 403
    title = "Forbidden"
    slug = "forbidden"


class StaleEdit(HoptacError):
    """The record changed since the caller read it (optimistic locking, If-Match)."""

    status = 412
    title = "The record has changed"
    slug = "stale-edit"


class Conflict(HoptacError):
    status = 409
    title = "Conflict"
    slug = "conflict"
