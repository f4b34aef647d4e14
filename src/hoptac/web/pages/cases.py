"""Case pages: the agency's cases (open or closed), a new case, and one case with the
records it ties in, its evidence and each item's chain of custody, the forms that change
it (link a record, add an item, hand an item on, transfer, close) and its timeline from
every source, newest first. Each handler: parse, call one service
(`hoptac.assistance.cases`), render. A refusal the officer can mend (409, 412, 413, 422)
is shown on the page; 403 and 404 go to the app's error page (and its audit row)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from hoptac.assistance import cases, states
from hoptac.assistance import service as requests
from hoptac.assistance.states import Action, State
from hoptac.auth.scoping import scoped
from hoptac.db.models import Agency, Notice, Person, ScreeningHit, User
from hoptac.errors import FieldError, HoptacError, InvalidInput, NotFound
from hoptac.screening import service as screening
from hoptac.types import Role, whole_number
from hoptac.web.deps import DB, Page, PageContext, client_of, lang_of, settings_of
from hoptac.web.i18n import dates_in_text, translate_error
from hoptac.web.pages.render import agency_name, render

router = APIRouter(include_in_schema=False)

PAGE = 50
MENDABLE = (409, 412, 413, 422)  # refusals shown on the page, with the form kept

# Words of the cases' own vocabularies, in the reader's language: (vi, en).
STATUS_WORDS = {"open": ("Đang xử lý", "Open"), "closed": ("Đã đóng", "Closed")}
LINK_WORDS = {
    "request": ("Đề nghị tương trợ", "Request for assistance"),
    "notice": ("Thông báo truy nã", "Notice"),
    "hit": ("Kết quả sàng lọc", "Screening hit"),
    "person": ("Nhân sự", "Person"),
    "thread": ("Trao đổi qua đường dây nóng", "Hotline thread"),
}
EVIDENCE_WORDS = {"file": ("Tệp tài liệu", "File"), "physical": ("Vật chứng", "Physical item")}
SOURCE_WORDS = {
    "case": ("Hồ sơ", "Case"),
    "custody": ("Giao nhận", "Custody"),
    "request": ("Tương trợ", "Request"),
    "hit": ("Sàng lọc", "Screening"),
    "notice": ("Truy nã", "Notice"),
    "message": ("Đường dây nóng", "Hotline"),
}
EVENT_WORDS = {
    "opened": ("Mở hồ sơ", "Case opened"),
    "linked": ("Liên kết bản ghi", "Record linked"),
    "evidence_added": ("Thêm chứng cứ", "Evidence added"),
    "transferred": ("Chuyển giao hồ sơ", "Case transferred"),
    "closed": ("Đóng hồ sơ", "Case closed"),
    "shared": ("Chia sẻ hồ sơ", "Case shared"),
    "unshared": ("Ngừng chia sẻ hồ sơ", "Case no longer shared"),
    "custody": ("Bàn giao chứng cứ", "Custody handed on"),
    "sent": ("Ta gửi tin", "Message sent"),
    "received": ("Nhận tin của đối tác", "Message received"),
    "extend": ("Gia hạn thời hạn", "Deadline extended"),
}
HREFS = {
    "request": "/requests/{}",
    "notice": "/notices/{}",
    "hit": "/screening/hits/{}",
    "person": "/people/{}",
    "thread": "/hotline/threads/{}",
}


def _pick(table: Mapping[str, tuple[str, str]], lang: str) -> dict[str, str]:
    i = 0 if lang == "vi" else 1
    return {k: v[i] for k, v in table.items()}


def _words(lang: str) -> dict[str, Any]:
    return {
        "status_word": _pick(STATUS_WORDS, lang),
        "link_word": _pick(LINK_WORDS, lang),
        "evidence_word": _pick(EVIDENCE_WORDS, lang),
        "source_word": _pick(SOURCE_WORDS, lang),
        "link_kinds": list(cases.LINK_KINDS),
        "evidence_kinds": list(cases.EVIDENCE_KINDS),
    }


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _version(form: FormData) -> int | None:
    text = _text(form, "version")
    return whole_number(text, max_value=2**31 - 1)


def _refusal(exc: HoptacError, lang: str, t: Callable[[str], str]) -> tuple[str, dict[str, str]]:
    """The page's message and each field's, in the reader's language."""
    errors: dict[str, str] = {}
    if isinstance(exc, InvalidInput) and exc.errors:
        for e in exc.errors:
            errors.setdefault(e.field.split(".")[-1], translate_error(e.message, lang))
        return t("Please correct the highlighted fields."), errors
    return translate_error(exc.detail, lang), errors


