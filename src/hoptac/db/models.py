"""The node's tables. Every record carries its owning agency and sharing scope
(read through `hoptac.auth.scoping`) and cites the source passage it came from."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from hoptac import ulid
from hoptac.types import (
    AgencyLevel,
    AgreementKind,
    CommitmentStatus,
    EngagementKind,
    HitStatus,
    JobStatus,
    NoticeKind,
    NoticeStatus,
    ParticipantRole,
    Precision,
    RegisterKind,
    Role,
    Sharing,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Naive UTC: stored the same on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def enum_column(enum: type[StrEnum], name: str) -> sa.Enum:
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        length=32,
        create_constraint=True,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
    )


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 (SQLAlchemy's API)
        datetime: sa.DateTime(),
        dict[str, Any]: sa.JSON(),
    }


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Versioned(Timestamped):
    """Optimistic locking: every UPDATE checks and bumps `version`, so an edit based on a
    stale copy fails (StaleDataError) instead of silently overwriting a colleague's change."""

    version: Mapped[int] = mapped_column(default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class RecordShare(Base):
    """An agency a record is shared with by name (the record's sharing is "partners").
    `record_type` is the record's table: one table serves every kind of record."""

    __tablename__ = "record_shares"
    __table_args__ = (
        sa.UniqueConstraint("record_type", "record_id", "agency_id"),
        sa.Index("ix_record_shares_agency", "agency_id", "record_type", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(sa.String(40))
    record_id: Mapped[int] = mapped_column()
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"))


class Shareable:
    """The agencies a record is shared with by name, read with the record."""

    @declared_attr
    def shares(cls) -> Mapped[list[RecordShare]]:
        table = cls.__tablename__  # type: ignore[attr-defined]
        return relationship(
            RecordShare,
            primaryjoin=lambda: sa.and_(
                sa.orm.foreign(RecordShare.record_id) == cls.id,  # type: ignore[attr-defined]
                RecordShare.record_type == table,
            ),
            viewonly=True,
            lazy="selectin",
            order_by=RecordShare.agency_id,
        )

    @property
    def shared_with(self) -> list[int]:
        return [s.agency_id for s in self.shares]


class Owned(Shareable, Versioned):
    """Owning agency, sharing scope and the cited source passage."""

    sharing: Mapped[Sharing] = mapped_column(
        enum_column(Sharing, "sharing"), default=Sharing.AGENCY
    )
    quote: Mapped[str | None] = mapped_column(sa.Text)
    # External key (demo curation, ingest, export round-trips), unique per owning agency:
    # a global constraint would tell one agency which keys another agency uses.
    ref: Mapped[str | None] = mapped_column(sa.String(120))

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (sa.UniqueConstraint("owner_agency_id", "ref"),)

    @declared_attr
    def owner_agency_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("agencies.id", ondelete="RESTRICT"), index=True)

    @declared_attr
    def source_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("sources.id", ondelete="SET NULL"), index=True)


class Agency(Shareable, Versioned, Base):
    __tablename__ = "agencies"

    # Refs are unique per owner, as for every other record (see Owned).
    __table_args__ = (sa.UniqueConstraint("owner_agency_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(sa.String(120))
    name_vi: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str | None] = mapped_column(sa.String(300))
    name_zh: Mapped[str | None] = mapped_column(sa.String(300))
    name_ko: Mapped[str | None] = mapped_column(sa.String(300))
    abbreviations: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Folded names for search (`LIKE '% tok%'`: a btree index cannot help, so none).
    name_key: Mapped[str] = mapped_column(sa.Text)
    country: Mapped[str] = mapped_column(sa.String(2), index=True)
    level: Mapped[AgencyLevel] = mapped_column(enum_column(AgencyLevel, "agency_level"))
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agencies.id", ondelete="SET NULL"), index=True
    )
    # NULL owner: node reference data, kept by the node's administrators.
    owner_agency_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agencies.id", ondelete="SET NULL"), index=True
    )
    sharing: Mapped[Sharing] = mapped_column(enum_column(Sharing, "sharing"), default=Sharing.ALL)
    source_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sources.id", ondelete="SET NULL", use_alter=True), index=True
    )
    quote: Mapped[str | None] = mapped_column(sa.Text)

    parent: Mapped[Agency | None] = relationship(remote_side=[id], foreign_keys=[parent_id])

    @property
    def display_name(self) -> str:
        return self.name_vi


