"""Accounts: the password rules, the lock after repeated failed logins, unused accounts
disabled, and sessions and tokens that end when an account changes — each change audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hoptac.auth import service as auth_service
from hoptac.cli.main import app as cli_app
from hoptac.db.models import Agency, User, utcnow
from hoptac.errors import InvalidInput
from hoptac.types import Role
from hoptac.web.api.auth import TOKEN_REFUSED
from tests.conftest import PASSWORD, add_agency, add_user, audit_rows, csrf, login, request_token
from tests.conftest import token as bearer_of

PASSPHRASE = "tôi là cán bộ đối ngoại công an tỉnh lạng sơn, làm việc từ năm 2015"[:64]


@pytest.fixture
def agency_id(factory: sessionmaker[Session]) -> int:
    with factory() as s, s.begin():
        agency = add_agency(s, "Công an tỉnh Lạng Sơn")
        add_user(s, "lan", Role.OFFICER, agency)
        return agency.id


class Clock:
    """The service's clock, moved by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = utcnow()
        monkeypatch.setattr(auth_service, "utcnow", lambda: self.now)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def token(client: Any, username: str = "lan", password: str = PASSWORD) -> Any:
    return request_token(client, username, password)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "at least 8 characters"),
        ("password1", "commonly used passwords"),
        ("Qwertyuiop", "commonly used passwords"),
        ("iloveyou", "commonly used passwords"),
        ("lan.nguyen", "must not be the username"),
        ("x" * 1025, "at most 1024 characters"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(
    factory: sessionmaker[Session], agency_id: int, password: str, reason: str
) -> None:
    with factory() as s, pytest.raises(InvalidInput, match=reason):
        auth_service.create_user(
            s, username="lan.nguyen", password=password, role=Role.VIEWER, agency_id=agency_id
        )


def test_a_long_passphrase_with_spaces_is_kept_whole_and_hashed_with_argon2id(
    factory: sessionmaker[Session], agency_id: int, client: Any
) -> None:
    assert len(PASSPHRASE) == 64 and " " in PASSPHRASE
    with factory() as s, s.begin():
        auth_service.create_user(
            s, username="hai", password=PASSPHRASE, role=Role.VIEWER, agency_id=agency_id
        )
    with factory() as s:
        stored = s.scalar(sa.select(User.password_hash).where(User.username == "hai"))
    assert stored is not None and stored.startswith("$argon2id$")
    assert token(client, "hai", PASSPHRASE).status_code == 200
    # not truncated: the last character counts, and so do the spaces
    assert token(client, "hai", PASSPHRASE[:-1] + "X").status_code == 400
    assert token(client, "hai", PASSPHRASE.replace(" ", "")).status_code == 400


def test_five_failures_in_fifteen_minutes_lock_the_account_until_an_admin_unlocks_it(
    factory: sessionmaker[Session], agency_id: int, client: Any, cli: CliRunner
) -> None:
    for _ in range(5):
        assert token(client, password="not the password").status_code == 400
    refused = token(client)  # the right password, now
    assert refused.status_code == 400
    assert refused.json()["detail"] == TOKEN_REFUSED  # nothing told apart
    failed = audit_rows(factory, "auth.login_failed")
    assert [e.detail["reason"] for e in failed] == ["password"] * 5 + ["locked"]  # type: ignore[index]
    assert all(e.outcome == "denied" and e.agency_id == agency_id for e in failed)
    (locked,) = audit_rows(factory, "auth.account_locked")
    assert locked.object_id is not None and locked.detail["user"] == "lan"  # type: ignore[index]

    done = cli.invoke(cli_app, ["user", "unlock", "lan"])
    assert done.exit_code == 0, done.output
    assert token(client).status_code == 200
    (unlocked,) = audit_rows(factory, "auth.account_unlocked")
    assert unlocked.detail["before"]["locked"] is True  # type: ignore[index]


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(
    factory: sessionmaker[Session],
    agency_id: int,
    client: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock(monkeypatch)
    for _ in range(3):
        assert token(client, password="not the password").status_code == 400
    clock.advance(minutes=16)
    for _ in range(4):
        assert token(client, password="not the password").status_code == 400
    assert token(client).status_code == 200
    assert audit_rows(factory, "auth.account_locked") == []


def test_an_account_unused_for_90_days_is_disabled_and_its_sessions_end(
    factory: sessionmaker[Session],
    agency_id: int,
    client: Any,
    monkeypatch: pytest.MonkeyPatch,
    cli: CliRunner,
) -> None:
    clock = Clock(monkeypatch)
    with factory() as s, s.begin():
        add_user(s, "quiet", Role.VIEWER, s.get_one(Agency, agency_id))  # never signs in
    headers = bearer_of(client, "lan")
    clock.advance(days=89)
    assert token(client).status_code == 200  # used within 90 days: still fine
    clock.advance(days=91)
    assert token(client).status_code == 400  # 91 days after its last use
    with factory() as s:
        assert s.scalar(sa.select(User.is_active).where(User.username == "lan")) is False
    assert client.get("/api/v1/agencies", headers=headers).status_code == 401
    (disabled,) = audit_rows(factory, "auth.account_disabled")
    assert disabled.detail["after"] == {"active": False, "disabled": "inactive"}  # type: ignore[index]
    assert disabled.username == "(node)" and disabled.agency_id == agency_id

    # the daily sweep finds the others (the clock of the sweep is the service's)
    swept = cli.invoke(cli_app, ["user", "disable-inactive"])
    assert swept.exit_code == 0 and "1 unused accounts disabled: quiet" in swept.output


@pytest.mark.parametrize("change", ["password", "role", "disable"])
def test_a_changed_account_loses_its_sessions_and_tokens_at_once(
    factory: sessionmaker[Session], agency_id: int, client: Any, change: str
) -> None:
    headers = bearer_of(client, "lan")
    login(client, "lan")
    assert client.get("/api/v1/agencies", headers=headers).status_code == 200
    assert client.get("/", follow_redirects=False).status_code == 200
    with factory() as s, s.begin():
        user = s.scalars(sa.select(User).where(User.username == "lan")).one()
        if change == "password":
            auth_service.set_password(s, user, "a brand new passphrase")
        elif change == "role":
            auth_service.set_role(s, user, Role.VIEWER, None, None)
        else:
            auth_service.disable_user(s, user, None, None, "left the unit")
    assert client.get("/api/v1/agencies", headers=headers).status_code == 401
    assert client.get("/", follow_redirects=False).status_code == 303  # the page session too
    action = {
        "password": "auth.password_changed",
        "role": "auth.role_changed",
        "disable": "auth.account_disabled",
    }[change]
    (row,) = audit_rows(factory, action)
    assert row.object_type == "user" and row.agency_id == agency_id
    if change == "role":
        assert row.detail["before"] == {"role": "officer"}  # type: ignore[index]
        assert row.detail["after"] == {"role": "viewer"}  # type: ignore[index]


def test_a_session_ends_after_30_idle_minutes_or_12_hours(
    monkeypatch: pytest.MonkeyPatch, agency_id: int, client: Any, factory: Any
) -> None:
    clock = Clock(monkeypatch)
    login(client, "lan")
    for _ in range(3):  # in use: each request restarts the 30 minutes
        clock.advance(minutes=29)
        assert client.get("/", follow_redirects=False).status_code == 200
    clock.advance(minutes=31)
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    client.cookies.clear()
    login(client, "lan")
    started = clock.now
    while clock.now - started < timedelta(hours=12) - timedelta(minutes=20):
        clock.advance(minutes=20)  # never idle, still signed in
        assert client.get("/", follow_redirects=False).status_code == 200
    clock.advance(minutes=21)  # 12 hours after the login: sign in again
    assert client.get("/", follow_redirects=False).status_code == 303
    refused = [r for r in audit_rows(factory, "access.denied") if r.detail["status"] == 401]  # type: ignore[index]
    assert len(refused) == 2


def test_an_api_token_expires_after_its_lifetime(
    monkeypatch: pytest.MonkeyPatch, agency_id: int, client: Any
) -> None:
    clock = Clock(monkeypatch)
    headers = bearer_of(client, "lan")
    clock.advance(hours=8, seconds=-1)
    assert client.get("/api/v1/agencies", headers=headers).status_code == 200
    clock.advance(seconds=2)
    r = client.get("/api/v1/agencies", headers=headers)
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_signing_out_everywhere_ends_every_session_and_token(
    agency_id: int, app: Any, client: Any, factory: Any
) -> None:
    from fastapi.testclient import TestClient

    headers = bearer_of(client, "lan")
    login(client, "lan")
    with TestClient(app) as laptop:  # the same account on another device
        login(laptop, "lan")
        page = laptop.get("/account").text
        assert "Công an tỉnh Lạng Sơn" in page and "Đăng xuất khỏi mọi thiết bị" in page
        r = laptop.post("/logout/everywhere", data={"csrf_token": csrf(laptop, "/account")})
        assert r.status_code == 200 and "/login" in str(r.url)
        assert laptop.get("/", follow_redirects=False).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303  # this device too
    assert client.get("/api/v1/agencies", headers=headers).status_code == 401
    (row,) = audit_rows(factory, "auth.logout")
    assert row.username == "lan" and row.detail == {"ended": "everywhere"}


def test_an_api_token_is_revoked_by_its_holder(agency_id: int, client: Any, factory: Any) -> None:
    first, second = bearer_of(client, "lan"), bearer_of(client, "lan")
    assert client.post("/api/v1/auth/revoke", headers=first).status_code == 204
    assert client.get("/api/v1/agencies", headers=first).status_code == 401
    assert client.get("/api/v1/agencies", headers=second).status_code == 200  # only that one
    assert [r.detail for r in audit_rows(factory, "auth.logout")] == [{"ended": "token"}]
