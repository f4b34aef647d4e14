"""Jinja2 environment and the helpers templates use."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from hoptac.auth.scoping import is_visible, shown
from hoptac.ingest.gazetteer import gazetteer
from hoptac.registry.service import partial_date
from hoptac.types import PartialDate, Precision
from hoptac.web.deps import lang_of
from hoptac.web.i18n import (
    Label,
    dates_in_text,
    format_date,
    format_number,
    rank_text,
    translate_error,
    translate_reason,
    translator,
)

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent.parent / "templates"))


def _lang(ctx: Context) -> str:
    return str(ctx.get("lang", "vi"))


def _display(pd: PartialDate, lang: str) -> str:
    return format_date(pd.year, pd.month, pd.day, lang)


@pass_context
def _pdate(ctx: Context, day: date | None, precision: Precision | None) -> str:
    """A stored partial date in the reader's language (30/06/2024 or 30 Jun 2024)."""
    pd = partial_date(day, precision)
    return _display(pd, _lang(ctx)) if pd else "—"


@pass_context
def _period(ctx: Context, start: tuple[Any, Any], end: tuple[Any, Any]) -> str:
    lang = _lang(ctx)
    a, b = partial_date(*start), partial_date(*end)
    if a and b and a != b:
        if a.precision is b.precision is Precision.DAY and (a.year, a.month) == (b.year, b.month):
            # 10–14/06/2024, 10–14 Jun 2024
            return (
                f"{a.day:02d}–{_display(b, lang)}"
                if lang == "vi"
                else f"{a.day}–{_display(b, lang)}"
            )
        return f"{_display(a, lang)} – {_display(b, lang)}"
    return _display(a, lang) if a else "—"


@pass_context
def _pd(ctx: Context, value: PartialDate | None) -> str:
    """A PartialDate in the reader's language."""
    return _display(value, _lang(ctx)) if value else "—"


@pass_context
def _shown(ctx: Context, value: Any) -> Any:
    """Related records the reader may see: a shared record may point at private ones.
    Without a logged-in page context nothing related is shown."""
    page = ctx.get("page")
    principal = page.principal if page is not None else None
    if isinstance(value, Iterable) and not isinstance(value, str):
        return [v for v in value if principal is not None and is_visible(v, principal)]
    return value if principal is not None and shown(value, principal) is not None else None


def agency_name(agency: Any, lang: str) -> str:
    """An agency's name in the reader's language (Vietnamese when there is no other)."""
    if lang == "en" and agency.name_en:
        return str(agency.name_en)
    return str(agency.name_vi)


@pass_context
def _aname(ctx: Context, agency: Any) -> str:
    return agency_name(agency, _lang(ctx))


def country_label(code: str | None, lang: str) -> str:
    """A country code as shown beside a name: the code itself, but a word for ZZ."""
    if not code:
        return "—"
    return translator(lang)("International") if code == "ZZ" else code


@pass_context
def _country(ctx: Context, code: str | None) -> str:
    return country_label(code, _lang(ctx))


@pass_context
def _country_name(ctx: Context, code: str | None) -> str:
    """A country's name in the reader's language (Hàn Quốc / Republic of Korea)."""
    if not code:
        return "—"
    if code == "ZZ":
        return translator(_lang(ctx))("International")
    try:
        c = gazetteer().country(code)
    except KeyError:
        return code
    return c.name if _lang(ctx) == "vi" else c.name_en


def _unmarked(text: str) -> str:
    """Quảng Ninh -> Quang Ninh: a Vietnamese name as English writes it."""
    text = text.replace("Đ", "D").replace("đ", "d")
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


