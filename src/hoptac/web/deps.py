"""Request-scoped dependencies: the database session, the caller, the page context."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session, sessionmaker

from hoptac.auth import service as auth_service
from hoptac.auth.principal import Principal
from hoptac.errors import Forbidden, Unauthenticated
from hoptac.exchange import identity as exchange_identity
from hoptac.exchange.keys import NodeKeys
from hoptac.settings import Settings
from hoptac.web.i18n import LANGUAGES, translator

SESSION_COOKIE = "hoptac_session"
# Behind TLS (Settings.secure_cookies) the cookie is `__Host-`: the browser then keeps it
# only if it is Secure, for the whole site (Path=/) and for this host alone (no Domain).
SECURE_SESSION_COOKIE = "__Host-hoptac_session"
LANG_COOKIE = "hoptac_lang"

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def settings_of(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_db(request: Request) -> Iterator[Session]:
    """One session per request. Writers commit explicitly before they answer, so a
    success the user sees is on disk; anything uncommitted is rolled back here."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        yield session


DB = Annotated[Session, Depends(get_db)]


def api_principal(
    request: Request, db: DB, token: Annotated[str | None, Depends(oauth2)]
) -> Principal:
    if not token:
        raise Unauthenticated("send a bearer token (POST /api/v1/auth/token)")
    principal = auth_service.resolve_token(db, token)
    request.state.principal = principal
    return principal


ApiPrincipal = Annotated[Principal, Depends(api_principal)]


def api_writer(principal: ApiPrincipal) -> Principal:
    """Refuse read-only callers before their request body is even looked at."""
    principal.require_write()
    return principal


ApiWriter = Annotated[Principal, Depends(api_writer)]


def node_keys(request: Request) -> NodeKeys:
    """This node's private keys, read once per process from its key directory (files
    readable by the owner only; refused otherwise)."""
    keys: NodeKeys | None = getattr(request.app.state, "node_keys", None)
    if keys is None:
        factory: sessionmaker[Session] = request.app.state.sessionmaker
        with factory() as session:
            keys = exchange_identity.load_keys(session, settings_of(request).keys_dir)
        request.app.state.node_keys = keys
    return keys


def wake_sender(request: Request) -> None:
    """Something was queued and committed: the node's sender delivers it now."""
    sender = getattr(request.app.state, "sender", None)
    if sender is not None:
        sender.wake()


def session_cookie(settings: Settings) -> str:
    return SECURE_SESSION_COOKIE if settings.secure_cookies else SESSION_COOKIE


def session_token(request: Request) -> str:
    """The session id the browser sent ("" for none)."""
    return request.cookies.get(session_cookie(settings_of(request)), "")


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


class LoginRequired(Exception):
    """A page needs a logged-in user: the handler redirects to /login."""


def lang_of(request: Request) -> str:
    lang = request.cookies.get(LANG_COOKIE) or settings_of(request).default_language
    return lang if lang in LANGUAGES else "vi"


@dataclass
class PageContext:
    request: Request
    principal: Principal
    csrf_token: str
    lang: str
    t: Callable[[str], str]

    def check_csrf(self, form: Any) -> None:
        sent = form.get("csrf_token")
        if not isinstance(sent, str) or not secrets.compare_digest(sent, self.csrf_token):
            raise Forbidden("The form has expired; reload the page and try again.")

    def require_write(self) -> None:
        self.principal.require_write()


def page_context(request: Request, db: DB) -> PageContext:
    raw = session_token(request)
    if not raw:
        raise LoginRequired
    try:
        info = auth_service.resolve_session(db, raw, settings_of(request))
    except Unauthenticated:
        raise LoginRequired from None
    db.commit()  # last_seen_at: the idle timeout counts from this request
    request.state.principal = info.principal
    lang = lang_of(request)
    page = PageContext(request, info.principal, info.csrf_token, lang, translator(lang))
    request.state.page = page  # error pages render with the user's menu
    return page


Page = Annotated[PageContext, Depends(page_context)]
