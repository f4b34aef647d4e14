"""The hotline in the browser and over the API: compose, read (marks read, tells the
partner), acknowledge, forward (H2 needs the provider's leave), permit, download; viewers
get 403 and other agencies 404 everywhere."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hoptac.db.models import AuditEvent, EnvelopeRow
from hoptac.exchange import hotline
from hoptac.exchange.keys import b64
from hoptac.settings import Settings
from tests.conftest import csrf, login, token
from tests.helpers.hotline import BUSAN, YUNNAN, Net, receive
from tests.helpers.routes import routes as _routes


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The node's home (its keys) in a temporary directory; no background sender."""
    return Settings(home=tmp_path / "node", database_url=database_url, exchange_sender=False)


def _out(session: Session, kind: str = "message") -> list[EnvelopeRow]:
    session.expire_all()
    return list(
        session.scalars(
            sa.select(EnvelopeRow)
            .where(EnvelopeRow.direction == "out", EnvelopeRow.kind == kind)
            .order_by(EnvelopeRow.seq)
        )
    )


def _row(session: Session, envelope_id: str) -> EnvelopeRow:
    session.expire_all()
    row = session.scalar(sa.select(EnvelopeRow).where(EnvelopeRow.envelope_id == envelope_id))
    assert row is not None
    return row


