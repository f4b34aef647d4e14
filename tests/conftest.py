"""Fixtures: the whole suite runs on SQLite and, when reachable, on PostgreSQL.

PostgreSQL: postgresql://postgres@127.0.0.1:5432/test (override with HOPTAC_TEST_PG_URL);
each run works in a schema of its own and drops it at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hoptac.auth import mfa
from hoptac.auth import service as auth_service
from hoptac.db import guards, migrate
from hoptac.db.engine import make_engine, make_sessionmaker
from hoptac.db.models import Agency, AuditEvent, Base
from hoptac.exchange import identity as exchange_identity
from hoptac.exchange import peering as exchange_peering
from hoptac.exchange.keys import NodeKeys
from hoptac.settings import Settings, get_settings
from hoptac.types import AgencyLevel, Role, Sharing
from hoptac.web.app import create_app
from tests.helpers.browser import CHROMIUM
from tests.helpers.hotline import BUSAN, HCMC, YUNNAN, Net, card

PG_URL = os.environ.get("HOPTAC_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery staple"
ACK = {"acknowledge": "yes"}  # the use notice ticked on the login form (CJIS AC-8)
_pg_reason: list[str] = []


def pg_available() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    if _pg_reason:
        return _pg_reason[0] or None
    try:
        engine = make_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        _pg_reason.append("")
    except Exception as exc:  # any failure means: skip, and say why
        _pg_reason.append(f"PostgreSQL not reachable at {PG_URL}: {exc.__class__.__name__}")
    return _pg_reason[0] or None


def pytest_report_header(config: pytest.Config) -> str:
    reason = pg_available()
    return f"postgresql: {'SKIPPED — ' + reason if reason else PG_URL}"


class PgSchema:
    """A throwaway schema on the test server, reached through search_path."""

    def __init__(self) -> None:
        self.name = f"hoptac_t_{uuid.uuid4().hex[:10]}"
        self.admin = make_engine(PG_URL)
        with self.admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{self.name}"'))
        sep = "&" if "?" in PG_URL else "?"
        self.url = f"{PG_URL}{sep}options=-csearch_path%3D{self.name}"

    def drop(self) -> None:
        with self.admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))
        self.admin.dispose()


def fresh_database(backend: str, tmp: Path) -> tuple[str, Any]:
    """(url, cleanup) of an empty database on `backend`."""
    if backend == "sqlite":
        return f"sqlite:///{tmp / f'{uuid.uuid4().hex}.db'}", lambda: None
    reason = pg_available()
    if reason:
        pytest.skip(reason)
    schema = PgSchema()
    return schema.url, schema.drop


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url, cleanup = fresh_database(backend, tmp_path_factory.mktemp(backend))
    migrate.upgrade(url)
    yield url
    cleanup()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[sa.Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


def wipe(conn: sa.Connection) -> None:
    """Empty every table, the append-only audit log too (its guards lifted meanwhile:
    PostgreSQL's replica mode skips triggers, SQLite's are dropped and made again)."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    else:
        guards.remove("sqlite", conn.exec_driver_sql)
    # agencies <-> sources cite each other: break the cycle before deleting.
    conn.execute(Agency.__table__.update().values(source_id=None))
    for table in reversed(Base.metadata.sorted_tables):
        conn.execute(table.delete())
    if not postgres:
        guards.install("sqlite", conn.exec_driver_sql)


@pytest.fixture
def factory(engine: sa.Engine) -> sessionmaker[Session]:
    """A session factory over an emptied database (each test starts from nothing)."""
    with engine.begin() as conn:
        wipe(conn)
    return make_sessionmaker(engine)


