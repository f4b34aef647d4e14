"""The deadlines of a request for assistance: pure arithmetic with an injected clock.

Every clock starts when the receiving node stored the request (`received_at`); `now` is
always a parameter and every datetime is timezone-aware.

- Every request: **acknowledge** within P1 1 h, P2 4 h, P3 24 h.
- A non-coercive request: **answer** within P1 8 h, P2 3 days, P3 7 days (Directive (EU)
  2023/977 art. 5(1), SIRENE practice). A refusal is an answer for this clock.
- A coercive request (`states.COERCIVE`) follows the European Investigation Order
  (Directive 2014/41/EU art. 12) instead of the answer target: **decide** (accept or
  refuse) within 30 days of receipt, extendable once with a reason, and **execute**
  (answer) within 90 days of acceptance.

A request for more information stops the clocks: every deadline not yet met moves by the
paused time (an open pause counts up to `now`, so nothing becomes overdue while paused).
A pause that starts after a deadline has already passed does not rescue it. An extension
sets a deadline's due date from the moment it is granted; pauses after it move it again.

Overdue is a flag computed here, never a state of the request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from hoptac.assistance.states import COERCIVE, RequestKind, RequestPriority
from hoptac.errors import FieldError, InvalidInput


class DeadlineName(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ANSWER = "answer"  # non-coercive kinds
    DECIDE = "decide"  # coercive kinds: accept or refuse
    EXECUTE = "execute"  # coercive kinds: answer, counted from acceptance


DEADLINE_LABEL: dict[DeadlineName, tuple[str, str]] = {  # Vietnamese, English
    DeadlineName.ACKNOWLEDGE: ("Tiếp nhận", "Acknowledge"),
    DeadlineName.ANSWER: ("Trả lời", "Answer"),
    DeadlineName.DECIDE: ("Quyết định", "Decide"),
    DeadlineName.EXECUTE: ("Thực hiện", "Execute"),
}

ACKNOWLEDGE_WITHIN: dict[RequestPriority, timedelta] = {
    RequestPriority.P1: timedelta(hours=1),
    RequestPriority.P2: timedelta(hours=4),
    RequestPriority.P3: timedelta(hours=24),
}
ANSWER_WITHIN: dict[RequestPriority, timedelta] = {
    RequestPriority.P1: timedelta(hours=8),
    RequestPriority.P2: timedelta(days=3),
    RequestPriority.P3: timedelta(days=7),
}
DECIDE_WITHIN = timedelta(days=30)
EXECUTE_WITHIN = timedelta(days=90)
DECIDE_EXTENSIONS = 1  # a coercive request's decide deadline may be extended once
NEAR_SHARE = 0.25  # "near": less than this share of the window is left

Pause = tuple[datetime, datetime | None]  # more information asked (start) → given (end)


@dataclass(frozen=True)
class Extension:
    """A deadline moved to `due` for `reason`, granted at `at`."""

    deadline: DeadlineName
    due: datetime
    reason: str
    at: datetime


@dataclass(frozen=True)
class Facts:
    """What the deadlines of one request depend on. `decided_at`: when it was accepted
    or refused (`refused` says which); `answered_at`: the full answer (a partial one
    meets nothing)."""

    priority: RequestPriority
    kind: RequestKind
    received_at: datetime | None = None
    acknowledged_at: datetime | None = None
    decided_at: datetime | None = None
    refused: bool = False
    answered_at: datetime | None = None
    pauses: Sequence[Pause] = ()
    extensions: Sequence[Extension] = ()

    def __post_init__(self) -> None:
        moments = [self.received_at, self.acknowledged_at, self.decided_at, self.answered_at]
        moments += [m for p in self.pauses for m in p]
        moments += [m for e in self.extensions for m in (e.due, e.at)]
        for m in moments:
            _aware(m)


@dataclass(frozen=True)
class Deadline:
    """One deadline as of `now`. `due` is None while its clock has not started (nothing
    received yet; execute before acceptance, or after a refusal). `remaining` (None when
    met or not started) is negative when overdue. `urgent`: an overdue P1, shown as
    urgent to both sides. `late`: met, but after it was due."""

    name: DeadlineName
    due: datetime | None
    met_at: datetime | None
    overdue: bool
    near: bool
    paused: bool
    remaining: timedelta | None
    start: datetime | None = None
    late: bool = False
    urgent: bool = False


def _aware(moment: datetime | None) -> None:
    if moment is not None and moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no timezone: every moment must be aware")


def names(kind: RequestKind) -> tuple[DeadlineName, ...]:
    """The deadlines a request of this kind has, in the order they fall."""
    if kind in COERCIVE:
        return (DeadlineName.ACKNOWLEDGE, DeadlineName.DECIDE, DeadlineName.EXECUTE)
    return (DeadlineName.ACKNOWLEDGE, DeadlineName.ANSWER)


def _clock(facts: Facts, name: DeadlineName) -> tuple[datetime | None, timedelta, datetime | None]:
    """(start, window, met_at) of one deadline."""
    p, received = facts.priority, facts.received_at
    if name is DeadlineName.ACKNOWLEDGE:
        return received, ACKNOWLEDGE_WITHIN[p], facts.acknowledged_at
    if name is DeadlineName.ANSWER:
        met = facts.answered_at
        if met is None and facts.refused:
            met = facts.decided_at
        return received, ANSWER_WITHIN[p], met
    if name is DeadlineName.DECIDE:
        return received, DECIDE_WITHIN, facts.decided_at
    start = None if facts.refused or received is None else facts.decided_at
    return start, EXECUTE_WITHIN, facts.answered_at


def _deadline(facts: Facts, name: DeadlineName, now: datetime) -> Deadline:
    start, window, met_at = _clock(facts, name)
    if start is None:
        return Deadline(name, None, met_at, False, False, False, None)
    granted = [e for e in facts.extensions if e.deadline is name]
    if granted:
        latest = max(granted, key=lambda e: e.at)
        due, counted_from = latest.due, latest.at
    else:
        due, counted_from = start + window, start
    until = met_at if met_at is not None else now
    paused = False
    for p_start, p_end in sorted(facts.pauses, key=lambda p: p[0]):
        begin = max(p_start, counted_from)
        if begin >= due:  # the deadline had passed (or was met) before this pause
            continue
        if p_end is None and met_at is None:
            paused = True
        end = min(p_end if p_end is not None else now, until)
        if end > begin:
            due += end - begin
    if met_at is not None:
        return Deadline(name, due, met_at, False, False, False, None, start, late=met_at > due)
    remaining = due - now
    overdue = now > due
    near = not overdue and remaining < (due - start) * NEAR_SHARE
    urgent = overdue and facts.priority is RequestPriority.P1
    return Deadline(name, due, None, overdue, near, paused, remaining, start, urgent=urgent)


def deadlines(facts: Facts, now: datetime) -> list[Deadline]:
    """The request's deadlines as of `now`, in the order of `names(kind)`."""
    _aware(now)
    return [_deadline(facts, name, now) for name in names(facts.kind)]


