"""POST /api/v1/auth/token — OAuth2 password flow for API clients."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from hoptac.auth import mfa
from hoptac.auth import service as auth_service
from hoptac.errors import Unauthenticated
from hoptac.web.deps import DB, ApiPrincipal, client_of, oauth2, settings_of

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


TOKEN_REFUSED = (
    "wrong username, password or code (totp); an account gets API tokens once it has "
    "signed in on the web: one-time password changed, authenticator app set up"
)


@router.post("/token", response_model=TokenOut)
def issue_token(
    request: Request,
    db: DB,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    totp: Annotated[str | None, Form(max_length=40)] = None,
) -> TokenOut:
    """Exchange a username, a password and, for admins and officers, the one-time code of
    their authenticator app (`totp`, set up at their first web login) for a bearer token.

    `curl -d username=demo -d password=... -d totp=123456 http://127.0.0.1:8000/api/v1/auth/token`
    """
    settings, client = settings_of(request), client_of(request)
    try:
        user = auth_service.authenticate(db, form.username, form.password)
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
        auth_service.record_failed_login(db, form.username, client, refused.reason)
        raise Unauthenticated(TOKEN_REFUSED, audited=True) from None
    auth_service.complete_login(db, user, client, factors)
    raw, _ = auth_service.issue_token(db, user, settings)
    db.commit()
    return TokenOut(access_token=raw, expires_in=settings.token_lifetime_seconds)


@router.post("/revoke", status_code=204)
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
