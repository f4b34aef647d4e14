"""Backup and restore (`hoptac.db.backup`, `hoptac backup` / `hoptac restore`): a node —
every table of its database, the audit chain, its key files — round-trips exactly, on one
backend and from one to the other; a restore refuses what it cannot take whole, and then
has written nothing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import stat
import tarfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hoptac.auth import audit
from hoptac.cli.main import app
from hoptac.db import backup, migrate
from hoptac.db.engine import make_engine, make_sessionmaker
from hoptac.db.models import (
    Agency,
    ApiToken,
    AssistanceRequest,
    AuditAnchor,
    Base,
    Case,
    CaseEvent,
    CaseLink,
    CaseShare,
    Citation,
    CustodyTransfer,
    EnvelopeRow,
    EvidenceItem,
    ExchangeNode,
    ExchangePermission,
    Handover,
    HeldEvent,
    NameKey,
    Notice,
    NoticeShare,
    Peer,
    RecordShare,
    RecoveryCode,
    Register,
    RegisterRecord,
    RequestAttachment,
    RequestEvent,
    ScreeningHit,
    ScreeningJob,
    Source,
    User,
    UserSession,
)
from hoptac.errors import InvalidInput
from hoptac.exchange.keys import NodeKeys
from hoptac.registry import demo as demo_data
from hoptac.types import HitStatus, JobStatus, Precision, RegisterKind, Role, Sharing
from tests.conftest import add_agency, add_user, audit_rows, fresh_database, wipe

EXTRA_KEY = "totp.key"  # a key file NodeKeys does not write: every file of keys/ is kept


# ---- a node with a row in every table ---------------------------------------------------


def _fill(session: Session, home: Path) -> None:
    """The demo registry and its audit rows, plus a row of every other table, with values
    that are easy to get wrong: big and negative integers, bytes, JSON null beside SQL
    NULL, microseconds, rows that refer to later rows (agencies <-> sources, a hit
    carried from a later hit), ids freed by deletes."""
    demo_data.load(session)
    session.commit()
    agency = session.scalars(sa.select(Agency).order_by(Agency.id.desc())).first()
    source = session.scalars(sa.select(Source)).first()
    assert agency is not None and source is not None
    agency.source_id = source.id  # a row referring to a table restored after its own
    user_id = add_user(session, "lan.nguyen", Role.OFFICER, agency)
    session.add(RecoveryCode(user_id=user_id, code_hash="a" * 64))
    session.add(ApiToken(token_hash="b" * 64, user_id=user_id, expires_at=datetime(2031, 1, 2)))
    sessions = [UserSession(token_hash=c * 64, csrf_token="x", user_id=user_id) for c in "cd"]
    session.add_all(sessions)
    session.add(AuditAnchor(seq=1, prev_hash=audit.GENESIS, purged_rows=0))
    audit.record(
        session,
        audit.Action.RECORD_UPDATED,
        username="lan.nguyen",
        object_type="agency",
        object_id=agency.id,
        detail={"before": {"tên": "Công an", "n": 2**70}, "after": None, "list": [1.5, None]},
    )
    register = Register(owner_agency_id=agency.id, name="Khách sạn", kind=RegisterKind.HOTEL)
    notice = Notice(
        owner_agency_id=agency.id,
        ref="N-1",
        name="Vương Kiện",
        alt_names=["Wang Jian"],
        birth_on=date(1980, 5, 1),
        birth_precision=Precision.MONTH,
    )
    session.add_all([register, notice])
    session.flush()
    notice.sharing = Sharing.PARTNERS  # shared by name with the first agency
    first = session.scalars(sa.select(Agency.id).order_by(Agency.id)).first()
    session.add(RecordShare(record_type="notices", record_id=notice.id, agency_id=first))
    records = [
        RegisterRecord(register_id=register.id, ref=f"R-{i}", name="Wang Jian") for i in "12"
    ]
    job = ScreeningJob(
        owner_agency_id=agency.id,
        started_by="lan.nguyen",
        register_id=register.id,
        threshold=0.1 + 0.2,
        engine="python",
        status=JobStatus.DONE,
        started_at=datetime(2026, 1, 2, 3, 4, 5, 678901),
    )
    session.add_all([*records, job])
    session.flush()
    hits = [
        ScreeningHit(
            job_id=job.id,
            notice_id=notice.id,
            record_id=record.id,
            score=s,
            reasons="name",
            status=HitStatus.CONFIRMED,
        )
        for record, s in zip(records, (0.987654321012345, 1e-300), strict=True)
    ]
    session.add_all(hits)
    session.flush()
    hits[0].carried_from_id = hits[1].id  # a row referring to a later row of its table
    session.add_all(
        NameKey(key=k, kind=1, row_id=notice.id, scope=0, sig_a=-(2**63), sig_b=2**63 - 1, size=2)
        for k in (-(2**62), 2**62)
    )
    node = ExchangeNode(
        node_id="vn-test",
        name="Node",
        url="https://vn.example",
        agency_id=agency.id,
        signing_key="s",
        encryption_key="e",
    )
    peer = Peer(
        node_id="kr-busan",
        name="Busan",
        url="https://kr.example",
        signing_key="s",
        encryption_key="e",
        fingerprint="F",
        send_kinds=["message"],
        receive_kinds=[],
    )
    session.add_all([node, peer])
    session.flush()
    envelopes = [
        EnvelopeRow(
            envelope_id=f"01J{i:023d}",
            direction="out",
            peer_id=peer.id,
            kind="message",
            created_at=datetime(2026, 11, 26, 14, 0, i),
            handling="H1",
            reliability="A",
            accuracy=1,
            wire=bytes(range(256)) * (i + 1),
            sealed=b"\x00\xff" + b"\n" * i,
            status="sent",
            receipt=receipt,
        )
        for i, receipt in enumerate([{"ok": True}, sa.JSON.NULL, sa.null(), {"gone": 1}])
    ]
    session.add_all(envelopes)
    session.add(ExchangePermission(envelope_id="01J1", grantee="export", granted_by="01J2"))
    session.add(
        Citation(
            record_type="agency",
            record_id=agency.id,
            source_id=source.id,
            start=0,
            end=3,
            quote="Công",
        )
    )
    request = AssistanceRequest(
        uid="01J" + "R" * 23,
        side="receiving",
        agency_id=agency.id,
        peer_id=peer.id,
        kind="arrest",
        priority="P1",
        priority_reason="Sắp xuất cảnh",
        state="delivered",
        title="Bắt giữ",
        summary="Tóm tắt\n",
        measures=["bắt giữ"],
        persons=[{"name": "Vương Kiện", "birth": None}],
        created_by="kim@kr-busan",
        last_seq=2,
        received_at=datetime(2026, 12, 1, 8, 0, 0, 1),
        due_at=datetime(2026, 12, 1, 9, 0, 0, 1),
        due_name="acknowledge",
    )
    session.add(request)
    session.flush()
    session.add_all(
        [
            RequestEvent(
                request_id=request.id,
                uid=f"01J{i:023d}",
                seq=i,
                action=action,
                side=side,
                actor="kim@kr-busan",
                role=None,
                at=datetime(2026, 12, 1, 8, 0, 0, i),
                from_state="draft",
                to_state="sent",
                details={"text": None},
            )
            for i, (action, side) in enumerate(
                [("send", "requesting"), ("deliver", "receiving")], 1
            )
        ]
    )
    session.add(
        RequestAttachment(
            request_id=request.id,
            name="a.pdf",
            content_type="application/pdf",
            size=3,
            sha256="0" * 64,
            data=b"\x00\xff\n",
        )
    )
    case = Case(ref="HS-2026-00001", agency_id=agency.id, officer="lan.nguyen", title="Hồ sơ")
    session.add(case)
    session.flush()
    item = EvidenceItem(
        case_id=case.id,
        kind="file",
        description="Ảnh",
        name="a.jpg",
        size=2,
        sha256="f" * 64,
        data=b"\xff\xd8",
        holder="Đội 3",
        added_by="lan.nguyen",
    )
    session.add_all(
        [
            item,
            CaseLink(case_id=case.id, kind="request", ref=request.uid, added_by="lan.nguyen"),
            CaseEvent(case_id=case.id, actor="lan.nguyen", action="opened", detail={"n": None}),
            CaseShare(case_id=case.id, agency_id=agency.id, max_handling="H1", shared_by="lan"),
            NoticeShare(
                notice_id=notice.id,
                peer_id=peer.id,
                handling="H2",
                handling_note=None,
                shared_by="lan.nguyen",
                sent_version=1,
                sent_digest="e" * 64,
            ),
        ]
    )
    session.flush()
    session.add(
        CustodyTransfer(
            evidence_id=item.id,
            from_holder="Đội 3",
            to_holder="Viện KHHS",
            at=datetime(2026, 12, 2, 1, 2, 3, 4),
            place="Hà Nội",
            reason="giám định",
            recorded_by="lan.nguyen",
        )
    )
    session.add(
        Handover(
            request_id=request.id,
            persons=["Vương Kiện"],
            place="Móng Cái",
            at=datetime(2026, 12, 3, 9, 0),
            handing_agency="北京市公安局",
            receiving_agency="CATP Hà Nội",
            documents=[],
            recorded_by="kim@kr-busan",
        )
    )
    session.add(
        HeldEvent(
            request_uid=request.uid,
            event_uid="01J" + "H" * 23,
            seq=9,
            peer_id=peer.id,
            body={"step": {"seq": 9}},
            envelope_id="01J" + "E" * 23,
        )
    )
    session.commit()
    # ids given and freed: the next ids must not name them again
    session.delete(sessions[1])
    session.delete(envelopes[3])
    session.commit()
    NodeKeys.generate().save(home / "keys")
    fd = os.open(home / "keys" / EXTRA_KEY, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(b"sealing key\n")


def _tables(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, all columns, in primary-key order; a JSON column also
    says whether it is SQL NULL (a JSON null reads back as None too)."""
    out = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            nulls = [c.is_(None) for c in table.columns if isinstance(c.type, sa.JSON)]
            stmt = sa.select(*table.columns, *nulls).order_by(*table.primary_key.columns)
            out[table.name] = [tuple(row) for row in conn.execute(stmt)]
    return out