class Source(Owned, Base):
    """An article or report that records were taken from."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(500))
    url: Mapped[str | None] = mapped_column(sa.String(2000))
    publisher: Mapped[str | None] = mapped_column(sa.String(200))
    published_on: Mapped[date | None] = mapped_column(sa.Date)
    published_precision: Mapped[Precision | None] = mapped_column(
        enum_column(Precision, "published_precision")
    )
    text: Mapped[str] = mapped_column(sa.Text)


class Person(Owned, Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(sa.String(300))
    name_key: Mapped[str] = mapped_column(sa.Text)
    rank: Mapped[str | None] = mapped_column(sa.String(40))
    position: Mapped[str | None] = mapped_column(sa.String(500))
    agency_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agencies.id", ondelete="SET NULL"), index=True
    )

    agency: Mapped[Agency | None] = relationship(foreign_keys=[agency_id])


agreement_parties = sa.Table(
    "agreement_parties",
    Base.metadata,
    sa.Column("agreement_id", sa.ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("agency_id", sa.ForeignKey("agencies.id", ondelete="RESTRICT"), primary_key=True),
)


class Agreement(Owned, Base):
    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AgreementKind] = mapped_column(enum_column(AgreementKind, "agreement_kind"))
    title: Mapped[str] = mapped_column(sa.String(500))
    signed_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    signed_precision: Mapped[Precision | None] = mapped_column(
        enum_column(Precision, "signed_precision")
    )
    topics: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    text_excerpt: Mapped[str | None] = mapped_column(sa.Text)

    parties: Mapped[list[Agency]] = relationship(secondary=agreement_parties, order_by=Agency.id)
    commitments: Mapped[list[Commitment]] = relationship(
        back_populates="agreement", foreign_keys="Commitment.agreement_id"
    )


class Engagement(Owned, Base):
    __tablename__ = "engagements"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[EngagementKind] = mapped_column(enum_column(EngagementKind, "engagement_kind"))
    title: Mapped[str] = mapped_column(sa.String(500))
    start_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    start_precision: Mapped[Precision | None] = mapped_column(
        enum_column(Precision, "start_precision")
    )
    end_on: Mapped[date | None] = mapped_column(sa.Date)
    end_precision: Mapped[Precision | None] = mapped_column(enum_column(Precision, "end_precision"))
    location: Mapped[str | None] = mapped_column(sa.String(300))
    places: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    topics: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    summary: Mapped[str | None] = mapped_column(sa.Text)
    agreement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="SET NULL"), index=True
    )

    sides: Mapped[list[EngagementAgency]] = relationship(
        cascade="all, delete-orphan", order_by="EngagementAgency.agency_id"
    )
    participants: Mapped[list[Participation]] = relationship(
        cascade="all, delete-orphan", order_by="Participation.id"
    )


class EngagementAgency(Base):
    """An agency's side in an engagement: host or visitor."""

    __tablename__ = "engagement_agencies"

    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agencies.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    side: Mapped[str] = mapped_column(
        sa.Enum(
            "host",
            "visitor",
            name="engagement_side",
            native_enum=False,
            create_constraint=True,
            length=16,
        )
    )

    agency: Mapped[Agency] = relationship()


class Participation(Base):
    """A person's role in an engagement, as the source states it."""

    __tablename__ = "participations"
    __table_args__ = (sa.UniqueConstraint("engagement_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="RESTRICT"), index=True
    )
    role: Mapped[ParticipantRole] = mapped_column(enum_column(ParticipantRole, "participant_role"))
    quote: Mapped[str | None] = mapped_column(sa.Text)

    person: Mapped[Person] = relationship()


class Commitment(Owned, Base):
    """Something one party promised, with a due date or period (deadline = its last day)."""

    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(primary_key=True)
    description: Mapped[str] = mapped_column(sa.Text)
    owed_by_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agencies.id", ondelete="RESTRICT"), index=True
    )
    owed_to_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agencies.id", ondelete="RESTRICT"), index=True
    )
    agreement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="SET NULL"), index=True
    )
    engagement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("engagements.id", ondelete="SET NULL"), index=True
    )
    due_on: Mapped[date | None] = mapped_column(sa.Date, index=True)
    due_precision: Mapped[Precision | None] = mapped_column(enum_column(Precision, "due_precision"))
    # Stored: open, done or dropped. "overdue" is derived (see registry.service).
    status: Mapped[CommitmentStatus] = mapped_column(
        enum_column(CommitmentStatus, "commitment_status"), default=CommitmentStatus.OPEN
    )
    evidence: Mapped[str | None] = mapped_column(sa.Text)

    owed_by: Mapped[Agency] = relationship(foreign_keys=[owed_by_id])
    owed_to: Mapped[Agency | None] = relationship(foreign_keys=[owed_to_id])
    agreement: Mapped[Agreement | None] = relationship(
        back_populates="commitments", foreign_keys=[agreement_id]
    )
    engagement: Mapped[Engagement | None] = relationship(foreign_keys=[engagement_id])


