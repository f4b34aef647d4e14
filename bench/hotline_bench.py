"""The hotline: messages node to node on loopback (two `hoptac serve` processes), on
SQLite and on PostgreSQL, beside the same count sent as plain HTTP POSTs (unsigned,
unencrypted, one durable SQLite row each: bench/plain_receiver.py) in the same run.

For each database:
- queueing: 10,000 messages queued as the app and the CLI queue them (one committed
  transaction each), nothing else running: messages/s (it must not be what limits the
  steady runs below);
- drain: those 10,000 delivered once both nodes start (signed, sealed, batched,
  receipted): sustained messages/s;
- steady: messages offered at 20, 100 and 500 a second for STEADY_SECONDS each (one
  committed transaction per message); delivery latency = receipt settled at the sender
  minus the envelope's time, p50 and p99, the rate offered and the rate delivered, and
  how many requests the receiver refused (429): a pinned partner must never meet one.
- plain (once): 10,000 bodies POSTed one by one to a minimal endpoint; messages/s and
  per-POST latency (what signing, sealing, receipts and the outbox cost, as a ratio).

PostgreSQL: a server at HOPTAC_BENCH_PG (default postgresql://postgres@127.0.0.1:5432),
where the bench creates and drops two databases; skipped, with the reason, if none answers.
`python bench/hotline_bench.py [--rates 20,100,500] [--databases sqlite,postgresql]`
runs this part alone.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import sqlalchemy as sa

from hoptac.db.engine import normalise_url

COUNT = 10_000
RATES = (20.0, 100.0, 500.0)  # messages/s offered in the steady runs
STEADY_SECONDS = 20.0
QUEUERS = 2  # processes that offer the steady load together
HOPTAC = [sys.executable, "-m", "hoptac.cli.main"]
TARGET = ">= 500 messages/s delivered at 500 offered, p99 <= 200 ms"
PG = os.environ.get("HOPTAC_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Node:
    """One node: its directory (keys, log) and its database (SQLite in the directory, or a
    PostgreSQL database of its own)."""

    def __init__(self, home: Path, node_id: str, name: str, database: str) -> None:
        self.home, self.node_id, self.name, self.port = home, node_id, name, _port()
        self.database = database
        self.log = home.parent / f"{node_id}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {**_env(), "HOPTAC_DATABASE_URL": self.database}

    def cli(self, *args: str) -> None:
        subprocess.run(
            [*HOPTAC, *args, "--data", str(self.home)], check=True, capture_output=True,
            env=self.env(),
        )  # fmt: skip

    def serve(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [*HOPTAC, "serve", "--data", str(self.home), "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env(),
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"node on {self.port} did not start: {self.log.read_text()[-500:]}")

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)
            self.proc = None


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("HOPTAC_")}


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)


def _databases(kind: str, root: Path) -> tuple[str, str]:
    if kind == "sqlite":
        return (
            f"sqlite:///{root / 'hanoi' / 'hoptac.db'}",
            f"sqlite:///{root / 'beijing' / 'hoptac.db'}",
        )
    admin = sa.create_engine(normalise_url(f"{PG}/postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            for name in ("hoptac_bench_hanoi", "hoptac_bench_beijing"):
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
    finally:
        admin.dispose()
    return f"{PG}/hoptac_bench_hanoi", f"{PG}/hoptac_bench_beijing"


def _drop_databases(kind: str) -> None:
    if kind == "sqlite":
        return
    admin = sa.create_engine(normalise_url(f"{PG}/postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in ("hoptac_bench_hanoi", "hoptac_bench_beijing"):
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


def _pg_reason() -> str | None:
    """Why PostgreSQL cannot be benched here, or None."""
    try:
        engine = sa.create_engine(normalise_url(f"{PG}/postgres"))
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        return f"no PostgreSQL at {PG}: {type(exc).__name__}"
    return None


def _nodes(root: Path, kind: str) -> tuple[Node, Node]:
    db_a, db_b = _databases(kind, root)
    a = Node(root / "hanoi", "vn-hanoi-pd", "CATP Hà Nội", db_a)
    b = Node(root / "beijing", "cn-beijing-psb", "北京市公安局", db_b)
    for node in (a, b):
        node.cli("init", "--node-id", node.node_id, "--name", node.name, "--url", node.url)
    for me, other in ((a, b), (b, a)):
        card = root / f"{other.node_id}.json"
        other.cli("peer", "card", "--output", str(card))
        me.cli("peer", "add", str(card), "--yes")
    return a, b


def _queue(database: str, home: Path, count: int, rate: float | None, first: int = 0) -> float:
    """Queue `count` messages on the node at `home` (its `database`), one transaction
    each, at `rate` per second (None: as fast as the database takes them); returns the
    rate achieved."""
    from hoptac.auth.principal import Principal
    from hoptac.db.engine import make_engine, make_sessionmaker
    from hoptac.exchange import hotline, identity
    from hoptac.types import Role

    factory = make_sessionmaker(make_engine(database))
    with factory() as s:
        keys = identity.load_keys(s, home / "keys")
        who = Principal(None, "bench", identity.this_node(s).agency_id, Role.OFFICER)
    body = "Đề nghị xác minh nhân thân đối tượng. " * 8  # ~300 characters, a typical note
    start = time.perf_counter()
    for i in range(count):
        if rate is not None:
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        with factory() as s:
            subject = f"Tin {first + i}"
            hotline.send_message(s, keys, who, to="cn-beijing-psb", subject=subject, text=body)
            s.commit()
    achieved = count / (time.perf_counter() - start)
    factory.kw["bind"].dispose()
    return achieved


def _offer(node: Node, count: int, rate: float) -> float:
    """`count` messages offered at `rate` a second by QUEUERS processes together (as many
    officers queue through the app at once; one serial client cannot offer 500 a second
    on PostgreSQL, see the queueing line); returns the rate offered in all."""
    share = count // QUEUERS
    with ProcessPoolExecutor(QUEUERS, mp_context=multiprocessing.get_context("fork")) as pool:
        start = time.perf_counter()
        jobs = [
            pool.submit(_queue, node.database, node.home, share, rate / QUEUERS, k * share)
            for k in range(QUEUERS)
        ]
        for job in jobs:
            job.result()
        return share * QUEUERS / (time.perf_counter() - start)


def _times(node: Node, since: datetime | None = None) -> list[tuple[datetime, datetime]]:
    """(created, delivered) of the messages delivered, created at or after `since`."""
    engine = sa.create_engine(normalise_url(node.database))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT created_at, delivered_at FROM envelopes WHERE direction = 'out' "
                "AND kind = 'message' AND status = 'delivered'"
            )
        ).all()
    engine.dispose()

    def parse(value: object) -> datetime:
        return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))

    pairs = [(parse(c), parse(d)) for c, d in rows]
    return [(c, d) for c, d in pairs if since is None or c >= since]


def _delivered(node: Node, since: datetime | None = None) -> list[float]:
    """Delivery latencies (ms) of the messages created at or after `since`."""
    return [(d - c).total_seconds() * 1000 for c, d in _times(node, since)]


def _delivery_rate(times: list[tuple[datetime, datetime]]) -> float:
    """Messages delivered a second, from the first receipt to the last: what the exchange
    kept up with (at most what was offered)."""
    delivered = sorted(d for _, d in times)
    span = (delivered[-1] - delivered[0]).total_seconds()
    return (len(delivered) - 1) / span if span > 0 else float("nan")


def _wait_all(node: Node, count: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while len(_delivered(node)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(_delivered(node))} of {count} delivered")
        time.sleep(0.2)


def _refusals(log: Path) -> int:
    """Lines in a log that tell of a request refused for the rate (receiver) or met (sender)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return text.count("rate limit:") + text.count("HTTP 429")


