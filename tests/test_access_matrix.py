"""The role x route matrix: two agencies on one node, every role of each, every route of the
app (read off its route table, so that a new route fails here until it is placed in the
matrix). The right callers get through; everyone else gets 401, 403 or 404, and every
refusal leaves a "denied" audit row. A record of the other agency answers 404, and no
answer to the other agency carries any of its private records."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hoptac.db.models import Agency, AuditEvent, Notice, ScreeningHit, User
from hoptac.settings import Settings
from hoptac.types import Role
from tests.conftest import add_user, api_post, csrf, login, token
from tests.helpers.hotline import YUNNAN, Net, pin_requests, receive, receive_request
from tests.helpers.routes import PUBLIC, SIGN_OUT
from tests.helpers.routes import routes as _routes
from tests.helpers.screening import screening_world

USER, WRITER, ADMIN = "user", "writer", "admin"  # who may use a route, by role


@dataclass(frozen=True)
class Rule:
    who: str  # USER: any signed-in user; WRITER: admins and officers; ADMIN: admins
    owned: bool = False  # the path names a record of the owning agency (or its hotline)


READ, WRITE, MINE = Rule(USER), Rule(WRITER), Rule(USER, owned=True)
MINE_WRITE = Rule(WRITER, owned=True)
RESOURCES = ("agencies", "sources", "people", "agreements", "engagements", "commitments")

MATRIX: dict[tuple[str, str], Rule] = {
    # API: the registry's records
    **{("GET", f"/api/v1/{r}"): READ for r in (*RESOURCES, "notices", "registers")},
    **{("GET", f"/api/v1/{r}/{{record_id}}"): MINE for r in (*RESOURCES, "notices", "registers")},
    # sources: the attribution of information, a field permission viewers lack
    ("GET", "/api/v1/sources"): WRITE,
    ("GET", "/api/v1/sources/{record_id}"): MINE_WRITE,
    **{("POST", f"/api/v1/{r}"): WRITE for r in (*RESOURCES, "notices", "registers")},
    **{
        ("PATCH", f"/api/v1/{r}/{{record_id}}"): MINE_WRITE
        for r in (*RESOURCES, "notices", "registers")
    },
    ("POST", "/api/v1/notices/import"): WRITE,
    ("POST", "/api/v1/notices/{record_id}/send"): MINE_WRITE,
    ("GET", "/api/v1/notices/{record_id}/shares"): MINE,
    ("GET", "/api/v1/screening/hits"): READ,
    ("GET", "/api/v1/screening/hits/{record_id}"): MINE,
    ("POST", "/api/v1/registers/{record_id}/import"): MINE_WRITE,
    # API: the hotline (the node's own agency, its officers and admins)
    ("GET", "/api/v1/hotline/peers"): MINE_WRITE,
    ("GET", "/api/v1/hotline/messages"): MINE_WRITE,
    ("POST", "/api/v1/hotline/messages"): MINE_WRITE,
    ("GET", "/api/v1/hotline/messages/{envelope_id}"): MINE_WRITE,
    ("POST", "/api/v1/hotline/messages/{envelope_id}/ack"): MINE_WRITE,
    # API: requests for assistance (the node's own agency, its officers and admins)
    ("GET", "/api/v1/requests"): MINE_WRITE,
    ("GET", "/api/v1/requests/sla"): MINE_WRITE,
    ("POST", "/api/v1/requests"): MINE_WRITE,
    ("GET", "/api/v1/requests/{uid}"): MINE_WRITE,
    ("PATCH", "/api/v1/requests/{uid}"): MINE_WRITE,
    ("POST", "/api/v1/requests/{uid}/steps/{action}"): MINE_WRITE,
    ("POST", "/api/v1/requests/{uid}/extend"): MINE_WRITE,
    ("GET", "/api/v1/requests/{uid}/attachments/{index}"): MINE_WRITE,
    ("POST", "/api/v1/requests/{uid}/handover"): MINE_WRITE,
    # API: cases (the owning agency's officers and admins)
    ("GET", "/api/v1/cases"): WRITE,  # each agency its own cases
    ("POST", "/api/v1/cases"): WRITE,
    ("GET", "/api/v1/cases/{ref}"): MINE_WRITE,
    ("POST", "/api/v1/cases/{ref}/links"): MINE_WRITE,
    ("POST", "/api/v1/cases/{ref}/evidence"): MINE_WRITE,
    ("GET", "/api/v1/cases/{ref}/evidence/{item}/file"): MINE_WRITE,
    ("POST", "/api/v1/cases/{ref}/evidence/{item}/custody"): MINE_WRITE,
    ("POST", "/api/v1/cases/{ref}/transfer"): MINE_WRITE,
    ("POST", "/api/v1/cases/{ref}/close"): MINE_WRITE,
    ("POST", "/api/v1/cases/{ref}/shares"): MINE_WRITE,
    ("DELETE", "/api/v1/cases/{ref}/shares/{agency_id}"): MINE_WRITE,
    ("POST", "/api/v1/hotline/messages/{envelope_id}/forward"): MINE_WRITE,
    ("POST", "/api/v1/hotline/messages/{envelope_id}/permissions"): MINE_WRITE,
    # pages: screening
    ("GET", "/notices"): READ,
    ("GET", "/notices/{record_id:int}"): MINE,
    ("POST", "/notices/{record_id:int}/status"): MINE_WRITE,
    ("POST", "/notices/{record_id:int}/send"): MINE_WRITE,
    ("GET", "/registers"): READ,
    ("GET", "/registers/{record_id:int}"): MINE,
    ("GET", "/records/{record_id:int}"): MINE,
    ("GET", "/notices/import"): WRITE,
    ("POST", "/notices/import"): WRITE,
    ("POST", "/registers/{record_id:int}/import"): MINE_WRITE,
    ("GET", "/screening"): READ,
    ("POST", "/screening/jobs"): WRITE,
    ("GET", "/screening/jobs/{record_id:int}"): MINE,
    ("GET", "/screening/hits"): READ,
    ("GET", "/screening/hits/{record_id:int}"): MINE,
    ("POST", "/screening/hits/{record_id:int}/decision"): MINE_WRITE,
    ("GET", "/search"): READ,
    # pages: the hotline
    ("GET", "/hotline"): MINE_WRITE,
    ("POST", "/hotline/messages"): MINE_WRITE,
    ("GET", "/hotline/peers/{node_id}"): MINE_WRITE,
    ("GET", "/hotline/threads/{thread_id}"): MINE_WRITE,
    ("POST", "/hotline/messages/{envelope_id}/ack"): MINE_WRITE,
    # pages: requests for assistance
    ("GET", "/requests"): MINE_WRITE,
    ("GET", "/requests/sla"): MINE_WRITE,
    ("GET", "/requests/sla.csv"): MINE_WRITE,
    ("GET", "/requests/new"): MINE_WRITE,
    ("POST", "/requests"): MINE_WRITE,
    ("GET", "/requests/{uid}"): MINE_WRITE,
    ("POST", "/requests/{uid}/steps/{action}"): MINE_WRITE,
    ("POST", "/requests/{uid}/extend"): MINE_WRITE,
    ("GET", "/requests/{uid}/files/{index:int}"): MINE_WRITE,
    ("POST", "/requests/{uid}/handover"): MINE_WRITE,
    # pages: cases (the owning agency's officers and admins)
    ("GET", "/cases"): WRITE,  # each agency its own cases
    ("POST", "/cases"): WRITE,
    ("GET", "/cases/{ref}"): MINE_WRITE,
    ("POST", "/cases/{ref}/links"): MINE_WRITE,
    ("POST", "/cases/{ref}/evidence"): MINE_WRITE,
    ("GET", "/cases/{ref}/evidence/{item}/file"): MINE_WRITE,
    ("POST", "/cases/{ref}/evidence/{item}/custody"): MINE_WRITE,
    ("POST", "/cases/{ref}/transfer"): MINE_WRITE,
    ("POST", "/cases/{ref}/close"): MINE_WRITE,
    ("POST", "/cases/{ref}/shares"): MINE_WRITE,
    ("POST", "/cases/{ref}/shares/{agency_id:int}/remove"): MINE_WRITE,
    ("POST", "/hotline/messages/{envelope_id}/forward"): MINE_WRITE,
    ("POST", "/hotline/messages/{envelope_id}/permissions"): MINE_WRITE,
    ("GET", "/hotline/messages/{envelope_id}/attachments/{index:int}"): MINE_WRITE,
    # pages: ingest, admin, the registry
    ("GET", "/ingest"): WRITE,
    ("POST", "/ingest/preview"): WRITE,
    ("POST", "/ingest/accept"): WRITE,
    ("GET", "/admin/audit"): Rule(ADMIN),
    ("GET", "/admin/users"): Rule(ADMIN),
    ("POST", "/admin/users/{record_id:int}"): Rule(ADMIN, owned=True),
    ("GET", "/admin/audit.csv"): Rule(ADMIN),
    ("GET", "/account"): READ,
    **dict.fromkeys(SIGN_OUT, READ),
    ("GET", "/"): READ,
    **{("GET", f"/{r}"): READ for r in RESOURCES},
    **{("GET", f"/{r}/{{record_id:int}}"): MINE for r in RESOURCES},
    ("GET", "/sources"): WRITE,
    ("GET", "/sources/{record_id:int}"): MINE_WRITE,
    ("GET", "/{resource}/new"): WRITE,
    ("POST", "/{resource}/new"): WRITE,
    ("GET", "/{resource}/{record_id:int}/edit"): MINE_WRITE,
    ("POST", "/{resource}/{record_id:int}/edit"): MINE_WRITE,
}

# What the other agency must never read: words of the owning agency's private records.
SECRETS = ("Bí Mật", "Thỏa thuận mật", "Hội đàm kín", "Cam kết kín", "Đội trinh sát kín")


@dataclass
class Caller:
    username: str
    role: Role
    agency: str  # "hcmc" (the owner of the records and of the node's hotline) or "hue"


CALLERS = [
    Caller(f"{agency}_{role.value}", role, agency)
    for agency in ("hue", "hcmc")  # the other agency first: its refusals change nothing
    for role in (Role.VIEWER, Role.OFFICER, Role.ADMIN)
]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The node's home (its keys) in a temporary directory, no background sender, and
    room for the matrix's many sign-ins from one address."""
    return Settings(
        home=tmp_path / "node",
        database_url=database_url,
        exchange_sender=False,
        rate_login_per_minute=10_000,
        rate_token_per_minute=10_000,
    )


