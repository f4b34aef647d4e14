"""Deadline arithmetic with an injected clock: boundaries, pauses, extensions, the
coercive rhythm, and the order lists show requests in."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoptac.assistance.deadlines import (
    Deadline,
    DeadlineName,
    Facts,
    deadlines,
    extend,
    most_urgent,
    sort_key,
)
from hoptac.assistance.states import COERCIVE, RequestKind, RequestPriority
from hoptac.errors import InvalidInput

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
TICK = timedelta(seconds=1)
ACK, ANSWER, DECIDE, EXECUTE = (
    DeadlineName.ACKNOWLEDGE,
    DeadlineName.ANSWER,
    DeadlineName.DECIDE,
    DeadlineName.EXECUTE,
)
TARGETS = {  # the specification, written out: (acknowledge, answer)
    RequestPriority.P1: (timedelta(hours=1), timedelta(hours=8)),
    RequestPriority.P2: (timedelta(hours=4), timedelta(days=3)),
    RequestPriority.P3: (timedelta(hours=24), timedelta(days=7)),
}


def by_name(facts: Facts, now: datetime) -> dict[DeadlineName, Deadline]:
    return {d.name: d for d in deadlines(facts, now)}


@pytest.mark.parametrize("priority", list(RequestPriority))
def test_acknowledge_and_answer_at_the_exact_boundaries(priority: RequestPriority) -> None:
    ack_within, answer_within = TARGETS[priority]
    facts = Facts(priority, RequestKind.LOCATE, received_at=T0)

    ack = by_name(facts, T0 + ack_within - TICK)[ACK]
    assert ack.due == T0 + ack_within
    assert not ack.overdue and ack.near and ack.remaining == TICK
    assert not by_name(facts, T0 + ack_within)[ACK].overdue  # due is still in time
    late = by_name(facts, T0 + ack_within + TICK)[ACK]
    assert late.overdue and not late.near and late.remaining == -TICK
    assert late.urgent is (priority is RequestPriority.P1)

    acked = Facts(priority, RequestKind.LOCATE, received_at=T0, acknowledged_at=T0 + TICK)
    before = by_name(acked, T0 + answer_within - TICK)
    assert before[ACK].met_at == T0 + TICK and not before[ACK].overdue
    assert before[ANSWER].due == T0 + answer_within
    assert not before[ANSWER].overdue and before[ANSWER].near
    after = by_name(acked, T0 + answer_within + TICK)[ANSWER]
    assert after.overdue and after.urgent is (priority is RequestPriority.P1)

    # Near means less than a quarter of the window left.
    quarter = answer_within / 4
    assert not by_name(acked, T0 + answer_within - quarter)[ANSWER].near
    assert by_name(acked, T0 + answer_within - quarter + TICK)[ANSWER].near


def test_nothing_runs_before_receipt_and_a_met_deadline_stays_met() -> None:
    sent = Facts(RequestPriority.P1, RequestKind.LOCATE)
    assert all(d.due is None and not d.overdue for d in deadlines(sent, T0))
    done = Facts(
        RequestPriority.P1,
        RequestKind.LOCATE,
        received_at=T0,
        acknowledged_at=T0 + timedelta(hours=2),
        answered_at=T0 + timedelta(hours=3),
    )
    ds = by_name(done, T0 + timedelta(days=30))
    assert not ds[ACK].overdue and ds[ACK].late and ds[ACK].remaining is None
    assert not ds[ANSWER].overdue and not ds[ANSWER].late
    assert most_urgent(list(ds.values())) is None


def test_a_refusal_meets_the_answer_clock_of_a_non_coercive_request() -> None:
    refused = Facts(
        RequestPriority.P2,
        RequestKind.VERIFY_IDENTITY,
        received_at=T0,
        acknowledged_at=T0,
        decided_at=T0 + timedelta(hours=5),
        refused=True,
    )
    answer = by_name(refused, T0 + timedelta(days=10))[ANSWER]
    assert answer.met_at == T0 + timedelta(hours=5) and not answer.overdue


def test_a_pause_shifts_both_deadlines_and_nothing_is_overdue_while_paused() -> None:
    asked = T0 + timedelta(minutes=30)
    open_pause = Facts(
        RequestPriority.P1, RequestKind.LOCATE, received_at=T0, pauses=[(asked, None)]
    )
    for hours in (1, 5, 9, 100):  # long past both targets, still waiting for the answer
        now = T0 + timedelta(hours=hours)
        ds = by_name(open_pause, now)
        for d in ds.values():
            assert d.paused and not d.overdue, (hours, d)
            assert d.due == {ACK: T0 + timedelta(hours=1), ANSWER: T0 + timedelta(hours=8)}[
                d.name
            ] + (now - asked)

    given_at = asked + timedelta(hours=3)
    closed_pause = Facts(
        RequestPriority.P1, RequestKind.LOCATE, received_at=T0, pauses=[(asked, given_at)]
    )
    ds = by_name(closed_pause, given_at + TICK)
    assert ds[ACK].due == T0 + timedelta(hours=4) and ds[ANSWER].due == T0 + timedelta(hours=11)
    assert not any(d.paused for d in ds.values())
    assert by_name(closed_pause, T0 + timedelta(hours=11) + TICK)[ANSWER].overdue


def test_a_pause_after_a_deadline_is_met_or_missed_does_not_move_it() -> None:
    acked = T0 + timedelta(minutes=10)
    facts = Facts(
        RequestPriority.P1,
        RequestKind.LOCATE,
        received_at=T0,
        acknowledged_at=acked,
        pauses=[(T0 + timedelta(hours=9), None)],  # asked after the 8 h answer target
    )
    ds = by_name(facts, T0 + timedelta(hours=12))
    assert ds[ACK].due == T0 + timedelta(hours=1) and ds[ACK].met_at == acked
    assert ds[ANSWER].due == T0 + timedelta(hours=8) and ds[ANSWER].overdue


def test_an_extension_moves_a_deadline() -> None:
    facts = Facts(RequestPriority.P2, RequestKind.LOCATE, received_at=T0, acknowledged_at=T0)
    now = T0 + timedelta(days=2)
    new_due = T0 + timedelta(days=5)
    ext = extend(facts, ANSWER, new_due, "  the witness is abroad ", now)
    assert ext.due == new_due and ext.reason == "the witness is abroad" and ext.at == now
    extended = replace(facts, extensions=[ext])
    answer = by_name(extended, T0 + timedelta(days=4))[ANSWER]
    assert answer.due == new_due and not answer.overdue
    # Non-coercive deadlines may be extended again.
    extend(extended, ANSWER, new_due + timedelta(days=1), "again", now)


def test_an_extension_in_the_past_or_not_later_is_refused() -> None:
    facts = Facts(RequestPriority.P2, RequestKind.LOCATE, received_at=T0, acknowledged_at=T0)
    now = T0 + timedelta(days=2)
    with pytest.raises(InvalidInput) as e:
        extend(facts, ANSWER, now - TICK, "late", now)
    assert e.value.status == 422
    assert [(f.field, "past" in f.message) for f in e.value.errors] == [("due", True)]
    with pytest.raises(InvalidInput) as e:
        extend(facts, ANSWER, T0 + timedelta(days=3), "same day", now)
    assert [(f.field, "not later" in f.message) for f in e.value.errors] == [("due", True)]
    with pytest.raises(InvalidInput) as e:
        extend(facts, ANSWER, T0 + timedelta(days=9), "  ", now)
    assert [f.field for f in e.value.errors] == ["reason"]
    with pytest.raises(InvalidInput):  # met
        extend(facts, ACK, T0 + timedelta(days=9), "why", now)
    with pytest.raises(InvalidInput):  # a non-coercive request has no decide deadline
        extend(facts, DECIDE, T0 + timedelta(days=9), "why", now)


@pytest.mark.parametrize("kind", sorted(COERCIVE))
def test_coercive_kinds_decide_in_30_days_and_execute_in_90_after_acceptance(
    kind: RequestKind,
) -> None:
    received = Facts(RequestPriority.P3, kind, received_at=T0, acknowledged_at=T0)
    ds = by_name(received, T0 + timedelta(days=1))
    assert set(ds) == {ACK, DECIDE, EXECUTE}
    assert ds[DECIDE].due == T0 + timedelta(days=30)
    assert ds[EXECUTE].due is None and not ds[EXECUTE].overdue  # not accepted yet
    assert not by_name(received, T0 + timedelta(days=30))[DECIDE].overdue
    assert by_name(received, T0 + timedelta(days=30) + TICK)[DECIDE].overdue

    accepted_at = T0 + timedelta(days=20)
    accepted = Facts(
        RequestPriority.P3, kind, received_at=T0, acknowledged_at=T0, decided_at=accepted_at
    )
    ds = by_name(accepted, T0 + timedelta(days=60))
    assert ds[DECIDE].met_at == accepted_at
    assert ds[EXECUTE].due == accepted_at + timedelta(days=90) and not ds[EXECUTE].overdue
    assert by_name(accepted, accepted_at + timedelta(days=90) + TICK)[EXECUTE].overdue

    refused = replace(accepted, refused=True)
    assert by_name(refused, T0 + timedelta(days=365))[EXECUTE].due is None


def test_the_decide_deadline_is_extended_once_only() -> None:
    facts = Facts(RequestPriority.P2, RequestKind.ARREST, received_at=T0, acknowledged_at=T0)
    now = T0 + timedelta(days=25)
    first = extend(facts, DECIDE, T0 + timedelta(days=50), "the court sits on day 45", now)
    once = replace(facts, extensions=[first])
    assert by_name(once, T0 + timedelta(days=40))[DECIDE].due == T0 + timedelta(days=50)
    with pytest.raises(InvalidInput) as e:
        extend(once, DECIDE, T0 + timedelta(days=60), "again", T0 + timedelta(days=45))
    assert [f.field for f in e.value.errors] == ["deadline"]


def test_lists_put_urgent_then_overdue_then_near_then_by_due() -> None:
    now = T0 + timedelta(days=1)

    def request(priority: RequestPriority, received: timedelta) -> Deadline | None:
        facts = Facts(priority, RequestKind.LOCATE, received_at=now - received)
        return most_urgent(deadlines(facts, now))

    p1_overdue = request(RequestPriority.P1, timedelta(hours=2))
    p3_overdue = request(RequestPriority.P3, timedelta(hours=30))
    p2_near = request(RequestPriority.P2, timedelta(hours=3, minutes=30))
    p3_fresh = request(RequestPriority.P3, timedelta(minutes=1))
    p2_fresh = request(RequestPriority.P2, timedelta(minutes=1))
    nothing = most_urgent(deadlines(Facts(RequestPriority.P1, RequestKind.LOCATE), now))
    assert p1_overdue is not None and p1_overdue.urgent
    assert p3_overdue is not None and p3_overdue.overdue and not p3_overdue.urgent
    assert p2_near is not None and p2_near.near
    got = sorted([nothing, p3_fresh, p2_near, p2_fresh, p3_overdue, p1_overdue], key=sort_key)
    assert got == [p1_overdue, p3_overdue, p2_near, p2_fresh, p3_fresh, nothing]


def test_naive_moments_are_refused() -> None:
    with pytest.raises(ValueError):
        Facts(RequestPriority.P1, RequestKind.LOCATE, received_at=datetime(2025, 1, 1))
    with pytest.raises(ValueError):
        deadlines(Facts(RequestPriority.P1, RequestKind.LOCATE), datetime(2025, 1, 1))


@settings(max_examples=200, deadline=None)
@given(
    priority=st.sampled_from(list(RequestPriority)),
    kind=st.sampled_from(list(RequestKind)),
    asked=st.integers(0, 10 * 24 * 60),
    waited=st.one_of(st.none(), st.integers(0, 10 * 24 * 60)),
    later=st.integers(0, 40 * 24 * 60),
)
def test_while_paused_nothing_becomes_overdue(
    priority: RequestPriority, kind: RequestKind, asked: int, waited: int | None, later: int
) -> None:
    """Any deadline running when the question is asked is not overdue while it waits, and
    a pause only ever moves a deadline later, by at most the paused time."""
    start = T0 + timedelta(minutes=asked)
    end = None if waited is None else start + timedelta(minutes=waited)
    now = (
        start + timedelta(minutes=later)
        if end is None
        else max(end, start) + timedelta(minutes=later)
    )
    plain = Facts(priority, kind, received_at=T0)
    paused = Facts(priority, kind, received_at=T0, pauses=[(start, end)])
    at_question = by_name(plain, start)
    for d in deadlines(paused, now):
        before = by_name(plain, now)[d.name]
        if d.name is EXECUTE:  # not accepted: not running
            assert d.due is None and before.due is None
            continue
        assert d.due is not None and before.due is not None
        paused_for = (end or now) - start
        assert before.due <= d.due <= before.due + paused_for
        if end is None and not at_question[d.name].overdue and d.due > start:
            assert not d.overdue and d.paused
