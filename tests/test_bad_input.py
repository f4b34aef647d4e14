"""Bad input gets a 4xx problem-details answer and changes nothing."""

import json
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hoptac.db.models import Base
from tests.conftest import csrf, login, token


def _snapshot(session: Session) -> dict[str, int]:
    session.expire_all()
    return {
        t.name: session.scalar(sa.select(sa.func.count()).select_from(t)) or 0
        for t in Base.metadata.sorted_tables
        if t.name not in ("audit_events", "api_tokens", "user_sessions")
    }


def _commitment(world: dict[str, Any], **over: Any) -> dict[str, Any]:
    return {"description": "Thăm lại", "owed_by_id": world["busan"], **over}


def _assert_problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


@pytest.fixture
def officer(client: TestClient, world: dict[str, Any]) -> dict[str, str]:
    return token(client, "hcmc_officer")


def test_malformed_json(client: TestClient, officer: dict[str, str], session: Session) -> None:
    before = _snapshot(session)
    r = client.post(
        "/api/v1/commitments",
        content=b'{"description": "x",',
        headers={**officer, "content-type": "application/json"},
    )
    body = _assert_problem(r, 400)
    assert "not valid JSON" in body["detail"]
    assert _snapshot(session) == before


def test_unknown_agency_id(
    client: TestClient, officer: dict[str, str], world: dict[str, Any], session: Session
) -> None:
    before = _snapshot(session)
    r = client.post(
        "/api/v1/commitments", json=_commitment(world, owed_by_id=999_999), headers=officer
    )
    body = _assert_problem(r, 422)
    assert body["errors"] == [{"field": "owed_by_id", "message": "agency 999999 does not exist"}]
    assert _snapshot(session) == before


def test_impossible_date(
    client: TestClient, officer: dict[str, str], world: dict[str, Any], session: Session
) -> None:
    before = _snapshot(session)
    r = client.post(
        "/api/v1/commitments", json=_commitment(world, due="2024-02-30"), headers=officer
    )
    body = _assert_problem(r, 422)
    assert body["errors"][0]["field"] == "due"
    assert "2024-02-30 does not exist (month 2 of 2024 has 29 days)" in body["errors"][0]["message"]
    assert _snapshot(session) == before


def test_ten_megabyte_field(
    client: TestClient, officer: dict[str, str], world: dict[str, Any], session: Session
) -> None:
    before = _snapshot(session)
    r = client.post(
        "/api/v1/commitments",
        json=_commitment(world, description="x" * 10_000_000),
        headers=officer,
    )
    body = _assert_problem(r, 413)
    assert "larger than the limit" in body["detail"]
    assert _snapshot(session) == before


def test_oversized_field_under_the_body_limit(
    client: TestClient, officer: dict[str, str], world: dict[str, Any], session: Session
) -> None:
    before = _snapshot(session)
    r = client.post(
        "/api/v1/commitments", json=_commitment(world, description="x" * 30_000), headers=officer
    )
    body = _assert_problem(r, 422)
    assert body["errors"][0]["field"] == "description"
    assert _snapshot(session) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"unexpected": 1}, "unexpected"),
        ({"status": "overdue"}, "status"),  # derived, never written
        ({"owed_by_id": "HCMC"}, "owed_by_id"),
        ({"owed_by_id": 2**40}, "owed_by_id"),
        ({"description": "   "}, "description"),
    ],
)
def test_invalid_fields_are_named(
    client: TestClient,
    officer: dict[str, str],
    world: dict[str, Any],
    session: Session,
    payload: dict[str, Any],
    field: str,
) -> None:
    before = _snapshot(session)
    r = client.post("/api/v1/commitments", json=_commitment(world, **payload), headers=officer)
    body = _assert_problem(r, 422)
    assert field in [e["field"] for e in body["errors"]]
    assert _snapshot(session) == before