def _key_files(home: Path) -> dict[str, tuple[bytes, int]]:
    directory = home / "keys"
    if not directory.exists():
        return {}
    return {p.name: (p.read_bytes(), stat.S_IMODE(p.stat().st_mode)) for p in directory.iterdir()}


def _next_ids(engine: sa.Engine) -> tuple[int, int]:
    """The ids a new session and a new envelope get (rolled back)."""
    with make_sessionmaker(engine)() as s:
        user = s.scalars(sa.select(User)).first()
        peer = s.scalars(sa.select(Peer)).first()
        assert user is not None and peer is not None
        new_session = UserSession(token_hash="e" * 64, csrf_token="x", user_id=user.id)
        envelope = EnvelopeRow(
            envelope_id="01K" + "0" * 23,
            direction="in",
            peer_id=peer.id,
            kind="message",
            created_at=datetime(2026, 1, 1),
            handling="H1",
            reliability="A",
            accuracy=1,
            wire=b"w",
            sealed=b"s",
            status="received",
        )
        s.add_all([new_session, envelope])
        s.flush()
        ids = (new_session.id, envelope.seq)
        s.rollback()
    return ids


@pytest.fixture
def other(backend: str, tmp_path: Path) -> Iterator[sa.Engine]:
    """Another empty database of the same backend, migrated to head."""
    url, cleanup = fresh_database(backend, tmp_path)
    migrate.upgrade(url)
    eng = make_engine(url)
    yield eng
    eng.dispose()
    cleanup()


