"""Screening pages: notices, registers and their CSV uploads, screening jobs, the review
queue and the person search. Each handler: parse, call one service, render."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from hoptac.assistance import service as assistance
from hoptac.auth.scoping import can_edit
from hoptac.errors import Conflict, FieldError, HoptacError, InvalidInput, StaleEdit
from hoptac.registry import service as svc
from hoptac.screening import exchange as notice_exchange
from hoptac.screening import jobs, search
from hoptac.screening import service as screening
from hoptac.screening.engine import ENGINES
from hoptac.screening.score import HIT_THRESHOLD
from hoptac.types import HitStatus, JobStatus, NoticeStatus, Sharing, whole_number
from hoptac.web.deps import DB, Page, node_keys, settings_of, wake_sender
from hoptac.web.i18n import translate_error, translator
from hoptac.web.pages.render import TEMPLATES, render
from hoptac.web.pages.routes import PAGE_SIZE, Offset, Q, detail_context, list_page, source_of

router = APIRouter(include_in_schema=False)
TEMPLATES.env.globals["record_count"] = screening.record_count

NoticeStatusQ = Annotated[str | None, Query(pattern="^(active|withdrawn|executed)$")]
HitStatusQ = Annotated[str, Query(pattern="^(pending|confirmed|rejected|closed|all)$")]
JobQ = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


def _max_mb(request: Request) -> int:
    return settings_of(request).max_upload_bytes // (1024 * 1024)


def _int(value: Any) -> int | None:
    return whole_number(value)


# ---- notices --------------------------------------------------------------------------------


@router.get("/notices", response_class=HTMLResponse)
def notices(
    request: Request,
    page: Page,
    db: DB,
    q: Q = None,
    status: NoticeStatusQ = None,
    offset: Offset = 0,
) -> HTMLResponse:
    return list_page(request, page, db, "notices", "notices.html", offset, q=q, status=status)


@router.get("/notices/{record_id:int}", response_class=HTMLResponse)
def notice(request: Request, record_id: int, page: Page, db: DB) -> HTMLResponse:
    return _notice_page(request, page, db, record_id)


def _notice_page(
    request: Request,
    page: Page,
    db: DB,
    record_id: int,
    send_errors: list[str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    obj = svc.read_record(db, page.principal, screening.NOTICES, record_id)
    context = detail_context(page, obj)
    own = obj.owner_agency_id == page.principal.agency_id and obj.origin_peer_id is None
    context |= {
        "hits": screening.confirmed_hits(db, page.principal, record_id),
        "pending": screening.list_hits(db, page.principal, notice_id=record_id, limit=0)[1],
        "source": source_of(db, page, obj.source_id),
        "statuses": [s.value for s in NoticeStatus],
        "shares": notice_exchange.shares_of(db, obj) if own else [],
        "partners": notice_exchange.partners_for(db) if context["editable"] else [],
        "send_errors": send_errors or [],
    }
    db.commit()  # the audit row of the read
    return render(request, "notice.html", context, status_code=status)


# the send form's fields as its labels name them (an error names the field it is about)
_SEND_FIELDS = {
    "to": "Send to partner nodes",
    "handling": "Handling code",
    "handling_note": "Restrictions (H3)",
}


@router.post("/notices/{record_id:int}/send", response_class=HTMLResponse)
async def notice_send(request: Request, record_id: int, page: Page, db: DB) -> Response:
    """Send the notice to the partner nodes ticked on its page."""
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    to = [str(v) for v in form.getlist("to")]
    try:
        notice_exchange.send(
            db,
            node_keys(request),
            page.principal,
            record_id,
            to,
            str(form.get("handling") or "") or None,
            str(form.get("handling_note") or "") or None,
        )
        db.commit()
    except InvalidInput as exc:  # a refusal (403) goes the usual way: audited
        db.rollback()
        _ = translator(page.lang)
        errors = [
            f"{_(_SEND_FIELDS.get(e.field, e.field))}: {translate_error(e.message, page.lang)}"
            for e in exc.errors
        ]
        errors = errors or [translate_error(exc.detail, page.lang)]
        return _notice_page(request, page, db, record_id, errors, status=exc.status)
    wake_sender(request)
    return RedirectResponse(f"/notices/{record_id}?sent=1", status_code=303)


@router.post("/notices/{record_id:int}/status")
async def notice_status(request: Request, record_id: int, page: Page, db: DB) -> Response:
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    try:
        screening.set_notice_status(
            db, page.principal, record_id, str(form.get("status", "")), _int(form.get("version"))
        )
        db.commit()
    except StaleEdit:
        db.rollback()
        return RedirectResponse(f"/notices/{record_id}?stale=1", status_code=303)
    return RedirectResponse(f"/notices/{record_id}?saved=1", status_code=303)


# ---- registers and records -----------------------------------------------------------------


@router.get("/registers", response_class=HTMLResponse)
def registers(request: Request, page: Page, db: DB, offset: Offset = 0) -> HTMLResponse:
    return list_page(request, page, db, "registers", "registers.html", offset)


@router.get("/registers/{record_id:int}", response_class=HTMLResponse)
def register(
    request: Request, record_id: int, page: Page, db: DB, offset: Offset = 0
) -> HTMLResponse:
    obj = svc.get_record(db, page.principal, screening.REGISTERS, record_id)
    records, total = screening.list_register_records(
        db, page.principal, record_id, offset, PAGE_SIZE
    )
    db.commit()  # the audit row of the listing
    return render(
        request,
        "register.html",
        {
            **detail_context(page, obj),
            "records": records,
            "total": total,
            "offset": offset,
            "limit": PAGE_SIZE,
            "jobs": jobs.recent(db, page.principal, register_id=record_id),
            "max_mb": _max_mb(request),
        },
    )


@router.get("/records/{record_id:int}", response_class=HTMLResponse)
def record(request: Request, record_id: int, page: Page, db: DB) -> HTMLResponse:
    obj = screening.read_register_record(db, page.principal, record_id)
    hits = screening.hits_of_record(db, page.principal, record_id)
    db.commit()  # the audit row of the read
    return render(request, "record.html", {"page": page, "o": obj, "hits": hits})


# ---- uploads ---------------------------------------------------------------------------------


@router.get("/notices/import", response_class=HTMLResponse)
def notices_upload(request: Request, page: Page) -> HTMLResponse:
    page.require_write()
    return _upload_page(request, page, "notices", None)


def _upload_page(
    request: Request,
    page: Page,
    what: str,
    register: Any,
    report: screening.ImportReport | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "import.html",
        {
            "page": page,
            "what": what,
            "register": register,
            "report": report,
            "error": error,
            "max_mb": _max_mb(request),
        },
        status_code=status,
    )


async def _upload(request: Request, page: Page, db: DB, what: str, register: Any) -> Response:
    """Read the uploaded CSV and import it (in a worker thread: a big file takes a while)."""
    form = await request.form(max_files=1, max_fields=10)
    page.check_csrf(form)
    upload = form.get("file")
    sharing = Sharing.ALL if form.get("sharing") == Sharing.ALL.value else Sharing.AGENCY
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise InvalidInput("choose a CSV file to upload")
        text = screening.open_upload(
            upload.file, upload.filename, settings_of(request).max_upload_bytes
        )
        if register is None:
            report = await run_in_threadpool(
                screening.import_notices, db, page.principal, text, sharing
            )
        else:
            report = await run_in_threadpool(
                screening.import_records, db, page.principal, register.id, text
            )
    except InvalidInput as exc:
        db.rollback()
        message = translate_error(exc.detail, page.lang)
        return _upload_page(request, page, what, register, error=message, status=422)
    return _upload_page(request, page, what, register, report)


@router.post("/notices/import", response_class=HTMLResponse)
async def notices_import(request: Request, page: Page, db: DB) -> Response:
    page.require_write()
    return await _upload(request, page, db, "notices", None)


@router.post("/registers/{record_id:int}/import", response_class=HTMLResponse)
async def records_import(request: Request, record_id: int, page: Page, db: DB) -> Response:
    page.require_write()
    obj = svc.get_record(db, page.principal, screening.REGISTERS, record_id)
    return await _upload(request, page, db, "records", obj)


# ---- screening jobs -------------------------------------------------------------------------


@router.get("/screening", response_class=HTMLResponse)
def screening_home(request: Request, page: Page, db: DB, register: JobQ = None) -> HTMLResponse:
    return _screening_page(request, page, db, {"register_id": register})


def _screening_page(
    request: Request,
    page: Page,
    db: DB,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "screening.html",
        {
            "page": page,
            "registers": screening.registers_for(db, page.principal),
            "jobs": jobs.recent(db, page.principal),
            "pending": screening.list_hits(db, page.principal, limit=0)[1],
            "engines": list(ENGINES),
            "values": {"threshold": HIT_THRESHOLD, "engine": "python", **values},
            "errors": errors or {},
            "min_threshold": jobs.MIN_THRESHOLD,
            "default_threshold": HIT_THRESHOLD,
        },
        status_code=status,
    )


@router.post("/screening/jobs")
async def start_job(request: Request, page: Page, db: DB) -> Response:
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    values = {k: form.get(k) for k in ("register_id", "engine", "threshold")}
    try:
        # 0,5 (Vietnamese) and 0.5 (English) are the same threshold.
        threshold = float(str(values["threshold"]).strip().replace(",", "."))
    except ValueError:
        threshold = -1.0
    try:
        register_id = _int(values["register_id"])
        if register_id is None:
            raise InvalidInput(
                "choose a register", errors=[FieldError("register_id", "Field required")]
            )
        job = jobs.start(db, page.principal, register_id, threshold, str(values["engine"]))
        db.commit()
    except InvalidInput as exc:
        db.rollback()
        errors = {e.field: translate_error(e.message, page.lang) for e in exc.errors}
        return _screening_page(request, page, db, values, errors, status=422)
    request.app.state.jobs.submit(job.id)
    return RedirectResponse(f"/screening/jobs/{job.id}", status_code=303)


@router.get("/screening/jobs/{record_id:int}", response_class=HTMLResponse)
def job_page(request: Request, record_id: int, page: Page, db: DB) -> HTMLResponse:
    job = jobs.get(db, page.principal, record_id)
    context = {
        "page": page,
        "job": job,
        "live": job.status in (JobStatus.QUEUED, JobStatus.RUNNING),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "job":
        return render(request, "_job.html", context)
    return render(request, "job.html", context)


# ---- review ----------------------------------------------------------------------------------


@router.get("/screening/hits", response_class=HTMLResponse)
def hits(
    request: Request,
    page: Page,
    db: DB,
    status: HitStatusQ = "pending",
    job: JobQ = None,
    notice: JobQ = None,
    offset: Offset = 0,
) -> HTMLResponse:
    chosen = None if status == "all" else HitStatus(status)
    items, total = screening.list_hits(
        db, page.principal, chosen, job, notice, offset, PAGE_SIZE, audited=True
    )
    db.commit()  # the audit row of the listing
    return render(
        request,
        "hits.html",
        {
            "page": page,
            "items": items,
            "total": total,
            "offset": offset,
            "limit": PAGE_SIZE,
            "status": status,
            "job": job,
            "notice": notice,
            "jobs": jobs.recent(db, page.principal),
        },
    )


def _liaison(db: DB, page: Page) -> bool:
    """Whether the reader may ask a partner (this node's agency's officers and admins)."""
    try:
        assistance.require_liaison(db, page.principal)
    except HoptacError:
        return False
    return True


def _hit_page(
    request: Request,
    page: Page,
    db: DB,
    record_id: int,
    error: str | None = None,
    reason: str = "",
    status: int = 200,
) -> HTMLResponse:
    hit = screening.read_hit(db, page.principal, record_id)
    pending = screening.list_hits(db, page.principal, job_id=hit.job_id, limit=2)[0]
    next_hit = next((h for h in pending if h.id != hit.id), None)
    can_ask = hit.status is HitStatus.CONFIRMED and _liaison(db, page)
    db.commit()  # the audit row of the read
    return render(
        request,
        "hit.html",
        {
            "page": page,
            "hit": hit,
            "n": hit.notice,
            "r": hit.record,
            "reasons": screening.reason_lines(hit.reasons),
            "editable": can_edit(hit.job, page.principal),
            "next_hit": next_hit,
            "can_ask": can_ask,
            "error": error,
            "reason": reason,
            "birth_of": screening.birth_of,
        },
        status_code=status,
    )


@router.get("/screening/hits/{record_id:int}", response_class=HTMLResponse)
def hit(request: Request, record_id: int, page: Page, db: DB) -> HTMLResponse:
    return _hit_page(request, page, db, record_id)


@router.post("/screening/hits/{record_id:int}/decision")
async def decide(request: Request, record_id: int, page: Page, db: DB) -> Response:
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    reason = str(form.get("reason", ""))
    try:
        screening.decide(db, page.principal, record_id, str(form.get("decision", "")), reason)
        db.commit()
    except (InvalidInput, Conflict) as exc:
        db.rollback()
        message = (
            page.t("Write the reason for your decision.")
            if isinstance(exc, InvalidInput) and exc.errors and exc.errors[0].field == "reason"
            else translate_error(exc.detail, page.lang)
        )
        return _hit_page(request, page, db, record_id, message, reason, status=exc.status)
    return RedirectResponse(f"/screening/hits/{record_id}?saved=1", status_code=303)


# ---- person search -----------------------------------------------------------------------


@router.get("/search", response_class=HTMLResponse)
def person_search(request: Request, page: Page, db: DB, q: Q = None) -> HTMLResponse:
    results = search.search(db, page.principal, q) if q and q.strip() else None
    db.commit()  # the audit row of the search
    return render(
        request,
        "search.html",
        {"page": page, "q": q or "", "results": results, "birth_of": screening.birth_of},
    )
