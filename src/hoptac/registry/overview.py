"""Read models for the officer's pages: the dashboard, an agency's overview, timelines.

Everything here is read through the same scoping as the API (`hoptac.auth.scoping`).
"""

from __future__ import annotations

from calendar import isleap
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac.auth.principal import Principal
from hoptac.auth.scoping import get_visible, scoped
from hoptac.db.models import Agency, Agreement, Commitment, Engagement, Person, Source
from hoptac.registry import service as svc
from hoptac.types import CommitmentStatus, PartialDate


@dataclass(frozen=True)
class Anniversary:
    agreement: Agreement
    signed: PartialDate
    year: int  # the year of the next (or current-year) anniversary
    ordinal: int  # 10 for the 10th anniversary

    @property
    def is_round(self) -> bool:
        return self.ordinal % 5 == 0

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.year, self.signed.month or 13, self.signed.day or 32)


def next_anniversary(signed: PartialDate, today: date) -> tuple[int, int]:
    """(year, ordinal) of the next anniversary not yet over. A date known to the year only
    is celebrated the whole year, one known to the month the whole month; 29 February is
    celebrated on the 28th in common years."""

    def over(year: int) -> bool:
        if signed.month is None:
            return year < today.year
        if signed.day is None:
            return (year, signed.month) < (today.year, today.month)
        day = 28 if (signed.month, signed.day) == (2, 29) and not isleap(year) else signed.day
        return date(year, signed.month, day) < today

    year = max(today.year, signed.year + 1)
    if over(year):
        year += 1
    return year, year - signed.year


def anniversaries(agreements: list[Agreement], today: date) -> list[Anniversary]:
    out = []
    for a in agreements:
        signed = svc.partial_date(a.signed_on, a.signed_precision)
        if signed is None:
            continue
        year, ordinal = next_anniversary(signed, today)
        out.append(Anniversary(a, signed, year, ordinal))
    return sorted(out, key=lambda x: x.sort_key)


@dataclass
class Dashboard:
    partners: list[Agency]
    anniversaries: list[Anniversary]
    overdue: list[Commitment]
    open: list[Commitment]
    recent: list[Engagement]
    counts: dict[str, int] = field(default_factory=dict)


def _all(session: Session, principal: Principal, res: svc.Resource[Any], **kw: Any) -> list[Any]:
    items, _ = svc.list_records(session, principal, res, svc.ListQuery(limit=500, **kw))
    return items


def dashboard(session: Session, principal: Principal, today: date) -> Dashboard:
    agreements = _all(session, principal, svc.AGREEMENTS)
    engagements = _all(session, principal, svc.ENGAGEMENTS)
    partner_ids = {a.id for ag in agreements for a in ag.parties} | {
        s.agency_id for e in engagements for s in e.sides
    }
    partner_ids.discard(principal.agency_id)
    partners = list(
        session.scalars(
            scoped(sa.select(Agency), Agency, principal)
            .where(Agency.id.in_(partner_ids))
            .order_by(*svc.AGENCIES.order_by)
        )
    )
    overdue, n_overdue = svc.list_records(
        session, principal, svc.COMMITMENTS, svc.ListQuery(status="overdue", today=today)
    )
    open_, n_open = svc.list_records(
        session, principal, svc.COMMITMENTS, svc.ListQuery(status="open", today=today)
    )
    counts = {
        name: svc.list_records(session, principal, res, svc.ListQuery(limit=0))[1]
        for name, res in svc.RESOURCES.items()
        if not res.restricted or principal.sees_sources
    }
    counts |= {"overdue": n_overdue, "open": n_open}
    return Dashboard(
        partners, anniversaries(agreements, today), overdue, open_, engagements[:8], counts
    )


@dataclass(frozen=True)
class TimelineEntry:
    when: PartialDate
    kind: str  # agreement | engagement | commitment
    title: str
    record_id: int
    status: str | None = None


