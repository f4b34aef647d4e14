"""Services over the registry's records: list, get, create, update — always scoped.

A `Resource` describes one record type once (model, input schema, converters); the generic
functions below do the rest, so the API, the pages, the demo loader and the exporter share
one path for validation, scoping, reference checks and audit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any, Generic, TypeVar, cast

import sqlalchemy as sa
from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python
from sqlalchemy.orm import Session, object_session, selectinload
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.elements import ColumnElement

from hoptac.auth import audit
from hoptac.auth.audit import Action
from hoptac.auth.principal import Principal
from hoptac.auth.scoping import can_edit, get_visible, is_visible, scoped, shown
from hoptac.db.models import (
    Agency,
    Agreement,
    Base,
    Commitment,
    Engagement,
    EngagementAgency,
    Participation,
    Person,
    RecordShare,
    Source,
    utcnow,
)
from hoptac.errors import Duplicate, FieldError, Forbidden, InvalidInput, NotFound, StaleEdit
from hoptac.names import fold, search_key
from hoptac.registry import schemas as s
from hoptac.types import (
    AgencyLevel,
    AgreementKind,
    CommitmentStatus,
    EngagementKind,
    PartialDate,
    Precision,
    Sharing,
    Topic,
)

M = TypeVar("M", bound=Base)
B = TypeVar("B", bound=BaseModel)


# ---- helpers ------------------------------------------------------------------------


def partial_date(day: date | None, precision: Precision | None) -> PartialDate | None:
    return PartialDate.from_parts(day, precision) if day and precision else None


def iso_date(day: date | None, precision: Precision | None) -> str | None:
    pd = partial_date(day, precision)
    return pd.iso() if pd else None


def split_date(value: PartialDate | None) -> tuple[date | None, Precision | None]:
    return (value.first_day, value.precision) if value else (None, None)


def agency_ref(a: Agency) -> s.AgencyRef:
    return s.AgencyRef(id=a.id, name_vi=a.name_vi, name_en=a.name_en, country=a.country)


def _agencies(agencies: list[Agency], p: Principal | None) -> list[s.AgencyRef]:
    """Related agencies the reader may see; a shared record may name private ones."""
    return [agency_ref(a) for a in agencies if is_visible(a, p)]


def _agency_or_none(a: Agency | None, p: Principal | None) -> s.AgencyRef | None:
    return agency_ref(a) if (a := shown(a, p)) is not None else None


def _linked_id(obj: Any, model: type[Base], ident: int | None, p: Principal | None) -> int | None:
    """The id of a linked record, or None when the reader may not see it."""
    if ident is None or p is None:
        return ident
    session = object_session(obj)
    linked = session.get(model, ident) if session is not None else None
    return ident if linked is not None and is_visible(linked, p) else None


def _topics(topics: list[Topic]) -> list[str]:
    """Topics once each, in vocabulary order: the order they were ticked carries no meaning."""
    chosen = set(topics)
    return [t.value for t in Topic if t in chosen]


def validation_errors(exc: ValidationError) -> list[FieldError]:
    """Pydantic's errors as (field, message) pairs a person can read."""
    out = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "body"
        msg = err["msg"].removeprefix("Value error, ")
        out.append(FieldError(field, msg))
    return out


def _lookup(
    session: Session, principal: Principal, model: type[M], ident: int | None, field: str
) -> M | None:
    """Resolve a referenced id within the caller's scope, or fail on that field."""
    if ident is None:
        return None
    try:
        return get_visible(session, model, ident, principal)
    except NotFound as exc:
        # In a request body a missing reference is invalid input on that field, not a 404.
        raise InvalidInput(exc.detail, errors=[FieldError(field, exc.detail)]) from None


def _lookup_all(
    session: Session, principal: Principal, model: type[M], ids: Sequence[int], field: str
) -> list[M]:
    return [o for o in (_lookup(session, principal, model, i, field) for i in ids) if o]