@lru_cache(maxsize=4096)
def place_text(text: str, lang: str) -> str:
    """A free-text location with the places and countries the gazetteer knows in the
    reader's language: 'Busan, Hàn Quốc' -> 'Busan, Republic of Korea'. The rest stays."""
    if lang == "vi" or not text:
        return text
    g = gazetteer()
    out, at = [], 0
    for m in sorted(g.geo_in(text), key=lambda m: m.start):
        if m.start < at:
            continue
        if m.kind == "country":
            name = g.country(m.key).name_en
        else:
            place = g.place(m.key)
            name = place.name_en or _unmarked(place.name)
        out += [text[at : m.start], name]
        at = m.end
    out.append(text[at:])
    return "".join(out)


@pass_context
def _place(ctx: Context, text: str | None) -> str:
    return place_text(text, _lang(ctx)) if text else "—"


@pass_context
def _rank(ctx: Context, rank: str | None) -> str:
    return rank_text(rank, _lang(ctx))


@pass_context
def _num(ctx: Context, value: float | int | None, digits: int = 0) -> str:
    return "—" if value is None else format_number(value, _lang(ctx), digits)


@pass_context
def _error(ctx: Context, message: str) -> str:
    """A service's error message in the reader's language."""
    return translate_error(message, _lang(ctx))


@pass_context
def _reason(ctx: Context, line: str) -> str:
    """A line of the screening engine's reasons in the reader's language."""
    return translate_reason(line, _lang(ctx))


@pass_context
def _when(ctx: Context, moment: datetime | None, seconds: bool = False) -> str:
    """A stored timestamp (naive UTC), said to be UTC: the node's users span time zones."""
    if not moment:
        return "—"
    day = format_date(moment.year, moment.month, moment.day, _lang(ctx))
    return f"{day} {moment:%H:%M:%S}" if seconds else f"{day} {moment:%H:%M} UTC"


@pass_context
def _day(ctx: Context, value: date | str | None) -> str:
    """A plain date (or an ISO date string a register holds) in the reader's language."""
    if not value:
        return "—"
    if isinstance(value, date):
        return format_date(value.year, value.month, value.day, _lang(ctx))
    return dates_in_text(str(value), _lang(ctx))


@pass_context
def _label(ctx: Context, label: Any, translate: bool = False) -> str:
    """A form choice's label: a `Label` (one text per language), or a vocabulary value to
    translate, or a record's own text."""
    lang = _lang(ctx)
    if isinstance(label, Label):
        return label.text(lang)
    return translator(lang)(str(label)) if translate else str(label)


TEMPLATES.env.globals.update(
    pdate=_pdate, period=_period, aname=_aname, country=_country, country_name=_country_name
)
TEMPLATES.env.filters["error"] = _error
TEMPLATES.env.filters["reason"] = _reason
TEMPLATES.env.filters["when"] = _when
TEMPLATES.env.filters["day"] = _day
TEMPLATES.env.filters["pd"] = _pd
TEMPLATES.env.filters["shown"] = _shown
TEMPLATES.env.filters["rank"] = _rank
TEMPLATES.env.filters["place"] = _place
TEMPLATES.env.filters["num"] = _num
TEMPLATES.env.filters["label"] = _label


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


def request_words(request: Request) -> dict[str, Any]:
    """The words of requests for assistance in the reader's language: states, kinds,
    actions, refusal reasons, deadlines (from `hoptac.assistance`, each a Vietnamese and
    English pair), for every page that shows a request."""
    from hoptac.assistance import states
    from hoptac.assistance.deadlines import DEADLINE_LABEL, DeadlineName

    i = 0 if lang_of(request) == "vi" else 1
    return {
        "state_word": {s.value: states.STATE_LABEL[s][i] for s in states.State},
        "state_meaning": {s.value: states.MEANING[s][i] for s in states.State},
        "kind_word": {k.value: states.KIND_LABEL[k][i] for k in states.RequestKind},
        "action_word": {a.value: states.ACTION_LABEL[a][i] for a in states.Action},
        "refusal_word": {r.value: states.REFUSAL_LABEL[r][i] for r in states.RefusalReason},
        "deadline_word": {d.value: DEADLINE_LABEL[d][i] for d in DeadlineName},
    }