@pytest.fixture
def owned(
    client: TestClient,
    app: Any,
    session: Session,
    world: dict[str, Any],
    net: Net,
) -> dict[str, Any]:
    """HCMC's private records of every kind, its hotline with a received message, and an
    admin for Huế (the world has HCMC's)."""
    add_user(session, "hue_admin", Role.ADMIN, session.get_one(Agency, world["hue"]))
    session.commit()
    h = token(client, "hcmc_officer")

    def post(resource: str, body: dict[str, Any]) -> int:
        return api_post(client, h, resource, body)

    ids: dict[str, Any] = {
        "agencies": post(
            "agencies",
            {
                "name_vi": "Đội trinh sát kín",
                "country": "VN",
                "level": "unit",
                "sharing": "agency",
                "parent_id": world["hcmc"],
            },
        ),
        "sources": post("sources", {"title": "Báo cáo Bí Mật", "text": "Bí Mật"}),
        "people": post("people", {"full_name": "Trần Bí Mật", "agency_id": world["hcmc"]}),
        "agreements": post(
            "agreements",
            {"kind": "mou", "title": "Thỏa thuận mật", "party_ids": [world["hcmc"]]},
        ),
    }
    ids["engagements"] = post(
        "engagements",
        {"kind": "talks", "title": "Hội đàm kín", "host_ids": [world["hcmc"]]},
    )
    ids["commitments"] = post(
        "commitments",
        {
            "description": "Cam kết kín",
            "owed_by_id": world["hcmc"],
            "agreement_id": ids["agreements"],
        },
    )
    screening = screening_world(client, app)  # as hcmc_officer: register, job, hit
    client.cookies.clear()
    hit = session.get_one(ScreeningHit, screening["hit"])
    notice = session.get_one(Notice, hit.notice_id)
    ids.update(
        registers=screening["register"],
        jobs=screening["job"],
        hits=screening["hit"],
        records=hit.record_id,
        users=session.scalars(sa.select(User.id).where(User.username == "hcmc_viewer")).one(),
        notices=notice.id,
        envelope=receive(session, net, attachments=[("ho-so.pdf", b"%PDF-1.4 bi mat")]),
    )
    pin_requests(session, net)
    ids["request"] = receive_request(session, net, files=[("ho-so.pdf", b"%PDF-1.4 Bi Mat")])
    case = api_post_case(client, h)
    ids["case"], ids["evidence"] = case["ref"], case["evidence"]
    ids["busan"] = world["busan"]
    return ids


