"""requests for assistance between partner agencies: the request as each node holds it,
its shared history (events), its attachments, and a partner's steps held until the steps
before them arrive

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assistance_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=26), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.String(length=2), nullable=False),
        sa.Column("priority_reason", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("resume_state", sa.String(length=24), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("persons", sa.JSON(), nullable=False),
        sa.Column("legal_agreement_id", sa.Integer(), nullable=True),
        sa.Column("legal_basis", sa.Text(), nullable=True),
        sa.Column("handling", sa.String(length=2), nullable=False),
        sa.Column("handling_note", sa.Text(), nullable=True),
        sa.Column("reliability", sa.String(length=1), nullable=False),
        sa.Column("accuracy", sa.SmallInteger(), nullable=False),
        sa.Column("partner_ref", sa.String(length=120), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=True),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.Column("due_name", sa.String(length=12), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=True),
        sa.Column("ack_seconds", sa.Integer(), nullable=True),
        sa.Column("answer_seconds", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_assistance_requests_agency_id_agencies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["legal_agreement_id"],
            ["agreements.id"],
            name=op.f("fk_assistance_requests_legal_agreement_id_agreements"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["exchange_peers.id"],
            name=op.f("fk_assistance_requests_peer_id_exchange_peers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistance_requests")),
        sa.UniqueConstraint("uid", name=op.f("uq_assistance_requests_uid")),
    )
    op.create_index(
        "ix_assistance_requests_due", "assistance_requests", ["state", "due_at"], unique=False
    )
    group = ["agency_id", "peer_id", "side", "quarter"]
    op.create_index(
        "ix_assistance_requests_sla_ack",
        "assistance_requests",
        [*group, "ack_seconds", "answer_seconds"],
        unique=False,
    )
    op.create_index(
        "ix_assistance_requests_sla_answer",
        "assistance_requests",
        [*group, "answer_seconds"],
        unique=False,
    )
    op.create_index(
        "ix_assistance_requests_peer_state",
        "assistance_requests",
        ["peer_id", "state"],
        unique=False,
    )
    op.create_table(
        "assistance_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=26), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=False),
        sa.Column("to_state", sa.String(length=24), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("envelope_id", sa.String(length=26), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["assistance_requests.id"],
            name=op.f("fk_assistance_events_request_id_assistance_requests"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistance_events")),
        sa.UniqueConstraint("request_id", "seq", name=op.f("uq_assistance_events_request_id")),
        sa.UniqueConstraint("uid", name=op.f("uq_assistance_events_uid")),
    )
    op.create_index(
        op.f("ix_assistance_events_request_id"), "assistance_events", ["request_id"], unique=False
    )
    op.create_table(
        "assistance_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["assistance_requests.id"],
            name=op.f("fk_assistance_attachments_request_id_assistance_requests"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistance_attachments")),
    )
    op.create_index(
        op.f("ix_assistance_attachments_request_id"),
        "assistance_attachments",
        ["request_id"],
        unique=False,
    )
    op.create_table(
        "assistance_held",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_uid", sa.String(length=26), nullable=False),
        sa.Column("event_uid", sa.String(length=26), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("envelope_id", sa.String(length=26), nullable=False),
        sa.Column("held_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["exchange_peers.id"],
            name=op.f("fk_assistance_held_peer_id_exchange_peers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistance_held")),
        sa.UniqueConstraint("event_uid", name=op.f("uq_assistance_held_event_uid")),
    )
    op.create_index(
        op.f("ix_assistance_held_request_uid"), "assistance_held", ["request_uid"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_assistance_held_request_uid"), table_name="assistance_held")
    op.drop_table("assistance_held")
    op.drop_index(op.f("ix_assistance_attachments_request_id"), table_name="assistance_attachments")
    op.drop_table("assistance_attachments")
    op.drop_index(op.f("ix_assistance_events_request_id"), table_name="assistance_events")
    op.drop_table("assistance_events")
    op.drop_index("ix_assistance_requests_peer_state", table_name="assistance_requests")
    for metric in ("ack", "answer"):
        op.drop_index(f"ix_assistance_requests_sla_{metric}", table_name="assistance_requests")
    op.drop_index("ix_assistance_requests_due", table_name="assistance_requests")
    op.drop_table("assistance_requests")
