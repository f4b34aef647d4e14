"""A liaison officer's morning, in a real browser (Debian's chromium via Playwright)."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hoptac.db import migrate
from hoptac.db.engine import make_engine, make_sessionmaker, transaction
from hoptac.registry import demo
from hoptac.settings import Settings
from hoptac.web.app import create_app
from tests.helpers.browser import CHROMIUM, sign_in
from tests.helpers.live import serve

SHOTS = Path(__file__).parents[1] / "screenshots"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does this)",
    ),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    home = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{home / 'app.db'}"
    migrate.upgrade(url)
    with transaction(make_sessionmaker(make_engine(url))) as session:
        demo.load(session)
    with serve(create_app(Settings(home=home, database_url=url))) as address:
        yield address


@pytest.mark.parametrize("viewport", [(1366, 900), (390, 844)], ids=["laptop", "phone"])
def test_officer_opens_busan_and_records_a_commitment(
    server: str, browser: object, viewport: tuple[int, int]
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    expected = "status of 422"  # the invalid form answers 422 on purpose
    SHOTS.mkdir(exist_ok=True)
    tag = f"{viewport[0]}"

    page.goto(server + "/")
    expect(page).to_have_url(server + "/login?next=/")
    sign_in(page)
    expect(page.get_by_role("heading", name="Tổng quan")).to_be_visible()
    page.screenshot(path=SHOTS / f"dashboard-{tag}.png", full_page=True)

    page.goto(server + "/agencies")
    page.get_by_role("link", name="Sở Cảnh sát Thành phố Busan").first.click()
    expect(page.get_by_role("heading", name="Sở Cảnh sát Thành phố Busan")).to_be_visible()
    mou = page.get_by_text("Biên bản ghi nhớ về nghiệp vụ cảnh sát và phòng chống tội phạm").first
    expect(mou).to_be_visible()
    expect(page.get_by_text("Ngày ký 2014").first).to_be_visible()
    expect(page.get_by_text("10–14/06/2024").first).to_be_visible()
    page.screenshot(path=SHOTS / f"agency-busan-{tag}.png", full_page=True)

    page.get_by_role("link", name="Thêm cam kết").click()
    description = f"Sở Cảnh sát TP Busan cử đoàn sang thăm Công an TPHCM ({tag})"
    page.get_by_label("Nội dung").fill(description)
    page.get_by_label("Thời hạn").fill("2024-02-30")
    page.get_by_role("button", name="Lưu").click()
    expect(
        page.get_by_text("Ngày 2024-02-30 không tồn tại (tháng 2/2024 có 29 ngày)")
    ).to_be_visible()
    expect(page.get_by_label("Nội dung")).to_have_value(description)
    page.screenshot(path=SHOTS / f"commitment-error-{tag}.png", full_page=True)

    page.get_by_label("Thời hạn").fill("2026-12")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("heading", name=description)).to_be_visible()
    expect(page.get_by_text("12/2026")).to_be_visible()
    page.get_by_role("link", name="Sở Cảnh sát Thành phố Busan").first.click()
    expect(page.get_by_text(description).first).to_be_visible()
    assert [e for e in errors if expected not in e] == []
    page.close()


def test_live_people_search(server: str, browser: object) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    page = browser.new_page()
    page.goto(server + "/login")
    sign_in(page)
    page.goto(server + "/people")
    page.get_by_role("searchbox").fill("nguyen hai trung")
    expect(page.get_by_role("link", name="Nguyễn Hải Trung")).to_be_visible()
    expect(page.get_by_role("link", name="Lý Phong")).to_have_count(0)
    page.close()


SCREENING_RUNS = {
    # viewport width: (notice name, its alias, the register's matching record, a distractor)
    1280: ("王健", "Wang Jian", "Vương Kiện", "Lý Cường"),
    390: ("박근혜", "Park Geun-hye", "PARK Geun Hye", "Kim Min-su"),
}


@pytest.mark.parametrize("viewport", [(1280, 900), (390, 844)], ids=["laptop", "phone"])
def test_officer_screens_a_register_and_confirms_a_hit(
    server: str, browser: object, viewport: tuple[int, int], tmp_path: Path
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    width = viewport[0]
    notice_name, alias, record_name, other = SCREENING_RUNS[width]
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    SHOTS.mkdir(exist_ok=True)

    def shot(name: str) -> None:
        page.screenshot(path=SHOTS / f"screening-{name}-{width}.png", full_page=True)

    page.goto(server + "/login")
    sign_in(page)

    # A register, and its records from a CSV upload (one bad row).
    page.get_by_role("link", name="Sổ đăng ký").click()
    page.get_by_role("link", name="Thêm sổ").click()
    page.get_by_label("Tên").fill(f"Lưu trú khách sạn Quận 1 ({width})")
    page.get_by_label("Loại").select_option("hotel")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("heading", name=f"Lưu trú khách sạn Quận 1 ({width})")).to_be_visible()
    csv_file = tmp_path / "khach-san.csv"
    csv_file.write_text(
        "record_id,name,birth_date,sex,nationality,document_number,source,seen_at\n"
        f"KS-1,{record_name},1985-03-07,,,,hotel,2024-06-01T22:10\n"
        f"KS-2,{other},1970,M,,,hotel,\n"
        "KS-3,,1990,M,VN,,hotel,\n",
        encoding="utf-8",
    )
    page.get_by_label("Tệp CSV (UTF-8)").set_input_files(csv_file)
    page.get_by_role("button", name="Nhập", exact=True).click()
    expect(page.get_by_text("Thiếu họ tên")).to_be_visible()
    expect(page.locator(".stat").first).to_contain_text("2")
    shot("import")
    page.get_by_role("link", name="Về sổ đăng ký").click()
    expect(page.get_by_role("link", name=record_name)).to_be_visible()
    shot("register")

    # A notice, typed into the form.
    page.get_by_role("link", name="Truy nã").first.click()
    page.get_by_role("link", name="Thêm truy nã").click()
    page.get_by_label("Số thông báo").fill(f"TN-{width}")
    page.get_by_label("Loại").select_option("wanted")
    page.get_by_label("Họ và tên").fill(notice_name)
    page.get_by_label("Tên khác, cách viết khác").fill(alias)
    page.get_by_label("Ngày sinh").fill("1985-03-07")
    page.get_by_label("Tội danh").fill("Lừa đảo chiếm đoạt tài sản")
    shot("notice-form")
    page.get_by_role("button", name="Lưu").click()
    expect(page.get_by_role("heading", name=notice_name)).to_be_visible()

    # The screening, started from its page; the job page follows its progress.
    page.get_by_role("link", name="Sàng lọc", exact=True).click()
    page.get_by_label("Sổ đăng ký", exact=True).select_option(
        label=f"Lưu trú khách sạn Quận 1 ({width}) (Lưu trú)"
    )
    shot("screening")
    page.get_by_role("button", name="Bắt đầu sàng lọc").click()
    expect(page.get_by_text("Hoàn thành")).to_be_visible(timeout=30_000)
    shot("job")
    page.get_by_role("link", name="Xem xét các kết quả").click()
    shot("queue")
    page.get_by_role("link", name=notice_name).click()
    expect(page.get_by_role("columnheader", name=record_name)).to_be_visible()
    page.get_by_label("Lý do").fill("Ngày sinh và ảnh hộ chiếu trùng khớp")
    shot("hit")
    page.get_by_role("button", name="Xác nhận: cùng một người").click()
    expect(page.get_by_text("Đã xác nhận").first).to_be_visible()

    # The notice now lists the confirmed hit.
    page.get_by_role("link", name=notice_name).click()
    confirmed = page.locator("section", has_text="Kết quả đã xác nhận")
    expect(confirmed.get_by_text("Ngày sinh và ảnh hộ chiếu trùng khớp")).to_be_visible()
    expect(confirmed.get_by_role("link", name=record_name)).to_be_visible()
    shot("notice")

    page.goto(server + "/search?q=" + alias)
    expect(page.get_by_role("link", name=record_name)).to_be_visible()
    shot("search")
    assert [e for e in errors if "status of 422" not in e] == []
    page.close()
