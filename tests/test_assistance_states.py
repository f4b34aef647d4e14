"""The request state machine against the specification, written out again here.

`ORACLE` below is the table of the issue, copied by hand, not derived from `RULES`: a
random walk (hypothesis.stateful) drives `step` with any action, side, role, kind and
details, and every outcome must be the oracle's: the new state, or the refusal's class
(409 wrong state, 403 wrong side or role, 422 bad details).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from hoptac.assistance.states import (
    ACTION_LABEL,
    ALL_KINDS,
    COERCIVE,
    KIND_LABEL,
    MEANING,
    NON_COERCIVE,
    OPEN_STATES,
    REFUSAL_LABEL,
    RULES,
    STATE_LABEL,
    TABLE_HEADER,
    Action,
    IllegalTransition,
    RefusalReason,
    RequestKind,
    Rule,
    Side,
    State,
    allowed_actions,
    mermaid,
    step,
)
from hoptac.errors import Conflict, Forbidden, InvalidInput
from hoptac.types import Role

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

# --- the specification, by hand --------------------------------------------------------

PEOPLE = {"officer", "admin"}
ADMIN = {"admin"}
NODE = "node"
RESUME = "<resume>"
WITHDRAW_SPECIAL = "<withdraw>"
ALL_STATES = {
    "draft",
    "awaiting_validation",
    "sent",
    "delivered",
    "acknowledged",
    "info_requested",
    "accepted",
    "refused",
    "in_execution",
    "postponed",
    "partially_answered",
    "answered",
    "withdrawn",
    "closed",
}
INFO_FROM = {"acknowledged", "accepted", "in_execution", "postponed", "partially_answered"}
COERCIVE_KINDS = {"arrest", "surrender", "evidence"}
REFUSAL_CODES = {
    "no_legal_basis",
    "outside_agreement_scope",
    "insufficient_information",
    "not_proportionate",
    "national_security",
    "jeopardises_investigation",
    "political_military_religious_racial",
    "person_not_found_in_jurisdiction",
    "other",
}


@dataclass(frozen=True)
class Spec:
    sources: set[str]
    target: str
    side: str
    who: set[str] | str
    needs: tuple[str, ...] = ()
    kinds: str = "any"  # any | coercive | non-coercive


ORACLE: dict[str, Spec] = {
    "send": Spec({"draft"}, "sent", "requesting", PEOPLE, kinds="non-coercive"),
    "submit": Spec({"draft"}, "awaiting_validation", "requesting", PEOPLE, kinds="coercive"),
    "validate": Spec({"awaiting_validation"}, "sent", "requesting", ADMIN),
    "return": Spec({"awaiting_validation"}, "draft", "requesting", ADMIN, ("reason",)),
    "deliver": Spec({"sent"}, "delivered", "receiving", NODE),
    "acknowledge": Spec({"delivered"}, "acknowledged", "receiving", PEOPLE),
    "request_info": Spec(INFO_FROM, "info_requested", "receiving", PEOPLE, ("question",)),
    "provide_info": Spec({"info_requested"}, RESUME, "requesting", PEOPLE, ("text",)),
    "accept": Spec({"acknowledged"}, "accepted", "receiving", PEOPLE),
    "refuse": Spec({"acknowledged", "accepted"}, "refused", "receiving", PEOPLE, ("reason_code",)),
    "start": Spec({"accepted"}, "in_execution", "receiving", PEOPLE),
    "postpone": Spec({"in_execution"}, "postponed", "receiving", PEOPLE, ("reason", "new_date")),
    "resume": Spec({"postponed"}, "in_execution", "receiving", PEOPLE),
    "answer_partially": Spec(
        {"in_execution", "partially_answered"}, "partially_answered", "receiving", PEOPLE, ("text",)
    ),
    "answer": Spec(
        {"in_execution", "partially_answered"}, "answered", "receiving", PEOPLE, ("text",)
    ),
    "close": Spec({"answered", "refused"}, "closed", "requesting", PEOPLE),
    "withdraw": Spec(
        ALL_STATES - {"withdrawn", "closed"}, WITHDRAW_SPECIAL, "requesting", PEOPLE, ("reason",)
    ),
    "acknowledge_withdrawal": Spec({"withdrawn"}, "closed", "receiving", PEOPLE),
}


def _is_text(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _details_ok(needs: tuple[str, ...], details: dict[str, object]) -> bool:
    for need in needs:
        if need == "reason_code":
            code = details.get("reason_code")
            if code not in REFUSAL_CODES:
                return False
            text = details.get("text")
            if code == "other" and not _is_text(text):
                return False
            if text is not None and not isinstance(text, str):  # optional, but text
                return False
        elif need == "new_date":
            value = details.get("new_date")
            if isinstance(value, datetime):
                if value.tzinfo is None or value <= NOW:
                    return False
            elif isinstance(value, date):
                if value <= NOW.date():
                    return False
            else:
                return False
        elif not _is_text(details.get(need)):
            return False
    return True


def oracle(
    current: str,
    action: str,
    *,
    side: str,
    role: str | None,
    kind: str,
    details: dict[str, object],
    resume: str | None,
    actor: str | None,
    submitted_by: str | None,
) -> str:
    """The new state's value, or '409', '403', '422'."""
    spec = ORACLE[action]
    if current not in spec.sources:
        return "409"
    if spec.kinds == "coercive" and kind not in COERCIVE_KINDS:
        return "409"
    if spec.kinds == "non-coercive" and kind in COERCIVE_KINDS:
        return "409"
    if side != spec.side:
        return "403"
    if spec.who == NODE:
        if role is not None:
            return "403"
    elif role is None or role not in spec.who:
        return "403"
    # Four eyes; an unknown validator or submitter is refused too (a decision of ours).
    if action == "validate" and (actor is None or submitted_by is None or actor == submitted_by):
        return "403"
    if not _details_ok(spec.needs, details):
        return "422"
    if spec.target == RESUME:
        assert resume is not None
        return resume
    if spec.target == WITHDRAW_SPECIAL:
        return "closed" if current in {"draft", "awaiting_validation"} else "withdrawn"
    return spec.target


