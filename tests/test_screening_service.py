"""Screening over the database (both backends): imports with bad rows, reimports, batch
transactions, jobs and their hits, re-runs that keep decisions, review, scoping, audit,
and the cross-script person search."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hoptac.auth.principal import Principal
from hoptac.db.models import (
    AuditEvent,
    NameKey,
    Notice,
    RegisterRecord,
    ScreeningHit,
    ScreeningJob,
)
from hoptac.errors import Conflict, Forbidden, InvalidInput, NotFound
from hoptac.registry import service as svc
from hoptac.screening import jobs, search, service
from hoptac.types import HitStatus, JobStatus, NoticeStatus, Sharing
from tests.helpers.screening import (
    NOTICE_HEADER,
    NOTICES,
    REGISTER,
    REGISTER_HEADER,
    add_register,
    principal,
)


def _stream(text: str, name: str = "upload.csv") -> io.TextIOWrapper:
    return service.open_upload(io.BytesIO(text.encode()), name)


@pytest.fixture
def people(session: Session, world: dict[str, Any]) -> dict[str, Principal]:
    return {
        name: principal(session, name)
        for name in ("hcmc_officer", "hcmc_viewer", "hue_officer", "hue_viewer")
    }


def _audits(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def test_imports_report_bad_rows_with_line_and_reason(
    session: Session, people: dict[str, Principal]
) -> None:
    hcmc = people["hcmc_officer"]
    report = service.import_notices(session, hcmc, _stream(NOTICES))
    assert (report.added, report.updated, report.refused) == (2, 0, 3)
    assert [(e.line, e.reason) for e in report.errors] == [
        (3, "name is empty"),
        (5, "sex 'X' is not M or F"),
        (6, "document_number: String should have at most 120 characters"),
    ]
    register = add_register(session, hcmc)
    report = service.import_records(session, hcmc, register, _stream(REGISTER))
    assert (report.added, report.refused) == (4, 2)
    assert [e.line for e in report.errors] == [5, 6]
    assert "not one of resident, arrival, hotel" in report.errors[1].reason
    n1 = session.scalars(sa.select(Notice).where(Notice.ref == "N1")).one()
    assert (n1.name, n1.alt_names, n1.sex, n1.document_number) == (
        "王健",
        ["Wang Jian"],
        "M",
        "E12345678",
    )
    assert n1.owner_agency_id == hcmc.agency_id and n1.sharing is Sharing.AGENCY
    r1 = session.scalars(sa.select(RegisterRecord).where(RegisterRecord.ref == "R1")).one()
    assert (r1.source, r1.seen_at, r1.birth_precision.value) == ("hotel", "2024-06-01T22:10", "day")
    assert len(_audits(session, "screening.imported")) == 2  # one batch each


def test_reimport_updates_by_id_and_keeps_the_status(
    session: Session, people: dict[str, Principal]
) -> None:
    hcmc = people["hcmc_officer"]
    service.import_notices(session, hcmc, _stream(NOTICES))
    n1 = session.scalars(sa.select(Notice).where(Notice.ref == "N1")).one()
    service.set_notice_status(session, hcmc, n1.id, "withdrawn")
    session.commit()
    again = f"{NOTICE_HEADER}\nN1,王健,Wang Jian;Vương Kiện,1985-03-07,M,CN,E12345678,MPS,fraud\n"
    report = service.import_notices(session, hcmc, _stream(again))
    assert (report.added, report.updated, report.refused) == (0, 1, 0)
    session.expire_all()
    n1 = session.get(Notice, n1.id)
    assert n1 is not None
    assert n1.alt_names == ["Wang Jian", "Vương Kiện"] and n1.issuing_agency == "MPS"
    assert n1.status is NoticeStatus.WITHDRAWN
    # The new alias is searchable; the keys were rewritten, not added twice.
    assert "Vương Kiện" in [f.name for f in search.search(session, hcmc, "Vuong Kien").found]
    register = add_register(session, hcmc)
    service.import_records(session, hcmc, register, _stream(REGISTER))
    changed = f"{REGISTER_HEADER}\nR1,Vương Kiện,1985-03-07,M,CN,P1,hotel,\nR9,Lê Na,,,,,,\n"
    report = service.import_records(session, hcmc, register, _stream(changed))
    assert (report.added, report.updated) == (1, 1)
    session.expire_all()
    r1 = session.scalars(sa.select(RegisterRecord).where(RegisterRecord.ref == "R1")).one()
    assert (r1.birth_on.isoformat(), r1.document_number, r1.seen_at) == ("1985-03-07", "P1", None)
    keys = session.scalar(
        sa.select(sa.func.count()).where(NameKey.kind == search.RECORD, NameKey.row_id == r1.id)
    )
    assert keys == len(search.person_keys(["Vương Kiện"]))


def test_each_batch_commits_alone(
    session: Session, people: dict[str, Principal], monkeypatch: pytest.MonkeyPatch
) -> None:
    hcmc = people["hcmc_officer"]
    register = add_register(session, hcmc)
    rows = "".join(f"R{i},Nguyễn Văn An {i},,,,,,\n" for i in range(1, 8))
    real, calls = search.index, []

    def failing(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        real(*args, **kwargs)

    monkeypatch.setattr(search, "index", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        service.import_records(session, hcmc, register, _stream(REGISTER_HEADER + "\n" + rows), 3)
    session.expire_all()
    refs = session.scalars(sa.select(RegisterRecord.ref).order_by(RegisterRecord.id)).all()
    assert refs == ["R1", "R2", "R3", "R4", "R5", "R6"]  # batches 1 and 2, nothing of batch 3
    assert len(_audits(session, "screening.imported")) == 2


def test_uploads_that_are_not_utf8_csv_are_refused_whole(
    session: Session, people: dict[str, Principal]
) -> None:
    hcmc = people["hcmc_officer"]
    latin1 = (REGISTER_HEADER + "\nR1,Tr\xe2n V\xe2n An,,,,,,\n").encode("latin-1")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        service.open_upload(io.BytesIO(latin1), "r.csv")
    with pytest.raises(InvalidInput, match="not a CSV file"):
        service.open_upload(io.BytesIO(b"%PDF-1.4"), "r.pdf")
    with pytest.raises(InvalidInput, match="larger than 1 MB; split it"):
        service.open_upload(io.BytesIO(b"x" * (1024 * 1024 + 1)), "r.csv", 1024 * 1024)
    register = add_register(session, hcmc)
    with pytest.raises(InvalidInput, match="missing column"):
        service.import_records(session, hcmc, register, _stream("id,full_name\n1,An\n"))


def test_viewers_and_other_agencies_cannot_import(
    session: Session, people: dict[str, Principal]
) -> None:
    register = add_register(session, people["hcmc_officer"], sharing="all")
    with pytest.raises(Forbidden):
        service.import_records(session, people["hcmc_viewer"], register, _stream(REGISTER))
    with pytest.raises(Forbidden):
        service.import_records(session, people["hue_officer"], register, _stream(REGISTER))
    with pytest.raises(Forbidden):
        service.import_notices(session, people["hcmc_viewer"], _stream(NOTICES))


def _screened(session: Session, factory: sessionmaker[Session], p: Principal) -> tuple[int, int]:
    service.import_notices(session, p, _stream(NOTICES))
    register = add_register(session, p)
    service.import_records(session, p, register, _stream(REGISTER))
    job = jobs.start(session, p, register)  # the default threshold
    session.commit()
    jobs.run(factory, job.id)
    return job.id, register


def test_a_job_runs_and_stores_its_hits(
    session: Session, factory: sessionmaker[Session], people: dict[str, Principal]
) -> None:
    job_id, _ = _screened(session, factory, people["hcmc_officer"])
    session.expire_all()
    job = session.get(ScreeningJob, job_id)
    assert job is not None
    assert (job.status, job.notices, job.records, job.done, job.total) == (
        JobStatus.DONE,
        2,
        4,
        2,
        2,
    )
    hits, total = service.list_hits(session, people["hcmc_officer"], job_id=job_id)
    found = {(h.notice.ref, h.record.ref) for h in hits}
    assert found == {("N1", "R1"), ("N1", "R6"), ("N3", "R2")}
    assert total == job.hits == job.new_hits == 3
    assert hits == sorted(hits, key=lambda h: -h.score)
    assert "day and month swapped" in next(h.reasons for h in hits if h.record.ref == "R1")
    (finished,) = _audits(session, "screening.job_finished")
    assert finished.detail == {"hits": 3, "pending": 3, "replaced": 0}


def test_a_rerun_keeps_decisions_and_replaces_pending_hits(
    session: Session, factory: sessionmaker[Session], people: dict[str, Principal]
) -> None:
    hcmc = people["hcmc_officer"]
    first, register = _screened(session, factory, hcmc)
    hits, _ = service.list_hits(session, hcmc, job_id=first)
    by_record = {h.record.ref: h for h in hits}
    service.decide(session, hcmc, by_record["R1"].id, "confirmed", "same man, passport seen")
    service.decide(session, hcmc, by_record["R6"].id, "rejected", "a woman, born 1990")
    session.commit()
    second = jobs.start(session, hcmc, register)
    session.commit()
    jobs.run(factory, second.id)
    session.expire_all()
    job = session.get(ScreeningJob, second.id)
    assert job is not None and (job.hits, job.new_hits, job.decided_hits) == (3, 1, 2)
    pending, _ = service.list_hits(session, hcmc)
    assert [(h.job_id, h.record.ref) for h in pending] == [(second.id, "R2")]
    carried, _ = service.list_hits(session, hcmc, status=None, job_id=second.id)
    statuses = {h.record.ref: (h.status, h.decision_reason) for h in carried}
    assert statuses["R1"] == (HitStatus.CONFIRMED, "same man, passport seen")
    assert statuses["R6"] == (HitStatus.REJECTED, "a woman, born 1990")
    old, _ = service.list_hits(session, hcmc, status=None, job_id=first)
    assert {h.record.ref for h in old} == {"R1", "R6"}  # the pending one moved to job 2


def test_review_needs_a_reason_a_writer_and_a_pending_hit(
    session: Session, factory: sessionmaker[Session], people: dict[str, Principal]
) -> None:
    hcmc = people["hcmc_officer"]
    job_id, _ = _screened(session, factory, hcmc)
    hit = service.list_hits(session, hcmc, job_id=job_id)[0][0]
    with pytest.raises(InvalidInput) as missing:
        service.decide(session, hcmc, hit.id, "confirmed", "   ")
    assert missing.value.errors[0].field == "reason"
    with pytest.raises(Forbidden):
        service.decide(session, people["hcmc_viewer"], hit.id, "confirmed", "seen")
    with pytest.raises(InvalidInput):
        service.decide(session, hcmc, hit.id, "pending", "seen")
    decided = service.decide(session, hcmc, hit.id, "confirmed", "  passport   matches ")
    session.commit()
    assert (decided.status, decided.reviewer, decided.decision_reason) == (
        HitStatus.CONFIRMED,
        "hcmc_officer",
        "passport matches",
    )
    with pytest.raises(Conflict, match="already confirmed by hcmc_officer"):
        service.decide(session, hcmc, hit.id, "rejected", "changed my mind")
    session.rollback()
    notice = hit.notice_id
    assert [h.id for h in service.confirmed_hits(session, hcmc, notice)] == [hit.id]
    assert [e.detail for e in _audits(session, "screening.hit_decided")] == [
        {
            "decision": "confirmed",
            "reason": "passport matches",
            "before": {"status": "pending"},
            "after": {"status": "confirmed", "reviewer": "hcmc_officer"},
        }
    ]


def test_another_agency_sees_nothing_and_reads_are_audited(
    session: Session, factory: sessionmaker[Session], people: dict[str, Principal]
) -> None:
    hcmc, hue = people["hcmc_officer"], people["hue_officer"]
    job_id, register = _screened(session, factory, hcmc)
    hit = service.list_hits(session, hcmc, job_id=job_id)[0][0]
    for read in (
        lambda p: service.read_hit(session, p, hit.id),
        lambda p: service.read_register_record(session, p, hit.record_id),
        lambda p: svc.read_record(session, p, service.NOTICES, hit.notice_id),
        lambda p: jobs.get(session, p, job_id),
        lambda p: service.list_register_records(session, p, register),
    ):
        with pytest.raises(NotFound):
            read(hue)
        read(hcmc)
    assert service.list_hits(session, hue, status=None) == ([], 0)
    assert svc.list_records(session, hue, service.NOTICES, svc.ListQuery())[1] == 0
    assert search.search(session, hue, "Wang Jian").found == []
    assert service.confirmed_hits(session, hue, hit.notice_id) == []
    session.commit()
    reads = {
        (e.object_type, e.object_id)
        for e in session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.action.in_(("record.read", "screening.hit_read")),
                AuditEvent.username == "hcmc_officer",
            )
        )
    }
    assert reads == {
        ("screening_hits", hit.id),
        ("register_records", hit.record_id),
        ("notices", hit.notice_id),
    }


def test_sharing_a_register_lets_others_read_it_but_hits_stay_with_the_job(
    session: Session, factory: sessionmaker[Session], people: dict[str, Principal]
) -> None:
    hcmc, hue = people["hcmc_officer"], people["hue_officer"]
    register = add_register(session, hcmc, sharing="all")
    service.import_records(session, hcmc, register, _stream(REGISTER))
    service.import_notices(session, hue, _stream(NOTICES))  # Huế's own notices
    job = jobs.start(session, hue, register)
    session.commit()
    jobs.run(factory, job.id)
    assert service.list_hits(session, hue, job_id=job.id)[1] == 3
    assert service.list_hits(session, hcmc, status=None)[1] == 0
    names = [f.name for f in search.search(session, hcmc, "王健").found]
    assert names == ["Vương Kiện", "Jian Wang"]  # records yes, Huế's notice no


def test_search_finds_names_across_scripts(session: Session, people: dict[str, Principal]) -> None:
    hcmc = people["hcmc_officer"]
    service.import_notices(session, hcmc, _stream(NOTICES))
    register = add_register(session, hcmc)
    service.import_records(session, hcmc, register, _stream(REGISTER))
    found = search.search(session, hcmc, "王健").found
    assert (found[0].kind, found[0].name, found[0].score) == ("notice", "王健", 1.0)
    names = {(f.kind, f.row.ref) for f in found}
    assert {("notice", "N1"), ("record", "R1"), ("record", "R6")} <= names
    assert ("record", "R3") not in names  # Lý Cường
    best = search.search(session, hcmc, "Park Geun-hye").found[0]
    assert (best.kind, best.row.ref, best.score) == ("record", "R2", 1.0)
    assert "박" in search.search(session, hcmc, "Park Geun-hye").found[1].name
    assert search.search(session, hcmc, "Zhang Wei").found == []
    assert len(_audits(session, "screening.searched")) == 4


def test_a_job_left_running_is_interrupted_at_start(
    session: Session, factory: sessionmaker[Session], people: dict[str, Principal]
) -> None:
    hcmc = people["hcmc_officer"]
    register = add_register(session, hcmc)
    job = jobs.start(session, hcmc, register)
    job.status = JobStatus.RUNNING
    session.commit()
    assert jobs.recover(factory) == 1
    session.expire_all()
    assert session.get(ScreeningJob, job.id).status is JobStatus.INTERRUPTED  # type: ignore[union-attr]
    (failed,) = _audits(session, "screening.job_failed")
    assert (failed.object_id, failed.detail) == (job.id, {"status": "interrupted", "at": "start"})
    jobs.run(factory, job.id)  # an interrupted job does not run again
    assert session.scalar(sa.select(sa.func.count()).select_from(ScreeningHit)) == 0


def test_a_failing_job_says_why(
    session: Session,
    factory: sessionmaker[Session],
    people: dict[str, Principal],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hcmc = people["hcmc_officer"]
    register = add_register(session, hcmc)
    job = jobs.start(session, hcmc, register)
    session.commit()

    def broken(*args: Any, **kwargs: Any) -> list[Any]:
        raise MemoryError("out of memory")

    monkeypatch.setattr(jobs.engines, "screen", broken)
    jobs.run(factory, job.id)
    session.expire_all()
    stored = session.get(ScreeningJob, job.id)
    assert stored is not None and stored.status is JobStatus.FAILED
    assert stored.error == "MemoryError: out of memory"
    with pytest.raises(InvalidInput) as bad:
        jobs.start(session, hcmc, register, threshold=1.5, engine="spark")
    assert {e.field for e in bad.value.errors} == {"threshold", "engine"}


def test_reasons_read_one_per_line() -> None:
    reasons = (
        "name 0.95 (王 ~ Vương: 0.95 (Sino-Vietnamese reading of 王); 健 ~ Kiện: 0.95 (x)); "
        "same birth date 1985-03-07 (+0.15); sex M / F (-0.30)"
    )
    assert service.reason_lines(reasons) == [
        "name 0.95 (王 ~ Vương: 0.95 (Sino-Vietnamese reading of 王); 健 ~ Kiện: 0.95 (x))",
        "same birth date 1985-03-07 (+0.15)",
        "sex M / F (-0.30)",
    ]


# ---- found in review: re-runs, replaced hits, stale decisions, hidden namesakes -------------


def _job(session: Session, factory: sessionmaker[Session], p: Principal, register: int) -> int:
    job = jobs.start(session, p, register)
    session.commit()
    jobs.run(factory, job.id)
    session.expire_all()
    return job.id


def _pairs(session: Session, p: Principal, job: int) -> dict[int, tuple[str, str]]:
    """hit id -> (notice ref, record ref) of a job's pending hits."""
    return {
        h.id: (h.notice.ref, h.record.ref) for h in service.list_hits(session, p, job_id=job)[0]
    }