def api_post_case(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    """HCMC's case, with one evidence file: its ref and the item's id."""
    made = client.post("/api/v1/cases", json={"title": "Hồ sơ Bí Mật"}, headers=headers)
    assert made.status_code == 201, made.text
    ref = made.json()["ref"]
    item = client.post(
        f"/api/v1/cases/{ref}/evidence",
        data={"kind": "file", "description": "Ảnh Bí Mật", "holder": "Đội 1"},
        files={"file": ("anh.jpg", b"\xff\xd8 Bi Mat", "image/jpeg")},
        headers=headers,
    )
    assert item.status_code == 201, item.text
    return {"ref": ref, "evidence": item.json()["id"]}


def _fill(method: str, path: str, ids: dict[str, Any]) -> str:
    """A URL of the route that names the owning agency's records."""
    if path.startswith("/api/v1/screening/"):
        kind = path.split("/")[4]
    elif path.startswith("/api/v1/"):
        kind = path.split("/")[3]
    elif path.startswith("/admin/") or path.startswith("/screening/"):
        kind = path.split("/")[2]
    elif "{resource}" in path:
        kind = "agreements"
        path = path.replace("{resource}", kind)
    else:
        kind = path.split("/")[1]
    record = ids.get(kind)
    url = re.sub(r"\{record_id(:int)?\}", str(record), path)
    return (
        url.replace("{envelope_id}", ids["envelope"])
        .replace("{thread_id}", ids["envelope"])
        .replace("{node_id}", "kr-busan-pd")
        .replace("{index:int}", "0")
        .replace("{uid}", ids["request"])
        .replace("{action}", "acknowledge")
        .replace("{index}", "0")
        .replace("{ref}", ids["case"])
        .replace("{item}", str(ids["evidence"]))
        .replace("{agency_id:int}", str(ids["busan"]))
        .replace("{agency_id}", str(ids["busan"]))
    )


HANDOVER = {  # a handover the API accepts in shape
    "persons": ["Kim"],
    "place": "Cửa khẩu Mộc Bài",
    "at": "2026-01-01T00:00:00Z",
    "handing_agency": "A",
    "receiving_agency": "B",
}
REQUEST = {  # a draft request for assistance the API accepts in shape
    "to": "kr-busan-pd",
    "kind": "locate",
    "title": "Kiểm tra",
    "summary": "Kiểm tra",
    "legal_basis": "MOU",
}
FORMS = {  # page forms by the route's last word: fields the form needs
    "status": {"status": "active"},
    "decision": {"decision": "rejected", "reason": "khác người"},
    "forward": {"to": YUNNAN},
    "permissions": {"grantee": YUNNAN},
    "send": {"to": YUNNAN},
    "messages": {"to": "kr-busan-pd", "subject": "Kiểm tra", "body": "Kiểm tra"},
    "cases": {"title": "Kiểm tra"},
    "links": {"kind": "person", "target": "1"},
    "evidence": {"kind": "file", "description": "Bi Mat", "holder": "Kho"},
    "custody": {"to_holder": "Kho B", "place": "Hà Nội", "reason": "giám định"},
    "transfer": {"officer": "hcmc_officer", "reason": "phân công"},
    "shares": {"max_handling": "H1"},  # no agency: the owner gets 422, others 404
    "remove": {},
    "handover": {
        "persons": "Kim",
        "place": "Cửa khẩu Mộc Bài",
        "at": "2026-01-01T00:00",
        "handing_agency": "A",
        "receiving_agency": "B",
    },
}


def _body(method: str, path: str, form: str) -> dict[str, Any]:
    """A request body the route accepts in shape, so that a refusal is the access rule's
    and not the body's."""
    if method == "GET":
        return {}
    if path.startswith("/api/"):
        if path.endswith("/import"):
            return {"content": b"name\n", "headers": {"Content-Type": "text/csv"}}
        if path.endswith("/forward"):
            return {"json": {"to": YUNNAN}}
        if path.endswith("/permissions"):
            return {"json": {"grantee": YUNNAN}}
        if path.endswith("/send"):
            return {"json": {"to": [YUNNAN]}}
        if path.endswith("/ack"):
            return {}
        if path.endswith("/hotline/messages"):
            return {"json": {"to": "kr-busan-pd", "subject": "Kiểm tra", "body": "Kiểm tra"}}
        if path == "/api/v1/requests":
            return {"json": REQUEST}
        if path == "/api/v1/cases":
            return {"json": {"title": "Kiểm tra"}}
        if path.endswith("/handover"):
            return {"json": HANDOVER}
        if path.endswith("/links"):
            return {"json": {"kind": "person", "target": "1"}}
        if path.endswith("/evidence"):
            return {
                "data": {"kind": "file", "description": "Bi Mat", "holder": "Kho"},
                "files": {"file": ("x.pdf", b"%PDF", "application/pdf")},
            }
        if path.endswith("/custody"):
            return {"json": {"to_holder": "Kho B", "place": "Hà Nội", "reason": "giám định"}}
        if path.endswith("/transfer"):
            return {"json": {"officer": "hcmc_officer", "reason": "phân công"}}
        if path.endswith("/shares"):
            return {"json": {"agency_id": 999_999, "max_handling": "H1"}}  # owner: 422
        if path.endswith("/extend"):
            return {"json": {"deadline": "answer", "due": "2099-01-01T00:00:00Z", "reason": "x"}}
        return {"json": {}}
    data = {"csrf_token": form, **FORMS.get(path.rsplit("/", 1)[1], {})}
    if path.endswith("/import"):
        return {"data": data, "files": {"file": ("x.csv", b"name\n", "text/csv")}}
    if path.endswith("/evidence"):
        return {"data": data, "files": {"file": ("x.pdf", b"%PDF", "application/pdf")}}
    return {"data": data}


def _denials(factory: sessionmaker[Session], agency: int | None = None) -> int:
    """Refusal rows (of the agency whose admins read them, if given)."""
    stmt = sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "denied")
    if agency is not None:
        stmt = stmt.where(AuditEvent.agency_id == agency)
    with factory() as s:
        return s.scalar(stmt) or 0


