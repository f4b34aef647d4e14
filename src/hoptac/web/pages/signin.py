"""Signing in and out: the password step, the second step, a one-time password's change,
the account page, signing out (here or everywhere), and the language switch."""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hoptac.auth import mfa
from hoptac.auth import service as auth_service
from hoptac.db.models import User
from hoptac.errors import Forbidden, InvalidInput, Unauthenticated
from hoptac.settings import Settings
from hoptac.web.deps import (
    DB,
    LANG_COOKIE,
    Page,
    client_of,
    session_cookie,
    session_token,
    settings_of,
)
from hoptac.web.i18n import LANGUAGES
from hoptac.web.pages.render import render
from hoptac.web.paths import local_path

router = APIRouter(include_in_schema=False)


# ---- session ------------------------------------------------------------------------


LOGIN_CSRF_COOKIE = "hoptac_login_csrf"
LOGIN_CSRF_SECONDS = 60 * 60


def _login_page(request: Request, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """The login form with a token for its POST, also held in a cookie (SameSite=Strict:
    a browser never sends it with another site's form): a login forced from another site
    carries no matching pair and is refused (login CSRF). The token already in the
    browser is kept, so that login forms open in several tabs all work."""
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not _LOGIN_TOKEN.fullmatch(token):
        token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {"page": None, "error": None, **context, "login_csrf": token},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings_of(request).secure_cookies,
        max_age=LOGIN_CSRF_SECONDS,
        path="/login",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


_LOGIN_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # what secrets.token_urlsafe(32) makes


def _same_site_login(request: Request, sent: str) -> bool:
    """The POST carries the form's token and its cookie twin. (No Origin check: behind
    the TLS proxy the app sees http:// and the proxy's host, so a browser's honest Origin
    would not match; the SameSite=Strict pair alone decides.)"""
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    return bool(sent) and bool(cookie) and secrets.compare_digest(sent, cookie)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, db: DB, next: str | None = None) -> Response:
    """The login form. Someone already signed in goes where they were going; a user whose
    one-time password is still to change is sent to the change-password page (every
    other page redirects here for want of a full session)."""
    raw = session_token(request)
    if raw:
        try:
            auth_service.resolve_session(db, raw, settings_of(request))
            db.commit()
            return RedirectResponse(local_path(next), status_code=303)
        except Unauthenticated:
            db.rollback()
    try:
        auth_service.password_stage(db, raw, settings_of(request))
    except Unauthenticated:
        return _login_page(request, {"next": local_path(next)})
    db.commit()
    return RedirectResponse(_password_page(next), status_code=303)


def _password_page(next: str | None) -> str:
    return f"/login/password?next={quote(local_path(next))}"


def _signed_in(db: DB, user: User, settings: Settings, next: str) -> tuple[str, str]:
    """Every factor passed: (the new session's cookie, where to go). A one-time password
    to change gets a session that opens the change-password page only."""
    if user.must_change_password:
        raw, _csrf = auth_service.start_session(db, user, stage="password")
        return raw, _password_page(next)
    raw, _csrf = auth_service.start_session(db, user)
    return raw, local_path(next)


