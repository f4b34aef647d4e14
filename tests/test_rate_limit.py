"""Sign-in, token and inbox POSTs are rate-limited per client address: the next one over
the limit is answered 429 with Retry-After before the app runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hoptac.settings import Settings
from hoptac.web import middleware
from tests.conftest import audit_rows

LIMIT = 3


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        home=tmp_path,
        database_url=database_url,
        rate_login_per_minute=LIMIT,
        rate_token_per_minute=LIMIT,
        rate_inbox_per_minute=LIMIT,
    )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    moment = [600.0]  # the start of a minute
    monkeypatch.setattr(middleware, "now", lambda: moment[0])
    return moment


def test_sign_in_attempts_over_the_limit_get_429_and_reach_nothing(
    client: TestClient, app: Any, factory: Any, world: dict[str, Any], clock: list[float]
) -> None:
    guess = {"username": "hcmc_officer", "password": "wrong guess 1"}
    for _ in range(LIMIT):
        assert client.post("/login", data=guess).status_code == 401  # the form, refused
    before = len(audit_rows(factory, "auth.login_failed"))
    clock[0] += 30
    r = client.post("/login", data=guess)
    assert r.status_code == 429
    assert r.headers["retry-after"] == "30"
    assert "Quá nhiều lần thử" in r.text
    assert r.headers["x-frame-options"] == "DENY"  # the security headers wrap it too
    assert len(audit_rows(factory, "auth.login_failed")) == before  # the app never ran
    assert client.post("/login/code", data={}).status_code == 429  # the same group
    # another address, and the same one in the next minute, are served
    with TestClient(app, client=("10.0.0.2", 4000)) as other:
        assert other.post("/login", data=guess).status_code == 401
    clock[0] += 30
    assert client.post("/login", data=guess).status_code == 401
    assert client.get("/login").status_code == 200  # GETs are never limited


def test_the_token_endpoint_and_the_inbox_answer_problems(
    client: TestClient, clock: list[float]
) -> None:
    for path in ("/api/v1/auth/token", "/exchange/v1/inbox"):
        for _ in range(LIMIT):
            assert client.post(path, data={}).status_code != 429
        r = client.post(path, data={})
        assert r.status_code == 429, path
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["status"] == 429 and r.headers["retry-after"] == "60"


def test_an_ipv6_network_counts_once_and_a_flood_of_sources_shares_one_count(
    app: Any, clock: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert middleware.source("2001:db8:1:2:aaaa::1") == middleware.source("2001:db8:1:2::99")
    assert middleware.source("2001:db8:1:3::1") != middleware.source("2001:db8:1:2::1")
    assert middleware.source("10.0.0.7") == "10.0.0.7"

    def attempt(address: str) -> int:
        with TestClient(app, client=(address, 4000)) as c:
            return c.post("/api/v1/auth/token", data={}).status_code

    # one subscriber's /64: its many addresses share the limit
    codes = [attempt(f"2001:db8:1:2::{i}") for i in range(1, LIMIT + 2)]
    assert codes[:LIMIT] != [429] * LIMIT and codes[-1] == 429
    # past MAX_SOURCES counts in a window, newcomers share one count (memory stays bounded)
    monkeypatch.setattr(middleware, "MAX_SOURCES", 3)
    codes = [attempt(f"10.1.0.{i}") for i in range(1, 10)]
    assert 429 in codes and codes[0] != 429
    clock[0] += 60  # the next window starts afresh
    assert attempt("10.1.0.99") != 429