class User(Timestamped, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agencies.id", ondelete="RESTRICT"), index=True
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    # a one-time password (set by an operator) to be replaced at the next login, before
    # any other page or a token opens (`auth.service.change_own_password`)
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # sign-in bookkeeping (`auth.service`): the last success, the failures of the current
    # window and when it began, and when repeated failures locked the account
    last_login_at: Mapped[datetime | None] = mapped_column()
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    failed_since: Mapped[datetime | None] = mapped_column()
    locked_at: Mapped[datetime | None] = mapped_column()
    # why a disabled account (is_active false) is: "inactive" (unused 90 days: `user unlock`
    # lifts it) or "admin" (deliberate: only `user enable` lifts it)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(20))
    # the second factor (`auth.mfa`): the TOTP secret (set at enrolment, on once confirmed;
    # sealed with the node's key file) and the last time step used (a code is accepted once)
    totp_secret: Mapped[str | None] = mapped_column(sa.String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column()
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    agency: Mapped[Agency] = relationship()


class RecoveryCode(Base):
    """A one-time code that stands in for the second factor; only its SHA-256 is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    used_at: Mapped[datetime | None] = mapped_column()


class UserSession(Base):
    """A browser session; the cookie holds a random token, the table its SHA-256."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # "full", or "code": the password was right, the second factor is still to come
    stage: Mapped[str] = mapped_column(sa.String(10), default="full", server_default="full")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A bearer token for the API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship()


class AuditEvent(Base):
    """Who did what to which record, when, from where, with what outcome. Append-only
    (database triggers refuse UPDATE and the DELETE of rows younger than a year) and
    hash-chained: `row_hash` is the SHA-256 of `prev_hash` and the row's fields
    (`hoptac.auth.audit.digest`), `seq` the row's place in the chain."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    row_hash: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    username: Mapped[str | None] = mapped_column(sa.String(80))
    agency_id: Mapped[int | None] = mapped_column(sa.Integer)
    action: Mapped[str] = mapped_column(sa.String(40), index=True)
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[int | None] = mapped_column(sa.Integer)
    outcome: Mapped[str] = mapped_column(sa.String(20))
    client: Mapped[str | None] = mapped_column(sa.String(100))
    detail: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)


class AuditAnchor(Base):
    """Where the audit chain starts after a purge (`hoptac audit purge`): the rows before
    `seq` were removed, and the row `seq` must carry `prev_hash`."""

    __tablename__ = "audit_anchors"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger, unique=True)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    purged_rows: Mapped[int] = mapped_column(sa.Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)


# ---- screening ------------------------------------------------------------------------


class Notice(Owned, Base):
    """A wanted or missing person notice (own, or received from a partner): `ref` is the
    notice number, unique per owning agency."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[NoticeKind] = mapped_column(
        enum_column(NoticeKind, "notice_kind"), default=NoticeKind.WANTED
    )
    status: Mapped[NoticeStatus] = mapped_column(
        enum_column(NoticeStatus, "notice_status"), default=NoticeStatus.ACTIVE, index=True
    )
    name: Mapped[str] = mapped_column(sa.String(300))
    alt_names: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    birth_on: Mapped[date | None] = mapped_column(sa.Date)
    birth_precision: Mapped[Precision | None] = mapped_column(
        enum_column(Precision, "birth_precision")
    )
    sex: Mapped[str | None] = mapped_column(sa.String(1))
    nationality: Mapped[str | None] = mapped_column(sa.String(2))
    document_number: Mapped[str | None] = mapped_column(sa.String(120))
    issuing_agency: Mapped[str | None] = mapped_column(sa.String(300))
    charges: Mapped[str | None] = mapped_column(sa.Text)
    # The notice's id among nodes: made here for our own, the issuer's for a copy.
    uid: Mapped[str] = mapped_column(sa.String(26), default=ulid.new, index=True)
    # A copy received from a partner node (`hoptac.screening.exchange`): read-only here,
    # changed only by a later version (`origin_version`) from the same issuer.
    origin_peer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("exchange_peers.id", ondelete="RESTRICT")
    )
    origin_version: Mapped[int | None] = mapped_column()

    origin_peer: Mapped[Peer | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("owner_agency_id", "ref"),
        sa.UniqueConstraint("origin_peer_id", "uid"),
    )


