"""Accepting an ingested article: the reviewed extraction becomes registry records.

`accept` takes the JSON an officer reviewed (`hoptac.ingest.extract.Extraction.to_json`,
possibly corrected) and the article's text, and writes, in the caller's transaction and
through the registry's one write path (`create_record`, scoped and audited):

- the article as a `Source`: a source already held is the same source when its text is the
  same once Unicode and whitespace are normalised, or when it has the same URL and holds
  every passage cited (an updated article that does not is stored as a new source); the
  passages are then cited at their offsets in the stored text, so accepting twice, or
  accepting an article the demo data already holds, adds nothing;
- each agency by its canonical key (`ref`): an agency the caller can see with that ref, or
  a new one from the gazetteer;
- each person, engagement, agreement and commitment, MERGED with an existing record that is
  the same fact: the same person (folded name, and the same agency or a sub-unit of it or
  the unit it belongs to), the same engagement (kind, sides and overlapping dates), the same
  agreement (kind and parties), the same commitment (owner, no conflicting engagement or due
  date, and the same content in any wording: see `_same_commitment`). A merged record gains
  a citation, a new one is created citing its passage.

Every fact keeps its passage: a `Citation` (source, offsets, quote) per record and source.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session

from hoptac.auth.principal import Principal
from hoptac.auth.scoping import can_edit, scoped
from hoptac.db.models import (
    Agency,
    Agreement,
    Citation,
    Commitment,
    Engagement,
    Person,
    Source,
)
from hoptac.errors import InvalidInput
from hoptac.ingest.extract import topics_in
from hoptac.ingest.gazetteer import gazetteer
from hoptac.names import search_key
from hoptac.names.fold import fold
from hoptac.registry import schemas as s
from hoptac.registry import service
from hoptac.types import AgencyLevel, PartialDate

ENGAGEMENT_KIND = {"agreement_signing": "signing", "joint_operation": "joint_campaign"}
AGREEMENT_KIND = {"agreement": "other", "treaty": "other"}


def accept(
    session: Session, principal: Principal, extraction: dict[str, Any], text: str
) -> dict[str, Any]:
    """Store a reviewed extraction; returns what was created and what was merged, by type,
    and the source's id. Invalid input (a span outside the text, an unknown agency key, an
    impossible date, a field the registry refuses) raises InvalidInput: nothing is kept of
    it once the caller rolls back."""
    principal.require_write()
    _check(extraction, text)
    try:
        return _accept(session, principal, extraction, text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first.get("loc", ()))
        raise InvalidInput(f"{where}: {first.get('msg')}") from None


def _check(extraction: dict[str, Any], text: str) -> None:
    """Spans inside the text, agency keys the gazetteer knows, dates that exist."""
    gaz = gazetteer()
    # agencies recognised by pattern: their keys are made again from the names read
    for item in extraction.get("agencies") or []:
        if isinstance(item, dict) and item.get("canonical") and item.get("name"):
            gaz.adopt(str(item["name"]), str(item["canonical"]))
    keys: set[str] = set()
    for group in ("people", "agencies", "engagements", "agreements", "commitments"):
        for item in extraction.get(group) or []:
            span = item.get("span") if isinstance(item, dict) else None
            if span is not None and not (
                isinstance(span, list | tuple)
                and len(span) == 2
                and all(isinstance(x, int) for x in span)
                and 0 <= span[0] <= span[1] <= len(text)
            ):
                raise InvalidInput(f"{group}: span {span!r} is not inside the article")
            for field in ("date_start", "date_end", "signed", "due"):
                value = item.get(field)
                if value:
                    try:
                        PartialDate.parse(str(value))
                    except ValueError as exc:
                        raise InvalidInput(f"{group}.{field}: {exc}") from None
            for field in ("canonical", "agency", "owner"):
                if item.get(field):
                    keys.add(str(item[field]))
            for field in ("hosts", "visitors", "parties"):
                keys.update(str(k) for k in item.get(field) or [])
    for key in keys:
        try:
            gaz.agency(key)
        except KeyError:
            raise InvalidInput(f"unknown agency {key!r}") from None


def _accept(
    session: Session, principal: Principal, extraction: dict[str, Any], text: str
) -> dict[str, Any]:
    report: dict[str, Any] = {"created": {}, "merged": {}}
    source, extraction, text = _source(
        session, principal, extraction, extraction.get("source") or {}, text, report
    )
    report["source_id"] = source.id
    agencies: dict[str, int] = {}
    for a in extraction.get("agencies") or []:
        if a.get("canonical"):
            agencies[a["canonical"]] = _agency(session, principal, a, report)

    def agency_id(key: str | None) -> int | None:
        if not key:
            return None
        if key not in agencies:
            agencies[key] = _agency(session, principal, {"canonical": key}, report)
        return agencies[key]

    people: dict[str, int] = {}
    named = set(agencies.values())
    for p in extraction.get("people") or []:
        people[p["name"]] = _person(
            session, principal, p, agency_id(p.get("agency")), named, source, text, report
        )
    main_id = None
    for e in extraction.get("engagements") or []:
        eid = _engagement(session, principal, e, agency_id, source, text, report)
        main_id = main_id or eid
    for a in extraction.get("agreements") or []:
        parties = [i for i in (agency_id(k) for k in a.get("parties") or []) if i is not None]
        if parties:
            _agreement(session, principal, a, parties, source, text, report)
    for c in extraction.get("commitments") or []:
        owner = agency_id(c.get("owner"))
        if owner is not None:
            _commitment(session, principal, c, owner, main_id, source, text, report)
    return report


def _count(report: dict[str, Any], kind: str, what: str) -> None:
    report[kind][what] = report[kind].get(what, 0) + 1


def _noted(
    session: Session,
    report: dict[str, Any],
    how: str,
    kind: str,
    record_id: int,
    source: Source,
    span: Any,
    text: str,
) -> int:
    """Count a record `created` or `merged` and cite the passage it was read from."""
    _count(report, how, kind)
    _cite(session, kind, record_id, source, span, text)
    return record_id


def _cite(
    session: Session, kind: str, record_id: int, source: Source, span: Any, text: str
) -> None:
    start, end = (span or [0, 0])[:2]
    if not (0 <= start <= end <= len(text)):
        raise InvalidInput(f"a {kind}'s passage [{start}, {end}] is outside the article")
    exists = session.scalar(
        sa.select(Citation.id).where(
            Citation.record_type == kind,
            Citation.record_id == record_id,
            Citation.source_id == source.id,
            Citation.start == start,
        )
    )
    if exists is None:
        session.add(
            Citation(
                record_type=kind,
                record_id=record_id,
                source_id=source.id,
                start=start,
                end=end,
                quote=text[start:end],
            )
        )


def _quote(span: Any, text: str) -> str | None:
    if not span:
        return None
    return text[span[0] : span[1]][:4000] or None


def _pdate(value: str | None) -> PartialDate | None:
    return PartialDate.parse(value) if value else None


def _source(
    session: Session,
    principal: Principal,
    extraction: dict[str, Any],
    src: dict[str, Any],
    text: str,
    report: dict[str, Any],
) -> tuple[Source, dict[str, Any], str]:
    """The article's source, the extraction with its spans in that source's text, and that
    text. A source already held (see the module's docstring) is used as it is."""
    query = scoped(sa.select(Source), Source, principal)
    url, title = src.get("url"), (src.get("title") or text.strip().split("\n", 1)[0])[:500]
    published = _pdate(src.get("published"))
    found = session.scalar(query.where(Source.text == text).order_by(Source.id))
    if found is not None:
        _count(report, "merged", "source")
        return found, extraction, text
    mine = _Normal(text)
    near = query.where(
        sa.func.length(Source.text).between(len(mine.chars) * 9 // 10, len(text) * 11 // 10 + 8)
    )
    if url:
        near = query.where(
            sa.or_(Source.url == url, Source.id.in_(near.with_only_columns(Source.id)))
        )
    for other in session.scalars(near.order_by(Source.id)):
        theirs = _Normal(other.text)
        if theirs.chars == mine.chars:
            move = mine.aligned(theirs)
        elif url and other.url == url:
            move = mine.located(theirs)
        else:
            continue
        moved = _moved(extraction, move)
        if moved is not None:
            _count(report, "merged", "source")
            return other, moved, other.text
    obj = service.create_record(
        session,
        principal,
        service.SOURCES,
        s.SourceIn(title=title, url=url, published=published, text=text),
    )
    _count(report, "created", "source")
    return obj, extraction, text


Span = tuple[int, int]


class _Normal:
    """A text as compared between sources: NFC, runs of whitespace one space, trimmed;
    `starts`/`ends` give the offsets in the original text of each normalised character."""

    def __init__(self, text: str) -> None:
        chars: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        i, n = 0, len(text)
        while i < n:
            c = text[i]
            if c.isspace():
                j = i
                while j < n and text[j].isspace():
                    j += 1
                if chars:
                    chars.append(" ")
                    starts.append(i)
                    ends.append(j)
                i = j
                continue
            j = i + 1
            while j < n and unicodedata.combining(text[j]):
                j += 1
            for k in unicodedata.normalize("NFC", text[i:j]):
                chars.append(k)
                starts.append(i)
                ends.append(j)
            i = j
        if chars and chars[-1] == " ":
            chars.pop(), starts.pop(), ends.pop()
        self.chars = "".join(chars)
        self.starts = starts
        self.ends = ends

    def _range(self, start: int, end: int) -> tuple[int, int]:
        """The normalised characters [a, b) that the original span [start, end) holds."""
        a = bisect_left(self.starts, start)
        b = bisect_left(self.starts, end)
        return a, max(a, b)

    def _back(self, a: int, b: int) -> Span | None:
        if a >= len(self.chars):
            return None
        if b <= a:
            return self.starts[a], self.starts[a]
        return self.starts[a], self.ends[b - 1]

    def aligned(self, other: _Normal) -> Callable[[Span], Span | None]:
        """Spans of this text moved to the same characters of `other` (equal once
        normalised)."""
        return lambda span: other._back(*self._range(*span))

    def located(self, other: _Normal) -> Callable[[Span], Span | None]:
        """Spans of this text moved to where `other` says the same passage (the occurrence
        nearest the same relative place); None where `other` does not say it."""

        def move(span: Span) -> Span | None:
            a, b = self._range(*span)
            passage = self.chars[a:b].strip()
            if not passage:
                return (0, 0)
            hint = a * len(other.chars) // max(1, len(self.chars))
            found = [m.start() for m in re.finditer(re.escape(passage), other.chars)]
            if not found:
                return None
            at = min(found, key=lambda x: abs(x - hint))
            return other._back(at, at + len(passage))

        return move


def _moved(
    extraction: dict[str, Any], move: Callable[[Span], Span | None]
) -> dict[str, Any] | None:
    """The extraction with every span moved; None if a passage cannot be moved."""
    out = copy.deepcopy(extraction)
    for group in ("people", "agencies", "engagements", "agreements", "commitments"):
        for item in out.get(group) or []:
            span = item.get("span")
            if not span:
                continue
            moved = move((int(span[0]), int(span[1])))
            if moved is None:
                return None
            item["span"] = list(moved)
    return out


def _agency(
    session: Session, principal: Principal, a: dict[str, Any], report: dict[str, Any]
) -> int:
    key = a["canonical"]
    found = session.scalar(scoped(sa.select(Agency), Agency, principal).where(Agency.ref == key))
    if found is not None:
        return found.id
    entry = gazetteer().agency(key)
    obj = service.create_record(
        session,
        principal,
        service.AGENCIES,
        s.AgencyIn(
            ref=key,
            name_vi=entry.name_vi,
            name_en=entry.name_en,
            name_zh=entry.name_zh,
            name_ko=entry.name_ko,
            country=entry.country,
            level=AgencyLevel(entry.level),
        ),
    )
    _count(report, "created", "agency")
    return obj.id


SUB_UNIT_LEVELS = frozenset({AgencyLevel.UNIT, AgencyLevel.DISTRICT, AgencyLevel.STATION})


def _related(session: Session, a: int, b: int) -> bool:
    """The same agency, or one a sub-unit of the other (a department, district police or
    station, at any depth below it): the same office's people are written under either
    ("Phó Giám đốc, Thủ trưởng Cơ quan CSĐT Công an tỉnh Khánh Hòa"). A province's police
    is not a sub-unit of the ministry: namesakes there stay two people."""
    if a == b:
        return True
    for low, high in ((a, b), (b, a)):
        current = session.get(Agency, low)
        seen = 0
        while current is not None and current.level in SUB_UNIT_LEVELS and seen < 8:
            if current.parent_id == high:
                return True
            current = session.get(Agency, current.parent_id) if current.parent_id else None
            seen += 1
    return False


def _person(
    session: Session,
    principal: Principal,
    p: dict[str, Any],
    agency_id: int | None,
    named: set[int],
    source: Source,
    text: str,
    report: dict[str, Any],
) -> int:
    key = search_key(p["name"])
    candidates = session.scalars(
        scoped(sa.select(Person), Person, principal)
        .where(Person.name_key == key)
        .order_by(Person.id)
    ).all()
    rank = p.get("rank")

    def ranks_agree(x: Person) -> bool:
        return not x.rank or not rank or x.rank == rank

    # the same person: the same folded name, and the same agency or a sub-unit of it (or
    # the agency it belongs to); namesakes of unrelated agencies stay two. Without an agency
    # on one side: the same rank (or none), and the person's agency named in the article
    same = [
        x
        for x in candidates
        if agency_id is not None
        and x.agency_id is not None
        and _related(session, x.agency_id, agency_id)
    ]
    if not same:
        loose = [
            x
            for x in candidates
            if ranks_agree(x)
            and (x.agency_id is None or agency_id is None)
            and (x.agency_id is None or x.agency_id in named)
        ]
        same = loose if len(loose) == 1 else []
    if same:
        person = same[0]
        fills = (not person.rank and rank) or (not person.position and p.get("position"))
        if fills and can_edit(person, principal):
            service.update_record(
                session,
                principal,
                service.PEOPLE,
                person.id,
                {
                    "rank": person.rank or rank,
                    "position": person.position or (p.get("position") or "")[:500] or None,
                },
            )
        how = "merged"
    else:
        person = service.create_record(
            session,
            principal,
            service.PEOPLE,
            s.PersonIn(
                full_name=p["name"],
                rank=rank,
                position=(p.get("position") or None) and p["position"][:500],
                agency_id=agency_id,
                source_id=source.id,
                quote=_quote(p.get("span"), text),
            ),
        )
        how = "created"
    return _noted(session, report, how, "person", person.id, source, p.get("span"), text)


def _period(first: date | None, precision: Any) -> tuple[date, date] | None:
    """A stored partial date as its first and last day."""
    if first is None or precision is None:
        return None
    d = PartialDate.from_parts(first, precision)
    return d.first_day, d.last_day


def _overlap(other: Engagement, start: PartialDate | None, end: PartialDate | None) -> bool:
    """Both dated, and their periods (partial dates as whole months or years) meet."""
    theirs_start = _period(other.start_on, other.start_precision)
    if theirs_start is None or start is None:
        return False  # undated reports are never taken for the same engagement
    theirs_end = _period(other.end_on, other.end_precision) or theirs_start
    return start.first_day <= theirs_end[1] and (end or start).last_day >= theirs_start[0]


def _engagement(
    session: Session,
    principal: Principal,
    e: dict[str, Any],
    agency_id: Any,
    source: Source,
    text: str,
    report: dict[str, Any],
) -> int:
    kind = ENGAGEMENT_KIND.get(e["kind"], e["kind"])
    hosts = [i for i in (agency_id(k) for k in e.get("hosts") or []) if i is not None]
    visitors = [
        i
        for i in (agency_id(k) for k in e.get("visitors") or [])
        if i is not None and i not in hosts
    ]
    start, end = _pdate(e.get("date_start")), _pdate(e.get("date_end"))
    for other in session.scalars(
        scoped(sa.select(Engagement), Engagement, principal).where(Engagement.kind == kind)
    ):
        their_hosts = {x.agency_id for x in other.sides if x.side == "host"}
        their_visitors = {x.agency_id for x in other.sides if x.side == "visitor"}
        # the same trip: a host in common and, where there are visitors, a visitor in
        # common (Seoul's and Beijing's delegations to Hanoi the same day are two)
        same_sides = bool(their_hosts & set(hosts)) and (
            bool(their_visitors & set(visitors)) if their_visitors or visitors else True
        )
        if same_sides and _overlap(other, start, end):
            return _noted(
                session, report, "merged", "engagement", other.id, source, e.get("span"), text
            )
    quote = _quote(e.get("span"), text)
    obj = service.create_record(
        session,
        principal,
        service.ENGAGEMENTS,
        s.EngagementIn(
            kind=kind,
            title=(source.title or quote or kind)[:500],
            start=start,
            end=end if end and start and end != start else None,
            host_ids=hosts,
            visitor_ids=visitors,
            places=[p[:500] for p in e.get("places") or []],
            topics=e.get("topics") or [],
            summary=quote,
            source_id=source.id,
            quote=quote,
        ),
    )
    return _noted(session, report, "created", "engagement", obj.id, source, e.get("span"), text)


def _agreement(
    session: Session,
    principal: Principal,
    a: dict[str, Any],
    parties: list[int],
    source: Source,
    text: str,
    report: dict[str, Any],
) -> None:
    kind = AGREEMENT_KIND.get(a["type"], a["type"])
    signed = _pdate(a.get("signed"))
    for other in session.scalars(
        scoped(sa.select(Agreement), Agreement, principal).where(Agreement.kind == kind)
    ):
        same_year = signed is None or other.signed_on is None or other.signed_on.year == signed.year
        if {x.id for x in other.parties} == set(parties) and same_year:
            _noted(session, report, "merged", "agreement", other.id, source, a.get("span"), text)
            return
    obj = service.create_record(
        session,
        principal,
        service.AGREEMENTS,
        s.AgreementIn(
            kind=kind,
            title=(a.get("title") or kind)[:500],
            party_ids=parties,
            signed=signed,
            source_id=source.id,
            quote=_quote(a.get("span"), text),
        ),
    )
    _noted(session, report, "created", "agreement", obj.id, source, a.get("span"), text)


def _commitment(
    session: Session,
    principal: Principal,
    c: dict[str, Any],
    owner: int,
    engagement_id: int | None,
    source: Source,
    text: str,
    report: dict[str, Any],
) -> None:
    description = " ".join(str(c.get("text") or "").split())[: s.DESCRIPTION_MAX]
    if not description:
        return
    due = _pdate(c.get("due"))
    for other in session.scalars(
        scoped(sa.select(Commitment), Commitment, principal)
        .where(Commitment.owed_by_id == owner)
        .order_by(Commitment.id)
    ):
        if _same_commitment(other, description, engagement_id, due):
            _noted(session, report, "merged", "commitment", other.id, source, c.get("span"), text)
            return
    obj = service.create_record(
        session,
        principal,
        service.COMMITMENTS,
        s.CommitmentIn(
            description=description,
            owed_by_id=owner,
            engagement_id=engagement_id,
            due=due,
            source_id=source.id,
            quote=_quote(c.get("span"), text),
        ),
    )
    _noted(session, report, "created", "commitment", obj.id, source, c.get("span"), text)


# Words every commitment has: they say nothing about which one it is. (Not "không":
# a promise and its negation are two.)
_FILLER = frozenset(
    w
    for w in """của và các được với trong cho những đã là có này một về tại để từ đến
    khi hai bên sẽ nhau đó thì mà như theo nhất cũng vào trên nữa hơn việc đơn vị""".split()
)
_NEGATIONS = frozenset(("không", "chưa", "chẳng", "chả", "cấm", "ngừng"))
SAME_WORDING = 0.6  # share of the word pairs of the longer that the other says too
SAME_WORDING_SAME_DUE = 0.4  # when both are due at the same (stated) date
MIN_PAIRS = 3


@dataclass(frozen=True)
class _Content:
    pairs: frozenset[tuple[str, str]]  # adjacent content words, folded
    names: frozenset[str]  # the agencies, places and countries named (gazetteer keys)
    topics: frozenset[str]  # drugs, trafficking, high-tech crime...
    negated: bool  # "không", "chưa": a promise and its negation are two


@lru_cache(maxsize=4096)
def _content(description: str) -> _Content:
    """The content of a commitment: pairs of adjacent words (folded) with each agency,
    place or country it names read as what it names, and filler words left out; and the
    names and topics on their own. "Vì thế, Sở Cảnh sát TP Busan sẽ kịp thời chia sẻ thông
    tin" and "Sở Cảnh sát TP Busan kịp thời chia sẻ thông tin" say the same."""
    gaz = gazetteer()
    found = sorted(
        (m.start, m.end, m.key) for m in (*gaz.agencies_in(description), *gaz.geo_in(description))
    )
    spans: list[tuple[int, int, str]] = []  # overlapping mentions as one, the longest's key
    for start, end, key in found:
        if spans and start < spans[-1][1]:
            s0, e0, k0 = spans[-1]
            spans[-1] = (s0, max(e0, end), k0 if e0 - s0 >= end - start else key)
        else:
            spans.append((start, end, key))
    text = description
    for a, b, key in reversed(spans):
        text = f"{text[:a]} @{re.sub(r'[^0-9a-z]', '_', key.lower()) or 'x'} {text[b:]}"
    # filler is recognised with its diacritics ("mà" is filler, "ma túy" is drugs)
    words = [fold(w) for w in re.findall(r"@?\w+", text) if w.lower() not in _FILLER]
    return _Content(
        frozenset(pairwise(words)),
        frozenset(key for _, _, key in spans if key),
        topics_in(description),
        any(w.lower() in _NEGATIONS for w in re.findall(r"\w+", description)),
    )


def _same_commitment(
    other: Commitment, description: str, engagement_id: int | None, due: PartialDate | None
) -> bool:
    """The same promise by the same owner (the caller's filter): the same text once folded;
    or, in other wording, neither a different engagement nor a different due date, nor
    other agencies, places or topics named, and most of the content said by both (word
    pairs, as a share of the longer: measured on the seeds, the same commitments share
    0.75-1.0 of the shorter's, different ones of the same owner and visit at most 0.2)."""
    if search_key(other.description) == search_key(description):
        return True
    if engagement_id and other.engagement_id and other.engagement_id != engagement_id:
        return False
    theirs = (
        PartialDate.from_parts(other.due_on, other.due_precision)
        if other.due_on and other.due_precision
        else None
    )
    if theirs and due and theirs != due:
        return False
    a, b = _content(other.description), _content(description)
    if a.names and b.names and a.names != b.names:
        return False
    if a.topics and b.topics and a.topics != b.topics:
        return False
    if a.negated != b.negated:
        return False
    if min(len(a.pairs), len(b.pairs)) < MIN_PAIRS:
        return False
    shared = len(a.pairs & b.pairs) / max(len(a.pairs), len(b.pairs))
    same_due = theirs is not None and theirs == due
    return shared >= (SAME_WORDING_SAME_DUE if same_due else SAME_WORDING)


def citations(session: Session, principal: Principal, kind: str, record_id: int) -> list[Citation]:
    """The passages a record was read from (through sources the caller can see)."""
    visible = scoped(sa.select(Source.id), Source, principal)
    return list(
        session.scalars(
            sa.select(Citation)
            .where(
                Citation.record_type == kind,
                Citation.record_id == record_id,
                Citation.source_id.in_(visible),
            )
            .order_by(Citation.id)
        )
    )