@router.post("/login")
def login(
    request: Request,
    db: DB,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    acknowledge: Annotated[str, Form(max_length=10)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """The password step. The form must be this site's (its token and cookie: no login
    forced from another site). The system-use notice must be acknowledged first (CJIS
    AC-8): without it nothing is checked, and the refusal is audited without counting
    towards the lock."""
    settings = settings_of(request)

    def refuse(error: str, status: int) -> HTMLResponse:
        context = {"next": local_path(next), "error": error, "username": username}
        return _login_page(request, context, status_code=status)

    if not _same_site_login(request, csrf_token):
        return refuse("The form has expired; reload the page and try again.", 403)
    if acknowledge != "yes":
        auth_service.record_failed_login(
            db, username, client_of(request), auth_service.NOTICE_NOT_ACKNOWLEDGED
        )
        return refuse("Read the system-use notice and tick the box to log in.", 401)
    try:
        user = auth_service.authenticate(db, username, password)
    except auth_service.LoginRefused as refused:
        auth_service.record_failed_login(db, username, client_of(request), refused.reason)
        return refuse("Wrong username or password.", 401)
    if mfa.required(user):
        # The password was right; the session opens only the second step's page.
        if user.totp_enabled_at is None and user.totp_secret is None:
            mfa.set_secret(db, user, mfa.new_secret(), settings)  # a first code confirms it
        raw, _csrf = auth_service.start_session(db, user, stage="code")
        db.commit()
        response = RedirectResponse(f"/login/code?next={quote(local_path(next))}", 303)
        _session_cookie(response, raw, settings, auth_service.CODE_STAGE_SECONDS)
        return response
    auth_service.complete_login(db, user, client_of(request), "password")
    raw, target = _signed_in(db, user, settings, next)
    db.commit()
    response = RedirectResponse(target, status_code=303)
    _session_cookie(response, raw, settings, settings.session_max_seconds)
    return response


def _session_cookie(response: Response, raw: str, settings: Settings, max_age: int) -> None:
    response.set_cookie(
        session_cookie(settings),
        raw,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=max_age,
        path="/",
    )


def _code_page(
    request: Request, user: User, csrf: str, next: str, error: str | None = None
) -> HTMLResponse:
    enrol = user.totp_enabled_at is None
    secret = (mfa.secret_of(user, settings_of(request)) or "") if enrol else ""
    response = render(
        request,
        "login_code.html",
        {
            "page": None,
            "enrol": enrol,
            "secret": secret if enrol else None,
            "qr": mfa.qr_svg(mfa.provisioning_uri(user, secret)) if enrol else None,
            "csrf_token": csrf,
            "next": local_path(next),
            "error": error,
        },
        status_code=401 if error else 200,
    )
    response.headers["Cache-Control"] = "no-store"  # the key of the QR code
    return response


@router.get("/login/code", response_class=HTMLResponse)
def login_code_form(request: Request, db: DB, next: str | None = None) -> Response:
    try:
        user, csrf_token = auth_service.code_stage(db, session_token(request), settings_of(request))
    except Unauthenticated:
        return RedirectResponse("/login", status_code=303)
    db.commit()
    return _code_page(request, user, csrf_token, next or "/")


@router.post("/login/code")
def login_code(
    request: Request,
    db: DB,
    code: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The second step: a TOTP code (the first one confirms the enrolment) or a recovery
    code. Success ends the password-only session and starts a new one."""
    settings, client = settings_of(request), client_of(request)
    raw = session_token(request)
    try:
        user, expected = auth_service.code_stage(db, raw, settings)
    except Unauthenticated:
        return RedirectResponse("/login", status_code=303)
    if not secrets.compare_digest(csrf_token, expected):
        raise Forbidden("The form has expired; reload the page and try again.")
    enrolling = user.totp_enabled_at is None
    try:
        factor = auth_service.second_factor(db, user, code, settings)
    except auth_service.LoginRefused as refused:
        auth_service.record_failed_login(db, user.username, client, refused.reason)
        still = db.get(User, user.id)
        if refused.reason != "code" or still is None or still.locked_at is not None:
            auth_service.end_session(db, raw)
            db.commit()
            return RedirectResponse("/login", status_code=303)
        return _code_page(
            request,
            user,
            expected,
            next,
            "That code is not right. Type the code your app shows now.",
        )
    auth_service.end_session(db, raw)
    codes = mfa.new_recovery_codes(db, user) if enrolling else None
    auth_service.complete_login(db, user, client, f"password+{factor}")
    fresh, target = _signed_in(db, user, settings, next)
    db.commit()
    response: Response
    if codes:
        response = render(
            request, "recovery_codes.html", {"page": None, "codes": codes, "next": target}
        )
        response.headers["Cache-Control"] = "no-store"
    else:
        response = RedirectResponse(target, status_code=303)
    _session_cookie(response, fresh, settings, settings.session_max_seconds)
    return response


def _password_form(
    request: Request, csrf: str, next: str, error: str | None = None
) -> HTMLResponse:
    response = render(
        request,
        "change_password.html",
        {"page": None, "csrf_token": csrf, "next": local_path(next), "error": error},
        status_code=422 if error else 200,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/login/password", response_class=HTMLResponse)
def change_password_form(request: Request, db: DB, next: str | None = None) -> Response:
    """The one page a user with a one-time password may open: choose a new one."""
    try:
        _user, csrf_token = auth_service.password_stage(
            db, session_token(request), settings_of(request)
        )
    except Unauthenticated:
        return RedirectResponse("/login", status_code=303)
    db.commit()
    return _password_form(request, csrf_token, next or "/")


@router.post("/login/password")
def change_password(
    request: Request,
    db: DB,
    current: Annotated[str, Form(max_length=1024)] = "",
    new: Annotated[str, Form(max_length=1024)] = "",
    repeated: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """A new password in place of the one-time one (the rules of `auth.passwords`); then a
    full session. A wrong current password counts towards the lock like a failed login."""
    settings, client = settings_of(request), client_of(request)
    raw = session_token(request)
    try:
        user, expected = auth_service.password_stage(db, raw, settings)
    except Unauthenticated:
        return RedirectResponse("/login", status_code=303)
    if not secrets.compare_digest(csrf_token, expected):
        raise Forbidden("The form has expired; reload the page and try again.")
    try:
        auth_service.change_own_password(db, user, current, new, repeated, client)
    except auth_service.LoginRefused as refused:
        auth_service.record_failed_login(db, user.username, client, refused.reason)
        still = db.get(User, user.id)
        if still is None or still.locked_at is not None or not still.is_active:
            return RedirectResponse("/login", status_code=303)
        return _password_form(request, expected, next, "The current password is not right.")
    except InvalidInput as invalid:
        db.rollback()
        return _password_form(request, expected, next, invalid.detail)
    fresh, target = _signed_in(db, user, settings, next)  # the old sessions ended with it
    db.commit()
    response = RedirectResponse(target, status_code=303)
    _session_cookie(response, fresh, settings, settings.session_max_seconds)
    return response


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, page: Page, db: DB) -> HTMLResponse:
    user = auth_service.account(db, page.principal)
    return render(request, "account.html", {"page": page, "user": user})


@router.post("/logout")
async def logout(request: Request, page: Page, db: DB) -> Response:
    return await _log_out(request, page, db, everywhere=False)


@router.post("/logout/everywhere")
async def logout_everywhere(request: Request, page: Page, db: DB) -> Response:
    return await _log_out(request, page, db, everywhere=True)


async def _log_out(request: Request, page: Page, db: DB, everywhere: bool) -> Response:
    page.check_csrf(await request.form())
    auth_service.log_out(
        db,
        page.principal,
        client_of(request),
        session_token=session_token(request),
        everywhere=everywhere,
    )
    db.commit()
    response = RedirectResponse("/login", status_code=303)
    settings = settings_of(request)
    response.delete_cookie(
        session_cookie(settings),
        path="/",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/lang/{code}")
def set_language(code: str, next: str | None = None) -> Response:
    response = RedirectResponse(local_path(next), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return response
