"""sharing with named partner agencies: record_shares, and 'partners' in every sharing check

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHARED = (
    "agencies", "sources", "people", "agreements", "engagements", "commitments", "notices",
    "registers",
)  # fmt: skip


def _sharing_check(values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{v}'" for v in values)
    for table in SHARED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_sharing"), type_="check")
            batch_op.create_check_constraint("sharing", f"sharing IN ({listed})")


def upgrade() -> None:
    op.create_table(
        "record_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_record_shares_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_shares")),
        sa.UniqueConstraint(
            "record_type", "record_id", "agency_id", name=op.f("uq_record_shares_record_type")
        ),
    )
    op.create_index(
        "ix_record_shares_agency", "record_shares", ["agency_id", "record_type", "record_id"]
    )
    _sharing_check(("agency", "partners", "all"))


def downgrade() -> None:
    # Records shared with named partners go back to their owning agency alone.
    for table in SHARED:
        op.execute(f"UPDATE {table} SET sharing = 'agency' WHERE sharing = 'partners'")
    _sharing_check(("agency", "all"))
    op.drop_index("ix_record_shares_agency", table_name="record_shares")
    op.drop_table("record_shares")