def _one_database(kind: str, rates: tuple[float, ...]) -> dict[str, float]:
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        a, b = _nodes(root, kind)
        try:
            queue_rate = _queue(a.database, a.home, COUNT, None)
            b.serve()
            t = time.perf_counter()
            a.serve()
            _wait_all(a, COUNT)
            drain = COUNT / (time.perf_counter() - t)
            print(
                f"  [{kind}] queueing by one client (one transaction each, nodes stopped): "
                f"{queue_rate:,.0f} messages/s"
            )
            print(f"  [{kind}] drain: {COUNT:,} queued, then delivered at {drain:,.0f} messages/s")
            results[f"hotline_{kind}_queueing_messages_per_s"] = round(queue_rate, 1)
            results[f"hotline_{kind}_drain_messages_per_s"] = round(drain, 1)
            done = COUNT
            for rate in rates:
                count = int(rate * STEADY_SECONDS) // QUEUERS * QUEUERS
                since = datetime.now(UTC).replace(tzinfo=None)
                offered = _offer(a, count, rate)
                done += count
                _wait_all(a, done)
                times = _times(a, since)
                delivered_rate = _delivery_rate(times)
                steady = [(d - c).total_seconds() * 1000 for c, d in times]
                p50, p99 = float(np.percentile(steady, 50)), float(np.percentile(steady, 99))
                refused = _refusals(a.log) + _refusals(b.log)
                print(
                    f"  [{kind}] {rate:.0f}/s asked, {offered:,.0f}/s offered: "
                    f"{delivered_rate:,.0f} delivered/s, latency p50 {p50:.0f} ms, "
                    f"p99 {p99:.0f} ms ({len(steady):,} messages; 429s: {refused})"
                )
                key = f"hotline_{kind}_{rate:.0f}"
                results[f"{key}_delivered_per_s"] = round(delivered_rate, 1)
                results[f"{key}_p50_ms"] = round(p50, 1)
                results[f"{key}_p99_ms"] = round(p99, 1)
                results[f"{key}_refused"] = refused
        finally:
            for node in (a, b):
                node.stop()
            _drop_databases(kind)
    return results


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


def run(
    rates: tuple[float, ...] = RATES, databases: tuple[str, ...] = ("sqlite", "postgresql")
) -> dict[str, float]:
    print(f"\nhotline (messages node to node, two processes on loopback; target {TARGET}):")
    results: dict[str, float] = {}
    for kind in databases:
        reason = _pg_reason() if kind == "postgresql" else None
        if reason:
            print(f"  [{kind}] skipped: {reason}")
            continue
        results.update(_one_database(kind, rates))
    with tempfile.TemporaryDirectory() as tmp:
        plain_rate, plain_p50, plain_p99 = _plain(Path(tmp))
    print(
        f"  plain HTTP POSTs (unsigned, unencrypted, one durable row each): "
        f"{plain_rate:,.0f} messages/s, p50 {plain_p50:.1f} ms, p99 {plain_p99:.1f} ms"
    )
    if "hotline_sqlite_drain_messages_per_s" in results:
        ratio = results["hotline_sqlite_drain_messages_per_s"] / plain_rate
        print(f"  hoptac drain (SQLite) / plain: {ratio:.2f}x")
    results["hotline_plain_messages_per_s"] = round(plain_rate, 1)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the hotline benchmark alone")
    parser.add_argument("--rates", default=",".join(f"{r:.0f}" for r in RATES))
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    run(
        tuple(float(r) for r in args.rates.split(",")),
        tuple(d.strip() for d in args.databases.split(",")),
    )
