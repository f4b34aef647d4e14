"""audit anchors guarded on INSERT: an anchor is added only the way the purge adds one
(every row below it deleted, above the anchor before it, counting the rows between them,
on a kept row older than the retention whose link it copies); see hoptac.db.guards

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:00:00
"""

from collections.abc import Sequence

from alembic import op

from hoptac.db import guards

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # No table is copied here (no batch migration): the other guards stay as they are.
    bind = op.get_bind()
    guards.install_anchor_guard(bind.dialect.name, lambda sql: bind.exec_driver_sql(sql))


def downgrade() -> None:
    bind = op.get_bind()
    guards.remove_anchor_guard(bind.dialect.name, lambda sql: bind.exec_driver_sql(sql))
