"""Account secrets and their first use: TOTP secrets sealed with a key held outside the
database; a one-time password that must be changed at the first login; the use notice
acknowledged at every login; unlocking that never undoes an admin's disabling."""

from __future__ import annotations

import os
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hoptac.auth import mfa
from hoptac.auth import service as auth_service
from hoptac.db.models import Agency, User
from hoptac.errors import InvalidInput
from hoptac.settings import Settings
from hoptac.types import Role
from tests.conftest import PASSWORD, TOTP_SECRETS, add_agency, add_user, csrf, login


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
    r = client.post("/login", data={"username": "newcomer", "password": PASSWORD})
    assert r.status_code == 422
    assert "chmod go-rwx" in r.text
    with factory() as s:  # no secret was stored with a key others could read
        assert (
            s.scalars(sa.select(User).where(User.username == "newcomer")).one().totp_secret is None
        )
