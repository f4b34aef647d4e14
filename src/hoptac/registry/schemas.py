"""Typed input and output of the registry, shared by the API, the forms, the demo loader
and the exporter. Validation lives here once; messages are written for people."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    create_model,
    field_validator,
    model_validator,
)

from hoptac.types import (
    RANK_NAMES,
    AgencyLevel,
    AgreementKind,
    CommitmentStatus,
    EngagementKind,
    PartialDate,
    ParticipantRole,
    Sharing,
    Topic,
)


def _partial_date(value: Any) -> PartialDate:
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, date):
        return PartialDate(value.year, value.month, value.day)
    if isinstance(value, int) and not isinstance(value, bool):
        return PartialDate(value)
    if isinstance(value, str):
        return PartialDate.parse(value)
    raise ValueError("a date is a string: YYYY, YYYY-MM or YYYY-MM-DD")


PDate = Annotated[
    PartialDate,
    PlainValidator(_partial_date),
    PlainSerializer(lambda d: d.iso(), return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$",
            "description": "A date known to the day, month or year: 2024-06-30, 2024-06, 2024.",
            "examples": ["2024-06-30", "2024-06", "2024"],
        }
    ),
]


def _utc(value: datetime) -> str:
    """A moment as RFC 3339 in UTC with `Z`: stored times are UTC, naive or not."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# Every timestamp an API output model carries: UTC, said so (`2026-12-07T07:12:46.501515Z`).
UtcDateTime = Annotated[
    datetime,
    PlainSerializer(_utc, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Quote = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4_000)]
# What one agency owes another, and the evidence it was done: a paragraph, not an article.
DESCRIPTION_MAX = 5_000  # descriptions (a commitment's, its evidence, a notice's charges)
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=DESCRIPTION_MAX)]
Ref = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,119}$")]


def _country(value: Any) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if len(code) != 2 or not ("A" <= code[0] <= "Z" and "A" <= code[1] <= "Z"):
        raise ValueError(
            "a country is a 2-letter ISO 3166 code such as VN, CN, KR (ZZ: international)"
        )
    return code


Country = Annotated[
    str,
    PlainValidator(_country),
    WithJsonSchema({"type": "string", "pattern": "^[A-Z]{2}$", "examples": ["VN", "KR"]}),
]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://\S+$")
]
# Stored commitment states; "overdue" is computed, never written.
StoredStatus = Literal["open", "done", "dropped"]


class RecordIn(BaseModel):
    """Fields every registry record carries: provenance and sharing."""

    model_config = ConfigDict(extra="forbid")

    ref: Ref | None = Field(None, description="Optional stable external key, unique per type.")
    sharing: Sharing = Field(
        Sharing.AGENCY,
        description="'agency': only the owning agency; 'partners': also the agencies named "
        "in shared_with; 'all': every agency on the node.",
    )
    shared_with: list[Id] = Field(
        default_factory=list,
        max_length=50,
        description="With sharing 'partners': the agencies (ids) that may read the record.",
    )
    source_id: Id | None = Field(None, description="The source (article, report) it comes from.")
    quote: Quote | None = Field(None, description="The passage of the source it comes from.")

    @model_validator(mode="after")
    def _partners_named(self) -> RecordIn:
        if self.sharing is Sharing.PARTNERS and not self.shared_with:
            raise ValueError("sharing 'partners' needs at least one agency in shared_with")
        if self.sharing is not Sharing.PARTNERS and self.shared_with:
            raise ValueError("shared_with is only for sharing 'partners'")
        return self

    @model_validator(mode="after")
    def _blank_is_none(self) -> RecordIn:
        """An optional text left blank is absent, not an empty string."""
        for name, info in type(self).model_fields.items():
            if info.default is None and getattr(self, name) == "":
                object.__setattr__(self, name, None)
        return self


