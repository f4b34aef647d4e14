"""Notices between nodes through the API and the pages of one node (HCMC, with Busan and
Yunnan pinned, notices allowed both ways): an officer sends a notice, reads whom it went
to; a partner's notice arrives as a read-only copy that no one here may change, and a
viewer or another agency can neither send nor read whom it was sent to."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hoptac import ulid
from hoptac.db.models import EnvelopeRow, Notice
from hoptac.exchange import peering
from tests.conftest import csrf, login, token
from tests.helpers.hotline import BUSAN, YUNNAN, Net, card, receive

KINDS = ["message", "notice"]
NOTICE = {
    "ref": "HCM-TN-2026-001",
    "name": "Kim Min-jun",
    "alt_names": ["김민준"],
    "birth": "1990-05-01",
    "nationality": "KR",
}


def _pin_notices(session: Session, net: Net) -> None:
    peering.add_peer(
        session, card(BUSAN, "Sở Cảnh sát Busan", net.busan), send_kinds=KINDS, receive_kinds=KINDS
    )
    session.commit()


def _partner_notice(session: Session, net: Net, version: int = 1, status: str = "active") -> str:
    uid = "01JDQ50000NTC0000000000001"
    body = {
        "notice": uid,
        "version": version,
        "data": {"ref": "BS-2026-77", "name": "Park Ji-hoon", "status": status},
    }
    receive(session, net, kind="notice", body=body)
    return uid


def test_an_officer_sends_a_notice_and_reads_whom_it_went_to(
    client: TestClient, session: Session, net: Net
) -> None:
    _pin_notices(session, net)
    h = token(client, "hcmc_officer")
    made = client.post("/api/v1/notices", json=NOTICE, headers=h)
    assert made.status_code == 201, made.text
    notice = made.json()
    assert notice["origin"] is None and ulid.is_valid(notice["uid"])
    r = client.post(
        f"/api/v1/notices/{notice['id']}/send", json={"to": [BUSAN], "handling": "H2"}, headers=h
    )
    assert r.status_code == 200, r.text
    assert [(s["node"], s["handling"], s["sent_version"]) for s in r.json()] == [
        (BUSAN, "H2", notice["version"])
    ]
    queued = session.scalars(sa.select(EnvelopeRow).where(EnvelopeRow.kind == "notice")).all()
    assert [(e.handling, e.thread_id) for e in queued] == [("H2", notice["uid"])]
    shares = client.get(f"/api/v1/notices/{notice['id']}/shares", headers=h)
    assert [s["node"] for s in shares.json()] == [BUSAN]
    # a partner the agreement does not allow notices to: 422, naming the field; nothing queued
    refused = client.post(f"/api/v1/notices/{notice['id']}/send", json={"to": [YUNNAN]}, headers=h)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "to"
    assert session.scalar(sa.select(sa.func.count()).select_from(EnvelopeRow)) == 1
    # a viewer may not send; another agency does not even see the notice
    viewer = token(client, "hcmc_viewer")
    no = client.post(f"/api/v1/notices/{notice['id']}/send", json={"to": [BUSAN]}, headers=viewer)
    assert no.status_code == 403
    hue = token(client, "hue_officer")
    for method, path, body in (
        ("POST", f"/api/v1/notices/{notice['id']}/send", {"to": [BUSAN]}),
        ("GET", f"/api/v1/notices/{notice['id']}/shares", None),
    ):
        assert client.request(method, path, json=body, headers=hue).status_code == 404


def test_a_partners_notice_is_read_only_here_and_says_whose_it_is(
    client: TestClient, session: Session, net: Net
) -> None:
    _pin_notices(session, net)
    uid = _partner_notice(session, net)
    copy = session.scalar(sa.select(Notice).where(Notice.uid == uid))
    assert copy is not None
    h = token(client, "hcmc_officer")
    got = client.get(f"/api/v1/notices/{copy.id}", headers=h)
    assert got.status_code == 200
    assert (got.json()["origin"], got.json()["ref"]) == (BUSAN, f"{BUSAN}/BS-2026-77")
    admin = token(client, "hcmc_admin")
    for who in (h, admin):
        patch = client.patch(
            f"/api/v1/notices/{copy.id}", json={"status": "withdrawn"}, headers=who
        )
        assert patch.status_code == 403 and "issuer" in patch.json()["detail"]
        again = client.post(f"/api/v1/notices/{copy.id}/send", json={"to": [BUSAN]}, headers=who)
        assert again.status_code == 403
    session.expire_all()
    assert session.get_one(Notice, copy.id).status == "active"
    assert client.get(f"/api/v1/notices/{copy.id}/shares", headers=h).json() == []
    # the page says whose it is and offers no change
    login(client, "hcmc_officer")
    page = client.get(f"/notices/{copy.id}")
    assert page.status_code == 200
    assert "Sở Cảnh sát Busan" in page.text and BUSAN in page.text
    assert f'action="/notices/{copy.id}/status"' not in page.text
    assert f'action="/notices/{copy.id}/send"' not in page.text
    # its issuer withdraws it: the copy follows
    _partner_notice(session, net, version=2, status="withdrawn")
    session.expire_all()
    assert session.get_one(Notice, copy.id).status == "withdrawn"


def test_the_notice_page_sends_it_to_the_partners_ticked(
    client: TestClient, session: Session, net: Net
) -> None:
    _pin_notices(session, net)
    h = token(client, "hcmc_officer")
    notice: dict[str, Any] = client.post("/api/v1/notices", json=NOTICE, headers=h).json()
    login(client, "hcmc_officer")
    page = client.get(f"/notices/{notice['id']}")
    assert f'value="{BUSAN}"' in page.text and f'value="{YUNNAN}"' not in page.text
    empty = client.post(f"/notices/{notice['id']}/send", data={"csrf_token": csrf(client)})
    assert empty.status_code == 422 and 'role="alert"' in empty.text
    # an error names the field as the form labels it, in the page's language, not as code
    h3 = client.post(
        f"/notices/{notice['id']}/send",
        data={"csrf_token": csrf(client), "to": BUSAN, "handling": "H3"},
    )
    assert h3.status_code == 422 and "Hạn chế (H3):" in h3.text
    assert "handling_note" not in h3.text.split('role="alert"')[1].split("</div>")[0]
    sent = client.post(
        f"/notices/{notice['id']}/send",
        data={"csrf_token": csrf(client), "to": BUSAN, "handling": "H1"},
        follow_redirects=True,
    )
    assert sent.status_code == 200 and "Sở Cảnh sát Busan" in sent.text
    assert (
        session.scalar(
            sa.select(sa.func.count()).select_from(EnvelopeRow).where(EnvelopeRow.kind == "notice")
        )
        == 1
    )
