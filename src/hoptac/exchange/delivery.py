"""The sender: delivers the outbox, peer by peer, in order, until each envelope has the
receiver's signed receipt (or its refusal).

One thread per node process. For each peer with envelopes waiting, it takes the oldest
(up to `batch`, in `seq` order), POSTs them in one request to the peer's
`/exchange/v1/inbox` and settles the answer: receipts make them `delivered`, refusals
`rejected`. A failure (the peer down, a timeout, a 5xx, an answer with no valid receipt)
marks them `sent` (tried, not acknowledged) and backs that peer off exponentially with
jitter; the others go on. Nothing is held in
memory that the database does not have: a sender killed at any point resumes from the
outbox, and the receiver drops what it already stored (by id) but acknowledges it again.
"""

from __future__ import annotations

import fcntl
import logging
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hoptac.db.models import EnvelopeRow, Peer, utcnow
from hoptac.exchange import service

log = logging.getLogger(__name__)

INBOX = "/exchange/v1/inbox"
MAX_BATCH_BYTES = 1_500_000  # under the receiver's request limit (2 MiB by default)
TIMEOUT = httpx.Timeout(10.0, connect=2.0)


class Sender:
    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        batch: int = 200,
        max_backoff: float = 30.0,
        poll: float = 0.05,
        transport: httpx.BaseTransport | None = None,
        lock: Path | None = None,
    ) -> None:
        self.factory = factory
        self.batch = batch
        self.max_backoff = max_backoff
        self.poll = poll
        self.client = httpx.Client(timeout=TIMEOUT, transport=transport)
        self.failures: dict[int, int] = {}  # peer id -> consecutive failures
        self.wait_until: dict[int, float] = {}  # peer id -> monotonic time of next try
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_path = lock
        self._lock_file: IO[bytes] | None = None

    # -- the loop --------------------------------------------------------------------

    def start(self) -> bool:
        """Start sending, unless another process already sends for this node (`lock`:
        a file only one process at a time may hold, so that two senders never post the
        same outbox). Returns whether this one started."""
        if self._lock_path is not None:
            handle = self._lock_path.open("ab")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                log.warning("sender: another process sends for this node; this one will not")
                return False
            self._lock_file = handle
        self._thread = threading.Thread(target=self._run, name="hoptac-sender", daemon=True)
        self._thread.start()
        return True

    def wake(self) -> None:
        """Something was queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        self.client.close()
        if self._lock_file is not None:
            self._lock_file.close()  # releases the lock

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                moved = self.run_once()
            except Exception:  # the loop must outlive a bad moment (database busy...)
                log.exception("sender: round failed; retrying")
                moved = 0
            if not moved:
                self._wake.wait(self.poll)
                self._wake.clear()

    def run_once(self, now: Callable[[], float] = time.monotonic) -> int:
        """One round over the peers with envelopes due; returns how many were settled."""
        with self.factory() as session:
            due = [p for p in service.due_peers(session) if self.wait_until.get(p.id, 0.0) <= now()]
        return sum(self._deliver(peer_id, now) for peer_id in [p.id for p in due])

    def _deliver(self, peer_id: int, now: Callable[[], float]) -> int:
        with self.factory() as session:
            peer = session.get(Peer, peer_id)
            if peer is None:
                return 0
            batch = service.next_batch(session, peer, self.batch, MAX_BATCH_BYTES)
            if not batch:
                return 0
            url, wires, seqs = peer.url + INBOX, [r.wire for r in batch], [r.seq for r in batch]
        try:
            answer = self._post(url, wires)
        except _Failed as exc:
            return self._failed(peer_id, seqs, str(exc), now)
        with self.factory() as session:
            peer = session.get(Peer, peer_id)
            rows = session.scalars(sa.select(EnvelopeRow).where(EnvelopeRow.seq.in_(seqs))).all()
            assert peer is not None
            settled = service.settle(session, peer, list(rows), answer)
            session.commit()
        if settled.pending:  # curable refusals, unverified answers: again after a pause
            self._failed(peer_id, settled.pending, "", now)
        else:
            self.failures.pop(peer_id, None)
            self.wait_until.pop(peer_id, None)
        if settled.rejected:
            log.warning("sender: %d envelope(s) refused by peer %d", settled.rejected, peer_id)
        return settled.delivered + settled.rejected

    def _post(self, url: str, wires: list[bytes]) -> Any:
        body = b'{"envelopes":[' + b",".join(wires) + b"]}"
        try:
            response = self.client.post(
                url, content=body, headers={"content-type": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise _Failed(f"{type(exc).__name__}: {exc}") from None
        if response.status_code != 200:
            raise _Failed(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError:
            raise _Failed("the answer is not JSON") from None

    def _failed(self, peer_id: int, seqs: list[int], error: str, now: Callable[[], float]) -> int:
        failures = self.failures.get(peer_id, 0)
        self.failures[peer_id] = failures + 1
        delay = service.retry_after(failures, self.max_backoff, random.uniform(0.5, 1.0))
        self.wait_until[peer_id] = now() + delay.total_seconds()
        log.info(
            "sender: peer %d: %s; next try in %.2f s",
            peer_id,
            error or "envelopes not settled",
            delay.total_seconds(),
        )
        with self.factory() as session:
            service.mark_tried(session, seqs, error, utcnow() + delay)
            session.commit()
        return 0


class _Failed(Exception):
    pass