class AgencyIn(RecordIn):
    sharing: Sharing = Sharing.ALL
    name_vi: Name
    name_en: Name | None = None
    name_zh: Name | None = None
    name_ko: Name | None = None
    abbreviations: list[Short] = Field(default_factory=list, max_length=30)
    country: Country = Field(description="ISO 3166-1 alpha-2; ZZ for international bodies.")
    level: AgencyLevel
    parent_id: Id | None = None


class SourceIn(RecordIn):
    title: Title
    url: Url | None = None
    publisher: Short | None = None
    published: PDate | None = None
    text: Annotated[str, StringConstraints(max_length=500_000)] = ""


class PersonIn(RecordIn):
    full_name: Name
    rank: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        None, description="A Vietnamese rank, e.g. 'Thiếu tướng'."
    )
    position: Title | None = None
    agency_id: Id | None = None

    @field_validator("rank")
    @classmethod
    def _known_rank(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        v = " ".join(v.split())
        for known in RANK_NAMES:
            if known.casefold() == v.casefold():
                return known
        raise ValueError(f"'{v}' is not a rank; use one of: " + ", ".join(sorted(RANK_NAMES)))


def _unique(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(ids))


class AgreementIn(RecordIn):
    kind: AgreementKind
    title: Title
    party_ids: Annotated[list[Id], Field(min_length=1, max_length=50)]
    signed: PDate | None = None
    topics: list[Topic] = Field(default_factory=list)
    text_excerpt: Text | None = None

    _dedupe = field_validator("party_ids")(_unique)


class ParticipantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: Id
    role: ParticipantRole = ParticipantRole.MEMBER
    quote: Quote | None = None


class EngagementIn(RecordIn):
    kind: EngagementKind
    title: Title
    start: PDate | None = None
    end: PDate | None = None
    host_ids: list[Id] = Field(default_factory=list, max_length=50)
    # Validated even when absent: it carries the "at least one host or visitor" rule.
    visitor_ids: list[Id] = Field(default_factory=list, max_length=50, validate_default=True)
    location: Name | None = None
    places: list[Title] = Field(default_factory=list, max_length=100)
    topics: list[Topic] = Field(default_factory=list)
    summary: Text | None = None
    agreement_id: Id | None = None
    participants: list[ParticipantIn] = Field(default_factory=list, max_length=200)

    _dedupe = field_validator("host_ids")(_unique)

    # Cross-field rules as field validators: they are reported on their field, together
    # with every other error of the same submission (a model validator would run only
    # once all fields were valid, and would name no field).
    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: PartialDate | None, info: ValidationInfo) -> PartialDate | None:
        start = info.data.get("start")
        if start and end and end.last_day < start.first_day:
            raise ValueError(f"the end ({end}) is before the start ({start})")
        return end

    @field_validator("visitor_ids")
    @classmethod
    def _someone_takes_part(cls, visitors: list[int], info: ValidationInfo) -> list[int]:
        if not visitors and not info.data.get("host_ids") and "host_ids" in info.data:
            raise ValueError("name at least one host or visiting agency")
        return _unique(visitors)


class CommitmentIn(RecordIn):
    description: Description = Field(min_length=1)
    owed_by_id: Id = Field(description="The agency that owes it.")
    owed_to_id: Id | None = None
    agreement_id: Id | None = None
    engagement_id: Id | None = None
    due: PDate | None = Field(None, description="Due by the end of this day, month or year.")
    status: StoredStatus = "open"
    evidence: Description | None = None