def _expected(rule: Rule, caller: Caller) -> str:
    allowed = (
        rule.who == USER
        or (rule.who == WRITER and caller.role in (Role.ADMIN, Role.OFFICER))
        or (rule.who == ADMIN and caller.role is Role.ADMIN)
    )
    if rule.owned and caller.agency != "hcmc":
        return "404" if allowed else "403|404"
    return "ok" if allowed else "403"


def test_every_route_is_in_the_matrix(app: Any) -> None:
    routes = {r for r in _routes(app) if r not in PUBLIC}
    assert routes - MATRIX.keys() == set(), "routes missing from the role x route matrix"
    assert MATRIX.keys() - routes == set(), "the matrix names routes the app no longer has"


def test_the_role_by_route_matrix(
    client: TestClient,
    app: Any,
    factory: sessionmaker[Session],
    owned: dict[str, Any],
    world: dict[str, Any],
) -> None:
    routes = [r for r in _routes(app) if r not in PUBLIC]
    checked: dict[str, int] = {}
    for caller in CALLERS:
        # the sign-out routes last, each with a fresh sign-in: they end what they are sent
        ordered = sorted(routes, key=lambda r: r in SIGN_OUT)
        for i, (method, path) in enumerate(ordered):
            if i == 0 or (method, path) in SIGN_OUT:
                client.cookies.clear()
                api = token(client, caller.username)
                login(client, caller.username)
                form = csrf(client, "/")
            url = _fill(method, path, owned)
            body = _body(method, path, form)
            headers = {**(api if path.startswith("/api/") else {}), **body.pop("headers", {})}
            before = _denials(factory, world[caller.agency])
            r = client.request(method, url, headers=headers, follow_redirects=False, **body)
            where = f"{caller.username} {method} {url}: {r.status_code} {r.text[:200]}"
            expected = _expected(MATRIX[(method, path)], caller)
            checked[expected] = checked.get(expected, 0) + 1
            if expected == "ok":
                assert r.status_code not in (401, 403, 404) and r.status_code < 500, where
                if method == "GET":
                    assert r.status_code == 200, where
                if caller.agency != "hcmc":
                    assert not any(s in r.text for s in SECRETS), where
            else:
                assert str(r.status_code) in expected.split("|"), where
                # one row, that the caller's own admins read
                assert _denials(factory, world[caller.agency]) == before + 1, where
    # the matrix was exercised on both sides of every rule
    assert min(checked.values()) > 10, checked


