"""The audit log is append-only and hash-chained: what the database refuses, what
`hoptac audit verify` finds after someone with the database's own powers tampers with it,
the purge's retention, and that an operation whose audit row cannot be written fails."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hoptac.auth import audit
from hoptac.cli.main import app as cli_app
from hoptac.db import guards
from hoptac.db.models import AuditEvent, Person, utcnow
from hoptac.types import Role
from tests.conftest import add_agency, add_user, api_post, token


@pytest.fixture
def logged(factory: sessionmaker[Session], client: Any) -> dict[str, str]:
    """An officer's bearer header, after a few audited actions."""
    with factory() as s, s.begin():
        agency = add_agency(s, "Công an tỉnh Lạng Sơn")
        add_user(s, "officer", Role.OFFICER, agency)
    headers = token(client, "officer")
    client.post("/api/v1/auth/token", data={"username": "officer", "password": "wrong one"})
    for name in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"):
        api_post(client, headers, "people", {"full_name": name})
    return headers


def tamper(engine: sa.Engine, *statements: str) -> None:
    """Run statements as someone who can lift the guards (the database's owner)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        else:
            guards.remove("sqlite", conn.exec_driver_sql)
        for statement in statements:
            conn.exec_driver_sql(statement)
        if conn.dialect.name != "postgresql":
            guards.install("sqlite", conn.exec_driver_sql)


def verdict(factory: sessionmaker[Session]) -> audit.Verdict:
    with factory() as s:
        return audit.verify(s)


def test_every_row_is_chained_to_the_one_before(
    factory: sessionmaker[Session], logged: dict[str, str]
) -> None:
    with factory() as s:
        rows = list(s.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)))
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert len(rows) >= 6  # user created, token, failed login, three people created
    assert rows[0].prev_hash == audit.GENESIS
    for before, row in itertools.pairwise(rows):
        assert row.prev_hash == before.row_hash
    found = verdict(factory)
    assert found.ok and found.rows == len(rows) and found.head == rows[-1].row_hash


def test_the_database_refuses_to_change_or_delete_a_recent_row(
    engine: sa.Engine, logged: dict[str, str]
) -> None:
    for statement in (
        "UPDATE audit_events SET outcome = 'ok' WHERE outcome = 'denied'",
        "DELETE FROM audit_events",
    ):
        with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
            conn.exec_driver_sql(statement)
    with engine.connect() as conn:
        denied = conn.exec_driver_sql(
            "SELECT count(*) FROM audit_events WHERE outcome = 'denied'"
        ).scalar()
    assert denied == 1


@pytest.mark.parametrize(
    ("statements", "bad", "reason"),
    [
        # an edited field: the row's content no longer matches its hash
        (["UPDATE audit_events SET outcome = 'tampered' WHERE seq = 3"], 3, "content"),
        (["UPDATE audit_events SET client = '10.0.0.9' WHERE seq = 4"], 4, "content"),
        # a hash overwritten
        (["UPDATE audit_events SET row_hash = '{h}' WHERE seq = 2"], 2, "content"),
        # a deleted row leaves a hole
        (["DELETE FROM audit_events WHERE seq = 4"], 4, "missing"),
        # two rows swapped (their places in the chain exchanged)
        (
            [
                "UPDATE audit_events SET seq = -3 WHERE seq = 3",
                "UPDATE audit_events SET seq = 3 WHERE seq = 5",
                "UPDATE audit_events SET seq = 5 WHERE seq = -3",
            ],
            3,
            "link",
        ),
        # the newest row removed and nothing after it: the chain is shorter, not broken
    ],
    ids=["edit-outcome", "edit-client", "hash", "delete", "reorder"],
)
def test_verify_names_the_first_tampered_row(
    engine: sa.Engine,
    factory: sessionmaker[Session],
    logged: dict[str, str],
    cli: CliRunner,
    statements: list[str],
    bad: int,
    reason: str,
) -> None:
    ok = cli.invoke(cli_app, ["audit", "verify"])
    assert ok.exit_code == 0 and "audit log intact" in ok.output, ok.output
    tamper(engine, *(s.format(h="ab" * 32) for s in statements))
    found = verdict(factory)
    assert found.bad_seq == bad
    assert reason in (found.reason or "")
    broken = cli.invoke(cli_app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"audit log broken at row {bad}" in broken.output


def test_an_edit_that_rehashes_its_row_breaks_the_next_link_and_a_rewrite_moves_the_head(
    engine: sa.Engine, factory: sessionmaker[Session], logged: dict[str, str]
) -> None:
    recorded = verdict(factory).head  # what an auditor noted down elsewhere

    def rewrite(start: int) -> None:
        """Edit row `start` and recompute hashes from it on, as far as `stop`."""
        with factory() as s:
            rows = list(s.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)))
        prev = rows[start - 2].row_hash
        statements = []
        for row in rows[start - 1 : stop]:
            if row.seq == start:
                row.outcome = "rewritten"
            row.prev_hash = prev
            prev = row.row_hash = audit.digest(prev, row)
            statements.append(
                f"UPDATE audit_events SET outcome = '{row.outcome}', prev_hash = "
                f"'{row.prev_hash}', row_hash = '{row.row_hash}' WHERE seq = {row.seq}"
            )
        tamper(engine, *statements)

    stop = 2
    rewrite(2)
    found = verdict(factory)
    assert (found.bad_seq, found.reason) == (3, "it does not link to the row before it")
    stop = 10_000  # the whole rest of the chain recomputed: only the head tells
    rewrite(2)
    found = verdict(factory)
    assert found.ok and found.head != recorded


def test_an_operation_whose_audit_row_fails_is_not_stored(
    factory: sessionmaker[Session],
    logged: dict[str, str],
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(prev: str, row: AuditEvent) -> str:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "digest", broken)
    with factory() as s:
        before = s.scalar(sa.select(sa.func.count()).select_from(Person))
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post("/api/v1/people", json={"full_name": "Phạm Văn Dũng"}, headers=logged)
    assert r.status_code == 500
    with factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Person)) == before
        assert s.scalar(sa.select(Person.id).where(Person.full_name == "Phạm Văn Dũng")) is None


def test_purge_keeps_a_year_and_the_chain_still_verifies(
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, cli: CliRunner
) -> None:
    now = utcnow()
    for days, action in ((800, "old"), (400, "old"), (10, "recent"), (0, "recent")):
        monkeypatch.setattr(audit, "utcnow", lambda d=days: now - timedelta(days=d))
        with factory() as s, s.begin():
            audit.record(s, audit.Action.DEMO_LOADED, username=action)
    monkeypatch.setattr(audit, "utcnow", utcnow)
    with factory() as s, s.begin(), pytest.raises(Exception, match="at least 365 days"):
        audit.purge(s, 30)
    refused = cli.invoke(cli_app, ["audit", "purge", "--keep-days", "100"])
    assert refused.exit_code == 1 and "at least 365 days" in refused.output
    done = cli.invoke(cli_app, ["audit", "purge", "--keep-days", "365"])
    # the newest expired row stays: the chain's anchor, it shows the rows before it were old
    assert done.exit_code == 0 and "1 audit rows removed" in done.output, done.output
    with factory() as s:
        kept = list(s.scalars(sa.select(AuditEvent.username).order_by(AuditEvent.seq)))
        (purged,) = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "audit.purged"))
    assert kept == ["old", "recent", "recent", "(cli)"]
    assert purged.detail is not None
    assert (purged.detail["anchor"], purged.detail["rows"]) == (2, 1)
    found = verdict(factory)
    assert found.ok and found.rows == 4 and found.start == 2 and not found.warnings


def test_rows_written_before_the_chain_are_chained_by_the_migration(tmp_path: Any) -> None:
    from hoptac.db import migrate
    from hoptac.db.engine import make_engine, make_sessionmaker

    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url, "0005")
    engine = make_engine(url)
    with engine.begin() as conn:
        for i in range(3):
            conn.execute(
                sa.text(
                    "INSERT INTO audit_events (at, username, action, outcome, detail) "
                    "VALUES (:at, :u, 'auth.login', 'ok', :d)"
                ),
                {"at": utcnow(), "u": f"user{i}", "d": f'{{"n": {i}, "ý": "é"}}'},
            )
    migrate.upgrade(url)
    found = audit.verify(make_sessionmaker(engine)())
    assert found.ok and found.rows == 3
    engine.dispose()


def test_the_app_role_may_append_but_not_change_the_audit_log(
    backend: str, engine: sa.Engine, logged: dict[str, str]
) -> None:
    if backend != "postgresql":
        pytest.skip("roles and privileges are PostgreSQL's")
    role = f"hoptac_app_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
        conn.exec_driver_sql(f'CREATE ROLE "{role}" NOLOGIN')
        guards.grant_app_role(role, conn.exec_driver_sql, str(schema))
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'SET LOCAL ROLE "{role}"')
            conn.exec_driver_sql("UPDATE people SET full_name = full_name")
            with Session(bind=conn) as s:
                audit.record(s, audit.Action.DEMO_LOADED, username="as the app role")
                s.flush()
        for statement in (
            "UPDATE audit_events SET outcome = 'ok'",
            "DELETE FROM audit_events WHERE seq = 1",
            "TRUNCATE audit_events",
            # an anchor tells `verify` where the chain starts: only the owner's purge writes one
            "INSERT INTO audit_anchors (seq, prev_hash, purged_rows, at) VALUES (5, 'x', 4, now())",
        ):
            refused = pytest.raises(sa.exc.ProgrammingError, match="permission denied")
            with refused, engine.begin() as conn:
                conn.exec_driver_sql(f'SET LOCAL ROLE "{role}"')
                # refused by the privilege, before any trigger would run
                conn.exec_driver_sql(statement)
        assert verdict(sessionmaker(engine)).ok
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
