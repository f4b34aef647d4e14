"""The service levels between this node's agency and each partner: open and overdue
requests, and how long acknowledging and answering took, per quarter, both ways (what we
owe them: requests we received; what they owe us: requests we sent). The figure a liaison
chief takes to the next bilateral talks.

Times run from receipt (the `deliver` step: when the receiving node stored the request)
to the acknowledgement and to the full answer; a refused request is counted as refused,
not as answered. Paused time (more information awaited) is not taken out: the figure is
the partner's experience of waiting."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac.assistance.service import overdue_clause, require_liaison
from hoptac.assistance.states import Side, State
from hoptac.auth.principal import Principal
from hoptac.db.models import AssistanceRequest, Peer, RequestEvent

WE_OWE, THEY_OWE = "we_owe", "they_owe"  # by this node's side: receiving, requesting
DIRECTION = {Side.RECEIVING.value: WE_OWE, Side.REQUESTING.value: THEY_OWE}


@dataclass
class Line:
    """One partner, one direction, one quarter (or "open" for the counts of today)."""

    peer: str
    peer_name: str
    direction: str
    quarter: str
    requests: int = 0
    open: int = 0
    overdue: int = 0
    refused: int = 0
    acknowledged: int = 0
    answered: int = 0
    ack_median_hours: float | None = None
    ack_p90_hours: float | None = None
    answer_median_hours: float | None = None
    answer_p90_hours: float | None = None


def quarter(at: datetime) -> str:
    return f"{at.year}-Q{(at.month - 1) // 3 + 1}"


def _kth(
    session: Session, column: str, group: tuple[Any, ...], share: float, count: int
) -> int | None:
    """SQLite: the nearest-rank `share` of a group's `column` (`ack_seconds` or
    `answer_seconds`), one seek along the service-level index. Straight through the
    driver: built by SQLAlchemy, the 1,280 seeks of 100,000 requests cost 0.4 s."""
    assert column in ("ack_seconds", "answer_seconds")
    sql = (
        f"SELECT {column} FROM assistance_requests WHERE agency_id = ? AND peer_id = ? "
        f"AND side = ? AND quarter = ? AND {column} IS NOT NULL ORDER BY {column} "
        "LIMIT 1 OFFSET ?"
    )
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(sql, (*group, math.ceil(share * count) - 1))
        found = cursor.fetchone()
    finally:
        cursor.close()
    return None if found is None else int(found[0])


def levels(
    session: Session, principal: Principal, now: datetime | None = None, year: int | None = None
) -> list[Line]:
    """The service levels per partner, direction and quarter (the year's, or every one),
    the lines sorted by partner, direction, quarter. Counts of open and overdue requests
    (today's) are on each partner's and direction's line of the current quarter."""
    node = require_liaison(session, principal)
    now = now or datetime.now(UTC)
    mine = AssistanceRequest.agency_id == node.agency_id
    names = {p.id: (p.node_id, p.name) for p in session.scalars(sa.select(Peer))}
    lines: dict[tuple[int, str, str], Line] = {}

    def line(peer_id: int, side: str, q: str) -> Line:
        key = (peer_id, DIRECTION[side], q)
        if key not in lines:
            node_id, name = names[peer_id]
            lines[key] = Line(node_id, name, DIRECTION[side], q)
        return lines[key]

    r = AssistanceRequest
    scope = [mine, r.quarter.is_not(None)]
    if year is not None:
        scope.append(r.quarter.between(year * 10 + 1, year * 10 + 4))

    def name(q: int | None) -> str:
        return f"{int(q or 0) // 10}-Q{int(q or 0) % 10}"

    group = (r.peer_id, r.side, r.quarter)
    metrics = (("ack", r.ack_seconds), ("answer", r.answer_seconds))
    shares = ((0.5, "median"), (0.9, "p90"))
    postgresql = session.get_bind().dialect.name == "postgresql"
    columns: list[Any] = [
        sa.func.count(),
        sa.func.count(r.ack_seconds),
        sa.func.count(r.answer_seconds),
    ]
    if postgresql:  # nearest rank is percentile_disc, one ordered-set aggregate per figure
        columns += [
            sa.func.percentile_disc(share).within_group(value)
            for _, value in metrics
            for share, _ in shares
        ]
    counted = sa.select(*group, *columns).where(*scope).group_by(*group)
    for peer_id, side, q, n, acked, answered, *ranked in session.execute(counted):
        item = line(peer_id, side, name(q))
        item.requests, item.acknowledged, item.answered = int(n), int(acked), int(answered)
        figures = iter(ranked)
        for metric, value in metrics:
            measured = int(acked) if metric == "ack" else int(answered)
            for share, label in shares:
                if postgresql:
                    seconds = next(figures)
                elif measured:  # SQLite: the k-th value of the group, read along the index
                    seconds = _kth(
                        session, value.key, (node.agency_id, peer_id, side, q), share, measured
                    )
                else:
                    seconds = None
                hours = None if seconds is None else round(int(seconds) / 3600, 1)
                setattr(item, f"{metric}_{label}_hours", hours)
    refusals = (
        sa.select(r.peer_id, r.side, r.quarter, sa.func.count())
        .join(RequestEvent, RequestEvent.request_id == r.id)
        .where(*scope, RequestEvent.action == "refuse")
        .group_by(r.peer_id, r.side, r.quarter)
    )
    for peer_id, side, q, n in session.execute(refusals):
        line(peer_id, side, name(q)).refused = int(n)
    today = quarter(now)
    counts = sa.select(
        AssistanceRequest.peer_id,
        AssistanceRequest.side,
        sa.func.count(),
        sa.func.sum(sa.case((overdue_clause(now), 1), else_=0)),
    ).where(mine, AssistanceRequest.state != State.CLOSED)
    for peer_id, side, open_, overdue in session.execute(
        counts.group_by(AssistanceRequest.peer_id, AssistanceRequest.side)
    ):
        if year is None or year == now.year:
            item = line(peer_id, side, today)
            item.open, item.overdue = int(open_), int(overdue or 0)
    return sorted(lines.values(), key=lambda x: (x.peer, x.direction, x.quarter))


COLUMNS = (
    "peer", "peer_name", "direction", "quarter", "requests", "open", "overdue", "refused",
    "acknowledged", "answered", "ack_median_hours", "ack_p90_hours", "answer_median_hours",
    "answer_p90_hours",
)  # fmt: skip


def to_csv(lines: list[Line]) -> str:
    """The service levels as CSV (UTF-8, a header line), for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for item in lines:
        writer.writerow(["" if getattr(item, c) is None else getattr(item, c) for c in COLUMNS])
    return out.getvalue()