# --- the random walk --------------------------------------------------------------------

ROLES = [None, Role.ADMIN, Role.OFFICER, Role.VIEWER]
ACTORS = [None, "ana", "binh"]
_text = st.sampled_from([None, "", "   ", "why", 42])
_new_date = st.sampled_from(
    [
        None,
        NOW - timedelta(hours=1),
        NOW,
        NOW + timedelta(seconds=1),
        NOW.replace(tzinfo=None) + timedelta(days=1),
        NOW.date(),
        NOW.date() + timedelta(days=1),
        "2030-01-01",
    ]
)
_code = st.sampled_from([None, "", "no_legal_basis", "national_security", "other", "nope", 3])


@st.composite
def any_details(draw: st.DrawFn) -> dict[str, object]:
    raw = {
        "reason": draw(_text),
        "question": draw(_text),
        "text": draw(_text),
        "reason_code": draw(_code),
        "new_date": draw(_new_date),
    }
    return {k: v for k, v in raw.items() if v is not None}


@st.composite
def near_valid_details(draw: st.DrawFn) -> dict[str, object]:
    """Good details with some of them dropped or spoiled."""
    good = valid_details(draw(st.sampled_from(sorted(REFUSAL_CODES))))
    bad: dict[str, object] = {
        "reason": " ",
        "question": "",
        "text": 7,
        "reason_code": "because",
        "new_date": NOW - timedelta(minutes=1),
    }
    out: dict[str, object] = {}
    for key, value in good.items():
        fate = draw(st.sampled_from(["keep", "keep", "keep", "drop", "spoil"]))
        if fate == "keep":
            out[key] = value
        elif fate == "spoil":
            out[key] = bad[key]
    return out


def valid_details(code: str) -> dict[str, object]:
    return {
        "reason": "the victim's family asked",
        "question": "which passport did he use?",
        "text": "result attached",
        "reason_code": code,
        "new_date": NOW + timedelta(days=3),
    }


def outcome(
    current: State,
    action: Action,
    *,
    side: Side,
    role: Role | None,
    kind: RequestKind,
    details: dict[str, object],
    resume: State | None,
    actor: str | None,
    submitted_by: str | None,
) -> str:
    try:
        new = step(
            current,
            action,
            side=side,
            role=role,
            kind=kind,
            details=details,
            resume=resume,
            actor=actor,
            submitted_by=submitted_by,
            now=NOW,
        )
    except IllegalTransition as e:
        assert f"'{current}'" in e.detail
        return "409"
    except Conflict:
        raise AssertionError("a wrong state must be an IllegalTransition") from None
    except Forbidden:
        return "403"
    except InvalidInput as e:
        assert e.errors, "a 422 names its fields"
        return "422"
    return new.value


@cache
def _buttons(state: State, kind: RequestKind, side: Side, role: Role | None) -> list[Action]:
    """The actions the oracle allows with good details and a second person."""
    return [
        a
        for a in Action
        if oracle(
            state.value,
            a.value,
            side=side.value,
            role=role.value if role is not None else None,
            kind=kind.value,
            details=valid_details("other"),
            resume="accepted",
            actor="someone else",
            submitted_by="ana",
        )
        not in ("409", "403", "422")
    ]


