"""What the database itself enforces about the audit log, whatever the application does:
no row of `audit_events` or `audit_anchors` is ever updated, and no audit row younger than
RETENTION_DAYS is deleted (PostgreSQL refuses TRUNCATE too). On PostgreSQL the
application's own role should besides hold no UPDATE, DELETE or TRUNCATE privilege on
them (`grant_app_role`); the purge runs as the database owner.

Used by the migration that brings the hash chain (0006) and by `hoptac db grant`. On
SQLite a batch migration of these tables (a copy of the table) drops the triggers: such a
migration must `install` them again.
"""

from __future__ import annotations

from collections.abc import Callable

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


def _young(table: str) -> str:
    if table != "audit_events":
        return "1"  # an anchor is never deleted
    return f"old.at > datetime('now', '-{RETENTION_DAYS} days')"


def install(dialect: str, execute: Callable[[str], object]) -> None:
    """Create the guards (`execute` runs one statement)."""
    if dialect == "postgresql":
        execute(_POSTGRES_FUNCTION)
        statements = _POSTGRES
    else:
        statements = _SQLITE
    for table in GUARDED:
        for statement in statements:
            execute(statement.format(table=table, young=_young(table), days=RETENTION_DAYS))


def remove(dialect: str, execute: Callable[[str], object]) -> None:
    """Drop the guards (the migration's downgrade)."""
    for table in GUARDED:
        if dialect == "postgresql":
            execute(f"DROP TRIGGER IF EXISTS {table}_guard ON {table}")
            execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        else:
            execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if dialect == "postgresql":
        execute("DROP FUNCTION IF EXISTS hoptac_audit_guard()")


def grant_app_role(role: str, execute: Callable[[str], object], schema: str = "public") -> None:
    """PostgreSQL: what the application's role may do in `schema`: read and write every
    table but the audit log's, where it may only read and append."""
    quoted = '"' + role.replace('"', '""') + '"'
    where = '"' + schema.replace('"', '""') + '"'
    execute(f"GRANT USAGE ON SCHEMA {where} TO {quoted}")
    execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {where} TO {quoted}")
    execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {where} TO {quoted}")
    execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {where}.audit_events FROM {quoted}")
    # anchors are written by the purge (the owner) only: an anchor tells `verify` where
    # the chain starts
    execute(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {where}.audit_anchors FROM {quoted}")
