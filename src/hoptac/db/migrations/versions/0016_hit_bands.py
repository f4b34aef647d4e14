"""screening hits: their band (likely, possible) and how many of the notice's hits tie
with them (rivals)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 15:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table(
        "screening_hits", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.add_column(
            sa.Column("band", sa.String(length=10), server_default="likely", nullable=False)
        )
        batch_op.add_column(sa.Column("rivals", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table(
        "screening_hits", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_column("rivals")
        batch_op.drop_column("band")
