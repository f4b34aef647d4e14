"""Screening jobs: a register against the active notices its starter could see.

`start()` queues a job (audited); `run()` does it, start to finish, in the calling
thread — the CLI and the tests call it directly, the web app hands it to its `JobRunner`
(a small thread pool owned by the app). Progress is written to the job row as the engine
reports it; the hits are stored at the end in one transaction. A job found `queued` or
`running` when the process starts was cut short by a stop or a crash: `recover()` marks
it `interrupted`.

A re-run keeps earlier decisions: a pair confirmed or rejected in an earlier job of the
same agency comes back with that decision (never to the queue again), and a pair still
pending from an earlier job is replaced by the new job's hit.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, selectinload, sessionmaker

from hoptac.auth import audit
from hoptac.auth.audit import Action
from hoptac.auth.principal import Principal
from hoptac.auth.scoping import get_visible, scoped
from hoptac.db.engine import transaction
from hoptac.db.models import Register, RegisterRecord, ScreeningHit, ScreeningJob, utcnow
from hoptac.errors import FieldError, InvalidInput
from hoptac.screening import engine as engines
from hoptac.screening import service
from hoptac.screening.score import HIT_THRESHOLD
from hoptac.types import HitStatus, JobStatus, Role

log = logging.getLogger(__name__)

MIN_THRESHOLD, MAX_THRESHOLD = 0.1, 1.0  # probabilities; below 0.1 floods the queue
PROGRESS_EVERY = 0.5  # seconds between progress writes


class Interrupted(Exception):
    """The app is stopping: the job ends as `interrupted`."""


def start(
    session: Session,
    principal: Principal,
    register_id: int,
    threshold: float = HIT_THRESHOLD,
    engine: str = "python",
) -> ScreeningJob:
    """Queue a screening of a register the caller may read (the caller commits)."""
    principal.require_write()
    errors = []
    if engine not in engines.ENGINES:
        errors.append(FieldError("engine", f"use one of: {', '.join(engines.ENGINES)}"))
    if not MIN_THRESHOLD <= threshold <= MAX_THRESHOLD:
        errors.append(
            FieldError("threshold", f"a threshold is between {MIN_THRESHOLD} and {MAX_THRESHOLD}")
        )
    if errors:
        raise InvalidInput("the screening cannot start", errors=errors)
    register = get_visible(session, Register, register_id, principal)
    job = ScreeningJob(
        owner_agency_id=principal.agency_id,
        started_by_id=principal.user_id,
        started_by=principal.username,
        register_id=register.id,
        threshold=threshold,
        engine=engine,
        status=JobStatus.QUEUED,
    )
    session.add(job)
    session.flush()
    audit.record(
        session,
        Action.JOB_STARTED,
        principal=principal,
        object_type="screening_jobs",
        object_id=job.id,
        detail={"register": register.id, "threshold": threshold, "engine": engine},
    )
    return job


def get(session: Session, principal: Principal, job_id: int) -> ScreeningJob:
    return get_visible(session, ScreeningJob, job_id, principal)


def recent(
    session: Session, principal: Principal, limit: int = 20, register_id: int | None = None
) -> list[ScreeningJob]:
    """The caller's agency's latest jobs (of one register), newest first."""
    stmt = scoped(sa.select(ScreeningJob), ScreeningJob, principal)
    if register_id is not None:
        stmt = stmt.where(ScreeningJob.register_id == register_id)
    stmt = stmt.options(selectinload(ScreeningJob.register))
    return list(session.scalars(stmt.order_by(ScreeningJob.id.desc()).limit(limit)))


def _starter(job: ScreeningJob) -> Principal:
    """Who the job reads as: its starter's agency (reading needs no role)."""
    return Principal(job.started_by_id, job.started_by, job.owner_agency_id, Role.OFFICER)


