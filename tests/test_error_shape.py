"""Every status the API answers comes in one shape (after datasette's test_error_shape):
RFC 9457 problem details as application/problem+json with type, title, status, detail,
instance and errors[] ({field, message}); the type resolves to a page that explains it;
the OpenAPI document declares that shape for every error of every operation."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hoptac.errors import PROBLEM_TYPES
from tests.conftest import PASSWORD, api_post, token, totp_code
from tests.helpers.problems import assert_oauth_error, assert_problem

Provoke = Callable[[TestClient, dict[str, Any]], Any]


def _officer(c: TestClient) -> dict[str, str]:
    return token(c, "hcmc_officer")


def _stale(c: TestClient, w: dict[str, Any]) -> Any:
    h = _officer(c)
    person = api_post(c, h, "people", {"full_name": "Lê Văn A"})
    return c.patch(
        f"/api/v1/people/{person}", json={"position": "x"}, headers={**h, "If-Match": '"9"'}
    )


def _duplicate(c: TestClient, w: dict[str, Any]) -> Any:
    h = _officer(c)
    api_post(c, h, "people", {"full_name": "Lê Văn A", "ref": "p-1"})
    return c.post("/api/v1/people", json={"full_name": "Lê Văn B", "ref": "p-1"}, headers=h)


def _flood(c: TestClient, w: dict[str, Any]) -> Any:
    for _ in range(200):
        r = c.post("/api/v1/auth/token", data={"username": "x", "password": "y"})
        if r.status_code == 429:
            return r
    raise AssertionError("never limited")


CASES: dict[str, tuple[int, str, Provoke, set[str] | None]] = {
    "malformed JSON": (400, "malformed-json", lambda c, w: c.post(
        "/api/v1/commitments", content=b'{"description": ',
        headers={**_officer(c), "content-type": "application/json"}), {"body"}),
    "no token": (401, "unauthenticated", lambda c, w: c.get("/api/v1/agencies"), None),
    "a viewer writes": (403, "forbidden", lambda c, w: c.post(
        "/api/v1/people", json={"full_name": "X"}, headers=token(c, "hcmc_viewer")), None),
    "no such record": (404, "not-found", lambda c, w: c.get(
        "/api/v1/people/999999", headers=_officer(c)), None),
    "no such route": (404, "not-found", lambda c, w: c.get("/api/v1/nothing-here"), None),
    "wrong method": (405, "method-not-allowed", lambda c, w: c.delete(
        "/api/v1/people", headers=_officer(c)), None),
    "duplicate ref": (409, "conflict", _duplicate, {"ref"}),
    "stale If-Match": (412, "stale-edit", _stale, None),
    "too large": (413, "request-too-large", lambda c, w: c.post(
        "/api/v1/people", content=b"x" * (3 * 1024 * 1024),
        headers={**_officer(c), "content-type": "application/json"}), None),
    "form for JSON": (415, "unsupported-media-type", lambda c, w: c.post(
        "/api/v1/people", data={"full_name": "X"}, headers=_officer(c)), None),
    "JSON for CSV": (415, "unsupported-media-type", lambda c, w: c.post(
        "/api/v1/notices/import", json={}, headers=_officer(c)), None),
    "invalid field": (422, "invalid-input", lambda c, w: c.post(
        "/api/v1/people", json={"full_name": " ", "extra": 1}, headers=_officer(c)),
        {"full_name", "extra"}),
    "invalid query": (422, "invalid-input", lambda c, w: c.get(
        "/api/v1/people?limit=0", headers=_officer(c)), {"limit"}),
    "bad If-Match": (422, "invalid-input", lambda c, w: c.patch(
        "/api/v1/people/1", json={}, headers={**_officer(c), "If-Match": "yesterday"}),
        {"if-match"}),
    "too many": (429, "too-many-requests", _flood, None),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_every_status_has_the_one_shape(
    client: TestClient, world: dict[str, Any], case: str
) -> None:
    status, slug, provoke, fields = CASES[case]
    body = assert_problem(provoke(client, world), status, type=slug, fields=fields)
    # the type resolves to its explanation
    page = client.get(body["type"])
    assert page.status_code == 200 and body["title"] in page.text


def test_a_crash_has_the_one_shape(app: Any) -> None:
    def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/api/v1/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        body = assert_problem(client.get("/api/v1/boom"), 500, type="internal")
    assert "secret" not in json.dumps(body)


def test_405_allows_every_method_of_the_path(client: TestClient, world: dict[str, Any]) -> None:
    h = _officer(client)
    r = client.delete("/api/v1/people", headers=h)
    assert r.headers["allow"] == "GET, POST"
    r = client.put("/api/v1/people/1", headers=h)
    assert_problem(r, 405)
    assert r.headers["allow"] == "GET, PATCH"


def test_if_match_star_and_no_if_match_are_accepted(
    client: TestClient, world: dict[str, Any]
) -> None:
    h = _officer(client)
    person = api_post(client, h, "people", {"full_name": "Lê Văn A"})
    url = f"/api/v1/people/{person}"
    r = client.patch(url, json={"position": "a"}, headers={**h, "If-Match": "*"})
    assert r.status_code == 200 and r.headers["etag"] == '"2"'
    r = client.patch(url, json={"position": "b"}, headers=h)  # If-Match is optional
    assert r.status_code == 200 and r.headers["etag"] == '"3"'
    assert_problem(client.patch("/api/v1/people/999999", json={}, headers={**h, "If-Match": "*"}),
                   404)  # fmt: skip


def test_the_token_endpoint_answers_oauth2_errors(
    client: TestClient, world: dict[str, Any]
) -> None:
    url = "/api/v1/auth/token"
    wrong = client.post(url, data={"username": "hcmc_officer", "password": "nope"})
    assert_oauth_error(wrong, "invalid_grant")
    no_code = client.post(url, data={"username": "hcmc_officer", "password": PASSWORD})
    assert no_code.json() == wrong.json()  # every refusal reads alike
    assert_oauth_error(client.post(url, data={"username": "x"}), "invalid_request")
    assert_oauth_error(client.post(url, json={"username": "x"}), "invalid_request")
    r = client.post(
        url, data={"grant_type": "client_credentials", "username": "x", "password": "y"}
    )
    assert_oauth_error(r, "unsupported_grant_type")
    ok = client.post(
        url,
        data={"grant_type": "password", "username": "hcmc_officer", "password": PASSWORD,
              "totp": totp_code("hcmc_officer")},
    )  # fmt: skip
    assert ok.status_code == 200 and ok.headers["cache-control"] == "no-store"
    assert ok.json()["token_type"] == "bearer"


def test_problem_types_explain_themselves(client: TestClient) -> None:
    for slug, kind in PROBLEM_TYPES.items():
        page = client.get(f"/problems/{slug}")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        data = client.get(f"/problems/{slug}", headers={"accept": "application/json"}).json()
        assert (data["type"], data["title"], data["status"]) == (kind.type, kind.title, kind.status)
        assert data["explanation"]
    assert client.get("/problems/nonsense").status_code == 404


def test_the_spec_declares_the_one_shape_and_short_operation_ids(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert set(schemas["Problem"]["required"]) == {
        "type", "title", "status", "detail", "instance", "errors"
    }  # fmt: skip
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    ids = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            ids.append(op["operationId"])
            for status in ("400", "401", "403", "404", "409", "412", "413", "415", "422"):
                if path == "/api/v1/auth/token" and status == "400":
                    continue  # OAuth2's error (TokenError, application/json)
                assert op["responses"][status]["content"] == problem, (method, path, status)
    assert len(ids) == len(set(ids))
    assert {"agencies_get", "agencies_list", "hotline_messages_send", "auth_token"} <= set(ids)
    assert all(len(i) <= 30 and "api_v1" not in i for i in ids), ids


def test_timestamps_are_utc_with_z(client: TestClient, world: dict[str, Any]) -> None:
    h = _officer(client)
    person = client.post("/api/v1/people", json={"full_name": "Lê Văn A"}, headers=h).json()
    assert person["created_at"].endswith("Z") and person["updated_at"].endswith("Z")
    listed = client.get("/api/v1/people", headers=h).json()["items"][0]
    assert listed["created_at"] == person["created_at"]