def _round_trip(source: sa.Engine, target: sa.Engine, tmp_path: Path) -> None:
    home, restored = tmp_path / "node", tmp_path / "restored"
    with make_sessionmaker(source)() as s:
        _fill(s, home)
        chain = audit.verify(s)
    assert chain.ok and chain.rows > 80
    before = _tables(source)
    assert [name for name, rows in before.items() if not rows] == [], (
        "every table must hold a row here, or its round trip is not proved: add one in _fill"
    )
    at = list(EnvelopeRow.__table__.columns).index(EnvelopeRow.__table__.c.receipt)
    receipts = [(row[at], row[-1]) for row in before["envelopes"]]  # (value, is SQL NULL)
    assert receipts == [({"ok": True}, False), (None, False), (None, True)]
    keys = _key_files(home)
    assert set(keys) == {"signing.key", "encryption.key", EXTRA_KEY}

    archive = tmp_path / "node.tar.gz"
    wrote = backup.backup(source, home, archive)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert _tables(source) == before  # a backup changes nothing
    assert wrote.rows == sum(len(rows) for rows in before.values())
    with tarfile.open(archive) as tar:
        assert tar.getmember("keys/signing.key").mode == 0o600
    manifest = json.loads(_read(archive, "manifest.json"))
    assert manifest["alembic_revision"] == backup.code_revision()
    assert {t["name"]: t["rows"] for t in manifest["tables"]} == {
        name: len(rows) for name, rows in before.items()
    }
    assert {f["name"]: f["mode"] for f in manifest["files"]} == dict.fromkeys(keys, "0600")

    read = backup.restore(target, restored, archive)
    assert read == wrote
    after = _tables(target)
    for name, rows in before.items():
        assert after[name] == rows, name
    assert _key_files(restored) == {name: (data, 0o600) for name, (data, _) in keys.items()}
    assert stat.S_IMODE((restored / "keys").stat().st_mode) == 0o700
    with make_sessionmaker(target)() as s:
        assert audit.verify(s) == chain


