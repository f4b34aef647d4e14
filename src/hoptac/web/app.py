"""The app factory: one place that wires settings, database, routers and error handlers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from hoptac import __version__, capabilities  # noqa: F401 (capabilities: inbox handlers)
from hoptac.auth import audit
from hoptac.auth.principal import Principal
from hoptac.db.engine import make_engine, make_sessionmaker
from hoptac.db.models import ExchangeNode
from hoptac.errors import HoptacError, InvalidInput
from hoptac.exchange import delivery
from hoptac.exchange import identity as exchange_identity
from hoptac.exchange.keys import NodeKeys
from hoptac.screening import jobs
from hoptac.settings import Settings, get_settings
from hoptac.web import problems, validation
from hoptac.web.api import auth as api_auth
from hoptac.web.api import cases as api_cases
from hoptac.web.api import exchange as api_exchange
from hoptac.web.api import hotline as api_hotline
from hoptac.web.api import records as api_records
from hoptac.web.api import requests as api_requests
from hoptac.web.api import screening as api_screening
from hoptac.web.deps import LoginRequired, client_of, lang_of
from hoptac.web.middleware import (
    MACHINE_PATHS,
    BodyLimit,
    PeerAllowance,
    RateLimit,
    SecurityHeaders,
)
from hoptac.web.pages import admin as admin_pages
from hoptac.web.pages import cases as case_pages
from hoptac.web.pages import hotline as hotline_pages
from hoptac.web.pages import ingest as ingest_pages
from hoptac.web.pages import requests as request_pages
from hoptac.web.pages import routes as pages
from hoptac.web.pages import screening as screening_pages
from hoptac.web.pages import signin as signin_pages
from hoptac.web.pages.render import render_error

STATIC = Path(__file__).parent / "static"
API_DOCS = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>hoptac API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/swagger/swagger-ui.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/swagger/init.js"></script></body></html>"""


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(MACHINE_PATHS)


REFUSALS = (401, 403, 404)
RATE_GROUPS = {  # the POST routes under a rate limit, by group (Settings.rate_*)
    "login": ("/login", "/login/code"),
    "token": ("/api/v1/auth/token",),
    "inbox": ("/exchange/v1/inbox",),
}
log = logging.getLogger(__name__)


def _record_refusal(
    request: Request, status: int, exc: HoptacError | None
) -> Callable[[], None] | None:
    """Every refused request is an audit row, written here for all routes: who (when known),
    the route, the status and, for a record, which one; the same for a hidden record as for
    a missing one. A hidden one also leaves a row for its owning agency (who tried, from
    which agency): its admins see the probing, the prober's admins cannot tell. That row
    is returned as work to run after the answer has gone (a background task), so that a
    hidden record is not answered slower than a missing one. The request's own
    transaction is gone: the rows are committed in transactions of their own."""
    if exc is not None and exc.audited:
        return None  # the service wrote a row of its own for this refusal
    principal: Principal | None = getattr(request.state, "principal", None)
    detail: dict[str, object] = {
        "method": request.method,
        "path": request.url.path,  # not the query string: it may hold a searched name
        "status": status,
    }
    kind, ident = (exc.object_type, exc.object_id) if exc is not None else (None, None)
    owner = exc.hidden_from if exc is not None else None
    client = client_of(request)
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    denied = audit.Action.ACCESS_DENIED
    try:
        with factory() as session:
            audit.record(
                session, denied, principal=principal, object_type=kind, object_id=ident,
                outcome="denied", client=client, detail=detail,
            )  # fmt: skip
            session.commit()
    except Exception:  # the refusal stands either way; the operator must hear of the gap
        log.exception("could not audit the refusal of %s %s", request.method, detail["path"])
    if owner is None or (principal is not None and owner == principal.agency_id):
        return None

    def tell_the_owner() -> None:
        try:
            with factory() as session:
                audit.record(
                    session,
                    denied,
                    username=principal.username if principal else None,
                    agency_id=owner,
                    outcome="denied",
                    client=client,
                    detail={
                        **detail,
                        "hidden": True,  # it exists, outside the caller's scope
                        "by_agency": principal.agency_id if principal else None,
                        "by_user": principal.user_id if principal else None,
                    },
                    object_type=kind,
                    object_id=ident,
                )
                session.commit()
        except Exception:
            log.exception("could not tell agency %s of a refused %s", owner, detail["path"])

    return tell_the_owner


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # One process runs the jobs: whatever it left queued or running was cut short.
    jobs.recover(app.state.sessionmaker)
    sender = None
    if app.state.settings.exchange_sender and _has_node(app.state.sessionmaker):
        settings = app.state.settings
        sender = delivery.Sender(
            app.state.sessionmaker,
            batch=settings.exchange_batch,
            max_backoff=settings.exchange_max_backoff_seconds,
            linger=settings.exchange_linger_ms / 1000,
            lock=settings.home / "sender.lock",
            keys=_node_keys(app),
        )
        if not sender.start():
            sender = None
    app.state.sender = sender
    yield
    if sender is not None:
        sender.stop()
    app.state.jobs.shutdown()


