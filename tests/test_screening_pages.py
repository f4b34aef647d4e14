"""The screening pages: uploads with their reports, the notice form, a screening run from
its page, the review of a hit, the person search; other agencies see none of it."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hoptac.db.models import AuditEvent, Notice, RegisterRecord, ScreeningHit
from tests.conftest import csrf, login
from tests.helpers.screening import NOTICES, REGISTER, new_register, screen, screening_world, upload

UPLOAD = {"file": ("register.csv", REGISTER.encode(), "text/csv")}


def test_uploads_report_added_updated_and_refused_rows(
    client: TestClient, world: dict[str, Any]
) -> None:
    login(client, "hcmc_officer")
    register = new_register(client)
    r = upload(client, f"/registers/{register}/import", "r.csv", REGISTER.encode())
    assert r.status_code == 200
    counts = re.findall(r"<b>(\d+)</b>(thêm mới|cập nhật|bị từ chối)", r.text)
    assert counts == [("4", "thêm mới"), ("0", "cập nhật"), ("2", "bị từ chối")]
    assert '<td>5</td><td data-label="Lý do">Thiếu họ tên</td>' in r.text
    assert "Nguồn &#39;prison&#39; không thuộc: resident, arrival, hotel" in r.text
    r = upload(client, f"/registers/{register}/import", "r.csv", REGISTER.encode())
    assert re.findall(r"<b>(\d+)</b>", r.text) == ["0", "4", "2"]
    page = client.get(f"/registers/{register}").text
    assert "Vương Kiện" in page and "4 bản ghi" in page
    assert f'action="/registers/{register}/import"' in page and "Tối đa 64 MB" in page
    r = upload(client, "/notices/import", "n.csv", NOTICES.encode(), sharing="all")
    assert re.findall(r"<b>(\d+)</b>", r.text) == ["2", "0", "3"]
    assert "document_number: tối đa 120 ký tự" in r.text


def test_uploads_that_are_not_utf8_csv_are_refused_with_a_reason(
    client: TestClient, world: dict[str, Any], session: Session
) -> None:
    login(client, "hcmc_officer")
    register = new_register(client)
    path = f"/registers/{register}/import"
    r = upload(client, path, "r.xlsx", b"PK\x03\x04")
    assert r.status_code == 422 and "r.xlsx không phải tệp CSV" in r.text
    r = upload(client, path, "r.csv", "record_id,name\nR1,Trân Văn\n".encode("cp1258"))
    assert r.status_code == 422 and "r.csv không phải văn bản UTF-8" in r.text
    r = upload(client, path, "r.csv", b"id,full_name\n1,An\n")
    assert r.status_code == 422 and "thiếu cột record_id, name" in r.text
    assert session.scalar(sa.select(sa.func.count()).select_from(RegisterRecord)) == 0


def test_an_upload_over_the_limit_is_refused_before_it_is_read(
    app: Any, world: dict[str, Any]
) -> None:
    app.state.settings.max_upload_bytes = 1024  # read by the middleware at start: new client
    from hoptac.web.middleware import BodyLimit

    limited = BodyLimit(app, max_bytes=2048, upload_bytes=1024)
    with TestClient(limited) as client:  # type: ignore[arg-type]
        login(client, "hcmc_officer")
        register = new_register(client)
        big = b"record_id,name\n" + b"R1,Nguyen Van An\n" * 10_000
        r = upload(client, f"/registers/{register}/import", "r.csv", big)
        assert r.status_code == 413
        assert "Tệp hoặc biểu mẫu quá lớn" in r.text and "text/html" in r.headers["content-type"]
        r = upload(client, f"/registers/{register}/import", "r.csv", big[:1500])
        assert r.status_code == 422 and "r.csv lớn hơn 1 KB" in r.text  # the exact check


def test_a_notice_typed_into_the_form_follows_the_csv_rules(
    client: TestClient, world: dict[str, Any]
) -> None:
    login(client, "hcmc_officer")
    form = client.get("/notices/new").text
    assert "Số thông báo" in form and "Tên khác, cách viết khác" in form
    data = {
        "csrf_token": csrf(client),
        "ref": "TN-2024-01",
        "kind": "wanted",
        "name": "王健",
        "alt_names": "Wang Jian\nVương Kiện",
        "birth": "1985-02-30",
        "sex": "M",
        "nationality": "CHN",
        "status": "active",
        "sharing": "agency",
    }
    r = client.post("/notices/new", data=data)
    assert r.status_code == 422
    assert "Ngày 1985-02-30 không tồn tại" in r.text
    assert "không phải mã nước 2 chữ cái" in r.text
    r = client.post("/notices/new", data={**data, "birth": "1985-03-07", "nationality": "cn"})
    assert "Đã lưu." in r.text and "Wang Jian" in r.text and "07/03/1985" in r.text
    notice = int(re.findall(r'action="/notices/(\d+)/status"', r.text)[0])
    listed = client.get("/notices", params={"q": "Vuong Kien"}).text
    assert "TN-2024-01" in listed
    assert "TN-2024-01" not in client.get("/notices", params={"q": "Li Qiang"}).text
    version = re.findall(r'name="version" value="(\d+)"', r.text)[0]
    r = client.post(
        f"/notices/{notice}/status",
        data={"csrf_token": csrf(client), "status": "executed", "version": version},
    )
    assert "Đã bắt giữ / tìm thấy" in r.text
    stale = client.post(
        f"/notices/{notice}/status",
        data={"csrf_token": csrf(client), "status": "withdrawn", "version": version},
    )
    assert "Một cán bộ khác đã sửa thông báo này" in stale.text
    assert "TN-2024-01" not in client.get("/notices?status=active").text


def test_screening_runs_in_the_background_and_a_hit_is_confirmed(
    client: TestClient, app: Any, world: dict[str, Any], session: Session
) -> None:
    ids = screening_world(client, app)
    job = client.get(f"/screening/jobs/{ids['job']}").text
    assert "Hoàn thành" in job and "100%" in job and "hx-trigger" not in job
    partial = client.get(
        f"/screening/jobs/{ids['job']}", headers={"HX-Request": "true", "HX-Target": "job"}
    ).text
    assert partial.lstrip().startswith('<div id="job"') and "<html" not in partial
    queue = client.get("/screening/hits").text
    assert queue.count('href="/screening/hits/') == 3
    hit = client.get(f"/screening/hits/{ids['hit']}").text
    assert "Vì sao hệ thống ghép cặp" in hit and "Xác nhận: cùng một người" in hit
    token = csrf(client)
    r = client.post(
        f"/screening/hits/{ids['hit']}/decision",
        data={"csrf_token": token, "decision": "confirmed", "reason": "  "},
    )
    assert r.status_code == 422 and "Hãy ghi lý do của kết luận." in r.text
    r = client.post(
        f"/screening/hits/{ids['hit']}/decision",
        data={"csrf_token": token, "decision": "confirmed", "reason": "Hộ chiếu trùng khớp"},
    )
    assert "Đã xác nhận" in r.text and "Hộ chiếu trùng khớp" in r.text
    again = client.post(
        f"/screening/hits/{ids['hit']}/decision",
        data={"csrf_token": token, "decision": "rejected", "reason": "nhầm"},
    )
    assert again.status_code == 409 and "đã được hcmc_officer kết luận" in again.text
    notice = session.scalar(sa.select(ScreeningHit.notice_id).where(ScreeningHit.id == ids["hit"]))
    page = client.get(f"/notices/{notice}").text
    confirmed = page.split("Kết quả đã xác nhận")[1]
    assert "Hộ chiếu trùng khớp" in confirmed and f"/screening/hits/{ids['hit']}" in confirmed
    assert client.get("/screening/hits").text.count('href="/screening/hits/') == 2


def test_a_bad_start_says_what_to_fix(client: TestClient, world: dict[str, Any]) -> None:
    login(client, "hcmc_officer")
    register = new_register(client)
    r = client.post(
        "/screening/jobs",
        data={
            "csrf_token": csrf(client),
            "register_id": str(register),
            "threshold": "2",
            "engine": "spark",
        },
    )
    assert r.status_code == 422
    assert "Ngưỡng phải từ 0.1 đến 1.0" in r.text and "Chọn một trong: python, duckdb" in r.text


def test_the_person_search_crosses_scripts(
    client: TestClient, app: Any, world: dict[str, Any]
) -> None:
    screening_world(client, app)
    html = client.get("/search", params={"q": "王健"}).text
    for name in ("Vương Kiện", "Jian Wang", "王健"):
        assert re.search(rf'href="/(records|notices)/\d+">{name}</a>', html), name
    assert "Lý Cường" not in html
    assert "Không tìm thấy." in client.get("/search", params={"q": "Zhang Wei"}).text


def test_other_agencies_see_none_of_it_and_reads_are_audited(
    client: TestClient, app: Any, world: dict[str, Any], session: Session
) -> None:
    ids = screening_world(client, app)
    hit = session.get(ScreeningHit, ids["hit"])
    assert hit is not None
    pages = {
        f"/notices/{hit.notice_id}": "notices",
        f"/records/{hit.record_id}": "register_records",
        f"/screening/hits/{ids['hit']}": "screening_hits",
    }
    for path in pages:
        assert client.get(path).status_code == 200
    reads = session.execute(
        sa.select(AuditEvent.object_type, AuditEvent.object_id).where(
            AuditEvent.action.in_(("record.read", "screening.hit_read")),
            AuditEvent.username == "hcmc_officer",
        )
    ).all()
    assert {t for t, _ in reads} >= set(pages.values())
    client.post("/logout", data={"csrf_token": csrf(client)})
    login(client, "hue_officer")
    for path in [
        *pages,
        f"/registers/{ids['register']}",
        f"/screening/jobs/{ids['job']}",
        f"/notices/{hit.notice_id}/edit",
    ]:
        assert client.get(path).status_code == 404, path
    r = client.post(
        f"/screening/hits/{ids['hit']}/decision",
        data={"csrf_token": csrf(client), "decision": "rejected", "reason": "x"},
    )
    assert r.status_code == 404
    notice = session.get(Notice, hit.notice_id)
    assert notice is not None
    for path in ("/notices", "/registers", "/screening", "/screening/hits?status=all"):
        page = client.get(path).text
        # as a word: a random CSRF token on the page may contain "N3"
        assert not re.search(rf"\b{notice.ref}\b", page) and "Lưu trú Quận 1" not in page, path
    found = client.get("/search", params={"q": "Wang Jian"}).text
    assert "Không tìm thấy." in found and "/records/" not in found and "/notices/" not in found


def test_viewers_read_but_may_not_upload_or_decide(
    client: TestClient, app: Any, world: dict[str, Any]
) -> None:
    ids = screening_world(client, app)
    client.post("/logout", data={"csrf_token": csrf(client)})
    login(client, "hcmc_viewer")
    assert client.get(f"/screening/hits/{ids['hit']}").status_code == 200
    hit = client.get(f"/screening/hits/{ids['hit']}").text
    assert "Xác nhận: cùng một người" not in hit
    assert client.get("/notices/import").status_code == 403
    assert "Bắt đầu sàng lọc" not in client.get("/screening").text
    r = upload(client, f"/registers/{ids['register']}/import", "r.csv", REGISTER.encode())
    assert r.status_code == 403


def test_english_screening_pages(client: TestClient, app: Any, world: dict[str, Any]) -> None:
    ids = screening_world(client, app)
    client.get("/lang/en?next=/")
    html = client.get("/screening").text
    assert "Screen a register against the active notices" in html and "Sàng lọc" not in html
    listing = client.get(f"/screening/hits?job={ids['job']}").text
    pages = [
        client.get(f"/screening/hits/{h}").text
        for h in re.findall(r'/screening/hits/(\d+)"', listing)
    ]
    assert pages and all("Confirm: same person" in page for page in pages)
    assert any("Hotel stays" in page for page in pages)  # a record's source, in English


def test_imports_over_the_api(client: TestClient, world: dict[str, Any]) -> None:
    from tests.conftest import api_post, token

    officer = token(client, "hcmc_officer")
    register = api_post(client, officer, "registers", {"name": "Nhập cảnh", "kind": "arrival"})
    csv_type = {**officer, "content-type": "text/csv"}
    r = client.post(f"/api/v1/registers/{register}/import", content=REGISTER, headers=csv_type)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["added"], body["updated"], body["refused"]) == (4, 0, 2)
    assert body["errors"][0] == {"line": 5, "reason": "name is empty"}
    r = client.post("/api/v1/notices/import?sharing=all", content=NOTICES, headers=csv_type)
    assert r.json()["added"] == 2
    listed = client.get("/api/v1/notices", params={"q": "Vương Kiện"}, headers=officer).json()
    assert [n["ref"] for n in listed["items"]] == ["N1"] and listed["items"][0]["sharing"] == "all"
    r = client.post("/api/v1/notices/import", content=NOTICES, headers=officer)
    assert r.status_code == 415 and "Content-Type: text/csv" in r.json()["detail"]
    hue = {**token(client, "hue_officer"), "content-type": "text/csv"}
    r = client.post(f"/api/v1/registers/{register}/import", content=REGISTER, headers=hue)
    assert r.status_code == 404


def test_a_notices_waiting_hits_link_opens_only_its_hits(
    client: TestClient, app: Any, world: dict[str, Any]
) -> None:
    screening_world(client, app)
    listing = client.get("/notices").text
    ids = dict(
        (name, int(i)) for i, name in re.findall(r'href="/notices/(\d+)">([^<]+)</a>', listing)
    )
    page = client.get(f"/notices/{ids['王健']}").text
    assert f'href="/screening/hits?status=pending&notice={ids["王健"]}"' in page
    mine = client.get(f"/screening/hits?status=pending&notice={ids['王健']}").text
    everyone = client.get("/screening/hits?status=pending").text
    assert "王健" in mine and "박근혜" not in mine and "박근혜" in everyone


def test_a_job_page_hides_a_register_no_longer_shared(
    client: TestClient, app: Any, world: dict[str, Any], session: Session
) -> None:
    from hoptac.db.models import Register
    from hoptac.types import Sharing

    login(client, "hue_officer")
    shared = new_register(client, "Lưu trú Huế", sharing="all")
    client.post("/logout", data={"csrf_token": csrf(client)})
    login(client, "hcmc_officer")
    job = screen(client, app, shared)
    assert "Lưu trú Huế" in client.get(f"/screening/jobs/{job}").text
    session.execute(sa.update(Register).where(Register.id == shared).values(sharing=Sharing.AGENCY))
    session.commit()
    assert "Lưu trú Huế" not in client.get(f"/screening/jobs/{job}").text


def test_a_page_of_the_review_queue_leaves_an_audit_row(
    client: TestClient, app: Any, world: dict[str, Any], session: Session
) -> None:
    ids = screening_world(client, app)
    client.get(f"/screening/hits?status=all&job={ids['job']}")
    session.expire_all()
    rows = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "screening.hits_listed")
    ).all()
    assert [r.detail for r in rows][-1] == {
        "status": "all",
        "job": ids["job"],
        "notice": None,
        "band": None,
        "offset": 0,
        "shown": 3,
    }


def test_the_review_queue_through_the_api_carries_band_rivals_and_reasons(
    client: TestClient, app: Any, world: dict[str, Any], session: Session
) -> None:
    from tests.conftest import token

    ids = screening_world(client, app)
    h = token(client, "hcmc_officer")
    page = client.get(f"/api/v1/screening/hits?status=all&job={ids['job']}", headers=h)
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert page.json()["total"] == len(items) > 0
    bands = [i["band"] for i in items]
    assert bands == sorted(bands, key=lambda b: b != "likely")  # likely first
    first = client.get(f"/api/v1/screening/hits/{items[0]['id']}", headers=h).json()
    assert first["notice"]["name"] and first["record"]["name"] and first["rivals"] >= 1
    assert first["reasons"][0].startswith("name ")
    bad = client.get("/api/v1/screening/hits?band=maybe", headers=h)
    assert bad.status_code == 422
    hue = token(client, "hue_officer")
    assert client.get(f"/api/v1/screening/hits/{items[0]['id']}", headers=hue).status_code == 404
    assert client.get(f"/api/v1/screening/hits?job={ids['job']}", headers=hue).json()["items"] == []
