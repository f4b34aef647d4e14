"""Requests for assistance: the service-level view over 100,000 requests across 20 partners
(target p95 under 300 ms, SQLite and PostgreSQL), and the throughput of steps between two
nodes (each step taken, queued, received and applied by the other node, in one process:
the work of both nodes' databases, without HTTP).

PostgreSQL: a server at HOPTAC_BENCH_PG (default postgresql://postgres@127.0.0.1:5432);
skipped with its reason where none answers.

`python bench/assistance_bench.py [--requests 100000] [--databases sqlite,postgresql]`
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hoptac import (
    capabilities,  # noqa: F401 (the inbox handlers)
    ulid,
)
from hoptac.assistance import service, sla
from hoptac.auth.principal import Principal
from hoptac.db import migrate
from hoptac.db.engine import make_engine, make_sessionmaker, normalise_url, transaction
from hoptac.db.models import AssistanceRequest, EnvelopeRow, Peer
from hoptac.exchange import identity, inbox, outbox, peering
from hoptac.exchange.keys import NodeKeys, b64
from hoptac.types import Role

PG = "postgresql://postgres@127.0.0.1:5432"
TARGET_MS = 300.0
PARTNERS = 20
KINDS = ["message", "request"]


def _url(kind: str, root: Path, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{root / (name + '.db')}"
    admin = sa.create_engine(normalise_url(f"{PG}/postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return f"{PG}/{name}"


def _drop(kind: str, *names: str) -> None:
    if kind == "sqlite":
        return
    admin = sa.create_engine(normalise_url(f"{PG}/postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


def _pg_reason() -> str | None:
    try:
        engine = sa.create_engine(normalise_url(f"{PG}/postgres"))
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        return f"no PostgreSQL at {PG}: {type(exc).__name__}"
    return None


def _card(node_id: str, keys: NodeKeys) -> dict[str, Any]:
    from hoptac.db.models import ExchangeNode

    node = ExchangeNode(
        node_id=node_id,
        name=node_id,
        url=f"https://{node_id}.example",
        signing_key=b64(keys.signing_public),
        encryption_key=b64(keys.encryption_public),
    )
    return identity.card(node, keys)


def _node(url: str, home: Path, node_id: str) -> tuple[Any, NodeKeys]:
    migrate.upgrade(url)
    factory = make_sessionmaker(make_engine(url))
    with transaction(factory) as s:
        _, keys = identity.init_node(
            s, home / "keys", node_id=node_id, name=node_id, url=f"https://{node_id}.example"
        )
    return factory, keys


def _officer(factory: Any) -> Principal:
    with factory() as s:
        return Principal(None, "officer", identity.this_node(s).agency_id, Role.OFFICER)


def sla_view(kind: str, count: int, root: Path) -> dict[str, float]:
    """`count` requests across 20 partners, both ways, over two years; the SLA view timed."""
    url = _url(kind, root, "hoptac_bench_sla")
    try:
        factory, _ = _node(url, root / "sla", "vn-hanoi-pd")
        rng = random.Random(7)
        with transaction(factory) as s:
            for i in range(PARTNERS):
                peering.add_peer(s, _card(f"cn-partner-{i:02d}", NodeKeys.generate()))
            agency = identity.this_node(s).agency_id
            peers = [p.id for p in s.scalars(sa.select(Peer))]
        start = datetime(2025, 1, 1)
        states = ["closed"] * 8 + ["answered", "in_execution", "acknowledged", "delivered"]
        rows = []
        for _ in range(count):
            received = start + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
            state = rng.choice(states)
            acked = received + timedelta(minutes=rng.randrange(10, 3000))
            answered = acked + timedelta(hours=rng.randrange(1, 400))
            rows.append(
                {
                    "uid": ulid.new(),
                    "side": rng.choice(("requesting", "receiving")),
                    "agency_id": agency,
                    "peer_id": rng.choice(peers),
                    "kind": "locate",
                    "priority": rng.choice(("P1", "P2", "P3")),
                    "state": state,
                    "title": "t",
                    "summary": "s",
                    "measures": [],
                    "persons": [],
                    "handling": "H0",
                    "reliability": "B",
                    "accuracy": 2,
                    "created_by": "bench",
                    "last_seq": 3,
                    "received_at": received,
                    "acknowledged_at": None if state == "delivered" else acked,
                    "answered_at": answered if state in ("closed", "answered") else None,
                    "due_at": None if state == "closed" else received + timedelta(days=7),
                    "quarter": received.year * 10 + (received.month - 1) // 3 + 1,
                    "ack_seconds": None
                    if state == "delivered"
                    else int((acked - received).total_seconds()),
                    "answer_seconds": int((answered - received).total_seconds())
                    if state in ("closed", "answered")
                    else None,
                    "paused": False,
                    "version": 1,
                    "created_at": received,
                    "updated_at": received,
                }
            )
        with transaction(factory) as s:
            for i in range(0, len(rows), 5000):
                s.execute(sa.insert(AssistanceRequest), rows[i : i + 5000])
        if kind == "postgresql":
            with factory() as s:
                s.execute(sa.text("ANALYZE assistance_requests"))
                s.commit()
        principal = _officer(factory)
        times = []
        for _ in range(21):
            with factory() as s:
                t0 = time.perf_counter()
                lines = sla.levels(s, principal)
                times.append((time.perf_counter() - t0) * 1000)
        times = sorted(times[1:])  # the first warms the caches
        p95 = times[int(0.95 * len(times)) - 1]
        print(
            f"  {kind}: SLA view over {count:,} requests, {PARTNERS} partners "
            f"({len(lines)} lines): median {statistics.median(times):.0f} ms, "
            f"p95 {p95:.0f} ms (target {TARGET_MS:.0f})"
        )
        factory.kw["bind"].dispose()
        return {f"assistance_sla_p95_ms_{kind}": round(p95, 1)}
    finally:
        _drop(kind, "hoptac_bench_sla")


def _deliver(src: Any, dst: Any, dst_keys: NodeKeys, dst_id: str) -> int:
    with src() as s:
        peer = peering.peer_by_node(s, dst_id)
        batch = outbox.next_batch(s, peer, 1000, 10_000_000)
        wires = [json.loads(r.wire) for r in batch]
    if not wires:
        return 0
    with transaction(dst) as s:
        received = inbox.receive(s, dst_keys, wires)
    with transaction(src) as s:
        peer = peering.peer_by_node(s, dst_id)
        rows = list(
            s.scalars(sa.select(EnvelopeRow).where(EnvelopeRow.seq.in_([r.seq for r in batch])))
        )
        outbox.settle(s, peer, rows, {"receipts": received.receipts, "rejected": received.rejected})
    return len(wires)


def steps(kind: str, count: int, root: Path) -> dict[str, float]:
    """`count` requests, each sent, acknowledged, accepted, started, answered and closed
    (7 shared steps with `deliver`), in batches between the two nodes: steps a second."""
    url_a, url_b = _url(kind, root, "hoptac_bench_a"), _url("sqlite", root, "hoptac_bench_b")
    try:
        a, ka = _node(url_a, root / "a", "vn-hanoi-pd")
        b, kb = _node(url_b, root / "b", "cn-beijing-psb")
        for me, other, key in ((a, "cn-beijing-psb", kb), (b, "vn-hanoi-pd", ka)):
            with transaction(me) as s:
                peering.add_peer(s, _card(other, key), send_kinds=KINDS, receive_kinds=KINDS)
        pa, pb = _officer(a), _officer(b)
        draft = {
            "to": "cn-beijing-psb", "kind": "locate", "title": "t", "summary": "s",
            "legal_basis": "MOU",
        }  # fmt: skip
        t0 = time.perf_counter()
        with transaction(a) as s:
            uids = [service.create_draft(s, pa, draft).uid for _ in range(count)]
            for uid in uids:
                service.take(s, ka, pa, uid, "send")
        _deliver(a, b, kb, "cn-beijing-psb")
        _deliver(b, a, ka, "vn-hanoi-pd")
        for action, details in (
            ("acknowledge", {}), ("accept", {}), ("start", {}), ("answer", {"text": "done"}),
        ):  # fmt: skip
            with transaction(b) as s:
                for uid in uids:
                    service.take(s, kb, pb, uid, action, details)
            _deliver(b, a, ka, "vn-hanoi-pd")
        with transaction(a) as s:
            for uid in uids:
                service.take(s, ka, pa, uid, "close")
        _deliver(a, b, kb, "cn-beijing-psb")
        seconds = time.perf_counter() - t0
        with b() as s:
            closed = s.scalar(
                sa.select(sa.func.count())
                .select_from(AssistanceRequest)
                .where(AssistanceRequest.state == "closed")
            )
        assert closed == count, closed
        rate = count * 7 / seconds
        print(
            f"  {kind}: {count} requests x 7 shared steps between two nodes in {seconds:.1f} s: "
            f"{rate:,.0f} steps/s (taken, queued, received, applied)"
        )
        for f in (a, b):
            f.kw["bind"].dispose()
        return {f"assistance_steps_per_s_{kind}": round(rate, 1)}
    finally:
        _drop(kind, "hoptac_bench_a")


def run(
    count: int = 100_000, databases: tuple[str, ...] = ("sqlite", "postgresql")
) -> dict[str, float]:
    print(f"\nassistance (requests: SLA view p95 target {TARGET_MS:.0f} ms; steps between nodes):")
    out: dict[str, float] = {}
    for kind in databases:
        reason = _pg_reason() if kind == "postgresql" else None
        if reason:
            print(f"  {kind}: skipped ({reason})")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out.update(sla_view(kind, count, Path(tmp)))
        with tempfile.TemporaryDirectory() as tmp:
            out.update(steps(kind, 300, Path(tmp)))
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    run(args.requests, tuple(args.databases.split(",")))