def test_a_backup_restores_the_node_exactly(
    engine: sa.Engine, factory: sessionmaker[Session], other: sa.Engine, tmp_path: Path
) -> None:
    _round_trip(engine, other, tmp_path)
    # the ids freed by deletes stay used (PostgreSQL sequences, SQLite AUTOINCREMENT)
    assert _next_ids(other) == _next_ids(engine)


def test_a_backup_restores_on_the_other_backend(
    backend: str, engine: sa.Engine, factory: sessionmaker[Session], tmp_path: Path
) -> None:
    url, cleanup = fresh_database("sqlite" if backend == "postgresql" else "postgresql", tmp_path)
    try:
        migrate.upgrade(url)
        target = make_engine(url)
        _round_trip(engine, target, tmp_path)
        target.dispose()
    finally:
        cleanup()


# ---- refusals: each leaves the target as it was -----------------------------------------


@pytest.fixture
def archive(
    engine: sa.Engine, world: dict[str, Any], factory: sessionmaker[Session], tmp_path: Path
) -> Path:
    """A small node's archive; then the test database is emptied to take a restore."""
    NodeKeys.generate().save(tmp_path / "node" / "keys")
    path = tmp_path / "node.tar.gz"
    backup.backup(engine, tmp_path / "node", path)
    with engine.begin() as conn:
        wipe(conn)
    return path


