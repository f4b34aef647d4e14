"""Accepting an ingested article: the reviewed extraction becomes registry records.

`accept` takes the JSON an officer reviewed (`hoptac.ingest.extract.Extraction.to_json`,
possibly corrected) and the article's text, and writes, in the caller's transaction and
through the registry's one write path (`create_record`, scoped and audited):

- the article as a `Source` (the same URL, or the same title and date, is the same source);
- each agency by its canonical key (`ref`): an agency the caller can see with that ref, or
  a new one from the gazetteer;
- each person, engagement, agreement and commitment, MERGED with an existing record that is
  the same fact: the same person (name and agency), the same engagement (kind, sides and
  overlapping dates), the same agreement (kind and parties), the same commitment (owner and
  text). A merged record gains a citation, a new one is created citing its passage.

Every fact keeps its passage: a `Citation` (source, offsets, quote) per record and source.
"""

from __future__ import annotations

from datetime import date
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
from hoptac.ingest.gazetteer import gazetteer
from hoptac.names import search_key
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
    source = _source(session, principal, extraction.get("source") or {}, text, report)
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
    for p in extraction.get("people") or []:
        people[p["name"]] = _person(
            session, principal, p, agency_id(p.get("agency")), source, text, report
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
    session: Session, principal: Principal, src: dict[str, Any], text: str, report: dict[str, Any]
) -> Source:
    query = scoped(sa.select(Source), Source, principal)
    url, title = src.get("url"), (src.get("title") or text.strip().split("\n", 1)[0])[:500]
    published = _pdate(src.get("published"))
    # the same article: the same text (under the same URL, or the same title); a URL whose
    # text differs (an updated article) is another source, so that offsets stay true
    found = session.scalar(
        query.where(Source.text == text, Source.url == url if url else Source.title == title)
    )
    if found is not None:
        _count(report, "merged", "source")
        return found
    obj = service.create_record(
        session,
        principal,
        service.SOURCES,
        s.SourceIn(title=title, url=url, published=published, text=text),
    )
    _count(report, "created", "source")
    return obj


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


def _person(
    session: Session,
    principal: Principal,
    p: dict[str, Any],
    agency_id: int | None,
    source: Source,
    text: str,
    report: dict[str, Any],
) -> int:
    key = search_key(p["name"])
    candidates = session.scalars(
        scoped(sa.select(Person), Person, principal).where(Person.name_key == key)
    ).all()
    # the same person: the same name and the same agency; without an agency on either
    # side, the same name and the same rank (two namesakes of different agencies stay two)
    same = [
        x
        for x in candidates
        if (agency_id is not None and x.agency_id == agency_id)
        or (agency_id is None and x.agency_id is None and x.rank == p.get("rank"))
    ]
    if same:
        person = same[0]
        fills = (not person.rank and p.get("rank")) or (not person.position and p.get("position"))
        if fills and can_edit(person, principal):
            service.update_record(
                session,
                principal,
                service.PEOPLE,
                person.id,
                {
                    "rank": person.rank or p.get("rank"),
                    "position": person.position or p.get("position"),
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
                rank=p.get("rank"),
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
    description = " ".join(str(c.get("text") or "").split())[:10_000]
    if not description:
        return
    for other in session.scalars(
        scoped(sa.select(Commitment), Commitment, principal).where(Commitment.owed_by_id == owner)
    ):
        if search_key(other.description) == search_key(description):
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
            due=_pdate(c.get("due")),
            source_id=source.id,
            quote=_quote(c.get("span"), text),
        ),
    )
    _noted(session, report, "created", "commitment", obj.id, source, c.get("span"), text)


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
