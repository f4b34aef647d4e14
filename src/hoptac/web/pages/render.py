"""Jinja2 environment and the helpers templates use."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from hoptac.auth.scoping import is_visible, shown
from hoptac.registry.service import partial_date
from hoptac.types import Precision
from hoptac.web.deps import lang_of
from hoptac.web.i18n import translate_error, translate_reason, translator

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))


def _pdate(day: date | None, precision: Precision | None) -> str:
    pd = partial_date(day, precision)
    return pd.display() if pd else "—"


def _period(start: tuple[Any, Any], end: tuple[Any, Any]) -> str:
    a, b = partial_date(*start), partial_date(*end)
    if a and b and a != b:
        if a.precision is b.precision is Precision.DAY and (a.year, a.month) == (b.year, b.month):
            return f"{a.day:02d}–{b.display()}"
        return f"{a.display()} – {b.display()}"
    return a.display() if a else "—"


@pass_context
def _shown(ctx: Context, value: Any) -> Any:
    """Related records the reader may see: a shared record may point at private ones.
    Without a logged-in page context nothing related is shown."""
    page = ctx.get("page")
    principal = page.principal if page is not None else None
    if isinstance(value, Iterable) and not isinstance(value, str):
        return [v for v in value if principal is not None and is_visible(v, principal)]
    return value if principal is not None and shown(value, principal) is not None else None


@pass_context
def _aname(ctx: Context, agency: Any) -> str:
    """An agency's name in the reader's language (Vietnamese when there is no other)."""
    if ctx.get("lang") == "en" and agency.name_en:
        return str(agency.name_en)
    return str(agency.name_vi)


@pass_context
def _country(ctx: Context, code: str) -> str:
    return str(ctx["_"]("International")) if code == "ZZ" else code


@pass_context
def _error(ctx: Context, message: str) -> str:
    """A service's error message in the reader's language."""
    return translate_error(message, str(ctx.get("lang", "vi")))


@pass_context
def _reason(ctx: Context, line: str) -> str:
    """A line of the screening engine's reasons in the reader's language."""
    return translate_reason(line, str(ctx.get("lang", "vi")))


def _when(moment: datetime | None) -> str:
    """A stored timestamp (naive UTC), said to be UTC: the node's users span time zones."""
    return moment.strftime("%d/%m/%Y %H:%M UTC") if moment else "—"


TEMPLATES.env.globals.update(pdate=_pdate, period=_period, aname=_aname, country=_country)
TEMPLATES.env.filters["error"] = _error
TEMPLATES.env.filters["reason"] = _reason
TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.filters["shown"] = _shown


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    lang = lang_of(request)
    base = {"lang": lang, "_": translator(lang), "today": date.today()}
    return TEMPLATES.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def render_error(
    request: Request, status: int, detail: str, *, record: bool = True
) -> HTMLResponse:
    """An error page. A missing and a hidden record read the same; no English internals."""
    t = translator(lang_of(request))
    if status == 404:
        message = t(
            "This record does not exist or is not shared with your agency."
            if record
            else "Page not found"
        )
    else:
        message = t(detail)
    # The page context, when the user is logged in: the error page keeps its menu.
    page = getattr(request.state, "page", None)
    return render(
        request,
        "error.html",
        {"status": status, "message": message, "page": page},
        status_code=status,
    )
