"""A liaison officer's morning, in a real browser (Debian's chromium via Playwright)."""

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from hoptac.db import migrate
from hoptac.db.engine import make_engine, make_sessionmaker, transaction
from hoptac.registry import demo
from hoptac.settings import Settings
from hoptac.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).parents[1] / "screenshots"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does this)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'app.db'}"
    migrate.upgrade(url)
    with transaction(make_sessionmaker(make_engine(url))) as session:
        demo.load(session)
    port = _free_port()
    config = uvicorn.Config(
        create_app(Settings(database_url=url)), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


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
    page.get_by_label("Tên đăng nhập").fill("demo")
    page.get_by_label("Mật khẩu").fill("hoptac-demo-2024")
    page.get_by_role("button", name="Đăng nhập").click()
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
    page.get_by_label("Tên đăng nhập").fill("demo")
    page.get_by_label("Mật khẩu").fill("hoptac-demo-2024")
    page.get_by_role("button", name="Đăng nhập").click()
    page.goto(server + "/people")
    page.get_by_role("searchbox").fill("nguyen hai trung")
    expect(page.get_by_role("link", name="Nguyễn Hải Trung")).to_be_visible()
    expect(page.get_by_role("link", name="Lý Phong")).to_have_count(0)
    page.close()
