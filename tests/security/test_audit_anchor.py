"""Finding 1 of the penetration test: a forged audit anchor hid edits. An anchor is now a
claim that `hoptac audit verify` checks (rows below it gone, its row older than the
retention, a purge row in the chain naming it), the database refuses an anchor the purge
would not add, and a signed head kept off the node catches a chain cut short or rewritten.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hoptac.auth import audit
from hoptac.cli.main import app as cli_app
from hoptac.db import guards
from hoptac.db.models import AuditAnchor, AuditEvent, utcnow
from hoptac.exchange.keys import NodeKeys, b64
from tests.conftest import audit_rows


def add_rows(factory: sessionmaker[Session], count: int, days_old: int = 0) -> None:
    """`count` audit rows, dated `days_old` days ago (the clock turned back meanwhile)."""
    at = utcnow() - timedelta(days=days_old)
    with pytest.MonkeyPatch.context() as mp, factory() as s, s.begin():
        mp.setattr(audit, "utcnow", lambda: at)
        for i in range(count):
            audit.record(s, audit.Action.DEMO_LOADED, username=f"u{i}", detail={"n": i})


def tamper(engine: sa.Engine, *statements: tuple[str, dict[str, Any]]) -> None:
    """Run statements as someone who can lift the guards (the database's owner)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        else:
            guards.remove("sqlite", conn.exec_driver_sql)
        for statement, params in statements:
            conn.execute(sa.text(statement), params)
        if conn.dialect.name != "postgresql":
            guards.install("sqlite", conn.exec_driver_sql)


def last_at(factory: sessionmaker[Session]) -> Any:
    """The time of the newest row (the purge row just appended)."""
    with factory() as s:
        return s.scalar(sa.select(AuditEvent.at).order_by(AuditEvent.seq.desc()).limit(1))


def hash_of(factory: sessionmaker[Session], seq: int, column: str = "row_hash") -> str:
    with factory() as s:
        return str(s.scalar(sa.select(getattr(AuditEvent, column)).where(AuditEvent.seq == seq)))


def verify(cli: CliRunner, *args: str) -> Any:
    return cli.invoke(cli_app, ["audit", "verify", *args])


# ---- the attack as reported ------------------------------------------------------------


FORGE = (
    "INSERT INTO audit_anchors (seq, prev_hash, purged_rows, at) VALUES "
    "(200, (SELECT prev_hash FROM audit_events WHERE seq = 200), 199, datetime('now'))"
)


def test_the_reported_attack_is_found_by_verify(
    backend: str, engine: sa.Engine, factory: sessionmaker[Session], cli: CliRunner
) -> None:
    """SQLite, someone with the file: (1) an anchor at row 200 with row 200's link and
    199 rows "purged" (the anchor trigger dropped first); (2) the update trigger dropped;
    (3) rows 1-199 edited. The head is unchanged; verify finds the rows below the anchor."""
    if backend != "sqlite":
        pytest.skip("the report's attack is on the SQLite file")
    add_rows(factory, 210)
    head_before = hash_of(factory, 210)
    assert engine.url.database
    db = sqlite3.connect(engine.url.database)
    try:
        db.execute("DROP TRIGGER IF EXISTS audit_anchors_insert")
        db.execute(FORGE)  # (1)
        db.execute("DROP TRIGGER audit_events_no_update")  # (2)
        db.execute("UPDATE audit_events SET outcome = 'edited' WHERE seq < 200")  # (3)
        db.commit()
    finally:
        db.close()
    assert hash_of(factory, 210) == head_before  # the head alone does not tell
    found = audit.verify(factory())
    assert (found.bad_seq, found.start) == (1, 200)
    broken = verify(cli)
    assert broken.exit_code == 1, broken.output
    assert "audit log broken at row 1: it is still there, below the anchor at row 200" in (
        broken.output
    )
    assert "audit log intact" not in broken.output


def test_the_reported_anchor_is_refused_by_the_database(
    backend: str, engine: sa.Engine, factory: sessionmaker[Session]
) -> None:
    """Step (1) of the report, with the triggers in place: the anchor is refused."""
    if backend != "sqlite":
        pytest.skip("the report's attack is on the SQLite file")
    add_rows(factory, 210)
    assert engine.url.database
    db = sqlite3.connect(engine.url.database)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="every row below it is purged"):
            db.execute(FORGE)
        db.rollback()
    finally:
        db.close()
    with factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditAnchor)) == 0


# ---- a forged anchor with the rows below it removed too ---------------------------------


