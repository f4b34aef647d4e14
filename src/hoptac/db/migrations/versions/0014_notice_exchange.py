"""wanted notices between nodes: a notice's global id (uid), the partner node a received
copy came from and its version there; the partners each notice was sent to; 'closed' hits
(pending when their notice stopped being active)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hoptac import ulid

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _hit_status_check(values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{v}'" for v in values)
    # SQLite rebuilds the table: keep AUTOINCREMENT (a replaced hit's id is never reused)
    with op.batch_alter_table(
        "screening_hits", schema=None, table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        batch_op.drop_constraint(op.f("ck_screening_hits_hit_status"), type_="check")
        batch_op.create_check_constraint("hit_status", f"status IN ({listed})")


def upgrade() -> None:
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uid", sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column("origin_peer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("origin_version", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_notices_origin_peer_id_exchange_peers"),
            "exchange_peers",
            ["origin_peer_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_notices_origin_peer_id"), ["origin_peer_id", "uid"]
        )
    notices = sa.table("notices", sa.column("id", sa.Integer), sa.column("uid", sa.String))
    conn = op.get_bind()
    ids = [row[0] for row in conn.execute(sa.select(notices.c.id).where(notices.c.uid.is_(None)))]
    for notice_id in ids:
        conn.execute(notices.update().where(notices.c.id == notice_id).values(uid=ulid.new()))
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.alter_column("uid", existing_type=sa.String(length=26), nullable=False)
        batch_op.create_index(batch_op.f("ix_notices_uid"), ["uid"], unique=False)

    op.create_table(
        "notice_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("handling", sa.String(length=2), nullable=False),
        sa.Column("handling_note", sa.String(length=500), nullable=True),
        sa.Column("shared_by", sa.String(length=80), nullable=False),
        sa.Column("shared_at", sa.DateTime(), nullable=False),
        sa.Column("sent_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("sent_digest", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name=op.f("fk_notice_shares_notice_id_notices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["exchange_peers.id"],
            name=op.f("fk_notice_shares_peer_id_exchange_peers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_shares")),
        sa.UniqueConstraint("notice_id", "peer_id", name=op.f("uq_notice_shares_notice_id")),
    )
    op.create_index(op.f("ix_notice_shares_peer_id"), "notice_shares", ["peer_id"])
    _hit_status_check(("pending", "confirmed", "rejected", "closed"))


def downgrade() -> None:
    op.execute("UPDATE screening_hits SET status = 'pending' WHERE status = 'closed'")
    _hit_status_check(("pending", "confirmed", "rejected"))
    op.drop_index(op.f("ix_notice_shares_peer_id"), table_name="notice_shares")
    op.drop_table("notice_shares")
    op.execute("DELETE FROM notices WHERE origin_peer_id IS NOT NULL")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notices_uid"))
        batch_op.drop_constraint(batch_op.f("uq_notices_origin_peer_id"), type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_notices_origin_peer_id_exchange_peers"), type_="foreignkey"
        )
        batch_op.drop_column("origin_version")
        batch_op.drop_column("origin_peer_id")
        batch_op.drop_column("uid")