def _audits(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def _compose(client: TestClient, **fields: str) -> Any:
    data = {
        "csrf_token": csrf(client, "/hotline"),
        "to": BUSAN,
        "subject": "Đề nghị xác minh",
        "body": "Đề nghị xác minh hộ chiếu M1234567.",
        "priority": "routine",
        "handling": "H0",
        "handling_note": "",
        "reliability": "B",
        "accuracy": "2",
        **fields,
    }
    return client.post("/hotline/messages", data=data, follow_redirects=False)


def _thread_of(client: TestClient, envelope_id: str, session: Session) -> str:
    return _row(session, envelope_id).thread_id or envelope_id


# ---- pages ---------------------------------------------------------------------------


def test_compose_queues_a_sealed_envelope(client: TestClient, net: Net, session: Session) -> None:
    login(client, "hcmc_officer")
    home = client.get("/hotline").text
    assert "Sở Cảnh sát Busan" in home and "Công an tỉnh Vân Nam" in home
    assert "Tối đa 512 KiB tổng cộng" in home and 'enctype="multipart/form-data"' in home
    assert "Chỉ sử dụng cho mục đích phòng, chống tội phạm" in home  # the H0 legend
    pdf = b"%PDF-1.4 passport scan"
    r = client.post(
        "/hotline/messages",
        data={
            "csrf_token": csrf(client, "/hotline"),
            "to": BUSAN,
            "subject": "Đề nghị xác minh",
            "body": "Đề nghị xác minh hộ chiếu M1234567.",
            "priority": "urgent",
            "handling": "H2",
            "reliability": "A",
            "accuracy": "1",
        },
        files={"attachments": ("ho-chieu.pdf", pdf, "application/pdf")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    (row,) = _out(session)
    assert (row.status, row.priority, row.handling, row.reliability, row.accuracy) == (
        "queued",
        "urgent",
        "H2",
        "A",
        1,
    )
    assert b"M1234567" not in row.wire and b"M1234567" not in row.sealed  # sealed
    assert r.headers["location"] == f"/hotline/threads/{row.thread_id}?sent=1"
    page = client.get(r.headers["location"]).text
    assert "Đề nghị xác minh hộ chiếu M1234567." in page
    assert "Đang chờ gửi" in page and "ho-chieu.pdf" in page
    assert hashlib.sha256(pdf).hexdigest() in page
    assert "Cho phép chuyển tiếp" in page  # our own H2 message: the grant form
    assert 'title="H2: Không được cung cấp cho bên khác' in page  # the code's tooltip


def test_compose_errors_are_shown_on_their_fields_and_nothing_is_queued(
    client: TestClient, net: Net, session: Session
) -> None:
    login(client, "hcmc_officer")
    r = _compose(client, handling="H3", subject="")
    assert r.status_code == 422
    assert "H3: hãy ghi rõ các hạn chế" in r.text and "Từ 1 đến 200 ký tự" in r.text
    assert "Đề nghị xác minh hộ chiếu M1234567." in r.text  # what was typed is kept
    r = _compose(client, to="")
    assert r.status_code == 422 and "Hãy chọn đối tác" in r.text
    r = client.post(
        "/hotline/messages",
        data={"csrf_token": csrf(client, "/hotline"), "to": BUSAN, "subject": "x", "body": "y"},
        files={"attachments": ("big.bin", b"\0" * (hotline.MAX_ATTACHMENTS_BYTES + 1))},
    )
    assert r.status_code == 422 and "Tổng cộng tối đa 512 KiB" in r.text
    r = _compose(client, csrf_token="forged")
    assert r.status_code == 403
    assert _out(session) == []


def test_opening_a_thread_shows_the_text_marks_it_read_and_tells_the_partner(
    client: TestClient, net: Net, session: Session
) -> None:
    envelope_id = receive(session, net)
    login(client, "hcmc_officer")
    assert "1 chưa đọc" in client.get("/hotline").text
    peer_page = client.get(f"/hotline/peers/{BUSAN}").text
    assert "Đối tượng Kim nhập cảnh" in peer_page
    assert "Kim Min-jun" not in peer_page  # the list shows subjects only
    assert _row(session, envelope_id).read_at is None
    page = client.get(f"/hotline/threads/{envelope_id}")
    assert page.status_code == 200
    assert "Kim Min-jun nhập cảnh qua Tân Sơn Nhất chiều nay." in page.text
    assert "kim.inspector" in page.text and "từ Sở Cảnh sát Busan" in page.text
    assert _row(session, envelope_id).read_at is not None
    (status,) = _out(session, "status")
    assert status.status == "queued"
    assert [a.detail["thread"] for a in _audits(session, "hotline.read")] == [envelope_id]
    assert "chưa đọc" not in client.get("/hotline").text
    # a reply from the thread's form goes into the same thread
    r = client.post(
        "/hotline/messages",
        data={
            "csrf_token": csrf(client, "/hotline"),
            "to": BUSAN,
            "in_reply_to": envelope_id,
            "subject": "Re: Đối tượng Kim nhập cảnh",
            "body": "Đã nhận, đang xác minh.",
            "priority": "routine",
            "handling": "H0",
            "reliability": "B",
            "accuracy": "2",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith(
        f"/hotline/threads/{envelope_id}"
    )
    (reply,) = _out(session)
    assert (reply.thread_id, reply.in_reply_to) == (envelope_id, envelope_id)


def test_an_urgent_message_stays_highlighted_until_acknowledged(
    client: TestClient, net: Net, session: Session
) -> None:
    envelope_id = receive(session, net, subject="Truy bắt khẩn", priority="flash")
    login(client, "hcmc_officer")
    dashboard = client.get("/").text
    assert "Đường dây nóng: tin chưa đọc" in dashboard
    assert "1 khẩn, chưa xác nhận đã nắm" in dashboard
    assert "khẩn, chưa xác nhận đã nắm" in client.get("/hotline").text
    assert 'class="needs-ack"' in client.get(f"/hotline/peers/{BUSAN}").text
    page = client.get(f"/hotline/threads/{envelope_id}").text
    assert "needs-ack" in page and f'action="/hotline/messages/{envelope_id}/ack"' in page
    assert "Đã nắm</button>" in page
    r = client.post(
        f"/hotline/messages/{envelope_id}/ack",
        data={"csrf_token": csrf(client, "/hotline")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/hotline/threads/{envelope_id}#m-{envelope_id}"
    page = client.get(f"/hotline/threads/{envelope_id}").text
    assert "needs-ack" not in page and "Đã xác nhận nắm tin" in page
    assert "khẩn, chưa xác nhận" not in client.get("/hotline").text
    assert "khẩn, chưa xác nhận" not in client.get("/").text
    assert _row(session, envelope_id).acknowledged_at is not None
    assert len(_audits(session, "hotline.acknowledged")) == 1


def test_forwarding_h2_needs_the_providers_permission(
    client: TestClient, net: Net, session: Session
) -> None:
    envelope_id = receive(session, net, subject="Tin H2", handling="H2")
    login(client, "hcmc_officer")
    page = client.get(f"/hotline/threads/{envelope_id}").text
    assert "H2: chỉ chuyển cho đối tác mà bên cung cấp đã cho phép." in page
    assert "Cho phép chuyển tiếp" not in page  # a received message: not ours to permit
    r = client.post(
        f"/hotline/messages/{envelope_id}/forward",
        data={"csrf_token": csrf(client, "/hotline"), "to": YUNNAN, "note": "Để phối hợp"},
    )
    assert r.status_code == 403
    assert 'role="alert"' in r.text
    assert "H2: Sở Cảnh sát Busan chưa cho phép chuyển tin này cho Công an tỉnh Vân Nam" in r.text
    (denied,) = _audits(session, "hotline.forward_denied")
    assert denied.outcome == "denied" and denied.detail["to"] == YUNNAN
    assert _out(session) == []
    # Busan permits it: the forward goes out as a new thread quoting the message
    receive(session, net, kind="permission", body={"of": envelope_id, "grantee": YUNNAN})
    r = client.post(
        f"/hotline/messages/{envelope_id}/forward",
        data={"csrf_token": csrf(client, "/hotline"), "to": YUNNAN, "note": "Để phối hợp"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    (sent,) = _out(session)
    assert sent.peer.node_id == YUNNAN and sent.handling == "H2"


def test_the_provider_grants_permission_for_its_own_h2_message(
    client: TestClient, net: Net, session: Session
) -> None:
    login(client, "hcmc_officer")
    assert _compose(client, handling="H2").status_code == 303
    (message,) = _out(session)
    r = client.post(
        f"/hotline/messages/{message.envelope_id}/permissions",
        data={"csrf_token": csrf(client, "/hotline"), "grantee": YUNNAN},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "granted=1" in r.headers["location"]
    (permission,) = _out(session, "permission")
    assert permission.peer.node_id == BUSAN and permission.status == "queued"
    r = client.post(
        f"/hotline/messages/{message.envelope_id}/permissions",
        data={"csrf_token": csrf(client, "/hotline"), "grantee": "Not A Node!"},
    )
    assert r.status_code == 422 and "Bên được phép là mã máy chủ đối tác" in r.text


def test_attachments_download_with_their_bytes_and_an_audit_row(
    client: TestClient, net: Net, session: Session
) -> None:
    data = b"%PDF-1.4 arrest warrant"
    envelope_id = receive(session, net, attachments=[("lệnh bắt.pdf", data)])
    login(client, "hcmc_officer")
    page = client.get(f"/hotline/threads/{envelope_id}").text
    link = f"/hotline/messages/{envelope_id}/attachments/0"
    assert link in page and "lệnh bắt.pdf" in page and hashlib.sha256(data).hexdigest() in page
    r = client.get(link)
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["content-type"] == "application/octet-stream"
    (audit,) = [a for a in _audits(session, "hotline.read") if a.object_type == "attachment"]
    assert audit.detail["sha256"] == hashlib.sha256(data).hexdigest()
    assert client.get(f"/hotline/messages/{envelope_id}/attachments/1").status_code == 404


def test_the_dashboard_counts_unread_messages_for_the_hotlines_agency_only(
    client: TestClient, net: Net, session: Session
) -> None:
    receive(session, net)
    receive(session, net, subject="Tin thứ hai")
    login(client, "hcmc_officer")
    dashboard = client.get("/").text
    assert re.search(r"<b>2</b>Đường dây nóng: tin chưa đọc", dashboard)
    assert 'href="/hotline"' in dashboard
    login(client, "hue_officer")
    assert "Đường dây nóng: tin chưa đọc" not in client.get("/").text
    login(client, "hcmc_viewer")
    page = client.get("/").text
    assert "Đường dây nóng: tin chưa đọc" not in page and 'href="/hotline"' not in page


def test_without_a_node_identity_the_pages_say_to_run_init(
    client: TestClient, world: dict[str, Any]
) -> None:
    login(client, "hcmc_officer")
    r = client.get("/hotline")
    assert r.status_code == 200 and "hoptac init" in r.text  # a page that explains
    assert "chưa có định danh trao đổi" in r.text
    assert "hoptac init" in client.get(f"/hotline/peers/{BUSAN}").text
    assert "hoptac init" in client.get("/hotline/threads/01ABC").text
    assert "Đường dây nóng: tin chưa đọc" not in client.get("/").text
    r = client.get("/api/v1/hotline/peers", headers=token(client, "hcmc_officer"))
    assert r.status_code == 404 and "hoptac init" in r.json()["detail"]


# ---- who may use it ----------------------------------------------------------------------


def _hotline_requests(app: Any, envelope_id: str, thread_id: str) -> list[tuple[str, str]]:
    routes = [(m, p) for m, p in _routes(app) if p.startswith(("/hotline", "/api/v1/hotline"))]
    assert len(routes) >= 15, routes
    return [
        (
            m,
            p.replace("{node_id}", BUSAN)
            .replace("{thread_id}", thread_id)
            .replace("{envelope_id}", envelope_id)
            .replace("{index:int}", "0"),
        )
        for m, p in routes
    ]


API_BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/hotline/messages": {"to": BUSAN, "subject": "x", "body": "y"},
    "forward": {"to": YUNNAN},
    "permissions": {"grantee": YUNNAN},
    "ack": {},
}
PAGE_FORMS: dict[str, dict[str, str]] = {
    "/hotline/messages": {"to": BUSAN, "subject": "x", "body": "y", "accuracy": "2"},
    "forward": {"to": YUNNAN},
    "permissions": {"grantee": YUNNAN},
    "ack": {},
}


def _body(table: dict[str, Any], path: str) -> Any:
    return table.get(path) or table[path.rsplit("/", 1)[1]]


@pytest.mark.parametrize(("username", "status"), [("hue_officer", 404), ("hcmc_viewer", 403)])
def test_viewers_get_403_and_other_agencies_404_everywhere(
    client: TestClient, app: Any, net: Net, session: Session, username: str, status: int
) -> None:
    envelope_id = receive(session, net, priority="urgent", attachments=[("a.pdf", b"%PDF")])
    headers = token(client, username)
    login(client, username)
    form_token = csrf(client, "/")
    for method, url in _hotline_requests(app, envelope_id, envelope_id):
        if url.startswith("/api/"):
            body = _body(API_BODIES, url) if method == "POST" else None
            r = client.request(method, url, json=body, headers=headers)
            assert r.status_code == status, (method, url, r.status_code, r.text)
            assert r.headers["content-type"] == "application/problem+json"
        else:
            data = (
                {"csrf_token": form_token, **_body(PAGE_FORMS, url)} if method == "POST" else None
            )
            r = client.request(method, url, data=data)
            assert r.status_code == status, (method, url, r.status_code)
            assert "Kim Min-jun" not in r.text and "kim.inspector" not in r.text
    session.expire_all()
    assert _row(session, envelope_id).read_at is None
    assert _row(session, envelope_id).acknowledged_at is None
    assert _out(session) == [] and _out(session, "status") == []


# ---- API ---------------------------------------------------------------------------------


def test_api_round_trip(client: TestClient, net: Net, session: Session) -> None:
    h = token(client, "hcmc_officer")
    peers = client.get("/api/v1/hotline/peers", headers=h).json()["items"]
    assert [p["node_id"] for p in peers] == [YUNNAN, BUSAN]  # by name
    data = b"photo bytes"
    r = client.post(
        "/api/v1/hotline/messages",
        json={
            "to": BUSAN,
            "subject": "Ảnh đối tượng",
            "body": "Gửi ảnh đối tượng Kim.",
            "priority": "urgent",
            "handling": "H1",
            "reliability": "A",
            "accuracy": 1,
            "attachments": [{"name": "kim.jpg", "type": "image/jpeg", "data": b64(data)}],
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["status"] == "queued" and sent["thread"] == sent["id"]
    incoming = receive(session, net, subject="Tin khẩn", priority="urgent", handling="H2")
    page = client.get("/api/v1/hotline/messages", params={"peer": BUSAN}, headers=h).json()
    assert (page["total"], page["limit"], page["offset"]) == (2, 100, 0)
    listed = page["items"]
    assert [m["id"] for m in listed] == [incoming, sent["id"]]  # newest first
    assert listed[0]["status"] == "new" and listed[0]["needs_ack"] is True
    assert listed[1]["subject"] == "Ảnh đối tượng" and "text" not in listed[1]
    peers = client.get("/api/v1/hotline/peers", headers=h).json()["items"]
    assert [(p["unread"], p["urgent"]) for p in peers if p["node_id"] == BUSAN] == [(1, 1)]
    mine = client.get(f"/api/v1/hotline/messages/{sent['id']}", headers=h).json()
    assert mine["text"] == "Gửi ảnh đối tượng Kim." and mine["author"] == "hcmc_officer"
    assert mine["attachments"] == [
        {
            "name": "kim.jpg",
            "type": "image/jpeg",
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    ]
    got = client.get(f"/api/v1/hotline/messages/{incoming}", headers=h).json()
    assert got["status"] == "read" and got["text"].startswith("Kim Min-jun")
    assert len(_out(session, "status")) == 1  # the partner is told
    r = client.post(f"/api/v1/hotline/messages/{incoming}/ack", headers=h)
    assert r.status_code == 200 and r.json() == {"id": incoming, "status": "acknowledged"}
    r = client.post(f"/api/v1/hotline/messages/{incoming}/forward", json={"to": YUNNAN}, headers=h)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    assert "has not permitted" in r.json()["detail"]
    assert len(_audits(session, "hotline.forward_denied")) == 1
    r = client.post(
        f"/api/v1/hotline/messages/{sent['id']}/permissions",
        json={"grantee": "export"},
        headers=h,
    )
    assert r.status_code == 201 and r.json()["status"] == "queued"
    assert len(_out(session)) == 1 and len(_out(session, "permission")) == 1


def test_api_refuses_bad_input_as_problem_details(
    client: TestClient, net: Net, session: Session
) -> None:
    h = token(client, "hcmc_officer")
    r = client.post(
        "/api/v1/hotline/messages",
        json={"to": BUSAN, "subject": "", "body": "x", "priority": "soon", "handling": "H3"},
        headers=h,
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    fields = {e["field"] for e in r.json()["errors"]}
    assert fields == {"subject", "priority", "handling_note"}
    r = client.post(
        "/api/v1/hotline/messages",
        json={
            "to": BUSAN,
            "subject": "x",
            "body": "y",
            "attachments": [{"name": "a", "data": "not base64!"}],
        },
        headers=h,
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "attachments.0.data", "message": "not base64"}]
    big = base64.b64encode(b"\0" * (hotline.MAX_ATTACHMENTS_BYTES + 1)).decode()
    r = client.post(
        "/api/v1/hotline/messages",
        json={
            "to": BUSAN,
            "subject": "x",
            "body": "y",
            "attachments": [{"name": "a", "data": big}],
        },
        headers=h,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "attachments"
    assert client.get("/api/v1/hotline/messages/NOPE", headers=h).status_code == 404
    assert _out(session) == []
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/hotline/messages/{envelope_id}/forward" in schema["paths"]
    assert schema["components"]["schemas"]["MessageIn"]["properties"]["priority"]["enum"] == [
        "routine",
        "urgent",
        "flash",
    ]


def test_no_message_text_lies_in_the_database_in_the_clear(
    client: TestClient, net: Net, session: Session, database_url: str
) -> None:
    """Subjects, texts and attachments of messages sent and received are sealed: the
    database's raw bytes (SQLite's file, every row of every table on PostgreSQL, bytea as
    hex) hold none of them, nor do the audit rows of their reading."""
    marker = "HOPTAC-PLAINTEXT-7Q2"
    login(client, "hcmc_officer")
    r = client.post(
        "/hotline/messages",
        data={
            "csrf_token": csrf(client, "/hotline"),
            "to": BUSAN,
            "subject": f"Đề nghị {marker}",
            "body": f"Nội dung {marker}",
            "priority": "routine",
            "handling": "H1",
            "reliability": "B",
            "accuracy": "2",
        },
        files={"attachments": ("a.txt", f"tệp {marker}".encode(), "text/plain")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    incoming = receive(session, net, subject=f"Tin {marker}", text=f"Văn bản {marker}")
    assert marker in client.get(f"/hotline/threads/{incoming}").text  # it reads back
    session.commit()
    needles = [marker.encode(), marker.encode().hex().encode()]
    if database_url.startswith("sqlite"):
        session.execute(sa.text("PRAGMA wal_checkpoint(TRUNCATE)"))
        path = Path(database_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert len(raw) > 10_000
    else:
        tables = session.scalars(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        ).all()
        assert "envelopes" in tables
        raw = b"".join(
            str(row).encode()
            for table in tables
            for row in session.scalars(sa.text(f'SELECT t::text FROM "{table}" t'))
        )
    for needle in needles:
        assert needle not in raw