def test_a_replaced_hit_keeps_its_id_unused_and_a_decision_on_it_is_refused(
    session: Session, factory: sessionmaker[Session], people: dict[str, Principal]
) -> None:
    hcmc = people["hcmc_officer"]
    first, register = _screened(session, factory, hcmc)
    before = _pairs(session, hcmc, first)
    service.import_notices(
        session, hcmc, _stream(f"{NOTICE_HEADER}\nN0,Park Geun-hye,,1952-02-02,F,KR,,,\n")
    )
    second = _job(session, factory, hcmc, register)
    after = _pairs(session, hcmc, second)
    assert not set(before) & set(after)  # no id of a replaced hit names another pair
    with pytest.raises(NotFound):  # the page an officer kept open names no other pair
        service.decide(session, hcmc, min(before), "confirmed", "passport seen")


def test_a_decision_made_while_a_rerun_stores_its_hits_is_kept(
    session: Session, factory: sessionmaker[Session], people: dict[str, Principal]
) -> None:
    hcmc = people["hcmc_officer"]
    first, register = _screened(session, factory, hcmc)
    hit_id = service.list_hits(session, hcmc, job_id=first)[0][0].id
    session.commit()
    fired: list[int] = []

    def decide_first(state: Any) -> None:  # an officer decides just before the DELETE
        if state.is_delete and not fired:
            fired.append(1)
            with factory() as other:
                service.decide(other, hcmc, hit_id, "confirmed", "passport seen")
                other.commit()

    sa.event.listen(Session, "do_orm_execute", decide_first)
    try:
        _job(session, factory, hcmc, register)
    finally:
        sa.event.remove(Session, "do_orm_execute", decide_first)
    assert fired
    assert service.list_hits(session, hcmc, status=HitStatus.CONFIRMED)[1] == 1


