"""Field permission: which source a record was read from, the passage quoted and the
sources themselves are for officers and admins; a viewer reads the records without them
(absent from the JSON, not shown on pages, the sources refused)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import api_post, login, token

QUOTE = "Hai bên cam kết trao đổi thông tin về tội phạm ma túy"


def _cited(client: TestClient, world: dict[str, Any]) -> tuple[int, int]:
    h = token(client, "hcmc_officer")
    source = api_post(client, h, "sources", {"title": "Báo Công an nhân dân", "text": QUOTE})
    agreement = api_post(
        client,
        h,
        "agreements",
        {
            "kind": "mou",
            "title": "Biên bản ghi nhớ",
            "party_ids": [world["hcmc"]],
            "source_id": source,
            "quote": QUOTE,
        },
    )
    return source, agreement


def test_viewers_get_records_without_their_source(
    client: TestClient, world: dict[str, Any]
) -> None:
    source, agreement = _cited(client, world)
    officer = client.get(f"/api/v1/agreements/{agreement}", headers=token(client, "hcmc_officer"))
    assert (officer.json()["source_id"], officer.json()["quote"]) == (source, QUOTE)
    viewer = token(client, "hcmc_viewer")
    one = client.get(f"/api/v1/agreements/{agreement}", headers=viewer)
    assert one.status_code == 200 and one.json()["title"] == "Biên bản ghi nhớ"
    assert "source_id" not in one.json() and "quote" not in one.json()
    listed = client.get("/api/v1/agreements", headers=viewer).json()["items"]
    assert [("source_id" in i, "quote" in i) for i in listed] == [(False, False)]
    assert QUOTE not in one.text + str(listed)
    for path in ("/api/v1/sources", f"/api/v1/sources/{source}"):
        assert client.get(path, headers=viewer).status_code == 403, path


def test_viewers_pages_show_no_source(client: TestClient, world: dict[str, Any]) -> None:
    source, agreement = _cited(client, world)
    login(client, "hcmc_officer")
    assert QUOTE in client.get(f"/agreements/{agreement}").text
    assert 'href="/sources"' in client.get("/").text
    client.cookies.clear()
    login(client, "hcmc_viewer")
    page = client.get(f"/agreements/{agreement}")
    assert page.status_code == 200 and QUOTE not in page.text
    assert f"/sources/{source}" not in page.text
    assert 'href="/sources"' not in client.get("/").text
    assert client.get(f"/sources/{source}").status_code == 403
    assert client.get("/sources").status_code == 403


def test_viewers_get_no_passage_of_a_participant_either(
    client: TestClient, world: dict[str, Any]
) -> None:
    h = token(client, "hcmc_officer")
    person = api_post(client, h, "people", {"full_name": "Nguyễn Văn Trưởng"})
    engagement = api_post(
        client,
        h,
        "engagements",
        {
            "kind": "talks",
            "title": "Hội đàm",
            "host_ids": [world["hcmc"]],
            "participants": [{"person_id": person, "quote": QUOTE}],
        },
    )
    officer = client.get(f"/api/v1/engagements/{engagement}", headers=h).json()
    assert officer["participants"][0]["quote"] == QUOTE
    viewer = token(client, "hcmc_viewer")
    one = client.get(f"/api/v1/engagements/{engagement}", headers=viewer)
    listed = client.get("/api/v1/engagements", headers=viewer)
    assert one.json()["participants"][0]["full_name"] == "Nguyễn Văn Trưởng"
    assert "quote" not in one.json()["participants"][0]
    assert QUOTE not in one.text and QUOTE not in listed.text