def run(factory: sessionmaker[Session], job_id: int, stop: threading.Event | None = None) -> None:
    """Run a queued job to the end (done, failed or interrupted); never raises for the
    job's own failures, which are written to the job."""
    with transaction(factory) as session:
        job = session.get(ScreeningJob, job_id)
        if job is None or job.status is not JobStatus.QUEUED:
            return
        job.status, job.started_at = JobStatus.RUNNING, utcnow()
    try:
        _run(factory, job_id, stop)
    except Exception as exc:
        interrupted = isinstance(exc, Interrupted)
        if not interrupted:
            log.exception("screening job %s failed", job_id)
        _end(factory, job_id, JobStatus.INTERRUPTED if interrupted else JobStatus.FAILED, exc)


def _end(
    factory: sessionmaker[Session], job_id: int, status: JobStatus, exc: BaseException
) -> None:
    with transaction(factory) as session:
        job = session.get(ScreeningJob, job_id)
        if job is None:
            return
        job.status, job.finished_at = status, utcnow()
        job.error = (
            "the server stopped while the job ran; start it again"
            if status is JobStatus.INTERRUPTED
            else f"{exc.__class__.__name__}: {exc}"[:2000]
        )
        audit.record(
            session,
            Action.JOB_FAILED,
            principal=_starter(job),
            object_type="screening_jobs",
            object_id=job_id,
            detail={"status": status.value},
        )


def _progress(
    factory: sessionmaker[Session], job_id: int, stop: threading.Event | None
) -> Callable[[int, int], None]:
    last = 0.0

    def report(done: int, total: int) -> None:
        nonlocal last
        if stop is not None and stop.is_set():
            raise Interrupted
        now = time.monotonic()
        if now - last < PROGRESS_EVERY and done < total:
            return
        last = now
        with transaction(factory) as session:
            session.execute(
                sa.update(ScreeningJob)
                .where(ScreeningJob.id == job_id)
                .values(done=done, total=total, updated_at=utcnow())
            )

    return report


def _run(factory: sessionmaker[Session], job_id: int, stop: threading.Event | None) -> None:
    with factory() as session:
        job = session.get(ScreeningJob, job_id)
        assert job is not None
        principal = _starter(job)
        register = get_visible(session, Register, job.register_id, principal)
        notices = [service.notice_person(n) for n in service.active_notices(session, principal)]
        records = [
            service.record_person(r)
            for r in session.execute(
                sa.select(*service.RECORD_FACTS).where(RegisterRecord.register_id == register.id)
            )
        ]
        threshold, engine = job.threshold, job.engine
    with transaction(factory) as session:
        session.execute(
            sa.update(ScreeningJob)
            .where(ScreeningJob.id == job_id)
            .values(notices=len(notices), records=len(records), total=len(notices))
        )
    hits = engines.screen(
        notices, records, threshold, progress=_progress(factory, job_id, stop), engine=engine
    )
    if stop is not None and stop.is_set():
        raise Interrupted
    with transaction(factory) as session:
        _store(session, job_id, principal, hits)


