"""The audit log's page and export: admins only, their own agency's rows and the node's,
never another agency's; every reading and every refused attempt leaves a row."""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hoptac.auth import audit
from hoptac.types import Role
from tests.conftest import ACK, add_agency, add_user, audit_rows, login, post_login


def _two_agencies(factory: sessionmaker[Session], client: Any) -> None:
    with factory() as s, s.begin():
        hue = add_agency(s, "Công an tỉnh Thừa Thiên Huế")
        hcm = add_agency(s, "Công an TP. Hồ Chí Minh")
        add_user(s, "hue.admin", Role.ADMIN, hue)
        add_user(s, "hue.officer", Role.OFFICER, hue)
        add_user(s, "hcm.admin", Role.ADMIN, hcm)
    login(client, "hcm.admin")  # HCMC's login rows
    client.cookies.clear()
    post_login(client, {"username": "nobody", "password": "guess-1234", **ACK})  # node's


def _actions(factory: sessionmaker[Session], outcome: str) -> list[tuple[str | None, str]]:
    return [(r.username, r.action) for r in audit_rows(factory) if r.outcome == outcome]


def test_an_admin_reads_the_own_agency_and_the_node_but_not_another_agency(
    factory: sessionmaker[Session], client: Any
) -> None:
    _two_agencies(factory, client)
    login(client, "hue.admin")
    html = client.get("/admin/audit").text
    assert "hue.admin" in html and "auth.login" in html
    # a failed login under an unknown name is the node's: it may hold another agency's
    # mistyped names (or passwords typed in the wrong box)
    assert "nobody" not in html
    assert "hcm.admin" not in html
    post_login(client, {"username": "hue.officer", "password": "not it", **ACK})
    login(client, "hue.admin")
    denied = client.get("/admin/audit?outcome=denied").text
    assert "hue.officer" in denied and "hue.admin</td>" not in denied
    exported = client.get("/admin/audit.csv")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["username"] for r in rows} == {"hue.admin", "hue.officer"}
    assert [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)
    assert all(len(r["row_hash"]) == 64 for r in rows)
    viewed = [a for u, a in _actions(factory, "ok") if u == "hue.admin"]
    assert viewed.count(str(audit.Action.AUDIT_VIEWED)) == 3  # two pages and one export
    assert exported.headers["cache-control"] == "no-store"


def test_an_officer_is_refused_and_the_attempt_is_recorded(
    factory: sessionmaker[Session], client: Any
) -> None:
    _two_agencies(factory, client)
    login(client, "hue.officer")
    for path in ("/admin/audit", "/admin/audit.csv"):
        r = client.get(path)
        assert r.status_code == 403
        assert "auth.login" not in r.text
    assert _actions(factory, "denied").count(("hue.officer", "audit.viewed")) == 2
    assert "/admin/audit" not in client.get("/").text  # no menu entry either
