"""What a user must NOT see: another agency's private records, anywhere."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import api_post, csrf, login, token
from tests.helpers.routes import PUBLIC, SIGN_OUT
from tests.helpers.routes import routes as _routes

# The resources with a hidden record in `hue_private`.
RESOURCES = (
    "people",
    "agreements",
    "engagements",
    "commitments",
    "agencies",
    "notices",
    "registers",
)


@pytest.fixture
def hue_private(client: TestClient, world: dict[str, Any]) -> dict[str, Any]:
    """Records Huế keeps to itself, plus one it shares with every agency."""
    h = token(client, "hue_officer")

    def post(resource: str, body: dict[str, Any]) -> int:
        return api_post(client, h, resource, body)

    person = post("people", {"full_name": "Trần Bí Mật", "agency_id": world["hue"]})
    agreement = post(
        "agreements",
        {
            "kind": "mou",
            "title": "Thỏa thuận mật Huế–Busan",
            "party_ids": [world["hue"], world["busan"]],
        },
    )
    engagement = post(
        "engagements",
        {
            "kind": "talks",
            "title": "Hội đàm kín",
            "host_ids": [world["hue"]],
            "visitor_ids": [world["busan"]],
            "participants": [{"person_id": person}],
        },
    )
    commitment = post(
        "commitments",
        {"description": "Cam kết kín", "owed_by_id": world["hue"], "agreement_id": agreement},
    )
    agency = post(
        "agencies",
        {
            "name_vi": "Đội trinh sát kín",
            "country": "VN",
            "level": "unit",
            "sharing": "agency",
            "parent_id": world["hue"],
        },
    )
    notice = post("notices", {"ref": "TN-HUE-1", "name": "Trần Bí Mật", "kind": "wanted"})
    register = post("registers", {"name": "Sổ lưu trú mật Huế", "kind": "hotel"})
    shared = post(
        "agreements",
        {
            "kind": "coordination_program",
            "title": "Chương trình chung",
            "party_ids": [world["hue"], world["hcmc"]],
            "sharing": "all",
        },
    )
    return {
        "people": person,
        "agreements": agreement,
        "engagements": engagement,
        "commitments": commitment,
        "agencies": agency,
        "notices": notice,
        "registers": register,
        "shared": shared,
    }


def test_api_hides_private_records_of_other_agencies(
    client: TestClient, hue_private: dict[str, Any]
) -> None:
    hcmc = token(client, "hcmc_admin")  # even an admin of another agency
    for resource in RESOURCES:
        record_id = hue_private[resource]
        r = client.get(f"/api/v1/{resource}/{record_id}", headers=hcmc)
        assert r.status_code == 404, resource
        missing = client.get(f"/api/v1/{resource}/999999", headers=hcmc).json()
        assert r.json()["detail"].replace(str(record_id), "N") == missing["detail"].replace(
            "999999", "N"
        ), "a hidden record must look exactly like a missing one"
        listed = client.get(f"/api/v1/{resource}?limit=200", headers=hcmc).json()
        assert record_id not in [i["id"] for i in listed["items"]], resource
    people = client.get("/api/v1/people", params={"q": "tran bi mat"}, headers=hcmc).json()
    assert people["total"] == 0
    agencies = client.get("/api/v1/agencies", params={"q": "trinh sat"}, headers=hcmc).json()
    assert agencies["total"] == 0


def test_counts_exclude_hidden_records(client: TestClient, hue_private: dict[str, Any]) -> None:
    hue = client.get("/api/v1/agreements", headers=token(client, "hue_viewer")).json()
    hcmc = client.get("/api/v1/agreements", headers=token(client, "hcmc_viewer")).json()
    assert (hue["total"], hcmc["total"]) == (2, 1)


def test_hidden_records_cannot_be_referenced(
    client: TestClient, world: dict[str, Any], hue_private: dict[str, Any]
) -> None:
    hcmc = token(client, "hcmc_officer")
    r = client.post(
        "/api/v1/commitments",
        json={
            "description": "x",
            "owed_by_id": world["hcmc"],
            "agreement_id": hue_private["agreements"],
        },
        headers=hcmc,
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "agreement_id",
            "message": f"agreement {hue_private['agreements']} does not exist",
        }
    ]


def test_shared_records_are_read_but_not_changed_by_other_agencies(
    client: TestClient, hue_private: dict[str, Any]
) -> None:
    hcmc = token(client, "hcmc_officer")
    shared = hue_private["shared"]
    assert client.get(f"/api/v1/agreements/{shared}", headers=hcmc).status_code == 200
    r = client.patch(f"/api/v1/agreements/{shared}", json={"title": "x"}, headers=hcmc)
    assert r.status_code == 403
    hue = token(client, "hue_officer")
    r = client.patch(f"/api/v1/agreements/{shared}", json={"title": "Chương trình 2"}, headers=hue)
    assert r.status_code == 200


def test_pages_hide_private_records(
    client: TestClient, world: dict[str, Any], hue_private: dict[str, Any]
) -> None:
    login(client, "hcmc_officer")
    for resource in RESOURCES:
        record_id = hue_private[resource]
        assert client.get(f"/{resource}/{record_id}").status_code == 404, resource
        if resource != "agencies":
            assert client.get(f"/{resource}/{record_id}/edit").status_code == 404
    assert client.get(f"/agreements/{hue_private['shared']}").status_code == 200
    hue_page = client.get(f"/agencies/{world['hue']}").text
    for secret in ("Thỏa thuận mật", "Hội đàm kín", "Cam kết kín", "Trần Bí Mật", "trinh sát kín"):
        assert secret not in hue_page
    assert "Chương trình chung" in hue_page
    for path in (
        "/",
        "/agreements",
        "/engagements",
        "/commitments",
        "/people?q=tran",
        "/agencies?q=doi",
        "/notices?q=tran",
        "/registers",
        "/search?q=Tran+Bi+Mat",
        "/screening",
        "/commitments/new",
        "/engagements/new",
    ):
        page = client.get(path).text
        assert "Thỏa thuận mật" not in page and "Trần Bí Mật" not in page, path
        assert "Sổ lưu trú mật Huế" not in page, path
    token_ = csrf(client, "/commitments/new")
    r = client.post(
        f"/commitments/{hue_private['commitments']}/edit",
        data={"csrf_token": token_, "description": "hijack"},
    )
    assert r.status_code == 404


# ---- every route is either public or refuses strangers --------------------------------

WRITES = {"POST", "PATCH", "PUT", "DELETE"}


def _url(path: str) -> str:
    return (
        path.replace("{record_id:int}", "1")
        .replace("{record_id}", "1")
        .replace("{resource}", "agreements")
        .replace("{code}", "vi")
        .replace("{node_id}", "kr-busan-pd")
        .replace("{thread_id}", "01J00000000000000000000000")
        .replace("{envelope_id}", "01J00000000000000000000000")
        .replace("{index:int}", "0")
        .replace("{agency_id:int}", "1")
        .replace("{agency_id}", "1")
    )


def test_every_non_public_route_refuses_anonymous_callers(client: TestClient, app: Any) -> None:
    routes = _routes(app)
    assert len(routes) > 30
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        r = client.request(method, _url(path), follow_redirects=False)
        if path.startswith("/api/"):
            assert r.status_code == 401, (method, path, r.status_code)
        else:
            assert r.status_code == 303, (method, path, r.status_code)
            assert r.headers["location"].startswith("/login"), (method, path)


def test_viewers_cannot_write_through_any_route(
    client: TestClient, app: Any, world: dict[str, Any]
) -> None:
    api = token(client, "hcmc_viewer")
    login(client, "hcmc_viewer")
    form_token = csrf(client, "/")
    for method, path in _routes(app):
        if method not in WRITES or (method, path) in PUBLIC | SIGN_OUT:
            continue
        if path.startswith("/api/"):
            r = client.request(method, _url(path), json={}, headers=api)
            # The role is checked before the body: even an empty body gets 403.
            assert r.status_code == 403, (method, path, r.status_code)
        else:
            r = client.request(method, _url(path), data={"csrf_token": form_token})
            assert r.status_code == 403, (method, path, r.status_code)