# ---- the list ------------------------------------------------------------------------------


def _list(
    request: Request,
    page: PageContext,
    db: Session,
    status: str | None,
    offset: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    chosen = status if status in ("open", "closed", "all") else "open"
    rows, total = cases.list_cases(
        db,
        page.principal,
        status=None if chosen == "all" else chosen,
        limit=PAGE,
        offset=offset,
        client=client_of(request),
    )
    out = render(
        request,
        "cases.html",
        {
            "page": page,
            "items": rows,
            "total": total,
            "offset": offset,
            "limit": PAGE,
            "status": chosen,
            "values": values or {},
            "errors": errors or {},
            "error": error,
            **_words(lang_of(request)),
        },
        status_code=status_code,
    )
    db.commit()  # the listing's audit row
    return out


@router.get("/cases", response_class=HTMLResponse)
def cases_list(
    request: Request, page: Page, db: DB, status: str | None = None, offset: int = 0
) -> Response:
    return _list(request, page, db, status, max(0, min(offset, 1_000_000)))


@router.post("/cases", response_class=HTMLResponse)
async def case_open(request: Request, page: Page, db: DB) -> Response:
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    values = {k: _text(form, k) for k in ("title", "summary", "officer")}
    try:
        case = cases.open_case(
            db,
            page.principal,
            values["title"],
            values["summary"],
            officer=values["officer"] or None,
            client=client_of(request),
        )
    except HoptacError as exc:
        if exc.status not in MENDABLE:
            raise
        db.rollback()
        message, errors = _refusal(exc, page.lang, page.t)
        return _list(
            request, page, db, "open", 0,
            values=values, errors=errors, error=message, status_code=exc.status,
        )  # fmt: skip
    ref = case.ref
    db.commit()
    return RedirectResponse(f"/cases/{quote(ref)}?done=opened", status_code=303)


# ---- one case ------------------------------------------------------------------------------


def _link_label(db: Session, page: PageContext, kind: str, ref: str) -> str | None:
    """What a linked record is called, when the reader may still see it (no audit row:
    the case's read has its own)."""
    try:
        if kind == "request":
            return requests.get_request(db, page.principal, ref).title
        number = whole_number(ref, max_value=2**62)
        if number is None:
            return None
        if kind == "notice":
            notice = db.scalars(
                scoped(sa.select(Notice).where(Notice.id == number), Notice, page.principal)
            ).first()
            return notice.name if notice else None
        if kind == "person":
            person = db.scalars(
                scoped(sa.select(Person).where(Person.id == number), Person, page.principal)
            ).first()
            return person.full_name if person else None
        if kind == "hit":
            hit = db.scalars(
                screening.visible_hits(page.principal).where(ScreeningHit.id == number)
            ).first()
            return f"{hit.notice.name} ↔ {hit.record.name}" if hit else None
    except HoptacError:
        return None
    return None


def _owner_name(db: Session, agency_id: int, lang: str) -> str:
    agency = db.get(Agency, agency_id)
    return agency_name(agency, lang) if agency is not None else str(agency_id)


def _agency_choices(db: Session, page: PageContext) -> list[tuple[int, str]]:
    """Agencies a case may be transferred to: those with officers on this node, that the
    reader may see; its own first."""
    staffed = sa.select(User.agency_id).where(
        User.is_active.is_(True), User.role.in_([Role.OFFICER, Role.ADMIN])
    )
    rows = db.scalars(
        scoped(sa.select(Agency).where(Agency.id.in_(staffed)), Agency, page.principal)
    ).all()
    named = sorted(
        ((a.id, agency_name(a, page.lang)) for a in rows),
        key=lambda x: (x[0] != page.principal.agency_id, x[1].casefold()),
    )
    return named


def _officers(db: Session, page: PageContext) -> list[str]:
    """The agency's officers and admins: who may take the case."""
    return list(
        db.scalars(
            sa.select(User.username)
            .where(
                User.agency_id == page.principal.agency_id,
                User.is_active.is_(True),
                User.role.in_([Role.OFFICER, Role.ADMIN]),
            )
            .order_by(User.username)
        )
    )


def _entry_view(
    db: Session, entry: cases.Entry, lang: str, t: Callable[[str], str]
) -> dict[str, Any]:
    """One line of the timeline: its source, what happened and its details, as the reader
    reads them."""
    i = 0 if lang == "vi" else 1
    d = entry.detail
    lines: list[tuple[str, str, str | None]] = []  # (label, value, link)

    def add(label: str, value: Any, href: str | None = None) -> None:
        if value not in (None, ""):
            lines.append((t(label), dates_in_text(str(value), lang), href))

    what = EVENT_WORDS.get(entry.what, (entry.what, entry.what))[i]
    if entry.source == "case":
        if entry.what == "opened":
            add("Title", d.get("title"))
        elif entry.what == "linked":
            kind, ref = str(d.get("kind", "")), str(d.get("ref", ""))
            href = HREFS[kind].format(quote(ref)) if kind in HREFS else None
            add(LINK_WORDS.get(kind, (kind, kind))[i], ref, href)
        elif entry.what == "evidence_added":
            kind = str(d.get("kind", ""))
            add("Item", f"#{d.get('item')} · {EVIDENCE_WORDS.get(kind, (kind, kind))[i]}")
            add("Holder", d.get("holder"))
            sha = d.get("sha256")
            add("SHA-256", f"{sha[:16]}…" if isinstance(sha, str) else None)  # whole on its item
        elif entry.what == "transferred":
            add("Officer in charge", d.get("officer"))
            agency = db.get(Agency, d["agency_id"]) if isinstance(d.get("agency_id"), int) else None
            add("Agency", agency_name(agency, lang) if agency is not None else None)
            add("Reason", d.get("reason"))
        elif entry.what in ("shared", "unshared"):
            agency = db.get(Agency, d["agency_id"]) if isinstance(d.get("agency_id"), int) else None
            add("Agency", agency_name(agency, lang) if agency is not None else None)
            add("Up to handling code", d.get("max_handling"))
    elif entry.source == "custody":
        add("Item", f"#{d.get('item')}")
        add("Handed", f"{d.get('from')} → {d.get('to')}")
        add("Place", d.get("place"))
        add("Reason", d.get("reason"))
    elif entry.source == "request":
        if entry.what in {a.value for a in Action}:
            what = states.ACTION_LABEL[Action(entry.what)][i]
        add("Request", d.get("request"))
        add("By", d.get("actor"))
        if d.get("to") in {s.value for s in State}:
            add("State", states.STATE_LABEL[State(d["to"])][i])
        for key in (states.REASON, states.QUESTION, states.TEXT, "partner_ref"):
            add(key, d.get(key))
        code = d.get(states.REASON_CODE)
        if code in {r.value for r in states.RefusalReason}:
            add(states.REASON_CODE, states.REFUSAL_LABEL[states.RefusalReason(code)][i])
        handover = d.get(requests.HANDOVER)
        if isinstance(handover, Mapping):
            persons = ", ".join(str(p) for p in handover.get("persons", []))
            add("Handover", f"{persons} · {handover.get('place', '')}")
    elif entry.source == "hit":
        what = f"{t('Hit')}: {t(entry.what)}"
        add("Reason", d.get("reason"))
        add("By", d.get("by"))
    elif entry.source == "notice":
        what = f"{t('Notice')}: {t(entry.what)}"
        add("Name", d.get("name"))
    elif entry.source == "message":
        add("Partner", d.get("peer"))
    return {
        "at": entry.at,
        "source": entry.source,
        "source_word": SOURCE_WORDS.get(entry.source, (entry.source, entry.source))[i],
        "what": what,
        "href": entry.href,
        "lines": lines,
    }


def _detail(
    request: Request,
    page: PageContext,
    db: Session,
    ref: str,
    *,
    failed: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    case = cases.read_case(db, page.principal, ref, client=client_of(request))
    lang = lang_of(request)
    links = [
        {
            "kind": x.kind,
            "ref": x.ref,
            "href": HREFS[x.kind].format(quote(x.ref)) if x.kind in HREFS else None,
            "label": _link_label(db, page, x.kind, x.ref),
            "added_by": x.added_by,
            "added_at": x.added_at,
        }
        for x in cases.visible_links(db, page.principal, case)
    ]
    share = cases.share_of(case, page.principal)
    if share is not None:  # the owner's requests and threads: not the reader's to open
        for x in links:
            if x["kind"] in ("request", "thread"):
                x["href"] = None
    timeline = [_entry_view(db, e, lang, page.t) for e in cases.timeline(db, page.principal, case)]
    out = render(
        request,
        "case.html",
        {
            "page": page,
            "c": case,
            "links": links,
            "timeline": timeline,
            "officers": _officers(db, page),
            "agencies": _agency_choices(db, page),
            "shared": share.max_handling if share is not None else None,
            "owner": _owner_name(db, case.agency_id, lang) if share is not None else None,
            "handling_codes": cases.HANDLING,
            # the smaller of the two limits: the evidence file's and the upload's
            "evidence_max": min(cases.EVIDENCE_MAX_BYTES, settings_of(request).max_upload_bytes),
            "failed": failed,
            "values": values or {},
            "errors": errors or {},
            "error": error,
            **_words(lang),
        },
        status_code=status_code,
    )
    db.commit()  # the read's audit row
    return out


@router.get("/cases/{ref}", response_class=HTMLResponse)
def case_detail(request: Request, page: Page, db: DB, ref: str) -> Response:
    return _detail(request, page, db, ref)


def _done(ref: str, what: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"/cases/{quote(ref)}?done={what}{anchor}", status_code=303)


def _mend(
    request: Request,
    page: PageContext,
    db: Session,
    ref: str,
    exc: HoptacError,
    failed: str,
    values: dict[str, str],
) -> HTMLResponse:
    """A refusal the officer can mend: the case again, the message on the form."""
    if exc.status not in MENDABLE:
        raise exc
    db.rollback()
    message, errors = _refusal(exc, page.lang, page.t)
    return _detail(
        request, page, db, ref, failed=failed, values=values, errors=errors, error=message,
        status_code=exc.status,
    )  # fmt: skip


@router.post("/cases/{ref}/links", response_class=HTMLResponse)
async def case_link(request: Request, page: Page, db: DB, ref: str) -> Response:
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    values = {k: _text(form, k) for k in ("kind", "target")}
    try:
        cases.link(
            db, page.principal, ref, values["kind"], values["target"],
            version=_version(form), client=client_of(request),
        )  # fmt: skip
    except HoptacError as exc:
        return _mend(request, page, db, ref, exc, "link", values)
    db.commit()
    return _done(ref, "linked", "#links")


@router.post("/cases/{ref}/shares", response_class=HTMLResponse)
async def case_share(request: Request, page: Page, db: DB, ref: str) -> Response:
    """Share the case with another agency of the node, up to a handling code."""
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    values = {k: _text(form, k) for k in ("agency_id", "max_handling")}
    try:
        agency_id = whole_number(values["agency_id"], max_value=2**31 - 1)
        if agency_id is None:
            raise InvalidInput("choose an agency", errors=[FieldError("agency_id", "required")])
        cases.share(
            db, page.principal, ref, agency_id, values["max_handling"],
            version=_version(form), client=client_of(request),
        )  # fmt: skip
    except HoptacError as exc:
        return _mend(request, page, db, ref, exc, "share", values)
    db.commit()
    return _done(ref, "shared", "#shares")


@router.post("/cases/{ref}/shares/{agency_id:int}/remove", response_class=HTMLResponse)
async def case_unshare(request: Request, page: Page, db: DB, ref: str, agency_id: int) -> Response:
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    try:
        cases.unshare(
            db, page.principal, ref, agency_id, version=_version(form), client=client_of(request)
        )
    except HoptacError as exc:
        return _mend(request, page, db, ref, exc, "share", {})
    db.commit()
    return _done(ref, "unshared", "#shares")


async def _upload(form: FormData) -> cases.File | None:
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None  # no file chosen (a physical item)
    data = await upload.read(cases.EVIDENCE_MAX_BYTES + 1)
    return cases.File(upload.filename, upload.content_type or "", data)


@router.post("/cases/{ref}/evidence", response_class=HTMLResponse)
async def case_evidence(request: Request, page: Page, db: DB, ref: str) -> Response:
    page.require_write()
    form = await request.form(max_files=1, max_fields=10)
    page.check_csrf(form)
    values = {k: _text(form, k) for k in ("kind", "description", "holder", "location")}
    try:
        item = cases.add_evidence(
            db, page.principal, ref, kind=values["kind"], description=values["description"],
            holder=values["holder"], location=values["location"] or None,
            file=await _upload(form), client=client_of(request),
        )  # fmt: skip
    except HoptacError as exc:
        return _mend(request, page, db, ref, exc, "evidence", values)
    item_id = item.id
    db.commit()
    return _done(ref, "evidence", f"#item-{item_id}")


def _item_id(text: str) -> int:
    """An evidence item's id from the path (the route takes any text: the caller's right
    to the route is checked first, then a malformed id reads as missing)."""
    number = whole_number(text, max_value=2**62)
    if number is None:
        raise NotFound(f"no evidence item {text[:40]!r}")
    return number


def _when(text: str) -> datetime | None:
    """A form's date and time (datetime-local), read as UTC; None when left empty."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidInput(
            "the date and time is not valid",
            errors=[FieldError("at", "write the date and time")],
        ) from None


@router.post("/cases/{ref}/evidence/{item}/custody", response_class=HTMLResponse)
async def case_custody(request: Request, page: Page, db: DB, ref: str, item: str) -> Response:
    page.require_write()
    item_id = _item_id(item)
    form = await request.form()
    page.check_csrf(form)
    values = {k: _text(form, k) for k in ("to_holder", "place", "reason", "at")}
    try:
        cases.transfer_custody(
            db, page.principal, ref, item_id, to_holder=values["to_holder"],
            place=values["place"], reason=values["reason"], at=_when(values["at"]),
            client=client_of(request),
        )  # fmt: skip
    except HoptacError as exc:
        return _mend(request, page, db, ref, exc, f"custody-{item_id}", values)
    db.commit()
    return _done(ref, "custody", f"#item-{item_id}")


@router.post("/cases/{ref}/transfer", response_class=HTMLResponse)
async def case_transfer(request: Request, page: Page, db: DB, ref: str) -> Response:
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    values = {k: _text(form, k) for k in ("officer", "agency_id", "reason")}
    agency = values["agency_id"]
    agency_id = whole_number(agency, max_value=2**31 - 1)
    if agency_id == page.principal.agency_id:
        agency_id = None  # staying in the agency: a new officer only
    try:
        cases.transfer(
            db, page.principal, ref, officer=values["officer"] or None, agency_id=agency_id,
            reason=values["reason"], version=_version(form), client=client_of(request),
        )  # fmt: skip
    except HoptacError as exc:
        return _mend(request, page, db, ref, exc, "transfer", values)
    db.commit()
    if agency_id is not None:  # the case is the other agency's now: no longer ours to read
        return RedirectResponse(f"/cases?done=transferred&ref={quote(ref)}", status_code=303)
    return _done(ref, "transferred")


@router.post("/cases/{ref}/close", response_class=HTMLResponse)
async def case_close(request: Request, page: Page, db: DB, ref: str) -> Response:
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    try:
        cases.close(db, page.principal, ref, version=_version(form), client=client_of(request))
    except HoptacError as exc:
        return _mend(request, page, db, ref, exc, "close", {})
    db.commit()
    return _done(ref, "closed")


@router.get("/cases/{ref}/evidence/{item}/file")
def case_file(request: Request, page: Page, db: DB, ref: str, item: str) -> Response:
    found = cases.evidence_file(db, page.principal, ref, _item_id(item), client=client_of(request))
    name, digest, data = found.name or "file", found.sha256 or "", found.data or b""
    db.commit()  # the download's audit row
    return Response(
        data,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-SHA256": digest,
        },
    )
