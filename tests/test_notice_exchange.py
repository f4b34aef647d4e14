"""Wanted notices between two nodes in one process (each envelope through `inbox.receive`
and `outbox.settle`; the sender's producer run as its round runs it). Hanoi sends a
notice to Beijing; Beijing holds a read-only copy that its screenings find; every later
change, by any path, reaches Beijing, and a withdrawn or executed notice closes the
pending hits there. A late or repeated version, a bad body, a partner not allowed to
send notices change nothing."""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hoptac.auth.principal import Principal
from hoptac.db.engine import transaction
from hoptac.db.models import (
    AssistanceRequest,
    AuditEvent,
    EnvelopeRow,
    Notice,
    NoticeShare,
    ScreeningHit,
)
from hoptac.errors import Forbidden, InvalidInput
from hoptac.exchange import identity, outbox, peering
from hoptac.registry import service as svc
from hoptac.screening import exchange, jobs
from hoptac.screening import schemas as s
from hoptac.screening import service as screening
from hoptac.types import RegisterKind, Role
from tests.helpers.assistance import deliver, person, settle_all
from tests.helpers.exchange import Node, two_nodes

KINDS = ["message", "request", "notice"]
WANG = {
    "ref": "HN-TN-2026-017",
    "name": "王健",
    "alt_names": ["Wang Jian"],
    "birth": "1985-03-07",
    "sex": "M",
    "nationality": "CN",
    "document_number": "E12345678",
    "issuing_agency": "Công an thành phố Hà Nội",
    "charges": "Lừa đảo chiếm đoạt tài sản",
}


@pytest.fixture
def nodes(backend: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    """Hanoi (backend under test) and Beijing (SQLite), notices allowed both ways."""
    with two_nodes(backend, tmp_path) as (a, b):
        for x, y in ((a, b), (b, a)):
            with transaction(x.factory) as ss:
                peering.add_peer(ss, y.card(), send_kinds=KINDS, receive_kinds=KINDS)
        yield a, b


def new_notice(node: Node, **changes: Any) -> int:
    with transaction(node.factory) as ss:
        data = s.NoticeIn.model_validate({**WANG, **changes})
        return svc.create_record(ss, person(node), screening.NOTICES, data).id


def send(a: Node, b: Node, notice_id: int, **kwargs: Any) -> list[NoticeShare]:
    with transaction(a.factory) as ss:
        shares = exchange.send(ss, a.keys, person(a), notice_id, [b.node_id], **kwargs)
        ss.expunge_all()
        return shares


def produce(node: Node) -> int:
    """The sender's round: its producers queue what changed."""
    with transaction(node.factory) as ss:
        return outbox.produce(ss, node.keys)


def copy_of(node: Node, uid: str) -> Notice | None:
    with node.factory() as ss:
        notice = ss.scalar(sa.select(Notice).where(Notice.uid == uid))
        if notice is not None:
            ss.expunge(notice)
        return notice


def uid_of(node: Node, notice_id: int) -> str:
    with node.factory() as ss:
        notice = ss.get(Notice, notice_id)
        assert notice is not None
        return notice.uid


def set_status(node: Node, notice_id: int, status: str) -> None:
    with transaction(node.factory) as ss:
        screening.set_notice_status(ss, person(node), notice_id, status)


def test_a_notice_sent_to_a_partner_is_its_read_only_copy_there(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    notice_id = new_notice(a)
    shares = send(a, b, notice_id, handling="H1")
    assert [sh.peer_id for sh in shares] and shares[0].sent_version == 1
    received = deliver(a, b)
    assert len(received.receipts) == 1 and not received.rejected
    uid = uid_of(a, notice_id)
    held = copy_of(b, uid)
    assert held is not None
    with b.factory() as ss:
        beijing = identity.this_node(ss).agency_id
        hanoi_peer = peering.peer_by_node(ss, a.node_id).id
    assert held.owner_agency_id == beijing and held.origin_peer_id == hanoi_peer
    assert held.ref == f"{a.node_id}/{WANG['ref']}" and held.status.value == "active"
    assert (held.name, held.alt_names, held.document_number) == ("王健", ["Wang Jian"], "E12345678")
    assert held.origin_version == 1
    # read-only there: neither an officer nor an admin of Beijing changes it
    for role in (Role.OFFICER, Role.ADMIN):
        with transaction(b.factory) as ss, pytest.raises(Forbidden, match="issuer"):
            screening.set_notice_status(ss, person(b, role), held.id, "withdrawn")
    with transaction(b.factory) as ss, pytest.raises(Forbidden):
        exchange.send(ss, b.keys, person(b), held.id, [a.node_id])
    assert copy_of(b, uid).status.value == "active"  # type: ignore[union-attr]
    with b.factory() as ss:  # the receipt is audited, naming the partner
        row = ss.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "screening.notice_received")
        )
        assert row is not None and row.detail["from"] == a.node_id
    # sending it again changes nothing: one copy, no second envelope
    send(a, b, notice_id)
    assert produce(a) == 0 and not deliver(a, b).receipts
    # ... unless under another handling code: then again, under that code
    shares = send(a, b, notice_id, handling="H2")
    assert [sh.handling for sh in shares] == ["H2"]
    with a.factory() as ss:
        queued = ss.scalars(
            sa.select(EnvelopeRow.handling).where(
                EnvelopeRow.kind == "notice", EnvelopeRow.status == "queued"
            )
        ).all()
    assert queued == ["H2"]
    assert len(deliver(a, b).receipts) == 1


