"""Administration pages: the audit log, listed with filters and exported for auditors.
Only admins read it, only their own agency's rows and the node's; every reading, and every
refused attempt, is itself an audit row."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from hoptac.auth import audit
from hoptac.errors import Forbidden
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
