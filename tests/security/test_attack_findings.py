"""Findings 3-7 of the outside attack, each as the attacker tried it.

3. a filter on a hidden agency's id answered like one on a used id (total 1, not 0);
4. a ref already used by a hidden agency answered "already used";
5. a hidden record was answered slower than a missing one (an extra audit row on the path);
6. integers past the database's range and JSON nested 100,000 deep gave 500s;
7. the login form took a cross-site POST without a token; the token endpoint told a right
   password from a wrong one.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import ACK, PASSWORD, api_post, audit_rows, token


@pytest.fixture
def hidden(client: TestClient, world: dict[str, Any]) -> dict[str, Any]:
    """Hue's private agency, named by Hue's records that every agency may read."""
    hue = token(client, "hue_officer")
    private = api_post(client, hue, "agencies", {
        "name_vi": "Phòng nghiệp vụ mật", "country": "VN", "level": "unit",
        "sharing": "agency", "ref": "hue-secret-unit",
    })  # fmt: skip
    person = api_post(client, hue, "people", {
        "full_name": "Trần Văn Ẩn", "agency_id": private, "sharing": "all",
    })  # fmt: skip
    api_post(client, hue, "commitments", {
        "description": "Trao đổi thông tin", "owed_by_id": private, "sharing": "all",
    })  # fmt: skip
    api_post(client, hue, "agreements", {
        "kind": "mou", "title": "Bản ghi nhớ", "party_ids": [private, world["hue"]],
        "sharing": "all",
    })  # fmt: skip
    api_post(client, hue, "engagements", {
        "kind": "visit", "title": "Làm việc", "host_ids": [private], "sharing": "all",
    })  # fmt: skip
    return {"agency": private, "person": person}


@pytest.mark.parametrize("resource", ["people", "commitments", "agreements", "engagements"])
def test_a_filter_on_a_hidden_agency_reads_like_one_on_a_missing_id(
    client: TestClient, world: dict[str, Any], hidden: dict[str, Any], resource: str
) -> None:
    hue = token(client, "hue_officer")
    mine = client.get(f"/api/v1/{resource}", params={"agency_id": hidden["agency"]}, headers=hue)
    assert mine.json()["total"] == 1  # the owner's filter works
    hcmc = token(client, "hcmc_officer")
    on_hidden = client.get(
        f"/api/v1/{resource}", params={"agency_id": hidden["agency"]}, headers=hcmc
    )
    on_missing = client.get(f"/api/v1/{resource}", params={"agency_id": 999_999}, headers=hcmc)
    assert on_hidden.status_code == on_missing.status_code == 200
    assert on_hidden.json() == on_missing.json() == {
        "items": [], "total": 0, "limit": 50, "offset": 0
    }  # fmt: skip
    everything = client.get(f"/api/v1/{resource}", headers=hcmc).json()
    assert everything["total"] >= 1  # the records themselves are shared: only the filter hides


def test_a_ref_used_by_a_hidden_agency_is_free_for_another_agency(
    client: TestClient, world: dict[str, Any], hidden: dict[str, Any]
) -> None:
    hcmc = token(client, "hcmc_officer")
    own = api_post(client, hcmc, "agencies", {
        "name_vi": "Đội trinh sát", "country": "VN", "level": "unit",
    })  # fmt: skip
    r = client.patch(f"/api/v1/agencies/{own}", json={"ref": "hue-secret-unit"}, headers=hcmc)
    assert r.status_code == 200, r.text  # refs are per owning agency: no collision, no tell
    # the owner's own refs still collide
    hue = token(client, "hue_officer")
    r = client.post(
        "/api/v1/agencies",
        json={"name_vi": "X", "country": "VN", "level": "unit", "ref": "hue-secret-unit"},
        headers=hue,
    )
    assert r.status_code == 409 and "already used" in r.text


def test_the_owners_audit_row_of_a_hidden_record_is_written_after_the_answer(
    app: Any, client: TestClient, world: dict[str, Any], hidden: dict[str, Any],
    factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The request path does the same work for a hidden id as for a missing one: one
    audit row; the owner's row comes in a background task once the answer is sent."""
    from hoptac.auth import audit

    hcmc = token(client, "hcmc_officer")
    rows_in_request: list[int] = []
    real = audit.record

    def counting(*args: Any, **kwargs: Any) -> None:
        rows_in_request.append(1)
        real(*args, **kwargs)

    monkeypatch.setattr(audit, "record", counting)
    sent: list[str] = []
    import hoptac.web.app as web_app

    real_task = web_app.BackgroundTask

    def task(fn: Any, *a: Any, **k: Any) -> Any:
        sent.append(f"after {len(rows_in_request)} rows")
        return real_task(fn, *a, **k)

    monkeypatch.setattr(web_app, "BackgroundTask", task)
    rows = {}
    for ident in (hidden["person"] + 10_000, hidden["agency"]):
        rows_in_request.clear()
        r = client.get(f"/api/v1/agencies/{ident}", headers=hcmc)
        assert r.status_code == 404
        rows[ident] = len(rows_in_request)
    # a missing id: one row; a hidden one: the same row on the request path, and the
    # owner's row from a task made once that row was written (run after the answer)
    assert rows == {hidden["person"] + 10_000: 1, hidden["agency"]: 2}
    assert sent == ["after 1 rows"]
    owners = [r for r in audit_rows(factory, "access.denied") if (r.detail or {}).get("hidden")]
    assert [r.agency_id for r in owners] == [world["hue"]]  # ... and is written


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/agencies?offset=9223372036854775808",
        "/api/v1/commitments?agency_id=" + "9" * 31,
        "/api/v1/agencies/" + "9" * 30,
        "/api/v1/people?limit=" + "9" * 25,
    ],
)
def test_integers_past_the_range_are_refused_not_crashed(
    client: TestClient, world: dict[str, Any], path: str
) -> None:
    r = client.get(path, headers=token(client, "hcmc_officer"))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"


