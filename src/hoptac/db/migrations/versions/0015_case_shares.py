"""cases shared with other agencies of the node, each up to a handling code

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("max_handling", sa.String(length=2), nullable=False),
        sa.Column("shared_by", sa.String(length=80), nullable=False),
        sa.Column("shared_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_case_shares_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_shares_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_shares")),
        sa.UniqueConstraint("case_id", "agency_id", name=op.f("uq_case_shares_case_id")),
    )
    op.create_index(op.f("ix_case_shares_agency_id"), "case_shares", ["agency_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_case_shares_agency_id"), table_name="case_shares")
    op.drop_table("case_shares")