def apply_common(session: Session, principal: Principal, obj: Any, data: s.RecordIn) -> None:
    obj.ref = data.ref
    obj.sharing = data.sharing
    obj.quote = data.quote
    _lookup(session, principal, Source, data.source_id, "source_id")
    obj.source_id = data.source_id
    _lookup_all(session, principal, Agency, data.shared_with, "shared_with")
    owner = obj.owner_agency_id if obj.owner_agency_id is not None else principal.agency_id
    if owner in data.shared_with:
        message = "the owning agency always reads its records: name other agencies"
        raise InvalidInput(message, errors=[FieldError("shared_with", message)])


def save_shares(session: Session, res: Resource[Any], obj: Any, agency_ids: Sequence[int]) -> None:
    """The agencies a record is shared with by name: exactly `agency_ids` (once it has
    its id)."""
    table = res.model.__tablename__
    wanted, have = set(agency_ids), set(obj.shared_with)
    if wanted == have:
        return
    session.execute(
        sa.delete(RecordShare).where(
            RecordShare.record_type == table,
            RecordShare.record_id == obj.id,
            RecordShare.agency_id.in_(have - wanted),
        )
    )
    session.add_all(
        RecordShare(record_type=table, record_id=obj.id, agency_id=a) for a in wanted - have
    )
    session.flush()
    session.expire(obj, ["shares"])


def common_in(obj: Any) -> dict[str, Any]:
    return {
        "ref": obj.ref,
        "sharing": obj.sharing,
        "shared_with": obj.shared_with,
        "source_id": obj.source_id,
        "quote": obj.quote,
    }


def common_out(obj: Any, p: Principal | None) -> dict[str, Any]:
    return {
        **common_in(obj),
        "source_id": _linked_id(obj, Source, obj.source_id, p),
        "id": obj.id,
        "owner_agency_id": obj.owner_agency_id,
        "version": obj.version,
        "created_at": obj.created_at,
        "updated_at": obj.updated_at,
    }


def shaped(
    schema: type[B], stored: dict[str, Any], obj: Any, p: Principal | None, **shown: Any
) -> B:
    """A record's output model: the stored fields (`_x_in`) that the model declares (ids it
    shows as objects are left out by the model itself, not by hand), the common fields,
    then what is `shown` otherwise (linked records, dates as text)."""
    kept = {k: v for k, v in stored.items() if k in schema.model_fields}
    return schema(**{**kept, **common_out(obj, p), **shown})


SOURCE_FIELDS = ("source_id", "quote")  # restricted: `Principal.sees_sources`


# ---- per-type behaviour -------------------------------------------------------------


def _agency_apply(session: Session, p: Principal, obj: Agency, d: s.AgencyIn) -> None:
    apply_common(session, p, obj, d)
    for f in ("name_vi", "name_en", "name_zh", "name_ko", "country", "level"):
        setattr(obj, f, getattr(d, f))
    obj.abbreviations = list(d.abbreviations)
    parent = _lookup(session, p, Agency, d.parent_id, "parent_id")
    if parent is not None and obj.id is not None and _is_descendant(parent, obj.id):
        raise InvalidInput(
            "an agency cannot sit under itself",
            errors=[FieldError("parent_id", "this parent would create a cycle")],
        )
    obj.parent_id = d.parent_id
    names = [d.name_vi, d.name_en or "", d.name_zh or "", d.name_ko or "", *d.abbreviations]
    obj.name_key = " | ".join(search_key(n) for n in names if n)


def _is_descendant(candidate: Agency, ancestor_id: int) -> bool:
    node: Agency | None = candidate
    seen: set[int] = set()
    while node is not None and node.id not in seen:
        if node.id == ancestor_id:
            return True
        seen.add(node.id)
        node = node.parent
    return False


def _agency_in(o: Agency) -> dict[str, Any]:
    return {
        **common_in(o),
        **{f: getattr(o, f) for f in ("name_vi", "name_en", "name_zh", "name_ko", "country")},
        "level": o.level,
        "abbreviations": list(o.abbreviations),
        "parent_id": o.parent_id,
    }


def _agency_out(o: Agency, p: Principal | None) -> s.AgencyOut:
    return shaped(s.AgencyOut, _agency_in(o), o, p, parent_id=_linked_id(o, Agency, o.parent_id, p))


def _source_apply(session: Session, p: Principal, obj: Source, d: s.SourceIn) -> None:
    apply_common(session, p, obj, d)
    obj.title, obj.url, obj.publisher, obj.text = d.title, d.url, d.publisher, d.text
    obj.published_on, obj.published_precision = split_date(d.published)


