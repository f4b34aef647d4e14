"""The hotline out of the box (`hoptac demo load`, so `make run`): the demo node gets an
identity for the demo user's agency, and a demo partner is pinned with a short
conversation already received (an urgent H2 request among them), so that the hotline
pages have something to show. The partner's private keys are made for this and thrown
away: it runs nowhere, so what is sent to it stays in the outbox (the page says so).
To see two real nodes talk, `make demo-two-nodes`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from hoptac import ulid
from hoptac.db.models import ExchangeNode
from hoptac.errors import NotFound
from hoptac.exchange import envelope as wire
from hoptac.exchange import identity, inbox, peering
from hoptac.exchange.keys import NodeKeys, b64

NODE_ID = "vn-hcmc-pd"
NODE_URL = "http://127.0.0.1:8000"
PARTNER_ID = "cn-zhejiang-psd"
PARTNER_NAME = "浙江省公安厅 — Công an tỉnh Chiết Giang (đối tác mẫu, ngoại tuyến)"
PARTNER_URL = "http://127.0.0.1:9"  # nothing listens: the demo partner is offline

MESSAGES: list[dict[str, Any]] = [
    {
        "subject": "Đề nghị xác minh nhân thân đối tượng Vương Kiện (王健)",
        "text": "Đề nghị Công an TP. Hồ Chí Minh xác minh đối tượng Vương Kiện (王健, WANG JIAN), "
        "sinh ngày 16/04/1979, quốc tịch Trung Quốc, bị truy nã về tội lừa đảo chiếm đoạt "
        "tài sản; có thông tin đối tượng lưu trú tại TP. Hồ Chí Minh tháng 7/2024. "
        "(Dữ liệu mẫu, không phải người thật.)",
        "priority": "urgent",
        "handling": "H2",
        "hours_ago": 3,
    },
    {
        "subject": "Kế hoạch đoàn công tác tháng 6",
        "text": "Phía Chiết Giang đề xuất lịch làm việc của đoàn công tác trong tháng 6 theo "
        "chương trình hợp tác đã ký. Đề nghị quý Công an phản hồi trước ngày 15. "
        "(Dữ liệu mẫu.)",
        "priority": "routine",
        "handling": "H0",
        "hours_ago": 26,
    },
]


# Requests for assistance the demo partner has sent (docs/assistance.md): one to verify
# an identity, one to locate a person; both received now, so their clocks start now.
REQUESTS: list[dict[str, Any]] = [
    {
        "kind": "verify_identity",
        "priority": "P2",
        "title": "Xác minh nhân thân Vương Kiện (王健)",
        "summary": "Đề nghị xác minh hộ chiếu E12345678 mang tên Vương Kiện (王健, WANG JIAN), "
        "sinh ngày 16/04/1979, quốc tịch Trung Quốc, lưu trú tại khách sạn ở Quận 1 "
        "tháng 7/2024. (Dữ liệu mẫu, không phải người thật.)",
        "measures": ["Xác minh hộ chiếu E12345678", "Xác minh nơi lưu trú"],
        "persons": [
            {
                "name": "Vương Kiện",
                "birth": "1979-04-16",
                "nationality": "CN",
                "document": "E12345678",
            }
        ],
        "hours_ago": 2,
    },
    {
        "kind": "locate",
        "priority": "P3",
        "title": "Truy tìm nơi ở của Lý Minh (李明)",
        "summary": "Đề nghị xác định nơi ở hiện nay của Lý Minh (李明), sinh năm 1990, nghi "
        "liên quan đường dây lừa đảo qua mạng. (Dữ liệu mẫu.)",
        "measures": ["Xác định nơi ở"],
        "persons": [{"name": "Lý Minh", "birth": "1990", "nationality": "CN"}],
        "hours_ago": 30,
    },
]


def _request(request: dict[str, Any], at: datetime) -> dict[str, Any]:
    """Step 1 of a request the demo partner sends (the body of a `request` envelope)."""
    data = {k: v for k, v in request.items() if k != "hours_ago"}
    return {
        "request": ulid.new(),
        "step": {
            "uid": ulid.new(),
            "seq": 1,
            "action": "send",
            "side": "requesting",
            "actor": f"liaison.officer@{PARTNER_ID}",
            "role": "officer",
            "at": at.isoformat(),
            "details": {},
        },
        "data": {**data, "legal_basis": "Biên bản hợp tác phòng, chống tội phạm (mẫu)"},
    }


def _card(node_id: str, name: str, url: str, keys: NodeKeys) -> dict[str, Any]:
    node = ExchangeNode(
        node_id=node_id,
        name=name,
        url=url,
        signing_key=b64(keys.signing_public),
        encryption_key=b64(keys.encryption_public),
    )
    return identity.card(node, keys)


def load(session: Session, keys_dir: Path, agency_id: int) -> bool:
    """Give this node an identity (for `agency_id`) and the demo partner, unless it has an
    identity already (a real node's is never touched). Returns whether it did."""
    try:
        identity.this_node(session)
        return False
    except NotFound:
        pass
    if (keys_dir / "signing.key").exists():
        return False  # keys without a node row: an operator's to sort out, not the demo's
    node, keys = identity.init_node(
        session, keys_dir, node_id=NODE_ID, name="Công an TP. Hồ Chí Minh", url=NODE_URL,
        agency_ref=str(agency_id),
    )  # fmt: skip
    partner = NodeKeys.generate()
    kinds = ["message", "request", "notice"]
    peering.add_peer(
        session,
        _card(PARTNER_ID, PARTNER_NAME, PARTNER_URL, partner),
        send_kinds=kinds,
        receive_kinds=kinds,
    )
    now = datetime.now(UTC)
    envelopes = []
    for message in MESSAGES:
        body = {
            "subject": message["subject"],
            "text": message["text"],
            "priority": message["priority"],
            "thread": None,
            "in_reply_to": None,
            "author": "liaison.officer",
            "attachments": [],
        }
        env = wire.seal(
            partner,
            sender=PARTNER_ID,
            recipient=node.node_id,
            recipient_key=keys.encryption_public,
            kind="message",
            body=body,
            handling=message["handling"],
            created_at=now - timedelta(hours=message["hours_ago"]),
        )
        envelopes.append(json.loads(env.wire()))
    for request in REQUESTS:
        env = wire.seal(
            partner,
            sender=PARTNER_ID,
            recipient=node.node_id,
            recipient_key=keys.encryption_public,
            kind="request",
            body=_request(request, now - timedelta(hours=request["hours_ago"])),
            handling="H1",
            created_at=now - timedelta(hours=request["hours_ago"]),
        )
        envelopes.append(json.loads(env.wire()))
    received = inbox.receive(session, keys, envelopes)
    assert not received.rejected, received.rejected
    return True
