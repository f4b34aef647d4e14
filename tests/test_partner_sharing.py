"""Sharing with named partner agencies: a record shared "partners" is read by its owner and
by the agencies it names, by nobody else, everywhere (get, list, counts, search, pages);
only its owner changes it or the list."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hoptac.db.models import AuditEvent, RecordShare
from hoptac.types import Role
from tests.conftest import add_agency, add_user, api_post, csrf, login, token


@pytest.fixture
def hanoi(session: Session, world: dict[str, Any]) -> int:
    """A third agency on the node, with an officer: not a partner of the shared records."""
    agency = add_agency(session, "Công an TP Hà Nội", ref="vn-hanoi")
    add_user(session, "hanoi_officer", Role.OFFICER, agency)
    session.commit()
    return agency.id


def _shared(client: TestClient, world: dict[str, Any]) -> dict[str, int]:
    h = token(client, "hue_officer")
    partners = {"sharing": "partners", "shared_with": [world["hcmc"]]}
    return {
        "agreements": api_post(
            client,
            h,
            "agreements",
            {"kind": "mou", "title": "Kế hoạch chung Huế–HCM", "party_ids": [world["hue"]]}
            | partners,
        ),
        "people": api_post(client, h, "people", {"full_name": "Lê Đối Tác"} | partners),
        "notices": api_post(
            client,
            h,
            "notices",
            {"ref": "TN-P-1", "name": "Lê Đối Tác", "kind": "wanted"} | partners,
        ),
    }


def test_named_partners_read_the_record_and_nobody_else(
    client: TestClient, world: dict[str, Any], hanoi: int, factory: sessionmaker[Session]
) -> None:
    ids = _shared(client, world)
    hue, hcmc, ha = (token(client, u) for u in ("hue_viewer", "hcmc_viewer", "hanoi_officer"))
    for resource, record in ids.items():
        mine = client.get(f"/api/v1/{resource}/{record}", headers=hue).json()
        assert (mine["sharing"], mine["shared_with"]) == ("partners", [world["hcmc"]])
        partner = client.get(f"/api/v1/{resource}/{record}", headers=hcmc)
        assert partner.status_code == 200, resource
        assert partner.json()["shared_with"] == []  # whom else it went to: the owner's
        listed = client.get(f"/api/v1/{resource}?limit=200", headers=hcmc).json()
        assert record in [i["id"] for i in listed["items"]], resource
        assert client.get(f"/api/v1/{resource}/{record}", headers=ha).status_code == 404
        listed = client.get(f"/api/v1/{resource}?limit=200", headers=ha).json()
        assert record not in [i["id"] for i in listed["items"]], resource
    assert client.get("/api/v1/agreements", headers=ha).json()["total"] == 0
    assert client.get("/api/v1/agreements", headers=hcmc).json()["total"] == 1
    found = client.get("/api/v1/people", params={"q": "le doi tac"}, headers=hcmc).json()
    assert found["total"] == 1
    assert client.get("/api/v1/people", params={"q": "le doi tac"}, headers=ha).json()["total"] == 0
    with factory() as s:
        denied = s.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action == "access.denied", AuditEvent.username == "hanoi_officer"
            )
        ).all()
    mine = [e for e in denied if e.agency_id == hanoi]
    owners = [e for e in denied if e.agency_id == world["hue"]]
    assert len(mine) == 3 and not any("hidden" in (e.detail or {}) for e in mine)
    assert len(owners) == 3 and all((e.detail or {}).get("by_agency") == hanoi for e in owners)
    # pages: the partner reads, the other agency finds nothing
    login(client, "hcmc_viewer")
    assert "Kế hoạch chung Huế–HCM" in client.get(f"/agreements/{ids['agreements']}").text
    assert "Lê Đối Tác" in client.get("/notices").text
    client.cookies.clear()
    login(client, "hanoi_officer")
    assert client.get(f"/agreements/{ids['agreements']}").status_code == 404
    for path in ("/agreements", "/notices", "/people?q=le", "/search?q=Le+Doi+Tac"):
        page = client.get(path).text
        assert "Kế hoạch chung" not in page and "Lê Đối Tác" not in page, path


def test_only_the_owner_changes_the_record_or_its_partners(
    client: TestClient, world: dict[str, Any], session: Session
) -> None:
    ids = _shared(client, world)
    record = ids["agreements"]
    hcmc = token(client, "hcmc_officer")
    r = client.patch(f"/api/v1/agreements/{record}", json={"title": "x"}, headers=hcmc)
    assert r.status_code == 403
    hue = token(client, "hue_officer")
    r = client.patch(
        f"/api/v1/agreements/{record}", json={"sharing": "agency", "shared_with": []}, headers=hue
    )
    assert r.status_code == 200, r.text
    assert client.get(f"/api/v1/agreements/{record}", headers=hcmc).status_code == 404
    rows = session.scalars(
        sa.select(RecordShare).where(
            RecordShare.record_type == "agreements", RecordShare.record_id == record
        )
    ).all()
    assert rows == []
    r = client.patch(
        f"/api/v1/agreements/{record}",
        json={"sharing": "partners", "shared_with": [world["hcmc"], world["busan"]]},
        headers=hue,
    )
    assert r.status_code == 200 and r.json()["shared_with"] == sorted(
        [world["hcmc"], world["busan"]]
    )
    # leaving "partners" takes the partners named along, unless the patch names some
    r = client.patch(f"/api/v1/agreements/{record}", json={"sharing": "all"}, headers=hue)
    assert r.status_code == 200 and r.json()["shared_with"] == [], r.text
    r = client.patch(
        f"/api/v1/agreements/{record}",
        json={"sharing": "partners", "shared_with": [world["hcmc"], world["busan"]]},
        headers=hue,
    )
    assert r.status_code == 200 and r.json()["shared_with"] == sorted(
        [world["hcmc"], world["busan"]]
    )
    assert client.get(f"/api/v1/agreements/{record}", headers=hcmc).status_code == 200


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"sharing": "partners"}, "body", "needs at least one agency in shared_with"),
        ({"sharing": "agency", "shared_with": [2]}, "body", "only for sharing 'partners'"),
        ({"sharing": "partners", "shared_with": [999]}, "shared_with", "does not exist"),
        ({"sharing": "partners", "shared_with": ["OWN"]}, "shared_with", "always reads"),
    ],
)
def test_bad_partner_lists_are_refused_with_the_reason(
    client: TestClient, world: dict[str, Any], body: dict[str, Any], field: str, message: str
) -> None:
    if body.get("shared_with") == ["OWN"]:
        body = {**body, "shared_with": [world["hue"]]}
    r = client.post(
        "/api/v1/people",
        json={"full_name": "Phạm Thử", **body},
        headers=token(client, "hue_officer"),
    )
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert any(e["field"] == field and message in e["message"] for e in errors), errors


def test_the_form_shares_with_the_partners_chosen(
    client: TestClient, world: dict[str, Any]
) -> None:
    login(client, "hue_officer")
    r = client.post(
        "/people/new",
        data={
            "csrf_token": csrf(client, "/people/new"),
            "full_name": "Võ Chia Sẻ",
            "sharing": "partners",
            "shared_with": str(world["hcmc"]),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    person = int(r.headers["location"].split("/")[2].split("?")[0])
    edit = client.get(f"/people/{person}/edit").text
    chosen = re.search(rf'name="shared_with" value="{world["hcmc"]}"[^>]*>', edit)
    assert chosen and "checked" in chosen.group(0), edit[:200]
    assert (
        client.get(f"/api/v1/people/{person}", headers=token(client, "hcmc_viewer")).status_code
        == 200
    )
