"""Ingest pages: paste or upload an article, review what was read from it (highlighted in
place, corrected in a form), accept it into the registry.

The preview carries the article's text (and its url, title, date) in hidden fields, not the
facts: accepting reads and extracts the same text again and applies the officer's
corrections by index, so every fact keeps the span the extractor gave it. A fingerprint of
the extraction makes sure the indexes still mean what the officer saw."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from hoptac.auth.scoping import scoped
from hoptac.db.models import Citation, Source
from hoptac.errors import InvalidInput
from hoptac.ingest.extract import EVENT_KINDS, extract
from hoptac.ingest.gazetteer import gazetteer
from hoptac.ingest.reader import MAX_BYTES, Article, read
from hoptac.registry import ingest as registry_ingest
from hoptac.types import RANKS, AgreementKind, PartialDate, Topic
from hoptac.web.deps import DB, Page
from hoptac.web.i18n import translate_error
from hoptac.web.pages.passages import CITED, Span, highlight
from hoptac.web.pages.render import render

router = APIRouter(include_in_schema=False)

KINDS = ("person", "agency", "engagement", "agreement", "commitment")
AGREEMENT_TYPES = tuple(k.value for k in AgreementKind)
TOPICS = tuple(t.value for t in Topic)
RANK_NAMES = tuple(vi for vi, _ in RANKS)
FIELD_MAX = 10_000


# ---- reading ---------------------------------------------------------------------------------


def _text(form: FormData, key: str, limit: int = 2000) -> str:
    value = form.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _article(text: bytes | str, name: str, url: str, title: str, published: str) -> Article:
    """Read the text; the form's url, title and date win over the article's header."""
    article = read(text, name)
    if url:
        article.url = url
    if title:
        article.title = title
    if published:
        try:
            article.published = PartialDate.parse(published)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
    return article


def _fingerprint(extraction: dict[str, Any]) -> str:
    raw = json.dumps(extraction, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(raw).hexdigest()[:32]


# ---- the preview ---------------------------------------------------------------------------


def _agency_options() -> list[tuple[str, list[tuple[str, str]]]]:
    """The gazetteer's agencies for a select, grouped by country."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for a in gazetteer().agencies():
        groups.setdefault(a.country, []).append((a.key, a.name_vi))
    return [(c, sorted(v, key=lambda kv: kv[1])) for c, v in sorted(groups.items())]


def _agency_name(key: str | None) -> str:
    if not key:
        return ""
    try:
        return gazetteer().agency(key).name_vi
    except KeyError:
        return key


SKIPPED_BLOCKS = ("header", "boilerplate", "source")  # lines no fact is read from


def _spans(ext: dict[str, Any], article: Article) -> list[Span]:
    out = [Span(b.start, b.end, "skip") for b in article.blocks if b.kind in SKIPPED_BLOCKS]
    main = ext["engagements"][:1]
    for kind, items in (
        ("engagement", main),
        ("agreement", ext["agreements"]),
        ("commitment", ext["commitments"]),
        ("agency", ext["agencies"]),
        ("person", ext["people"]),
    ):
        for i, item in enumerate(items):
            start, end = item["span"]
            label = item.get("name") or item.get("title") or item.get("kind") or ""
            out.append(Span(start, end, kind, str(label), f"f-{kind}-{i}"))
    return out


def _view(ext: dict[str, Any]) -> dict[str, Any]:
    """The review form's values: the extraction, each fact with a `drop` flag."""
    main = ext["engagements"][0] if ext["engagements"] else None
    agreement_types = registry_ingest.AGREEMENT_KIND
    return {
        "kind": main["kind"] if main else "",
        "date_start": (main or {}).get("date_start") or "",
        "date_end": (main or {}).get("date_end") or "",
        "topics": list((main or {}).get("topics") or ext["topics"]),
        "people": [{**p, "drop": False} for p in ext["people"]],
        "agencies": [{**a, "drop": False} for a in ext["agencies"]],
        "agreements": [
            {**a, "type": agreement_types.get(a["type"], a["type"]), "drop": False}
            for a in ext["agreements"]
        ],
        "commitments": [{**c, "drop": False} for c in ext["commitments"]],
    }


