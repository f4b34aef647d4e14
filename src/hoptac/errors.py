"""One exception hierarchy for the domain, and one table of the problems it maps to.

Every error answered by the node (API, pages, the middleware's early refusals) is one of
the `ProblemType`s below: its HTTP status, its `type` URI (`/problems/{slug}`, explained
at that address) and its title. The web layer renders them as RFC 9457 problem details
(`hoptac.web.problems`), the pages as an error page with the same status, and the CLI
prints `error: detail` and exits 1."""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus
from typing import ClassVar


@dataclass(frozen=True)
class FieldError:
    """One field's complaint. `field` is the dotted path of the field in the body, or a
    parameter's name (`owed_by_id`, `participants.0.person_id`, `limit`, `if-match`);
    `body` stands for the body as a whole."""

    field: str
    message: str


@dataclass(frozen=True)
class ProblemType:
    status: int
    slug: str  # "" for about:blank (no semantics beyond the HTTP status)
    title: str
    explanation: str = ""

    @property
    def type(self) -> str:
        return f"/problems/{self.slug}" if self.slug else "about:blank"


BAD_REQUEST = ProblemType(
    400, "bad-request", "Bad request", "The request could not be read (a malformed form body)."
)
MALFORMED_JSON = ProblemType(
    400,
    "malformed-json",
    "Malformed JSON",
    "The request body is not valid JSON. `errors` names where the parser stopped.",
)
# The token endpoint's refusals (OAuth2, RFC 6749 §5.2: a 400 whose `error` is the code).
OAUTH_INVALID_REQUEST = ProblemType(
    400,
    "invalid-request",
    "Invalid token request",
    "OAuth2 `invalid_request`: the token request lacks the username or the password, or a "
    "value is longer than any valid one.",
)
OAUTH_INVALID_GRANT = ProblemType(
    400,
    "invalid-grant",
    "Credentials refused",
    "OAuth2 `invalid_grant`: the username, the password or the authenticator code is "
    "wrong, or the account is not ready for API tokens (sign in on the web first). Every "
    "such refusal reads alike; repeated failures lock the account.",
)
OAUTH_UNSUPPORTED_GRANT_TYPE = ProblemType(
    400,
    "unsupported-grant-type",
    "Unsupported grant type",
    "OAuth2 `unsupported_grant_type`: only `grant_type=password` is supported.",
)
OAUTH_ERRORS = {
    "invalid_request": OAUTH_INVALID_REQUEST,
    "invalid_grant": OAUTH_INVALID_GRANT,
    "unsupported_grant_type": OAUTH_UNSUPPORTED_GRANT_TYPE,
}
UNAUTHENTICATED = ProblemType(
    401,
    "unauthenticated",
    "Authentication required",
    "No valid bearer token was sent. Get one at POST /api/v1/auth/token and send it as "
    "`Authorization: Bearer TOKEN`.",
)
FORBIDDEN = ProblemType(
    403,
    "forbidden",
    "Forbidden",
    "Your role may not do this (a viewer may read but not write; some pages are for "
    "administrators). The refusal is audited.",
)
NOT_FOUND = ProblemType(
    404,
    "not-found",
    "Not found",
    "The record does not exist or is not shared with your agency: the two read alike.",
)
METHOD_NOT_ALLOWED = ProblemType(
    405,
    "method-not-allowed",
    "Method not allowed",
    "The path exists but not with this method; the `Allow` header lists its methods.",
)
CONFLICT = ProblemType(
    409,
    "conflict",
    "Conflict",
    "The request conflicts with the stored state: a value that must be unique is taken "
    "(`errors` names the field), or the thing was already done.",
)
STALE_EDIT = ProblemType(
    412,
    "stale-edit",
    "The record has changed",
    "The If-Match ETag is not the record's current version: someone changed it since you "
    "read it. GET it again, apply your change and send the new ETag. If-Match is optional; "
    "`*` matches any version.",
)
TOO_LARGE = ProblemType(
    413,
    "request-too-large",
    "Request too large",
    "The request body is over the node's limit; split an upload into parts.",
)
UNSUPPORTED_MEDIA_TYPE = ProblemType(
    415,
    "unsupported-media-type",
    "Unsupported media type",
    "The body's Content-Type is not one this operation reads: JSON bodies need "
    "application/json (or a +json type), CSV imports text/csv.",
)
INVALID_INPUT = ProblemType(
    422,
    "invalid-input",
    "Invalid input",
    "The request was read but a value is not valid; `errors` names each field (a dotted "
    "path into the body, or the parameter's name) and the reason.",
)
TOO_MANY_REQUESTS = ProblemType(
    429,
    "too-many-requests",
    "Too many requests",
    "Too many requests from this address or partner; retry after the `Retry-After` seconds.",
)
INTERNAL = ProblemType(
    500,
    "internal",
    "Internal error",
    "Something failed on the node; nothing was saved. The operator has the details.",
)
UNAVAILABLE = ProblemType(
    503,
    "unavailable",
    "Service unavailable",
    "The node cannot serve this now (a key file missing): its operator must act.",
)

PROBLEM_TYPES: dict[str, ProblemType] = {
    p.slug: p
    for p in (
        BAD_REQUEST,
        MALFORMED_JSON,
        *OAUTH_ERRORS.values(),
        UNAUTHENTICATED,
        FORBIDDEN,
        NOT_FOUND,
        METHOD_NOT_ALLOWED,
        CONFLICT,
        STALE_EDIT,
        TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
        INVALID_INPUT,
        TOO_MANY_REQUESTS,
        INTERNAL,
        UNAVAILABLE,
    )
}
_BY_STATUS: dict[int, ProblemType] = {}
for _p in PROBLEM_TYPES.values():
    _BY_STATUS.setdefault(_p.status, _p)


def problem_type(status: int) -> ProblemType:
    """The problem of an HTTP status raised outside the domain (a route not found, a
    method not allowed): ours when we have one, else RFC 9457's about:blank."""
    known = _BY_STATUS.get(status)
    if known is not None:
        return known
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    return ProblemType(status, "", phrase)


class HoptacError(Exception):
    """A domain error; its class names its problem (status, type, title)."""

    problem: ClassVar[ProblemType] = INTERNAL
    status: ClassVar[int] = INTERNAL.status
    title: ClassVar[str] = INTERNAL.title
    slug: ClassVar[str] = INTERNAL.slug

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.status, cls.title, cls.slug = cls.problem.status, cls.problem.title, cls.problem.slug

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
    problem = INVALID_INPUT


class NotFound(HoptacError):
    """Also raised for records outside the caller's scope: existence is not leaked."""

    problem = NOT_FOUND


class Unauthenticated(HoptacError):
    problem = UNAUTHENTICATED


class Forbidden(HoptacError):
    problem = FORBIDDEN


class StaleEdit(HoptacError):
    """The record changed since the caller read it (optimistic locking, If-Match)."""

    problem = STALE_EDIT


class Conflict(HoptacError):
    problem = CONFLICT


class Duplicate(Conflict, InvalidInput):
    """A value that must be unique is taken (a ref): a conflict (409) that names its
    field, and, like invalid input, shown next to that field on a form."""

    problem = CONFLICT


class TooLarge(HoptacError):
    """A file over the limit its kind has (an evidence file): 413, nothing stored."""

    problem = TOO_LARGE


class UnsupportedMediaType(HoptacError):
    problem = UNSUPPORTED_MEDIA_TYPE


class Unavailable(HoptacError):
    """The node cannot serve this now (a key file missing): the operator must act."""

    problem = UNAVAILABLE
