"""Cases in the browser: open one, add a file and a physical item, hand the item on, tie in
a request, read the timeline newest first; another agency gets 404 and a viewer 403; a
file over the limit 413; a case is not closed while its request is open. On the request
page: a surrender's handover recorded through its form. From a confirmed hit: a request
to the partner, filled in."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hoptac.assistance import cases
from hoptac.assistance import service as requests
from hoptac.db.models import AssistanceRequest, Case, EvidenceItem, Handover, ScreeningHit
from hoptac.screening import service as screening
from hoptac.settings import Settings
from tests.conftest import csrf, login
from tests.helpers.hotline import Net, pin_requests, receive_request, receive_surrender
from tests.helpers.screening import principal, screening_world


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The node's home (its keys) in a temporary directory; no background sender."""
    return Settings(home=tmp_path / "node", database_url=database_url, exchange_sender=False)


def _open_case(client: TestClient, title: str = "Đường dây ma túy Móng Cái") -> str:
    r = client.post(
        "/cases",
        data={"csrf_token": csrf(client, "/cases"), "title": title, "summary": "Chuyên án 07"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    found = re.match(r"^/cases/([^?]+)\?done=opened$", r.headers["location"])
    assert found, r.headers["location"]
    return found.group(1)


def _add_item(client: TestClient, ref: str, **fields: Any) -> Any:
    files = fields.pop("files", None)
    data = {"csrf_token": csrf(client, f"/cases/{ref}"), "location": "", **fields}
    return client.post(f"/cases/{ref}/evidence", data=data, files=files, follow_redirects=False)


def _items(session: Session, ref: str) -> list[EvidenceItem]:
    session.expire_all()
    case = session.scalars(sa.select(Case).where(Case.ref == ref)).one()
    return list(case.evidence)


def _section(html: str, ident: str) -> str:
    """The <section id=...> of a page, to its end."""
    start = html.index(f'id="{ident}"')
    return html[start : html.index("</section>", start)]


def test_a_case_is_built_through_its_pages_and_its_timeline_is_newest_first(
    client: TestClient, session: Session, net: Net
) -> None:
    pin_requests(session, net)
    uid = receive_request(session, net)
    login(client, "hcmc_officer")
    client.cookies.set("hoptac_lang", "en")
    assert 'href="/cases"' in client.get("/").text  # in the menu of an officer
    ref = _open_case(client)
    assert ref in client.get("/cases").text

    photo = b"\xff\xd8\xff anh hien truong"
    r = _add_item(
        client,
        ref,
        kind="file",
        description="Ảnh hiện trường",
        holder="Đội 3",
        files={"file": ("hien-truong.jpg", photo, "image/jpeg")},
    )
    assert r.status_code == 303, r.text
    r = _add_item(
        client, ref, kind="physical", description="Điện thoại Nokia", holder="Kho vật chứng Q1"
    )
    assert r.status_code == 303, r.text
    photo_item, phone = _items(session, ref)
    assert photo_item.sha256 == hashlib.sha256(photo).hexdigest() and phone.sha256 is None

    r = client.post(
        f"/cases/{ref}/evidence/{phone.id}/custody",
        data={
            "csrf_token": csrf(client, f"/cases/{ref}"),
            "to_holder": "Viện Khoa học hình sự",
            "place": "Hà Nội",
            "at": "",
            "reason": "giám định dữ liệu",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    r = client.post(
        f"/cases/{ref}/links",
        data={"csrf_token": csrf(client, f"/cases/{ref}"), "kind": "request", "target": uid},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text

    page = client.get(f"/cases/{ref}").text
    assert "Officer in charge" in page and "hcmc_officer" in page
    assert photo_item.sha256 in page and "hien-truong.jpg" in page
    custody = _section(page, "evidence")
    assert "Kho vật chứng Q1" in custody and "Viện Khoa học hình sự" in custody
    assert "giám định dữ liệu" in custody and "Hà Nội" in custody
    links = _section(page, "links")
    assert f'href="/requests/{uid}"' in links and "Verify identity of Nguyen Van A" in links
    # the timeline: every step, newest first, and the request's own history below them
    timeline = _section(page, "timeline")
    steps = ["Record linked", "Custody handed on", "Evidence added", "Case opened"]
    at = [timeline.index(s) for s in steps]
    assert at == sorted(at), at
    assert timeline.count("Evidence added") == 2
    assert timeline.index("Case opened") < timeline.index("Delivered")  # the request's
    assert 'class="badge src-request"' in timeline and 'class="badge src-custody"' in timeline

    got = client.get(f"/cases/{ref}/evidence/{photo_item.id}/file")
    assert got.status_code == 200 and got.content == photo
    assert got.headers["x-content-sha256"] == photo_item.sha256
    assert "hien-truong.jpg" in got.headers["content-disposition"]
    # a physical item has no file
    assert client.get(f"/cases/{ref}/evidence/{phone.id}/file").status_code == 404

    # the same page in Vietnamese
    client.cookies.set("hoptac_lang", "vi")
    page = client.get(f"/cases/{ref}").text
    assert "Quá trình giao nhận" in page and "Liên kết bản ghi" in page


def test_another_agency_reads_no_case_and_a_viewer_none(
    client: TestClient, session: Session, world: dict[str, Any]
) -> None:
    login(client, "hcmc_officer")
    ref = _open_case(client, "Hồ sơ kín")
    r = _add_item(client, ref, kind="physical", description="Sổ tay", holder="Đội 1")
    assert r.status_code == 303
    item = _items(session, ref)[0].id

    client.cookies.clear()
    login(client, "hue_officer")
    assert client.get(f"/cases/{ref}").status_code == 404
    assert client.get(f"/cases/{ref}/evidence/{item}/file").status_code == 404
    assert "Hồ sơ kín" not in client.get("/cases").text
    r = client.post(
        f"/cases/{ref}/close", data={"csrf_token": csrf(client, "/cases")}, follow_redirects=False
    )
    assert r.status_code == 404

    client.cookies.clear()
    login(client, "hcmc_viewer")
    assert 'href="/cases"' not in client.get("/").text  # not in a viewer's menu
    assert client.get(f"/cases/{ref}").status_code == 403
    assert client.get("/cases").status_code == 403
    r = client.post(
        "/cases", data={"csrf_token": csrf(client, "/"), "title": "x"}, follow_redirects=False
    )
    assert r.status_code == 403


def test_a_form_without_its_token_is_refused(client: TestClient, world: dict[str, Any]) -> None:
    login(client, "hcmc_officer")
    r = client.post("/cases", data={"title": "Không có mã"}, follow_redirects=False)
    assert r.status_code == 403


def test_an_evidence_file_over_the_limit_is_refused_on_the_page(
    client: TestClient, session: Session, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cases, "EVIDENCE_MAX_BYTES", 16)
    login(client, "hcmc_officer")
    client.cookies.set("hoptac_lang", "en")
    ref = _open_case(client)
    r = _add_item(
        client,
        ref,
        kind="file",
        description="Bản ghi camera",
        holder="Đội 2",
        files={"file": ("camera.mp4", b"x" * 17, "video/mp4")},
    )
    assert r.status_code == 413
    assert "an evidence file is at most" in r.text and "Bản ghi camera" in r.text  # kept
    assert _items(session, ref) == []
    # a file item without its file: the field says so
    r = _add_item(client, ref, kind="file", description="Thiếu tệp", holder="Đội 2")
    assert r.status_code == 422 and "Please correct the highlighted fields." in r.text
    assert "required for a file" in r.text
    # at the limit it goes in
    r = _add_item(
        client,
        ref,
        kind="file",
        description="Bản ghi camera",
        holder="Đội 2",
        files={"file": ("camera.mp4", b"x" * 16, "video/mp4")},
    )
    assert r.status_code == 303
    assert [i.size for i in _items(session, ref)] == [16]


def test_a_case_is_not_closed_while_its_request_is_open(
    client: TestClient, session: Session, net: Net
) -> None:
    pin_requests(session, net)
    uid = receive_request(session, net)
    login(client, "hcmc_officer")
    ref = _open_case(client)
    r = client.post(
        f"/cases/{ref}/links",
        data={"csrf_token": csrf(client, f"/cases/{ref}"), "kind": "request", "target": uid},
        follow_redirects=False,
    )
    assert r.status_code == 303
    # a record the officer may not see is not tied in
    r = client.post(
        f"/cases/{ref}/links",
        data={"csrf_token": csrf(client, f"/cases/{ref}"), "kind": "notice", "target": "999"},
    )
    assert r.status_code == 422 and 'value="999"' in r.text

    r = client.post(f"/cases/{ref}/close", data={"csrf_token": csrf(client, f"/cases/{ref}")})
    assert r.status_code == 409
    assert "còn 1 đề nghị tương trợ chưa kết thúc" in r.text and uid in r.text
    session.expire_all()
    assert session.scalars(sa.select(Case.status).where(Case.ref == ref)).one() == "open"

    # a case without an open request closes; then it takes no more changes
    other = _open_case(client, "Hồ sơ khác")
    r = client.post(
        f"/cases/{other}/close",
        data={"csrf_token": csrf(client, f"/cases/{other}")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(f"/cases/{other}").text
    assert "Đã đóng" in page and f'action="/cases/{other}/close"' not in page
    r = _add_item(client, other, kind="physical", description="Muộn", holder="Đội 1")
    assert r.status_code == 409 and "đã đóng" in r.text


def test_a_case_is_given_to_a_colleague(client: TestClient, session: Session, world: Any) -> None:
    login(client, "hcmc_officer")
    ref = _open_case(client)
    r = client.post(
        f"/cases/{ref}/transfer",
        data={
            "csrf_token": csrf(client, f"/cases/{ref}"),
            "officer": "hcmc_admin",
            "agency_id": str(world["hcmc"]),
            "reason": "phân công lại",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get(f"/cases/{ref}").text
    assert "<strong>hcmc_admin</strong>" in page and "phân công lại" in page
    r = client.post(
        f"/cases/{ref}/transfer",
        data={"csrf_token": csrf(client, f"/cases/{ref}"), "officer": "", "reason": ""},
    )
    assert r.status_code == 422


def test_a_case_shared_with_another_agency_is_read_there_and_not_changed(
    client: TestClient, session: Session, world: Any
) -> None:
    login(client, "hcmc_officer")
    ref = _open_case(client, "Chuyên án chung với Huế")
    r = _add_item(client, ref, kind="physical", description="Sổ tay", holder="Đội 1")
    assert r.status_code == 303
    form = {"csrf_token": csrf(client, f"/cases/{ref}"), "max_handling": "H1"}
    bad = client.post(f"/cases/{ref}/shares", data={**form, "agency_id": "x"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    r = client.post(
        f"/cases/{ref}/shares", data={**form, "agency_id": str(world["hue"])},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text
    page = client.get(f"/cases/{ref}").text
    assert "Công an tỉnh Thừa Thiên Huế" in page and "Ngừng chia sẻ" in page

    client.cookies.clear()
    login(client, "hue_officer")
    assert "Chuyên án chung với Huế" in client.get("/cases").text
    shown = client.get(f"/cases/{ref}")
    assert shown.status_code == 200
    assert "Công an TP.HCM" in shown.text and "H1" in shown.text and "Sổ tay" in shown.text
    assert f'action="/cases/{ref}/' not in shown.text  # no form to change it
    token_ = csrf(client, "/cases")
    for path, data in (
        (f"/cases/{ref}/close", {}),
        (f"/cases/{ref}/links", {"kind": "person", "target": "1"}),
        (f"/cases/{ref}/shares", {"agency_id": str(world["hue"]), "max_handling": "H3"}),
    ):
        r = client.post(path, data={"csrf_token": token_, **data}, follow_redirects=False)
        assert r.status_code == 403, (path, r.status_code)

    client.cookies.clear()
    login(client, "hcmc_officer")
    r = client.post(
        f"/cases/{ref}/shares/{world['hue']}/remove",
        data={"csrf_token": csrf(client, f"/cases/{ref}")}, follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    client.cookies.clear()
    login(client, "hue_officer")
    assert client.get(f"/cases/{ref}").status_code == 404


# ---- the handover of a surrender -----------------------------------------------------------


def test_a_surrender_is_answered_with_its_handover(
    client: TestClient, session: Session, net: Net
) -> None:
    pin_requests(session, net)
    uid = receive_surrender(session, net)
    officer = principal(session, "hcmc_officer")
    login(client, "hcmc_officer")
    client.cookies.set("hoptac_lang", "en")
    assert "Record the handover" not in client.get(f"/requests/{uid}").text  # not yet
    for action in ("acknowledge", "accept", "start"):
        requests.take(session, net.keys, officer, uid, action, {})
        session.commit()
    page = client.get(f"/requests/{uid}").text
    assert "Record the handover" in page and "Móng Cái border gate" in page
    assert 'value="Công an TP.HCM"' in page  # we hand over: the handing agency is ours

    form = {
        "csrf_token": csrf(client, f"/requests/{uid}"),
        "persons": "Kim Min-jun\n",
        "place": "",
        "at": "2025-03-01T09:30",
        "handing_agency": "Công an TP.HCM",
        "receiving_agency": "Sở Cảnh sát Busan",
        "handing_officers": "Thiếu tá Lê Văn C\nĐại úy Phạm D",
        "receiving_officers": "Inspector Park",
        "documents": "Biên bản bàn giao\nHộ chiếu M1234567",
    }
    r = client.post(f"/requests/{uid}/handover", data=form)
    assert r.status_code == 422 and "Thiếu tá Lê Văn C" in r.text  # the form is kept
    r = client.post(
        f"/requests/{uid}/handover",
        data={**form, "place": "Cửa khẩu Móng Cái"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get(f"/requests/{uid}").text
    assert "Answered" in page and "Record the handover" not in page
    card = _section(page, "handover")
    for text in ("Kim Min-jun", "Cửa khẩu Móng Cái", "Inspector Park", "Hộ chiếu M1234567"):
        assert text in card
    assert "1 Mar 2025 09:30 UTC" in card
    session.expire_all()
    row = session.scalars(sa.select(AssistanceRequest).where(AssistanceRequest.uid == uid)).one()
    assert row.state == "answered"
    handover = session.scalars(sa.select(Handover).where(Handover.request_id == row.id)).one()
    assert handover.handing_officers == ["Thiếu tá Lê Văn C", "Đại úy Phạm D"]


def test_a_request_that_is_not_a_surrender_takes_no_handover(
    client: TestClient, session: Session, net: Net
) -> None:
    pin_requests(session, net)
    uid = receive_request(session, net)
    login(client, "hcmc_officer")
    r = client.post(
        f"/requests/{uid}/handover",
        data={
            "csrf_token": csrf(client, f"/requests/{uid}"),
            "persons": "Kim",
            "place": "Cửa khẩu Mộc Bài",
            "at": "2025-03-01T09:30",
            "handing_agency": "A",
            "receiving_agency": "B",
        },
    )
    assert r.status_code == 409 and "Record the handover" not in r.text


# ---- from a confirmed hit, a request to the partner ---------------------------------------


def test_a_confirmed_hit_fills_in_a_request_to_the_partner(
    client: TestClient, app: Any, session: Session, net: Net
) -> None:
    pin_requests(session, net)
    ids = screening_world(client, app)  # signed in as hcmc_officer
    client.cookies.set("hoptac_lang", "en")
    hit = session.get_one(ScreeningHit, ids["hit"])
    notice_id, record = hit.notice_id, hit.record
    notice_name, name = hit.notice.name, record.name

    assert "/requests/new?hit=" not in client.get(f"/screening/hits/{hit.id}").text
    pending = client.get(f"/requests/new?hit={hit.id}").text
    assert "Only a confirmed hit" in pending and 'name="hit_id"' not in pending

    screening.decide(session, principal(session, "hcmc_officer"), hit.id, "confirmed", "hộ chiếu")
    session.commit()
    assert f'href="/requests/new?hit={hit.id}"' in client.get(f"/screening/hits/{hit.id}").text
    form = client.get(f"/requests/new?hit={hit.id}").text
    assert name in form and notice_name in form
    assert f'name="hit_id" value="{hit.id}"' in form
    assert f'name="notice_id" value="{notice_id}"' in form
    assert re.search(r'<option value="arrest"\s+selected', form)

    persons = re.search(r'<textarea id="persons"[^>]*>([^<]*)</textarea>', form)
    summary = re.search(r'<textarea id="summary"[^>]*>([^<]*)</textarea>', form)
    assert persons and summary and persons.group(1).startswith(name)
    r = client.post(
        "/requests",
        data={
            "csrf_token": csrf(client, "/requests/new"),
            "to": "kr-busan-pd",
            "kind": "arrest",
            "priority": "P2",
            "title": notice_name,
            "summary": summary.group(1),
            "persons": persons.group(1),
            "legal_basis": "MOU 2019",
            "handling": "H0",
            "hit_id": str(hit.id),
            "notice_id": str(notice_id),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    uid = r.headers["location"].split("/")[2].split("?")[0]
    session.expire_all()
    row = session.scalars(sa.select(AssistanceRequest).where(AssistanceRequest.uid == uid)).one()
    assert row.kind == "arrest" and row.title == notice_name
    assert row.persons[0]["name"] == name
    assert row.persons[0]["hit_id"] == hit.id and row.persons[0]["notice_id"] == notice_id