@pytest.mark.parametrize("forgery", ["no-purge-row", "young-row", "future-purge"])
def test_recent_rows_removed_behind_a_forged_anchor_are_found(
    engine: sa.Engine, factory: sessionmaker[Session], cli: CliRunner, forgery: str
) -> None:
    """The careful attacker: rows 1-19 (a day old) deleted, an anchor at row 20 with its
    link and count, and (but the first case) a purge row appended that names it."""
    add_rows(factory, 25, days_old=1)
    prev = hash_of(factory, 20, "prev_hash")
    at = utcnow()
    if forgery != "no-purge-row":
        with pytest.MonkeyPatch.context() as mp, factory() as s, s.begin():
            if forgery == "future-purge":  # dated so that row 20 looks a year older than it
                mp.setattr(audit, "utcnow", lambda: at + timedelta(days=400))
            detail = {"rows": 19, "keep_days": 365, "anchor": 20, "prev_hash": prev}
            audit.record(s, audit.Action.AUDIT_PURGED, username="(cli)", detail=detail)
        at = last_at(factory)
    tamper(
        engine,
        ("DELETE FROM audit_events WHERE seq < 20", {}),
        (
            "INSERT INTO audit_anchors (seq, prev_hash, purged_rows, at) VALUES (20, :p, 19, :at)",
            {"p": prev, "at": at},
        ),
    )
    found = audit.verify(factory())
    assert not found.ok and found.bad_seq == 20 and found.start == 20
    expected = {
        "no-purge-row": "no purge in the chain that names it",
        "young-row": f"less than {guards.RETENTION_DAYS} days before the purge",
        "future-purge": "dated in the future",
    }[forgery]
    broken = verify(cli)
    assert broken.exit_code == 1
    assert "audit log broken at row 20: " in broken.output
    assert expected in broken.output, broken.output


def test_the_database_refuses_an_anchor_the_purge_would_not_add(
    engine: sa.Engine, factory: sessionmaker[Session], cli: CliRunner
) -> None:
    """As the owner, guards in place: an anchor over rows still there, one on a row younger
    than the retention, one below the last anchor."""
    add_rows(factory, 3, days_old=500)
    add_rows(factory, 3, days_old=400)
    add_rows(factory, 3)
    prev5 = hash_of(factory, 5, "prev_hash")
    insert = "INSERT INTO audit_anchors (seq, prev_hash, purged_rows, at) VALUES (:s, :p, :n, :at)"
    for seq, count in ((5, 4), (9, 8)):
        refused = pytest.raises(sa.exc.DBAPIError, match="every row below it is purged")
        with refused, engine.begin() as conn:
            conn.execute(sa.text(insert), {"s": seq, "p": prev5, "n": count, "at": utcnow()})
    done = cli.invoke(cli_app, ["audit", "purge", "--keep-days", "365"])
    assert done.exit_code == 0 and "5 audit rows removed" in done.output, done.output
    with pytest.raises(sa.exc.DBAPIError, match="above every anchor"), engine.begin() as conn:
        conn.execute(sa.text(insert), {"s": 3, "p": prev5, "n": 2, "at": utcnow()})
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT seq FROM audit_anchors")).scalars().all() == [6]
    assert verify(cli).exit_code == 0


def test_an_anchor_on_a_young_row_is_refused_even_with_the_rows_below_gone(
    backend: str, engine: sa.Engine, factory: sessionmaker[Session]
) -> None:
    add_rows(factory, 6)
    if backend == "postgresql":  # delete as the owner in replica mode, then insert normally
        with engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.exec_driver_sql("DELETE FROM audit_events WHERE seq < 4")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER audit_events_no_delete")
            conn.exec_driver_sql("DELETE FROM audit_events WHERE seq < 4")
            guards.remove("sqlite", conn.exec_driver_sql)
            guards.install("sqlite", conn.exec_driver_sql)
    prev = hash_of(factory, 4, "prev_hash")
    with pytest.raises(sa.exc.DBAPIError, match="older than 365 days"), engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audit_anchors (seq, prev_hash, purged_rows, at) VALUES (4, :p, 3, :at)"
            ),
            {"p": prev, "at": utcnow()},
        )


# ---- the genuine purge ----------------------------------------------------------------