class RequestWalk(RuleBasedStateMachine):
    state: State
    kind: RequestKind
    submitted_by: str | None
    before_info: State | None

    @initialize(
        state=st.sampled_from(list(State)),
        kind=st.sampled_from(list(RequestKind)),
        submitted_by=st.sampled_from(ACTORS),
        before_info=st.sampled_from(sorted(INFO_FROM)),
    )
    def begin(
        self, state: State, kind: RequestKind, submitted_by: str | None, before_info: str
    ) -> None:
        self.state, self.kind, self.submitted_by = state, kind, submitted_by
        self.before_info = State(before_info) if state is State.INFO_REQUESTED else None

    @rule(
        state=st.sampled_from(list(State)),
        kind=st.sampled_from(list(RequestKind)),
        submitted_by=st.sampled_from(ACTORS),
        before_info=st.sampled_from(sorted(INFO_FROM)),
    )
    def jump(
        self, state: State, kind: RequestKind, submitted_by: str | None, before_info: str
    ) -> None:
        """Any request, anywhere: `step` is pure, so every state is a starting point
        (a walk alone ends in `closed` too soon to visit them all often)."""
        self.begin(state, kind, submitted_by, before_info)

    def _try(
        self,
        action: Action,
        side: Side,
        role: Role | None,
        details: dict[str, object],
        actor: str | None,
    ) -> str:
        resume = self.before_info if action is Action.PROVIDE_INFO else None
        expected = oracle(
            self.state.value,
            action.value,
            side=side.value,
            role=role.value if role is not None else None,
            kind=self.kind.value,
            details=details,
            resume=resume.value if resume is not None else None,
            actor=actor,
            submitted_by=self.submitted_by,
        )
        got = outcome(
            self.state,
            action,
            side=side,
            role=role,
            kind=self.kind,
            details=details,
            resume=resume,
            actor=actor,
            submitted_by=self.submitted_by,
        )
        assert got == expected, (self.state, action, side, role, self.kind, details, actor)
        if got in ("409", "403", "422"):
            return got
        if action is Action.SUBMIT:
            self.submitted_by = actor
        if action is Action.REQUEST_INFO:
            self.before_info = self.state
        self.state = State(got)
        return got

    @rule(
        action=st.sampled_from(list(Action)),
        side=st.sampled_from(list(Side)),
        role=st.sampled_from(ROLES),
        details=any_details(),
        actor=st.sampled_from(ACTORS),
    )
    def anything(
        self,
        action: Action,
        side: Side,
        role: Role | None,
        details: dict[str, object],
        actor: str | None,
    ) -> None:
        self._try(action, side, role, details, actor)

    @rule(
        data=st.data(),
        who=st.sampled_from(["submitter", "other", "unknown"]),
        details=near_valid_details(),
    )
    def almost_legal(self, data: st.DataObject, who: str, details: dict[str, object]) -> None:
        """An action the state allows, from the side the table names: the role, the
        second person and the details decide (the boundaries a random walk rarely hits)."""
        actions = [a for a in Action if self.state.value in ORACLE[a.value].sources]
        if not actions:
            return
        action = data.draw(st.sampled_from(actions))
        spec = ORACLE[action.value]
        may = [None] if spec.who == NODE else [Role(w) for w in sorted(spec.who)]
        role = data.draw(st.one_of(st.sampled_from(may), st.sampled_from(ROLES)))
        other = "binh" if self.submitted_by == "ana" else "ana"
        actor = {"submitter": self.submitted_by, "other": other, "unknown": None}[who]
        self._try(action, Side(ORACLE[action.value].side), role, details, actor)

    def _legal_moves(self) -> list[tuple[Action, Side, Role | None]]:
        moves = []
        for action in Action:
            for side in Side:
                for role in ROLES:
                    expected = oracle(
                        self.state.value,
                        action.value,
                        side=side.value,
                        role=role.value if role is not None else None,
                        kind=self.kind.value,
                        details=valid_details("no_legal_basis"),
                        resume=self.before_info.value if self.before_info else "accepted",
                        actor="someone else",
                        submitted_by=self.submitted_by or "ana",
                    )
                    if expected not in ("409", "403", "422"):
                        moves.append((action, side, role))
        return moves

    @precondition(lambda self: self.state is not State.CLOSED)
    @rule(data=st.data(), code=st.sampled_from(sorted(REFUSAL_CODES)))
    def a_legal_move(self, data: st.DataObject, code: str) -> None:
        """A move the specification allows is never refused (and walks the request deep)."""
        moves = self._legal_moves()
        assert moves, f"no way out of '{self.state}'"
        action, side, role = data.draw(st.sampled_from(moves))
        if self.submitted_by is None:
            self.submitted_by = "ana"
        actor = "binh" if self.submitted_by == "ana" else "ana"
        assert self._try(action, side, role, valid_details(code), actor) not in (
            "409",
            "403",
            "422",
        )

    @invariant()
    def buttons_are_the_legal_moves(self) -> None:
        if not hasattr(self, "state"):
            return
        for side in Side:
            for role in ROLES:
                offered = allowed_actions(self.state, side=side, role=role, kind=self.kind)
                assert offered == _buttons(self.state, self.kind, side, role), (
                    self.state,
                    side,
                    role,
                    self.kind,
                )

    @invariant()
    def closed_is_the_end(self) -> None:
        if hasattr(self, "state") and self.state is State.CLOSED:
            for side in Side:
                for role in ROLES:
                    assert allowed_actions(self.state, side=side, role=role, kind=self.kind) == []


