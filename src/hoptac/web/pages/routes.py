"""Officer-facing pages. Each handler: parse, call one service, render."""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hoptac.auth import mfa
from hoptac.auth import service as auth_service
from hoptac.auth.scoping import can_edit
from hoptac.db.models import User
from hoptac.errors import Forbidden, InvalidInput, NotFound, StaleEdit, Unauthenticated
from hoptac.exchange import service as exchange_service
from hoptac.registry import ingest as registry_ingest
from hoptac.registry import overview
from hoptac.registry import service as svc
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
from hoptac.web.i18n import LANGUAGES, translate_error
from hoptac.web.pages import forms
from hoptac.web.pages.passages import highlight, passage_spans, source_passages
from hoptac.web.pages.render import render
from hoptac.web.params import Id
from hoptac.web.params import Offset as Offset  # pages.screening takes it from here
from hoptac.web.paths import local_path
from hoptac.web.resources import RESOURCES

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


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


# ---- dashboard ----------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, page: Page, db: DB) -> HTMLResponse:
    data = overview.dashboard(db, page.principal, date.today())
    hotline = exchange_service.unread_total(db, page.principal)  # None: no hotline here
    return render(request, "dashboard.html", {"page": page, "d": data, "hotline": hotline})


# ---- lists --------------------------------------------------------------------------


def list_page(
    request: Request,
    page: Page,
    db: DB,
    resource: str,
    template: str,
    offset: int,
    **filters: Any,
) -> HTMLResponse:
    res = RESOURCES[resource]
    query = svc.ListQuery(limit=PAGE_SIZE, offset=offset, **filters)
    items, total = svc.list_records(db, page.principal, res, query)
    context = {
        "page": page,
        "items": items,
        "total": total,
        "offset": offset,
        "limit": PAGE_SIZE,
        "filters": filters,
        "resource": resource,
        "effective_status": svc.effective_status,
    }
    live = resource in ("agencies", "people", "notices")  # the lists with a live search box
    if live and request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
        return render(request, f"_{template}", context)
    return render(request, template, context)


Q = Annotated[str | None, Query(max_length=200)]


@router.get("/agencies", response_class=HTMLResponse)
def agencies(request: Request, page: Page, db: DB, q: Q = None, offset: Offset = 0) -> HTMLResponse:
    return list_page(request, page, db, "agencies", "agencies.html", offset, q=q)


@router.get("/people", response_class=HTMLResponse)
def people(request: Request, page: Page, db: DB, q: Q = None, offset: Offset = 0) -> HTMLResponse:
    return list_page(request, page, db, "people", "people.html", offset, q=q)


@router.get("/agreements", response_class=HTMLResponse)
def agreements(request: Request, page: Page, db: DB, offset: Offset = 0) -> HTMLResponse:
    return list_page(request, page, db, "agreements", "agreements.html", offset)


@router.get("/engagements", response_class=HTMLResponse)
def engagements(request: Request, page: Page, db: DB, offset: Offset = 0) -> HTMLResponse:
    return list_page(request, page, db, "engagements", "engagements.html", offset)


@router.get("/commitments", response_class=HTMLResponse)
def commitments(
    request: Request,
    page: Page,
    db: DB,
    offset: Offset = 0,
    status: Annotated[str | None, Query(pattern="^(open|overdue|done|dropped)$")] = None,
) -> HTMLResponse:
    return list_page(request, page, db, "commitments", "commitments.html", offset, status=status)


@router.get("/sources", response_class=HTMLResponse)
def sources(request: Request, page: Page, db: DB, offset: Offset = 0) -> HTMLResponse:
    return list_page(request, page, db, "sources", "sources.html", offset)


# ---- detail pages -------------------------------------------------------------------


def detail_context(page: Page, obj: Any) -> dict[str, Any]:
    return {
        "page": page,
        "o": obj,
        "editable": can_edit(obj, page.principal),
        "effective_status": svc.effective_status,
    }


@router.get("/agencies/{record_id:int}", response_class=HTMLResponse)
def agency(request: Request, record_id: Id, page: Page, db: DB) -> HTMLResponse:
    ov = overview.agency_overview(db, page.principal, record_id)
    return render(request, "agency.html", {**detail_context(page, ov.agency), "ov": ov})


