"""Officer-facing pages of the registry: the dashboard, lists, records, forms. Each
handler: parse, call one service, render. (Signing in and out: `pages.signin`.)"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hoptac.assistance import service as assistance
from hoptac.auth.scoping import can_edit
from hoptac.errors import Forbidden, InvalidInput, NotFound, StaleEdit
from hoptac.exchange import hotline as exchange_hotline
from hoptac.registry import ingest as registry_ingest
from hoptac.registry import overview
from hoptac.registry import service as svc
from hoptac.types import whole_number
from hoptac.web.deps import (
    DB,
    Page,
)
from hoptac.web.i18n import translate_error
from hoptac.web.pages import forms
from hoptac.web.pages.passages import highlight, passage_spans, source_passages
from hoptac.web.pages.render import render, request_words
from hoptac.web.params import Id
from hoptac.web.params import Offset as Offset  # pages.screening takes it from here
from hoptac.web.resources import RESOURCES

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


# ---- dashboard ----------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, page: Page, db: DB) -> HTMLResponse:
    data = overview.dashboard(db, page.principal, date.today())
    hotline = exchange_hotline.unread_total(db, page.principal)  # None: no hotline here
    pressing = assistance.pressing(db, page.principal)  # None: no requests here
    return render(
        request,
        "dashboard.html",
        {
            "page": page,
            "d": data,
            "hotline": hotline,
            "pressing": pressing,
            **request_words(request),
        },
    )


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
    started_from = whole_number(sent_version)
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
