"""An article's text with passages marked in place, built server-side from [start, end) spans.

The text is escaped piece by piece; marks nest when one span lies inside another, and a span
that crosses the end of an open mark is left out (the outer, earlier one is kept)."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from hoptac.auth.principal import Principal
from hoptac.auth.scoping import scoped
from hoptac.db.models import Agreement, Citation, Commitment, Engagement, Person

# A citation's record type -> (its pages' prefix, its model).
CITED: dict[str, tuple[str, Any]] = {
    "person": ("people", Person),
    "engagement": ("engagements", Engagement),
    "agreement": ("agreements", Agreement),
    "commitment": ("commitments", Commitment),
}


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # a CSS suffix: person, agency, engagement, agreement, commitment, passage
    label: str = ""
    anchor: str | None = None  # the mark's id


_BREAKS = re.compile(r"[ \t]*\n(?:[ \t]*\n)*")


def _piece(text: str) -> str:
    # Paragraphs: line breaks are kept (white-space: pre-wrap), each run of them shown as one
    # blank line, so one-line paragraphs read apart; offsets are unaffected (display only).
    return _BREAKS.sub("\n\n", str(escape(text)))


def highlight(text: str, spans: list[Span]) -> Markup:
    ordered = sorted(
        (s for s in spans if 0 <= s.start < s.end <= len(text)),
        key=lambda s: (s.start, -s.end),
    )
    out: list[str] = []
    pos = 0
    open_ends: list[int] = []  # ends of the open marks, innermost last
    for s in ordered:
        while open_ends and open_ends[-1] <= s.start:
            end = open_ends.pop()
            out.append(_piece(text[pos:end]) + "</mark>")
            pos = end
        if open_ends and s.end > open_ends[-1]:
            continue  # crosses an open mark: keep the outer one
        out.append(_piece(text[pos : s.start]))
        pos = s.start
        attrs = f' class="hl hl-{escape(s.kind)}"'
        if s.anchor:
            attrs += f' id="{escape(s.anchor)}"'
        if s.label:
            attrs += f' title="{escape(s.label)}"'
        out.append(f"<mark{attrs}>")
        open_ends.append(s.end)
    while open_ends:
        end = open_ends.pop()
        out.append(_piece(text[pos:end]) + "</mark>")
        pos = end
    out.append(_piece(text[pos:]))
    return Markup("".join(out))


@dataclass(frozen=True)
class Passage:
    kind: str  # person, engagement, ...
    record_id: int
    href: str  # the record's page
    label: str
    start: int
    end: int
    quote: str


def _label(obj: Any) -> str:
    for attr in ("full_name", "title", "description"):
        value = getattr(obj, attr, None)
        if value:
            return str(value)[:120]
    return f"#{obj.id}"


def source_passages(session: Session, principal: Principal, source_id: int) -> list[Passage]:
    """The passages of a (visible) source that records the caller may see were read from."""
    rows = session.scalars(
        sa.select(Citation)
        .where(Citation.source_id == source_id)
        .order_by(Citation.start, Citation.id)
    ).all()
    wanted: dict[str, set[int]] = defaultdict(set)
    for c in rows:
        if c.record_type in CITED:
            wanted[c.record_type].add(c.record_id)
    records: dict[tuple[str, int], Any] = {}
    for kind, ids in wanted.items():
        model = CITED[kind][1]
        for obj in session.scalars(
            scoped(sa.select(model), model, principal).where(model.id.in_(ids))
        ):
            records[(kind, obj.id)] = obj
    out = []
    for c in rows:
        obj = records.get((c.record_type, c.record_id))
        if obj is None:
            continue
        href = f"/{CITED[c.record_type][0]}/{obj.id}"
        out.append(Passage(c.record_type, obj.id, href, _label(obj), c.start, c.end, c.quote))
    return out


def passage_spans(passages: list[Passage]) -> list[Span]:
    """One mark per distinct passage, its id `p-{start}` (the anchor record pages link to)."""
    labels: dict[tuple[int, int], list[str]] = defaultdict(list)
    for p in passages:
        labels[(p.start, p.end)].append(p.label)
    seen: set[int] = set()
    spans = []
    for (start, end), names in labels.items():
        anchor = None if start in seen else f"p-{start}"
        seen.add(start)
        spans.append(Span(start, end, "passage", " · ".join(names), anchor))
    return spans