@router.get("/agreements/{record_id:int}", response_class=HTMLResponse)
def agreement(request: Request, record_id: Id, page: Page, db: DB) -> HTMLResponse:
    obj = svc.get_record(db, page.principal, svc.AGREEMENTS, record_id)
    return render(
        request,
        "agreement.html",
        {
            **detail_context(page, obj),
            "commitments": overview.commitments_of(db, page.principal, agreement_id=record_id),
            "engagements": overview.engagements_of_agreement(db, page.principal, record_id),
            "passages": cited(db, page, "agreement", record_id),
            "source": source_of(db, page, obj.source_id),
        },
    )


@router.get("/engagements/{record_id:int}", response_class=HTMLResponse)
def engagement(request: Request, record_id: Id, page: Page, db: DB) -> HTMLResponse:
    obj = svc.get_record(db, page.principal, svc.ENGAGEMENTS, record_id)
    agreement = _maybe(db, page, svc.AGREEMENTS, obj.agreement_id) if obj.agreement_id else None
    return render(
        request,
        "engagement.html",
        {
            **detail_context(page, obj),
            "commitments": overview.commitments_of(db, page.principal, engagement_id=record_id),
            "agreement": agreement,
            "passages": cited(db, page, "engagement", record_id),
            "source": source_of(db, page, obj.source_id),
        },
    )


@router.get("/commitments/{record_id:int}", response_class=HTMLResponse)
def commitment(request: Request, record_id: Id, page: Page, db: DB) -> HTMLResponse:
    obj = svc.get_record(db, page.principal, svc.COMMITMENTS, record_id)
    return render(
        request,
        "commitment.html",
        {
            **detail_context(page, obj),
            "agreement": _maybe(db, page, svc.AGREEMENTS, obj.agreement_id),
            "engagement": _maybe(db, page, svc.ENGAGEMENTS, obj.engagement_id),
            "passages": cited(db, page, "commitment", record_id),
            "source": source_of(db, page, obj.source_id),
        },
    )


@router.get("/people/{record_id:int}", response_class=HTMLResponse)
def person(request: Request, record_id: Id, page: Page, db: DB) -> HTMLResponse:
    obj = svc.get_record(db, page.principal, svc.PEOPLE, record_id)
    return render(
        request,
        "person.html",
        {
            **detail_context(page, obj),
            "engagements": overview.engagements_of_person(db, page.principal, record_id),
            "passages": cited(db, page, "person", record_id),
            "source": source_of(db, page, obj.source_id),
        },
    )


@router.get("/sources/{record_id:int}", response_class=HTMLResponse)
def source(request: Request, record_id: Id, page: Page, db: DB) -> HTMLResponse:
    obj = svc.get_record(db, page.principal, svc.SOURCES, record_id)
    citing = overview.citing(db, page.principal, record_id)
    passages = source_passages(db, page.principal, record_id)
    context = {
        **detail_context(page, obj),
        "citing": citing,
        "passages": passages,
        "marked": highlight(obj.text or "", passage_spans(passages)) if passages else None,
    }
    return render(request, "source.html", context)


def _maybe(db: DB, page: Page, res: svc.Resource[Any], record_id: int | None) -> Any:
    """A linked record, or None when it is missing, outside the caller's scope or of a
    kind the caller may not read (sources, for viewers)."""
    if record_id is None:
        return None
    try:
        return svc.get_record(db, page.principal, res, record_id)
    except (NotFound, Forbidden):
        return None


def source_of(db: DB, page: Page, source_id: int | None) -> Any:
    return _maybe(db, page, svc.SOURCES, source_id)


def cited(db: DB, page: Page, kind: str, record_id: int) -> list[tuple[Any, Any]]:
    """A record's passages, each with its source: (citation, source)."""
    out = []
    for c in registry_ingest.citations(db, page.principal, kind, record_id):
        src = source_of(db, page, c.source_id)
        if src is not None:
            out.append((c, src))
    return out


# ---- create and edit ----------------------------------------------------------------


def _resource(name: str) -> svc.Resource[Any]:
    if name not in forms.SPECS:
        raise NotFound(f"no such page: /{name}")
    return forms.RESOURCE_OF[name]


