"""POST /api/v1/auth/token — OAuth2 password flow for API clients (RFC 6749 §4.3, §5).

A token answer, and every refusal, carries `Cache-Control: no-store`. A refusal is a 400
with an OAuth2 error (`invalid_request`, `invalid_grant`, `unsupported_grant_type`) and
the same text for every refused credential; it also carries the problem members (`type`,
`title`, `status`, `detail`, `instance`, `errors`) so that it reads like every other error.
"""

# No `from __future__ import annotations`: FastAPI reads the signatures at runtime.
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from hoptac.auth import mfa
from hoptac.auth import service as auth_service
from hoptac.errors import OAUTH_ERRORS
from hoptac.web import problems
from hoptac.web.api import RESPONSES, operation_id
from hoptac.web.deps import DB, ApiPrincipal, client_of, oauth2, settings_of

TOKEN_PATH = "/api/v1/auth/token"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

router = APIRouter(
    prefix="/api/v1/auth",
    tags=["auth"],
    responses=RESPONSES,
    generate_unique_id_function=operation_id,
)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class TokenError(BaseModel):
    """An OAuth2 error answer (RFC 6749 §5.2), with the problem members besides."""

    error: Literal["invalid_request", "invalid_grant", "unsupported_grant_type"]
    error_description: str
    type: str = Field(examples=["/problems/invalid-grant"])
    title: str
    status: int
    detail: str
    instance: str
    errors: list[problems.FieldErrorOut]


TOKEN_REFUSED = (
    "wrong username, password or code (totp); an account gets API tokens once it has "
    "signed in on the web: one-time password changed, authenticator app set up"
)


def oauth_error(code: str, description: str) -> JSONResponse:
    """A 400 as RFC 6749 §5.2 has it, never cached."""
    body = {
        "error": code,
        "error_description": description,
        **problems.body(OAUTH_ERRORS[code], description, instance=TOKEN_PATH),
    }
    return JSONResponse(body, status_code=400, headers=NO_STORE)


@router.post(
    "/token",
    response_model=TokenOut,
    name="auth_token",
    responses={
        400: {
            "model": TokenError,
            "description": "Refused (RFC 6749 §5.2): invalid_request, invalid_grant, "
            "unsupported_grant_type.",
        }
    },
)
def issue_token(
    request: Request,
    response: Response,
    db: DB,
    grant_type: Annotated[str | None, Form(description="`password` (or absent).")] = None,
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form(json_schema_extra={"format": "password"})] = None,
    scope: Annotated[str, Form(description="Ignored: a token has its user's rights.")] = "",
    totp: Annotated[str | None, Form(description="The authenticator app's code.")] = None,
) -> Any:
    """Exchange a username, a password and, for admins and officers, the one-time code of
    their authenticator app (`totp`, set up at their first web login) for a bearer token.

    `curl -d username=demo -d password=... -d totp=123456 http://127.0.0.1:8000/api/v1/auth/token`
    """
    if grant_type not in (None, "password"):
        return oauth_error("unsupported_grant_type", "only grant_type=password is supported")
    if not username or not password:
        return oauth_error("invalid_request", "username and password are required")
    if len(username) > 200 or len(password) > 4096 or len(totp or "") > 40 or len(scope) > 400:
        return oauth_error("invalid_request", "a field is longer than any valid value")
    settings, client = settings_of(request), client_of(request)
    try:
        user = auth_service.authenticate(db, username, password)
        factors = "password"
        if mfa.required(user):
            if user.totp_enabled_at is None:
                raise auth_service.LoginRefused("no second factor")
            factors += "+" + auth_service.second_factor(db, user, totp or "", settings)
        if user.must_change_password:
            raise auth_service.LoginRefused(auth_service.PASSWORD_PENDING)
    except auth_service.LoginRefused as refused:
        # One answer for every refusal: a wrong password, a missing or wrong code, an
        # account not set up yet read alike, so that a guesser without the second factor
        # cannot tell that the password was right. The audit row keeps the reason.
        auth_service.record_failed_login(db, username, client, refused.reason)
        return oauth_error("invalid_grant", TOKEN_REFUSED)
    auth_service.complete_login(db, user, client, factors)
    raw, _ = auth_service.issue_token(db, user, settings)
    db.commit()
    response.headers.update(NO_STORE)
    return TokenOut(access_token=raw, expires_in=settings.token_lifetime_seconds)


@router.post("/revoke", status_code=204, name="auth_revoke")
def revoke_token(
    request: Request,
    db: DB,
    principal: ApiPrincipal,
    raw: Annotated[str | None, Depends(oauth2)],
    everywhere: Annotated[bool, Form()] = False,
) -> None:
    """End the bearer token sent with this request — or, with `everywhere=true`, every
    token and browser session of the account (a token left in a script, a lost laptop)."""
    auth_service.log_out(db, principal, client_of(request), api_token=raw, everywhere=everywhere)
    db.commit()
