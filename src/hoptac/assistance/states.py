"""The one state machine of a request for assistance, written as data.

`RULES` says, for every action, the states it may be taken from, the state it leads to,
the side that takes it (the requesting or the receiving agency), who on that side may
(roles, or the node itself) and the details it needs. Everything else derives from it:
`step` (the only way a request changes state), `allowed_actions` (the buttons a page
offers), `rules_table` and `mermaid` (docs/assistance.md, kept equal by a test).

`step` checks in a fixed order so that a refusal always names the most basic problem:
the state first (`IllegalTransition`, 409), then the side and the role (`Forbidden`, 403),
then the details (`InvalidInput`, 422, one `FieldError` per field).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from hoptac.errors import Conflict, FieldError, Forbidden, InvalidInput
from hoptac.types import Role


class Side(StrEnum):
    """Which end of a request an agency is on."""

    REQUESTING = "requesting"
    RECEIVING = "receiving"


class RequestKind(StrEnum):
    VERIFY_IDENTITY = "verify_identity"
    LOCATE = "locate"
    EVIDENCE = "evidence"  # collect or preserve evidence
    ARREST = "arrest"
    SURRENDER = "surrender"  # hand a person over
    PROTECT_CITIZEN = "protect_citizen"
    INFORMATION = "information"


# They touch liberty or evidence: a second person validates them before they leave.
COERCIVE: frozenset[RequestKind] = frozenset(
    {RequestKind.ARREST, RequestKind.SURRENDER, RequestKind.EVIDENCE}
)
NON_COERCIVE: frozenset[RequestKind] = frozenset(RequestKind) - COERCIVE
ALL_KINDS: frozenset[RequestKind] = frozenset(RequestKind)


class RequestPriority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


class State(StrEnum):
    DRAFT = "draft"
    AWAITING_VALIDATION = "awaiting_validation"
    SENT = "sent"
    DELIVERED = "delivered"
    ACKNOWLEDGED = "acknowledged"
    INFO_REQUESTED = "info_requested"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    IN_EXECUTION = "in_execution"
    POSTPONED = "postponed"
    PARTIALLY_ANSWERED = "partially_answered"
    ANSWERED = "answered"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


class Action(StrEnum):
    SEND = "send"
    SUBMIT = "submit"
    VALIDATE = "validate"
    RETURN = "return"
    DELIVER = "deliver"
    ACKNOWLEDGE = "acknowledge"
    REQUEST_INFO = "request_info"
    PROVIDE_INFO = "provide_info"
    ACCEPT = "accept"
    REFUSE = "refuse"
    START = "start"
    POSTPONE = "postpone"
    RESUME = "resume"
    ANSWER_PARTIALLY = "answer_partially"
    ANSWER = "answer"
    CLOSE = "close"
    WITHDRAW = "withdraw"
    ACKNOWLEDGE_WITHDRAWAL = "acknowledge_withdrawal"


class RefusalReason(StrEnum):
    """Grounds to refuse, after Directive (EU) 2023/977 art. 6 and Interpol practice."""

    NO_LEGAL_BASIS = "no_legal_basis"  # national law does not allow it (art. 6(1)(a))
    OUTSIDE_AGREEMENT_SCOPE = "outside_agreement_scope"  # no agreement covers it
    INSUFFICIENT_INFORMATION = "insufficient_information"  # cannot be acted on as sent
    NOT_PROPORTIONATE = "not_proportionate"  # clearly disproportionate (art. 6(1)(e))
    NATIONAL_SECURITY = "national_security"  # essential security interests (art. 6(1)(c)(i))
    JEOPARDISES_INVESTIGATION = "jeopardises_investigation"  # (art. 6(1)(c)(ii))
    POLITICAL_MILITARY_RELIGIOUS_RACIAL = "political_military_religious_racial"  # Interpol 3
    PERSON_NOT_FOUND_IN_JURISDICTION = "person_not_found_in_jurisdiction"
    OTHER = "other"  # the text must say why


# The details an action may need (keys of `step`'s `details`).
REASON = "reason"
QUESTION = "question"
TEXT = "text"
REASON_CODE = "reason_code"  # a RefusalReason; `text` too when it is `other`
NEW_DATE = "new_date"  # a date or an aware datetime after `now`

PEOPLE: frozenset[Role] = frozenset({Role.OFFICER, Role.ADMIN})
ADMINS: frozenset[Role] = frozenset({Role.ADMIN})
NOBODY: frozenset[Role] = frozenset()


@dataclass(frozen=True)
class Rule:
    """One transition. `target=None`: back to the state the request was in before more
    information was requested (`step`'s `resume`). `by_node`: the node takes it, no
    person (then `roles` is empty). `kinds`: the kinds it applies to. `not_submitter`:
    the actor must not be the person who submitted the request (four eyes)."""

    action: Action
    sources: frozenset[State]
    target: State | None
    side: Side
    roles: frozenset[Role]
    by_node: bool = False
    needs: tuple[str, ...] = ()
    kinds: frozenset[RequestKind] = ALL_KINDS
    not_submitter: bool = False


_S = State
_fs = frozenset
_LATER = _fs(State) - {_S.DRAFT, _S.AWAITING_VALIDATION, _S.WITHDRAWN, _S.CLOSED}
_INFO_FROM = _fs(
    {_S.ACKNOWLEDGED, _S.ACCEPTED, _S.IN_EXECUTION, _S.POSTPONED, _S.PARTIALLY_ANSWERED}
)
_REQ, _RCV = Side.REQUESTING, Side.RECEIVING

RULES: tuple[Rule, ...] = (
    Rule(Action.SEND, _fs({_S.DRAFT}), _S.SENT, _REQ, PEOPLE, kinds=NON_COERCIVE),
    Rule(Action.SUBMIT, _fs({_S.DRAFT}), _S.AWAITING_VALIDATION, _REQ, PEOPLE, kinds=COERCIVE),
    Rule(Action.VALIDATE, _fs({_S.AWAITING_VALIDATION}), _S.SENT, _REQ, ADMINS, not_submitter=True),
    Rule(Action.RETURN, _fs({_S.AWAITING_VALIDATION}), _S.DRAFT, _REQ, ADMINS, needs=(REASON,)),
    Rule(Action.DELIVER, _fs({_S.SENT}), _S.DELIVERED, _RCV, NOBODY, by_node=True),
    Rule(Action.ACKNOWLEDGE, _fs({_S.DELIVERED}), _S.ACKNOWLEDGED, _RCV, PEOPLE),
    Rule(Action.REQUEST_INFO, _INFO_FROM, _S.INFO_REQUESTED, _RCV, PEOPLE, needs=(QUESTION,)),
    Rule(Action.PROVIDE_INFO, _fs({_S.INFO_REQUESTED}), None, _REQ, PEOPLE, needs=(TEXT,)),
    Rule(Action.ACCEPT, _fs({_S.ACKNOWLEDGED}), _S.ACCEPTED, _RCV, PEOPLE),
    Rule(
        Action.REFUSE,
        _fs({_S.ACKNOWLEDGED, _S.ACCEPTED}),
        _S.REFUSED,
        _RCV,
        PEOPLE,
        needs=(REASON_CODE,),
    ),
    Rule(Action.START, _fs({_S.ACCEPTED}), _S.IN_EXECUTION, _RCV, PEOPLE),
    Rule(
        Action.POSTPONE,
        _fs({_S.IN_EXECUTION}),
        _S.POSTPONED,
        _RCV,
        PEOPLE,
        needs=(REASON, NEW_DATE),
    ),
    Rule(Action.RESUME, _fs({_S.POSTPONED}), _S.IN_EXECUTION, _RCV, PEOPLE),
    Rule(
        Action.ANSWER_PARTIALLY,
        _fs({_S.IN_EXECUTION, _S.PARTIALLY_ANSWERED}),
        _S.PARTIALLY_ANSWERED,
        _RCV,
        PEOPLE,
        needs=(TEXT,),
    ),
    Rule(
        Action.ANSWER,
        _fs({_S.IN_EXECUTION, _S.PARTIALLY_ANSWERED}),
        _S.ANSWERED,
        _RCV,
        PEOPLE,
        needs=(TEXT,),
    ),
    Rule(Action.CLOSE, _fs({_S.ANSWERED, _S.REFUSED}), _S.CLOSED, _REQ, PEOPLE),
    # A request that never left the node is simply closed; one the partner holds is
    # withdrawn, and the partner acknowledges it.
    Rule(
        Action.WITHDRAW,
        _fs({_S.DRAFT, _S.AWAITING_VALIDATION}),
        _S.CLOSED,
        _REQ,
        PEOPLE,
        needs=(REASON,),
    ),
    Rule(Action.WITHDRAW, _LATER, _S.WITHDRAWN, _REQ, PEOPLE, needs=(REASON,)),
    Rule(Action.ACKNOWLEDGE_WITHDRAWAL, _fs({_S.WITHDRAWN}), _S.CLOSED, _RCV, PEOPLE),
)

# The states `provide_info` may return to: those more information may be asked from.
RESUMABLE: frozenset[State] = frozenset().union(
    *(r.sources for r in RULES if r.action is Action.REQUEST_INFO)
)
TERMINAL: frozenset[State] = frozenset({State.CLOSED})
OPEN_STATES: frozenset[State] = frozenset(State) - TERMINAL  # refused, answered: until closed
CLOCK_PAUSED: frozenset[State] = frozenset({State.INFO_REQUESTED})


class IllegalTransition(Conflict):
    """The action cannot be taken from the request's current state (409). The detail
    names the state, the action and what the caller's side may do from there."""

    def __init__(
        self,
        current: State,
        action: Action,
        side: Side,
        allowed: list[Action],
        *,
        hint: str = "",
    ) -> None:
        self.current = current
        self.action = action
        self.side = side
        self.allowed = allowed
        suffix = "d" if action.value.endswith("e") else "ed"
        detail = f"a request that is '{current}' cannot be '{action}'{suffix}"
        if hint:
            detail += f" ({hint})"
        if allowed:
            detail += f"; from '{current}' the {side} side may: " + ", ".join(allowed)
        else:
            detail += f"; from '{current}' the {side} side has nothing to do"
        super().__init__(detail)


def _applies(rule: Rule, current: State, kind: RequestKind) -> bool:
    return current in rule.sources and kind in rule.kinds


def _who_may(rule: Rule, role: Role | None) -> bool:
    return role is None if rule.by_node else role in rule.roles


def _dedupe(actions: list[Action]) -> list[Action]:
    return list(dict.fromkeys(actions))


def side_actions(current: State, *, side: Side, kind: RequestKind) -> list[Action]:
    """Every action the side may take from `current` (by a person or by its node)."""
    return _dedupe([r.action for r in RULES if r.side is side and _applies(r, current, kind)])


def allowed_actions(
    current: State,
    *,
    side: Side,
    role: Role | None,
    kind: RequestKind,
    actor: str | None = None,
    submitted_by: str | None = None,
) -> list[Action]:
    """The actions this side and role may take now (`role=None`: the node's own), in the
    order of `Action`: the buttons a page offers. `validate` is left out when `actor`
    is known and is the submitter."""
    out = []
    for r in RULES:
        if r.side is not side or not _applies(r, current, kind) or not _who_may(r, role):
            continue
        if r.not_submitter and actor is not None and actor == submitted_by:
            continue
        out.append(r.action)
    return sorted(_dedupe(out), key=list(Action).index)


def rule_for(current: State, action: Action, kind: RequestKind) -> Rule | None:
    """The rule that takes `action` from `current` for this kind, if any (rules never
    overlap: a test checks it)."""
    return next((r for r in RULES if r.action is action and _applies(r, current, kind)), None)


def step(
    current: State,
    action: Action,
    *,
    side: Side,
    role: Role | None,
    kind: RequestKind,
    details: Mapping[str, object] | None = None,
    resume: State | None = None,
    actor: str | None = None,
    submitted_by: str | None = None,
    now: datetime | None = None,
) -> State:
    """The state `action` leads to, or the refusal: `IllegalTransition` (409) when the
    action cannot be taken from `current` for this kind; `Forbidden` (403) for the other
    side, a role that may not, a person taking the node's action (`role` given) or the
    node a person's (`role=None`), a validator who is the submitter (or either unknown);
    `InvalidInput` (422) for missing or bad details.

    `resume` is, for `provide_info`, the state the request was in when more information
    was requested (the service keeps it); a missing or impossible one is a programming
    error (`ValueError`). `now` (aware; default: the current time) is what `new_date`
    must come after."""
    rule = rule_for(current, action, kind)
    if rule is None:
        hint = ""
        other = next((r for r in RULES if r.action is action and current in r.sources), None)
        if other is not None:  # the state is right, the kind is not
            hint = f"not for a request of kind '{kind}'"
            if kind in COERCIVE and action is Action.SEND:
                hint += ": it needs a second person's validation, submit it"
        raise IllegalTransition(
            current, action, side, side_actions(current, side=side, kind=kind), hint=hint
        )
    _check_who(rule, side=side, role=role, actor=actor, submitted_by=submitted_by)
    target = rule.target
    if target is None:
        if resume not in RESUMABLE:
            raise ValueError(f"'{action}' needs the state to resume, one of {sorted(RESUMABLE)}")
        target = resume
    errors = check_details(rule, details or {}, now=now or datetime.now(UTC))
    if errors:
        raise InvalidInput(
            f"cannot '{action}': " + "; ".join(f"{e.field} {e.message}" for e in errors),
            errors=errors,
        )
    return target


def _check_who(
    rule: Rule, *, side: Side, role: Role | None, actor: str | None, submitted_by: str | None
) -> None:
    act = rule.action
    if side is not rule.side:
        raise Forbidden(f"only the {rule.side} side may '{act}'")
    if rule.by_node and role is not None:
        raise Forbidden(f"'{act}' is taken by the node itself, not by a person")
    if not rule.by_node and role is None:
        raise Forbidden(f"'{act}' is a person's action; the node cannot take it")
    if not rule.by_node and role not in rule.roles:
        who = " or ".join(sorted(r.value for r in rule.roles))
        raise Forbidden(f"a {role} may not '{act}'; only an {who} may")
    if rule.not_submitter and (actor is None or submitted_by is None or actor == submitted_by):
        raise Forbidden(f"'{act}' needs a second person: the submitter may not validate")


def _text(details: Mapping[str, object], name: str) -> FieldError | None:
    value = details.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return FieldError(name, "is required")
    if not isinstance(value, str):
        return FieldError(name, "must be text")
    return None


def check_details(rule: Rule, details: Mapping[str, object], *, now: datetime) -> list[FieldError]:
    """The complaints about `details` for `rule` (empty: fine). Keys a rule does not need
    are ignored."""
    errors: list[FieldError] = []
    for need in rule.needs:
        if need == REASON_CODE:
            errors += _reason_code(details)
        elif need == NEW_DATE:
            errors += _new_date(details.get(NEW_DATE), now)
        else:
            error = _text(details, need)
            if error is not None:
                errors.append(error)
    return errors


_REFUSAL_CODES = frozenset(r.value for r in RefusalReason)


def _reason_code(details: Mapping[str, object]) -> list[FieldError]:
    code = details.get(REASON_CODE)
    if code is None or code == "":
        return [FieldError(REASON_CODE, "is required")]
    if not isinstance(code, str) or code not in _REFUSAL_CODES:
        choices = ", ".join(RefusalReason)
        return [FieldError(REASON_CODE, f"must be one of: {choices}")]
    text = details.get(TEXT)
    if code == RefusalReason.OTHER:
        error = _text(details, TEXT)
        if error is not None:
            return [FieldError(TEXT, f"{error.message} when the reason is 'other'")]
    elif text is not None and not isinstance(text, str):
        return [FieldError(TEXT, "must be text")]
    return []


def _new_date(value: object, now: datetime) -> list[FieldError]:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if value is None or value == "":
        return [FieldError(NEW_DATE, "is required")]
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return [FieldError(NEW_DATE, "must carry a timezone")]
        if value <= now:
            return [FieldError(NEW_DATE, f"must be after now ({now.isoformat()})")]
        return []
    if isinstance(value, date):  # a calendar day: after today in `now`'s timezone
        if value <= now.date():
            return [FieldError(NEW_DATE, f"must be after today ({now.date().isoformat()})")]
        return []
    return [FieldError(NEW_DATE, "must be a date or a date and time")]


# --- words: the pages, the docs ---------------------------------------------------------

KIND_LABEL: dict[RequestKind, tuple[str, str]] = {
    RequestKind.VERIFY_IDENTITY: ("Xác minh danh tính", "Verify identity"),
    RequestKind.LOCATE: ("Truy tìm vị trí", "Locate a person or object"),
    RequestKind.EVIDENCE: ("Thu thập/bảo quản chứng cứ", "Collect or preserve evidence"),
    RequestKind.ARREST: ("Bắt giữ", "Arrest"),
    RequestKind.SURRENDER: ("Bàn giao/dẫn độ", "Surrender (hand over a person)"),
    RequestKind.PROTECT_CITIZEN: ("Bảo hộ công dân", "Protect a citizen"),
    RequestKind.INFORMATION: ("Cung cấp thông tin", "Request for information"),
}

STATE_LABEL: dict[State, tuple[str, str]] = {
    _S.DRAFT: ("Dự thảo", "Draft"),
    _S.AWAITING_VALIDATION: ("Chờ phê duyệt", "Awaiting validation"),
    _S.SENT: ("Đã gửi", "Sent"),
    _S.DELIVERED: ("Đã chuyển đến", "Delivered"),
    _S.ACKNOWLEDGED: ("Đã tiếp nhận", "Acknowledged"),
    _S.INFO_REQUESTED: ("Chờ bổ sung thông tin", "Information requested"),
    _S.ACCEPTED: ("Đã chấp nhận", "Accepted"),
    _S.REFUSED: ("Bị từ chối", "Refused"),
    _S.IN_EXECUTION: ("Đang thực hiện", "In execution"),
    _S.POSTPONED: ("Tạm hoãn", "Postponed"),
    _S.PARTIALLY_ANSWERED: ("Đã trả lời một phần", "Partially answered"),
    _S.ANSWERED: ("Đã trả lời", "Answered"),
    _S.WITHDRAWN: ("Đã rút", "Withdrawn"),
    _S.CLOSED: ("Đã kết thúc", "Closed"),
}

MEANING: dict[State, tuple[str, str]] = {
    _S.DRAFT: (
        "Đang soạn thảo, chưa gửi; chỉ đơn vị đề nghị nhìn thấy.",
        "Being written, not sent; only the requesting unit sees it.",
    ),
    _S.AWAITING_VALIDATION: (
        "Yêu cầu có biện pháp cưỡng chế đang chờ người có thẩm quyền khác phê duyệt trước khi gửi.",
        "A coercive request waits for a second person, an admin, to validate it before it is sent.",
    ),
    _S.SENT: (
        "Đã gửi đi, chưa nhận được xác nhận của hệ thống phía đối tác.",
        "Sent; the partner's node has not yet confirmed receipt.",
    ),
    _S.DELIVERED: (
        "Hệ thống phía đối tác đã ký xác nhận nhận được; chưa có cán bộ tiếp nhận.",
        "The partner's node signed a receipt; no officer has taken it in yet.",
    ),
    _S.ACKNOWLEDGED: (
        "Đơn vị được đề nghị đã tiếp nhận và đang xem xét.",
        "The receiving agency has taken the request in and is considering it.",
    ),
    _S.INFO_REQUESTED: (
        "Đơn vị được đề nghị yêu cầu bổ sung thông tin; thời hạn tạm dừng cho đến khi có trả lời.",
        "The receiving agency asked for more information; the clock stops until it comes.",
    ),
    _S.ACCEPTED: (
        "Đơn vị được đề nghị đồng ý thực hiện yêu cầu.",
        "The receiving agency agreed to carry the request out.",
    ),
    _S.REFUSED: (
        "Đơn vị được đề nghị từ chối và nêu rõ lý do; chờ bên đề nghị kết thúc hồ sơ.",
        "The receiving agency refused, giving its grounds; the requesting side closes it.",
    ),
    _S.IN_EXECUTION: (
        "Đang tiến hành các biện pháp nghiệp vụ để thực hiện yêu cầu.",
        "The receiving agency is carrying the request out.",
    ),
    _S.POSTPONED: (
        "Việc thực hiện tạm hoãn đến ngày mới, có nêu lý do.",
        "Execution is put off to a new date, for a stated reason.",
    ),
    _S.PARTIALLY_ANSWERED: (
        "Đã gửi một phần kết quả; việc thực hiện vẫn tiếp tục.",
        "Part of the answer was sent; the work goes on.",
    ),
    _S.ANSWERED: (
        "Đã trả lời đầy đủ kết quả; chờ bên đề nghị kết thúc hồ sơ.",
        "The full answer was sent; the requesting side closes it.",
    ),
    _S.WITHDRAWN: (
        "Bên đề nghị đã rút yêu cầu; chờ bên được đề nghị xác nhận.",
        "The requesting side withdrew it; the receiving side acknowledges the withdrawal.",
    ),
    _S.CLOSED: (
        "Hồ sơ đã kết thúc, không còn thao tác nào.",
        "The file is closed; nothing more can be done.",
    ),
}

ACTION_LABEL: dict[Action, tuple[str, str]] = {
    Action.SEND: ("Gửi", "Send"),
    Action.SUBMIT: ("Trình phê duyệt", "Submit for validation"),
    Action.VALIDATE: ("Phê duyệt và gửi", "Validate and send"),
    Action.RETURN: ("Trả lại để sửa", "Return for changes"),
    Action.DELIVER: ("Ghi nhận đã chuyển đến", "Record delivery"),
    Action.ACKNOWLEDGE: ("Tiếp nhận", "Acknowledge"),
    Action.REQUEST_INFO: ("Đề nghị bổ sung thông tin", "Request more information"),
    Action.PROVIDE_INFO: ("Bổ sung thông tin", "Provide information"),
    Action.ACCEPT: ("Chấp nhận", "Accept"),
    Action.REFUSE: ("Từ chối", "Refuse"),
    Action.START: ("Bắt đầu thực hiện", "Start"),
    Action.POSTPONE: ("Tạm hoãn", "Postpone"),
    Action.RESUME: ("Tiếp tục thực hiện", "Resume"),
    Action.ANSWER_PARTIALLY: ("Trả lời một phần", "Answer in part"),
    Action.ANSWER: ("Trả lời", "Answer"),
    Action.CLOSE: ("Kết thúc hồ sơ", "Close"),
    Action.WITHDRAW: ("Rút yêu cầu", "Withdraw"),
    Action.ACKNOWLEDGE_WITHDRAWAL: ("Xác nhận việc rút yêu cầu", "Acknowledge withdrawal"),
}

REFUSAL_LABEL: dict[RefusalReason, tuple[str, str]] = {
    RefusalReason.NO_LEGAL_BASIS: ("Không có căn cứ pháp lý", "No legal basis"),
    RefusalReason.OUTSIDE_AGREEMENT_SCOPE: (
        "Ngoài phạm vi thỏa thuận hợp tác",
        "Outside the agreement's scope",
    ),
    RefusalReason.INSUFFICIENT_INFORMATION: (
        "Không đủ thông tin để thực hiện",
        "Insufficient information",
    ),
    RefusalReason.NOT_PROPORTIONATE: ("Không tương xứng", "Not proportionate"),
    RefusalReason.NATIONAL_SECURITY: ("Ảnh hưởng đến an ninh quốc gia", "National security"),
    RefusalReason.JEOPARDISES_INVESTIGATION: (
        "Gây phương hại cho điều tra đang tiến hành",
        "Would jeopardise an ongoing investigation",
    ),
    RefusalReason.POLITICAL_MILITARY_RELIGIOUS_RACIAL: (
        "Mang tính chính trị, quân sự, tôn giáo hoặc chủng tộc",
        "Political, military, religious or racial character (Interpol art. 3)",
    ),
    RefusalReason.PERSON_NOT_FOUND_IN_JURISDICTION: (
        "Đối tượng không có mặt trong địa bàn quản lý",
        "The person is not in our jurisdiction",
    ),
    RefusalReason.OTHER: ("Lý do khác", "Other"),
}


# --- the docs, derived from RULES -------------------------------------------------------

TABLE_HEADER = "| action | from | to | side | who | details | condition |"


def _who_cell(rule: Rule) -> str:
    if rule.by_node:
        return "node"
    return ", ".join(r.value for r in (Role.OFFICER, Role.ADMIN) if r in rule.roles)


def _condition_cell(rule: Rule) -> str:
    parts = []
    if rule.kinds == COERCIVE:
        parts.append("coercive kinds only")
    elif rule.kinds == NON_COERCIVE:
        parts.append("non-coercive kinds only")
    elif rule.kinds != ALL_KINDS:
        parts.append("kinds: " + ", ".join(f"`{k}`" for k in sorted(rule.kinds)))
    if rule.not_submitter:
        parts.append("not the submitter")
    return "; ".join(parts) or "—"


def rule_row(rule: Rule) -> tuple[str, ...]:
    """The cells of a rule's row in docs/assistance.md."""
    sources = ", ".join(f"`{s}`" for s in State if s in rule.sources)
    return (
        f"`{rule.action}`",
        sources,
        f"`{rule.target}`" if rule.target is not None else "(back where it was)",
        rule.side.value,
        _who_cell(rule),
        ", ".join(f"`{n}`" for n in rule.needs) or "—",
        _condition_cell(rule),
    )


def rules_table() -> str:
    """The rules as the Markdown table of docs/assistance.md."""
    lines = [TABLE_HEADER, "|" + "---|" * TABLE_HEADER.count(" | ") + "---|"]
    lines += ["| " + " | ".join(rule_row(r)) + " |" for r in RULES]
    return "\n".join(lines)


def mermaid() -> str:
    """The rules as a Mermaid `stateDiagram-v2` (one edge per source, label = action)."""
    lines = ["stateDiagram-v2", f"    [*] --> {_S.DRAFT}"]
    for rule in RULES:
        for source in (s for s in State if s in rule.sources):
            if rule.target is None:
                for back in (s for s in State if s in RESUMABLE):
                    lines.append(f"    {source} --> {back}: {rule.action}")
            else:
                lines.append(f"    {source} --> {rule.target}: {rule.action}")
    lines.append(f"    {_S.CLOSED} --> [*]")
    return "\n".join(lines)