def _counts(engine: sa.Engine) -> dict[str, int]:
    """Rows per table (a restore only inserts), of a database at any revision."""
    with engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())
        return {
            t.name: conn.scalar(sa.select(sa.func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
            if t.name in present
        }


def _refused(engine: sa.Engine, home: Path, archive: Path, message: str) -> None:
    """The restore fails with `message`, and neither the database nor the keys changed."""
    before, keys = _counts(engine), _key_files(home)
    with pytest.raises(InvalidInput, match=message):
        backup.restore(engine, home, archive)
    assert _counts(engine) == before
    assert _key_files(home) == keys


def _read(archive: Path, name: str) -> bytes:
    with tarfile.open(archive) as tar:
        member = tar.extractfile(name)
        assert member is not None
        return member.read()


def _rewrite(archive: Path, change: dict[str, bytes]) -> None:
    """Replace members of the archive, or add them (name -> content)."""
    change = dict(change)
    with tarfile.open(archive) as tar:
        members = [(m, _read(archive, m.name)) for m in tar.getmembers()]
    with tarfile.open(archive, "w:gz") as tar:
        for member, data in members:
            data = change.pop(member.name, data)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
        for name, data in change.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _replace_table(archive: Path, name: str, rows: bytes) -> None:
    """A table's member replaced, and the manifest told (its checksum and row count)."""
    manifest = json.loads(_read(archive, "manifest.json"))
    entry = next(t for t in manifest["tables"] if t["name"] == name)
    entry["rows"], entry["sha256"] = rows.count(b"\n"), hashlib.sha256(rows).hexdigest()
    _rewrite(
        archive,
        {f"tables/{name}.jsonl": rows, "manifest.json": json.dumps(manifest).encode()},
    )


def test_restore_refuses_a_database_that_holds_data(
    archive: Path, engine: sa.Engine, session: Session, tmp_path: Path
) -> None:
    add_agency(session, "Công an tỉnh Lào Cai")
    session.commit()
    _refused(engine, tmp_path / "restored", archive, r"already holds data \(agencies\)")


def test_restore_refuses_a_tampered_member(
    archive: Path, engine: sa.Engine, tmp_path: Path
) -> None:
    users = _read(archive, "tables/users.jsonl")
    _rewrite(archive, {"tables/users.jsonl": users.replace(b"hue_viewer", b"hue_admin_")})
    _refused(engine, tmp_path / "restored", archive, "users.jsonl does not match its checksum")


def test_restore_refuses_an_archive_of_another_revision(
    archive: Path, backend: str, tmp_path: Path
) -> None:
    url, cleanup = fresh_database(backend, tmp_path)
    try:
        head = backup.code_revision()
        earlier = ScriptDirectory(str(migrate.MIGRATIONS)).get_revision(head).down_revision
        assert isinstance(earlier, str)
        migrate.upgrade(url, earlier)
        target = make_engine(url)
        message = f"archive is at revision {head}, the database at {earlier}"
        _refused(target, tmp_path / "restored", archive, message)
        target.dispose()
    finally:
        cleanup()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"manifest.json": b'{"format": "something-else"}'}, "not a hoptac-backup manifest"),
        ({"manifest.json": b"\x00not json"}, "unreadable manifest.json"),
        ({"stray.txt": b"x"}, "unexpected member stray.txt"),
        ({}, "not a whole tar.gz archive"),
        ({"cut": b""}, "not a whole tar.gz archive"),
    ],
)
def test_restore_refuses_a_file_that_is_not_a_backup(
    archive: Path, engine: sa.Engine, tmp_path: Path, change: dict[str, bytes], message: str
) -> None:
    if "cut" in change:  # a copy that stopped half-way
        archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    elif change:
        _rewrite(archive, change)
    else:
        archive.write_bytes(b"PK\x03\x04 a zip file, say")
    _refused(engine, tmp_path / "restored", archive, f"is not a hoptac backup: .*{message}")


