"""The officer's pages: login, dashboard, detail pages, search, forms with clear errors."""

import re
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hoptac.db.models import Agency, Commitment, Engagement
from tests.conftest import PASSWORD, csrf, login, post_login


def _linked_id(html: str, kind: str, title: str) -> str:
    """The id in the page's link to a `kind` record whose title starts with `title`."""
    found = re.search(rf'href="/{kind}/(\d+)">{re.escape(title)}', html)
    assert found, f"no link to /{kind}/... titled {title!r}"
    return found.group(1)


def _ref(session: Session, ref: str) -> int:
    return int(session.scalar(sa.select(Agency.id).where(Agency.ref == ref)))


def test_pages_need_a_login_and_come_back_after_it(client: TestClient, demo: Session) -> None:
    r = client.get("/agreements?x=1", follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/login?next=/agreements%3Fx%3D1")
    # the demo officer's first login: password, then enrolment in TOTP, then recovery codes
    r = login(client, "demo", "hoptac-demo-2024", next="/agreements?x=1")
    assert 'href="/agreements?x=1"' in r.text and r.text.count("<code>") == 10
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert client.get("/agreements?x=1", follow_redirects=False).status_code == 200
    client.cookies.clear()
    r = login(client, "demo", "hoptac-demo-2024", next="/agreements?x=1")  # enrolled now
    assert (r.status_code, r.headers["location"]) == (303, "/agreements?x=1")


def test_login_never_redirects_off_site(client: TestClient, world: dict[str, Any]) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        client.cookies.clear()
        r = login(client, "hcmc_officer", PASSWORD, next=target)
        assert r.headers["location"] == "/"
        client.cookies.clear()
        r = login(client, "hue_viewer", PASSWORD, next=target)  # no second step
        assert r.headers["location"] == "/"


def test_wrong_password_shows_an_error(client: TestClient, world: dict[str, Any]) -> None:
    r = post_login(client, {"username": "hcmc_officer", "password": "wrong", "acknowledge": "yes"})
    assert r.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in r.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_logout_ends_the_session(client: TestClient, world: dict[str, Any]) -> None:
    login(client, "hcmc_officer")
    token_ = csrf(client)
    cookie = client.cookies.get("hoptac_session")
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    client.post("/logout", data={"csrf_token": token_})
    client.cookies.set("hoptac_session", cookie or "")  # a stolen copy is dead too
    assert client.get("/", follow_redirects=False).status_code == 303


def test_dashboard_shows_partners_anniversaries_commitments(
    client: TestClient, demo: Session
) -> None:
    login(client, "demo", "hoptac-demo-2024")
    html = client.get("/").text
    for expected in (
        "Sở Cảnh sát Thành phố Busan",
        "Công an tỉnh Chiết Giang",
        "Kỷ niệm ký kết",
        "Cam kết quá hạn",
        "Biên bản ghi nhớ về nghiệp vụ cảnh sát",
    ):
        assert expected in html, expected
    # the Zhejiang promise ("in 2024") is overdue today and listed as such
    overdue = html.split("Cam kết quá hạn")[2].split("Cam kết đang thực hiện")[0]
    assert "Chiết Giang" in overdue


def test_busan_page_shows_the_mou_and_the_visit(client: TestClient, demo: Session) -> None:
    login(client, "demo", "hoptac-demo-2024")
    html = client.get(f"/agencies/{_ref(demo, 'kr-busan-mpa')}").text
    assert "Biên bản ghi nhớ về nghiệp vụ cảnh sát và phòng chống tội phạm" in html
    assert "10–14/06/2024" in html
    assert "Woo Chul Mun" in html  # its people
    assert "Dòng thời gian" in html


def test_engagement_page_lists_ranked_participants_places_and_quote(
    client: TestClient, demo: Session
) -> None:
    login(client, "demo", "hoptac-demo-2024")
    busan = _ref(demo, "kr-busan-mpa")
    agency_page = client.get(f"/agencies/{busan}").text
    eng = _linked_id(agency_page, "engagements", "Đoàn đại biểu Công an TPHCM")
    html = client.get(f"/engagements/{eng}").text
    assert "Thiếu tướng Mai Hoàng" in html and "Trưởng đoàn" in html
    assert "Sở Cảnh sát Quận Haeundae" in html
    assert "Bảo hộ công dân" in html
    assert 'class="quote"' in html


def test_people_search_ignores_diacritics_and_case(client: TestClient, demo: Session) -> None:
    login(client, "demo", "hoptac-demo-2024")
    for query in ("nguyen hai trung", "NGUYỄN HẢI TRUNG", "hai trung"):
        html = client.get("/people", params={"q": query}).text
        assert "Nguyễn Hải Trung" in html, query
        assert "Nguyễn Thế Hùng" not in html, query
    partial = client.get(
        "/people", params={"q": "ly phong"}, headers={"HX-Request": "true", "HX-Target": "results"}
    ).text
    assert "Lý Phong" in partial and "<html" not in partial


def test_english_switch(client: TestClient, demo: Session) -> None:
    login(client, "demo", "hoptac-demo-2024")
    assert "Tổng quan" in client.get("/").text
    client.get("/lang/en?next=/")
    html = client.get("/").text
    assert "Dashboard" in html and "Overdue commitments" in html and "Tổng quan" not in html


def test_commitment_form_shows_errors_and_saves_nothing_until_valid(
    client: TestClient, demo: Session
) -> None:
    login(client, "demo", "hoptac-demo-2024")
    busan = _ref(demo, "kr-busan-mpa")
    form = client.get(f"/commitments/new?owed_by_id={busan}").text
    assert f'<option value="{busan}" selected>' in form
    count = demo.scalar(sa.select(sa.func.count()).select_from(Commitment))
    data = {
        "csrf_token": csrf(client, "/commitments/new"),
        "description": "Trao đổi đoàn",
        "owed_by_id": str(busan),
        "due": "2025-02-30",
        "status": "open",
        "sharing": "agency",
    }
    r = client.post("/commitments/new", data=data)
    assert r.status_code == 422
    assert "Ngày 2025-02-30 không tồn tại (tháng 2/2025 có 28 ngày)" in r.text
    assert 'value="Trao đổi đoàn"' not in r.text  # textarea keeps it as content
    assert "Trao đổi đoàn</textarea>" in r.text
    demo.expire_all()
    assert demo.scalar(sa.select(sa.func.count()).select_from(Commitment)) == count
    r = client.post("/commitments/new", data={**data, "due": "2025-02-28"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "Trao đổi đoàn" in page and "28/02/2025" in page


def test_forms_without_the_csrf_token_are_refused(client: TestClient, demo: Session) -> None:
    login(client, "demo", "hoptac-demo-2024")
    r = client.post("/people/new", data={"full_name": "Không có token"})
    assert r.status_code == 403
    assert client.get("/people", params={"q": "khong co token"}).text.count("Không có token") == 0


def test_edit_form_round_trips_an_engagement(client: TestClient, demo: Session) -> None:
    login(client, "demo", "hoptac-demo-2024")
    html = client.get("/engagements").text
    eid = _linked_id(html, "engagements", "Đoàn đại biểu Công an TPHCM")
    form = client.get(f"/engagements/{eid}/edit").text
    fields = dict(re.findall(r'<input id="(\w+)" name="\w+" value="([^"]*)"', form))
    assert fields["start"] == "2024-06-10" and fields["end"] == "2024-06-14"


def test_security_headers(client: TestClient) -> None:
    r = client.get("/login")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert "<script>" not in r.text  # no inline script: the CSP would block it


def test_engagement_form_reports_every_error_on_its_field_at_once(
    client: TestClient, demo: Session
) -> None:
    login(client, "demo", "hoptac-demo-2024")
    token_ = csrf(client, "/engagements/new")
    r = client.post(
        "/engagements/new",
        data={
            "csrf_token": token_,
            "title": "Thử",
            "start": "2024-06-10",
            "end": "2024-06-01",
            "sharing": "agency",
        },
    )
    assert r.status_code == 422
    errors = {}
    for chunk in r.text.split('id="field-')[1:]:
        name = chunk.split('"', 1)[0]
        found = re.search(r'<p class="error" role="alert">([^<]+)</p>', chunk)
        if found:
            errors[name] = found.group(1)
    assert errors["kind"] == "Bắt buộc nhập"
    assert errors["end"] == "Ngày kết thúc (2024-06-01) trước ngày bắt đầu (2024-06-10)"
    assert errors["visitor_ids"] == "Chọn ít nhất một bên đón tiếp hoặc bên đến thăm"
    assert "body:" not in r.text


def test_a_viewer_is_told_why_an_edit_page_is_refused(client: TestClient, demo: Session) -> None:
    from hoptac.types import Role
    from tests.conftest import add_user

    hanoi = demo.scalars(sa.select(Agency).where(Agency.ref == "vn-hanoi-police")).one()
    add_user(demo, "hanoi_viewer", Role.VIEWER, hanoi)
    demo.commit()
    login(client, "hanoi_viewer")
    eid = demo.scalar(sa.select(sa.func.min(Engagement.id)))
    r = client.get(f"/engagements/{eid}/edit")
    assert r.status_code == 403
    assert "Tài khoản chỉ xem" in r.text
    assert "Đăng xuất" in r.text  # the error page keeps the user's menu
    assert "Sửa</a>" not in client.get(f"/engagements/{eid}").text


def test_saving_says_so_and_english_shows_english_names(client: TestClient, demo: Session) -> None:
    login(client, "demo", "hoptac-demo-2024")
    busan = _ref(demo, "kr-busan-mpa")
    r = client.post(
        "/people/new",
        data={
            "csrf_token": csrf(client),
            "full_name": "Kim Min-su",
            "agency_id": str(busan),
            "sharing": "all",
        },
    )
    assert "Đã lưu." in r.text
    client.get("/lang/en?next=/")
    html = client.get(f"/agencies/{busan}").text
    assert "Busan Metropolitan Police Agency" in html
    r = client.get(
        "/lang/vi", params={"next": "/commitments?status=overdue"}, follow_redirects=False
    )
    assert r.headers["location"] == "/commitments?status=overdue"


def test_unknown_pages_are_not_called_records(client: TestClient, world: dict[str, Any]) -> None:
    login(client, "hcmc_officer")
    r = client.get("/no-such-page")
    assert r.status_code == 404
    assert "Không tìm thấy trang" in r.text


def test_a_source_lists_the_records_citing_it(client: TestClient, demo: Session) -> None:
    login(client, "demo", "hoptac-demo-2024")
    html = client.get("/sources").text
    sid = _linked_id(html, "sources", "Đoàn đại biểu Công an TPHCM")
    page = client.get(f"/sources/{sid}").text
    assert "Bản ghi trích từ nguồn này" in page and "Mai Hoàng" in page
