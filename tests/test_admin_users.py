"""An agency's admin manages the agency's accounts from a page: each step goes through the
account rules (sessions end, audited under the admin's name with before and after);
another agency's accounts are out of reach, and so is the admin's own."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hoptac.db.models import User
from tests.conftest import PASSWORD, TOTP_SECRETS, audit_rows, csrf, login, post_login, token


def _id(session: Session, username: str) -> int:
    return int(session.scalars(sa.select(User.id).where(User.username == username)).one())


def _step(client: TestClient, user_id: int, step: str, **extra: str) -> Any:
    data = {"csrf_token": csrf(client, "/admin/users"), "step": step, **extra}
    return client.post(f"/admin/users/{user_id}", data=data, follow_redirects=False)


def test_the_admin_sees_the_own_agencys_accounts_only(
    client: TestClient, world: dict[str, Any]
) -> None:
    login(client, "hcmc_admin")
    page = client.get("/admin/users").text
    assert all(u in page for u in ("hcmc_admin", "hcmc_officer", "hcmc_viewer"))
    assert "hue_officer" not in page and "hue_viewer" not in page
    client.cookies.clear()
    login(client, "hcmc_officer")
    refused = client.get("/admin/users")
    assert refused.status_code == 403
    assert "Chỉ quản trị viên mới quản lý tài khoản." in refused.text


def test_disable_enable_and_a_new_role_end_sessions_and_are_audited(
    client: TestClient, world: dict[str, Any], session: Session, factory: sessionmaker[Session]
) -> None:
    officer = _id(session, "hcmc_officer")
    headers = token(client, "hcmc_officer")
    login(client, "hcmc_admin")
    r = _step(client, officer, "disable")
    assert r.status_code == 303 and "done=disable" in r.headers["location"]
    assert client.get("/api/v1/agencies", headers=headers).status_code == 401
    assert "vô hiệu hóa" in client.get(r.headers["location"]).text
    (row,) = audit_rows(factory, "auth.account_disabled")
    assert (row.username, row.object_id) == ("hcmc_admin", officer)
    assert row.detail["before"]["active"] is True and row.detail["after"]["active"] is False  # type: ignore[index]
    assert _step(client, officer, "enable").status_code == 303
    assert _step(client, officer, "role", role="viewer").status_code == 303
    (role,) = audit_rows(factory, "auth.role_changed")
    assert role.detail["before"] == {"role": "officer"} and role.detail["after"] == {
        "role": "viewer"
    }  # type: ignore[index]
    viewer = token(client, "hcmc_officer")  # enabled again, now a viewer
    assert client.post("/api/v1/people", json={"full_name": "X"}, headers=viewer).status_code == 403


def test_a_one_time_password_is_shown_once_and_must_be_changed(
    client: TestClient, world: dict[str, Any], session: Session
) -> None:
    login(client, "hcmc_admin")
    r = _step(client, _id(session, "hcmc_viewer"), "reset-password")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    secret = re.search(r'<code class="secret">([a-z0-9-]+)</code>', r.text)
    assert secret, r.text
    client.cookies.clear()
    r = post_login(
        client,
        {"username": "hcmc_viewer", "password": secret.group(1), "acknowledge": "yes"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/login/password")
    assert client.get("/", follow_redirects=False).status_code == 303  # nothing else opens
    old = post_login(
        client,
        {"username": "hcmc_viewer", "password": PASSWORD, "acknowledge": "yes"},
        follow_redirects=False,
    )
    assert old.status_code == 401  # the old password is gone


def test_a_new_second_step_makes_the_user_enrol_again(
    client: TestClient, world: dict[str, Any], session: Session, factory: sessionmaker[Session]
) -> None:
    login(client, "hcmc_admin")
    assert _step(client, _id(session, "hcmc_officer"), "reset-second-factor").status_code == 303
    (row,) = audit_rows(factory, "auth.second_factor_reset")
    assert row.detail["after"] == {"second_factor": False}  # type: ignore[index]
    old_secret = TOTP_SECRETS["hcmc_officer"]
    client.cookies.clear()
    login(client, "hcmc_officer")  # enrols a new authenticator on the way
    assert TOTP_SECRETS["hcmc_officer"] != old_secret


def test_another_agencys_account_and_the_own_are_out_of_reach(
    client: TestClient, world: dict[str, Any], session: Session, factory: sessionmaker[Session]
) -> None:
    login(client, "hcmc_admin")
    hue = _id(session, "hue_officer")
    assert _step(client, hue, "disable").status_code == 404
    session.expire_all()
    assert session.get(User, hue).is_active  # type: ignore[union-attr]
    denied = [r for r in audit_rows(factory, "access.denied") if r.object_id == hue]
    assert {e.agency_id for e in denied} == {world["hcmc"], world["hue"]}  # prober, owner
    assert [e.detail["hidden"] for e in denied if e.agency_id == world["hue"]] == [True]  # type: ignore[index]
    own = _step(client, _id(session, "hcmc_admin"), "disable")
    assert own.status_code == 422 and "tài khoản của mình" in own.text


def test_unlock_after_a_lock(client: TestClient, world: dict[str, Any], session: Session) -> None:
    for _ in range(5):
        post_login(
            client,
            {"username": "hcmc_viewer", "password": "wrong password", "acknowledge": "yes"},
        )
    r = post_login(client, {"username": "hcmc_viewer", "password": PASSWORD, "acknowledge": "yes"})
    assert r.status_code == 401  # locked: the right password is refused too
    login(client, "hcmc_admin")
    page = client.get("/admin/users").text
    assert "bị khóa" in page
    assert _step(client, _id(session, "hcmc_viewer"), "unlock").status_code == 303
    client.cookies.clear()
    login(client, "hcmc_viewer")
    assert client.get("/", follow_redirects=False).status_code == 200
