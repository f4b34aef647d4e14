"""What a request for assistance carries, as one set of pydantic models: the draft a user
writes (`RequestIn`), the request as it travels to the partner (`RequestData`, inside the
first shared step) and each step on the wire (`StepBody`). The same models check what this
node writes and what a partner sends."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hoptac import ulid
from hoptac.assistance.states import Action, RequestKind, RequestPriority, Side
from hoptac.types import Role

MAX_TITLE = 300
MAX_SUMMARY = 20_000
MAX_MEASURES = 20
MAX_PERSONS = 50
MAX_ATTACHMENTS_BYTES = 512 * 1024  # all files of one request, decoded (one envelope)
HANDLING = ("H0", "H1", "H2", "H3")
RELIABILITY = ("A", "B", "C", "X")


def _ulid(value: str) -> str:
    if not ulid.is_valid(value):
        raise ValueError("an id of 26 characters (a ULID)")
    return value


Ulid = Annotated[StrictStr, AfterValidator(_ulid)]
Line = Annotated[StrictStr, Field(min_length=1, max_length=500)]


def _stripped(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


class PersonRef(BaseModel):
    """A person the request concerns: as written, with the links this node knows (a
    notice, a screening hit, a person of the registry). Links are local ids: they do not
    travel to the partner."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[StrictStr, AfterValidator(_stripped), Field(max_length=300)]
    birth: StrictStr | None = Field(None, max_length=10, description="YYYY, YYYY-MM or YYYY-MM-DD")
    nationality: StrictStr | None = Field(None, pattern=r"^[A-Z]{2}$")
    document: StrictStr | None = Field(None, max_length=120)
    notice_id: StrictInt | None = Field(None, ge=1, le=2**63 - 1)
    hit_id: StrictInt | None = Field(None, ge=1, le=2**63 - 1)
    person_id: StrictInt | None = Field(None, ge=1, le=2**63 - 1)

    @model_validator(mode="after")
    def _birth(self) -> PersonRef:
        if self.birth is not None:
            from hoptac.types import PartialDate

            try:
                PartialDate.parse(self.birth)
            except ValueError as exc:
                raise ValueError(f"birth: {exc}") from None
        return self