def test_a_genuine_purge_leaves_an_anchor_that_verifies(
    factory: sessionmaker[Session], cli: CliRunner
) -> None:
    add_rows(factory, 4, days_old=800)
    add_rows(factory, 3, days_old=400)
    add_rows(factory, 5, days_old=30)
    done = cli.invoke(cli_app, ["audit", "purge", "--keep-days", "365"])
    assert done.exit_code == 0 and "6 audit rows removed" in done.output, done.output
    with factory() as s:
        (anchor,) = s.scalars(sa.select(AuditAnchor))
        (purged,) = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "audit.purged"))
        first = s.scalar(sa.select(AuditEvent).where(AuditEvent.seq == 7))
        assert first is not None and first.at < utcnow() - timedelta(days=399)
        assert (anchor.seq, anchor.purged_rows, anchor.prev_hash) == (7, 6, first.prev_hash)
        assert anchor.at == purged.at and purged.seq == 13
        assert purged.detail is not None
        assert purged.detail["anchor"] == 7 and purged.detail["prev_hash"] == first.prev_hash
    ok = verify(cli, "--strict")
    assert ok.exit_code == 0, ok.output
    assert "audit log intact: 7 rows from row 7 (older rows purged)" in ok.output
    again = cli.invoke(cli_app, ["audit", "purge", "--keep-days", "365"])
    assert again.exit_code == 0 and "0 audit rows removed" in again.output
    found = audit.verify(factory())
    assert found.ok and (found.start, found.rows) == (7, 8) and not found.warnings


def test_a_purge_from_before_the_check_verifies_with_a_warning(
    engine: sa.Engine, factory: sessionmaker[Session], cli: CliRunner
) -> None:
    """An anchor written by hoptac before revision 0011 (anchored at the first row kept,
    its purge row naming no anchor) cannot prove its rows' age: a warning, fatal with
    --strict."""
    add_rows(factory, 3, days_old=800)
    add_rows(factory, 2, days_old=10)
    prev = hash_of(factory, 4, "prev_hash")
    with factory() as s, s.begin():
        detail = {"rows": 3, "keep_days": 365}
        audit.record(s, audit.Action.AUDIT_PURGED, username="(cli)", detail=detail)
    at = last_at(factory)
    tamper(
        engine,
        ("DELETE FROM audit_events WHERE seq < 4", {}),
        (
            "INSERT INTO audit_anchors (seq, prev_hash, purged_rows, at) VALUES (4, :p, 3, :at)",
            {"p": prev, "at": at},
        ),
    )
    found = audit.verify(factory())
    assert found.ok and len(found.warnings) == 1
    assert "before revision 0011" in found.warnings[0]
    warned = verify(cli)
    assert warned.exit_code == 0 and "warning: the anchor at row 4" in warned.output
    assert verify(cli, "--strict").exit_code == 1


# ---- the signed head ------------------------------------------------------------------


