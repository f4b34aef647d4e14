"""Value types shared by every capability (registry, ingest, exchange): pure, no I/O.

`PartialDate` exists because the sources are vague on purpose: an MOU "signed in 2014",
a visit "in August 2024", a promise to visit "at an appropriate time in 2024".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Precision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


# ASCII digits only: `\d` would also accept other scripts' digits.
_ISO = re.compile(r"^([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?$")
_DMY = re.compile(r"^(?:([0-9]{1,2})[/.-])?([0-9]{1,2})[/.-]([0-9]{4})$")


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the day, the month or only the year."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not 1900 <= self.year <= 2200:
            raise ValueError(f"year {self.year} is outside 1900–2200")
        if self.month is None and self.day is not None:
            raise ValueError("a day needs a month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"month {self.month} does not exist")
        if self.month is not None and self.day is not None:
            last = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= last:
                raise ValueError(
                    f"{self.year:04d}-{self.month:02d}-{self.day:02d} does not exist "
                    f"(month {self.month} of {self.year} has {last} days)"
                )

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Accept `2024`, `2024-06`, `2024-06-30`, `06/2024`, `30/06/2024`, `30-6-2024`."""
        s = text.strip()
        if m := _ISO.match(s):
            y, mo, d = m.groups()
            return cls(int(y), int(mo) if mo else None, int(d) if d else None)
        if m := _DMY.match(s):
            d, mo, y = m.groups()
            return cls(int(y), int(mo), int(d) if d else None)
        raise ValueError(
            f"'{text}' is not a date; write YYYY, YYYY-MM or YYYY-MM-DD (or DD/MM/YYYY)"
        )

    @classmethod
    def from_parts(cls, first_day: date, precision: Precision | str) -> PartialDate:
        p = Precision(precision)
        if p is Precision.YEAR:
            return cls(first_day.year)
        if p is Precision.MONTH:
            return cls(first_day.year, first_day.month)
        return cls(first_day.year, first_day.month, first_day.day)

    @property
    def precision(self) -> Precision:
        if self.day is not None:
            return Precision.DAY
        if self.month is not None:
            return Precision.MONTH
        return Precision.YEAR

    @property
    def first_day(self) -> date:
        return date(self.year, self.month or 1, self.day or 1)

    @property
    def last_day(self) -> date:
        if self.day is not None and self.month is not None:
            return date(self.year, self.month, self.day)
        month = self.month or 12
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def iso(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def display(self) -> str:
        """Vietnamese order: 30/06/2024, 06/2024, 2024."""
        if self.month is None:
            return f"{self.year}"
        if self.day is None:
            return f"{self.month:02d}/{self.year}"
        return f"{self.day:02d}/{self.month:02d}/{self.year}"

    def __str__(self) -> str:
        return self.iso()


class Sharing(StrEnum):
    """Who besides the owning agency may read a record."""

    AGENCY = "agency"  # the owning agency only
    PARTNERS = "partners"  # the owning agency and the agencies it names (RecordShare)
    ALL = "all"  # every agency on this node


class Role(StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"
    VIEWER = "viewer"


class AgencyLevel(StrEnum):
    MINISTRY = "ministry"
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"
    STATION = "station"
    UNIT = "unit"  # a department or office inside an agency
    INTERNATIONAL = "international"  # INTERPOL, ASEANPOL


class AgreementKind(StrEnum):
    MOU = "mou"
    COORDINATION_PROGRAM = "coordination_program"
    TALKS_MINUTES = "talks_minutes"
    OTHER = "other"


class CommitmentStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    OVERDUE = "overdue"  # never stored: an open commitment whose period has passed
    DROPPED = "dropped"


class EngagementKind(StrEnum):
    VISIT = "visit"
    TALKS = "talks"
    CONFERENCE = "conference"
    SIGNING = "signing"
    JOINT_CAMPAIGN = "joint_campaign"
    HANDOVER = "handover"
    OTHER = "other"


class ParticipantRole(StrEnum):
    HEAD_OF_DELEGATION = "head_of_delegation"
    MEMBER = "member"
    HOST = "host"
    OTHER = "other"


class Topic(StrEnum):
    """The cooperation scope vocabulary, shared with ingest."""

    DRUGS = "drugs"
    TRANSNATIONAL_CRIME = "transnational_crime"
    HIGH_TECH_CRIME = "high_tech_crime"
    HUMAN_TRAFFICKING = "human_trafficking"
    TERRORISM = "terrorism"
    FRAUD = "fraud"
    MONEY_LAUNDERING = "money_laundering"
    CITIZEN_PROTECTION = "citizen_protection"
    TRAFFIC = "traffic"
    IMMIGRATION = "immigration"
    WANTED_PERSONS = "wanted_persons"
    TRAINING = "training"
    EQUIPMENT = "equipment"
    MUTUAL_LEGAL_ASSISTANCE = "mutual_legal_assistance"
    OTHER = "other"


class NoticeKind(StrEnum):
    WANTED = "wanted"  # truy nã
    MISSING = "missing"  # mất tích


class NoticeStatus(StrEnum):
    ACTIVE = "active"  # screened
    WITHDRAWN = "withdrawn"
    EXECUTED = "executed"  # the person was found or arrested


class RegisterKind(StrEnum):
    RESIDENT = "resident"  # foreign residents
    ARRIVAL = "arrival"  # border arrivals
    HOTEL = "hotel"  # hotel stays (lưu trú)


class Direction(StrEnum):
    """Which way an envelope went (`envelopes.direction`)."""

    IN = "in"
    OUT = "out"


class DeliveryStatus(StrEnum):
    """Where a sent envelope is on its way (`envelopes.status`, direction out)."""

    QUEUED = "queued"  # in the outbox, never tried
    SENT = "sent"  # tried, no receipt yet: sent again
    DELIVERED = "delivered"  # the receiver's signed receipt is held
    REJECTED = "rejected"  # refused for good by the receiver


UNDELIVERED = (DeliveryStatus.QUEUED, DeliveryStatus.SENT)  # what the sender still sends


class Priority(StrEnum):
    """A hotline message's priority; urgent and flash wait for an acknowledgement."""

    ROUTINE = "routine"
    URGENT = "urgent"
    FLASH = "flash"


NEEDS_ACK = (Priority.URGENT, Priority.FLASH)


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # the process stopped while it ran


class HitStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    CLOSED = "closed"  # still pending when its notice stopped being active


# Every vocabulary whose values the UI shows (and translates).
VOCABULARIES: tuple[type[StrEnum], ...] = (
    AgencyLevel,
    AgreementKind,
    CommitmentStatus,
    EngagementKind,
    HitStatus,
    JobStatus,
    NoticeKind,
    NoticeStatus,
    ParticipantRole,
    RegisterKind,
    Role,
    Sharing,
    Topic,
)

# Vietnam People's Public Security ranks, highest first (GLOSSARY.md). The press gives
# foreign officers the nearest Vietnamese rank, so the same list serves them.
RANKS: tuple[tuple[str, str], ...] = (
    ("Đại tướng", "General"),
    ("Thượng tướng", "Colonel General"),
    ("Trung tướng", "Lieutenant General"),
    ("Thiếu tướng", "Major General"),
    ("Đại tá", "Senior Colonel"),
    ("Thượng tá", "Colonel"),
    ("Trung tá", "Lieutenant Colonel"),
    ("Thiếu tá", "Major"),
    ("Đại úy", "Captain"),
    ("Thượng úy", "Senior Lieutenant"),
    ("Trung úy", "Lieutenant"),
    ("Thiếu úy", "Second Lieutenant"),
)
RANK_NAMES: frozenset[str] = frozenset(vi for vi, _ in RANKS)


def whole_number(text: object, *, max_value: int = 2**63 - 1) -> int | None:
    """`text` as a whole number if it is one written in ASCII digits (0-9) and within
    `max_value`, else None. `str.isdigit()` is true of "²" and "٣", which `int()` then
    refuses or reads: every number typed by a person or sent by a partner is read here."""
    if not isinstance(text, str) or not text.isascii() or not text.isdecimal():
        return None
    if len(text) > len(str(max_value)):
        return None
    value = int(text)
    return value if value <= max_value else None
