"""audit hash chain, anchors and append-only guards

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 13:30:00

Frozen: the row hash (version 1) and the guards are copied here as they were when this
revision was written, so that later changes to `hoptac.auth.audit` or `hoptac.db.guards`
never change what this migration does (0011 adds the anchors' own guard).
"""

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXTS = ("username", "action", "object_type", "outcome", "client", "prev_hash", "row_hash")
GENESIS = "0" * 64  # the previous hash of the first row ever written
_FIELDS = (
    "seq", "at", "user_id", "username", "agency_id", "action", "object_type", "object_id",
    "outcome", "client", "detail",
)  # fmt: skip
RETENTION_DAYS = 365
GUARDED = ("audit_events", "audit_anchors")

_SQLITE = [
    """CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
    BEGIN SELECT RAISE(ABORT, '{table} is append-only: rows are never changed'); END""",
    """CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
    WHEN {young}
    BEGIN SELECT RAISE(ABORT, 'audit rows younger than {days} days are never deleted'); END""",
]
_POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION hoptac_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_events'
       AND OLD.at < (now() AT TIME ZONE 'utc') - interval '{RETENTION_DAYS} days' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege',
        MESSAGE = TG_OP || ' on ' || TG_TABLE_NAME || ': the audit log is append-only';
END
$$"""
_POSTGRES = [
    """CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION hoptac_audit_guard()""",
    """CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION hoptac_audit_guard()""",
    "REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC",
]


def _digest(prev_hash: str, row: dict[str, Any]) -> str:
    """The row hash, version 1 (as `hoptac.auth.audit.digest` computes it)."""
    values: dict[str, Any] = {name: row[name] for name in _FIELDS}
    values["at"] = row["at"].isoformat(timespec="microseconds")
    body = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"v1|{prev_hash}|{body}".encode()).hexdigest()


def _young(table: str) -> str:
    if table != "audit_events":
        return "1"  # an anchor is never deleted
    return f"old.at > datetime('now', '-{RETENTION_DAYS} days')"


def _install_guards(dialect: str, execute: Callable[[str], object]) -> None:
    if dialect == "postgresql":
        execute(_POSTGRES_FUNCTION)
        statements = _POSTGRES
    else:
        statements = _SQLITE
    for table in GUARDED:
        for statement in statements:
            execute(statement.format(table=table, young=_young(table), days=RETENTION_DAYS))


def _remove_guards(dialect: str, execute: Callable[[str], object]) -> None:
    for table in GUARDED:
        if dialect == "postgresql":
            execute(f"DROP TRIGGER IF EXISTS {table}_guard ON {table}")
            execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if dialect == "postgresql":
        execute("DROP FUNCTION IF EXISTS hoptac_audit_guard()")


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
        link = _digest(prev, {**row, "seq": seq})
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
    _install_guards(bind.dialect.name, lambda sql: bind.exec_driver_sql(sql))


def downgrade() -> None:
    bind = op.get_bind()
    _remove_guards(bind.dialect.name, lambda sql: bind.exec_driver_sql(sql))
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_events_seq"), type_="unique")
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    op.drop_table("audit_anchors")
