"""Two real nodes, each its own `hoptac serve` process on loopback, exchanging over HTTP;
then the faults: the receiver SIGKILLed with 1,000 messages in flight, the sender killed
mid-batch, a tampered envelope. Messages are sent and listed with the commands an
operator uses (`hoptac hotline send`, `hoptac hotline list --json`)."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from hoptac.cli.main import app as cli_app
from hoptac.settings import get_settings
from tests.helpers.nodes import NodeProcess, run_cli, wait_for

MARKER = "NODE-PLAINTEXT-MARKER-42"


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    a = NodeProcess(tmp_path / "hanoi", "vn-hanoi-pd", "Công an thành phố Hà Nội")
    b = NodeProcess(tmp_path / "beijing", "cn-beijing-psb", "北京市公安局")
    for me, other in ((a, b), (b, a)):
        card = tmp_path / f"{other.node_id}.card.json"
        run_cli("peer", "card", "--data", str(other.home), "--output", str(card))
        run_cli("peer", "add", str(card), "--data", str(me.home), "--yes")
    yield a, b
    for node in (a, b):
        node.stop()
    for node in (a, b):  # nothing any node logged reveals a message
        if node.log.exists():
            assert MARKER not in node.log.read_text(errors="replace")


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., str]]:
    """`hoptac ...` in this process (a thousand sends take seconds, not minutes)."""
    runner = CliRunner()
    monkeypatch.delenv("HOPTAC_DATABASE_URL", raising=False)
    monkeypatch.setenv("HOPTAC_HOME", os.getcwd())  # restored (and re-read) afterwards

    def invoke(*args: str) -> str:
        result = runner.invoke(cli_app, list(args))
        assert result.exit_code == 0, result.output
        return result.stdout

    yield invoke
    get_settings.cache_clear()


def _send(cli: Callable[..., str], a: NodeProcess, b: NodeProcess, n: int) -> list[str]:
    return [
        cli(
            "hotline",
            "send",
            "--data",
            str(a.home),
            "--to",
            b.node_id,
            "--subject",
            f"Yêu cầu {i}",
            "--body",
            f"Nội dung {i} {MARKER}",
        ).strip()
        for i in range(n)
    ]


def _statuses(cli: Callable[..., str], node: NodeProcess) -> dict[str, str]:
    listed = json.loads(cli("hotline", "list", "--data", str(node.home), "--json"))
    return {m["id"]: m["status"] for m in listed if m["direction"] == "out"}


def test_two_nodes_exchange_messages_over_http(
    pair: tuple[NodeProcess, NodeProcess], cli: Callable[..., str]
) -> None:
    a, b = pair
    a.start()
    b.start()
    sent = run_cli(
        "hotline",
        "send",
        "--data",
        str(a.home),
        "--to",
        b.node_id,
        "--subject",
        "Truy nã",
        "--body",
        f"Đối tượng Vương Kiện {MARKER}",
        "--priority",
        "urgent",
        "--handling",
        "H2",
    ).strip()
    wait_for("delivery", lambda: _statuses(cli, a).get(sent) == "delivered")
    listed = json.loads(run_cli("hotline", "list", "--data", str(b.home), "--json"))
    assert [
        (m["id"], m["direction"], m["priority"], m["handling"], m["status"]) for m in listed
    ] == [(sent, "in", "urgent", "H2", "new")]
    shown = json.loads(run_cli("hotline", "read", sent, "--data", str(b.home), "--json"))
    assert MARKER in shown["text"] and shown["needs_ack"]
    wait_for("the read note", lambda: _statuses(cli, a).get(sent) == "read")
    reply = run_cli(
        "hotline",
        "send",
        "--data",
        str(b.home),
        "--to",
        a.node_id,
        "--subject",
        "Re",
        "--body",
        "Đã nhận",
        "--reply-to",
        sent,
    ).strip()
    wait_for("the answer", lambda: _statuses(cli, a).get(sent) == "answered")
    assert reply in a.received()
    # the databases and key files are the account's own
    for node in (a, b):
        assert (node.home / "hoptac.db").stat().st_mode & 0o077 == 0
        assert (node.home / "keys" / "signing.key").stat().st_mode & 0o077 == 0
        assert MARKER.encode() not in (node.home / "hoptac.db").read_bytes()


def test_receiver_killed_with_1000_in_flight_gets_each_exactly_once(
    pair: tuple[NodeProcess, NodeProcess], cli: Callable[..., str]
) -> None:
    a, b = pair
    ids = _send(cli, a, b, 1000)  # queued while the sender is not running yet
    b.start()
    a.start(HOPTAC_EXCHANGE_BATCH="25")
    wait_for("the first deliveries", lambda: len(b.received()) >= 50, 60)
    b.kill()
    partial = len(b.received())
    assert 0 < partial < 1000, partial
    time.sleep(1.0)  # the sender meets a dead peer and backs off
    b.start()
    wait_for("every delivery", lambda: set(_statuses(cli, a).values()) == {"delivered"})
    got = b.received()
    assert len(got) == 1000 and sorted(got) == sorted(ids)  # each once, none lost
    assert _statuses(cli, a) == dict.fromkeys(ids, "delivered")
    # in the order sent (per-peer ordering)
    in_order = [r[0] for r in b.sql("SELECT envelope_id FROM envelopes ORDER BY seq")]
    assert in_order == ids


def test_sender_killed_mid_batch_loses_nothing(
    pair: tuple[NodeProcess, NodeProcess], cli: Callable[..., str]
) -> None:
    a, b = pair
    ids = _send(cli, a, b, 600)
    b.start()
    a.start(HOPTAC_EXCHANGE_BATCH="20")
    wait_for("the first deliveries", lambda: len(b.received()) >= 40, 60)
    a.kill()
    assert len(b.received()) < 600
    a.start(HOPTAC_EXCHANGE_BATCH="20")
    wait_for("every delivery", lambda: set(_statuses(cli, a).values()) == {"delivered"})
    assert sorted(b.received()) == sorted(ids)
    in_order = [r[0] for r in b.sql("SELECT envelope_id FROM envelopes ORDER BY seq")]
    assert in_order == ids  # each once, in the order queued


def test_a_tampered_envelope_is_rejected_and_audited(
    pair: tuple[NodeProcess, NodeProcess], cli: Callable[..., str]
) -> None:
    a, b = pair
    sent = _send(cli, a, b, 1)[0]  # queued; A's sender is not running: we post it by hand
    b.start()
    (wire,) = a.sql(f"SELECT wire FROM envelopes WHERE envelope_id = '{sent}'")[0]
    good = json.loads(wire)
    for field in ("payload", "sig"):
        tampered = dict(good)
        raw = bytearray(base64.b64decode(good[field]))
        raw[len(raw) // 3] ^= 0x04  # one flipped bit
        tampered[field] = base64.b64encode(bytes(raw)).decode()
        answer = httpx.post(b.url + "/exchange/v1/inbox", json={"envelopes": [tampered]}).json()
        assert answer["receipts"] == []
        assert [(r["id"], r["code"]) for r in answer["rejected"]] == [(sent, "bad_signature")]
    assert b.received() == []
    audited = b.sql("SELECT outcome, detail FROM audit_events WHERE action = 'exchange.rejected'")
    assert [(o, json.loads(d)["codes"]) for o, d in audited] == [("denied", ["bad_signature"])] * 2
    # the genuine one still goes through, and garbage gets a clear 4xx
    answer = httpx.post(b.url + "/exchange/v1/inbox", json={"envelopes": [good]}).json()
    assert [r["envelope"] for r in answer["receipts"]] == [sent]
    junk = httpx.post(b.url + "/exchange/v1/inbox", content=b"\x00\xff not json")
    assert junk.status_code == 422 and "JSON" in junk.json()["detail"]


def _queue_steadily(node: NodeProcess, to: str, count: int, seconds: float) -> list[str]:
    """Queue `count` messages on `node` over `seconds`, one committed transaction each (as
    officers do through the app), from this process while the node's own sender runs."""
    from hoptac.auth.principal import Principal
    from hoptac.db.engine import make_engine, make_sessionmaker
    from hoptac.exchange import hotline, identity
    from hoptac.types import Role

    engine = make_engine(f"sqlite:///{node.home / 'hoptac.db'}")
    factory = make_sessionmaker(engine)
    with factory() as s:
        keys = identity.load_keys(s, node.home / "keys")
        who = Principal(None, "guard", identity.this_node(s).agency_id, Role.OFFICER)
    ids = []
    start = time.monotonic()
    for i in range(count):
        delay = start + i * seconds / count - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        with factory() as s:
            row = hotline.send_message(s, keys, who, to=to, subject=f"Tin {i}", text=MARKER)
            s.commit()
            ids.append(row.envelope_id)
    engine.dispose()
    return ids


def test_a_steady_stream_to_a_pinned_partner_is_never_throttled(
    pair: tuple[NodeProcess, NodeProcess], cli: Callable[..., str]
) -> None:
    """The hotline regression's guard: 600 messages queued steadily over 30 s (20 a second,
    far more POSTs a minute than the inbox's anonymous limit of 120) all reach the partner,
    and the partner never answers 429: a signed batch from a pinned peer is not an
    anonymous request. Not a timing test: it counts refusals and deliveries."""
    a, b = pair
    b.start()
    a.start(HOPTAC_EXCHANGE_MAX_BACKOFF_SECONDS="30")
    ids = _queue_steadily(a, b.node_id, 600, 30.0)
    wait_for("every delivery", lambda: set(_statuses(cli, a).values()) == {"delivered"})
    assert sorted(b.received()) == sorted(ids)
    assert "rate limit:" not in b.log.read_text()  # the receiver refused no request...
    assert "HTTP 429" not in a.log.read_text()  # ... and the sender never met one (its line)
    assert a.sql("SELECT failures, retry_at, last_error FROM exchange_peers") == [(0, None, None)]
