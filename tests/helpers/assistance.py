"""Two nodes in one process that exchange requests for assistance (each step through
`inbox.receive` and `outbox.settle`, no HTTP), and the steps and reads the tests take."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from hoptac.assistance import service
from hoptac.auth.principal import Principal
from hoptac.db.engine import transaction
from hoptac.db.models import AssistanceRequest, EnvelopeRow
from hoptac.exchange import identity, inbox, outbox, peering
from hoptac.types import Role
from tests.helpers.exchange import Node, two_nodes

KINDS = ["message", "request"]


@contextmanager
def request_nodes(backend: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    """Hanoi (backend under test) and Beijing (SQLite), requests allowed both ways."""
    with two_nodes(backend, tmp_path) as (a, b):
        for x, y in ((a, b), (b, a)):
            with transaction(x.factory) as s:
                peering.add_peer(s, y.card(), send_kinds=KINDS, receive_kinds=KINDS)
        yield a, b


def person(node: Node, role: Role = Role.OFFICER, name: str = "officer") -> Principal:
    with node.factory() as s:
        agency_id = identity.this_node(s).agency_id
    return Principal(None, f"{name}@{node.node_id}", agency_id, role)


def deliver(src: Node, dst: Node) -> inbox.Received:
    """What the sender does, minus HTTP: post the outbox, settle the answer."""
    with src.factory() as s:
        peer = peering.peer_by_node(s, dst.node_id)
        batch = outbox.next_batch(s, peer, 1000, 10_000_000)
        wires = [json.loads(r.wire) for r in batch]
    if not wires:
        return inbox.Received([], [])
    with transaction(dst.factory) as s:
        received = inbox.receive(s, dst.keys, wires)
    with transaction(src.factory) as s:
        peer = peering.peer_by_node(s, dst.node_id)
        rows = list(
            s.scalars(sa.select(EnvelopeRow).where(EnvelopeRow.seq.in_([r.seq for r in batch])))
        )
        outbox.settle(s, peer, rows, {"receipts": received.receipts, "rejected": received.rejected})
    return received


def settle_all(a: Node, b: Node) -> None:
    for _ in range(6):
        if not deliver(a, b).receipts and not deliver(b, a).receipts:
            return


DRAFT = {
    "to": "cn-beijing-psb",
    "kind": "verify_identity",
    "priority": "P2",
    "title": "Xác minh danh tính Vương Kiện",
    "summary": "Đề nghị xác minh danh tính đối tượng Vương Kiện (王健), sinh năm 1985.",
    "measures": ["Xác minh hộ chiếu E12345678"],
    "persons": [{"name": "Vương Kiện", "birth": "1985", "nationality": "CN"}],
    "legal_basis": "Bản ghi nhớ hợp tác phòng chống tội phạm 2019",
}


def new_request(a: Node, **changes: Any) -> str:
    with transaction(a.factory) as s:
        return service.create_draft(s, person(a), {**DRAFT, **changes}).uid


def step(
    node: Node, uid: str, action: str, principal: Principal | None = None, **details: Any
) -> str:
    with transaction(node.factory) as s:
        row = service.take(s, node.keys, principal or person(node), uid, action, details)
        return row.state


def state(node: Node, uid: str) -> str:
    with node.factory() as s:
        row = s.scalar(sa.select(AssistanceRequest).where(AssistanceRequest.uid == uid))
        assert row is not None
        return row.state


def history(node: Node, uid: str) -> list[tuple[Any, ...]]:
    """The shared history, field by field (the steps inside the requesting agency, with
    no number, stay on its node)."""
    with node.factory() as s:
        row = s.scalar(sa.select(AssistanceRequest).where(AssistanceRequest.uid == uid))
        assert row is not None
        return sorted(
            (e.seq, e.uid, e.action, e.side, e.actor, e.role, e.at, e.from_state, e.to_state,
             json.dumps(e.details, sort_keys=True))
            for e in row.events
            if e.seq is not None
        )  # fmt: skip