def _preview(
    request: Request,
    page: Page,
    article: Article,
    ext: dict[str, Any],
    view: dict[str, Any],
    name: str,
    errors: list[str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    in_article = []
    for a in ext["agencies"]:
        if a["canonical"] not in in_article:
            in_article.append(a["canonical"])
    for p in ext["people"] + ext["commitments"]:
        key = p.get("agency") or p.get("owner")
        if key and key not in in_article:
            in_article.append(key)
    return render(
        request,
        "ingest_preview.html",
        {
            "page": page,
            "article": article,
            "ext": ext,
            "v": view,
            "name": name,
            "marked": highlight(article.text, _spans(ext, article)),
            "fingerprint": _fingerprint(ext),
            "errors": errors or [],
            "event_kinds": EVENT_KINDS,
            "agreement_types": AGREEMENT_TYPES,
            "topics": TOPICS,
            "ranks": RANK_NAMES,
            "agency_groups": _agency_options(),
            "in_article": [(k, _agency_name(k)) for k in in_article],
            "agency_name": _agency_name,
        },
        status_code=status,
    )


def _form_page(
    request: Request,
    page: Page,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "ingest.html",
        {
            "page": page,
            "values": values or {},
            "error": error,
            "max_kb": MAX_BYTES // 1000,
        },
        status_code=status,
    )


@router.get("/ingest", response_class=HTMLResponse)
def ingest_form(request: Request, page: Page) -> HTMLResponse:
    page.require_write()
    return _form_page(request, page)


@router.post("/ingest/preview", response_class=HTMLResponse)
async def ingest_preview(request: Request, page: Page) -> Response:
    page.require_write()
    form = await request.form(max_files=1, max_fields=20)
    page.check_csrf(form)
    values = {k: _text(form, k) for k in ("url", "title", "published")}
    pasted = form.get("text")
    upload = form.get("file")
    data: bytes | str = pasted if isinstance(pasted, str) else ""
    name = page.t("the text")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_BYTES + 1)
        name = upload.filename[:200]
    try:
        article = _article(data, name, values["url"], values["title"], values["published"])
        ext = extract(article).to_json()
    except InvalidInput as exc:
        values["text"] = pasted if isinstance(pasted, str) else ""
        message = translate_error(exc.detail, page.lang)
        return _form_page(request, page, values, message, status=422)
    return _preview(request, page, article, ext, _view(ext), name)


# ---- accepting -------------------------------------------------------------------------------


def _date(raw: str, label: str, errors: list[str]) -> str | None:
    if not raw:
        return None
    try:
        return PartialDate.parse(raw).iso()
    except ValueError:
        errors.append(f"{label}: '{raw}' — YYYY, YYYY-MM, YYYY-MM-DD, DD/MM/YYYY")
        return None


def _agency_key(raw: str, errors: list[str]) -> str | None:
    if not raw:
        return None
    try:
        gazetteer().agency(raw)
    except KeyError:
        errors.append(f"'{raw}' ?")
        return None
    return raw


def _corrections(form: FormData, ext: dict[str, Any], t: Any) -> tuple[dict[str, Any], list[str]]:
    """The form's values over the extraction (the review form's view, with `drop` flags)."""
    errors: list[str] = []
    view = _view(ext)

    def dropped(prefix: str) -> bool:
        return form.get(f"{prefix}-drop") is not None

    kind = _text(form, "kind")
    view["kind"] = kind if kind in EVENT_KINDS else ""
    view["date_start"] = _date(_text(form, "date_start"), t("Start"), errors) or ""
    view["date_end"] = _date(_text(form, "date_end"), t("End"), errors) or ""
    view["topics"] = [x for x in form.getlist("topic") if x in TOPICS]
    for i, a in enumerate(view["agencies"]):
        a["drop"] = dropped(f"agency-{i}")
        a["canonical"] = _agency_key(_text(form, f"agency-{i}-canonical"), errors) or a["canonical"]
    for i, p in enumerate(view["people"]):
        pre = f"person-{i}"
        p["drop"] = dropped(pre)
        p["name"] = _text(form, f"{pre}-name", 500) or p["name"]
        rank = _text(form, f"{pre}-rank")
        p["rank"] = rank if rank in RANK_NAMES else None
        p["position"] = _text(form, f"{pre}-position", 500) or None
        p["agency"] = _agency_key(_text(form, f"{pre}-agency"), errors)
    for i, g in enumerate(view["agreements"]):
        pre = f"agreement-{i}"
        g["drop"] = dropped(pre)
        kind = _text(form, f"{pre}-type")
        g["type"] = kind if kind in AGREEMENT_TYPES else g["type"]
        parties = [_agency_key(str(k), errors) for k in form.getlist(f"{pre}-parties")]
        g["parties"] = [k for k in parties if k]
        g["signed"] = _date(_text(form, f"{pre}-signed"), t("Signed"), errors)
    for i, c in enumerate(view["commitments"]):
        pre = f"commitment-{i}"
        c["drop"] = dropped(pre)
        c["text"] = _text(form, f"{pre}-text", FIELD_MAX) or c["text"]
        c["owner"] = _agency_key(_text(form, f"{pre}-owner"), errors)
        c["due"] = _date(_text(form, f"{pre}-due"), t("Due"), errors)
        if not c["drop"] and not c["owner"]:
            errors.append(
                t("A commitment needs the agency that owes it (or drop it).") + f" #{i + 1}"
            )
    for i, g in enumerate(view["agreements"]):
        if not g["drop"] and not g["parties"]:
            errors.append(t("An agreement needs at least one party (or drop it).") + f" #{i + 1}")
    return view, errors


def corrected(ext: dict[str, Any], view: dict[str, Any]) -> dict[str, Any]:
    """The extraction JSON `accept` stores: dropped facts left out, corrections applied.

    An agency whose canonical entry was changed is changed everywhere it was read (the
    engagement's sides, people, parties, owners); a dropped agency leaves the engagement's
    sides and the agreements' parties (people and commitments keep the agency their own
    fields name)."""
    out: dict[str, Any] = copy.deepcopy(ext)
    remap: dict[str, str] = {}
    kept: set[str] = set()
    for old, new in zip(ext["agencies"], view["agencies"], strict=True):
        if not new["drop"]:
            kept.add(new["canonical"])
            if new["canonical"] != old["canonical"]:
                remap[old["canonical"]] = new["canonical"]
    gone = {a["canonical"] for a in ext["agencies"]} - kept - set(remap)

    def key(k: str | None) -> str | None:
        return remap.get(k, k) if k else None

    def side(keys: list[str]) -> list[str]:
        return list(dict.fromkeys(k2 for k in keys if (k2 := key(k)) and k not in gone))

    out["agencies"] = [
        {**a, "canonical": v["canonical"]}
        for a, v in zip(ext["agencies"], view["agencies"], strict=True)
        if not v["drop"]
    ]
    out["people"] = [
        {**p, **{k: v[k] for k in ("name", "rank", "position")}, "agency": key(v["agency"])}
        for p, v in zip(ext["people"], view["people"], strict=True)
        if not v["drop"]
    ]
    out["agreements"] = [
        {**a, "type": v["type"], "parties": side(v["parties"]), "signed": v["signed"]}
        for a, v in zip(ext["agreements"], view["agreements"], strict=True)
        if not v["drop"]
    ]
    out["commitments"] = [
        {**c, "text": v["text"], "owner": key(v["owner"]), "due": v["due"]}
        for c, v in zip(ext["commitments"], view["commitments"], strict=True)
        if not v["drop"]
    ]
    engagements = out["engagements"]
    if engagements and view["kind"]:
        main = engagements[0]
        main.update(
            kind=view["kind"],
            date_start=view["date_start"] or None,
            date_end=view["date_end"] or None,
            topics=view["topics"],
        )
        for e in engagements:
            e["hosts"], e["visitors"] = side(e["hosts"]), side(e["visitors"])
        out.update(
            event_type=view["kind"],
            date_start=main["date_start"],
            date_end=main["date_end"],
            topics=view["topics"],
        )
    else:  # no main engagement kept: none of the article's events is recorded
        out.update(engagements=[], event_type=None, date_start=None, date_end=None)
        out["topics"] = view["topics"]
    return out


def _maxima(db: DB) -> dict[str, int]:
    return {
        kind: db.scalar(sa.select(sa.func.max(model.id))) or 0
        for kind, (_prefix, model) in CITED.items()
    }


def _records(db: DB, page: Page, source_id: int, before: dict[str, int]) -> list[dict[str, Any]]:
    """The records cited from the source, each marked new (created now) or not."""
    rows = db.scalars(
        sa.select(Citation).where(Citation.source_id == source_id).order_by(Citation.start)
    ).all()
    out, seen = [], set()
    for c in rows:
        if c.record_type not in CITED or (c.record_type, c.record_id) in seen:
            continue
        seen.add((c.record_type, c.record_id))
        model = CITED[c.record_type][1]
        obj = db.scalar(
            scoped(sa.select(model), model, page.principal).where(model.id == c.record_id)
        )
        if obj is None:
            continue
        label = getattr(obj, "full_name", None) or getattr(obj, "title", None)
        out.append(
            {
                "kind": c.record_type,
                "href": f"/{CITED[c.record_type][0]}/{obj.id}",
                "label": label or obj.description,
                "new": obj.id > before[c.record_type],
                "anchor": f"/sources/{source_id}#p-{c.start}",
            }
        )
    return out


@router.post("/ingest/accept", response_class=HTMLResponse)
async def ingest_accept(request: Request, page: Page, db: DB) -> Response:
    page.require_write()
    form = await request.form(max_files=0, max_fields=5000)
    page.check_csrf(form)
    raw = form.get("text")
    name = _text(form, "name", 200) or page.t("the text")
    values = {k: _text(form, k) for k in ("url", "title", "published")}
    try:
        article = _article(
            raw if isinstance(raw, str) else "",
            name,
            values["url"],
            values["title"],
            values["published"],
        )
    except InvalidInput as exc:
        message = translate_error(exc.detail, page.lang)
        return _form_page(request, page, values, message, status=422)
    ext = extract(article).to_json()
    if form.get("fingerprint") != _fingerprint(ext):
        message = page.t("The article was read differently this time; review it again.")
        return _preview(request, page, article, ext, _view(ext), name, [message], status=409)
    view, errors = _corrections(form, ext, page.t)
    if errors:
        return _preview(request, page, article, ext, view, name, errors, status=422)
    final = corrected(ext, view)
    before = _maxima(db)
    try:
        report = registry_ingest.accept(db, page.principal, final, article.text)
        db.flush()
        source = db.get(Source, report["source_id"])
        records = _records(db, page, source.id, before) if source is not None else []
        db.commit()
    except InvalidInput as exc:
        db.rollback()
        message = translate_error(exc.detail, page.lang)
        return _preview(request, page, article, ext, view, name, [message], status=422)
    return render(
        request,
        "ingest_done.html",
        {"page": page, "report": report, "source": source, "records": records},
    )