def _source_in(o: Source) -> dict[str, Any]:
    return {
        **common_in(o),
        "title": o.title,
        "url": o.url,
        "publisher": o.publisher,
        "text": o.text,
        "published": partial_date(o.published_on, o.published_precision),
    }


def _source_out(o: Source, p: Principal | None) -> s.SourceOut:
    published = iso_date(o.published_on, o.published_precision)
    return shaped(s.SourceOut, _source_in(o), o, p, published=published)


def _person_apply(session: Session, p: Principal, obj: Person, d: s.PersonIn) -> None:
    apply_common(session, p, obj, d)
    obj.full_name, obj.rank, obj.position = d.full_name, d.rank, d.position
    obj.name_key = search_key(d.full_name)
    _lookup(session, p, Agency, d.agency_id, "agency_id")
    obj.agency_id = d.agency_id


def _person_in(o: Person) -> dict[str, Any]:
    return {
        **common_in(o),
        "full_name": o.full_name,
        "rank": o.rank,
        "position": o.position,
        "agency_id": o.agency_id,
    }


def _person_out(o: Person, p: Principal | None) -> s.PersonOut:
    return shaped(s.PersonOut, _person_in(o), o, p, agency=_agency_or_none(o.agency, p))


def _agreement_apply(session: Session, p: Principal, obj: Agreement, d: s.AgreementIn) -> None:
    apply_common(session, p, obj, d)
    obj.kind, obj.title, obj.text_excerpt = d.kind, d.title, d.text_excerpt
    obj.topics = _topics(d.topics)
    obj.signed_on, obj.signed_precision = split_date(d.signed)
    obj.parties = _lookup_all(session, p, Agency, d.party_ids, "party_ids")


def _agreement_in(o: Agreement) -> dict[str, Any]:
    return {
        **common_in(o),
        "kind": o.kind,
        "title": o.title,
        "text_excerpt": o.text_excerpt,
        "topics": list(o.topics),
        "signed": partial_date(o.signed_on, o.signed_precision),
        "party_ids": [a.id for a in o.parties],
    }


def _agreement_out(o: Agreement, p: Principal | None) -> s.AgreementOut:
    return shaped(
        s.AgreementOut, _agreement_in(o), o, p,
        signed=iso_date(o.signed_on, o.signed_precision), parties=_agencies(o.parties, p),
    )  # fmt: skip


def _engagement_apply(session: Session, p: Principal, obj: Engagement, d: s.EngagementIn) -> None:
    apply_common(session, p, obj, d)
    obj.kind, obj.title, obj.location, obj.summary = d.kind, d.title, d.location, d.summary
    obj.places = list(d.places)
    obj.topics = _topics(d.topics)
    obj.start_on, obj.start_precision = split_date(d.start)
    obj.end_on, obj.end_precision = split_date(d.end)
    _lookup(session, p, Agreement, d.agreement_id, "agreement_id")
    obj.agreement_id = d.agreement_id
    both = set(d.host_ids) & set(d.visitor_ids)
    if both:
        raise InvalidInput(
            "an agency is either host or visitor",
            errors=[FieldError("visitor_ids", f"agency {min(both)} is also a host")],
        )
    _lookup_all(session, p, Agency, [*d.host_ids, *d.visitor_ids], "host_ids")
    seen: set[int] = set()
    for i, part in enumerate(d.participants):
        _lookup(session, p, Person, part.person_id, f"participants.{i}.person_id")
        if part.person_id in seen:
            raise InvalidInput(
                "a person is listed twice",
                errors=[FieldError(f"participants.{i}.person_id", "listed twice")],
            )
        seen.add(part.person_id)
    # Keep existing child rows and change them in place: replacing them would insert the
    # new (engagement, person) row before the old one is deleted and break uniqueness.
    sides = {i: "host" for i in d.host_ids} | {i: "visitor" for i in d.visitor_ids}
    old_sides = {x.agency_id: x for x in obj.sides}
    obj.sides = [
        _with(old_sides.get(agency_id) or EngagementAgency(agency_id=agency_id), side=side)
        for agency_id, side in sides.items()
    ]
    old_parts = {x.person_id: x for x in obj.participants}
    obj.participants = [
        _with(
            old_parts.get(part.person_id) or Participation(person_id=part.person_id),
            role=part.role,
            quote=part.quote,
        )
        for part in d.participants
    ]