class NoticeShare(Base):
    """A partner node one of our notices was sent to, and the version it was last sent:
    a notice whose `version` is ahead is sent again if its data changed
    (`hoptac.screening.exchange.sync`)."""

    __tablename__ = "notice_shares"
    __table_args__ = (sa.UniqueConstraint("notice_id", "peer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id", ondelete="CASCADE"))
    peer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exchange_peers.id", ondelete="RESTRICT"), index=True
    )
    handling: Mapped[str] = mapped_column(sa.String(2))
    handling_note: Mapped[str | None] = mapped_column(sa.String(500))
    shared_by: Mapped[str] = mapped_column(sa.String(80))
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_version: Mapped[int] = mapped_column(default=0, server_default="0")
    sent_at: Mapped[datetime | None] = mapped_column()
    # SHA-256 of the notice's data as last sent: a new version that changes nothing the
    # partner sees (an unchanged re-import) is not sent again.
    sent_digest: Mapped[str | None] = mapped_column(sa.String(64))

    peer: Mapped[Peer] = relationship()


class Register(Owned, Base):
    """A register screened against the notices: foreign residents, arrivals, hotel stays."""

    __tablename__ = "registers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[RegisterKind] = mapped_column(enum_column(RegisterKind, "register_kind"))


class RegisterRecord(Timestamped, Base):
    """One person seen in a register. Read through its register's scope; `ref` is the
    record id of the register's own files, unique in the register."""

    __tablename__ = "register_records"
    __table_args__ = (sa.UniqueConstraint("register_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique (register_id, ref).
    register_id: Mapped[int] = mapped_column(sa.ForeignKey("registers.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(sa.String(120))
    name: Mapped[str] = mapped_column(sa.String(300))
    birth_on: Mapped[date | None] = mapped_column(sa.Date)
    birth_precision: Mapped[Precision | None] = mapped_column(
        enum_column(Precision, "birth_precision")
    )
    sex: Mapped[str | None] = mapped_column(sa.String(1))
    nationality: Mapped[str | None] = mapped_column(sa.String(2))
    document_number: Mapped[str | None] = mapped_column(sa.String(120))
    source: Mapped[str | None] = mapped_column(sa.String(32))
    seen_at: Mapped[str | None] = mapped_column(sa.String(64))  # as the register wrote it

    register: Mapped[Register] = relationship()


class NameKey(Base):
    """The person search index: one row per sound key of a notice's or a register
    record's names (`hoptac.screening.search`). `kind` says which table `row_id` is in;
    `scope` is the record's register (0 for a notice), `sig_a`/`sig_b` a 128-bit Bloom
    signature of all the row's keys and `size` its name's syllables: a search reads them
    from the index alone, without visiting the rows."""

    __tablename__ = "screening_name_keys"
    # The table is ordered by key (SQLite: WITHOUT ROWID, so a search reads the postings
    # and their signatures from one b-tree); the index finds a row's keys to replace them.
    __table_args__ = (
        sa.Index("ix_screening_name_keys_row", "kind", "row_id"),
        {"sqlite_with_rowid": False},
    )

    key: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)  # 1 notice, 2 record
    row_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    scope: Mapped[int] = mapped_column()
    sig_a: Mapped[int] = mapped_column(sa.BigInteger)
    sig_b: Mapped[int] = mapped_column(sa.BigInteger)
    size: Mapped[int] = mapped_column(sa.SmallInteger)


class ScreeningJob(Timestamped, Base):
    """One screening of a register against the active notices the starter could see.
    Belongs to the starter's agency (its `sharing` stays `agency`)."""

    __tablename__ = "screening_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agencies.id", ondelete="RESTRICT"), index=True
    )
    sharing: Mapped[Sharing] = mapped_column(
        enum_column(Sharing, "sharing"), default=Sharing.AGENCY
    )
    started_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    started_by: Mapped[str] = mapped_column(sa.String(80))  # the user name, kept
    register_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registers.id", ondelete="CASCADE"), index=True
    )
    threshold: Mapped[float] = mapped_column(sa.Float)
    engine: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[JobStatus] = mapped_column(
        enum_column(JobStatus, "job_status"), default=JobStatus.QUEUED, index=True
    )
    done: Mapped[int] = mapped_column(default=0)  # progress: notices screened so far
    total: Mapped[int] = mapped_column(default=0)
    notices: Mapped[int] = mapped_column(default=0)
    records: Mapped[int] = mapped_column(default=0)
    hits: Mapped[int] = mapped_column(default=0)
    new_hits: Mapped[int] = mapped_column(default=0)  # pending review
    decided_hits: Mapped[int] = mapped_column(default=0)  # decided in an earlier job
    error: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()

    register: Mapped[Register] = relationship()


