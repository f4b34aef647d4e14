"""The browser against real nodes (`hoptac serve` processes): accounts made with a password
(`hoptac user add --password-stdin`, what an operator's script does), and the sign-in with
codes from the real clock: a node process does not share the test process's TOTP clock
(tests/conftest.py), so its authenticator app is pyotp on the wall clock."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pyotp

from tests.helpers.nodes import HOPTAC, NodeProcess

PASSWORD = "correct horse battery staple 2026"


def add_user(node: NodeProcess, username: str, role: str, password: str = PASSWORD) -> None:
    """A user of the node's own agency (the one that handles requests), with a password."""
    agency = str(node.sql("SELECT agency_id FROM exchange_node")[0][0])
    env = {k: v for k, v in os.environ.items() if k not in ("HOPTAC_DATABASE_URL", "HOPTAC_HOME")}
    done = subprocess.run(
        [*HOPTAC, "user", "add", "--data", str(node.home), "--agency", agency,
         "--role", role, "--username", username, "--password-stdin"],
        input=password + "\n", capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    """The login form and the second step on a live node, enrolling at the first login
    (the key read off the page as an authenticator app reads the QR code). An account signs
    in once per test: a second sign-in within the same 30 s would replay its code."""
    from playwright.sync_api import expect

    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_label("Tôi đã đọc thông báo trên").check()  # the use notice (CJIS AC-8)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_label("Mã dùng một lần")).to_be_visible()
    key = page.locator("code.secret")
    assert key.count() == 1, "the account should enrol at its first login"
    secret = str(key.get_attribute("data-secret"))
    page.get_by_label("Mã dùng một lần").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Tiếp tục").click()
    expect(page.get_by_role("heading", name="Mã khôi phục")).to_be_visible()
    page.get_by_role("link", name="Tôi đã lưu lại — tiếp tục").click()
