"""POST /api/v1/auth/token — OAuth2 password flow for API clients."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from hoptac.auth import service as auth_service
from hoptac.web.deps import DB, client_of, settings_of

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


@router.post("/token", response_model=TokenOut)
def issue_token(
    request: Request, db: DB, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenOut:
    """Exchange a username and password for a bearer token.

    `curl -d username=demo -d password=... http://127.0.0.1:8000/api/v1/auth/token`
    """
    settings = settings_of(request)
    try:
        user = auth_service.authenticate(db, form.username, form.password, client_of(request))
    except auth_service.LoginRefused as refused:
        db.rollback()
        auth_service.record_failed_login(db, form.username, client_of(request), refused.reason)
        db.commit()
        raise
    raw, _ = auth_service.issue_token(db, user, settings)
    db.commit()
    return TokenOut(access_token=raw, expires_in=settings.token_lifetime_seconds)
