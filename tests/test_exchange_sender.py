"""The sender against a partner that answers 429, 503 or nothing, and a burst of messages:
it obeys Retry-After, never counts a 429 as a failure, keeps its backoff in the database
(a restarted sender waits as the old one would have), and sends a burst in one POST.

Node A (the backend under test) sends; node B (SQLite) answers through an httpx
MockTransport that calls its inbox service, or refuses as the test says."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from hoptac.db.engine import transaction
from hoptac.db.models import EnvelopeRow, Peer
from hoptac.exchange import delivery, inbox
from tests.helpers.exchange import Node, two_nodes
from tests.helpers.exchange import send as _send

START = datetime(2026, 12, 7, 9, 0, 0)


@pytest.fixture
def nodes(backend: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    with two_nodes(backend, tmp_path) as pair:
        yield pair


class Partner:
    """B's inbox behind a MockTransport: answers as B would, unless told to refuse."""

    def __init__(self, b: Node) -> None:
        self.b = b
        self.posts: list[int] = []  # envelopes in each POST that reached the inbox
        self.refuse: httpx.Response | None = None
        self.answer_only: int | None = None  # answer the first N envelopes, leave the rest
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if self.refuse is not None:
            return self.refuse
        envelopes = json.loads(request.content)["envelopes"][: self.answer_only]
        with self.lock, transaction(self.b.factory) as s:
            received = inbox.receive(s, self.b.keys, envelopes)
        self.posts.append(len(envelopes))
        return httpx.Response(
            200, json={"receipts": received.receipts, "rejected": received.rejected}
        )


def _sender(
    a: Node, partner: Partner, clock: Callable[[], datetime], **kw: float
) -> delivery.Sender:
    return delivery.Sender(
        a.factory,
        transport=httpx.MockTransport(partner),
        clock=clock,
        **kw,
    )


def _peer(a: Node) -> Peer:
    with a.factory() as s:
        peer = s.scalar(sa.select(Peer))
        assert peer is not None
        return peer


def _outbox(a: Node) -> list[tuple[str, int]]:
    with a.factory() as s:
        return [
            (r.status, r.attempts)
            for r in s.scalars(
                sa.select(EnvelopeRow)
                .where(EnvelopeRow.direction == "out")
                .order_by(EnvelopeRow.seq)
            )
        ]


