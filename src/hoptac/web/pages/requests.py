"""Request pages: the agency's requests for assistance (the most pressing first), a new
draft, one request with its deadlines, its history and a form for each step the reader may
take now. Each handler: parse, call one service (`hoptac.assistance.service`), render."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from hoptac.assistance import service, sla, states
from hoptac.assistance.deadlines import DeadlineName
from hoptac.assistance.states import Action, RequestKind, RequestPriority, State
from hoptac.auth.scoping import scoped
from hoptac.db.models import Agreement
from hoptac.errors import HoptacError, InvalidInput
from hoptac.exchange import peering
from hoptac.web.deps import DB, Page, client_of, lang_of, node_keys, wake_sender
from hoptac.web.i18n import translate_error
from hoptac.web.pages.render import render

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
DEADLINE_WORDS = {
    DeadlineName.ACKNOWLEDGE: ("Tiếp nhận", "Acknowledge"),
    DeadlineName.ANSWER: ("Trả lời", "Answer"),
    DeadlineName.DECIDE: ("Quyết định", "Decide"),
    DeadlineName.EXECUTE: ("Thực hiện", "Execute"),
}


def _words(request: Request) -> dict[str, Any]:
    """The labels of states, kinds, actions and deadlines in the reader's language."""
    i = 0 if lang_of(request) == "vi" else 1
    return {
        "state_word": {s.value: states.STATE_LABEL[s][i] for s in State},
        "state_meaning": {s.value: states.MEANING[s][i] for s in State},
        "kind_word": {k.value: states.KIND_LABEL[k][i] for k in RequestKind},
        "action_word": {a.value: states.ACTION_LABEL[a][i] for a in Action},
        "refusal_word": {r.value: states.REFUSAL_LABEL[r][i] for r in states.RefusalReason},
        "deadline_word": {d.value: DEADLINE_WORDS[d][i] for d in DeadlineName},
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
            **_words(request),
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
        **_words(request),
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


@router.get("/requests/new", response_class=HTMLResponse)
def request_new(request: Request, page: Page, db: DB, to: str | None = None) -> Response:
    values = {"to": to or "", "kind": "verify_identity", "priority": "P3", "handling": "H0"}
    ctx = _form_context(request, page, db)
    return render(request, "request_form.html", {**ctx, "values": values, "errors": {}})


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


@router.post("/requests", response_class=HTMLResponse)
async def request_create(request: Request, page: Page, db: DB) -> Response:
    form = await request.form()
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
        "persons": _persons(values.get("persons", "")),
        "legal_agreement_id": int(agreement) if agreement.isdigit() else None,
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


def _detail(
    request: Request,
    page: Any,
    db: Session,
    uid: str,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    row = service.read_request(db, page.principal, uid, client=client_of(request))
    actions = service.actions_for(row, page.principal)
    forms = []
    for action in actions:
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
            **_words(request),
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
    form = await request.form()
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
            version=int(version) if version.isdigit() else None,
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
    from datetime import UTC, datetime

    form = await request.form()
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


@router.get("/requests/{uid}/files/{index:int}")
def request_file(request: Request, page: Page, db: DB, uid: str, index: int) -> Response:
    found = service.attachment(db, page.principal, uid, index, client=client_of(request))
    db.commit()
    return Response(
        found.data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.name)}"},
    )
