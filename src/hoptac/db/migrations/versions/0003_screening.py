"""screening: notices, registers, register records, jobs, hits, the name-key index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:39:36.226783
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "screening_name_keys",
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("row_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("scope", sa.Integer(), nullable=False),
        sa.Column("sig_a", sa.BigInteger(), nullable=False),
        sa.Column("sig_b", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", "kind", "row_id", name=op.f("pk_screening_name_keys")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("screening_name_keys", schema=None) as batch_op:
        batch_op.create_index("ix_screening_name_keys_row", ["kind", "row_id"], unique=False)

    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=120), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "wanted",
                "missing",
                name="notice_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "withdrawn",
                "executed",
                name="notice_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("alt_names", sa.JSON(), nullable=False),
        sa.Column("birth_on", sa.Date(), nullable=True),
        sa.Column(
            "birth_precision",
            sa.Enum(
                "day",
                "month",
                "year",
                name="birth_precision",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("nationality", sa.String(length=2), nullable=True),
        sa.Column("document_number", sa.String(length=120), nullable=True),
        sa.Column("issuing_agency", sa.String(length=300), nullable=True),
        sa.Column("charges", sa.Text(), nullable=True),
        sa.Column(
            "sharing",
            sa.Enum(
                "agency",
                "all",
                name="sharing",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agencies.id"],
            name=op.f("fk_notices_owner_agency_id_agencies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_notices_source_id_sources"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("owner_agency_id", "ref", name=op.f("uq_notices_owner_agency_id")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notices_owner_agency_id"), ["owner_agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notices_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notices_status"), ["status"], unique=False)

    op.create_table(
        "registers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "resident",
                "arrival",
                "hotel",
                name="register_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "sharing",
            sa.Enum(
                "agency",
                "all",
                name="sharing",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("ref", sa.String(length=120), nullable=True),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agencies.id"],
            name=op.f("fk_registers_owner_agency_id_agencies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_registers_source_id_sources"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registers")),
        sa.UniqueConstraint("owner_agency_id", "ref", name=op.f("uq_registers_owner_agency_id")),
    )
    with op.batch_alter_table("registers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registers_owner_agency_id"), ["owner_agency_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_registers_source_id"), ["source_id"], unique=False)

    op.create_table(
        "register_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("birth_on", sa.Date(), nullable=True),
        sa.Column(
            "birth_precision",
            sa.Enum(
                "day",
                "month",
                "year",
                name="birth_precision",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("nationality", sa.String(length=2), nullable=True),
        sa.Column("document_number", sa.String(length=120), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=True),
        sa.Column("seen_at", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["registers.id"],
            name=op.f("fk_register_records_register_id_registers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_records")),
        sa.UniqueConstraint("register_id", "ref", name=op.f("uq_register_records_register_id")),
    )
    op.create_table(
        "screening_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_agency_id", sa.Integer(), nullable=False),
        sa.Column(
            "sharing",
            sa.Enum(
                "agency",
                "all",
                name="sharing",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("started_by", sa.String(length=80), nullable=False),
        sa.Column("register_id", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "done",
                "failed",
                "interrupted",
                name="job_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("notices", sa.Integer(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("new_hits", sa.Integer(), nullable=False),
        sa.Column("decided_hits", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_agency_id"],
            ["agencies.id"],
            name=op.f("fk_screening_jobs_owner_agency_id_agencies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["registers.id"],
            name=op.f("fk_screening_jobs_register_id_registers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["users.id"],
            name=op.f("fk_screening_jobs_started_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_jobs")),
    )
    with op.batch_alter_table("screening_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screening_jobs_owner_agency_id"), ["owner_agency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_screening_jobs_register_id"), ["register_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_screening_jobs_started_by_id"), ["started_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_screening_jobs_status"), ["status"], unique=False)

    op.create_table(
        "screening_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "rejected",
                name="hit_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reviewer", sa.String(length=80), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("carried_from_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["carried_from_id"],
            ["screening_hits.id"],
            name=op.f("fk_screening_hits_carried_from_id_screening_hits"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["screening_jobs.id"],
            name=op.f("fk_screening_hits_job_id_screening_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name=op.f("fk_screening_hits_notice_id_notices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["register_records.id"],
            name=op.f("fk_screening_hits_record_id_register_records"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_screening_hits_reviewer_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_hits")),
        sa.UniqueConstraint(
            "job_id", "notice_id", "record_id", name=op.f("uq_screening_hits_job_id")
        ),
        sqlite_autoincrement=True,  # a deleted hit's id is never given to another pair
    )
    with op.batch_alter_table("screening_hits", schema=None) as batch_op:
        batch_op.create_index("ix_screening_hits_pair", ["notice_id", "record_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_screening_hits_record_id"), ["record_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_screening_hits_reviewer_id"), ["reviewer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_screening_hits_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("screening_hits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_hits_status"))
        batch_op.drop_index(batch_op.f("ix_screening_hits_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_screening_hits_record_id"))
        batch_op.drop_index("ix_screening_hits_pair")

    op.drop_table("screening_hits")
    with op.batch_alter_table("screening_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_jobs_status"))
        batch_op.drop_index(batch_op.f("ix_screening_jobs_started_by_id"))
        batch_op.drop_index(batch_op.f("ix_screening_jobs_register_id"))
        batch_op.drop_index(batch_op.f("ix_screening_jobs_owner_agency_id"))

    op.drop_table("screening_jobs")
    op.drop_table("register_records")
    with op.batch_alter_table("registers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registers_source_id"))
        batch_op.drop_index(batch_op.f("ix_registers_owner_agency_id"))

    op.drop_table("registers")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notices_status"))
        batch_op.drop_index(batch_op.f("ix_notices_source_id"))
        batch_op.drop_index(batch_op.f("ix_notices_owner_agency_id"))

    op.drop_table("notices")
    with op.batch_alter_table("screening_name_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_screening_name_keys_row")

    op.drop_table("screening_name_keys")
