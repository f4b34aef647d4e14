"""Requests for assistance between two nodes in one process: each step travels as a
`request` envelope through `inbox.receive` and `outbox.settle` (the HTTP transport and
real processes are in test_assistance_nodes.py). Both nodes must end with the same
request, state and history; early steps are held, duplicates are no-ops, a step the
sender may not take is refused and recorded, and nothing changes then."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from hoptac import ulid
from hoptac.assistance import service
from hoptac.auth.principal import Principal
from hoptac.db.engine import transaction
from hoptac.db.models import AssistanceRequest, AuditEvent, HeldEvent, RequestEvent
from hoptac.errors import Conflict, Forbidden, InvalidInput, NotFound
from hoptac.exchange import identity, inbox, outbox, peering
from hoptac.types import Role
from tests.helpers.assistance import (
    KINDS,
    deliver,
    history,
    new_request,
    person,
    request_nodes,
    settle_all,
    state,
    step,
)
from tests.helpers.exchange import Node, two_nodes


@pytest.fixture
def nodes(backend: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with request_nodes(backend, tmp_path) as pair:
        yield pair


def test_a_verify_request_runs_to_its_end_and_both_nodes_agree(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    uid = new_request(a)
    assert step(a, uid, "send") == "sent"
    deliver(a, b)
    assert state(b, uid) == "delivered"  # the receiving node took `deliver` itself
    deliver(b, a)
    assert state(a, uid) == "delivered"
    assert step(b, uid, "acknowledge") == "acknowledged"
    assert step(b, uid, "request_info", question="Số hộ chiếu đầy đủ?") == "info_requested"
    settle_all(a, b)
    assert state(a, uid) == "info_requested"
    assert step(a, uid, "provide_info", text="E12345678, cấp 2019") == "acknowledged"
    settle_all(a, b)
    assert step(b, uid, "accept", partner_ref="BJ-2026-118") == "accepted"
    assert step(b, uid, "start") == "in_execution"
    answer = "Xác minh: đúng người, cư trú tại Triều Dương."
    assert step(b, uid, "answer", text=answer) == "answered"
    settle_all(a, b)
    assert step(a, uid, "close") == "closed"
    settle_all(a, b)
    assert state(a, uid) == state(b, uid) == "closed"
    assert history(a, uid) == history(b, uid)
    assert [h[2] for h in history(a, uid)] == [
        "send", "deliver", "acknowledge", "request_info", "provide_info", "accept", "start",
        "answer", "close",
    ]  # fmt: skip
    with a.factory() as s:
        row = s.scalar(sa.select(AssistanceRequest).where(AssistanceRequest.uid == uid))
        assert row is not None and row.partner_ref == "BJ-2026-118"
        assert row.received_at is not None and row.answered_at is not None
        assert row.answer_seconds == int((row.answered_at - row.received_at).total_seconds())
        assert row.quarter == row.received_at.year * 10 + (row.received_at.month - 1) // 3 + 1


def test_a_step_that_arrives_early_is_held_until_its_turn_and_a_duplicate_is_a_no_op(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    uid = new_request(a)
    step(a, uid, "send")
    settle_all(a, b)
    step(b, uid, "acknowledge")
    step(b, uid, "accept")
    # Beijing's two steps reach Hanoi in the wrong order (a restart, a retry)
    with b.factory() as s:
        peer = peering.peer_by_node(s, a.node_id)
        wires = [json.loads(r.wire) for r in outbox.next_batch(s, peer, 100, None)]
    assert len(wires) == 2
    with transaction(a.factory) as s:
        first = inbox.receive(s, a.keys, [wires[1]])
    assert first.receipts and not first.rejected  # acknowledged: held, not lost
    assert state(a, uid) == "delivered"
    with a.factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(HeldEvent)) == 1
    with transaction(a.factory) as s:
        inbox.receive(s, a.keys, [wires[0]])
    assert state(a, uid) == "accepted"
    with a.factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(HeldEvent)) == 0
        before = s.scalar(sa.select(sa.func.count()).select_from(RequestEvent))
    with transaction(a.factory) as s:  # both again: receipts, nothing new
        again = inbox.receive(s, a.keys, wires)
    assert len(again.receipts) == 2 and not again.rejected
    with a.factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(RequestEvent)) == before
    settle_all(a, b)
    assert history(a, uid) == history(b, uid)


def test_a_withdrawal_that_crosses_a_step_of_the_partner_ends_the_same_on_both_nodes(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    uid = new_request(a)
    step(a, uid, "send")
    settle_all(a, b)
    step(b, uid, "acknowledge")  # seq 3 at Beijing ...
    step(a, uid, "withdraw", reason="Đối tượng đã bị bắt tại Việt Nam")  # ... and at Hanoi
    settle_all(a, b)
    assert state(a, uid) == state(b, uid) == "withdrawn"
    assert history(a, uid) == history(b, uid)
    assert [h[2] for h in history(a, uid)][-2:] == ["acknowledge", "withdraw"]
    step(b, uid, "acknowledge_withdrawal")
    settle_all(a, b)
    assert state(a, uid) == state(b, uid) == "closed"
    assert history(a, uid) == history(b, uid)


def test_a_forged_step_is_refused_recorded_and_changes_nothing(
    nodes: tuple[Node, Node],
) -> None:
    """Beijing's node claims the requester's step `close` (its own side cannot): the
    inbox refuses it with a signed refusal, logs it, and the request stays as it was."""
    a, b = nodes
    uid = new_request(a)
    step(a, uid, "send")
    settle_all(a, b)
    step(b, uid, "acknowledge")
    settle_all(a, b)
    before = history(a, uid)
    forged = {
        "request": uid,
        "step": {
            "uid": ulid.new(),
            "seq": 4,
            "action": "accept",
            "side": "requesting",  # Beijing is the receiving side of this request
            "actor": "mallory@cn-beijing-psb",
            "role": "officer",
            "at": datetime.now(UTC).isoformat(),
            "details": {},
        },
    }
    with transaction(b.factory) as s:
        peer = peering.peer_by_node(s, a.node_id)
        outbox.enqueue(s, b.keys, peer, "request", forged)
    received = deliver(b, a)
    assert [r["code"] for r in received.rejected] == ["not_entitled"]
    assert state(a, uid) == "acknowledged" and history(a, uid) == before
    with a.factory() as s:
        logged = s.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "exchange.rejected")
        ).all()
        assert any("not_entitled" in (r.detail or {}).get("codes", []) for r in logged)


def test_a_coercive_request_needs_a_second_person_before_it_leaves(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    uid = new_request(a, kind="arrest", title="Bắt giữ Vương Kiện")
    with pytest.raises(Conflict, match="'draft'"):
        step(a, uid, "send")  # arrest is submitted, not sent
    officer = person(a, Role.OFFICER, "le")
    assert step(a, uid, "submit", officer) == "awaiting_validation"
    deliver(a, b)
    with b.factory() as s:  # nothing left the node
        assert s.scalar(sa.select(AssistanceRequest).where(AssistanceRequest.uid == uid)) is None
    with pytest.raises(Forbidden):
        step(a, uid, "validate", officer)  # an officer does not validate
    admin = person(a, Role.ADMIN, "le")  # the same person as an admin: still the submitter
    with pytest.raises(Forbidden, match="second person"):
        step(a, uid, "validate", admin)
    assert step(a, uid, "validate", person(a, Role.ADMIN, "tran")) == "sent"
    settle_all(a, b)
    assert state(b, uid) == "delivered"
    # the validation steps stay inside the requesting agency
    assert [h[2] for h in history(b, uid)] == ["validate", "deliver"]


def test_steps_are_refused_with_the_state_the_side_or_the_details_and_change_nothing(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    uid = new_request(a)
    with pytest.raises(Conflict, match="'draft'"):
        step(a, uid, "close")
    step(a, uid, "send")
    settle_all(a, b)
    with pytest.raises(Forbidden):
        step(a, uid, "acknowledge")  # the receiving side's step
    with pytest.raises(Forbidden):
        step(b, uid, "acknowledge", person(b, Role.VIEWER))
    step(b, uid, "acknowledge")
    with pytest.raises(InvalidInput) as exc:
        step(b, uid, "refuse")  # no reason code
    assert [e.field for e in exc.value.errors] == ["reason_code"]
    step(b, uid, "accept")
    step(b, uid, "start")
    with pytest.raises(InvalidInput) as exc:
        step(b, uid, "postpone", reason="Chờ kết quả giám định", new_date="2020-01-01")
    assert [e.field for e in exc.value.errors] == ["new_date"]
    with pytest.raises(InvalidInput):
        step(b, uid, "answer", text="x", secret="unknown detail")
    assert state(b, uid) == "in_execution"


def test_another_agency_on_the_node_and_a_viewer_see_no_request(
    nodes: tuple[Node, Node],
) -> None:
    a, _ = nodes
    uid = new_request(a)
    with a.factory() as s:
        stranger = Principal(None, "x", 999_999, Role.ADMIN)
        with pytest.raises(NotFound):
            service.get_request(s, stranger, uid)
        with pytest.raises(Forbidden):
            service.get_request(s, person(a, Role.VIEWER), uid)


def test_deadlines_follow_the_steps_and_an_extension_is_shared(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    uid = new_request(a)
    step(a, uid, "send")
    settle_all(a, b)
    with b.factory() as s:
        row = s.scalar(sa.select(AssistanceRequest).where(AssistanceRequest.uid == uid))
        assert row is not None and row.received_at is not None
        assert row.due_name == "acknowledge"
        assert row.due_at == row.received_at + timedelta(hours=4)  # P2
        received = row.received_at.replace(tzinfo=UTC)
    step(b, uid, "acknowledge")
    new_due = received + timedelta(days=5)
    with transaction(b.factory) as s:
        service.extend(s, b.keys, person(b), uid, "answer", new_due, "Chờ trả lời của Bộ")
    with pytest.raises(InvalidInput) as exc, transaction(b.factory) as s:
        service.extend(s, b.keys, person(b), uid, "answer", received - timedelta(days=1), "x")
    assert [e.field for e in exc.value.errors] == ["due"]
    settle_all(a, b)
    for node in (a, b):
        with node.factory() as s:
            row = s.scalar(sa.select(AssistanceRequest).where(AssistanceRequest.uid == uid))
            assert row is not None
            assert (row.due_name, row.due_at) == ("answer", new_due.replace(tzinfo=None))
    assert history(a, uid) == history(b, uid)


def test_the_request_kind_is_refused_by_a_node_whose_agreement_does_not_carry_it(
    backend: str, tmp_path: Path
) -> None:
    with two_nodes(backend, tmp_path) as (a, b):  # messages only
        with transaction(a.factory) as s:
            peering.add_peer(s, b.card(), send_kinds=KINDS, receive_kinds=KINDS)
        uid = new_request(a)
        step(a, uid, "send")
        received = deliver(a, b)
        assert [r["code"] for r in received.rejected] == ["kind_not_allowed"]
        with b.factory() as s:
            assert s.scalar(sa.select(sa.func.count()).select_from(AssistanceRequest)) == 0


def test_the_service_levels_count_both_ways_per_quarter_and_export_as_csv(
    nodes: tuple[Node, Node],
) -> None:
    """Requests with known times: the medians and 90th percentiles per partner, direction
    and quarter, the open and overdue counts of today, and the CSV a liaison chief takes."""
    from hoptac.assistance import sla

    a, _ = nodes
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    with transaction(a.factory) as s:
        node = identity.this_node(s)
        peer = peering.peer_by_node(s, "cn-beijing-psb")
        base = datetime(2026, 10, 5, 8, 0)  # Q4
        for i, (ack_h, answer_h, state) in enumerate(
            [
                (1, 10, "closed"),
                (2, 20, "closed"),
                (3, None, "in_execution"),
                (30, None, "delivered"),
            ]
        ):
            s.add(
                AssistanceRequest(
                    uid=ulid.new(), side="receiving", agency_id=node.agency_id, peer_id=peer.id,
                    kind="locate", priority="P3", state=state, title=f"R{i}", summary="s",
                    created_by="x", received_at=base, quarter=20264, ack_seconds=ack_h * 3600,
                    answer_seconds=answer_h * 3600 if answer_h else None,
                    acknowledged_at=base + timedelta(hours=ack_h) if ack_h else None,
                    answered_at=base + timedelta(hours=answer_h) if answer_h else None,
                    due_at=datetime(2026, 12, 1) if state == "in_execution" else None,
                    due_name="answer" if state == "in_execution" else None,
                )
            )  # fmt: skip
        s.add(
            AssistanceRequest(
                uid=ulid.new(), side="requesting", agency_id=node.agency_id, peer_id=peer.id,
                kind="arrest", priority="P1", state="answered", title="S", summary="s",
                created_by="x", received_at=datetime(2026, 7, 1),
                acknowledged_at=datetime(2026, 7, 1, 0, 30), answered_at=datetime(2026, 7, 3),
                quarter=20263, ack_seconds=1800, answer_seconds=48 * 3600,
            )
        )  # fmt: skip
    with a.factory() as s:
        lines = sla.levels(s, person(a), now=now)
        with pytest.raises(Forbidden):
            sla.levels(s, person(a, Role.VIEWER), now=now)
    by_key = {(x.direction, x.quarter): x for x in lines}
    we = by_key[("we_owe", "2026-Q4")]
    assert (we.requests, we.acknowledged, we.answered) == (4, 4, 2)
    assert (we.ack_median_hours, we.ack_p90_hours) == (2.0, 30.0)
    assert (we.answer_median_hours, we.answer_p90_hours) == (10.0, 20.0)
    assert (we.open, we.overdue) == (2, 1)  # delivered and in execution; the latter past due
    they = by_key[("they_owe", "2026-Q3")]
    assert (they.requests, they.ack_median_hours, they.answer_median_hours) == (1, 0.5, 48.0)
    assert by_key[("they_owe", "2026-Q4")].open == 1  # today's counts on today's quarter
    rows = sla.to_csv(lines).splitlines()
    assert rows[0].startswith("peer,peer_name,direction,quarter,requests,open,overdue")
    assert len(rows) == 1 + len(lines)


# ---- what a partner may not do to this node's requests (review of dcf62fc) ---------------


def _forge(src: Node, dst: Node, body: dict[str, Any]) -> inbox.Received:
    """An envelope `src`'s node signs with whatever body it likes."""
    with transaction(src.factory) as s:
        outbox.enqueue(s, src.keys, peering.peer_by_node(s, dst.node_id), "request", body)
    return deliver(src, dst)