def extend(
    facts: Facts, deadline: DeadlineName, due: datetime, reason: str, now: datetime
) -> Extension:
    """A checked extension of `deadline` to `due` (the service stores it in `extensions`).
    Refused with `InvalidInput` (422): an empty reason; `due` not after `now` or not after
    the current due date; a deadline the request does not have, has not started or has
    met; a coercive request's decide deadline extended a second time."""
    _aware(now)
    errors: list[FieldError] = []
    if not reason.strip():
        errors.append(FieldError("reason", "is required"))
    if deadline not in names(facts.kind):
        errors.append(FieldError("deadline", f"a '{facts.kind}' request has no '{deadline}'"))
        raise InvalidInput(f"'{deadline}' cannot be extended", errors=errors)
    current = _deadline(facts, deadline, now)
    if current.due is None:
        errors.append(FieldError("deadline", f"'{deadline}' has not started"))
    elif current.met_at is not None:
        errors.append(
            FieldError("deadline", f"'{deadline}' was met; a met deadline cannot be extended")
        )
    elif deadline is DeadlineName.DECIDE and (
        sum(e.deadline is deadline for e in facts.extensions) >= DECIDE_EXTENSIONS
    ):
        errors.append(
            FieldError("deadline", "a coercive request's decision may be extended only once")
        )
    if due.tzinfo is None:
        errors.append(FieldError("due", "must carry a timezone"))
    elif due <= now:
        errors.append(FieldError("due", f"is in the past (now is {now.isoformat()})"))
    elif current.due is not None and due <= current.due:
        errors.append(
            FieldError("due", f"is not later than the current due date {current.due.isoformat()}")
        )
    if errors:
        raise InvalidInput(f"'{deadline}' cannot be extended (see errors)", errors=errors)
    return Extension(deadline, due, reason.strip(), now)


_NEVER = datetime.max.replace(tzinfo=UTC)


def sort_key(deadline: Deadline | None) -> tuple[int, datetime]:
    """Orders deadlines (or requests by their `most_urgent` deadline) for a list: overdue
    P1 first, then overdue, then near, then running, then those with nothing running;
    within each, the earliest due first."""
    if deadline is None or deadline.due is None or deadline.met_at is not None:
        return (4, _NEVER)
    if deadline.urgent:
        rank = 0
    elif deadline.overdue:
        rank = 1
    elif deadline.near:
        rank = 2
    else:
        rank = 3
    return (rank, deadline.due)


def most_urgent(items: Sequence[Deadline]) -> Deadline | None:
    """The running deadline to show for a request (see `sort_key`); None when none runs."""
    running = [d for d in items if d.due is not None and d.met_at is None]
    return min(running, key=sort_key, default=None)
