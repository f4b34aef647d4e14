"""Typed input and output of notices and registers (API, forms, CSV import).

The field rules are the CSV row rules of `hoptac.screening.records` (sex, nationality,
birth date, name and id lengths), called from here, so a notice typed into the form and
one read from a file are held to the same rules.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from hoptac.registry.schemas import (
    Description,
    Filters,
    PDate,
    RecordIn,
    RecordOut,
    Title,
    partial,
)
from hoptac.screening.records import MAX_ID, MAX_NAME, parse_nationality, parse_sex
from hoptac.types import NoticeKind, NoticeStatus, RegisterKind, Sharing

PersonName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)
]
NoticeRef = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ID)
]
ULID = r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$"
MAX_REF = 120  # the stored notice number (a partner's copy: "node/number")
Document = Annotated[str, StringConstraints(strip_whitespace=True, max_length=120)]
Issuer = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]


def _sex(value: Any) -> str | None:
    return parse_sex(value) if isinstance(value, str) else value


def _nationality(value: Any) -> str | None:
    return parse_nationality(value) if isinstance(value, str) else value


class NoticeData(BaseModel):
    """A notice's own fields: typed in, imported, or received from its issuer's node."""

    model_config = ConfigDict(extra="forbid")

    ref: NoticeRef = Field(description="The notice number, unique among the agency's notices.")
    kind: NoticeKind = NoticeKind.WANTED
    status: NoticeStatus = Field(
        NoticeStatus.ACTIVE, description="Only active notices are screened."
    )
    name: PersonName = Field(description="The name as the notice writes it, any script.")
    alt_names: list[PersonName] = Field(default_factory=list, max_length=20)
    birth: PDate | None = Field(None, description="Birth date: 1985, 1985-03 or 1985-03-07.")
    sex: Annotated[str, StringConstraints(max_length=10)] | None = Field(
        None, description="M or F (also NAM, NỮ, male, female)."
    )
    nationality: Annotated[str, StringConstraints(max_length=2)] | None = Field(
        None, description="ISO 3166 alpha-2: VN, CN, KR."
    )
    document_number: Document | None = None
    issuing_agency: Issuer | None = None
    charges: Description | None = None

    _sex = field_validator("sex", mode="before")(_sex)
    _nationality = field_validator("nationality", mode="before")(_nationality)


class NoticeIn(NoticeData, RecordIn):  # NoticeData first: its `ref` is required
    pass


class NoticeWire(BaseModel):
    """The body of a `notice` envelope (docs/exchange-protocol.md §7): the issuer's notice
    as it is now, with its id among nodes and its version at the issuer."""

    model_config = ConfigDict(extra="forbid")

    notice: Annotated[str, StringConstraints(pattern=ULID)]
    version: Annotated[int, Field(strict=True, ge=1, le=2**31 - 1)]
    data: NoticeData


class RegisterIn(RecordIn):
    name: Title
    kind: RegisterKind


NoticePatch = partial(NoticeIn)
RegisterPatch = partial(RegisterIn)


class NoticeOut(RecordOut):
    uid: str = Field(description="The notice's id among partner nodes.")
    origin: str | None = Field(
        None, description="The partner node that issued it (read-only here), or null: ours."
    )
    ref: str
    kind: NoticeKind
    status: NoticeStatus
    name: str
    alt_names: list[str]
    birth: str | None
    sex: str | None
    nationality: str | None
    document_number: str | None
    issuing_agency: str | None
    charges: str | None


class RegisterOut(RecordOut):
    name: str
    kind: RegisterKind
    sharing: Sharing
    records: int = Field(description="Records in the register.")


class NoticeFilters(Filters):
    q: str | None = Field(
        None, max_length=200, description="Name, any script: 王健 finds Wang Jian."
    )
    status: str | None = Field(None, max_length=20, description="active, withdrawn, executed")
    kind: str | None = Field(None, max_length=40, description="wanted, missing")


class RegisterFilters(Filters):
    q: str | None = Field(None, max_length=200, description="Words of the name.")
    kind: str | None = Field(None, max_length=40, description="resident, arrival, hotel")
