"""Administration pages: the audit log, listed with filters and exported for auditors
(only admins read it, only their own agency's rows; every reading, and every refused
attempt, is itself an audit row), and the agency's accounts (`auth.accounts`)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hoptac.auth import accounts, audit
from hoptac.errors import Forbidden
from hoptac.types import Role
from hoptac.web.deps import DB, Page, client_of
from hoptac.web.pages.render import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100

Text = Annotated[str | None, Query(max_length=80)]
Day = Annotated[date | None, Query()]


def filters_of(
    action: Text = None,
    user: Text = None,
    outcome: Text = None,
    since: Day = None,
    until: Day = None,
) -> audit.Filters:
    """The log's filters, from the query string (the page's form and the export link)."""
    return audit.Filters(action or None, user or None, outcome or None, since, until)


Filtered = Annotated[audit.Filters, Depends(filters_of)]


def _refused(db: DB, page: Page, request: Request, error: Forbidden) -> Forbidden:
    """A non-admin at the audit log: the attempt is recorded, then refused."""
    db.rollback()
    audit.record(
        db,
        audit.Action.AUDIT_VIEWED,
        principal=page.principal,
        outcome="denied",
        client=client_of(request),
        detail={"path": request.url.path},
    )
    db.commit()
    error.audited = True
    return error


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    page: Page,
    db: DB,
    filters: Filtered,
    offset: Annotated[int, Query(ge=0, le=100_000_000)] = 0,
) -> HTMLResponse:
    try:
        rows, total = audit.listing(
            db, page.principal, filters, offset, PAGE_SIZE, client_of(request)
        )
    except Forbidden as exc:
        raise _refused(db, page, request, exc) from None
    db.commit()
    query = urlencode(filters.as_detail())
    response = render(
        request,
        "audit.html",
        {
            "page": page,
            "rows": rows,
            "total": total,
            "offset": offset,
            "limit": PAGE_SIZE,
            "filters": filters,
            "query": query,
            "actions": sorted(a.value for a in audit.Action),
        },
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/admin/audit.csv")
def audit_export(
    request: Request,
    page: Page,
    db: DB,
    filters: Filtered,
) -> Response:
    try:
        lines = audit.export(db, page.principal, filters, client_of(request))
    except Forbidden as exc:
        raise _refused(db, page, request, exc) from None
    db.commit()  # the export's own row, and the chain's lock let go before the reading
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(audit.EXPORT_COLUMNS)
    writer.writerows(lines)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="audit.csv"',
            "Cache-Control": "no-store",
        },
    )


# ---- the agency's accounts --------------------------------------------------------------


@router.get("/admin/users", response_class=HTMLResponse)
def users(
    request: Request,
    page: Page,
    db: DB,
    done: Annotated[str | None, Query(max_length=40)] = None,
    user: Annotated[str | None, Query(max_length=80)] = None,
) -> HTMLResponse:
    return _users_page(request, page, db, done, user)


def _users_page(
    request: Request,
    page: Page,
    db: DB,
    done: str | None,
    user: str | None,
    one_time_password: str | None = None,
) -> HTMLResponse:
    """The agency's accounts, with the step just done (and a one-time password to show)."""
    context = {
        "page": page,
        "users": accounts.users_of(db, page.principal),
        "roles": list(Role),
        "done": done,
        "done_user": user,
        "one_time_password": one_time_password,
    }
    return render(request, "users.html", context)


@router.post("/admin/users/{record_id:int}")
async def user_step(request: Request, record_id: int, page: Page, db: DB) -> Response:
    form = await request.form()
    page.check_csrf(form)
    step, role = form.get("step"), form.get("role")
    done = accounts.apply(
        db,
        page.principal,
        record_id,
        step if isinstance(step, str) else "",
        client_of(request),
        role=role if isinstance(role, str) else None,
    )
    db.commit()
    if done.one_time_password is None:
        query = urlencode({"done": done.step.value, "user": done.user.username})
        return RedirectResponse(f"/admin/users?{query}", status_code=303)
    response = _users_page(
        request, page, db, done.step.value, done.user.username, done.one_time_password
    )
    response.headers["Cache-Control"] = "no-store"  # the password is shown this once
    return response
