"""audit hash chain, anchors and append-only guards

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 13:30:00
"""

from collections.abc import Sequence
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

from hoptac.auth.audit import GENESIS, digest
from hoptac.db import guards

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXTS = ("username", "action", "object_type", "outcome", "client", "prev_hash", "row_hash")


def upgrade() -> None:
    op.create_table(
        "audit_anchors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("purged_rows", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchors")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_anchors_seq")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
    # Chain the rows written before the chain existed, in the order they were written.
    bind = op.get_bind()
    table = sa.table(
        "audit_events",
        *(sa.column(name, sa.Integer) for name in ("id", "user_id", "agency_id", "object_id")),
        *(sa.column(name, sa.String) for name in _TEXTS),
        sa.column("at", sa.DateTime),
        sa.column("detail", sa.JSON),
        sa.column("seq", sa.BigInteger),
    )
    prev = GENESIS
    rows = bind.execute(sa.select(table).order_by(table.c.id)).mappings().all()
    for seq, row in enumerate(rows, start=1):
        link = digest(prev, SimpleNamespace(**{**row, "seq": seq}))  # type: ignore[arg-type]
        bind.execute(
            table.update()
            .where(table.c.id == row["id"])
            .values(seq=seq, prev_hash=prev, row_hash=link)
        )
        prev = link
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("row_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_seq"), ["seq"])
    guards.install(bind.dialect.name, lambda sql: bind.exec_driver_sql(sql))


def downgrade() -> None:
    bind = op.get_bind()
    guards.remove(bind.dialect.name, lambda sql: bind.exec_driver_sql(sql))
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_events_seq"), type_="unique")
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    op.drop_table("audit_anchors")
