"""Nodes of the exchange in one test process: each its own database and key directory
(node A on the backend under test, partners on SQLite), talking through the services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hoptac.auth.principal import Principal
from hoptac.db import migrate
from hoptac.db.engine import make_engine, make_sessionmaker, transaction
from hoptac.db.models import EnvelopeRow
from hoptac.exchange import hotline, identity, peering
from hoptac.exchange.keys import NodeKeys
from hoptac.types import Role

MARKER = "PLAINTEXT-MARKER-7Q"  # in every message these helpers send: never in the clear


@dataclass
class Node:
    node_id: str
    factory: sessionmaker[Session]
    keys: NodeKeys
    home: Path
    url: str

    def principal(self) -> Principal:
        with self.factory() as s:
            agency_id = identity.this_node(s).agency_id
        return Principal(None, f"officer@{self.node_id}", agency_id, Role.OFFICER)

    def card(self) -> dict[str, Any]:
        with self.factory() as s:
            return identity.card(identity.this_node(s), self.keys)


def make_node(url: str, home: Path, node_id: str, name: str) -> Node:
    """A node with an identity on the (empty) database at `url`, its keys under `home`."""
    migrate.upgrade(url)
    factory = make_sessionmaker(make_engine(url))
    with transaction(factory) as s:
        _, keys = identity.init_node(
            s, home / "keys", node_id=node_id, name=name, url=f"http://{node_id}.test"
        )
    return Node(node_id, factory, keys, home, url)


@contextmanager
def two_nodes(backend: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    """Hanoi (on `backend`) and Beijing (on SQLite), each pinned by the other, hotline
    messages allowed both ways; their connections closed and databases dropped after."""
    from tests.conftest import fresh_database

    url_a, cleanup_a = fresh_database(backend, tmp_path)
    url_b, cleanup_b = fresh_database("sqlite", tmp_path)
    a = make_node(url_a, tmp_path / "a", "vn-hanoi-pd", "Công an thành phố Hà Nội")
    b = make_node(url_b, tmp_path / "b", "cn-beijing-psb", "北京市公安局")
    with transaction(a.factory) as s:
        peering.add_peer(s, b.card(), send_kinds=["message"], receive_kinds=["message"])
    with transaction(b.factory) as s:
        peering.add_peer(s, a.card())
    try:
        yield a, b
    finally:
        for n in (a, b):
            n.factory.kw["bind"].dispose()
        cleanup_a()
        cleanup_b()


def send(a: Node, b: Node, **kwargs: Any) -> EnvelopeRow:
    """A hotline message from `a` to `b`, queued and committed."""
    fields = {"subject": "Xác minh", "text": f"Nội dung {MARKER}", **kwargs}
    with transaction(a.factory) as s:
        return hotline.send_message(s, a.keys, a.principal(), to=b.node_id, **fields)
