"""Request pages: the agency's requests for assistance (the most pressing first), a new
draft, one request with its deadlines, its history and a form for each step the reader may
take now. Each handler: parse, call one service (`hoptac.assistance.service`), render."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from hoptac.assistance import service, sla, states
from hoptac.assistance.states import Action, RequestKind, RequestPriority, Side, State
from hoptac.auth.scoping import scoped
from hoptac.db.models import Agreement, AssistanceRequest, ScreeningHit
from hoptac.errors import FieldError, HoptacError, InvalidInput
from hoptac.exchange import peering
from hoptac.screening import service as screening
from hoptac.types import HitStatus, whole_number
from hoptac.web.deps import DB, Page, PageContext, client_of, lang_of, node_keys, wake_sender
from hoptac.web.i18n import dates_in_text, translate_error
from hoptac.web.pages.render import render, request_words

router = APIRouter(include_in_schema=False)

PAGE = 50
# the fields each step's form asks for (the state machine says which it needs)
STEP_FIELDS = {
    states.REASON: "text",
    states.QUESTION: "text",
    states.TEXT: "text",
    states.REASON_CODE: "code",
    states.NEW_DATE: "date",
}


def _flag(value: str | None) -> bool:
    return value in ("1", "true", "on")


@router.get("/requests", response_class=HTMLResponse)
def requests_list(
    request: Request,
    page: Page,
    db: DB,
    state: str | None = None,
    peer: str | None = None,
    open: str | None = None,
    overdue: str | None = None,
    offset: int = 0,
) -> Response:
    query = service.RequestQuery(
        state=state if state in {s.value for s in State} else None,
        peer=peer or None,
        open_only=_flag(open),
        overdue_only=_flag(overdue),
        limit=PAGE,
        offset=max(0, min(offset, 1_000_000)),
    )
    rows, total = service.list_requests(db, page.principal, query, client=client_of(request))
    out = render(
        request,
        "requests.html",
        {
            "page": page,
            "items": [(r, service.nearest(r)) for r in rows],
            "total": total,
            "offset": query.offset,
            "limit": PAGE,
            "filters": {
                "state": query.state,
                "open": query.open_only,
                "overdue": query.overdue_only,
            },
            "states": [s.value for s in State],
            **request_words(request),
        },
    )
    db.commit()  # the listing's audit row
    return out


def _form_context(request: Request, page: Any, db: Session) -> dict[str, Any]:
    service.require_liaison(db, page.principal)
    agreements = db.scalars(
        scoped(
            sa.select(Agreement).order_by(Agreement.title),
            Agreement,
            page.principal,
        )
    ).all()
    return {
        "page": page,
        "peers": peering.peers(db),
        "kinds": [k.value for k in RequestKind],
        "coercive": [k.value for k in states.COERCIVE],
        "priorities": [p.value for p in RequestPriority],
        "agreements": agreements,
        **request_words(request),
    }


@router.get("/requests/sla", response_class=HTMLResponse)
def requests_sla(request: Request, page: Page, db: DB, year: int | None = None) -> Response:
    year = year if year is not None and 2000 <= year <= 2100 else None
    lines = sla.levels(db, page.principal, year=year)
    return render(request, "requests_sla.html", {"page": page, "lines": lines, "year": year})


@router.get("/requests/sla.csv")
def requests_sla_csv(page: Page, db: DB, year: int | None = None) -> Response:
    year = year if year is not None and 2000 <= year <= 2100 else None
    return Response(
        sla.to_csv(sla.levels(db, page.principal, year=year)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="service-levels.csv"'},
    )


def _from_hit(hit: ScreeningHit, page: PageContext) -> dict[str, str]:
    """A draft asking the partner to act on a confirmed hit: an arrest (the officer may
    choose another kind), titled with the notice's name, the person as the register
    recorded them, and the hit and the notice linked (they stay on this node)."""
    n, r = hit.notice, hit.record
    birth = screening.birth_of(r)
    parts = [r.name, birth.iso() if birth else "", r.nationality or "", r.document_number or ""]
    seen = f", {dates_in_text(r.seen_at, page.lang)}" if r.seen_at else ""
    summary = page.t(
        "Our screening matched the register record {record} ({register}{seen}) with the "
        "notice {notice}. The match was confirmed by {reviewer}: {reason}"
    ).format(
        record=r.ref or r.id,
        register=r.register.name,
        seen=seen,
        notice=n.ref or n.id,
        reviewer=hit.reviewer or "",
        reason=hit.decision_reason or "",
    )
    return {
        "kind": RequestKind.ARREST.value,
        "title": n.name[:300],
        "summary": summary,
        "persons": " | ".join(parts).rstrip(" |"),
        "hit_id": str(hit.id),
        "notice_id": str(n.id),
    }


HitId = Annotated[int | None, Query(ge=1, le=2**62)]


@router.get("/requests/new", response_class=HTMLResponse)
def request_new(
    request: Request, page: Page, db: DB, to: str | None = None, hit: HitId = None
) -> Response:
    values = {"to": to or "", "kind": "verify_identity", "priority": "P3", "handling": "H0"}
    ctx = _form_context(request, page, db)
    error = None
    if hit is not None:  # from a confirmed hit: ask the partner in one step
        found = screening.read_hit(db, page.principal, hit)  # 404 unless the reader's; audited
        if found.status is HitStatus.CONFIRMED:
            values.update(_from_hit(found, page))
        else:
            error = page.t("Only a confirmed hit is put to a partner: confirm it first.")
    out = render(
        request, "request_form.html", {**ctx, "values": values, "errors": {}, "error": error}
    )
    db.commit()  # the hit's read, audited
    return out


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _persons(text: str) -> list[dict[str, Any]]:
    """One person a line: NAME | BIRTH | NATIONALITY | DOCUMENT (the last three optional)."""
    out = []
    for line in _lines(text):
        parts = [p.strip() for p in line.split("|")]
        keys = ("name", "birth", "nationality", "document")
        out.append({k: v for k, v in zip(keys, parts, strict=False) if v})
    return out


def _linked_persons(values: dict[str, str]) -> list[dict[str, Any]]:
    """The persons lines, the first carrying the hit and the notice the draft came from
    (hidden fields; `create_draft` checks the reader may see them)."""
    persons = _persons(values.get("persons", ""))
    for key in ("hit_id", "notice_id"):
        text = values.get(key, "")
        if persons and whole_number(text) is not None:
            persons[0][key] = int(text)
    return persons


@router.post("/requests", response_class=HTMLResponse)
async def request_create(request: Request, page: Page, db: DB) -> Response:
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    agreement = values.get("legal_agreement_id", "")
    data: dict[str, Any] = {
        "to": values.get("to", ""),
        "kind": values.get("kind", ""),
        "priority": values.get("priority", "P3"),
        "priority_reason": values.get("priority_reason") or None,
        "title": values.get("title", ""),
        "summary": values.get("summary", ""),
        "measures": _lines(values.get("measures", "")),
        "persons": _linked_persons(values),
        "legal_agreement_id": whole_number(agreement),
        "legal_basis": values.get("legal_basis") or None,
        "handling": values.get("handling", "H0"),
        "handling_note": values.get("handling_note") or None,
    }
    try:
        row = service.create_draft(db, page.principal, data, client=client_of(request))
    except InvalidInput as exc:
        db.rollback()
        ctx = _form_context(request, page, db)
        lang = lang_of(request)
        errors = {e.field.split(".")[0]: translate_error(e.message, lang) for e in exc.errors}
        message = translate_error(exc.detail, lang)
        context = {**ctx, "values": values, "errors": errors, "error": message}
        return render(request, "request_form.html", context, status_code=422)
    uid = row.uid
    db.commit()
    return RedirectResponse(f"/requests/{quote(uid)}?created=1", status_code=303)


# border gates where persons are handed over (the place's field offers them)
BORDER_GATES = (
    "Hữu Nghị",
    "Móng Cái",
    "Mộc Bài",
    "Lào Cai",
    "Tịnh Biên",
    "Cầu Treo",
    "Lao Bảo",
    "Bờ Y",
)
HANDOVER_LISTS = ("persons", "handing_officers", "receiving_officers", "documents")
HANDOVER_FIELDS = (*HANDOVER_LISTS, "place", "at", "handing_agency", "receiving_agency", "text")


def _handover_values(db: Session, page: Any, row: AssistanceRequest) -> dict[str, str]:
    """The handover form filled with what the request already says: its persons, and
    the two agencies (the side executing the surrender hands over)."""
    ours = service.require_liaison(db, page.principal).name
    theirs = row.peer.name
    receiving = row.side == Side.RECEIVING
    return {
        "persons": "\n".join(str(p.get("name", "")) for p in row.persons if p.get("name")),
        "handing_agency": ours if receiving else theirs,
        "receiving_agency": theirs if receiving else ours,
    }


def _detail(
    request: Request,
    page: Any,
    db: Session,
    uid: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    handover_values: dict[str, str] | None = None,
    handover_errors: dict[str, str] | None = None,
) -> HTMLResponse:
    row = service.read_request(db, page.principal, uid, client=client_of(request))
    actions = service.actions_for(row, page.principal)
    handover = service.handover_of(db, row)
    step = service.HANDOVER_STEPS.get((Side(row.side), State(row.state)))
    takes_handover = (
        row.kind == RequestKind.SURRENDER
        and handover is None
        and step is not None
        and step in actions
    )
    forms = []
    for action in actions:
        if action is Action.ANSWER and row.kind == RequestKind.SURRENDER:
            continue  # a hand-over request is answered with its handover (the form above)
        rules = [r for r in states.RULES if r.action is action]
        needs = next((r.needs for r in rules if State(row.state) in r.sources), ())
        forms.append((action.value, [(n, STEP_FIELDS.get(n, "text")) for n in needs]))
    out = render(
        request,
        "request.html",
        {
            "page": page,
            "r": row,
            "top": service.nearest(row),
            "deadlines": service.deadlines(row),
            "forms": forms,
            "can_extend": service.can_extend(row, page.principal),
            "extendable": [d.name.value for d in service.deadlines(row) if d.due and not d.met_at],
            "refusals": [c.value for c in states.RefusalReason],
            "error": error,
            "handover": handover,
            "takes_handover": takes_handover,
            "handover_step": step.value if step else None,
            "handover_values": handover_values
            or (_handover_values(db, page, row) if takes_handover else {}),
            "handover_errors": handover_errors or {},
            "gates": [(page.t("{gate} border gate").format(gate=g)) for g in BORDER_GATES],
            **request_words(request),
        },
        status_code=status_code,
    )
    db.commit()  # the read's audit row
    return out


@router.get("/requests/{uid}", response_class=HTMLResponse)
def request_detail(request: Request, page: Page, db: DB, uid: str) -> Response:
    return _detail(request, page, db, uid)


@router.post("/requests/{uid}/steps/{action}", response_class=HTMLResponse)
async def request_step(request: Request, page: Page, db: DB, uid: str, action: str) -> Response:
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    details = {
        k: str(v).strip()
        for k, v in form.items()
        if k in service.DETAIL_KEYS and isinstance(v, str) and str(v).strip()
    }
    version = str(form.get("version", ""))
    try:
        service.take(
            db,
            node_keys(request),
            page.principal,
            uid,
            action,
            details,
            version=whole_number(version),
            client=client_of(request),
        )
    except HoptacError as exc:
        if exc.status not in (409, 412, 422):
            raise
        db.rollback()
        message = translate_error(exc.detail, lang_of(request))
        return _detail(request, page, db, uid, error=message, status_code=exc.status)
    db.commit()
    wake_sender(request)
    return RedirectResponse(f"/requests/{quote(uid)}?done={quote(action)}", status_code=303)


@router.post("/requests/{uid}/extend", response_class=HTMLResponse)
async def request_extend(request: Request, page: Page, db: DB, uid: str) -> Response:
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    text = str(form.get("due", "")).strip()
    try:
        due = datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None
    except ValueError:
        due = None
    try:
        if due is None:
            raise InvalidInput("the new due time is not a date and time", errors=[])
        service.extend(
            db,
            node_keys(request),
            page.principal,
            uid,
            str(form.get("deadline", "")),
            due,
            str(form.get("reason", "")),
            client=client_of(request),
        )
    except HoptacError as exc:
        if exc.status not in (409, 422):
            raise
        db.rollback()
        message = translate_error(exc.detail, lang_of(request))
        return _detail(request, page, db, uid, error=message, status_code=exc.status)
    db.commit()
    wake_sender(request)
    return RedirectResponse(f"/requests/{quote(uid)}?done=extend", status_code=303)


def _handover_data(values: dict[str, str]) -> dict[str, Any]:
    """The handover form as `service.record_handover` takes it: lists one item a line,
    the date and time read as UTC (the form says so)."""
    data: dict[str, Any] = {k: _lines(values.get(k, "")) for k in HANDOVER_LISTS}
    for key in ("place", "handing_agency", "receiving_agency"):
        data[key] = values.get(key, "").strip()
    text = values.get("at", "").strip()
    if text:
        try:
            data["at"] = datetime.fromisoformat(text).replace(tzinfo=UTC).isoformat()
        except ValueError:
            raise InvalidInput(
                "the handover is not valid",
                errors=[FieldError("handover.at", "write the date and time")],
            ) from None
    return data  # no "at": the model says it is required


@router.post("/requests/{uid}/handover", response_class=HTMLResponse)
async def request_handover(request: Request, page: Page, db: DB, uid: str) -> Response:
    """Record the person handed over: the executing side's answer, or the requesting
    side's close once the partner answered (the service picks the step)."""
    page.require_write()
    form = await request.form()
    page.check_csrf(form)
    values = {k: str(form.get(k, "")) for k in HANDOVER_FIELDS if isinstance(form.get(k), str)}
    version = str(form.get("version", ""))
    lang = lang_of(request)
    try:
        service.record_handover(
            db,
            node_keys(request),
            page.principal,
            uid,
            _handover_data(values),
            text=values.get("text", "").strip() or None,
            version=whole_number(version),
            client=client_of(request),
        )
    except HoptacError as exc:
        if exc.status not in (409, 412, 422):
            raise
        db.rollback()
        errors: dict[str, str] = {}
        message = translate_error(exc.detail, lang)
        if isinstance(exc, InvalidInput) and exc.errors:
            for e in exc.errors:
                field = e.field.removeprefix("handover.").split(".")[0]
                errors.setdefault(field, translate_error(e.message, lang))
            message = page.t("Please correct the highlighted fields.")
        return _detail(
            request, page, db, uid, error=message, status_code=exc.status,
            handover_values=values, handover_errors=errors,
        )  # fmt: skip
    db.commit()
    wake_sender(request)
    return RedirectResponse(f"/requests/{quote(uid)}?done=handover", status_code=303)


@router.get("/requests/{uid}/files/{index:int}")
def request_file(request: Request, page: Page, db: DB, uid: str, index: int) -> Response:
    found = service.attachment(db, page.principal, uid, index, client=client_of(request))
    db.commit()
    return Response(
        found.data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.name)}"},
    )