def _node_keys(app: FastAPI) -> NodeKeys | None:
    """The node's keys for the sender's producers, or None (logged) if they cannot be read:
    the sender then delivers what is queued and queues nothing itself."""
    try:
        with app.state.sessionmaker() as session:
            keys: NodeKeys = exchange_identity.load_keys(session, app.state.settings.keys_dir)
    except Exception:
        log.exception("sender: the node's keys cannot be read; changed notices wait")
        return None
    app.state.node_keys = keys
    return keys


def _has_node(factory: sessionmaker[Session]) -> bool:
    with factory() as session:
        try:
            return session.scalar(sa.select(ExchangeNode.id)) is not None
        except sa.exc.OperationalError:  # not migrated yet
            return False


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        lifespan=_lifespan,
        title="hoptac",
        version=__version__,
        summary="Police cooperation registry: partners, agreements, commitments, engagements.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served below from vendored assets: no CDN
        redoc_url=None,
    )
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.jobs = jobs.JobRunner(app.state.sessionmaker)  # background screenings
    # each pinned partner's allowance of envelopes at the inbox (RateLimit spares them)
    per_second = settings.rate_inbox_partner_envelopes_per_second
    app.state.peer_allowance = PeerAllowance(  # a minute's worth at once, a batch at least
        per_second, burst=max(60 * per_second, api_exchange.MAX_BATCH)
    )

    app.include_router(api_auth.router)
    app.include_router(api_exchange.router)
    app.include_router(api_screening.router)
    app.include_router(api_records.router)
    app.include_router(api_hotline.router)
    app.include_router(api_requests.router)
    app.include_router(api_cases.router)
    app.include_router(signin_pages.router)
    app.include_router(screening_pages.router)
    app.include_router(hotline_pages.router)
    app.include_router(request_pages.router)
    app.include_router(case_pages.router)
    app.include_router(ingest_pages.router)
    app.include_router(admin_pages.router)
    app.include_router(pages.router)
    app.include_router(problems.router)  # the problem types' URIs: what each one means
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    app.openapi = problems.openapi(app)  # type: ignore[method-assign]

    @app.exception_handler(HoptacError)
    async def _domain(request: Request, exc: HoptacError) -> Response:
        later = None
        if exc.status in REFUSALS:
            later = await run_in_threadpool(_record_refusal, request, exc.status, exc)
        if _is_api(request):
            response: Response = problems.from_domain(request, exc)
        else:
            response = render_error(request, exc.status, exc.detail)
        if later is not None:  # after the answer: a hidden record answers as fast
            response.background = BackgroundTask(later)
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if request.url.path == api_auth.TOKEN_PATH:  # OAuth2's own error shape
            return api_auth.oauth_error("invalid_request", "the token request is not valid")
        if _is_api(request):
            return problems.from_validation(request, exc)
        return render_error(request, 400, validation.describe(exc.errors(), lang_of(request)))

    @app.exception_handler(sa.exc.DataError)
    async def _out_of_range(request: Request, exc: sa.exc.DataError) -> Response:
        # A value the database's column cannot hold (an id past 2^31 on PostgreSQL):
        # the caller's mistake, answered like any invalid input; nothing was saved.
        return await _domain(request, InvalidInput("A value is out of range for its field."))

    @app.exception_handler(RecursionError)
    async def _too_deep(request: Request, exc: RecursionError) -> Response:
        # JSON nested past the parser's recursion limit (a body of 100,000 '[').
        return await _domain(request, InvalidInput("The request body is nested too deeply."))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path == api_auth.TOKEN_PATH and exc.status_code == 400:
            return api_auth.oauth_error("invalid_request", "the token request is not valid")
        if _is_api(request):
            return problems.from_http(request, exc)
        page = render_error(request, exc.status_code, str(exc.detail), record=False)
        page.headers.update(problems.http_headers(request, exc) or {})
        return page

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        await run_in_threadpool(_record_refusal, request, 401, None)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        if _is_api(request):
            return problems.crash(request)
        return render_error(request, 500, problems.CRASH_DETAIL)

    @app.get("/api/v1/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(API_DOCS)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    # Added innermost first: the rate limit and the size limit answer before anything
    # reads the body; every answer, theirs included, gets the security headers.
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_request_bytes,
        upload_bytes=settings.max_upload_bytes,
    )
    app.add_middleware(
        RateLimit,
        groups=RATE_GROUPS,
        per_minute={
            "login": settings.rate_login_per_minute,
            "token": settings.rate_token_per_minute,
            "inbox": settings.rate_inbox_per_minute,
        },
    )
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    return app