def _with(row: M, **values: Any) -> M:
    for name, value in values.items():
        setattr(row, name, value)
    return row


def _engagement_in(o: Engagement) -> dict[str, Any]:
    return {
        **common_in(o),
        "kind": o.kind,
        "title": o.title,
        "location": o.location,
        "summary": o.summary,
        "places": list(o.places),
        "topics": list(o.topics),
        "start": partial_date(o.start_on, o.start_precision),
        "end": partial_date(o.end_on, o.end_precision),
        "agreement_id": o.agreement_id,
        "host_ids": [x.agency_id for x in o.sides if x.side == "host"],
        "visitor_ids": [x.agency_id for x in o.sides if x.side == "visitor"],
        "participants": [
            {"person_id": x.person_id, "role": x.role, "quote": x.quote} for x in o.participants
        ],
    }


def _engagement_out(o: Engagement, p: Principal | None) -> s.EngagementOut:
    return shaped(
        s.EngagementOut,
        _engagement_in(o),
        o,
        p,
        start=iso_date(o.start_on, o.start_precision),
        end=iso_date(o.end_on, o.end_precision),
        agreement_id=_linked_id(o, Agreement, o.agreement_id, p),
        hosts=_agencies([x.agency for x in o.sides if x.side == "host"], p),
        visitors=_agencies([x.agency for x in o.sides if x.side == "visitor"], p),
        participants=[
            s.ParticipantOut(
                person_id=x.person_id,
                full_name=x.person.full_name,
                rank=x.person.rank,
                position=x.person.position,
                role=x.role,
                quote=x.quote,
            )
            for x in o.participants
            if is_visible(x.person, p)
        ],
    )


def _commitment_apply(session: Session, p: Principal, obj: Commitment, d: s.CommitmentIn) -> None:
    apply_common(session, p, obj, d)
    obj.description, obj.evidence = d.description, d.evidence
    obj.status = CommitmentStatus(d.status)
    obj.due_on, obj.due_precision = split_date(d.due)
    _lookup(session, p, Agency, d.owed_by_id, "owed_by_id")
    _lookup(session, p, Agency, d.owed_to_id, "owed_to_id")
    _lookup(session, p, Agreement, d.agreement_id, "agreement_id")
    _lookup(session, p, Engagement, d.engagement_id, "engagement_id")
    obj.owed_by_id, obj.owed_to_id = d.owed_by_id, d.owed_to_id
    obj.agreement_id, obj.engagement_id = d.agreement_id, d.engagement_id


def _commitment_in(o: Commitment) -> dict[str, Any]:
    return {
        **common_in(o),
        "description": o.description,
        "evidence": o.evidence,
        "status": o.status.value if o.status is not CommitmentStatus.OVERDUE else "open",
        "due": partial_date(o.due_on, o.due_precision),
        "owed_by_id": o.owed_by_id,
        "owed_to_id": o.owed_to_id,
        "agreement_id": o.agreement_id,
        "engagement_id": o.engagement_id,
    }


def effective_status(c: Commitment, today: date | None = None) -> CommitmentStatus:
    """Open and past the last day of its due period: overdue."""
    due = partial_date(c.due_on, c.due_precision)
    if c.status is CommitmentStatus.OPEN and due and due.last_day < (today or date.today()):
        return CommitmentStatus.OVERDUE
    return c.status


def overdue_clause(today: date) -> ColumnElement[bool]:
    """SQL twin of `effective_status(...) == OVERDUE`: the due period ended before today."""
    return sa.and_(
        Commitment.status == CommitmentStatus.OPEN,
        sa.or_(
            sa.and_(Commitment.due_precision == Precision.DAY, Commitment.due_on < today),
            sa.and_(
                Commitment.due_precision == Precision.MONTH,
                Commitment.due_on < date(today.year, today.month, 1),
            ),
            sa.and_(
                Commitment.due_precision == Precision.YEAR,
                Commitment.due_on < date(today.year, 1, 1),
            ),
        ),
    )


