"""Requests for assistance through the API: the same state machine as the service, with
its refusals as problem documents (409 names the state, 403 the side or role, 422 the
details, 412 a stale ETag), every step endpoint walked with the wrong side and role, and
nothing changed by a refused step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hoptac.assistance import states
from hoptac.assistance.states import Action, Side, State
from tests.conftest import audit_rows, token
from tests.helpers.hotline import BUSAN, Net, pin_requests, receive_request
from tests.helpers.problems import assert_problem

DRAFT = {
    "to": BUSAN,
    "kind": "locate",
    "priority": "P2",
    "title": "Truy tìm Kim Min-jun",
    "summary": "Đề nghị xác định nơi ở của Kim Min-jun, sinh 1990, quốc tịch Hàn Quốc.",
    "persons": [{"name": "Kim Min-jun", "birth": "1990", "nationality": "KR"}],
    "legal_basis": "MOU giữa Công an TP.HCM và Sở Cảnh sát Busan",
}


@pytest.fixture
def requests_net(session: Session, net: Net) -> Net:
    """Busan pinned with requests both ways."""
    pin_requests(session, net)
    return net


def _create(client: TestClient, who: str = "hcmc_officer", **changes: Any) -> dict[str, Any]:
    r = client.post("/api/v1/requests", json={**DRAFT, **changes}, headers=_auth(client, who))
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"/api/v1/requests/{r.json()['uid']}"
    return dict(r.json())


_TOKENS: dict[tuple[int, str], dict[str, str]] = {}


def _auth(client: TestClient, who: str) -> dict[str, str]:
    """One token per user and client (the token endpoint is rate limited)."""
    key = (id(client), who)
    if key not in _TOKENS:
        _TOKENS[key] = token(client, who)
    return _TOKENS[key]


def _step(
    client: TestClient, uid: str, action: str, who: str = "hcmc_officer", **details: Any
) -> Any:
    return client.post(
        f"/api/v1/requests/{uid}/steps/{action}", json=details, headers=_auth(client, who)
    )


def test_a_draft_is_written_sent_and_read_back_with_its_history(
    client: TestClient, requests_net: Net, factory: Any
) -> None:
    made = _create(client)
    assert made["state"] == "draft" and made["side"] == "requesting"
    assert made["actions"] == ["send", "withdraw"]
    r = _step(client, made["uid"], "send")
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "sent" and r.headers["ETag"] == f'"{r.json()["version"]}"'
    got = client.get(f"/api/v1/requests/{made['uid']}", headers=_auth(client, "hcmc_officer"))
    assert [h["action"] for h in got.json()["history"]] == ["send"]
    assert got.json()["history"][0]["seq"] == 1
    listed = client.get("/api/v1/requests?open=true", headers=_auth(client, "hcmc_officer"))
    assert listed.json()["total"] == 1
    steps = audit_rows(factory, "assistance.step")
    assert steps[-1].detail["before"]["state"] == "draft"
    assert steps[-1].detail["after"]["state"] == "sent"


def test_every_step_endpoint_refuses_the_wrong_side_and_role_and_changes_nothing(
    client: TestClient, session: Session, requests_net: Net
) -> None:
    """For a request of each side, every action of the other side is 403 for an officer;
    every action is 403 for a viewer and 404 for another agency on the node."""
    ours = _create(client)["uid"]
    theirs = receive_request(session, requests_net)
    for uid, side in ((ours, Side.REQUESTING), (theirs, Side.RECEIVING)):
        before = client.get(f"/api/v1/requests/{uid}", headers=_auth(client, "hcmc_officer"))
        for action in Action:
            rule_sides = {r.side for r in states.RULES if r.action is action}
            if side not in rule_sides:
                r = _step(client, uid, action.value)
                assert r.status_code in (403, 409), (uid, action, r.text)
                if r.status_code == 409:  # not from this state at all: named
                    assert before.json()["state"] in r.json()["detail"]
            assert _step(client, uid, action.value, "hcmc_viewer").status_code == 403
            assert _step(client, uid, action.value, "hue_officer").status_code == 404
        after = client.get(f"/api/v1/requests/{uid}", headers=_auth(client, "hcmc_officer"))
        assert after.json()["history"] == before.json()["history"]
        assert after.json()["state"] == before.json()["state"]


def test_the_refusals_are_problem_documents_naming_what_is_wrong(
    client: TestClient, session: Session, requests_net: Net
) -> None:
    uid = _create(client)["uid"]
    r = _step(client, uid, "close")
    assert_problem(r, 409)
    assert "'draft'" in r.json()["detail"]
    theirs = receive_request(session, requests_net)
    assert _step(client, theirs, "acknowledge").status_code == 200
    assert _step(client, theirs, "accept").status_code == 200
    assert _step(client, theirs, "start").status_code == 200
    past = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    r = _step(client, theirs, "postpone", reason="Chờ giám định", new_date=past)
    assert_problem(r, 422)
    assert [e["field"] for e in r.json()["errors"]] == ["new_date"]
    r = client.post(
        f"/api/v1/requests/{theirs}/extend",
        json={"deadline": "answer", "due": "2001-01-01T00:00:00Z", "reason": "x"},
        headers=_auth(client, "hcmc_officer"),
    )
    assert_problem(r, 422)
    stale = client.post(
        f"/api/v1/requests/{theirs}/steps/answer",
        json={"text": "done"},
        headers={**_auth(client, "hcmc_officer"), "If-Match": '"1"'},
    )
    assert_problem(stale, 412)
    got = client.get(f"/api/v1/requests/{theirs}", headers=_auth(client, "hcmc_officer"))
    assert got.json()["state"] == State.IN_EXECUTION


def test_a_p1_needs_its_reason_and_a_request_its_legal_basis(
    client: TestClient, requests_net: Net
) -> None:
    headers = _auth(client, "hcmc_officer")
    r = client.post("/api/v1/requests", json={**DRAFT, "priority": "P1"}, headers=headers)
    assert_problem(r, 422)
    assert [e["field"] for e in r.json()["errors"]] == ["priority_reason"]
    r = client.post("/api/v1/requests", json={**DRAFT, "legal_basis": " "}, headers=headers)
    assert_problem(r, 422)
    assert [e["field"] for e in r.json()["errors"]] == ["legal_basis"]


def test_files_past_what_one_request_carries_are_refused(
    client: TestClient, requests_net: Net
) -> None:
    import base64

    big = base64.b64encode(b"\0" * (600 * 1024)).decode()
    r = client.post(
        "/api/v1/requests",
        json={**DRAFT, "attachments": [{"name": "scan.pdf", "data": big}]},
        headers=_auth(client, "hcmc_officer"),
    )
    assert_problem(r, 422)
    assert [e["field"] for e in r.json()["errors"]] == ["attachments"]


def test_the_service_levels_come_as_json_and_as_csv_for_the_liaison_only(
    client: TestClient, session: Session, requests_net: Net
) -> None:
    theirs = receive_request(session, requests_net)
    assert _step(client, theirs, "acknowledge").status_code == 200
    headers = _auth(client, "hcmc_officer")
    lines = client.get("/api/v1/requests/sla", headers=headers).json()
    assert [(x["peer"], x["direction"], x["requests"], x["acknowledged"]) for x in lines] == [
        (BUSAN, "we_owe", 1, 1)
    ]
    csv = client.get("/api/v1/requests/sla?format=csv", headers=headers)
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[1].startswith(f"{BUSAN},")
    assert (
        client.get("/api/v1/requests/sla", headers=_auth(client, "hcmc_viewer")).status_code == 403
    )
    assert (
        client.get("/api/v1/requests/sla", headers=_auth(client, "hue_officer")).status_code == 404
    )


def test_a_case_through_the_api_and_an_evidence_file_past_the_limit_is_413(
    client: TestClient, session: Session, requests_net: Net, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hoptac.assistance import cases

    headers = _auth(client, "hcmc_officer")
    made = client.post("/api/v1/cases", json={"title": "Hồ sơ Kim Min-jun"}, headers=headers)
    assert made.status_code == 201, made.text
    ref = made.json()["ref"]
    uid = receive_request(session, requests_net)
    linked = client.post(
        f"/api/v1/cases/{ref}/links", json={"kind": "request", "target": uid}, headers=headers
    )
    assert linked.status_code == 200 and linked.json()["links"][0]["ref"] == uid
    monkeypatch.setattr(cases, "EVIDENCE_MAX_BYTES", 100)
    big = client.post(
        f"/api/v1/cases/{ref}/evidence",
        data={"kind": "file", "description": "Video", "holder": "Đội 2"},
        files={"file": ("clip.mp4", b"\0" * 101, "video/mp4")},
        headers=headers,
    )
    assert_problem(big, 413)
    small = client.post(
        f"/api/v1/cases/{ref}/evidence",
        data={"kind": "file", "description": "Ảnh", "holder": "Đội 2"},
        files={"file": ("a.jpg", b"\xff\xd8", "image/jpeg")},
        headers=headers,
    )
    assert small.status_code == 201
    got = client.get(f"/api/v1/cases/{ref}", headers=headers).json()
    assert [e["name"] for e in got["evidence"]] == ["a.jpg"]  # the refused file left nothing
    closing = client.post(f"/api/v1/cases/{ref}/close", headers=headers)
    assert_problem(closing, 409)
    assert uid in closing.json()["detail"]
    for who, status in (("hcmc_viewer", 403), ("hue_officer", 404)):
        assert client.get(f"/api/v1/cases/{ref}", headers=_auth(client, who)).status_code == status


def test_numbers_in_other_scripts_are_refused_not_crashed_on(
    client: TestClient, session: Session, requests_net: Net
) -> None:
    uid = _create(client)["uid"]
    headers: dict[str, Any] = {
        **_auth(client, "hcmc_officer"),
        "If-Match": '"²"'.encode("latin-1"),  # a header may carry it
    }
    assert_problem(client.post(f"/api/v1/requests/{uid}/steps/send", json={}, headers=headers), 422)


def test_a_case_shared_through_the_api_is_read_by_the_other_agency_up_to_its_code(
    client: TestClient, session: Session, requests_net: Net, world: dict[str, Any]
) -> None:
    owner, hue = _auth(client, "hcmc_officer"), _auth(client, "hue_officer")
    ref = client.post("/api/v1/cases", json={"title": "Chuyên án chung"}, headers=owner).json()[
        "ref"
    ]
    uid = receive_request(session, requests_net)  # Busan's request, H0
    client.post(
        f"/api/v1/cases/{ref}/links", json={"kind": "request", "target": uid}, headers=owner
    )
    assert client.get(f"/api/v1/cases/{ref}", headers=hue).status_code == 404
    bad = client.post(
        f"/api/v1/cases/{ref}/shares", json={"agency_id": world["hue"], "max_handling": "H7"},
        headers=owner,
    )  # fmt: skip
    assert_problem(bad, 422)
    shared = client.post(
        f"/api/v1/cases/{ref}/shares", json={"agency_id": world["hue"], "max_handling": "H0"},
        headers=owner,
    )  # fmt: skip
    assert shared.status_code == 200, shared.text
    assert [(s["agency_id"], s["max_handling"]) for s in shared.json()["shares"]] == [
        (world["hue"], "H0")
    ]
    seen = client.get(f"/api/v1/cases/{ref}", headers=hue)
    assert seen.status_code == 200
    body = seen.json()
    assert body["shared_with_you"] == "H0" and body["shares"] == []  # whom else: not theirs
    assert [x["ref"] for x in body["links"]] == [uid]
    assert any(t["source"] == "request" and t["href"] is None for t in body["timeline"])
    refused = client.post(f"/api/v1/cases/{ref}/close", headers=hue)
    assert_problem(refused, 403)
    gone = client.delete(f"/api/v1/cases/{ref}/shares/{world['hue']}", headers=owner)
    assert gone.status_code == 200 and gone.json()["shares"] == []
    assert client.get(f"/api/v1/cases/{ref}", headers=hue).status_code == 404
