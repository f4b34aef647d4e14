"""Account secrets and their first use: TOTP secrets sealed with a key held outside the
database; a one-time password that must be changed at the first login; the use notice
acknowledged at every login; unlocking that never undoes an admin's disabling."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hoptac.auth import mfa
from hoptac.auth import service as auth_service
from hoptac.cli.main import app
from hoptac.db import migrate
from hoptac.db.engine import make_engine
from hoptac.db.models import Agency, User, utcnow
from hoptac.errors import InvalidInput, Unavailable
from hoptac.settings import Settings, get_settings
from hoptac.types import Role
from tests.conftest import (
    ACK,
    PASSWORD,
    TOTP_SECRETS,
    add_agency,
    add_user,
    audit_rows,
    csrf,
    fresh_database,
    login,
    post_login,
    request_token,
    totp_code,
)
from tests.helpers.problems import assert_oauth_error


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


@pytest.fixture
def agency_id(factory: sessionmaker[Session]) -> int:
    with factory() as s, s.begin():
        return add_agency(s, "Công an tỉnh Quảng Ninh").id


def stored_secret(factory: sessionmaker[Session], username: str) -> bytes:
    """users.totp_secret as the database holds it (no ORM in between)."""
    with factory() as s:
        value = s.execute(
            sa.text("SELECT totp_secret FROM users WHERE username = :u"), {"u": username}
        ).scalar_one()
    assert value is not None
    return str(value).encode()


def logout(client: Any) -> None:
    r = client.post("/logout", data={"csrf_token": csrf(client)}, follow_redirects=False)
    assert r.status_code == 303


# ---- TOTP secrets sealed at rest (CJIS SC-28, SC-12) ---------------------------------


def test_a_totp_secret_is_sealed_in_the_database_and_login_still_works(
    client: Any, factory: sessionmaker[Session], agency_id: int, settings: Settings
) -> None:
    with factory() as s, s.begin():
        auth_service.create_user(
            s, username="newcomer", password=PASSWORD, role=Role.OFFICER, agency_id=agency_id
        )
    login(client, "newcomer")  # enrols: the secret is read off the page, as an app would
    secret = TOTP_SECRETS["newcomer"]
    raw = stored_secret(factory, "newcomer")
    assert secret.encode() not in raw and raw.startswith(mfa.SEALED.encode())
    key_file = settings.keys_dir / mfa.KEY_FILE
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert oct(settings.keys_dir.stat().st_mode & 0o777) == "0o700"
    assert [p.name for p in settings.keys_dir.iterdir()] == [mfa.KEY_FILE]  # no draft left
    logout(client)
    r = login(client, "newcomer")  # a second login reads the sealed secret back
    assert r.headers["location"] == "/"
    assert client.get("/", follow_redirects=False).status_code == 200


def test_a_secret_stored_in_the_clear_is_sealed_at_its_first_use(
    client: Any, factory: sessionmaker[Session], agency_id: int
) -> None:
    with factory() as s, s.begin():
        add_user(s, "legacy", Role.OFFICER, s.get_one(Agency, agency_id))
    assert stored_secret(factory, "legacy") == TOTP_SECRETS["legacy"].encode()  # as before 0008
    login(client, "legacy")
    raw = stored_secret(factory, "legacy")
    assert TOTP_SECRETS["legacy"].encode() not in raw and raw.startswith(mfa.SEALED.encode())
    logout(client)
    assert login(client, "legacy").headers["location"] == "/"


def test_a_sealed_secret_opens_for_its_own_account_only(settings: Settings) -> None:
    key = mfa.totp_key(settings)
    sealed = mfa.seal_secret(7, "JBSWY3DPEHPK3PXP", key)
    assert mfa.secret_of(User(id=7, totp_secret=sealed), settings) == "JBSWY3DPEHPK3PXP"
    with pytest.raises(InvalidInput, match="another account"):
        mfa.secret_of(User(id=8, totp_secret=sealed), settings)
    other = Settings(database_url=settings.database_url, home=settings.home / "other")
    with pytest.raises(Unavailable, match="missing"):  # no key there: none is made
        mfa.secret_of(User(id=7, totp_secret=sealed), other)
    mfa.totp_key(other)  # another node's key
    with pytest.raises(InvalidInput, match="does not open"):
        mfa.secret_of(User(id=7, totp_secret=sealed), other)


def test_a_key_file_others_may_read_is_refused(
    client: Any, factory: sessionmaker[Session], agency_id: int, settings: Settings
) -> None:
    key_file = settings.keys_dir / mfa.KEY_FILE
    mfa.totp_key(settings)
    os.chmod(key_file, 0o644)
    with pytest.raises(InvalidInput, match=r"totp\.key is readable by others \(mode 644\)"):
        mfa.totp_key(settings)
    with factory() as s, s.begin():
        auth_service.create_user(
            s, username="newcomer", password=PASSWORD, role=Role.OFFICER, agency_id=agency_id
        )
    r = post_login(client, {"username": "newcomer", "password": PASSWORD, **ACK})
    assert r.status_code == 422
    assert "chmod go-rwx" in r.text
    with factory() as s:  # no secret was stored with a key others could read
        assert (
            s.scalars(sa.select(User).where(User.username == "newcomer")).one().totp_secret is None
        )


def test_a_missing_key_file_is_not_replaced_while_sealed_secrets_need_it(
    client: Any, factory: sessionmaker[Session], agency_id: int, settings: Settings
) -> None:
    """A lost or not restored totp.key: a new key would open none of the sealed secrets
    (every admin and officer locked out for good), so none is made; sign-in says why."""
    with factory() as s, s.begin():
        add_user(s, "lan", Role.OFFICER, s.get_one(Agency, agency_id))
    login(client, "lan")  # its secret is sealed with the key on the way
    key_file = settings.keys_dir / mfa.KEY_FILE
    key_file.unlink()
    client.cookies.clear()
    r = post_login(client, {"username": "lan", "password": PASSWORD, **ACK}, follow_redirects=False)
    assert r.status_code == 303  # the password step does not need the key
    page = client.get(r.headers["location"])
    code = client.post(
        "/login/code",
        data={"code": totp_code("lan"), "csrf_token": _csrf(page.text), "next": "/"},
    )
    assert code.status_code == 503 and "totp.key" in code.text
    with factory() as s, s.begin():  # a newcomer's enrolment does not make one either
        auth_service.create_user(
            s, username="newcomer", password=PASSWORD, role=Role.OFFICER, agency_id=agency_id
        )
    client.cookies.clear()
    r = post_login(client, {"username": "newcomer", "password": PASSWORD, **ACK})
    assert r.status_code == 503
    assert not key_file.exists()


# ---- no default account: a one-time password changed at the first login ------------
# (ASVS V6.3.2, checklist item 4)


def add_with_one_time_password(cli: CliRunner, agency_id: int, username: str, role: str) -> str:
    """`hoptac user add` without --password-stdin: the one-time password it prints."""
    r = cli.invoke(
        app,
        ["user", "add", "--agency", str(agency_id), "--role", role, "--username", username],
    )
    assert r.exit_code == 0, r.output
    assert "one-time password" in r.output
    password = r.output.strip().splitlines()[-1]
    assert re.fullmatch(r"([a-z2-9]{5}-){3}[a-z2-9]{5}", password), r.output
    return password


def change_form(client: Any, **fields: str) -> Any:
    page = client.get("/login/password")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return client.post(
        "/login/password",
        data={"csrf_token": found.group(1), "next": "/people", **fields},
        follow_redirects=False,
    )


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_a_one_time_password_opens_nothing_but_its_own_change(
    cli: CliRunner, client: Any, factory: sessionmaker[Session], agency_id: int, role: str
) -> None:
    one_time = add_with_one_time_password(cli, agency_id, "boss", role)
    created = audit_rows(factory, "auth.user_created")[-1]
    assert created.detail == {"must_change_password": True}
    login(client, "boss", one_time)  # an admin enrols the second factor first
    # every page sends the user to the change-password page, the API gives no token
    for path in ("/", "/people", "/admin/audit"):
        r = client.get(path)
        assert r.url.path == "/login/password", (path, r.url)
        assert "Đặt mật khẩu của anh/chị" in r.text
    refused = request_token(client, "boss", one_time)
    # read like any refused sign-in (attack finding 7); OAuth2's error (RFC 6749 §5.2)
    assert_oauth_error(refused, "invalid_grant")
    assert "one-time password changed" in refused.json()["detail"]

    # the rules of auth.passwords, the current password, the same password twice
    strong = "ba con mèo trèo cây cau"
    for fields, message in [
        ({"current": "wrong-one", "new": strong, "repeated": strong}, "Mật khẩu hiện tại"),
        ({"current": one_time, "new": one_time, "repeated": one_time}, "phải khác"),
        ({"current": one_time, "new": "short", "repeated": "short"}, "ít nhất 8 ký tự"),
        ({"current": one_time, "new": "password1", "repeated": "password1"}, "thường bị dùng"),
        ({"current": one_time, "new": strong, "repeated": strong + "!"}, "không giống nhau"),
    ]:
        r = change_form(client, **fields)
        assert r.status_code == 422 and message in r.text, (fields, r.text)
    assert client.get("/", follow_redirects=False).status_code == 303  # still nothing else

    r = change_form(client, current=one_time, new=strong, repeated=strong)
    assert r.status_code == 303 and r.headers["location"] == "/people"
    assert client.get("/people", follow_redirects=False).status_code == 200
    assert request_token(client, "boss", one_time).status_code == 400
    assert request_token(client, "boss", strong).status_code == 200
    with factory() as s:
        assert (
            not s.scalars(sa.select(User).where(User.username == "boss")).one().must_change_password
        )
    changed = audit_rows(factory, "auth.password_changed")
    assert len(changed) == 1 and changed[0].username == "boss" and changed[0].user_id is not None
    assert changed[0].detail is not None
    assert changed[0].detail["before"] == {"must_change_password": True}
    assert changed[0].detail["after"] == {"must_change_password": False}
    failed = audit_rows(factory, "auth.login_failed")
    assert [(r.detail or {}).get("reason") for r in failed] == [
        "password change pending",
        "password",  # the wrong current password, counted towards the lock
        "password",  # the one-time password, no longer valid
    ]


def test_a_password_given_on_standard_input_needs_no_change(
    cli: CliRunner, client: Any, agency_id: int
) -> None:
    add = ["user", "add", "--agency", str(agency_id), "--role", "viewer", "--username", "ops"]
    r = cli.invoke(app, [*add, "--password-stdin"], input=f"{PASSWORD}\n")
    assert r.exit_code == 0 and "one-time" not in r.output, r.output
    assert login(client, "ops").headers["location"] == "/"


# ---- the system-use notice, acknowledged at every login (CJIS AC-8) -----------------


def test_the_login_page_shows_the_use_notice_in_both_languages(client: Any) -> None:
    for lang in ("vi", "en"):
        client.cookies.set("hoptac_lang", lang)
        html = client.get("/login").text
        vi, en = html.find("Thông báo sử dụng hệ thống"), html.find("System use notice")
        assert 0 < vi < en, lang  # Vietnamese first, whatever the page's language
        for words in ("chỉ dành cho người được cấp quyền", "được giám sát và ghi lại"):
            assert words in html
        for words in ("authorised users only", "monitored and recorded", "penalties under the law"):
            assert words in html
        assert re.search(r'<input type="checkbox" name="acknowledge" value="yes" required>', html)


def test_a_login_without_the_acknowledgement_is_refused_and_audited_but_not_counted(
    client: Any, factory: sessionmaker[Session], agency_id: int
) -> None:
    with factory() as s, s.begin():
        add_user(s, "lan", Role.VIEWER, s.get_one(Agency, agency_id))
    for _ in range(auth_service.LOCK_AFTER + 1):  # more than enough to lock, were it counted
        r = post_login(client, {"username": "lan", "password": PASSWORD})
        assert r.status_code == 401
        assert "Hãy đọc thông báo sử dụng hệ thống" in r.text
        assert client.cookies.get("hoptac_session") is None
    refused = audit_rows(factory, "auth.login_failed")
    assert len(refused) == auth_service.LOCK_AFTER + 1
    assert {(r.username, r.outcome, (r.detail or {}).get("reason")) for r in refused} == {
        ("lan", "denied", "notice not acknowledged")
    }
    assert {r.agency_id for r in refused} == {agency_id}  # the account's admins see them
    with factory() as s:
        user = s.scalars(sa.select(User).where(User.username == "lan")).one()
        assert user.locked_at is None and user.failed_logins == 0
    ticked = post_login(
        client,
        {"username": "lan", "password": PASSWORD, "acknowledge": "yes"},
        follow_redirects=False,
    )
    assert ticked.status_code == 303 and ticked.headers["location"] == "/"


# ---- unlocking never undoes an admin's disabling -------------------------------------


def account(factory: sessionmaker[Session], username: str) -> tuple[bool, bool, str | None]:
    """(active, locked, why disabled) as stored."""
    with factory() as s:
        user = s.scalars(sa.select(User).where(User.username == username)).one()
        return user.is_active, user.locked_at is not None, user.disabled_reason


def test_unlock_lifts_a_lock_but_not_an_admins_disabling(
    cli: CliRunner, client: Any, factory: sessionmaker[Session], agency_id: int
) -> None:
    with factory() as s, s.begin():
        add_user(s, "lan", Role.VIEWER, s.get_one(Agency, agency_id))
    for _ in range(auth_service.LOCK_AFTER):
        assert request_token(client, "lan", "not the password").status_code == 400
    assert account(factory, "lan") == (True, True, None)
    disabled = cli.invoke(app, ["user", "disable", "lan", "--why", "left the unit"])
    assert disabled.exit_code == 0, disabled.output
    assert account(factory, "lan") == (False, True, "admin")

    unlocked = cli.invoke(app, ["user", "unlock", "lan"])
    assert unlocked.exit_code == 0, unlocked.output
    assert "stays disabled" in unlocked.output and "hoptac user enable lan" in unlocked.output
    assert account(factory, "lan") == (False, False, "admin")  # the lock is gone, not the rest
    assert request_token(client, "lan").status_code == 400

    enabled = cli.invoke(app, ["user", "enable", "lan"])
    assert enabled.exit_code == 0, enabled.output
    assert account(factory, "lan") == (True, False, None)
    assert request_token(client, "lan").status_code == 200
    again = cli.invoke(app, ["user", "enable", "lan"])
    assert again.exit_code == 1 and "user 'lan' is not disabled" in again.output

    (off,) = audit_rows(factory, "auth.account_disabled")
    assert off.detail is not None and off.detail["why"] == "left the unit"
    assert off.detail["after"] == {"active": False, "disabled": "admin"}
    (unlock,) = audit_rows(factory, "auth.account_unlocked")
    assert unlock.detail is not None
    assert unlock.detail["before"] == {"locked": True, "active": False, "disabled": "admin"}
    assert unlock.detail["after"] == {"locked": False, "active": False, "disabled": "admin"}
    (on,) = audit_rows(factory, "auth.account_enabled")
    assert on.detail is not None and on.object_type == "user" and on.agency_id == agency_id
    assert on.detail["after"] == {"locked": False, "active": True, "disabled": None}


def test_unlock_still_enables_an_account_disabled_for_inactivity(
    cli: CliRunner, client: Any, factory: sessionmaker[Session], agency_id: int
) -> None:
    with factory() as s, s.begin():
        add_user(s, "lan", Role.VIEWER, s.get_one(Agency, agency_id))
    with factory() as s, s.begin():
        user = s.scalars(sa.select(User).where(User.username == "lan")).one()
        auth_service.disable_user(s, user, None, None, "unused 90 days", auth_service.INACTIVE)
    assert request_token(client, "lan").status_code == 400
    unlocked = cli.invoke(app, ["user", "unlock", "lan"])
    assert unlocked.exit_code == 0 and "stays disabled" not in unlocked.output
    assert account(factory, "lan") == (True, False, None)
    assert request_token(client, "lan").status_code == 200


def test_migration_0008_reads_why_each_disabled_account_was_disabled(
    backend: str, tmp_path: Path
) -> None:
    url, cleanup = fresh_database(backend, tmp_path)
    engine = make_engine(url)
    try:
        migrate.upgrade(url, "0007")
        meta = sa.MetaData()
        meta.reflect(engine, only=["agencies", "users", "audit_events"])
        agencies, users, events = (meta.tables[n] for n in ("agencies", "users", "audit_events"))
        now = utcnow()
        stamps = {"created_at": now, "updated_at": now}
        with engine.begin() as conn:
            conn.execute(
                agencies.insert().values(
                    id=1, name_vi="Công an tỉnh Lạng Sơn", abbreviations=[], name_key=" x ",
                    country="VN", level="province", sharing="all", version=1, **stamps,
                )
            )  # fmt: skip
            accounts = {"swept": False, "fired": False, "unknown": False, "busy": True}
            for n, (name, active) in enumerate(accounts.items(), start=1):
                conn.execute(
                    users.insert().values(
                        id=n, username=name, password_hash="x", role="viewer", agency_id=1,
                        is_active=active, **stamps,
                    )
                )  # fmt: skip
            for seq, (user_id, why) in enumerate(
                [(1, "unused 90 days"), (2, "unused 90 days"), (2, "left the unit")], start=1
            ):
                conn.execute(
                    events.insert().values(
                        seq=seq, prev_hash="0" * 64, row_hash="0" * 64, at=now, outcome="ok",
                        action="auth.account_disabled", object_type="user", object_id=user_id,
                        detail={"user": "?", "why": why},
                    )
                )  # fmt: skip
        migrate.upgrade(url)
        with engine.connect() as conn:
            reasons = dict(
                conn.execute(sa.text("SELECT username, disabled_reason FROM users")).all()
            )
        # the last disabling counts; without a row it is taken as deliberate
        assert reasons == {"swept": "inactive", "fired": "admin", "unknown": "admin", "busy": None}
    finally:
        engine.dispose()
        cleanup()


def test_the_clear_secrets_can_be_sealed_all_at_once(
    cli: CliRunner,
    client: Any,
    factory: sessionmaker[Session],
    agency_id: int,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with factory() as s, s.begin():
        for name in ("one", "two"):
            add_user(s, name, Role.OFFICER, s.get_one(Agency, agency_id))
    monkeypatch.setenv("HOPTAC_HOME", str(settings.home))  # the app's node directory
    get_settings.cache_clear()
    r = cli.invoke(app, ["user", "seal-totp"])
    assert r.exit_code == 0 and "2 TOTP secrets sealed" in r.output, r.output
    for name in ("one", "two"):
        raw = stored_secret(factory, name)
        assert TOTP_SECRETS[name].encode() not in raw and raw.startswith(mfa.SEALED.encode())
    assert login(client, "two").headers["location"] == "/"  # the app opens them with the key
    r = cli.invoke(app, ["user", "seal-totp"])
    assert "0 TOTP secrets sealed" in r.output
