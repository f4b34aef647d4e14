"""The state machine through the service layer, on two nodes: hypothesis takes random
steps (either node, any role, any action, with the details the action needs or without),
and each one must be accepted exactly when the machine allows it from the request's state
for that node's side and that person's role (the machine itself is checked against the
written-out spec in test_assistance_states.py). A refused step changes nothing; after
every accepted step the partner gets the envelopes, and both nodes hold the same state
and the same history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from hoptac.assistance import service, states
from hoptac.assistance.states import Action, RequestKind, Side, State
from hoptac.db.engine import transaction
from hoptac.errors import Conflict, Forbidden, HoptacError, InvalidInput
from hoptac.types import Role
from tests.helpers.assistance import history, new_request, person, request_nodes, settle_all
from tests.helpers.exchange import Node

GOOD = {
    states.REASON: "Lý do",
    states.QUESTION: "Câu hỏi?",
    states.TEXT: "Nội dung",
    states.REASON_CODE: "insufficient_information",
}
ROLES = [Role.OFFICER, Role.ADMIN, Role.VIEWER]
HANDOVER = {
    "persons": ["Vương Kiện"],
    "place": "Cửa khẩu Hữu Nghị",
    "at": "2026-01-02T03:04:05+00:00",
    "handing_agency": "A",
    "receiving_agency": "B",
}


def _details(action: Action, complete: bool) -> dict[str, Any]:
    rules = [r for r in states.RULES if r.action is action]
    needs = {n for r in rules for n in r.needs}
    out: dict[str, Any] = {n: GOOD[n] for n in needs if n in GOOD}
    if states.NEW_DATE in needs:
        out[states.NEW_DATE] = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    if not complete and out:
        out.pop(sorted(out)[0])
    return out


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, Node]]:
    with request_nodes("sqlite", tmp_path_factory.mktemp("walk")) as nodes:
        yield nodes


def test_every_step_through_the_service_is_accepted_exactly_when_the_machine_allows_it(
    pair: tuple[Node, Node],
) -> None:
    a, b = pair
    taken: dict[str, int] = {"accepted": 0, "refused": 0}

    class Walk(RuleBasedStateMachine):
        """One request per example, between the same two nodes."""

        @initialize(kind=st.sampled_from(list(RequestKind)))
        def start(self, kind: RequestKind) -> None:
            self.kind = kind
            self.uid = new_request(a, kind=kind.value)

        def _row(self, node: Node) -> Any:
            with node.factory() as s:
                principal = person(node)
                try:
                    return service.get_request(s, principal, self.uid)
                except HoptacError:
                    return None

        @rule(
            on_a=st.booleans(),
            role=st.sampled_from(ROLES),
            name=st.sampled_from(["le", "tran"]),
            action=st.sampled_from(list(Action)),
            complete=st.booleans(),
        )
        def take(self, on_a: bool, role: Role, name: str, action: Action, complete: bool) -> None:
            node = a if on_a else b
            row = self._row(node)
            if row is None:  # the partner does not hold the request yet
                return
            before = (row.state, row.resume_state, row.version)
            side, current = Side(row.side), State(row.state)
            details = _details(action, complete)
            who = person(node, role, name)
            try:
                expected: type[Exception] | None = None
                states.step(
                    current, action, side=side, role=role, kind=self.kind, details=details,
                    resume=State(row.resume_state) if row.resume_state else None,
                    actor=who.username, submitted_by=row.submitted_by,
                )  # fmt: skip
            except (Conflict, Forbidden, InvalidInput) as exc:
                expected = type(exc)
            if expected is None and action is Action.ANSWER and self.kind is RequestKind.SURRENDER:
                expected = Conflict  # the service's rule: answered with its handover only
            if role is Role.VIEWER:
                expected = Forbidden  # a viewer does not see requests at all
            try:
                with transaction(node.factory) as s:
                    service.take(s, node.keys, who, self.uid, action.value, details)
            except (Conflict, Forbidden, InvalidInput) as exc:
                assert expected is not None, f"{action} refused from {current}: {exc}"
                assert isinstance(exc, expected), (action, current, side, role, exc)
                after = self._row(node)
                assert (after.state, after.resume_state, after.version) == before
                taken["refused"] += 1
                return
            assert expected is None, f"{action} by {side} {role} accepted from {current}"
            taken["accepted"] += 1
            settle_all(a, b)

        @rule(on_a=st.booleans(), admin=st.booleans(), name=st.sampled_from(["le", "tran"]),
              data=st.data())  # fmt: skip
        def legal(self, on_a: bool, admin: bool, name: str, data: st.DataObject) -> None:
            """A step the machine offers the person (a page's buttons): always taken."""
            node = a if on_a else b
            row = self._row(node)
            if row is None:
                return
            role = Role.ADMIN if admin else Role.OFFICER
            offered = states.allowed_actions(
                State(row.state), side=Side(row.side), role=role, kind=self.kind,
                actor=f"{name}@{node.node_id}", submitted_by=row.submitted_by,
            )  # fmt: skip
            if not offered:
                return
            # (withdrawing ends a walk: the random rule above takes it often enough)
            action = data.draw(
                st.sampled_from([x for x in offered if x != Action.WITHDRAW] or offered)
            )
            details = _details(action, complete=True)
            if action is Action.ANSWER and self.kind is RequestKind.SURRENDER:
                details["handover"] = HANDOVER
            with transaction(node.factory) as s:
                service.take(
                    s, node.keys, person(node, role, name), self.uid, action.value, details
                )
            taken["accepted"] += 1
            settle_all(a, b)

        @invariant()
        def both_nodes_agree(self) -> None:
            if not hasattr(self, "uid"):
                return
            ra, rb = self._row(a), self._row(b)
            if rb is not None:
                assert ra.state == rb.state
                assert history(a, self.uid) == history(b, self.uid)

    Walk.TestCase.settings = settings(
        max_examples=40,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    Walk.TestCase().runTest()
    # the walk went both ways: many steps taken, many refused
    assert taken["accepted"] > 20 and taken["refused"] > 20, taken