class ScreeningHit(Base):
    """A notice/record pair a job scored at or above its threshold, and its review."""

    __tablename__ = "screening_hits"
    __table_args__ = (
        sa.UniqueConstraint("job_id", "notice_id", "record_id"),
        sa.Index("ix_screening_hits_pair", "notice_id", "record_id"),
        # A re-run deletes pending hits: their ids must never name another pair (an officer
        # may still have the old page open), so SQLite must not reuse them.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique (job_id, notice_id, record_id).
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("screening_jobs.id", ondelete="CASCADE"))
    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notices.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(
        sa.ForeignKey("register_records.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[float] = mapped_column(sa.Float)
    reasons: Mapped[str] = mapped_column(sa.Text)
    # likely: at or above the job's threshold; possible: below it (reviewed after)
    band: Mapped[str] = mapped_column(sa.String(10), default="likely", server_default="likely")
    # how many of the notice's hits in the job share this score (1: none): reviewed together
    rivals: Mapped[int] = mapped_column(default=1, server_default="1")
    status: Mapped[HitStatus] = mapped_column(
        enum_column(HitStatus, "hit_status"), default=HitStatus.PENDING, index=True
    )
    reviewer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    reviewer: Mapped[str | None] = mapped_column(sa.String(80))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    # A pair decided in an earlier job keeps its decision: the hit it was carried from.
    carried_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("screening_hits.id", ondelete="SET NULL")
    )

    job: Mapped[ScreeningJob] = relationship()
    notice: Mapped[Notice] = relationship()
    record: Mapped[RegisterRecord] = relationship()


# ---- exchange (the hotline) ------------------------------------------------------------


class ExchangeNode(Base):
    """This node's identity (one row): its id among partners, its agency and its public
    keys. The private keys are files in the node's key directory, never in the database."""

    __tablename__ = "exchange_node"

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    url: Mapped[str] = mapped_column(sa.String(500))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id", ondelete="RESTRICT"))
    signing_key: Mapped[str] = mapped_column(sa.String(64))  # base64 Ed25519 public key
    encryption_key: Mapped[str] = mapped_column(sa.String(64))  # base64 X25519 public key
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship()


class Peer(Timestamped, Base):
    """A partner node whose keys were pinned after its fingerprint was confirmed, and the
    kinds of envelope its agreement lets flow each way."""

    __tablename__ = "exchange_peers"

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    url: Mapped[str] = mapped_column(sa.String(500))
    signing_key: Mapped[str] = mapped_column(sa.String(64))
    encryption_key: Mapped[str] = mapped_column(sa.String(64))
    fingerprint: Mapped[str] = mapped_column(sa.String(80))
    agreement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="SET NULL"), index=True
    )
    send_kinds: Mapped[list[str]] = mapped_column(sa.JSON)
    receive_kinds: Mapped[list[str]] = mapped_column(sa.JSON)
    active: Mapped[bool] = mapped_column(default=True)
    # The sender's backoff (`exchange.delivery`): consecutive failed deliveries, when the
    # next try is due (a failure's backoff or the peer's Retry-After), and why.
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    retry_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(sa.String(500))

    agreement: Mapped[Agreement | None] = relationship()