class WirePerson(BaseModel):
    """A person as the request travels. The ids of notices, hits and people are each
    node's own and do not travel; a notice both nodes hold (sent by one to the other) is
    named by its id among nodes (`notice`), which each node links to its own record."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[StrictStr, AfterValidator(_stripped), Field(max_length=300)]
    birth: StrictStr | None = Field(None, max_length=10)
    nationality: StrictStr | None = Field(None, pattern=r"^[A-Z]{2}$")
    document: StrictStr | None = Field(None, max_length=120)
    notice: StrictStr | None = Field(None, pattern=r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")


class FileIn(BaseModel):
    """A file attached to a request: its bytes as base64, checked against its SHA-256
    when one is given (always, on the wire)."""

    model_config = ConfigDict(extra="forbid")
    name: StrictStr = Field(min_length=1, max_length=255)
    type: StrictStr | None = Field(None, max_length=255)
    data: StrictStr
    sha256: StrictStr | None = Field(None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _bytes(self) -> FileIn:
        try:
            raw = base64.b64decode(self.data, validate=True)
        except ValueError:
            raise ValueError("data is not base64") from None
        if self.sha256 is not None and hashlib.sha256(raw).hexdigest() != self.sha256:
            raise ValueError("the file does not match its SHA-256")
        return self

    @property
    def raw(self) -> bytes:
        return base64.b64decode(self.data)


def _files_fit(files: list[FileIn]) -> list[FileIn]:
    if sum(len(f.raw) for f in files) > MAX_ATTACHMENTS_BYTES:
        raise ValueError(f"at most {MAX_ATTACHMENTS_BYTES // 1024} KiB in all")
    return files


class RequestData(BaseModel):
    """The request itself, as both nodes hold it."""

    model_config = ConfigDict(extra="forbid")
    kind: RequestKind
    priority: RequestPriority = RequestPriority.P3
    priority_reason: StrictStr | None = Field(None, max_length=2_000, validate_default=True)
    title: Annotated[StrictStr, AfterValidator(_stripped), Field(max_length=MAX_TITLE)]
    summary: Annotated[StrictStr, AfterValidator(_stripped), Field(max_length=MAX_SUMMARY)]
    measures: list[Line] = Field(default_factory=list, max_length=MAX_MEASURES)
    persons: list[PersonRef] = Field(default_factory=list, max_length=MAX_PERSONS)
    handling: StrictStr = Field("H0", pattern=r"^H[0-3]$")
    handling_note: StrictStr | None = Field(None, max_length=2_000, validate_default=True)
    reliability: StrictStr = Field("B", pattern=r"^[ABCX]$")
    accuracy: StrictInt = Field(2, ge=1, le=4)

    # (field validators that read fields before them: the error is on its own field)
    @field_validator("priority_reason")
    @classmethod
    def _p1(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("priority") is RequestPriority.P1 and not (value or "").strip():
            raise ValueError("a P1 request says why it is urgent")
        return value

    @field_validator("handling_note")
    @classmethod
    def _h3(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("handling") == "H3" and not (value or "").strip():
            raise ValueError("H3 needs the restrictions written out")
        return value


class RequestIn(RequestData):
    """A draft as a user writes it: to which partner, on which agreement (or free text),
    with which files."""

    to: StrictStr = Field(description="The partner's node id.", examples=["cn-beijing-psb"])
    legal_agreement_id: StrictInt | None = Field(
        None, ge=1, le=2**63 - 1, description="The agreement (registry id) it rests on."
    )
    legal_basis: StrictStr | None = Field(
        None, max_length=2_000, validate_default=True, description="Or its basis, as text."
    )
    attachments: Annotated[list[FileIn], AfterValidator(_files_fit)] = Field(default_factory=list)

    @field_validator("legal_basis")
    @classmethod
    def _basis(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("legal_agreement_id") is None and not (value or "").strip():
            raise ValueError("name the agreement the request rests on, or write its basis")
        return value


class Step(BaseModel):
    """One step of a request's shared history, as it travels."""

    model_config = ConfigDict(extra="forbid")
    uid: Ulid
    seq: StrictInt = Field(ge=1, le=1_000_000)
    action: Action | Literal["extend"]  # extend: a deadline moved, not a change of state
    side: Side
    actor: StrictStr = Field(min_length=1, max_length=200)
    role: Role | None
    at: AwareDatetime
    details: dict[str, Any] = Field(default_factory=dict)


class WireRequest(RequestData):
    """The request in its first shared step: the data, the agreement by title (ids are
    local to each node), the files with their SHA-256."""

    agreement: StrictStr | None = Field(None, max_length=500)
    legal_basis: StrictStr | None = Field(None, max_length=2_000)
    persons: list[WirePerson] = Field(default_factory=list, max_length=MAX_PERSONS)  # type: ignore[assignment]
    attachments: Annotated[list[FileIn], AfterValidator(_files_fit)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _hashed(self) -> WireRequest:
        if any(f.sha256 is None for f in self.attachments):
            raise ValueError("attachments: each file carries its SHA-256")
        return self


class StepBody(BaseModel):
    """The body of a `request` envelope: which request, which step, and (in the first
    shared step only) the request itself."""

    model_config = ConfigDict(extra="forbid")
    request: Ulid
    step: Step
    data: WireRequest | None = None

    @model_validator(mode="after")
    def _first(self) -> StepBody:
        if (self.step.seq == 1) != (self.data is not None):
            raise ValueError("the request's data travels with its first step, and only then")
        return self


def iso(at: datetime) -> str:
    """A naive UTC time (as stored) as the wire writes it."""
    return at.isoformat(timespec="microseconds") + "Z"


Name = Annotated[StrictStr, AfterValidator(_stripped), Field(max_length=300)]


class HandoverData(BaseModel):
    """A person handed over (a surrender): travels in the step that records it."""

    model_config = ConfigDict(extra="forbid")
    persons: list[Name] = Field(min_length=1, max_length=MAX_PERSONS)
    place: Name = Field(description="Where: a border gate (Hữu Nghị, Móng Cái, Mộc Bài).")
    at: AwareDatetime = Field(description="When the person was handed over.")
    handing_agency: Name
    receiving_agency: Name
    handing_officers: list[Name] = Field(default_factory=list, max_length=20)
    receiving_officers: list[Name] = Field(default_factory=list, max_length=20)
    documents: list[Name] = Field(default_factory=list, max_length=50)