STALE_MESSAGE = (
    "Someone else changed this record after you opened it. Open it in a new tab to see "
    "their change; saving this form again replaces it with yours."
)


def _form_page(
    request: Request,
    page: Page,
    state: forms.FormState,
    record: Any,
    status: int = 200,
    version: int | None = None,
) -> HTMLResponse:
    return render(
        request,
        "form.html",
        {
            "page": page,
            "form": state,
            "record": record,
            "resource": state.resource,
            "roles": forms.ROLES,
            "extra_rows": forms.PARTICIPANT_ROWS,
            "version": version,
        },
        status_code=status,
    )


@router.get("/{resource}/new", response_class=HTMLResponse)
def new_form(request: Request, resource: str, page: Page, db: DB) -> HTMLResponse:
    _resource(resource)
    page.require_write()
    # The schema's defaults, then the query string: /commitments/new?owed_by_id=5
    prefill = forms.defaults(resource)
    prefill.update(
        {
            f.name: request.query_params[f.name]
            for f in forms.SPECS[resource]
            if request.query_params.get(f.name)
        }
    )
    state = forms.build(resource, db, page.principal, prefill)
    return _form_page(request, page, state, None)


@router.post("/{resource}/new", response_class=HTMLResponse)
async def create(request: Request, resource: str, page: Page, db: DB) -> Response:
    res = _resource(resource)
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    data, raw = forms.parse(resource, form)
    try:
        obj = svc.create_record(db, page.principal, res, svc.validate(res.schema_in, data))
        db.commit()
    except InvalidInput as exc:
        db.rollback()
        return _invalid(request, page, db, resource, raw, exc, None)
    return RedirectResponse(f"/{resource}/{obj.id}?saved=1", status_code=303)


@router.get("/{resource}/{record_id:int}/edit", response_class=HTMLResponse)
def edit_form(request: Request, resource: str, record_id: Id, page: Page, db: DB) -> HTMLResponse:
    res = _resource(resource)
    obj = svc.get_record(db, page.principal, res, record_id)
    page.require_write()
    if not can_edit(obj, page.principal):
        raise Forbidden("Only the owning agency's officers may change this record.")
    state = forms.build(resource, db, page.principal, res.to_in(obj))
    return _form_page(request, page, state, obj)


@router.post("/{resource}/{record_id:int}/edit", response_class=HTMLResponse)
async def update(request: Request, resource: str, record_id: Id, page: Page, db: DB) -> Response:
    res = _resource(resource)
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    data, raw = forms.parse(resource, form)
    # Every field of the form is sent: blanks clear optional fields.
    patch = {f.name: data.get(f.name) for f in forms.SPECS[resource]}
    sent_version = form.get("version")
    started_from = (
        int(sent_version) if isinstance(sent_version, str) and sent_version.isdigit() else None
    )
    try:
        svc.update_record(db, page.principal, res, record_id, patch, started_from)
        db.commit()
    except (InvalidInput, StaleEdit) as exc:
        db.rollback()
        record = svc.get_record(db, page.principal, res, record_id)
        # After a conflict the form carries the current version: saving again is a
        # deliberate overwrite of the colleague's change, made with it in view.
        version = record.version if isinstance(exc, StaleEdit) else started_from
        return _invalid(request, page, db, resource, raw, exc, record, version)
    return RedirectResponse(f"/{resource}/{record_id}?saved=1", status_code=303)


def _invalid(
    request: Request,
    page: Page,
    db: DB,
    resource: str,
    raw: dict[str, Any],
    exc: InvalidInput | StaleEdit,
    record: Any,
    version: int | None = None,
) -> HTMLResponse:
    state = forms.build(resource, db, page.principal, {})
    state.values = raw
    if isinstance(exc, StaleEdit):
        state.general_errors.append(page.t(STALE_MESSAGE))
    else:
        forms.split_errors(
            state,
            [(e.field, translate_error(e.message, page.lang)) for e in exc.errors]
            or [("body", translate_error(exc.detail, page.lang))],
        )
    return _form_page(request, page, state, record, status=exc.status, version=version)