def test_a_hidden_record_reads_as_missing_even_in_the_probers_audit_log(
    client: TestClient, factory: sessionmaker[Session], owned: dict[str, Any], world: dict[str, Any]
) -> None:
    """Huế's officer asks for HCMC's private person and for a person that does not exist:
    both 404, and Huế's own rows of the two refusals differ in nothing but the id; HCMC's
    admins get a row of the attempt on their record."""
    hue = token(client, "hue_officer")
    hidden = client.get(f"/api/v1/people/{owned['people']}", headers=hue)
    missing = client.get("/api/v1/people/999999", headers=hue)
    assert (hidden.status_code, missing.status_code) == (404, 404)
    with factory() as s:
        user = s.scalars(sa.select(User).where(User.username == "hue_officer")).one()
        rows = list(
            s.scalars(
                sa.select(AuditEvent)
                .where(AuditEvent.action == "access.denied", AuditEvent.username == "hue_officer")
                .order_by(AuditEvent.seq)
            )
        )
    mine = [e for e in rows if e.agency_id == world["hue"]]
    theirs = [e for e in rows if e.agency_id == world["hcmc"]]
    assert [(e.object_type, e.object_id, e.user_id) for e in mine] == [
        ("person", owned["people"], user.id),
        ("person", 999999, user.id),
    ]
    assert [e.detail for e in mine] == [
        {"method": "GET", "path": f"/api/v1/people/{n}", "status": 404}
        for n in (owned["people"], 999999)
    ]
    (attempt,) = theirs
    assert attempt.object_id == owned["people"] and attempt.user_id is None
    assert attempt.detail == {
        "method": "GET",
        "path": f"/api/v1/people/{owned['people']}",
        "status": 404,
        "hidden": True,
        "by_agency": world["hue"],
        "by_user": user.id,
    }


def test_anonymous_refusals_are_audited(client: TestClient, factory: sessionmaker[Session]) -> None:
    before = _denials(factory)
    assert client.get("/api/v1/people").status_code == 401
    assert client.get("/people", follow_redirects=False).status_code == 303
    assert _denials(factory) == before + 2