def test_a_decision_is_not_carried_over_once_the_notice_or_record_changed(
    session: Session, factory: sessionmaker[Session], people: dict[str, Principal]
) -> None:
    hcmc = people["hcmc_officer"]
    first, register = _screened(session, factory, hcmc)
    r1 = next(h for h in service.list_hits(session, hcmc, job_id=first)[0] if h.record.ref == "R1")
    service.decide(session, hcmc, r1.id, "rejected", "different passport")
    session.commit()
    unchanged = _job(session, factory, hcmc, register)
    carried = service.list_hits(session, hcmc, status=None, job_id=unchanged)[0]
    assert {h.record.ref: h.status for h in carried}["R1"] is HitStatus.REJECTED
    changed = f"{REGISTER_HEADER}\nR1,Vương Kiện,1985-03-07,M,CN,E12345678,hotel,\n"
    service.import_records(session, hcmc, register, _stream(changed))
    again = _job(session, factory, hcmc, register)
    fresh = service.list_hits(session, hcmc, status=None, job_id=again)[0]
    assert {h.record.ref: h.status for h in fresh}["R1"] is HitStatus.PENDING
    # the decision is listed once, where it was made, not once per re-run
    assert service.list_hits(session, hcmc, status=HitStatus.REJECTED)[1] == 1


