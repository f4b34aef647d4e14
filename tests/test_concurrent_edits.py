"""Two officers edit the same record: the second, working from a stale copy, is told so
instead of silently overwriting the first."""

from typing import Any

from fastapi.testclient import TestClient

from hoptac.web.app import create_app
from tests.conftest import login, token
from tests.forms import form_fields


def _commitment(client: TestClient, h: dict[str, str], world: dict[str, Any]) -> dict[str, Any]:
    r = client.post(
        "/api/v1/commitments",
        headers=h,
        json={"description": "Trao đổi đoàn", "owed_by_id": world["hcmc"]},
    )
    assert r.status_code == 201
    return r.json()


def test_if_match_refuses_a_stale_api_update(client: TestClient, world: dict[str, Any]) -> None:
    h = token(client, "hcmc_officer")
    c = _commitment(client, h, world)
    url = f"/api/v1/commitments/{c['id']}"
    first = client.get(url, headers=h)
    assert first.headers["etag"] == '"1"' and first.json()["version"] == 1
    ok = client.patch(url, json={"status": "done"}, headers={**h, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["etag"] == '"2"'
    stale = client.patch(url, json={"evidence": "x"}, headers={**h, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert "changed by someone else" in stale.json()["detail"]
    assert client.get(url, headers=h).json()["evidence"] is None
    bad = client.patch(url, json={"evidence": "x"}, headers={**h, "If-Match": "yesterday"})
    assert bad.status_code == 422
    # without If-Match the last write wins, as documented
    assert client.patch(url, json={"evidence": "x"}, headers=h).status_code == 200


def test_a_change_to_child_rows_only_moves_the_version(
    client: TestClient, world: dict[str, Any]
) -> None:
    h = token(client, "hcmc_officer")
    e = client.post(
        "/api/v1/engagements",
        headers=h,
        json={"kind": "visit", "title": "Thăm", "host_ids": [world["busan"]]},
    ).json()
    r = client.patch(
        f"/api/v1/engagements/{e['id']}", headers=h, json={"visitor_ids": [world["hcmc"]]}
    )
    assert r.json()["version"] == e["version"] + 1


def test_the_second_form_submission_is_told_about_the_first(
    app: Any, world: dict[str, Any]
) -> None:
    with TestClient(app) as first, TestClient(create_app(app.state.settings)) as second:
        h = token(first, "hcmc_officer")
        c = _commitment(first, h, world)
        edit = f"/commitments/{c['id']}/edit"
        login(first, "hcmc_officer")
        login(second, "hcmc_admin")
        form_a = form_fields(first.get(edit).text)
        form_b = form_fields(second.get(edit).text)

        r = first.post(edit, data={**form_a, "status": ["done"]}, follow_redirects=False)
        assert r.status_code == 303
        r = second.post(edit, data={**form_b, "evidence": ["Đã gửi công hàm"]})
        assert r.status_code == 412
        assert "Một cán bộ khác đã sửa bản ghi này" in r.text
        assert "Đã gửi công hàm</textarea>" in r.text  # the second officer's input is kept
        assert first.get(f"/api/v1/commitments/{c['id']}", headers=h).json()["status"] == "done"

        # Saving again, with the first change in view, is a deliberate overwrite.
        r = second.post(edit, data=form_fields(r.text), follow_redirects=False)
        assert r.status_code == 303
        after = first.get(f"/api/v1/commitments/{c['id']}", headers=h).json()
        assert after["evidence"] == "Đã gửi công hàm" and after["version"] == 3