def test_a_screening_job_on_a_register_id_past_the_range_is_refused(
    client: TestClient, world: dict[str, Any]
) -> None:
    headers = token(client, "hcmc_officer")
    r = client.post("/api/v1/screening/jobs", json={"register_id": int("9" * 30)}, headers=headers)
    assert 400 <= r.status_code < 500, r.text
    from tests.conftest import login

    login(client, "hcmc_officer")
    page = client.get("/screening").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    r = client.post("/screening/jobs", data={"register_id": "9" * 30, "csrf_token": csrf.group(1)})
    assert 400 <= r.status_code < 500, r.text
    assert "<html" in r.text.lower()  # a page, in the reader's language


def test_pages_with_integers_past_the_range_answer_a_page_not_a_crash(
    client: TestClient, world: dict[str, Any]
) -> None:
    from tests.conftest import login

    login(client, "hcmc_officer")
    for path in ("/agencies/" + "9" * 30, "/agencies?offset=" + "9" * 30):
        r = client.get(path)
        assert r.status_code == 400, (path, r.status_code)
        assert "Yêu cầu không hợp lệ" in r.text  # in the reader's language


def test_inbox_json_nested_100000_deep_is_refused_anonymously(client: TestClient) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    r = client.post("/exchange/v1/inbox", content=body)
    assert r.status_code == 422
    r = client.post("/exchange/v1/inbox", content=b'{"envelopes": ' + body + b"}")
    assert r.status_code == 422


def test_api_json_nested_too_deeply_is_a_client_error(
    client: TestClient, world: dict[str, Any]
) -> None:
    body = b'{"name_vi": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    r = client.post(
        "/api/v1/agencies",
        content=body,
        headers={**token(client, "hcmc_officer"), "content-type": "application/json"},
    )
    assert 400 <= r.status_code < 500


def test_a_login_forced_from_another_site_is_refused(
    client: TestClient, world: dict[str, Any], factory: sessionmaker[Session]
) -> None:
    form = {"username": "hcmc_viewer", "password": PASSWORD, **ACK}
    # the attacker's page posts the form: no token, no token cookie (SameSite=Strict)
    r = client.post("/login", data=form, headers={"origin": "https://evil.example"},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 403 and client.cookies.get("hoptac_session") is None
    assert not audit_rows(factory, "auth.login")
    # a token lifted from the attacker's own visit is no good without its cookie
    page = TestClient(client.app).get("/login").text
    lifted = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert lifted
    r = client.post("/login", data={**form, "csrf_token": lifted.group(1)},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 403 and client.cookies.get("hoptac_session") is None
    # the form itself, as a browser on this site sends it (behind the TLS proxy its
    # Origin names https:// while the app sees http://), works; so does an older tab's
    first = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    second = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert first and second
    r = client.post("/login", data={**form, "csrf_token": first.group(1)},
                    headers={"origin": "https://testserver"}, follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_signed_in_the_login_page_goes_on_instead_of_asking_again(
    client: TestClient, world: dict[str, Any]
) -> None:
    from tests.conftest import login

    login(client, "hcmc_officer")
    r = client.get("/login?next=/people", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/people"


def test_the_token_endpoint_answers_alike_without_the_code_and_with_a_wrong_password(
    client: TestClient, world: dict[str, Any]
) -> None:
    wrong = client.post(
        "/api/v1/auth/token", data={"username": "hcmc_officer", "password": "wrong guess 7"}
    )
    right_no_code = client.post(
        "/api/v1/auth/token", data={"username": "hcmc_officer", "password": PASSWORD}
    )
    right_bad_code = client.post(
        "/api/v1/auth/token",
        data={"username": "hcmc_officer", "password": PASSWORD, "totp": "000000"},
    )
    answers = [(r.status_code, r.json()["detail"]) for r in (wrong, right_no_code, right_bad_code)]
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 400
