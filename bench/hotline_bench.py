"""The hotline: 10,000 messages node to node on loopback (two `hoptac serve` processes),
beside the same count sent as plain HTTP POSTs (unsigned, unencrypted, one durable
SQLite row each: bench/plain_receiver.py) in the same run.

Three numbers for hoptac:
- drain: 10,000 messages queued while the sender is stopped, then delivered (signed,
  sealed, batched, receipted): sustained messages/s;
- latency: 10,000 messages offered at a steady OFFERED rate (one committed transaction per
  message, as the app and the CLI queue them); delivery latency = receipt settled at the
  sender minus the envelope's time, p50 and p99, and the rate delivered;
- plain: the same 10,000 bodies POSTed one by one to a minimal endpoint; messages/s and
  per-POST latency (what signing, sealing, receipts and the outbox cost, as a ratio).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import sqlalchemy as sa

COUNT = 10_000
OFFERED = 500.0  # messages/s offered in the latency run (the target rate)
HOPTAC = [sys.executable, "-m", "hoptac.cli.main"]
TARGET = ">= 500 messages/s and p99 <= 200 ms"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HOPTAC_")}


def _cli(*args: str) -> None:
    subprocess.run([*HOPTAC, *args], check=True, capture_output=True, env=_env())


def _serve(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [*HOPTAC, "serve", "--data", str(home), "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_env(),
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"node on {port} did not start: {log.read_text()[-500:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)


def _nodes(root: Path) -> tuple[Path, Path, int, int]:
    a, b = root / "hanoi", root / "beijing"
    pa, pb = _port(), _port()
    _cli("init", "--data", str(a), "--node-id", "vn-hanoi-pd", "--name", "CATP Hà Nội",
         "--url", f"http://127.0.0.1:{pa}")  # fmt: skip
    _cli("init", "--data", str(b), "--node-id", "cn-beijing-psb", "--name", "北京市公安局",
         "--url", f"http://127.0.0.1:{pb}")  # fmt: skip
    for me, other in ((a, b), (b, a)):
        card = root / f"{other.name}.json"
        _cli("peer", "card", "--data", str(other), "--output", str(card))
        _cli("peer", "add", str(card), "--data", str(me), "--yes")
    return a, b, pa, pb


def _queue(home: Path, count: int, rate: float | None) -> None:
    """Queue `count` messages on node `home`, one transaction each, at `rate` per second
    (None: as fast as the database takes them)."""
    from hoptac.auth.principal import Principal
    from hoptac.db.engine import make_engine, make_sessionmaker
    from hoptac.exchange import service
    from hoptac.types import Role

    factory = make_sessionmaker(make_engine(f"sqlite:///{home / 'hoptac.db'}"))
    with factory() as s:
        keys = service.load_keys(s, home / "keys")
        who = Principal(None, "bench", service.this_node(s).agency_id, Role.OFFICER)
    body = "Đề nghị xác minh nhân thân đối tượng. " * 8  # ~300 characters, a typical note
    start = time.perf_counter()
    for i in range(count):
        if rate is not None:
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        with factory() as s:
            service.send_message(s, keys, who, to="cn-beijing-psb", subject=f"Tin {i}", text=body)
            s.commit()
    factory.kw["bind"].dispose()


def _delivered(home: Path, since: datetime | None = None) -> list[float]:
    """Delivery latencies (ms) of the messages created at or after `since`."""
    engine = sa.create_engine(f"sqlite:///{home / 'hoptac.db'}")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT created_at, delivered_at FROM envelopes WHERE direction = 'out' "
                "AND kind = 'message' AND status = 'delivered'"
            )
        ).all()
    engine.dispose()
    parse = datetime.fromisoformat
    pairs = [(parse(str(c)), parse(str(d))) for c, d in rows]
    return [(d - c).total_seconds() * 1000 for c, d in pairs if since is None or c >= since]


def _wait_all(home: Path, count: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while len(_delivered(home)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(_delivered(home))} of {count} delivered")
        time.sleep(0.2)


def _plain(root: Path) -> tuple[float, float, float]:
    """(messages/s, p50 ms, p99 ms) of plain POSTs to bench/plain_receiver.py."""
    port = _port()
    log = root / "plain.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).with_name("plain_receiver.py")),
                str(root / "plain.db"),
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/messages"
    deadline = time.monotonic() + 30
    with httpx.Client() as client:
        while True:
            try:
                client.get(f"http://127.0.0.1:{port}/", timeout=0.5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        body = "Đề nghị xác minh nhân thân đối tượng. " * 8
        times = []
        start = time.perf_counter()
        for i in range(COUNT):
            t = time.perf_counter()
            client.post(url, json={"to": "cn-beijing-psb", "subject": f"Tin {i}", "text": body})
            times.append((time.perf_counter() - t) * 1000)
        seconds = time.perf_counter() - start
    _stop(proc)
    return COUNT / seconds, float(np.percentile(times, 50)), float(np.percentile(times, 99))


def run() -> dict[str, float]:
    print(f"\nhotline ({COUNT:,} messages node to node, two processes on loopback):")
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        a, b, pa, pb = _nodes(root)
        # drain: queued first, then both nodes started
        t = time.perf_counter()
        _queue(a, COUNT, None)
        queue_rate = COUNT / (time.perf_counter() - t)
        node_b = _serve(b, pb, root / "b.log")
        t = time.perf_counter()
        node_a = _serve(a, pa, root / "a.log")
        _wait_all(a, COUNT)
        drain = COUNT / (time.perf_counter() - t)
        print(f"  queueing (one transaction each): {queue_rate:,.0f} messages/s")
        print(f"  drain: {COUNT:,} queued, then delivered at {drain:,.0f} messages/s")
        # latency at a steady offered rate
        since = datetime.now(UTC).replace(tzinfo=None)
        t = time.perf_counter()
        _queue(a, COUNT, OFFERED)
        _wait_all(a, 2 * COUNT)
        steady_rate = COUNT / (time.perf_counter() - t)
        steady = _delivered(a, since)
        p50, p99 = np.percentile(steady, 50), np.percentile(steady, 99)
        print(
            f"  steady {OFFERED:.0f} messages/s offered: {steady_rate:,.0f} delivered/s, "
            f"delivery latency p50 {p50:.0f} ms, p99 {p99:.0f} ms ({len(steady):,} messages)"
        )
        for proc in (node_a, node_b):
            _stop(proc)
        plain_rate, plain_p50, plain_p99 = _plain(root)
        print(
            f"  plain HTTP POSTs (unsigned, unencrypted, one durable row each): "
            f"{plain_rate:,.0f} messages/s, p50 {plain_p50:.1f} ms, p99 {plain_p99:.1f} ms"
        )
        print(f"  hoptac drain / plain: {drain / plain_rate:.2f}x;  target: {TARGET}")
    results["hotline_drain_messages_per_s"] = round(drain, 1)
    results["hotline_steady_messages_per_s"] = round(steady_rate, 1)
    results["hotline_p50_ms"] = round(float(p50), 1)
    results["hotline_p99_ms"] = round(float(p99), 1)
    results["hotline_plain_messages_per_s"] = round(plain_rate, 1)
    return results


if __name__ == "__main__":
    run()