def _raw(uid: str, seq: int, action: str, **step_fields: Any) -> dict[str, Any]:
    return {
        "request": uid,
        "step": {
            "uid": ulid.new(), "seq": seq, "action": action, "side": "receiving",
            "actor": "mallory@cn-beijing-psb", "role": "officer",
            "at": datetime.now(UTC).isoformat(), "details": {}, **step_fields,
        },
    }  # fmt: skip


def test_a_refused_crossing_step_leaves_the_withdrawal_as_it_was(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    uid = new_request(a)
    step(a, uid, "send")
    settle_all(a, b)
    step(b, uid, "acknowledge")
    settle_all(a, b)
    step(a, uid, "withdraw", reason="Đã bắt được tại Việt Nam")  # seq 4 here
    before = history(a, uid)
    got = _forge(b, a, _raw(uid, 4, "start"))  # not a step from 'acknowledged'
    assert [r["code"] for r in got.rejected] == ["not_entitled"]
    assert state(a, uid) == "withdrawn" and history(a, uid) == before


def test_steps_out_of_order_around_a_withdrawal_still_converge(nodes: tuple[Node, Node]) -> None:
    """Beijing acknowledges (3) and accepts (4) while Hanoi withdraws (3); Beijing's
    accept reaches Hanoi before its acknowledge. It waits, and both end the same."""
    a, b = nodes
    uid = new_request(a)
    step(a, uid, "send")
    settle_all(a, b)
    step(b, uid, "acknowledge")
    step(b, uid, "accept")
    step(a, uid, "withdraw", reason="x")
    with b.factory() as s:
        batch = outbox.next_batch(s, peering.peer_by_node(s, a.node_id), 100, None)
        wires = [json.loads(r.wire) for r in batch]
    for wire_form in reversed(wires):  # accept first, then acknowledge
        with transaction(a.factory) as s:
            got = inbox.receive(s, a.keys, [wire_form])
        assert got.receipts and not got.rejected, got.rejected
    settle_all(a, b)
    step(b, uid, "acknowledge_withdrawal")
    settle_all(a, b)
    assert state(a, uid) == state(b, uid) == "closed"
    assert history(a, uid) == history(b, uid)
    assert [h[2] for h in history(a, uid)][-4:] == [
        "acknowledge", "accept", "withdraw", "acknowledge_withdrawal",
    ]  # fmt: skip


def test_a_partners_step_with_odd_details_or_a_future_time_is_refused(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    uid = new_request(a)
    step(a, uid, "send")
    settle_all(a, b)
    before = history(a, uid)
    for bad in (
        _raw(uid, 3, "acknowledge", details={"reason_code": ["x"]}),
        _raw(uid, 3, "acknowledge", details={"junk": "x"}),
        _raw(uid, 3, "acknowledge", at=(datetime.now(UTC) + timedelta(days=400)).isoformat()),
        _raw(uid, 3, "acknowledge", at="0001-01-01T00:30:00+01:00"),
    ):
        got = _forge(b, a, bad)  # (an earlier refused one may be offered again with it)
        assert got.rejected and {r["code"] for r in got.rejected} == {"bad_payload"}
    assert state(a, uid) == "delivered" and history(a, uid) == before


def test_no_deadline_is_extended_while_the_requester_is_the_one_to_act(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    uid = new_request(a)
    step(a, uid, "send")
    settle_all(a, b)
    step(b, uid, "acknowledge")
    step(b, uid, "request_info", question="?")
    with pytest.raises(Conflict), transaction(b.factory) as s:
        due = datetime.now(UTC) + timedelta(days=9)
        service.extend(s, b.keys, person(b), uid, "answer", due, "cần thêm thời gian")


def test_a_partners_request_cannot_link_this_nodes_notices(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    body = _raw(ulid.new(), 1, "send", side="requesting")
    body["data"] = {
        "kind": "locate", "title": "t", "summary": "s", "legal_basis": "MOU",
        "persons": [{"name": "Lý Minh", "notice_id": 1}],
    }  # fmt: skip
    got = _forge(b, a, body)
    assert [r["code"] for r in got.rejected] == ["bad_payload"]
    with a.factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AssistanceRequest)) == 0


def test_requests_near_or_past_a_deadline_come_first_and_an_overdue_p1_is_urgent(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    p1 = new_request(a, priority="P1", priority_reason="Đối tượng sắp xuất cảnh")
    p3 = new_request(a, priority="P3")
    for uid in (p1, p3):
        step(a, uid, "send")
    settle_all(a, b)
    with b.factory() as s:
        received = s.scalar(
            sa.select(AssistanceRequest.received_at).where(AssistanceRequest.uid == p1)
        )
        assert received is not None
        start = received.replace(tzinfo=UTC)
        # nothing pressing yet; 50 minutes in, the P1's hour to acknowledge is near
        assert service.pressing(s, person(b), now=start + timedelta(minutes=1)).items == []
        near = service.pressing(s, person(b), now=start + timedelta(minutes=50))
        assert [(r.uid, d.near, d.overdue) for r, d in near.items] == [(p1, True, False)]
        late = service.pressing(s, person(b), now=start + timedelta(hours=2))
        assert [(r.uid, d.overdue, d.urgent) for r, d in late.items] == [(p1, True, True)]
        assert late.overdue == 1
        assert service.pressing(s, person(b, Role.VIEWER)) is None
