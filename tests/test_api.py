"""The REST API: authentication, roles, CRUD, filters, pagination."""

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hoptac.db.models import AuditEvent
from tests.conftest import api_post, audit_rows, token
from tests.helpers.problems import assert_oauth_error, assert_problem


def _agreement(world: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {
        "kind": "mou",
        "title": "Biên bản ghi nhớ về nghiệp vụ cảnh sát",
        "party_ids": [world["hcmc"], world["busan"]],
        "signed": "2014",
        "topics": ["drugs", "transnational_crime"],
        **over,
    }


def test_without_a_token_the_api_answers_401(client: TestClient, world: dict[str, Any]) -> None:
    for path in ("/api/v1/agencies", "/api/v1/agreements/1", "/api/v1/people"):
        r = client.get(path)
        assert_problem(r, 401, type="unauthenticated")
        assert r.headers["www-authenticate"] == "Bearer"
    r = client.post("/api/v1/agreements", json=_agreement(world))
    assert r.status_code == 401


def test_a_forged_token_is_refused(client: TestClient, world: dict[str, Any]) -> None:
    r = client.get("/api/v1/agencies", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401


def test_wrong_password_gets_no_token_and_is_audited(
    client: TestClient, world: dict[str, Any], session: Session
) -> None:
    r = client.post("/api/v1/auth/token", data={"username": "hcmc_officer", "password": "nope"})
    assert_oauth_error(r, "invalid_grant")  # RFC 6749 §5.2: 400, not 401
    assert "access_token" not in r.text
    row = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "auth.login_failed")
    ).one()
    assert (row.username, row.outcome) == ("hcmc_officer", "denied")


def test_a_viewer_reads_but_cannot_create_or_change(
    client: TestClient, world: dict[str, Any]
) -> None:
    officer = token(client, "hcmc_officer")
    created = client.post("/api/v1/agreements", json=_agreement(world), headers=officer).json()
    viewer = token(client, "hcmc_viewer")
    assert client.get(f"/api/v1/agreements/{created['id']}", headers=viewer).status_code == 200
    r = client.post("/api/v1/agreements", json=_agreement(world), headers=viewer)
    assert r.status_code == 403
    assert "may read but not create or change" in r.json()["detail"]
    r = client.patch(f"/api/v1/agreements/{created['id']}", json={"title": "x"}, headers=viewer)
    assert r.status_code == 403
    assert client.get("/api/v1/agreements", headers=viewer).json()["total"] == 1