def timeline(
    agreements: list[Agreement], engagements: list[Engagement], commitments: list[Commitment]
) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for a in agreements:
        if d := svc.partial_date(a.signed_on, a.signed_precision):
            entries.append(TimelineEntry(d, "agreement", a.title, a.id))
    for e in engagements:
        if d := svc.partial_date(e.start_on, e.start_precision):
            entries.append(TimelineEntry(d, "engagement", e.title, e.id, e.kind.value))
    for c in commitments:
        if d := svc.partial_date(c.due_on, c.due_precision):
            entries.append(
                TimelineEntry(d, "commitment", c.description, c.id, svc.effective_status(c).value)
            )
    return sorted(entries, key=lambda t: (t.when.first_day, t.kind), reverse=True)


@dataclass
class AgencyOverview:
    agency: Agency
    children: list[Agency]
    agreements: list[Agreement]
    engagements: list[Engagement]
    commitments: list[Commitment]
    people: list[Person]
    timeline: list[TimelineEntry]


def agency_overview(session: Session, principal: Principal, agency_id: int) -> AgencyOverview:
    agency = get_visible(session, Agency, agency_id, principal)
    children = list(
        session.scalars(
            scoped(sa.select(Agency), Agency, principal)
            .where(Agency.parent_id == agency_id)
            .order_by(*svc.AGENCIES.order_by)
        )
    )
    agreements = _all(session, principal, svc.AGREEMENTS, agency_id=agency_id)
    engagements = _all(session, principal, svc.ENGAGEMENTS, agency_id=agency_id)
    commitments = _all(session, principal, svc.COMMITMENTS, agency_id=agency_id)
    people = _all(session, principal, svc.PEOPLE, agency_id=agency_id)
    return AgencyOverview(
        agency,
        children,
        agreements,
        engagements,
        commitments,
        people,
        timeline(agreements, engagements, commitments),
    )


def commitments_of(
    session: Session,
    principal: Principal,
    *,
    agreement_id: int | None = None,
    engagement_id: int | None = None,
) -> list[Commitment]:
    stmt = scoped(sa.select(Commitment), Commitment, principal)
    if agreement_id is not None:
        stmt = stmt.where(Commitment.agreement_id == agreement_id)
    if engagement_id is not None:
        stmt = stmt.where(Commitment.engagement_id == engagement_id)
    return list(session.scalars(stmt.order_by(*svc.COMMITMENTS.order_by)))


def engagements_of_agreement(
    session: Session, principal: Principal, agreement_id: int
) -> list[Engagement]:
    stmt = scoped(sa.select(Engagement), Engagement, principal).where(
        Engagement.agreement_id == agreement_id
    )
    return list(session.scalars(stmt.order_by(*svc.ENGAGEMENTS.order_by)))


def engagements_of_person(
    session: Session, principal: Principal, person_id: int
) -> list[Engagement]:
    stmt = scoped(sa.select(Engagement), Engagement, principal).where(
        Engagement.participants.any(person_id=person_id)
    )
    return list(session.scalars(stmt.order_by(*svc.ENGAGEMENTS.order_by)))


def status_counts(commitments: list[Commitment], today: date) -> dict[CommitmentStatus, int]:
    out: dict[CommitmentStatus, int] = {}
    for c in commitments:
        st = svc.effective_status(c, today)
        out[st] = out.get(st, 0) + 1
    return out


def citing(session: Session, principal: Principal, source_id: int) -> dict[str, list[Any]]:
    """The records (visible to the caller) that cite a source, by type."""
    out: dict[str, list[Any]] = {}
    for name, res in svc.RESOURCES.items():
        if res.model is Source:
            continue
        stmt = scoped(sa.select(res.model), res.model, principal).where(
            res.model.source_id == source_id
        )
        rows = list(session.scalars(stmt.order_by(*res.order_by)))
        if rows:
            out[name] = rows
    return out
