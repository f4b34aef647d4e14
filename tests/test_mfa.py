"""The second factor: admins and officers get no session and no token from a password
alone; enrolment with a QR code; one-time recovery codes; a used code is never accepted
again; a new session id once every factor has passed."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hoptac.auth import service as auth_service
from hoptac.db.models import AuditEvent, User, utcnow
from hoptac.types import Role
from tests.conftest import (
    ACK,
    PASSWORD,
    TOTP_CLOCK,
    TOTP_SECRETS,
    add_agency,
    add_user,
    audit_rows,
    login,
    post_login,
    totp_code,
)


@pytest.fixture
def people(factory: sessionmaker[Session]) -> None:
    with factory() as s, s.begin():
        agency = add_agency(s, "Công an tỉnh Quảng Ninh")
        add_user(s, "officer", Role.OFFICER, agency)
        add_user(s, "viewer", Role.VIEWER, agency)
        auth_service.create_user(
            s, username="newcomer", password=PASSWORD, role=Role.ADMIN, agency_id=agency.id
        )


def password_step(client: Any, username: str) -> Any:
    return post_login(
        client, {"username": username, "password": PASSWORD, **ACK}, follow_redirects=False
    )


def code_form(client: Any) -> tuple[str, str]:
    """(page, CSRF token) of the second step."""
    page = client.get("/login/code").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return page, found.group(1)


def failures(factory: sessionmaker[Session]) -> list[str]:
    return [str((r.detail or {}).get("reason")) for r in audit_rows(factory, "auth.login_failed")]


def api_token(client: Any, username: str, code: str | None) -> Any:
    data = {"username": username, "password": PASSWORD}
    if code is not None:
        data["totp"] = code
    return client.post("/api/v1/auth/token", data=data)


@pytest.mark.parametrize("username", ["officer", "newcomer"])
def test_a_password_alone_opens_nothing_for_officers_and_admins(
    client: Any, people: None, factory: sessionmaker[Session], username: str
) -> None:
    r = password_step(client, username)
    assert r.status_code == 303 and r.headers["location"].startswith("/login/code")
    # the half-way session opens no page and no API
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    refused = api_token(client, username, None)
    assert refused.status_code == 400
    assert api_token(client, username, "000000").status_code == 400
    assert failures(factory)[-2:] == (
        ["no second factor"] * 2 if username == "newcomer" else ["code", "code"]
    )


def test_a_viewer_without_a_second_factor_signs_in_with_the_password(
    client: Any, people: None
) -> None:
    r = password_step(client, "viewer")
    assert (r.status_code, r.headers["location"]) == (303, "/")
    assert api_token(client, "viewer", None).status_code == 200


def test_enrolment_shows_a_qr_code_then_recovery_codes_and_rotates_the_session(
    client: Any, people: None, factory: sessionmaker[Session]
) -> None:
    password_step(client, "newcomer")
    halfway = client.cookies.get("hoptac_session")
    page, csrf = code_form(client)
    assert "<svg" in page and "Cài đặt ứng dụng xác thực" in page
    secret = re.search(r'data-secret="([A-Z2-7]+)"', page)
    assert secret
    wrong = client.post("/login/code", data={"code": "123456", "csrf_token": csrf})
    assert wrong.status_code == 401
    totp = pyotp.TOTP(secret.group(1))
    done = client.post(
        "/login/code",
        data={"code": totp.at(TOTP_CLOCK.tick()), "csrf_token": csrf, "next": "/people"},
    )
    assert done.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{8}-[0-9a-f]{8})</code>", done.text)
    assert len(codes) == 10 and 'href="/people"' in done.text
    final = client.cookies.get("hoptac_session")
    assert final != halfway  # a new session id once every factor has passed
    assert client.get("/", follow_redirects=False).status_code == 200
    client.cookies.clear()
    client.cookies.set("hoptac_session", halfway)  # the half-way cookie is dead
    assert client.get("/", follow_redirects=False).status_code == 303
    with factory() as s:
        user = s.scalars(sa.select(User).where(User.username == "newcomer")).one()
        assert user.totp_enabled_at is not None
        login_row = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "auth.login")).one()
        assert login_row.detail == {"factors": "password+totp"}
    TOTP_SECRETS["newcomer"] = secret.group(1)
    assert api_token(client, "newcomer", totp_code("newcomer")).status_code == 200


def test_a_used_code_is_refused_the_second_time(client: Any, people: None) -> None:
    code = totp_code("officer")
    assert api_token(client, "officer", code).status_code == 200
    replay = api_token(client, "officer", code)
    assert replay.status_code == 400
    # an older step than the last used one is refused too
    older = pyotp.TOTP(TOTP_SECRETS["officer"]).at(TOTP_CLOCK.now - timedelta(seconds=30))
    assert api_token(client, "officer", older).status_code == 400
    assert api_token(client, "officer", totp_code("officer")).status_code == 200


def test_a_recovery_code_works_once(client: Any, people: None) -> None:
    password_step(client, "newcomer")
    page, csrf = code_form(client)
    secret = re.search(r'data-secret="([A-Z2-7]+)"', page)
    assert secret
    TOTP_SECRETS["newcomer"] = secret.group(1)
    done = client.post("/login/code", data={"code": totp_code("newcomer"), "csrf_token": csrf})
    spare = re.findall(r"<code>([0-9a-f-]{17})</code>", done.text)[0]
    client.cookies.clear()
    password_step(client, "newcomer")
    _, csrf = code_form(client)
    r = client.post("/login/code", data={"code": spare, "csrf_token": csrf}, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (303, "/")
    client.cookies.clear()
    password_step(client, "newcomer")
    _, csrf = code_form(client)
    again = client.post("/login/code", data={"code": spare, "csrf_token": csrf})
    assert again.status_code == 401


def test_the_second_step_expires_and_its_failures_count_towards_the_lock(
    client: Any, people: None, factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    password_step(client, "officer")
    _, csrf = code_form(client)
    later = utcnow() + timedelta(minutes=6)
    monkeypatch.setattr(auth_service, "utcnow", lambda: later)
    r = client.post(
        "/login/code",
        data={"code": totp_code("officer"), "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/login"  # five minutes for the second step
    monkeypatch.undo()
    client.cookies.clear()
    password_step(client, "officer")
    _, csrf = code_form(client)
    for _ in range(4):
        assert (
            client.post("/login/code", data={"code": "999999", "csrf_token": csrf}).status_code
            == 401
        )
    fifth = client.post(
        "/login/code", data={"code": "999999", "csrf_token": csrf}, follow_redirects=False
    )
    assert fifth.headers["location"] == "/login"  # locked: back to the start
    assert failures(factory) == ["code"] * 5
    assert login_is_refused(client)


def login_is_refused(client: Any) -> bool:
    r = post_login(
        client, {"username": "officer", "password": PASSWORD, **ACK}, follow_redirects=False
    )
    return bool(r.status_code == 401)


def test_the_login_helper_rotates_the_session_at_every_login(client: Any, people: None) -> None:
    login(client, "officer")
    first = client.cookies.get("hoptac_session")
    client.cookies.clear()
    login(client, "officer")
    assert client.cookies.get("hoptac_session") not in (None, first)