def test_a_broken_csv_line_refuses_the_rest_and_says_where(
    session: Session, people: dict[str, Principal]
) -> None:
    hcmc = people["hcmc_officer"]
    register = add_register(session, hcmc)
    rows = "".join(f"R{i},Nguyễn Văn An {i},,,,,,\n" for i in range(1, 6))
    big = 'R9,"' + "x" * 140_000 + '",,,,,,\n'
    with pytest.raises(InvalidInput, match=r"line 7: .*reading stopped there"):
        service.import_records(
            session, hcmc, register, _stream(REGISTER_HEADER + "\n" + rows + big), 2
        )


def test_another_agencys_hidden_namesakes_do_not_crowd_out_own_notices(
    session: Session, people: dict[str, Principal]
) -> None:
    hcmc, hue = people["hcmc_officer"], people["hue_officer"]
    rows = "".join(f"H{i},Wang Jian,,,,,,,\n" for i in range(450))
    service.import_notices(session, hue, _stream(NOTICE_HEADER + "\n" + rows))  # private
    service.import_notices(session, hcmc, _stream(NOTICE_HEADER + "\nN1,Wang Jian,,,,,,,\n"))
    found = search.search(session, hcmc, "Wang Jian").found
    assert [f.row.ref for f in found] == ["N1"]