RequestWalk.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRequestWalk = RequestWalk.TestCase


# --- plain tests -----------------------------------------------------------------------


def _step(current: State, action: Action, side: Side, **kw: object) -> State:
    base: dict[str, object] = {"role": Role.OFFICER, "kind": RequestKind.LOCATE, "now": NOW}
    base.update(kw)
    return step(current, action, side=side, **base)  # type: ignore[arg-type]


def test_a_wrong_state_names_the_state_and_what_the_side_may_do() -> None:
    with pytest.raises(IllegalTransition) as e:
        _step(State.ANSWERED, Action.ACCEPT, Side.REQUESTING)
    assert e.value.status == 409
    assert e.value.detail == (
        "a request that is 'answered' cannot be 'accept'ed; "
        "from 'answered' the requesting side may: close, withdraw"
    )
    assert e.value.current is State.ANSWERED and e.value.allowed == [Action.CLOSE, Action.WITHDRAW]


def test_the_state_is_checked_before_the_side_and_the_details() -> None:
    with pytest.raises(IllegalTransition, match="'closed'"):
        _step(State.CLOSED, Action.REFUSE, Side.REQUESTING, role=Role.VIEWER, details={})


def test_a_coercive_request_cannot_be_sent_without_validation() -> None:
    with pytest.raises(IllegalTransition, match="submit"):
        _step(State.DRAFT, Action.SEND, Side.REQUESTING, kind=RequestKind.ARREST)
    assert (
        _step(State.DRAFT, Action.SUBMIT, Side.REQUESTING, kind=RequestKind.ARREST)
        is State.AWAITING_VALIDATION
    )


def test_the_submitter_cannot_validate() -> None:
    kw: dict[str, object] = {"role": Role.ADMIN, "kind": RequestKind.SURRENDER}
    with pytest.raises(Forbidden) as e:
        _step(
            State.AWAITING_VALIDATION,
            Action.VALIDATE,
            Side.REQUESTING,
            actor="ana",
            submitted_by="ana",
            **kw,
        )
    assert e.value.status == 403
    assert (
        _step(
            State.AWAITING_VALIDATION,
            Action.VALIDATE,
            Side.REQUESTING,
            actor="binh",
            submitted_by="ana",
            **kw,
        )
        is State.SENT
    )
    with pytest.raises(Forbidden):  # an officer, even another one, may not
        _step(
            State.AWAITING_VALIDATION,
            Action.VALIDATE,
            Side.REQUESTING,
            actor="binh",
            submitted_by="ana",
            role=Role.OFFICER,
            kind=RequestKind.SURRENDER,
        )


def test_provide_info_returns_to_the_state_before_request_info() -> None:
    for before in (State.ACKNOWLEDGED, State.POSTPONED, State.PARTIALLY_ANSWERED):
        asked = _step(before, Action.REQUEST_INFO, Side.RECEIVING, details={"question": "who?"})
        assert asked is State.INFO_REQUESTED
        back = _step(
            asked, Action.PROVIDE_INFO, Side.REQUESTING, details={"text": "him"}, resume=before
        )
        assert back is before
    with pytest.raises(ValueError):
        _step(State.INFO_REQUESTED, Action.PROVIDE_INFO, Side.REQUESTING, details={"text": "x"})


def test_withdraw_closes_a_draft_and_withdraws_a_delivered_request() -> None:
    why = {"reason": "found him ourselves"}
    assert _step(State.DRAFT, Action.WITHDRAW, Side.REQUESTING, details=why) is State.CLOSED
    assert _step(State.DELIVERED, Action.WITHDRAW, Side.REQUESTING, details=why) is State.WITHDRAWN
    assert _step(State.WITHDRAWN, Action.ACKNOWLEDGE_WITHDRAWAL, Side.RECEIVING) is State.CLOSED