@pytest.fixture
def node(cli: CliRunner, tmp_path: Path) -> Path:
    """A node with an identity: its Ed25519 key signs the heads."""
    home = tmp_path / "node"
    r = cli.invoke(
        cli_app,
        [
            "init", "--node-id", "vn-mps", "--name", "Bộ Công an",
            "--url", "https://vn.example", "--data", str(home),
        ],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    return home


def take_head(cli: CliRunner, home: Path, out: Path) -> dict[str, Any]:
    r = cli.invoke(cli_app, ["audit", "head", "--output", str(out), "--data", str(home)])
    assert r.exit_code == 0, r.output
    statement: dict[str, Any] = json.loads(out.read_text())
    return statement


def test_a_signed_head_catches_the_newest_rows_cut_off(
    engine: sa.Engine, factory: sessionmaker[Session], cli: CliRunner, node: Path, tmp_path: Path
) -> None:
    after_init = len(audit_rows(factory))  # what `hoptac init` wrote
    add_rows(factory, 8)
    head = take_head(cli, node, tmp_path / "head.json")
    last = after_init + 8
    assert head["signature"] and head["node_id"] == "vn-mps" and head["seq"] == last
    assert head["hash"] == hash_of(factory, last)
    add_rows(factory, 2)  # rows added since: the head still holds
    ok = verify(cli, "--head", str(tmp_path / "head.json"), "--data", str(node))
    assert ok.exit_code == 0 and "matches the head" in ok.output, ok.output
    assert "signed by node vn-mps" in ok.output
    tamper(engine, ("DELETE FROM audit_events WHERE seq > 6", {}))
    assert audit.verify(factory()).ok  # a shorter chain, intact as far as it goes
    cut = verify(cli, "--head", str(tmp_path / "head.json"), "--data", str(node))
    assert cut.exit_code == 1
    assert f"the chain ends at row 6, before row {last} the head recorded" in cut.output


def test_a_signed_head_catches_a_rewritten_chain(
    engine: sa.Engine, factory: sessionmaker[Session], cli: CliRunner, node: Path, tmp_path: Path
) -> None:
    add_rows(factory, 5)
    head = take_head(cli, node, tmp_path / "head.json")
    with factory() as s:
        rows = list(s.scalars(sa.select(AuditEvent).order_by(AuditEvent.seq)))
    prev, statements = rows[0].row_hash, []
    for row in rows[1:]:  # row 2 edited, every hash after it recomputed
        if row.seq == 2:
            row.outcome = "rewritten"
        row.prev_hash = prev
        prev = row.row_hash = audit.digest(prev, row)
        statements.append(
            (
                "UPDATE audit_events SET outcome = :o, prev_hash = :p, row_hash = :h "
                "WHERE seq = :s",
                {"o": row.outcome, "p": row.prev_hash, "h": row.row_hash, "s": row.seq},
            )
        )
    tamper(engine, *statements)
    assert verify(cli).exit_code == 0  # consistent: the database alone cannot tell
    r = verify(cli, "--head", str(tmp_path / "head.json"), "--data", str(node))
    assert r.exit_code == 1
    assert f"row {head['seq']} no longer has the hash the head recorded" in r.output


@pytest.mark.parametrize("edit", ["hash", "seq", "unsigned", "other-key"])
def test_a_tampered_head_file_is_refused(
    factory: sessionmaker[Session], cli: CliRunner, node: Path, tmp_path: Path, edit: str
) -> None:
    add_rows(factory, 4)
    path = tmp_path / "head.json"
    head = take_head(cli, node, path)
    if edit == "hash":
        head["hash"] = hash_of(factory, 3)
        head["seq"] = 3  # another real row: only the signature tells
    elif edit == "seq":
        head["seq"] = 2
    elif edit == "unsigned":
        head["signature"] = None
    else:  # signed by another key, that key named in the file
        other = NodeKeys.generate()
        with factory() as s:
            head = audit.head_statement(s, node_id="vn-mps", signing=other.signing)
        assert head["signing_key"] == b64(other.signing_public)
    path.write_text(json.dumps(head))
    refused = verify(cli, "--head", str(path), "--data", str(node))
    assert refused.exit_code == 1, refused.output
    reason = "unsigned, but node vn-mps signs" if edit == "unsigned" else "does not verify"
    assert f"audit log does not match the head in {path}" in refused.output
    assert reason in refused.output, refused.output


def test_without_an_identity_the_head_is_unsigned_and_says_so(
    engine: sa.Engine, factory: sessionmaker[Session], cli: CliRunner, tmp_path: Path
) -> None:
    add_rows(factory, 5)
    home = tmp_path / "bare"
    head = take_head(cli, home, tmp_path / "head.json")
    assert head["signature"] is None and head["node_id"] is None
    r = cli.invoke(cli_app, ["audit", "head", "--data", str(home)])
    assert "unsigned: this node has no identity" in r.output
    ok = verify(cli, "--head", str(tmp_path / "head.json"), "--data", str(home))
    assert ok.exit_code == 0 and "unsigned (this node has no identity)" in ok.output
    tamper(engine, ("DELETE FROM audit_events WHERE seq = 5", {}))
    cut = verify(cli, "--head", str(tmp_path / "head.json"), "--data", str(home))
    assert cut.exit_code == 1 and "its newest rows were removed" in cut.output


def test_no_head_is_taken_of_a_broken_chain(
    engine: sa.Engine, factory: sessionmaker[Session], cli: CliRunner, tmp_path: Path
) -> None:
    add_rows(factory, 4)
    tamper(engine, ("UPDATE audit_events SET outcome = 'x' WHERE seq = 2", {}))
    r = cli.invoke(cli_app, ["audit", "head", "--data", str(tmp_path / "bare")])
    assert r.exit_code == 1 and "no head is written for a broken chain" in r.output


def test_a_head_whose_row_was_purged_within_the_year_is_refused(
    factory: sessionmaker[Session],
) -> None:
    """A chain rewritten with old dates and 'purged' past the head's row: the head is a day
    old, so its row cannot have been purged as the retention allows."""
    add_rows(factory, 4)
    with factory() as s:
        head = audit.head_statement(s, now=utcnow() - timedelta(days=1))
        found = audit.verify(s)
        forged = audit.Verdict(rows=2, head=found.head, start=6)  # rows 1-5 "purged"
        reason, _ = audit.check_head(s, head, forged)
        assert reason is not None and "younger than 365 days" in reason
        old = dict(head, at=(utcnow() - timedelta(days=400)).isoformat(timespec="seconds"))
        reason, what = audit.check_head(s, old, forged)
        assert reason is None and "purged since" in what
