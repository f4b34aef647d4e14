"""account secrets: TOTP secrets sealed with the node's key (a wider column); a one-time
password to change at the next login; why an account is disabled

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 14:40:00

A migration cannot read the node's key file (`HOME/keys/totp.key`, outside the database),
so the secrets stored in the clear by 0007 stay as they are here: `auth.mfa.secret_of`
accepts such a value once more and seals it at the account's next sign-in.

An account disabled before this revision gets its reason from its last
`auth.account_disabled` audit row: "inactive" when it was the 90 days' sweep, "admin"
otherwise (and when no row says: `user unlock` then leaves it disabled, `user enable`
lifts it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEALED = "sb1:"  # auth.mfa.SEALED, copied: a migration must not change with the code


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=64),
            type_=sa.String(length=255),
            existing_nullable=True,
        )
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(sa.Column("disabled_reason", sa.String(length=20), nullable=True))
    _reasons_of_disabled_accounts()


def _reasons_of_disabled_accounts() -> None:
    bind = op.get_bind()
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("is_active", sa.Boolean),
        sa.column("disabled_reason", sa.String),
    )
    events = sa.table(
        "audit_events",
        sa.column("seq", sa.BigInteger),
        sa.column("action", sa.String),
        sa.column("object_id", sa.Integer),
        sa.column("detail", sa.JSON),
    )
    for (user_id,) in bind.execute(sa.select(users.c.id).where(users.c.is_active == sa.false())):
        detail = bind.scalar(
            sa.select(events.c.detail)
            .where(events.c.action == "auth.account_disabled", events.c.object_id == user_id)
            .order_by(events.c.seq.desc())
            .limit(1)
        )
        why = str((detail or {}).get("why", "")) if isinstance(detail, dict) else ""
        reason = "inactive" if why.startswith("unused ") else "admin"
        bind.execute(users.update().where(users.c.id == user_id).values(disabled_reason=reason))


def downgrade() -> None:
    # 0007 keeps secrets in the clear and cannot open sealed ones: refuse rather than drop
    # the second factor of every account (whoever knew a password could enrol anew).
    users = sa.table("users", sa.column("totp_secret", sa.String))
    sealed = op.get_bind().scalar(
        sa.select(sa.func.count()).select_from(users).where(users.c.totp_secret.like(f"{SEALED}%"))
    )
    if sealed:
        raise RuntimeError(
            f"{sealed} accounts have a sealed TOTP secret, which revision 0007 cannot read; "
            "to go down anyway, clear users.totp_secret and users.totp_enabled_at "
            "(those accounts enrol again at their next sign-in)"
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("disabled_reason")
        batch_op.drop_column("must_change_password")
        batch_op.alter_column(
            "totp_secret",
            existing_type=sa.String(length=255),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