def test_create_get_update_an_agreement(client: TestClient, world: dict[str, Any]) -> None:
    h = token(client, "hcmc_officer")
    r = client.post("/api/v1/agreements", json=_agreement(world), headers=h)
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/api/v1/agreements/{body['id']}"
    assert body["signed"] == "2014"
    assert [p["id"] for p in body["parties"]] == [world["hcmc"], world["busan"]]
    assert body["owner_agency_id"] == world["hcmc"]
    assert body["sharing"] == "agency"  # private unless said otherwise

    r = client.patch(f"/api/v1/agreements/{body['id']}", json={"signed": "2014-06-10"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["signed"] == "2014-06-10"
    assert r.json()["title"] == body["title"]  # untouched fields stay
    assert (
        client.get(f"/api/v1/agreements/{body['id']}", headers=h).json()["signed"] == "2014-06-10"
    )


def test_engagement_with_participants_and_commitment(
    client: TestClient, world: dict[str, Any]
) -> None:
    h = token(client, "hcmc_officer")
    person = client.post(
        "/api/v1/people",
        json={
            "full_name": "Mai Hoàng",
            "rank": "thiếu tướng",
            "position": "Phó Giám đốc",
            "agency_id": world["hcmc"],
        },
        headers=h,
    ).json()
    assert person["rank"] == "Thiếu tướng"  # normalised to the canonical rank
    eng = client.post(
        "/api/v1/engagements",
        json={
            "kind": "visit",
            "title": "Đoàn Công an TPHCM thăm Busan",
            "start": "2024-06-10",
            "end": "2024-06-14",
            "host_ids": [world["busan"]],
            "visitor_ids": [world["hcmc"]],
            "places": ["Sở Cảnh sát Quận Haeundae"],
            "topics": ["citizen_protection"],
            "participants": [{"person_id": person["id"], "role": "head_of_delegation"}],
        },
        headers=h,
    )
    assert eng.status_code == 201, eng.text
    e = eng.json()
    assert [p["full_name"] for p in e["participants"]] == ["Mai Hoàng"]
    assert [a["id"] for a in e["hosts"]] == [world["busan"]]
    c = client.post(
        "/api/v1/commitments",
        json={
            "description": "Sở Cảnh sát TP Busan sẽ kịp thời chia sẻ thông tin",
            "owed_by_id": world["busan"],
            "owed_to_id": world["hcmc"],
            "engagement_id": e["id"],
            "due": "2024",
        },
        headers=h,
    )
    assert c.status_code == 201, c.text
    assert c.json()["deadline"] == "2024-12-31"
    assert c.json()["status"] == "overdue"  # the period ended and it is still open


def test_list_filters_and_pagination(client: TestClient, world: dict[str, Any]) -> None:
    h = token(client, "hcmc_officer")
    for i in range(7):
        client.post("/api/v1/people", json={"full_name": f"Nguyễn Văn {chr(65 + i)}"}, headers=h)
    client.post("/api/v1/people", json={"full_name": "Nguyễn Hải Trung"}, headers=h)
    page = client.get("/api/v1/people?limit=3&offset=6", headers=h).json()
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (8, 3, 6, 2)
    found = client.get("/api/v1/people", params={"q": "nguyen hai trung"}, headers=h).json()
    assert [p["full_name"] for p in found["items"]] == ["Nguyễn Hải Trung"]
    found = client.get("/api/v1/people", params={"q": "HẢI"}, headers=h).json()
    assert [p["full_name"] for p in found["items"]] == ["Nguyễn Hải Trung"]
    assert client.get("/api/v1/people", params={"q": "ai"}, headers=h).json()["total"] == 0


def test_commitment_status_filter(client: TestClient, world: dict[str, Any]) -> None:
    h = token(client, "hcmc_officer")
    base = {"owed_by_id": world["hcmc"]}
    for desc, due, status in [
        ("past", "2020", "open"),
        ("future", "2099", "open"),
        ("undated", None, "open"),
        ("finished", "2020", "done"),
    ]:
        client.post(
            "/api/v1/commitments",
            json={**base, "description": desc, "due": due, "status": status},
            headers=h,
        )

    def names(status: str) -> list[str]:
        items = client.get(f"/api/v1/commitments?status={status}", headers=h).json()["items"]
        return sorted(c["description"] for c in items)

    assert names("overdue") == ["past"]
    assert names("open") == ["future", "undated"]
    assert names("done") == ["finished"]


def test_openapi_documents_every_resource(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    for name in ("agencies", "agreements", "commitments", "engagements", "people", "sources"):
        assert f"/api/v1/{name}" in spec["paths"]
        assert {"get", "post"} <= set(spec["paths"][f"/api/v1/{name}"])
        assert "patch" in spec["paths"][f"/api/v1/{name}/{{record_id}}"]


def test_refs_are_unique_per_agency_only(client: TestClient, world: dict[str, Any]) -> None:
    hcmc, hue = token(client, "hcmc_officer"), token(client, "hue_officer")
    body = {"full_name": "Lê Văn A", "ref": "source-person-1"}
    assert client.post("/api/v1/people", json=body, headers=hcmc).status_code == 201
    # another agency may use the same key, and learns nothing about HCMC's keys
    assert client.post("/api/v1/people", json=body, headers=hue).status_code == 201
    r = client.post("/api/v1/people", json=body, headers=hcmc)
    assert_problem(r, 409, type="conflict", errors=[{"field": "ref", "message": "already used"}])


def test_agreement_filters_by_party_kind_and_topic(
    client: TestClient, world: dict[str, Any]
) -> None:
    h = token(client, "hcmc_officer")
    for kind, parties, topics in [
        ("mou", [world["hcmc"], world["busan"]], ["drugs"]),
        ("coordination_program", [world["hcmc"], world["hue"]], ["fraud", "drugs"]),
        ("mou", [world["hue"], world["busan"]], ["terrorism"]),
    ]:
        r = client.post(
            "/api/v1/agreements",
            headers=h,
            json={
                "kind": kind,
                "title": f"{kind} {topics}",
                "party_ids": parties,
                "topics": topics,
            },
        )
        assert r.status_code == 201, r.text

    def titles(**params: Any) -> list[str]:
        r = client.get("/api/v1/agreements", params=params, headers=h)
        return sorted(a["title"] for a in r.json()["items"])

    assert titles(topic="drugs") == ["coordination_program ['fraud', 'drugs']", "mou ['drugs']"]
    assert titles(agency_id=world["busan"], kind="mou") == ["mou ['drugs']", "mou ['terrorism']"]
    assert titles(agency_id=world["hue"], topic="fraud") == [
        "coordination_program ['fraud', 'drugs']"
    ]


def test_an_update_is_audited_with_the_values_before_and_after(
    client: TestClient, world: dict[str, Any], factory: Any
) -> None:
    h = token(client, "hcmc_officer")
    body = {"kind": "mou", "title": "Bản ghi nhớ cũ", "party_ids": [world["hcmc"]]}
    agreement = api_post(client, h, "agreements", {**body, "signed": "2023-05"})
    r = client.patch(
        f"/api/v1/agreements/{agreement}",
        json={"title": "Bản ghi nhớ mới", "signed": "2024-06-12", "sharing": "agency"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    (row,) = audit_rows(factory, "record.updated")
    assert (row.object_type, row.object_id, row.username) == (
        "agreements",
        agreement,
        "hcmc_officer",
    )
    assert row.detail == {
        "fields": ["sharing", "signed", "title"],
        "before": {"signed": "2023-05", "title": "Bản ghi nhớ cũ"},
        "after": {"signed": "2024-06-12", "title": "Bản ghi nhớ mới"},
    }


def test_a_long_text_enters_the_audit_log_as_its_digest(
    client: TestClient, world: dict[str, Any], factory: Any
) -> None:
    import hashlib

    h = token(client, "hcmc_officer")
    old, new = "Bài báo cũ. " * 100, "Bài báo mới. " * 100
    source = api_post(client, h, "sources", {"title": "Báo", "text": old})
    r = client.patch(f"/api/v1/sources/{source}", json={"text": new}, headers=h)
    assert r.status_code == 200, r.text
    (row,) = audit_rows(factory, "record.updated")
    digest = hashlib.sha256(new.encode()).hexdigest()
    assert row.detail["after"] == {"text": f"({len(new)} characters, SHA-256 {digest})"}  # type: ignore[index]
    assert old not in str(row.detail)