class EnvelopeRow(Base):
    """One envelope sent or received, as signed (`wire`), with the node's own sealed copy
    of its content (`sealed`: readable with the node's private key only) and its delivery
    and reading state. `seq` orders each peer's outbox."""

    __tablename__ = "envelopes"
    __table_args__ = (
        sa.Index("ix_envelopes_outbox", "direction", "status", "peer_id", "seq"),
        sa.Index("ix_envelopes_thread", "thread_id", "seq"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[str] = mapped_column(sa.String(26), unique=True)
    direction: Mapped[str] = mapped_column(sa.String(3))  # out | in
    peer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("exchange_peers.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column()  # the envelope's own time
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)
    handling: Mapped[str] = mapped_column(sa.String(2))
    handling_note: Mapped[str | None] = mapped_column(sa.Text)
    reliability: Mapped[str] = mapped_column(sa.String(1))
    accuracy: Mapped[int] = mapped_column(sa.SmallInteger)
    wire: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    # hotline messages: the thread (id of its first message), the message answered, priority
    thread_id: Mapped[str | None] = mapped_column(sa.String(26))
    in_reply_to: Mapped[str | None] = mapped_column(sa.String(26), index=True)
    priority: Mapped[str | None] = mapped_column(sa.String(8))
    # a message this node forwarded: the received envelope it passed on (its provider's
    # handling code and permissions still govern the copy)
    origin_id: Mapped[str | None] = mapped_column(sa.String(26))
    # out: queued -> sent -> delivered (or rejected); in: received
    status: Mapped[str] = mapped_column(sa.String(10))
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    receipt: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    read_at: Mapped[datetime | None] = mapped_column()  # in: opened here; out: by the partner
    answered_at: Mapped[datetime | None] = mapped_column()
    acknowledged_at: Mapped[datetime | None] = mapped_column()  # in: an urgent one, seen to

    peer: Mapped[Peer] = relationship()


class ExchangePermission(Base):
    """A provider's leave to disseminate one of its H2 messages: to a named node, or
    `export`. Recorded from the provider's signed `permission` envelope."""

    __tablename__ = "exchange_permissions"
    __table_args__ = (sa.UniqueConstraint("envelope_id", "grantee"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    envelope_id: Mapped[str] = mapped_column(sa.String(26))
    grantee: Mapped[str] = mapped_column(sa.String(64))
    granted_by: Mapped[str] = mapped_column(sa.String(26))  # the permission envelope
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Citation(Base):
    """A passage of a source that states a record's fact. A record read from two articles
    (the same person, the same visit) is one record with two citations."""

    __tablename__ = "citations"
    __table_args__ = (
        sa.UniqueConstraint("record_type", "record_id", "source_id", "start"),
        sa.Index("ix_citations_record", "record_type", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(sa.String(20))  # person, engagement, ...
    record_id: Mapped[int] = mapped_column(sa.Integer)
    source_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )
    start: Mapped[int] = mapped_column(sa.Integer)  # offsets in the source's text
    end: Mapped[int] = mapped_column(sa.Integer)
    quote: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---- assistance: requests between partner agencies (hoptac.assistance) -----------------


class AssistanceRequest(Versioned, Base):
    """A request for assistance between this node's agency and a partner, as this node
    holds it: the same request (`uid`) lives on both nodes, each with its own side. Its
    state changes only through `hoptac.assistance.states`; each change is an event below,
    and every event from `sent` on travels to the partner as a `request` envelope. The
    deadline columns are a read model of the events (`assistance.service.refresh`)."""

    __tablename__ = "assistance_requests"
    __table_args__ = (
        sa.Index("ix_assistance_requests_peer_state", "peer_id", "state"),
        sa.Index("ix_assistance_requests_due", "state", "due_at"),
        # the service levels: ranked in the index, per partner, side and quarter
        sa.Index(
            "ix_assistance_requests_sla_ack",
            "agency_id",
            "peer_id",
            "side",
            "quarter",
            "ack_seconds",
            "answer_seconds",  # (the counts read this index alone)
        ),
        sa.Index(
            "ix_assistance_requests_sla_answer",
            "agency_id",
            "peer_id",
            "side",
            "quarter",
            "answer_seconds",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(26), unique=True)  # a ULID, on both nodes
    side: Mapped[str] = mapped_column(sa.String(10))  # this node's: requesting | receiving
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id", ondelete="RESTRICT"))
    peer_id: Mapped[int] = mapped_column(sa.ForeignKey("exchange_peers.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    priority: Mapped[str] = mapped_column(sa.String(2))
    priority_reason: Mapped[str | None] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(24))
    resume_state: Mapped[str | None] = mapped_column(sa.String(24))  # while info is awaited
    title: Mapped[str] = mapped_column(sa.String(300))
    summary: Mapped[str] = mapped_column(sa.Text)
    measures: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    persons: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    legal_agreement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agreements.id", ondelete="SET NULL")
    )
    legal_basis: Mapped[str | None] = mapped_column(sa.Text)
    handling: Mapped[str] = mapped_column(sa.String(2), default="H0")
    handling_note: Mapped[str | None] = mapped_column(sa.Text)
    reliability: Mapped[str] = mapped_column(sa.String(1), default="B")
    accuracy: Mapped[int] = mapped_column(sa.SmallInteger, default=2)
    partner_ref: Mapped[str | None] = mapped_column(sa.String(120))
    created_by: Mapped[str] = mapped_column(sa.String(200))
    submitted_by: Mapped[str | None] = mapped_column(sa.String(200))
    last_seq: Mapped[int] = mapped_column(default=0)  # the last shared event applied
    received_at: Mapped[datetime | None] = mapped_column()  # the clocks start here
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()  # the nearest deadline not met
    due_name: Mapped[str | None] = mapped_column(sa.String(12))
    paused: Mapped[bool] = mapped_column(default=False)
    # the service levels' read model: the quarter of receipt (20264: 2026-Q4), and the
    # seconds from receipt to the acknowledgement and to the full answer
    quarter: Mapped[int | None] = mapped_column()
    ack_seconds: Mapped[int | None] = mapped_column()
    answer_seconds: Mapped[int | None] = mapped_column()

    peer: Mapped[Peer] = relationship()
    events: Mapped[list[RequestEvent]] = relationship(
        order_by="RequestEvent.id", back_populates="request"
    )
    attachments: Mapped[list[RequestAttachment]] = relationship(order_by="RequestAttachment.id")

    @property
    def history(self) -> list[RequestEvent]:
        """The steps in the order both nodes share (`seq`), the steps inside the requesting
        agency (no number: all taken before it was sent) first, by id."""
        return sorted(self.events, key=lambda e: (e.seq or 0, e.id or 0))


class RequestEvent(Base):
    """One step of a request's history, append-only. `seq` numbers the steps both nodes
    share (1 = sent); a step inside the requesting agency (submitted for validation,
    returned) has none and never leaves the node."""

    __tablename__ = "assistance_events"
    __table_args__ = (sa.UniqueConstraint("request_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assistance_requests.id", ondelete="RESTRICT"), index=True
    )
    uid: Mapped[str] = mapped_column(sa.String(26), unique=True)
    seq: Mapped[int | None] = mapped_column()
    action: Mapped[str] = mapped_column(sa.String(24))
    side: Mapped[str] = mapped_column(sa.String(10))
    actor: Mapped[str] = mapped_column(sa.String(200))  # user (or node) and its node id
    role: Mapped[str | None] = mapped_column(sa.String(10))  # None: the node itself
    at: Mapped[datetime] = mapped_column()
    from_state: Mapped[str] = mapped_column(sa.String(24))
    to_state: Mapped[str] = mapped_column(sa.String(24))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    envelope_id: Mapped[str | None] = mapped_column(sa.String(26))  # carried it, either way

    request: Mapped[AssistanceRequest] = relationship(back_populates="events")


class RequestAttachment(Base):
    """A file sent with a request, with its SHA-256 (checked on receipt)."""

    __tablename__ = "assistance_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assistance_requests.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class HeldEvent(Base):
    """A partner's step that arrived before a step it follows (a restart, a retry): kept
    here, acknowledged, and applied as soon as the steps before it are."""

    __tablename__ = "assistance_held"
    __table_args__ = (sa.UniqueConstraint("event_uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_uid: Mapped[str] = mapped_column(sa.String(26), index=True)
    event_uid: Mapped[str] = mapped_column(sa.String(26))
    seq: Mapped[int] = mapped_column()
    peer_id: Mapped[int] = mapped_column(sa.ForeignKey("exchange_peers.id", ondelete="RESTRICT"))
    body: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    envelope_id: Mapped[str] = mapped_column(sa.String(26))
    held_at: Mapped[datetime] = mapped_column(default=utcnow)


class Case(Versioned, Base):
    """A case: what ties persons, requests (sent and received), hotline threads, notices,
    screening hits and evidence together, owned by one agency and one officer in charge.
    A case is closed only when none of its requests is open."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(sa.String(40), unique=True)  # shown: VA-2026-0001
    agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agencies.id", ondelete="RESTRICT"), index=True
    )
    officer: Mapped[str] = mapped_column(sa.String(80))  # the officer in charge (username)
    title: Mapped[str] = mapped_column(sa.String(300))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(10), default="open")  # open | closed
    closed_at: Mapped[datetime | None] = mapped_column()

    links: Mapped[list[CaseLink]] = relationship(order_by="CaseLink.id")
    evidence: Mapped[list[EvidenceItem]] = relationship(order_by="EvidenceItem.id")
    events: Mapped[list[CaseEvent]] = relationship(order_by="CaseEvent.id")
    shares: Mapped[list[CaseShare]] = relationship(order_by="CaseShare.id")


class CaseShare(Base):
    """Another agency on this node that may read a case, up to a handling code: its
    readers see the case, its evidence and custody, and of its requests and hotline
    threads only those whose handling code is at most `max_handling` (H0 < H1 < H2 < H3)."""

    __tablename__ = "case_shares"
    __table_args__ = (sa.UniqueConstraint("case_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    max_handling: Mapped[str] = mapped_column(sa.String(2))
    shared_by: Mapped[str] = mapped_column(sa.String(80))
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship()


class CaseLink(Base):
    """A record the case ties in: a request (its uid), a notice, a hit, a person of the
    registry, a hotline thread. Unique per case."""

    __tablename__ = "case_links"
    __table_args__ = (sa.UniqueConstraint("case_id", "kind", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(sa.String(10))  # request | notice | hit | person | thread
    ref: Mapped[str] = mapped_column(sa.String(40))
    added_by: Mapped[str] = mapped_column(sa.String(80))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class EvidenceItem(Base):
    """An item of evidence: a file (its bytes and SHA-256) or a physical item (its
    description), with its current holder; every transfer is a custody row."""

    __tablename__ = "evidence_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))  # file | physical
    description: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str | None] = mapped_column(sa.String(255))
    content_type: Mapped[str | None] = mapped_column(sa.String(255))
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    data: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    holder: Mapped[str] = mapped_column(sa.String(200))
    location: Mapped[str | None] = mapped_column(sa.String(300))
    added_by: Mapped[str] = mapped_column(sa.String(80))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    custody: Mapped[list[CustodyTransfer]] = relationship(order_by="CustodyTransfer.id")


class CustodyTransfer(Base):
    """One hand of an evidence item's chain of custody: who gave it to whom, when, where
    and why. Append-only: rows are never changed or removed."""

    __tablename__ = "custody_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evidence_items.id", ondelete="RESTRICT"), index=True
    )
    from_holder: Mapped[str] = mapped_column(sa.String(200))
    to_holder: Mapped[str] = mapped_column(sa.String(200))
    at: Mapped[datetime] = mapped_column()
    place: Mapped[str] = mapped_column(sa.String(300))
    reason: Mapped[str] = mapped_column(sa.Text)
    recorded_by: Mapped[str] = mapped_column(sa.String(80))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseEvent(Base):
    """What happened to a case itself (opened, linked, an item added, ownership
    transferred, closed): one source of its timeline."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(80))
    action: Mapped[str] = mapped_column(sa.String(24))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


class Handover(Base):
    """A person handed over (a surrender): who, where (a border gate), when, by and to
    which agencies and officers, the documents exchanged; it completes a hand-over
    request and is held the same on both nodes (it travels in the request's step)."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assistance_requests.id", ondelete="RESTRICT"), unique=True
    )
    persons: Mapped[list[str]] = mapped_column(sa.JSON)
    place: Mapped[str] = mapped_column(sa.String(300))
    at: Mapped[datetime] = mapped_column()
    handing_agency: Mapped[str] = mapped_column(sa.String(300))
    receiving_agency: Mapped[str] = mapped_column(sa.String(300))
    handing_officers: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    receiving_officers: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    documents: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    recorded_by: Mapped[str] = mapped_column(sa.String(200))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