def test_failed_update_leaves_the_record_as_it_was(
    client: TestClient, officer: dict[str, str], world: dict[str, Any]
) -> None:
    created = client.post(
        "/api/v1/engagements",
        json={
            "kind": "talks",
            "title": "Hội đàm",
            "start": "2024-12-09",
            "host_ids": [world["hcmc"]],
            "visitor_ids": [world["busan"]],
        },
        headers=officer,
    ).json()
    r = client.patch(
        f"/api/v1/engagements/{created['id']}",
        json={"title": "Đổi tên", "end": "2024-12-01"},
        headers=officer,
    )
    body = _assert_problem(r, 422)
    assert "before the start" in body["detail"] + str(body.get("errors"))
    again = client.get(f"/api/v1/engagements/{created['id']}", headers=officer).json()
    assert (again["title"], again["end"]) == ("Hội đàm", None)


def test_unknown_route_and_record_are_problems(client: TestClient, officer: dict[str, str]) -> None:
    _assert_problem(client.get("/api/v1/nothing-here", headers=officer), 404)
    _assert_problem(client.get("/api/v1/agreements/424242", headers=officer), 404)
    _assert_problem(client.get("/api/v1/agreements/99999999999999", headers=officer), 422)


def test_a_nul_character_is_refused_whatever_the_path_and_nothing_is_stored(
    client: TestClient, officer: dict[str, str], world: dict[str, Any], session: Session
) -> None:
    """PostgreSQL cannot keep U+0000 in text (SQLite would): both refuse it alike, from a
    JSON body of any type, a form (urlencoded or multipart) and a search."""
    before = _snapshot(session)
    person = {"full_name": "Trần\x00Văn"}
    for content_type in ("application/json", "application/merge-patch+json"):
        r = client.post(
            "/api/v1/people",
            content=json.dumps(person).encode(),
            headers={**officer, "content-type": content_type},
        )
        body = _assert_problem(r, 422)
        assert body["detail"].startswith("A text contains a NUL character"), content_type
    for resource in ("people", "agencies", "notices", "registers", "agreements"):
        r = client.get(f"/api/v1/{resource}", params={"q": "a\x00"}, headers=officer)
        assert r.status_code in (200, 422), (resource, r.text)  # folded away, or refused
    login(client, "hcmc_officer")
    form = {"csrf_token": csrf(client, "/people/new"), **person}
    urlencoded = client.post("/people/new", data=form)
    multipart = client.post("/people/new", data=form, files={"x": ("x.txt", b"x", "text/plain")})
    for page in (urlencoded, multipart):
        assert page.status_code == 422 and "ký tự NUL" in page.text
    assert _snapshot(session) == before


def test_text_that_only_looks_like_a_nul_is_kept(
    client: TestClient, officer: dict[str, str], world: dict[str, Any]
) -> None:
    for name in ("Tăng 100%00 kế hoạch", "C:\\u0000\\dir"):
        r = client.post("/api/v1/people", json={"full_name": name}, headers=officer)
        assert r.status_code == 201, r.text
        assert r.json()["full_name"] == name


def test_a_csv_upload_with_a_nul_is_refused_with_its_line(
    client: TestClient, officer: dict[str, str], world: dict[str, Any], session: Session
) -> None:
    csv = b"notice_id,name\nTN-1,Wang Jian\nTN-2,Li\x00Wei\n"
    before = _snapshot(session)
    r = client.post(
        "/api/v1/notices/import",
        content=csv,
        headers={**officer, "content-type": "application/csv"},
    )
    detail = _assert_problem(r, 422)["detail"]
    assert "NUL character on line 3" in detail
    login(client, "hcmc_officer")
    page = client.post(
        "/notices/import",
        data={"csrf_token": csrf(client, "/notices/import")},
        files={"file": ("n.csv", csv, "text/csv")},
    )
    assert page.status_code == 422 and "ký tự NUL ở dòng 3" in page.text
    assert _snapshot(session) == before