def test_a_429_is_waited_out_as_the_partner_says_and_is_no_failure(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    partner = Partner(b)
    now = [START]
    for _ in range(3):
        _send(a, b)
    partner.refuse = httpx.Response(
        429, headers={"Retry-After": "7"}, json={"status": 429, "detail": "slow down"}
    )
    assert _sender(a, partner, lambda: now[0]).run_once() == 0
    peer = _peer(a)
    assert peer.failures == 0  # not a failing peer
    assert peer.retry_at == START + timedelta(seconds=7)
    assert "HTTP 429" in (peer.last_error or "")
    assert _outbox(a) == [("queued", 0)] * 3  # no attempt counted: nothing was looked at

    # A restarted sender keeps the partner's word: nothing is posted before the 7 s
    partner.refuse = None
    now[0] = START + timedelta(seconds=6)
    restarted = _sender(a, partner, lambda: now[0])
    assert restarted.run_once() == 0 and partner.posts == []
    now[0] = START + timedelta(seconds=7)
    assert restarted.run_once() == 3 and partner.posts == [3]
    assert _outbox(a) == [("delivered", 1)] * 3
    peer = _peer(a)
    assert (peer.failures, peer.retry_at, peer.last_error) == (0, None, None)


def test_a_503_backs_off_at_least_its_retry_after_and_counts_as_a_failure(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    partner = Partner(b)
    _send(a, b)
    partner.refuse = httpx.Response(503, headers={"Retry-After": "120"}, text="maintenance")
    _sender(a, partner, lambda: START).run_once()
    peer = _peer(a)
    assert peer.failures == 1
    assert peer.retry_at is not None and peer.retry_at >= START + timedelta(seconds=120)
    assert _outbox(a) == [("sent", 1)]


def test_a_dead_partners_backoff_survives_a_restart_and_grows(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    _send(a, b)

    def dead(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    now = [START]
    waits = []
    for _ in range(4):  # each round a new sender, as after a restart of the node
        sender = delivery.Sender(
            a.factory, transport=httpx.MockTransport(dead), clock=lambda: now[0], max_backoff=60
        )
        assert sender.run_once() == 0
        peer = _peer(a)
        assert peer.retry_at is not None
        waits.append((peer.retry_at - now[0]).total_seconds())
        # before the backoff is over a new sender does not try at all
        assert delivery.Sender(a.factory, transport=httpx.MockTransport(dead),
                               clock=lambda: now[0]).run_once() == 0  # fmt: skip
        assert _peer(a).failures == len(waits)
        now[0] = peer.retry_at
    assert waits == sorted(waits) and waits[-1] > waits[0]  # exponential, jittered
    assert _outbox(a) == [("sent", 4)]
    assert "ConnectError" in (_peer(a).last_error or "")
    partner = Partner(b)
    assert _sender(a, partner, lambda: now[0]).run_once() == 1
    assert _peer(a).failures == 0


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert delivery.retry_after("7", START) == 7.0
    assert delivery.retry_after("Mon, 07 Dec 2026 09:00:30 GMT", START) == 30.0
    assert delivery.retry_after("Mon, 07 Dec 2026 08:00:00 GMT", START) == 0.0  # past
    assert delivery.retry_after("999999", START) == delivery.MAX_RETRY_AFTER
    assert delivery.retry_after("soon", START) is None
    assert delivery.retry_after(None, START) is None


def test_a_burst_queued_within_the_linger_travels_in_one_post(nodes: tuple[Node, Node]) -> None:
    """Thirty messages queued one by one, each waking the sender as the app does, go in
    at most two POSTs (not one each): the sender lets a burst gather before it posts."""
    a, b = nodes
    partner = Partner(b)
    sender = _sender(a, partner, delivery.utcnow, linger=0.5, poll=0.05)
    sender.start()
    try:
        for _ in range(30):
            _send(a, b)
            sender.wake()
        deadline = datetime.now() + timedelta(seconds=30)
        while _outbox(a) != [("delivered", 1)] * 30:
            assert datetime.now() < deadline, _outbox(a)
            threading.Event().wait(0.05)
    finally:
        sender.stop()
    assert sum(partner.posts) == 30 and len(partner.posts) <= 2, partner.posts


def test_a_partial_answer_is_no_failure_and_the_rest_goes_at_once(
    nodes: tuple[Node, Node],
) -> None:
    """A receiver that answers only part of a batch (a request no fresh envelope vouches
    for gets a bounded batch's work) is not failing: the sender goes on at once."""
    a, b = nodes
    partner = Partner(b)
    partner.answer_only = 2
    for _ in range(5):
        _send(a, b)
    sender = _sender(a, partner, lambda: START)
    rounds = 0
    while _outbox(a) != [("delivered", 1)] * 5:
        assert sender.run_once() > 0
        rounds += 1
        peer = _peer(a)
        assert (peer.failures, peer.retry_at) == (0, None)
    assert rounds == 3 and partner.posts == [2, 2, 1]


def test_a_garbled_retry_after_is_one_peers_failure_not_the_senders(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    _send(a, b)
    assert delivery.retry_after("\u00b2", START) is None  # a digit to isdigit(), not to float
    partner = Partner(b)
    partner.refuse = httpx.Response(429, headers={"Retry-After": "\u00b2".encode("latin-1")})
    _sender(a, partner, lambda: START).run_once()
    peer = _peer(a)
    assert peer.retry_at == START + timedelta(seconds=1)  # the default wait, no crash
