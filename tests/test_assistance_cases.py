"""Cases and handovers in the database: a case ties records together, its evidence keeps
an append-only chain of custody, its ownership moves on record, it cannot close while a
request is open, and its timeline shows every source newest first. A handover recorded on
one node completes the hand-over request on both and executes the notice."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from hoptac.assistance import cases, service
from hoptac.auth.principal import Principal
from hoptac.db.engine import transaction
from hoptac.db.models import Agency, AssistanceRequest, AuditEvent, Handover, Notice
from hoptac.errors import Conflict, Forbidden, InvalidInput, NotFound, TooLarge
from hoptac.exchange import identity
from hoptac.types import AgencyLevel, Role
from tests.helpers.assistance import (
    history,
    new_request,
    person,
    request_nodes,
    settle_all,
    state,
    step,
)
from tests.helpers.exchange import Node


@pytest.fixture
def nodes(backend: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with request_nodes(backend, tmp_path) as pair:
        yield pair


def _audits(node: Node, action: str) -> list[AuditEvent]:
    with node.factory() as s:
        query = sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        return list(s.scalars(query))


def test_a_case_ties_records_keeps_custody_and_shows_one_timeline(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    uid = new_request(a)
    step(a, uid, "send")
    settle_all(a, b)
    officer = person(a)
    with transaction(a.factory) as s:
        ref = cases.open_case(s, officer, "Đường dây lừa đảo Vương Kiện", "Tóm tắt").ref
        cases.link(s, officer, ref, "request", uid)
        item = cases.add_evidence(
            s, officer, ref, kind="file", description="Ảnh hộ chiếu", holder="Đội 3",
            file=cases.File("passport.jpg", "image/jpeg", b"\xff\xd8 photo"),
        )  # fmt: skip
        phone = cases.add_evidence(
            s, officer, ref, kind="physical", description="Điện thoại thu giữ", holder="Đội 3",
            location="Kho vật chứng Q1",
        )  # fmt: skip
        file_id, phone_id = item.id, phone.id
        assert item.sha256 == hashlib.sha256(b"\xff\xd8 photo").hexdigest()
    with transaction(a.factory) as s:
        cases.transfer_custody(
            s, officer, ref, phone_id, to_holder="Viện Khoa học hình sự", place="Hà Nội",
            reason="Giám định dữ liệu",
        )  # fmt: skip
    with pytest.raises(InvalidInput), transaction(a.factory) as s:
        cases.transfer_custody(
            s, officer, ref, phone_id, to_holder="X", place="Y", reason="Z",
            at=datetime.now(UTC) + timedelta(days=1),
        )  # fmt: skip
    step(b, uid, "acknowledge")
    settle_all(a, b)
    with a.factory() as s:
        case = cases.get_case(s, officer, ref)
        held = next(e for e in case.evidence if e.id == phone_id)
        assert held.holder == "Viện Khoa học hình sự"
        assert [(t.from_holder, t.to_holder) for t in held.custody] == [
            ("Đội 3", "Viện Khoa học hình sự")
        ]
        line = cases.timeline(s, officer, case)
        assert [e.at for e in line] == sorted((e.at for e in line), reverse=True)
        sources = {(e.source, e.what) for e in line}
        for expected in (
            ("case", "opened"), ("case", "linked"), ("case", "evidence_added"),
            ("custody", "custody"), ("request", "send"), ("request", "deliver"),
            ("request", "acknowledge"),
        ):  # fmt: skip
            assert expected in sources, (expected, sources)
        assert cases.evidence_file(s, officer, ref, file_id).data == b"\xff\xd8 photo"
    custody = _audits(a, "case.custody")
    assert custody[-1].detail["before"]["holder"] == "Đội 3"
    assert custody[-1].detail["after"]["holder"] == "Viện Khoa học hình sự"


def test_a_case_closes_only_once_its_requests_are_closed(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    uid = new_request(a)
    step(a, uid, "send")
    officer = person(a)
    with transaction(a.factory) as s:
        ref = cases.open_case(s, officer, "Hồ sơ").ref
        cases.link(s, officer, ref, "request", uid)
    with pytest.raises(Conflict, match=uid), transaction(a.factory) as s:
        cases.close(s, officer, ref)
    step(a, uid, "withdraw", reason="Không còn cần")
    settle_all(a, b)
    step(b, uid, "acknowledge_withdrawal")
    settle_all(a, b)
    assert state(a, uid) == "closed"
    with transaction(a.factory) as s:
        assert cases.close(s, officer, ref).status == "closed"
    with pytest.raises(Conflict), transaction(a.factory) as s:
        cases.link(s, officer, ref, "request", uid)  # a closed case takes nothing more


def test_a_case_belongs_to_its_agency_and_moves_only_on_record(nodes: tuple[Node, Node]) -> None:
    a, _ = nodes
    officer = person(a)
    with transaction(a.factory) as s:
        other = Agency(
            name_vi="Công an tỉnh Lạng Sơn", name_key="lang son", country="VN",
            level=AgencyLevel.PROVINCE,
        )  # fmt: skip
        s.add(other)
        s.flush()
        other_id = other.id
        ref = cases.open_case(s, officer, "Hồ sơ chuyển giao").ref
    stranger = Principal(None, "ls_officer", other_id, Role.OFFICER)
    with a.factory() as s:
        with pytest.raises(NotFound):
            cases.get_case(s, stranger, ref)
        with pytest.raises(Forbidden):
            cases.get_case(s, person(a, Role.VIEWER), ref)
    with pytest.raises(InvalidInput), transaction(a.factory) as s:
        cases.transfer(s, officer, ref, officer="x", reason=" ")
    with transaction(a.factory) as s:
        cases.transfer(s, officer, ref, agency_id=other_id, reason="Thuộc địa bàn Lạng Sơn")
    with a.factory() as s:
        assert cases.get_case(s, stranger, ref).agency_id == other_id
        with pytest.raises(NotFound):
            cases.get_case(s, officer, ref)  # no longer ours
    moved = [r for r in _audits(a, "case.changed") if r.detail["step"] == "transferred"]
    assert moved[-1].detail["before"]["agency_id"] != moved[-1].detail["after"]["agency_id"]


def test_an_evidence_file_over_the_limit_is_refused_and_nothing_is_stored(
    nodes: tuple[Node, Node], monkeypatch: pytest.MonkeyPatch
) -> None:
    a, _ = nodes
    officer = person(a)
    monkeypatch.setattr(cases, "EVIDENCE_MAX_BYTES", 10)
    with transaction(a.factory) as s:
        ref = cases.open_case(s, officer, "Hồ sơ").ref
    with pytest.raises(TooLarge) as exc, transaction(a.factory) as s:
        cases.add_evidence(
            s, officer, ref, kind="file", description="d", holder="h",
            file=cases.File("big.bin", "", b"x" * 11),
        )  # fmt: skip
    assert exc.value.status == 413
    with a.factory() as s:
        assert cases.get_case(s, officer, ref).evidence == []


def test_a_handover_completes_the_request_on_both_nodes_and_executes_the_notice(
    nodes: tuple[Node, Node],
) -> None:
    """Hanoi asks Beijing to hand over Vương Kiện (its notice); Beijing records the
    handover at Móng Cái with its answer; both hold it, and Hanoi's notice is executed."""
    a, b = nodes
    with transaction(a.factory) as s:
        agency = identity.this_node(s).agency_id
        notice = Notice(owner_agency_id=agency, ref="N-41", name="Vương Kiện")
        s.add(notice)
        s.flush()
        notice_id = notice.id
    uid = new_request(
        a,
        kind="surrender",
        title="Bàn giao Vương Kiện",
        persons=[{"name": "Vương Kiện", "birth": "1985", "notice_id": notice_id}],
    )
    step(a, uid, "submit", person(a, Role.OFFICER, "le"))
    step(a, uid, "validate", person(a, Role.ADMIN, "tran"))
    settle_all(a, b)
    for action in ("acknowledge", "accept", "start"):
        step(b, uid, action)
    settle_all(a, b)
    handover = {
        "persons": ["Vương Kiện (王健)"],
        "place": "Cửa khẩu quốc tế Móng Cái",
        "at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "handing_agency": "北京市公安局",
        "receiving_agency": "Công an TP Hà Nội",
        "handing_officers": ["Lý Minh"],
        "receiving_officers": ["Nguyễn Văn An"],
        "documents": ["Biên bản bàn giao", "Quyết định truy nã"],
    }
    with pytest.raises(Conflict), transaction(a.factory) as s:  # not the requester's turn yet
        service.record_handover(s, a.keys, person(a), uid, handover)
    with pytest.raises(InvalidInput) as exc, transaction(b.factory) as s:
        service.record_handover(s, b.keys, person(b), uid, {**handover, "at": "2001-01-01"})
    assert [e.field for e in exc.value.errors] == ["handover.at"]
    with transaction(b.factory) as s:
        assert service.record_handover(s, b.keys, person(b), uid, handover).state == "answered"
    settle_all(a, b)
    for node in (a, b):
        with node.factory() as s:
            held = s.scalar(sa.select(Handover))
            assert held is not None and held.place == "Cửa khẩu quốc tế Móng Cái"
            assert held.documents == handover["documents"]
    with a.factory() as s:
        assert s.get_one(Notice, notice_id).status == "executed"
        req = s.scalar(sa.select(AssistanceRequest).where(AssistanceRequest.uid == uid))
        assert req is not None and req.state == "answered"
    step(a, uid, "close")
    settle_all(a, b)
    assert state(a, uid) == state(b, uid) == "closed"
    assert history(a, uid) == history(b, uid)
    assert _audits(a, "assistance.handover")[-1].detail["notices_executed"] == [notice_id]


