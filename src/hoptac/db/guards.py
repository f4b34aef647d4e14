"""What the database itself enforces about the audit log, whatever the application does:
no row of `audit_events` or `audit_anchors` is ever updated, no audit row younger than
RETENTION_DAYS is deleted (PostgreSQL refuses TRUNCATE too), no anchor is ever deleted,
and an anchor is only added the way the purge adds one (`ANCHOR_RULES`): above the
anchor before it, counting the rows between them, after every row below it was deleted,
on a kept row older than RETENTION_DAYS whose link it copies. On PostgreSQL the
application's own role should besides hold no UPDATE, DELETE or TRUNCATE privilege on
them and no INSERT on the anchors (`grant_app_role`); the purge runs as the database owner.

These guards stop the application and its role, not someone who owns the database (or
its SQLite file): they can drop a trigger. What such a person did is found by
`hoptac audit verify` (and `--head`), see `hoptac.auth.audit`.

Used by the migrations that bring the hash chain (0006) and the anchor guard (0011) and
by `hoptac db grant`. On SQLite a batch migration of these tables (a copy of the table)
drops the triggers: such a migration must `install` them again.
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


# What an anchor must be when it is added: (SQL condition that refuses it, reason). A
# restore adds the anchors before the rows (their table comes first), so the checks on
# the row an anchor names apply once the log has rows.
ANCHOR_RULES = (
    (
        "EXISTS (SELECT 1 FROM audit_events WHERE seq < NEW.seq)",
        "an audit anchor is added only once every row below it is purged",
    ),
    (
        "NEW.seq <= (SELECT coalesce(max(seq), 0) FROM audit_anchors)",
        "an audit anchor lies above every anchor before it",
    ),
    (
        "NEW.purged_rows <> NEW.seq - (SELECT coalesce(max(seq), 1) FROM audit_anchors)",
        "an audit anchor counts the rows between it and the anchor before it",
    ),
    (
        "EXISTS (SELECT 1 FROM audit_events) AND NOT EXISTS (SELECT 1 FROM audit_events "
        "WHERE seq = NEW.seq AND prev_hash = NEW.prev_hash "
        "AND (NEW.purged_rows = 0 OR at < {old}))",
        f"an audit anchor names a kept row older than {RETENTION_DAYS} days and copies its link",
    ),
)
_SQLITE_OLD = f"datetime('now', '-{RETENTION_DAYS} days')"
_POSTGRES_OLD = f"(now() AT TIME ZONE 'utc') - interval '{RETENTION_DAYS} days'"

_SQLITE_ANCHOR = "CREATE TRIGGER audit_anchors_insert BEFORE INSERT ON audit_anchors BEGIN\n{}\nEND"
_POSTGRES_ANCHOR_FUNCTION = """
CREATE OR REPLACE FUNCTION hoptac_anchor_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{}
    RETURN NEW;
END
$$"""
_POSTGRES_ANCHOR = """CREATE TRIGGER audit_anchors_insert BEFORE INSERT ON audit_anchors
    FOR EACH ROW EXECUTE FUNCTION hoptac_anchor_guard()"""


def install_anchor_guard(dialect: str, execute: Callable[[str], object]) -> None:
    """Create (or create again) the trigger that refuses an anchor the purge would not
    add (migration 0011)."""
    remove_anchor_guard(dialect, execute)
    if dialect == "postgresql":
        checks = "\n".join(
            f"    IF {condition.format(old=_POSTGRES_OLD)} THEN\n"
            f"        RAISE EXCEPTION USING ERRCODE = 'integrity_constraint_violation',\n"
            f"            MESSAGE = '{reason}';\n    END IF;"
            for condition, reason in ANCHOR_RULES
        )
        execute(_POSTGRES_ANCHOR_FUNCTION.format(checks))
        execute(_POSTGRES_ANCHOR)
    else:
        checks = "\n".join(
            f"    SELECT RAISE(ABORT, '{reason}') WHERE {condition.format(old=_SQLITE_OLD)};"
            for condition, reason in ANCHOR_RULES
        )
        execute(_SQLITE_ANCHOR.format(checks))


def remove_anchor_guard(dialect: str, execute: Callable[[str], object]) -> None:
    """Drop the anchor trigger (the downgrade of 0011)."""
    if dialect == "postgresql":
        execute("DROP TRIGGER IF EXISTS audit_anchors_insert ON audit_anchors")
        execute("DROP FUNCTION IF EXISTS hoptac_anchor_guard()")
    else:
        execute("DROP TRIGGER IF EXISTS audit_anchors_insert")


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
    install_anchor_guard(dialect, execute)


def remove(dialect: str, execute: Callable[[str], object]) -> None:
    """Drop the guards (the migration's downgrade)."""
    remove_anchor_guard(dialect, execute)
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
