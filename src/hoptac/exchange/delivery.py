"""The sender: delivers the outbox, peer by peer, in order, until each envelope has the
receiver's signed receipt (or its refusal).

One thread per node process. For each peer with envelopes waiting, it takes the oldest
(up to `batch`, in `seq` order), POSTs them in one request to the peer's
`/exchange/v1/inbox` and settles the answer: receipts make them `delivered`, refusals
`rejected`. Once the outbox has run dry it waits `linger` before the next round, so that
what is queued meanwhile travels in one POST rather than one each (a backlog goes on at
once, a full batch at a time).

A failure (the peer down, a timeout, a 5xx, an answer with no valid receipt) marks the
envelopes `sent` (tried, not acknowledged) and backs that peer off exponentially with
jitter; the others go on. A 429 (the peer's allowance spent) is no failure: the sender
waits the peer's Retry-After and tries the same envelopes again, counting no attempt.
A 503's Retry-After lengthens its backoff. The backoff is the peer's row in the database
(`failures`, `retry_at`, `last_error`), like everything else the sender knows: a sender
killed at any point resumes from the outbox, its backoffs intact, and the receiver drops
what it already stored (by id) but acknowledges it again.

Given the node's keys, the sender also runs the outbox's producers (`outbox.produce`)
before a round, at most once every `produce_every` seconds and at once when woken: what
changed by any path since (a notice's new status) is queued and goes in that round.
"""

from __future__ import annotations

import fcntl
import logging
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import IO, Any

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from hoptac.db.models import EnvelopeRow, Peer, utcnow
from hoptac.exchange import identity, outbox
from hoptac.exchange.keys import NodeKeys

log = logging.getLogger(__name__)

INBOX = "/exchange/v1/inbox"
MAX_BATCH_BYTES = 1_500_000  # under the receiver's request limit (2 MiB by default)
TIMEOUT = httpx.Timeout(10.0, connect=2.0)
MAX_RETRY_AFTER = 3600.0  # seconds: a partner's Retry-After is honoured up to an hour
BUSY = (429, 503)  # answers whose Retry-After the sender obeys