def _commitment_out(o: Commitment, p: Principal | None) -> s.CommitmentOut:
    due = partial_date(o.due_on, o.due_precision)
    return shaped(
        s.CommitmentOut,
        _commitment_in(o),
        o,
        p,
        agreement_id=_linked_id(o, Agreement, o.agreement_id, p),
        engagement_id=_linked_id(o, Engagement, o.engagement_id, p),
        due=due.iso() if due else None,
        deadline=due.last_day if due else None,
        status=effective_status(o),
        owed_by=_agency_or_none(o.owed_by, p),
        owed_to=_agency_or_none(o.owed_to, p),
    )


# ---- the resource table -------------------------------------------------------------


@dataclass(frozen=True)
class ListQuery:
    """Filters of a list; each resource uses those that make sense for it."""

    q: str | None = None
    agency_id: int | None = None
    kind: str | None = None
    status: str | None = None
    country: str | None = None
    topic: str | None = None
    limit: int = 50
    offset: int = 0
    today: date | None = None


@dataclass(frozen=True, kw_only=True)
class Resource(Generic[M]):
    """One kind of record, all it takes to serve it (the API's routes, the forms, the
    export): its schemas in, for a change and out, the filters its lists take, and the
    functions between them and the model. See docs/adding-a-resource.md."""

    name: str  # URL segment and audit object type: "agreements"
    model: type[M]
    schema_in: type[s.RecordIn]
    schema_patch: type[BaseModel]
    schema_out: type[BaseModel]
    filters: type[s.Filters]  # the query parameters its lists take (others: 422)
    apply: Callable[[Session, Principal, Any, Any], None]
    to_in: Callable[[Any], dict[str, Any]]
    to_out: Callable[[Any, Principal | None], BaseModel]  # None: the node (export)
    filter: Callable[[sa.Select[Any], ListQuery], sa.Select[Any]]
    order_by: tuple[Any, ...]  # explicit NULL placement: SQLite and PostgreSQL differ
    load: tuple[Any, ...] = ()
    # Run after each create or update, once the row has its id (e.g. a search index).
    after_write: Callable[[Session, Any], None] | None = None
    # Reading one record (its page, GET by id) leaves an audit row: personal data.
    audit_reads: bool = False
    # Only callers with the sources field permission (`Principal.sees_sources`) read these.
    restricted: bool = False

    @property
    def label(self) -> str:
        return self.model.__name__.lower()

    def out(self, obj: M, p: Principal | None) -> BaseModel:
        """The record as `p` reads it: without the source fields for a caller who lacks
        that permission (unset: the API leaves them out of the JSON, not null)."""
        model = self.to_out(obj, p)
        if p is not None and getattr(obj, "owner_agency_id", None) != p.agency_id:
            cast(Any, model).shared_with = []  # the partners named: the owner's business
        if p is not None and not p.sees_sources:
            for part in (model, *getattr(model, "participants", ())):  # each with a passage
                for name in SOURCE_FIELDS:
                    if name in type(part).model_fields:
                        setattr(part, name, None)
                part.model_fields_set.difference_update(SOURCE_FIELDS)
        return model


def _name_filter(column: Any, q: str | None) -> list[ColumnElement[bool]]:
    """Every folded query token must start a token of the name: `nguyen hai` ~ `Nguyễn Hải`."""
    return [column.like(f"% {tok}%") for tok in fold(q or "").split()]


E = TypeVar("E", bound=StrEnum)


def member(enum: type[E], value: str, field: str) -> E:
    """A filter value from the vocabulary, or a 422 that lists the vocabulary."""
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise InvalidInput(
            f"unknown {field} '{value}'", errors=[FieldError(field, f"use one of: {allowed}")]
        ) from None


def _topic(column: Any, topic: str | None) -> list[ColumnElement[bool]]:
    if not topic:
        return []
    # JSON list stored as text on both backends: match the quoted member.
    return [sa.cast(column, sa.String).like(f'%"{member(Topic, topic, "topic").value}"%')]


def _agency_filter(stmt: sa.Select[Any], q: ListQuery) -> sa.Select[Any]:
    conds = _name_filter(Agency.name_key, q.q)
    if q.country:
        conds.append(Agency.country == q.country.upper())
    if q.kind:
        conds.append(Agency.level == member(AgencyLevel, q.kind, "kind"))
    return stmt.where(*conds)


