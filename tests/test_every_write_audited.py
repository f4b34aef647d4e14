"""Every write goes through one path and leaves its audit row: each resource's create and
update (through the API), and the agency a node is made for (`hoptac init`), like
NetBox's test_create_object checks its ObjectChange."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hoptac.db.engine import transaction
from hoptac.exchange import identity as exchange_identity
from hoptac.web.resources import RESOURCES
from tests.conftest import audit_rows, token

BODIES: dict[str, Any] = {
    "agencies": lambda w: {"name_vi": "Đội trinh sát", "country": "VN", "level": "unit"},
    "sources": lambda w: {"title": "Bài báo"},
    "people": lambda w: {"full_name": "Nguyễn Văn An", "agency_id": w["hcmc"]},
    "agreements": lambda w: {"kind": "mou", "title": "Bản ghi nhớ", "party_ids": [w["hcmc"]]},
    "engagements": lambda w: {"kind": "visit", "title": "Làm việc", "host_ids": [w["hcmc"]]},
    "commitments": lambda w: {"description": "Trao đổi đoàn", "owed_by_id": w["hcmc"]},
    "notices": lambda w: {"ref": "N-1", "name": "Vương Kiện"},
    "registers": lambda w: {"name": "Lưu trú", "kind": "hotel"},
}


def test_every_resource_has_a_body_here() -> None:
    assert set(BODIES) == set(RESOURCES)  # a new resource must be added to this test


@pytest.mark.parametrize("name", sorted(BODIES))
def test_create_and_update_leave_their_audit_rows(
    client: TestClient, world: dict[str, Any], factory: sessionmaker[Session], name: str
) -> None:
    headers = token(client, "hcmc_officer")
    created = client.post(f"/api/v1/{name}", json=BODIES[name](world), headers=headers)
    assert created.status_code == 201, created.text
    ident = created.json()["id"]
    patched = client.patch(f"/api/v1/{name}/{ident}", json={"ref": "r-2"}, headers=headers)
    assert patched.status_code == 200, patched.text
    rows = [
        (r.action, r.username, r.agency_id)
        for r in audit_rows(factory, "record.created", "record.updated")
        if r.object_type == name and r.object_id == ident
    ]
    assert rows == [
        ("record.created", "hcmc_officer", world["hcmc"]),
        ("record.updated", "hcmc_officer", world["hcmc"]),
    ]


def test_the_agency_a_node_is_made_for_is_created_and_audited_like_any(
    factory: sessionmaker[Session], tmp_path: Path
) -> None:
    with transaction(factory) as s:
        node, _ = exchange_identity.init_node(
            s, tmp_path / "keys", node_id="la-vientiane-pd", name="Công an Viêng Chăn",
            url="http://la.test",
        )  # fmt: skip
        agency_id = node.agency_id
    (row,) = [
        r
        for r in audit_rows(factory, "record.created")
        if r.object_type == "agencies" and r.object_id == agency_id
    ]
    assert row.agency_id == agency_id and row.username == exchange_identity.SYSTEM
    from hoptac.db.models import Agency

    with factory() as s:
        agency = s.get(Agency, agency_id)
        assert agency is not None and agency.owner_agency_id == agency_id
        assert agency.name_key == " cong an vieng chan "  # the registry's own key rule