class Sender:
    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        batch: int = 200,
        max_backoff: float = 30.0,
        poll: float = 0.05,
        linger: float = 0.025,
        transport: httpx.BaseTransport | None = None,
        lock: Path | None = None,
        clock: Callable[[], datetime] = utcnow,
        keys: NodeKeys | None = None,
        produce_every: float = 1.0,
    ) -> None:
        self.factory = factory
        self.keys = keys  # None: no producers run (the node's keys are not at hand)
        self.produce_every = produce_every
        self._produced_at = 0.0  # monotonic time of the producers' last run
        self.batch = batch
        self.max_backoff = max_backoff
        self.poll = poll
        self.linger = linger
        self.clock = clock  # naive UTC, as the database keeps times
        self.client = httpx.Client(timeout=TIMEOUT, transport=transport)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_path = lock
        self._lock_file: IO[bytes] | None = None
        self._backlog = False  # the last round left a full batch behind

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
        """Something was queued or changed: look now rather than at the next poll."""
        self._produced_at = 0.0
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
                moved, self._backlog = 0, False
            if self._backlog:
                continue  # more than a batch was waiting: straight on
            if not moved:
                self._wake.wait(self.poll)
                self._wake.clear()
            if self.linger:  # let the rest of a burst join the next POST
                self._stop.wait(self.linger)

    def run_once(self) -> int:
        """One round over the peers with envelopes due; returns how many were settled."""
        self._backlog = False
        self._run_producers()
        with self.factory() as session:
            due = [p.id for p in outbox.due_peers(session, self.clock())]
        return sum(self._deliver_isolated(peer_id) for peer_id in due)

    def _run_producers(self) -> None:
        if self.keys is None or time.monotonic() - self._produced_at < self.produce_every:
            return
        self._produced_at = time.monotonic()
        with self.factory() as session:
            queued = outbox.produce(session, self.keys)
            session.commit()
        if queued:
            log.info("sender: %d envelope(s) queued by the producers", queued)

    def _deliver_isolated(self, peer_id: int) -> int:
        """One peer's round; whatever goes wrong with it is that peer's failure (backed
        off), never a stop for the peers after it."""
        try:
            return self._deliver(peer_id)
        except Exception as exc:
            log.exception("sender: peer %d: unexpected error", peer_id)
            self._backlog = False
            try:
                return self._failed(peer_id, [], f"{type(exc).__name__}: {exc}")
            except Exception:  # the database itself: the loop's own handler retries
                return 0

    def _deliver(self, peer_id: int) -> int:
        with self.factory() as session:
            peer = session.get(Peer, peer_id)
            if peer is None:
                return 0
            # one envelope more than a batch: if it is left out (by count or by bytes),
            # more is waiting and the next round goes at once
            ahead = outbox.next_batch(session, peer, self.batch + 1, None)
            batch = outbox.cut(ahead, self.batch, MAX_BATCH_BYTES)
            if len(ahead) > len(batch):
                self._backlog = True
            if not batch:
                return 0
            url, wires, seqs = peer.url + INBOX, [r.wire for r in batch], [r.seq for r in batch]
        try:
            answer = self._post(url, wires)
        except _Busy as busy:
            if busy.status == 429:
                return self._deferred(peer_id, busy)
            return self._failed(peer_id, seqs, str(busy), busy.wait)
        except _Failed as exc:
            return self._failed(peer_id, seqs, str(exc))
        with self.factory() as session:
            peer = session.get(Peer, peer_id)
            rows = session.scalars(sa.select(EnvelopeRow).where(EnvelopeRow.seq.in_(seqs))).all()
            assert peer is not None
            settled = outbox.settle(session, peer, list(rows), answer)
            if not settled.pending and (peer.failures or peer.retry_at or peer.last_error):
                peer.failures, peer.retry_at, peer.last_error = 0, None, None
            session.commit()
        answered = set(settled.pending) - set(settled.unanswered)
        if answered or (settled.pending and not settled.delivered + settled.rejected):
            # curable refusals, unverified answers, or no progress at all: after a pause
            self._backlog = False
            self._failed(peer_id, settled.pending, "")
        elif settled.unanswered:  # the receiver took a part (a bounded batch): go on now
            self._backlog = True
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
        if response.status_code in BUSY:
            wait = retry_after(response.headers.get("retry-after"), self.clock())
            raise _Busy(
                f"HTTP {response.status_code}: {response.text[:200]}", response.status_code, wait
            )
        if response.status_code != 200:
            raise _Failed(f"HTTP {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError:
            raise _Failed("the answer is not JSON") from None

    def _deferred(self, peer_id: int, busy: _Busy) -> int:
        """The peer asked us to slow down (429): not a failure. Wait what it said (or, if
        it said nothing, a second), then send the same envelopes; no attempt counted."""
        self._backlog = False
        wait = busy.wait if busy.wait is not None else 1.0
        with self.factory() as session:
            peer = session.get(Peer, peer_id)
            if peer is not None:
                peer.retry_at = self.clock() + timedelta(seconds=wait)
                peer.last_error = str(busy)[:500]
                session.commit()
        log.info("sender: peer %d: %s; next try in %.2f s", peer_id, busy, wait)
        return 0

    def _failed(
        self, peer_id: int, seqs: list[int], error: str, at_least: float | None = None
    ) -> int:
        """Back the peer off (exponentially, with jitter; at least `at_least` seconds, a
        503's Retry-After) and mark the envelopes tried."""
        self._backlog = False
        with self.factory() as session:
            peer = session.get(Peer, peer_id)
            if peer is None:
                return 0
            seconds = outbox.retry_after(
                peer.failures, self.max_backoff, random.uniform(0.5, 1.0)
            ).total_seconds()
            seconds = max(seconds, at_least or 0.0)
            retry_at = self.clock() + timedelta(seconds=seconds)
            peer.failures += 1
            peer.retry_at = retry_at
            peer.last_error = (error or "envelopes not settled")[:500]
            outbox.mark_tried(session, seqs, error, retry_at)
            session.commit()
        log.info(
            "sender: peer %d: %s; next try in %.2f s",
            peer_id,
            error or "envelopes not settled",
            seconds,
        )
        return 0


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (RFC 9110: delay-seconds or an HTTP
    date), at most MAX_RETRY_AFTER; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is not None:
        when = identity.utc(when)
    return min(max(0.0, (when - now).total_seconds()), MAX_RETRY_AFTER)


class _Failed(Exception):
    pass


class _Busy(Exception):
    """429 or 503: the peer said when to come back (`wait`, seconds; None: it did not)."""

    def __init__(self, text: str, status: int, wait: float | None) -> None:
        super().__init__(text)
        self.status, self.wait = status, wait