def test_every_later_change_by_any_path_reaches_the_partner_and_closes_its_pending_hits(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    notice_id = new_notice(a)
    send(a, b, notice_id)
    settle_all(a, b)
    uid = uid_of(a, notice_id)
    # Beijing screens a hotel register: its copy of the notice is among what it screens
    with transaction(b.factory) as ss:
        register = svc.create_record(
            ss,
            person(b),
            screening.REGISTERS,
            s.RegisterIn(name="Khách sạn Triều Dương", kind=RegisterKind.HOTEL),
        )
        csv = (
            "record_id,name,birth_date,sex,nationality,document_number,source,seen_at\n"
            "BJ-1,Wang Jian,1985-03-07,M,CN,E12345678,hotel,2026-11-30\n"
        )
    with b.factory() as ss:  # an import commits batch by batch
        screening.import_records(ss, person(b), register.id, io.StringIO(csv))
    with transaction(b.factory) as ss:
        job = jobs.start(ss, person(b), register.id)
    jobs.run(b.factory, job.id)
    held = copy_of(b, uid)
    assert held is not None
    with b.factory() as ss:
        statuses = ss.scalars(
            sa.select(ScreeningHit.status).where(ScreeningHit.notice_id == held.id)
        ).all()
    assert statuses == ["pending"]
    # an edit through the form's path: the new charges follow by themselves
    with transaction(a.factory) as ss:
        svc.update_record(ss, person(a), screening.NOTICES, notice_id, {"charges": "Buôn lậu"})
    assert produce(a) == 1
    settle_all(a, b)
    assert copy_of(b, uid).charges == "Buôn lậu"  # type: ignore[union-attr]
    # an unchanged re-import moves the version but sends nothing
    csv = (
        "notice_id,name,alt_names,birth_date,sex,nationality,document_number,issuing_agency,"
        "charges\n"
        "HN-TN-2026-017,王健,Wang Jian,1985-03-07,M,CN,E12345678,Công an thành phố Hà Nội,"
        "Buôn lậu\n"
    )
    with a.factory() as ss:
        report = screening.import_notices(ss, person(a), io.StringIO(csv))
    assert report.updated == 1
    assert produce(a) == 0
    # the status, set by a handover or an officer: executed there, its hit closed
    set_status(a, notice_id, "executed")
    assert produce(a) == 1
    settle_all(a, b)
    held = copy_of(b, uid)
    assert held is not None and held.status.value == "executed"
    with b.factory() as ss:
        hit = ss.scalar(sa.select(ScreeningHit).where(ScreeningHit.notice_id == held.id))
        assert hit is not None and hit.status == "closed"
        assert hit.decision_reason == "notice executed"


def test_a_late_or_repeated_version_changes_nothing(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    notice_id = new_notice(a)
    send(a, b, notice_id)
    settle_all(a, b)
    with a.factory() as ss:
        first = exchange.wire_notice(ss.get(Notice, notice_id))  # type: ignore[arg-type]
    set_status(a, notice_id, "withdrawn")
    produce(a)
    settle_all(a, b)
    uid = uid_of(a, notice_id)
    assert copy_of(b, uid).status.value == "withdrawn"  # type: ignore[union-attr]
    # version 1 again, in a new envelope (a retry after a restart, out of order)
    with transaction(a.factory) as ss:
        peer = peering.peer_by_node(ss, b.node_id)
        outbox.enqueue(ss, a.keys, peer, "notice", copy.deepcopy(first))
    received = deliver(a, b)
    assert received.receipts and not received.rejected  # acknowledged, and ignored
    held = copy_of(b, uid)
    assert held is not None and held.status.value == "withdrawn" and held.origin_version == 2


@pytest.mark.parametrize(
    "change, code",
    [
        (lambda body: body.update(version=0), "bad_payload"),
        (lambda body: body.update(notice="not-a-ulid"), "bad_payload"),
        (lambda body: body["data"].update(name=""), "bad_payload"),
        (lambda body: body["data"].update(status="arrested"), "bad_payload"),
        (lambda body: body["data"].update(birth="1985-02-30"), "bad_payload"),
        (lambda body: body["data"].update(extra="x"), "bad_payload"),
        (lambda body: body.pop("data"), "bad_payload"),
    ],
)
def test_a_bad_notice_is_refused_and_nothing_is_stored(
    nodes: tuple[Node, Node], change: Any, code: str
) -> None:
    a, b = nodes
    notice_id = new_notice(a)
    with a.factory() as ss:
        body = exchange.wire_notice(ss.get(Notice, notice_id))  # type: ignore[arg-type]
    change(body)
    with transaction(a.factory) as ss:
        outbox.enqueue(ss, a.keys, peering.peer_by_node(ss, b.node_id), "notice", body)
    received = deliver(a, b)
    assert not received.receipts and [r["code"] for r in received.rejected] == [code]
    with b.factory() as ss:
        assert ss.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0


def test_a_partner_whose_agreement_has_no_notices_cannot_send_one(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    with transaction(b.factory) as ss:  # Beijing takes messages only from Hanoi now
        peering.add_peer(ss, a.card(), send_kinds=["message"], receive_kinds=["message"])
    notice_id = new_notice(a)
    send(a, b, notice_id)
    received = deliver(a, b)
    assert [r["code"] for r in received.rejected] == ["kind_not_allowed"]
    with b.factory() as ss:
        assert ss.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0
    # and Hanoi is told up front when it may not send notices to a partner
    with transaction(a.factory) as ss:
        peering.add_peer(ss, b.card(), send_kinds=["message"], receive_kinds=KINDS)
    other = new_notice(a, ref="HN-TN-2026-018")
    with transaction(a.factory) as ss, pytest.raises(InvalidInput) as refused:
        exchange.send(ss, a.keys, person(a), other, [b.node_id])
    assert refused.value.errors[0].field == "to"


def test_only_the_owning_agency_sends_its_notice_and_with_a_handling_code(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    notice_id = new_notice(a)
    with a.factory() as ss:
        agency = identity.this_node(ss).agency_id
    viewer = Principal(None, "viewer@hanoi", agency, Role.VIEWER)
    with transaction(a.factory) as ss, pytest.raises(Forbidden):
        exchange.send(ss, a.keys, viewer, notice_id, [b.node_id])
    with transaction(a.factory) as ss, pytest.raises(InvalidInput) as bad:
        exchange.send(ss, a.keys, person(a), notice_id, [b.node_id], handling="H3")
    assert bad.value.errors[0].field == "handling_note"
    with transaction(a.factory) as ss, pytest.raises(InvalidInput) as nobody:
        exchange.send(ss, a.keys, person(a), notice_id, ["xx-nowhere"])
    assert nobody.value.errors[0].field == "to"
    with a.factory() as ss:
        assert ss.scalar(sa.select(sa.func.count()).select_from(NoticeShare)) == 0
    with b.factory() as ss:
        assert ss.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0


def test_a_request_names_a_notice_both_nodes_hold_and_the_handover_executes_it_on_both(
    nodes: tuple[Node, Node],
) -> None:
    from hoptac.assistance import service as assistance
    from tests.helpers.assistance import DRAFT, state, step

    a, b = nodes
    shared = new_notice(a)
    private = new_notice(a, ref="HN-TN-2026-099", name="李明", alt_names=["Li Ming"])
    send(a, b, shared)
    settle_all(a, b)
    persons = [
        {"name": "Vương Kiện", "nationality": "CN", "notice_id": shared},
        {"name": "Lý Minh", "nationality": "CN", "notice_id": private},
    ]
    with transaction(a.factory) as ss:
        draft = {**DRAFT, "kind": "surrender", "persons": persons, "to": b.node_id}
        uid = assistance.create_draft(ss, person(a), draft).uid
    admin = person(a, Role.ADMIN, "chief")
    assert step(a, uid, "submit") == "awaiting_validation"
    assert step(a, uid, "validate", admin) == "sent"
    settle_all(a, b)
    held = copy_of(b, uid_of(a, shared))
    assert held is not None
    with b.factory() as ss:
        row = ss.scalar(sa.select(AssistanceRequest).where(AssistanceRequest.uid == uid))
        assert row is not None
        # the notice Beijing holds is linked; the one never sent to it is not even named
        assert row.persons[0].get("notice_id") == held.id
        assert "notice_id" not in row.persons[1] and "notice" not in row.persons[1]
    for action in ("acknowledge", "accept", "start"):
        step(b, uid, action)
    with transaction(b.factory) as ss:
        assistance.record_handover(
            ss,
            b.keys,
            person(b),
            uid,
            {
                "persons": ["Vương Kiện"],
                "place": "Cửa khẩu quốc tế Móng Cái",
                "at": "2026-12-01T09:30:00+07:00",
                "handing_agency": "Công an Bắc Kinh",
                "receiving_agency": "Công an thành phố Hà Nội",
            },
        )
    settle_all(a, b)
    assert state(a, uid) == state(b, uid) == "answered"
    with a.factory() as ss:
        assert ss.get(Notice, shared).status.value == "executed"  # type: ignore[union-attr]
        assert ss.get(Notice, private).status.value == "active"  # type: ignore[union-attr]
    produce(a)  # the sender's round
    settle_all(a, b)
    assert copy_of(b, uid_of(a, shared)).status.value == "executed"  # type: ignore[union-attr]