@pytest.fixture
def cli(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    factory: sessionmaker[Session],
    tmp_path: Path,
) -> Iterator[CliRunner]:
    """The `hoptac` command line, run in-process against the (emptied) test database, its
    node directory (key files) a fresh one."""
    monkeypatch.setenv("HOPTAC_DATABASE_URL", database_url)
    monkeypatch.setenv("HOPTAC_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """Still argon2id, with cheap parameters: the suite hashes hundreds of passwords."""
    from argon2 import PasswordHasher

    from hoptac.auth import passwords

    real = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = real


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as s:
        yield s


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The node's settings; its home (the TOTP key file) a fresh directory."""
    return Settings(database_url=database_url, home=tmp_path / "home")


@pytest.fixture
def app(settings: Settings, factory: sessionmaker[Session]) -> Any:
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def add_agency(
    session: Session,
    name: str,
    *,
    country: str = "VN",
    ref: str | None = None,
    level: AgencyLevel = AgencyLevel.PROVINCE,
    sharing: Sharing = Sharing.ALL,
) -> Agency:
    agency = Agency(
        name_vi=name,
        country=country,
        level=level,
        sharing=sharing,
        ref=ref,
        name_key=f" {name.lower()} ",
        abbreviations=[],
    )
    session.add(agency)
    session.flush()
    agency.owner_agency_id = agency.id
    return agency


class TotpClock:
    """The authenticator apps' clock in tests: every code a helper makes is for a later
    30-second step than the one before, so that no test trips the replay guard."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def tick(self) -> datetime:
        self.now += timedelta(seconds=mfa.STEP_SECONDS)
        return self.now


TOTP_CLOCK = TotpClock()
TOTP_SECRETS: dict[str, str] = {}  # username -> the secret its "phone" holds


@pytest.fixture(autouse=True)
def _totp_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mfa, "utcnow_aware", lambda: TOTP_CLOCK.now)


def totp_code(username: str) -> str:
    """The code `username`'s authenticator app shows now (a fresh step each call)."""
    return str(pyotp.TOTP(TOTP_SECRETS[username]).at(TOTP_CLOCK.tick()))


def add_user(session: Session, username: str, role: Role, agency: Agency) -> int:
    """A user; admins and officers already enrolled in TOTP (their secret in TOTP_SECRETS)."""
    user = auth_service.create_user(
        session, username=username, password=PASSWORD, role=role, agency_id=agency.id
    )
    if role in (Role.ADMIN, Role.OFFICER):
        TOTP_SECRETS[username] = user.totp_secret = pyotp.random_base32()
        user.totp_enabled_at = datetime.now(UTC).replace(tzinfo=None)
    return user.id


def api_post(
    client: TestClient, headers: dict[str, str], resource: str, body: dict[str, Any]
) -> int:
    """Create a record through the API and return its id (the call must succeed)."""
    r = client.post(f"/api/v1/{resource}", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def request_token(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """The token endpoint's answer, with the code of the user's app if it has one."""
    data = {"username": username, "password": password}
    if username in TOTP_SECRETS:
        data["totp"] = totp_code(username)
    return client.post("/api/v1/auth/token", data=data)


def token(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    r = request_token(client, username, password)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def audit_rows(factory: sessionmaker[Session], *actions: str) -> list[AuditEvent]:
    """The audit log in chain order (of those actions, if any given)."""
    stmt = sa.select(AuditEvent).order_by(AuditEvent.seq)
    if actions:
        stmt = stmt.where(AuditEvent.action.in_(actions))
    with factory() as s:
        return list(s.scalars(stmt))


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    """Two agencies on one node, each with an officer and a viewer; HCMC also has an admin."""
    hcmc = add_agency(session, "Công an TP.HCM", ref="vn-hcmc", level=AgencyLevel.CITY)
    hue = add_agency(session, "Công an tỉnh Thừa Thiên Huế", ref="vn-hue")
    busan = add_agency(session, "Sở Cảnh sát TP Busan", country="KR", ref="kr-busan")
    for name, role, agency in [
        ("hcmc_officer", Role.OFFICER, hcmc),
        ("hcmc_viewer", Role.VIEWER, hcmc),
        ("hcmc_admin", Role.ADMIN, hcmc),
        ("hue_officer", Role.OFFICER, hue),
        ("hue_viewer", Role.VIEWER, hue),
    ]:
        add_user(session, name, role, agency)
    session.commit()
    return {"hcmc": hcmc.id, "hue": hue.id, "busan": busan.id}


@pytest.fixture
def net(session: Session, world: dict[str, Any], settings: Settings) -> Net:
    """This node serves Công an TP.HCM; Busan and Yunnan are pinned partners."""
    _node, keys = exchange_identity.init_node(
        session,
        settings.keys_dir,
        node_id=HCMC,
        name="Công an TP.HCM",
        url="https://hcmc.example",
        agency_ref="vn-hcmc",
    )
    busan, yunnan = NodeKeys.generate(), NodeKeys.generate()
    exchange_peering.add_peer(session, card(BUSAN, "Sở Cảnh sát Busan", busan))
    exchange_peering.add_peer(session, card(YUNNAN, "Công an tỉnh Vân Nam", yunnan))
    session.commit()
    return Net(keys, busan, yunnan)


@pytest.fixture
def demo(session: Session) -> Session:
    from hoptac.registry import demo as demo_data

    demo_data.load(session)
    session.commit()
    return session


def post_login(client: TestClient, data: dict[str, str], **kwargs: Any) -> Any:
    """POST the login form as a browser does: the form (and its token cookie) first."""
    import re

    form = client.get("/login", follow_redirects=False)
    if form.status_code == 303:  # signed in already: a browser would sign out first
        for name in ("hoptac_session", "__Host-hoptac_session"):
            client.cookies.delete(name)
        form = client.get("/login", follow_redirects=False)
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found, "no token on the login form"
    return client.post("/login", data={**data, "csrf_token": found.group(1)}, **kwargs)


def login(client: TestClient, username: str, password: str = PASSWORD, next: str = "/") -> Any:
    """Log in through the pages, the second step included (enrolling the account on its
    first login, as its user would: the secret is read off the page). The last answer."""
    r = post_login(
        client,
        {"username": username, "password": password, "next": next, **ACK},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    if not r.headers["location"].startswith("/login/code"):
        return r
    import re

    page = client.get(r.headers["location"]).text
    enrolling = re.search(r'data-secret="([A-Z2-7]+)"', page)
    if enrolling:
        TOTP_SECRETS[username] = enrolling.group(1)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    r = client.post(
        "/login/code",
        data={"code": totp_code(username), "csrf_token": found.group(1), "next": next},
        follow_redirects=False,
    )
    assert r.status_code == (200 if enrolling else 303), r.text
    return r


def csrf(client: TestClient, path: str = "/") -> str:
    import re

    html = client.get(path).text
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's chromium, driven through Playwright: one per module."""
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