def test_a_hand_over_request_is_not_answered_without_its_handover(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    uid = new_request(a, kind="surrender", title="Bàn giao")
    step(a, uid, "submit", person(a, Role.OFFICER, "le"))
    step(a, uid, "validate", person(a, Role.ADMIN, "tran"))
    settle_all(a, b)
    for action in ("acknowledge", "accept", "start"):
        step(b, uid, action)
    with pytest.raises(Conflict, match="handover"):
        step(b, uid, "answer", text="Đã bàn giao")
    assert state(b, uid) == "in_execution"


def test_a_case_shared_up_to_a_handling_code_shows_the_other_agency_only_that(
    nodes: tuple[Node, Node],
) -> None:
    a, _ = nodes
    officer = person(a)
    low = new_request(a, title="Xác minh H1", handling="H1")
    high = new_request(a, title="Nguồn tin mật H2", handling="H2")
    step(a, low, "send")
    step(a, high, "send")
    with transaction(a.factory) as s:
        other = Agency(
            name_vi="Công an tỉnh Quảng Ninh", name_key="quang ninh", country="VN",
            level=AgencyLevel.PROVINCE,
        )  # fmt: skip
        third = Agency(
            name_vi="Công an tỉnh Lào Cai", name_key="lao cai", country="VN",
            level=AgencyLevel.PROVINCE,
        )  # fmt: skip
        s.add_all([other, third])
        s.flush()
        other_id, third_id = other.id, third.id
        ref = cases.open_case(s, officer, "Đường dây Móng Cái").ref
        cases.link(s, officer, ref, "request", low)
        cases.link(s, officer, ref, "request", high)
        cases.add_evidence(
            s, officer, ref, kind="physical", description="Sổ ghi chép", holder="Đội 2"
        )
    reader = Principal(None, "qn_officer", other_id, Role.OFFICER)
    stranger = Principal(None, "lc_officer", third_id, Role.OFFICER)
    with a.factory() as s, pytest.raises(NotFound):  # not shared yet: nobody finds it
        cases.get_case(s, reader, ref)
    with pytest.raises(InvalidInput), transaction(a.factory) as s:
        cases.share(s, officer, ref, other_id, "H9")
    with pytest.raises(Forbidden), transaction(a.factory) as s:
        cases.share(s, person(a, Role.VIEWER), ref, other_id, "H1")
    with transaction(a.factory) as s:
        cases.share(s, officer, ref, other_id, "H1")
    with a.factory() as s:
        case = cases.read_case(s, reader, ref)
        assert {x.ref for x in cases.visible_links(s, reader, case)} == {low}
        shown = cases.timeline(s, reader, case)
        titles = {e.detail.get("request") for e in shown if e.source == "request"}
        assert titles == {"Xác minh H1"}  # the H2 request: neither its steps...
        assert all(high not in str(e.detail) for e in shown)  # ...nor its linking
        assert all(e.href is None for e in shown if e.source == "request")
        assert [x.description for x in case.evidence] == ["Sổ ghi chép"]
        own = cases.timeline(s, officer, case)
        assert {e.detail.get("request") for e in own if e.source == "request"} == {
            "Xác minh H1", "Nguồn tin mật H2",
        }  # fmt: skip
        listed, _ = cases.list_cases(s, reader)
        assert [c.ref for c in listed] == [ref]
        assert cases.list_cases(s, stranger)[0] == []
        with pytest.raises(NotFound):
            cases.get_case(s, stranger, ref)
    # the reader reads; it does not change the case
    for change in (
        lambda s: cases.link(s, reader, ref, "request", low),
        lambda s: cases.close(s, reader, ref),
        lambda s: cases.share(s, reader, ref, third_id, "H3"),
        lambda s: cases.transfer(s, reader, ref, officer="qn_officer", reason="x"),
    ):
        with pytest.raises(Forbidden), transaction(a.factory) as s:
            change(s)
    # a higher code shows more; stopping the share hides it all again
    with transaction(a.factory) as s:
        cases.share(s, officer, ref, other_id, "H2")
    with a.factory() as s:
        case = cases.get_case(s, reader, ref)
        assert {x.ref for x in cases.visible_links(s, reader, case)} == {low, high}
    with transaction(a.factory) as s:
        cases.unshare(s, officer, ref, other_id)
    with a.factory() as s, pytest.raises(NotFound):
        cases.get_case(s, reader, ref)
    steps = [r.detail for r in _audits(a, "case.changed") if "shared" in r.detail["step"]]
    assert [d["after"]["shares"] for d in steps] == [
        {str(other_id): "H1"}, {str(other_id): "H2"}, {},
    ]  # fmt: skip
