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

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        object_type: str | None = None,
        object_id: int | None = None,
        hidden_from: int | None = None,
        audited: bool = False,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        # For the audit rows of a refusal (401, 403, 404): the record asked for; when it
        # exists outside the caller's scope, the agency that owns it (`hidden_from`: its
        # admins are told, the caller's are not: that would tell them it exists); and
        # whether the raiser has already written the row (then the web layer does not).
        self.object_type = object_type
        self.object_id = object_id
        self.hidden_from = hidden_from
        self.audited = audited


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


class Unavailable(HoptacError):
    """The node cannot serve this now (a key file missing): the operator must act."""

    status = 503
    title = "Service unavailable"
    slug = "unavailable"
