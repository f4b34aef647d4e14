"""The tests in a real browser: Debian's chromium (driven through Playwright, never a
browser Playwright downloads) and the sign-in an officer goes through. The module-scoped
`browser` fixture lives in tests/conftest.py."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"


def sign_in(page: object, username: str = "demo", password: str = "hoptac-demo-2024") -> None:
    """The login form, then the second step: at the first login the officer enrols, reading
    the key off the page as an authenticator app would read the QR code, and is shown the
    recovery codes."""
    from playwright.sync_api import Page, expect

    from tests.conftest import TOTP_SECRETS, totp_code  # here: tests.conftest imports CHROMIUM

    assert isinstance(page, Page)
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    expect(page.get_by_role("heading", name="Thông báo sử dụng hệ thống")).to_be_visible()
    page.get_by_label("Tôi đã đọc thông báo trên").check()  # the use notice (CJIS AC-8)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_label("Mã dùng một lần")).to_be_visible()
    key = page.locator("code.secret")
    enrolling = key.count() > 0
    if enrolling:
        expect(page.locator("figure.qr svg")).to_be_visible()
        TOTP_SECRETS[username] = str(key.get_attribute("data-secret"))
    page.get_by_label("Mã dùng một lần").fill(totp_code(username))
    page.get_by_role("button", name="Tiếp tục").click()
    if enrolling:
        expect(page.get_by_role("heading", name="Mã khôi phục")).to_be_visible()
        page.get_by_role("link", name="Tôi đã lưu lại — tiếp tục").click()