def test_restore_never_overwrites_a_key_file(
    archive: Path, engine: sa.Engine, tmp_path: Path
) -> None:
    home = tmp_path / "restored"
    (home / "keys").mkdir(parents=True, mode=0o700)
    (home / "keys" / "signing.key").write_text("another node's key\n")
    _refused(engine, home, archive, "already holds signing.key: a restore never overwrites")


def test_a_restore_that_fails_half_way_leaves_nothing(
    archive: Path, engine: sa.Engine, tmp_path: Path
) -> None:
    # a well-formed archive whose last audit row is there twice: the rows before it
    # (agencies, users, ...) were inserted when the database refuses it, and roll back
    rows = _read(archive, "tables/audit_events.jsonl")
    _replace_table(archive, "audit_events", rows + rows.splitlines(keepends=True)[-1])
    _refused(engine, tmp_path / "restored", archive, "restore failed at table audit_events")


def test_a_failure_while_writing_the_keys_leaves_nothing(
    archive: Path, engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the key files are written after the rows, before the commit
    written: list[Path] = []
    real = backup.write_private

    def disk_full_at_the_second(path: Path, data: bytes) -> None:
        if written:
            raise OSError("disk full")
        real(path, data)
        written.append(path)

    monkeypatch.setattr(backup, "write_private", disk_full_at_the_second)
    with pytest.raises(OSError, match="disk full"):
        backup.restore(engine, tmp_path / "restored", archive)
    assert len(written) == 1 and not written[0].exists()
    assert set(_counts(engine).values()) == {0}


# ---- the command line ---------------------------------------------------------------------


def test_backup_and_restore_from_the_command_line(
    cli: CliRunner,
    backend: str,
    factory: sessionmaker[Session],
    demo: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    node, restored, archive = tmp_path / "node", tmp_path / "restored", tmp_path / "n.tar.gz"
    r = cli.invoke(
        app,
        [
            "init",
            "--node-id",
            "vn-mps",
            "--name",
            "Bộ Công an",
            "--url",
            "https://vn.example",
            "--agency",
            "vn-mps",
            "--data",
            str(node),
        ],
    )
    assert r.exit_code == 0, r.output
    card = cli.invoke(app, ["peer", "card", "--data", str(node)]).stdout
    verified = cli.invoke(app, ["audit", "verify", "--data", str(node)])
    head = re.search(r"head ([0-9a-f]{64})", verified.output)
    assert head, verified.output

    r = cli.invoke(app, ["backup", str(archive), "--data", str(node)])
    assert r.exit_code == 0, r.output
    files = len(list((node / "keys").iterdir()))
    assert f"{files} key files" in r.output and "private keys" in r.output
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    (backed_up,) = audit_rows(factory, "data.exported")
    assert backed_up.object_type == "backup" and backed_up.detail["archive"] == str(archive)
    r = cli.invoke(app, ["backup", str(archive), "--data", str(node)])
    assert r.exit_code == 1 and "exists: a backup never overwrites" in r.output

    url, cleanup = fresh_database(backend, tmp_path)
    try:
        monkeypatch.setenv("HOPTAC_DATABASE_URL", url)
        r = cli.invoke(app, ["restore", str(archive), "--data", str(restored)])
        assert r.exit_code == 1 and "no schema: run `hoptac db upgrade` first" in r.output
        assert cli.invoke(app, ["db", "upgrade", "--data", str(restored)]).exit_code == 0
        r = cli.invoke(app, ["restore", str(archive), "--data", str(restored)])
        assert r.exit_code == 0, r.output
        assert f"{files} key files restored" in r.output
        assert f"head {head.group(1)}" in r.output  # the chain as it was when backed up
        assert cli.invoke(app, ["peer", "card", "--data", str(restored)]).stdout == card
        r = cli.invoke(app, ["restore", str(archive), "--data", str(restored)])
        assert r.exit_code == 1, r.output
        assert "error: the database already holds data" in r.output
        assert "Traceback" not in r.output
    finally:
        make_engine(url).dispose()
        cleanup()
