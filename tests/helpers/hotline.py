"""A hotline node in one test process: this node serves Công an TP.HCM, Busan and Yunnan
its partners; cards of partner nodes and messages received from Busan. The `net` fixture
that sets this up lives in tests/conftest.py."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from hoptac.db.models import ExchangeNode
from hoptac.exchange import envelope as wire
from hoptac.exchange import identity, inbox
from hoptac.exchange.keys import NodeKeys, b64

HCMC, BUSAN, YUNNAN = "vn-hcmc-pd", "kr-busan-pd", "cn-yunnan-pst"  # node ids: this, partners


@dataclass
class Net:
    """The keys of this node (HCMC) and of its two partners."""

    keys: NodeKeys  # this node's
    busan: NodeKeys
    yunnan: NodeKeys


def card(node_id: str, name: str, keys: NodeKeys) -> dict[str, Any]:
    """The signed card of a partner node with these keys, as `peering.add_peer` takes it."""
    node = ExchangeNode(
        node_id=node_id,
        name=name,
        url=f"https://{node_id}.example",
        signing_key=b64(keys.signing_public),
        encryption_key=b64(keys.encryption_public),
    )
    return identity.card(node, keys)


def receive(
    session: Session,
    net: Net,
    *,
    subject: str = "Đối tượng Kim nhập cảnh",
    text: str = "Kim Min-jun nhập cảnh qua Tân Sơn Nhất chiều nay.",
    priority: str = "routine",
    handling: str = "H0",
    kind: str = "message",
    body: dict[str, Any] | None = None,
    attachments: list[tuple[str, bytes]] | None = None,
) -> str:
    """A message (or another envelope) from Busan, sealed and signed with Busan's keys and
    stored as the inbox stores it."""
    body = body or {
        "subject": subject,
        "text": text,
        "priority": priority,
        "thread": None,
        "in_reply_to": None,
        "author": "kim.inspector",
        "attachments": [
            {
                "name": name,
                "type": "application/pdf",
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
                "data": b64(data),
            }
            for name, data in attachments or []
        ],
    }
    env = wire.seal(
        net.busan,
        sender=BUSAN,
        recipient=HCMC,
        recipient_key=net.keys.encryption_public,
        kind=kind,
        body=body,
        handling=handling,
        handling_note=None,
        reliability="A",
        accuracy=2,
    )
    got = inbox.receive(session, net.keys, [env.to_json()])
    assert got.receipts and not got.rejected, got.rejected
    session.commit()
    return env.id


def pin_requests(session: Session, net: Net) -> None:
    """Busan pinned again, with requests for assistance both ways."""
    from hoptac.exchange import peering

    peering.add_peer(
        session,
        card(BUSAN, "Sở Cảnh sát Busan", net.busan),
        send_kinds=["message", "request"],
        receive_kinds=["message", "request"],
    )
    session.commit()


def receive_request(
    session: Session,
    net: Net,
    *,
    kind: str = "verify_identity",
    files: list[tuple[str, bytes]] | None = None,
) -> str:
    """A request for assistance Busan sends this node (its first step, signed with
    Busan's keys), stored as the inbox stores it; its id."""
    from datetime import UTC, datetime

    from hoptac import ulid

    uid = ulid.new()
    body = {
        "request": uid,
        "step": {
            "uid": ulid.new(),
            "seq": 1,
            "action": "send",
            "side": "requesting",
            "actor": "kim@kr-busan-pd",
            "role": "officer",
            "at": datetime.now(UTC).isoformat(),
            "details": {},
        },
        "data": {
            "kind": kind,
            "priority": "P3",
            "title": "Verify identity of Nguyen Van A",
            "summary": "Please verify the passport C1234567.",
            "legal_basis": "MOU 2019",
            "attachments": [
                {
                    "name": name,
                    "type": "application/pdf",
                    "data": b64(data),
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
                for name, data in files or []
            ],
        },
    }
    receive(session, net, kind="request", body=body)
    return uid


def receive_surrender(session: Session, net: Net) -> str:
    """A hand-over request Busan sends (a coercive kind: its first shared step is the
    validation by Busan's admin), stored as the inbox stores it; its id."""
    from datetime import UTC, datetime

    from hoptac import ulid

    uid = ulid.new()
    body = {
        "request": uid,
        "step": {
            "uid": ulid.new(),
            "seq": 1,
            "action": "validate",
            "side": "requesting",
            "actor": "park@kr-busan-pd",
            "role": "admin",
            "at": datetime.now(UTC).isoformat(),
            "details": {},
        },
        "data": {
            "kind": "surrender",
            "priority": "P2",
            "title": "Surrender of Kim Min-jun",
            "summary": "Please hand over Kim Min-jun, wanted for fraud in Busan.",
            "persons": [{"name": "Kim Min-jun", "birth": "1990", "nationality": "KR"}],
            "legal_basis": "MOU 2019",
            "attachments": [],
        },
    }
    receive(session, net, kind="request", body=body)
    return uid