def _source_filter(stmt: sa.Select[Any], q: ListQuery) -> sa.Select[Any]:
    return stmt.where(*[Source.title.ilike(f"%{q.q}%")] if q.q else [])


def _person_filter(stmt: sa.Select[Any], q: ListQuery) -> sa.Select[Any]:
    conds = _name_filter(Person.name_key, q.q)
    if q.agency_id:
        conds.append(Person.agency_id == q.agency_id)
    return stmt.where(*conds)


def _agreement_filter(stmt: sa.Select[Any], q: ListQuery) -> sa.Select[Any]:
    conds = _topic(Agreement.topics, q.topic)
    if q.kind:
        conds.append(Agreement.kind == member(AgreementKind, q.kind, "kind"))
    if q.agency_id:
        conds.append(Agreement.parties.any(Agency.id == q.agency_id))
    return stmt.where(*conds)


def _engagement_filter(stmt: sa.Select[Any], q: ListQuery) -> sa.Select[Any]:
    conds = _topic(Engagement.topics, q.topic)
    if q.kind:
        conds.append(Engagement.kind == member(EngagementKind, q.kind, "kind"))
    if q.agency_id:
        conds.append(Engagement.sides.any(EngagementAgency.agency_id == q.agency_id))
    return stmt.where(*conds)


def _commitment_filter(stmt: sa.Select[Any], q: ListQuery) -> sa.Select[Any]:
    conds: list[ColumnElement[bool]] = []
    today = q.today or date.today()
    status = member(CommitmentStatus, q.status, "status") if q.status else None
    if status is CommitmentStatus.OVERDUE:
        conds.append(overdue_clause(today))
    elif status is CommitmentStatus.OPEN:
        # NULL-safe: an open commitment without a due date is never overdue.
        conds += [
            Commitment.status == CommitmentStatus.OPEN,
            sa.or_(Commitment.due_on.is_(None), sa.not_(overdue_clause(today))),
        ]
    elif status is not None:
        conds.append(Commitment.status == status)
    if q.agency_id:
        conds.append(
            sa.or_(Commitment.owed_by_id == q.agency_id, Commitment.owed_to_id == q.agency_id)
        )
    return stmt.where(*conds)


AGENCIES: Resource[Agency] = Resource(
    name="agencies",
    model=Agency,
    schema_in=s.AgencyIn,
    schema_patch=s.AgencyPatch,
    apply=_agency_apply,
    to_in=_agency_in,
    to_out=_agency_out,
    filter=_agency_filter,
    order_by=(Agency.country, Agency.name_vi, Agency.id),
    schema_out=s.AgencyOut,
    filters=s.AgencyFilters,
)
SOURCES: Resource[Source] = Resource(
    name="sources",
    model=Source,
    schema_in=s.SourceIn,
    schema_patch=s.SourcePatch,
    apply=_source_apply,
    to_in=_source_in,
    to_out=_source_out,
    filter=_source_filter,
    order_by=(Source.published_on.desc().nulls_last(), Source.id),
    restricted=True,
    schema_out=s.SourceOut,
    filters=s.SourceFilters,
)
PEOPLE: Resource[Person] = Resource(
    name="people",
    model=Person,
    schema_in=s.PersonIn,
    schema_patch=s.PersonPatch,
    apply=_person_apply,
    to_in=_person_in,
    to_out=_person_out,
    filter=_person_filter,
    order_by=(Person.name_key, Person.id),
    load=(selectinload(Person.agency),),
    schema_out=s.PersonOut,
    filters=s.PersonFilters,
)
AGREEMENTS: Resource[Agreement] = Resource(
    name="agreements",
    model=Agreement,
    schema_in=s.AgreementIn,
    schema_patch=s.AgreementPatch,
    apply=_agreement_apply,
    to_in=_agreement_in,
    to_out=_agreement_out,
    filter=_agreement_filter,
    order_by=(Agreement.signed_on.desc().nulls_last(), Agreement.id),
    load=(selectinload(Agreement.parties),),
    schema_out=s.AgreementOut,
    filters=s.AgreementFilters,
)
ENGAGEMENTS: Resource[Engagement] = Resource(
    name="engagements",
    model=Engagement,
    schema_in=s.EngagementIn,
    schema_patch=s.EngagementPatch,
    apply=_engagement_apply,
    to_in=_engagement_in,
    to_out=_engagement_out,
    filter=_engagement_filter,
    order_by=(Engagement.start_on.desc().nulls_last(), Engagement.id),
    load=(
        selectinload(Engagement.sides).selectinload(EngagementAgency.agency),
        selectinload(Engagement.participants).selectinload(Participation.person),
    ),
    schema_out=s.EngagementOut,
    filters=s.EngagementFilters,
)
COMMITMENTS: Resource[Commitment] = Resource(
    name="commitments",
    model=Commitment,
    schema_in=s.CommitmentIn,
    schema_patch=s.CommitmentPatch,
    apply=_commitment_apply,
    to_in=_commitment_in,
    to_out=_commitment_out,
    filter=_commitment_filter,
    order_by=(Commitment.due_on.asc().nulls_last(), Commitment.id),
    load=(selectinload(Commitment.owed_by), selectinload(Commitment.owed_to)),
    schema_out=s.CommitmentOut,
    filters=s.CommitmentFilters,
)
RESOURCES: dict[str, Resource[Any]] = {
    r.name: r for r in (AGENCIES, SOURCES, PEOPLE, AGREEMENTS, ENGAGEMENTS, COMMITMENTS)
}