def _store(session: Session, job_id: int, principal: Principal, hits: list[engines.Hit]) -> None:
    """The job's hits, with the decisions of earlier jobs carried over, in one go.

    Earlier pending hits of the pairs found again are deleted first, each only while still
    pending (a decision committed meanwhile keeps its row), then the decisions are read: a
    decision is carried over only if neither the notice nor the record changed after it."""
    job = session.get(ScreeningJob, job_id)
    assert job is not None
    found = {(int(h.notice_id), int(h.record_id)): h for h in hits}
    earlier = (
        sa.select(ScreeningHit)
        .join(ScreeningJob, ScreeningJob.id == ScreeningHit.job_id)
        .where(
            ScreeningJob.owner_agency_id == job.owner_agency_id,
            ScreeningJob.register_id == job.register_id,
            ScreeningHit.job_id != job_id,
        )
    )
    pending = [
        old.id
        for old in session.scalars(earlier.where(ScreeningHit.status == HitStatus.PENDING))
        if (old.notice_id, old.record_id) in found
    ]
    replaced = 0
    for part in range(0, len(pending), 500):
        result = session.execute(
            sa.delete(ScreeningHit)
            .where(
                ScreeningHit.id.in_(pending[part : part + 500]),
                ScreeningHit.status == HitStatus.PENDING,
            )
            .execution_options(synchronize_session=False)
        )
        replaced += cast(CursorResult[Any], result).rowcount
    decided: dict[tuple[int, int], ScreeningHit] = {}
    for old in session.scalars(
        earlier.where(ScreeningHit.status != HitStatus.PENDING)
        .options(selectinload(ScreeningHit.notice), selectinload(ScreeningHit.record))
        .order_by(ScreeningHit.reviewed_at.asc(), ScreeningHit.id)
    ):
        pair = (old.notice_id, old.record_id)
        changed = max(old.notice.updated_at, old.record.updated_at)
        if pair in found and old.reviewed_at is not None and old.reviewed_at >= changed:
            decided[pair] = old  # the latest decision last
    rows = []
    for (notice_id, record_id), hit in found.items():
        prior = decided.get((notice_id, record_id))
        row = {
            "job_id": job_id,
            "notice_id": notice_id,
            "record_id": record_id,
            "score": hit.score,
            "reasons": hit.reasons,
            "band": hit.band,
            "rivals": hit.rivals,
            "status": HitStatus.PENDING,
            "reviewer_id": None,
            "reviewer": None,
            "reviewed_at": None,
            "decision_reason": None,
            "carried_from_id": None,
        }
        if prior is not None:
            row |= {
                "status": prior.status,
                "reviewer_id": prior.reviewer_id,
                "reviewer": prior.reviewer,
                "reviewed_at": prior.reviewed_at,
                "decision_reason": prior.decision_reason,
                "carried_from_id": prior.id,
            }
        rows.append(row)
    if rows:
        session.execute(sa.insert(ScreeningHit), rows)
    job.status, job.finished_at = JobStatus.DONE, utcnow()
    job.done = job.total
    job.hits = len(rows)
    job.decided_hits = sum(1 for pair in found if pair in decided)
    job.new_hits = job.hits - job.decided_hits
    audit.record(
        session,
        Action.JOB_FINISHED,
        principal=principal,
        object_type="screening_jobs",
        object_id=job_id,
        detail={"hits": job.hits, "pending": job.new_hits, "replaced": replaced},
    )


def recover(factory: sessionmaker[Session]) -> int:
    """At process start: jobs still queued or running were cut short. Returns how many."""
    with transaction(factory) as session:
        stale = list(
            session.scalars(
                sa.select(ScreeningJob).where(
                    ScreeningJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING))
                )
            )
        )
        for job in stale:
            job.status, job.finished_at = JobStatus.INTERRUPTED, utcnow()
            job.error = "the server stopped before the job ended; start it again"
            audit.record(
                session,
                Action.JOB_FAILED,
                principal=_starter(job),
                object_type="screening_jobs",
                object_id=job.id,
                detail={"status": JobStatus.INTERRUPTED.value, "at": "start"},
            )
    return len(stale)


class JobRunner:
    """The app's background screenings: one worker thread, jobs run in order."""

    def __init__(self, factory: sessionmaker[Session], workers: int = 1) -> None:
        self.factory = factory
        self.stop = threading.Event()
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="screening")
        self._futures: list[Future[None]] = []

    def submit(self, job_id: int) -> None:
        self._futures = [f for f in self._futures if not f.done()]
        self._futures.append(self._pool.submit(run, self.factory, job_id, self.stop))

    def wait(self, timeout: float | None = None) -> None:
        """Until the submitted jobs have ended (tests; a clean stop)."""
        wait(self._futures, timeout=timeout)

    def shutdown(self) -> None:
        """Interrupt the running job at its next progress report; drop queued ones (they
        stay `queued` and become `interrupted` at the next start)."""
        self.stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