def test_a_page_of_register_records_is_audited_and_withdrawn_notices_leave_the_queue(
    session: Session, factory: sessionmaker[Session], people: dict[str, Principal]
) -> None:
    hcmc = people["hcmc_officer"]
    job, register = _screened(session, factory, hcmc)
    service.list_register_records(session, hcmc, register, offset=0)
    (listed,) = _audits(session, "records.listed")
    assert (listed.object_id, listed.detail) == (register, {"offset": 0, "shown": 4})
    pending = service.list_hits(session, hcmc, job_id=job)[0]
    n1 = next(h.notice_id for h in pending if h.notice.ref == "N1")
    service.set_notice_status(session, hcmc, n1, "withdrawn")
    session.commit()
    left = service.list_hits(session, hcmc, job_id=job)[0]
    assert left and all(h.notice.ref != "N1" for h in left)


def test_a_job_keeps_each_hits_band_and_rivals_and_the_queue_shows_likely_first(
    session: Session, factory: sessionmaker[Session], people: dict[str, Principal]
) -> None:
    hcmc = people["hcmc_officer"]
    service.import_notices(
        session,
        hcmc,
        _stream(
            f"{NOTICE_HEADER}\n"
            "N1,Đàm Quốc Khánh,,1971,M,,,,\n"
            "N2,Nguyễn Văn Hùng,,1980-01-01,M,VN,,,\n"
        ),
    )
    register = add_register(session, hcmc, "Lưu trú")
    service.import_records(
        session,
        hcmc,
        register,
        _stream(
            f"{REGISTER_HEADER}\n"
            "R1,Tan Guoqing,1971-05-02,,,,hotel,\n"
            "R2,Nguyen Van Hung,1980-01-01,M,VN,,hotel,\n"
            "R3,NGUYỄN VĂN HÙNG,1980-01-01,M,VN,,hotel,\n"
        ),
    )
    job = _job(session, factory, hcmc, register)
    rows, total = service.list_hits(session, hcmc, job_id=job)
    shown = [(h.notice.ref, h.record.ref, h.band, h.rivals) for h in rows]
    assert total == 3
    assert shown[-1] == ("N1", "R1", "possible", 1)  # after every likely hit
    assert sorted(shown[:2]) == [("N2", "R2", "likely", 2), ("N2", "R3", "likely", 2)]
    possible, _ = service.list_hits(session, hcmc, job_id=job, band="possible")
    assert [h.record.ref for h in possible] == ["R1"]