# ---- generic operations -------------------------------------------------------------


def _permitted(principal: Principal, res: Resource[M]) -> None:
    if res.restricted and not principal.sees_sources:
        raise Forbidden("This account may not read sources.")


def list_records(
    session: Session, principal: Principal, res: Resource[M], q: ListQuery
) -> tuple[list[M], int]:
    _permitted(principal, res)
    if q.agency_id is not None and not _readable(session, Agency, q.agency_id, principal):
        # A filter on an agency the caller cannot see reads exactly like one on a missing
        # id: nothing. (Visible records may still name it; counting them would tell.)
        q = replace(q, agency_id=-1)
    base = res.filter(scoped(sa.select(res.model), res.model, principal), q)
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    stmt = base.order_by(*res.order_by).limit(q.limit).offset(q.offset).options(*res.load)
    return list(session.scalars(stmt).unique()), total


def _readable(session: Session, model: Any, record_id: int, principal: Principal) -> bool:
    stmt = scoped(sa.select(model.id).where(model.id == record_id), model, principal)
    return session.scalar(stmt) is not None


def get_record(session: Session, principal: Principal, res: Resource[M], record_id: int) -> M:
    _permitted(principal, res)
    return get_visible(session, res.model, record_id, principal)


def read_record(session: Session, principal: Principal, res: Resource[M], record_id: int) -> M:
    """`get_record` for showing the record to its reader: audited when the resource says
    so (the caller commits)."""
    obj = get_record(session, principal, res, record_id)
    if res.audit_reads:
        audit.record(
            session,
            Action.RECORD_READ,
            principal=principal,
            object_type=res.name,
            object_id=record_id,
        )
    return obj