def test_the_node_delivers_and_people_do_not() -> None:
    assert _step(State.SENT, Action.DELIVER, Side.RECEIVING, role=None) is State.DELIVERED
    with pytest.raises(Forbidden, match="node"):
        _step(State.SENT, Action.DELIVER, Side.RECEIVING, role=Role.ADMIN)
    with pytest.raises(Forbidden, match="person"):
        _step(State.DELIVERED, Action.ACKNOWLEDGE, Side.RECEIVING, role=None)


def test_details_are_named_in_the_422() -> None:
    with pytest.raises(InvalidInput) as e:
        _step(
            State.IN_EXECUTION,
            Action.POSTPONE,
            Side.RECEIVING,
            details={"reason": " ", "new_date": NOW - timedelta(days=1)},
        )
    assert e.value.status == 422
    assert {f.field for f in e.value.errors} == {"reason", "new_date"}
    with pytest.raises(InvalidInput) as e:
        _step(State.ACKNOWLEDGED, Action.REFUSE, Side.RECEIVING, details={"reason_code": "other"})
    assert [f.field for f in e.value.errors] == ["text"]
    assert (
        _step(
            State.ACKNOWLEDGED,
            Action.REFUSE,
            Side.RECEIVING,
            details={"reason_code": RefusalReason.NATIONAL_SECURITY},
        )
        is State.REFUSED
    )


def test_rules_never_overlap() -> None:
    for state in State:
        for action in Action:
            for kind in RequestKind:
                hits = [
                    r
                    for r in RULES
                    if r.action is action and state in r.sources and kind in r.kinds
                ]
                assert len(hits) <= 1, (state, action, kind)


def test_open_states_and_words() -> None:
    assert State.REFUSED in OPEN_STATES and State.ANSWERED in OPEN_STATES
    assert State.CLOSED not in OPEN_STATES
    for table, keys in (
        (MEANING, State),
        (STATE_LABEL, State),
        (ACTION_LABEL, Action),
        (KIND_LABEL, RequestKind),
        (REFUSAL_LABEL, RefusalReason),
    ):
        assert set(table) == set(keys)
        assert all(vi.strip() and en.strip() for vi, en in table.values())
    assert {r.value for r in RefusalReason} == REFUSAL_CODES


# --- the docs cannot drift ---------------------------------------------------------------

DOC = (Path(__file__).parents[1] / "docs" / "assistance.md").read_text(encoding="utf-8")


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def _codes(cell: str) -> list[str]:
    return re.findall(r"`([a-z_]+)`", cell)


def test_the_docs_table_lists_exactly_the_rules() -> None:
    lines = DOC.splitlines()
    start = lines.index(TABLE_HEADER)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(_cells(line))
    documented = set()
    for action, sources, target, side, who, needs, condition in rows:
        (action_code,) = _codes(action)
        documented.add(
            (
                Action(action_code),
                frozenset(State(s) for s in _codes(sources)),
                State(_codes(target)[0]) if _codes(target) else None,
                Side(side),
                "node" if who == "node" else frozenset(Role(w) for w in who.split(", ")),
                tuple(_codes(needs)),
                frozenset() if condition == "—" else frozenset(condition.split("; ")),
            )
        )
    assert len(rows) == len(RULES)

    def conditions(r: Rule) -> frozenset[str]:
        assert r.kinds in (ALL_KINDS, COERCIVE, NON_COERCIVE)
        parts = set()
        if r.kinds == COERCIVE:
            parts.add("coercive kinds only")
        if r.kinds == NON_COERCIVE:
            parts.add("non-coercive kinds only")
        if r.not_submitter:
            parts.add("not the submitter")
        return frozenset(parts)

    in_code = {
        (
            r.action,
            r.sources,
            r.target,
            r.side,
            "node" if r.by_node else r.roles,
            r.needs,
            conditions(r),
        )
        for r in RULES
    }
    assert documented == in_code


def test_the_docs_diagram_is_the_rules() -> None:
    assert "```mermaid\n" + mermaid() + "\n```" in DOC


def test_the_docs_explain_every_state_kind_action_and_reason() -> None:
    for state in State:
        assert MEANING[state][0] in DOC and MEANING[state][1] in DOC, state
    for words in (*KIND_LABEL.values(), *ACTION_LABEL.values(), *REFUSAL_LABEL.values()):
        assert f"| {words[0]} | {words[1]} |" in DOC, words
