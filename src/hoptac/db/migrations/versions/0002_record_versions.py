"""record versions: optimistic locking of every editable record

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:09:04.505844
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The versioned record tables (optimistic locking: `Versioned.version`).
TABLES = ("agencies", "agreements", "commitments", "engagements", "people", "sources")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("version", sa.Integer(), server_default="1", nullable=False)
            )


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("version")