def partial(model: type[BaseModel]) -> type[BaseModel]:
    """The PATCH schema of `model`: every field optional, nothing defaulted."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        annotation: Any = info.annotation
        fields[name] = (annotation | None, Field(None, description=info.description))
    patch = create_model(
        model.__name__.removesuffix("In") + "Patch",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )
    return patch


AgencyPatch = partial(AgencyIn)
SourcePatch = partial(SourceIn)
PersonPatch = partial(PersonIn)
AgreementPatch = partial(AgreementIn)
EngagementPatch = partial(EngagementIn)
CommitmentPatch = partial(CommitmentIn)


# ---- output -------------------------------------------------------------------------


class AgencyRef(BaseModel):
    id: int
    name_vi: str
    name_en: str | None
    country: str


class RecordOut(BaseModel):
    id: int
    ref: str | None
    owner_agency_id: int | None
    version: int = Field(description="Bumped by every change; send it back as If-Match.")
    sharing: Sharing
    shared_with: list[int] = Field(
        description="With sharing 'partners': the agencies named (shown to the owner only)."
    )
    source_id: int | None = Field(
        None, description="The source read; absent for roles without source access (viewers)."
    )
    quote: str | None = Field(
        None, description="The passage read; absent for roles without source access (viewers)."
    )
    created_at: UtcDateTime
    updated_at: UtcDateTime


class AgencyOut(RecordOut):
    name_vi: str
    name_en: str | None
    name_zh: str | None
    name_ko: str | None
    abbreviations: list[str]
    country: str
    level: AgencyLevel
    parent_id: int | None


class SourceOut(RecordOut):
    title: str
    url: str | None
    publisher: str | None
    published: str | None
    text: str


class PersonOut(RecordOut):
    full_name: str
    rank: str | None
    position: str | None
    agency: AgencyRef | None


class AgreementOut(RecordOut):
    kind: AgreementKind
    title: str
    parties: list[AgencyRef]
    signed: str | None
    topics: list[Topic]
    text_excerpt: str | None


class ParticipantOut(BaseModel):
    person_id: int
    full_name: str
    rank: str | None
    position: str | None
    role: ParticipantRole
    quote: str | None = Field(
        None, description="The passage read; absent for roles without source access (viewers)."
    )


class EngagementOut(RecordOut):
    kind: EngagementKind
    title: str
    start: str | None
    end: str | None
    hosts: list[AgencyRef]
    visitors: list[AgencyRef]
    location: str | None
    places: list[str]
    topics: list[Topic]
    summary: str | None
    agreement_id: int | None
    participants: list[ParticipantOut]


class CommitmentOut(RecordOut):
    description: str
    owed_by: AgencyRef | None = Field(description="None when not shared with the reader.")
    owed_to: AgencyRef | None
    agreement_id: int | None
    engagement_id: int | None
    due: str | None
    deadline: date | None = Field(description="The last day of the due period.")
    status: CommitmentStatus = Field(description="open, done, dropped, or overdue (computed).")
    evidence: str | None


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


# ---- list filters: each resource declares the ones it applies -----------------------


class Filters(BaseModel):
    """What every list takes: a page. A query parameter a resource does not declare is
    refused (422), never ignored."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(50, ge=1, le=200, description="Records per page.")
    offset: int = Field(0, ge=0, le=10_000_000, description="Records to skip.")


_Q = Annotated[str | None, Field(None, max_length=200)]
_AGENCY = Annotated[int | None, Field(None, ge=1, le=2**31 - 1)]
_KIND = Annotated[str | None, Field(None, max_length=40)]
_TOPIC = Annotated[str | None, Field(None, max_length=40, description="A topic of the vocabulary.")]


class AgencyFilters(Filters):
    q: _Q = Field(None, description="Name, in any script; diacritics and case ignored.")
    country: str | None = Field(None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166 code.")
    kind: _KIND = Field(None, description="The level: ministry, province, city, ...")


class SourceFilters(Filters):
    q: _Q = Field(None, description="Words of the title.")


class PersonFilters(Filters):
    q: _Q = Field(None, description="Name; diacritics and case ignored.")
    agency_id: _AGENCY = Field(None, description="The agency the person serves.")


class AgreementFilters(Filters):
    agency_id: _AGENCY = Field(None, description="A party.")
    kind: _KIND = None
    topic: _TOPIC = None


class EngagementFilters(Filters):
    agency_id: _AGENCY = Field(None, description="A host or a visitor.")
    kind: _KIND = None
    topic: _TOPIC = None


class CommitmentFilters(Filters):
    status: str | None = Field(None, max_length=20, description="open, overdue, done, dropped")
    agency_id: _AGENCY = Field(None, description="Owes it, or is owed.")