def validate(schema: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("the record is not valid", errors=validation_errors(exc)) from exc


def create_record(session: Session, principal: Principal, res: Resource[M], data: s.RecordIn) -> M:
    principal.require_write()
    obj = res.model()
    obj.owner_agency_id = principal.agency_id  # type: ignore[attr-defined]
    _check_ref_free(session, res, data.ref, None, principal.agency_id)
    with session.no_autoflush:  # one UPDATE at the end, not one per reference lookup
        res.apply(session, principal, obj, data)
    session.add(obj)
    session.flush()
    save_shares(session, res, obj, data.shared_with)
    if res.after_write is not None:
        res.after_write(session, obj)
    audit.record(
        session,
        Action.RECORD_CREATED,
        principal=principal,
        object_type=res.name,
        object_id=obj.id,  # type: ignore[attr-defined]
    )
    return obj


def create_own_agency(session: Session, data: s.AgencyIn, acting_as: str) -> Agency:
    """An agency that owns itself: the first record of a node (the demo's owner, the agency
    a node serves), made through the same rules as any agency (`AGENCIES.apply`: names,
    its search key) and audited as `record.created` by the node (`acting_as`)."""
    agency = Agency(level=data.level)
    AGENCIES.apply(session, Principal.node(0, acting_as), agency, data)
    session.add(agency)
    session.flush()
    agency.owner_agency_id = agency.id
    session.flush()
    audit.record(
        session,
        Action.RECORD_CREATED,
        principal=Principal.node(agency.id, acting_as),
        object_type=AGENCIES.name,
        object_id=agency.id,
    )
    return agency


def update_record(
    session: Session,
    principal: Principal,
    res: Resource[M],
    record_id: int,
    patch: dict[str, Any],
    expected_version: int | None = None,
) -> M:
    """Merge `patch` into the stored record and re-validate the whole: one set of rules.

    With `expected_version` (the version the editor started from), an edit based on a
    stale copy is refused instead of silently overwriting someone else's change.
    """
    obj: Any = get_record(session, principal, res, record_id)
    if getattr(obj, "origin_peer_id", None) is not None:
        raise Forbidden(f"this {res.label} was received from a partner: only its issuer changes it")
    if not can_edit(obj, principal):
        raise Forbidden("Only the owning agency's officers may change this record.")
    if expected_version is not None and expected_version != obj.version:
        raise _stale(res, obj.version, expected_version)
    before = res.to_in(obj)
    merged = {**before, **patch}
    if "sharing" in patch and patch["sharing"] != Sharing.PARTNERS and "shared_with" not in patch:
        merged["shared_with"] = []  # leaving "partners": the partners named go with it
    data = validate(res.schema_in, merged)
    _check_ref_free(session, res, data.ref, record_id, obj.owner_agency_id)
    with session.no_autoflush:  # one UPDATE at the end, not one per reference lookup
        res.apply(session, principal, obj, data)
    # Always UPDATE the row itself, so that the version moves even when only child rows
    # (parties, sides, participants) changed.
    obj.updated_at = utcnow()
    try:
        session.flush()
    except StaleDataError:
        # Changed by a concurrent request between our read and our write.
        raise _stale(res, None, obj.version) from None
    save_shares(session, res, obj, data.shared_with)
    if res.after_write is not None:
        res.after_write(session, obj)
    audit.record(
        session,
        Action.RECORD_UPDATED,
        principal=principal,
        object_type=res.name,
        object_id=record_id,
        detail={"fields": sorted(patch), **changes(before, res.to_in(obj))},
    )
    return cast(M, obj)


LONG_TEXT = 500  # characters: longer texts enter the audit log as a digest


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The fields whose stored value changed, before and after, as JSON values (dates as
    ISO text, enums as their values): the audit row of an update. A long text (an
    article) is kept as its length and SHA-256: the log is append-only, and two copies of
    every version of an article would swell it."""

    def value(v: Any) -> Any:
        if isinstance(v, str) and len(v) > LONG_TEXT:
            return f"({len(v)} characters, SHA-256 {hashlib.sha256(v.encode()).hexdigest()})"
        return v.iso() if isinstance(v, PartialDate) else to_jsonable_python(v)

    changed = sorted(k for k in after if before.get(k) != after.get(k))
    return {
        "before": {k: value(before.get(k)) for k in changed},
        "after": {k: value(after.get(k)) for k in changed},
    }


def _stale(res: Resource[Any], current: int | None, yours: int) -> StaleEdit:
    now = f" (now version {current}, yours {yours})" if current is not None else ""
    return StaleEdit(
        f"this {res.label} was changed by someone else after you opened it{now}; "
        "reload it and make your change again"
    )


def _check_ref_free(
    session: Session, res: Resource[Any], ref: str | None, own_id: int | None, owner: int | None
) -> None:
    """Refs are unique per owning agency, agencies' too (the database's constraint says
    the same): another agency's refs, hidden or not, never collide with the caller's, so
    a conflict tells nothing about records the caller cannot see."""
    if ref is None:
        return
    stmt = sa.select(res.model.id).where(res.model.ref == ref, res.model.owner_agency_id == owner)
    other = session.scalar(stmt)
    if other is not None and other != own_id:
        raise Duplicate(f"ref '{ref}' is already used", errors=[FieldError("ref", "already used")])
