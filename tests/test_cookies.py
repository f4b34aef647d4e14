"""Behind TLS: the session cookie is `__Host-`, Secure, HttpOnly and SameSite, and every
answer carries HSTS for at least a year; over plain HTTP (`make run` on 127.0.0.1) neither."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hoptac.settings import Settings
from hoptac.web.app import create_app
from tests.conftest import csrf, login

YEAR = 365 * 24 * 3600


@pytest.fixture
def tls(database_url: str, tmp_path: Path, factory: Any) -> Iterator[TestClient]:
    settings = Settings(home=tmp_path, database_url=database_url, secure_cookies=True)
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver") as client:
        yield client
    app.state.engine.dispose()


def _set_cookies(response: Any) -> list[str]:
    return [v for k, v in response.headers.multi_items() if k == "set-cookie"]


def test_the_session_cookie_behind_tls(tls: TestClient, world: dict[str, Any]) -> None:
    r = login(tls, "hcmc_officer")
    (cookie,) = [c for c in _set_cookies(r) if "hoptac_session" in c]
    assert cookie.startswith("__Host-hoptac_session=")
    attributes = {a.strip().split("=")[0].lower() for a in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite", "path"} <= attributes
    assert "domain" not in attributes
    assert re.search(r"(?i)samesite=lax", cookie) and re.search(r"(?i)path=/(;|$)", cookie)
    assert tls.get("/").status_code == 200  # the browser sends it back: signed in
    hsts = tls.get("/login").headers["strict-transport-security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))  # type: ignore[union-attr]
    assert max_age >= YEAR and "includeSubDomains" in hsts
    r = tls.post("/logout", data={"csrf_token": csrf(tls)}, follow_redirects=False)
    (gone,) = _set_cookies(r)
    assert gone.startswith('__Host-hoptac_session=""') and "Secure" in gone
    assert tls.get("/", follow_redirects=False).status_code == 303  # signed out


def test_plain_http_has_neither(client: TestClient, world: dict[str, Any]) -> None:
    r = login(client, "hcmc_officer")
    (cookie,) = [c for c in _set_cookies(r) if "hoptac_session" in c]
    assert cookie.startswith("hoptac_session=") and "Secure" not in cookie
    assert "HttpOnly" in cookie
    assert "strict-transport-security" not in client.get("/login").headers
