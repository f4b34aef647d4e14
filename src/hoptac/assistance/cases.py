"""Cases: what ties persons, requests (sent and received), hotline threads, notices,
screening hits and evidence together. A case belongs to one agency and one officer in
charge; ownership moves by a recorded transfer. Evidence items are files (with SHA-256)
or physical items, each with an append-only chain of custody. A case is closed only when
none of its requests is open. One timeline per case, from every source, newest first.

Cases are read and changed by the owning agency's officers and admins (a viewer gets
403). The owner may share a case with another agency of the node up to a handling code
(`share`): that agency's officers and admins then read it, never change it (403), and see
of its requests and hotline threads only those at or under the code; notices, hits and
people still through their own scope. Any other agency gets 404. Every change leaves an
audit row with the values before and after; every read of a case or a file leaves one too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hoptac.assistance import service as requests
from hoptac.assistance.states import State
from hoptac.auth import audit
from hoptac.auth.audit import Action as Audit
from hoptac.auth.principal import Principal
from hoptac.auth.scoping import get_visible
from hoptac.db.models import (
    Agency,
    AssistanceRequest,
    Case,
    CaseEvent,
    CaseLink,
    CaseShare,
    CustodyTransfer,
    EnvelopeRow,
    EvidenceItem,
    Notice,
    Person,
    ScreeningHit,
    utcnow,
)
from hoptac.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, TooLarge
from hoptac.exchange import envelope as wire
from hoptac.screening import service as screening
from hoptac.types import Role, whole_number

LINK_KINDS = ("request", "notice", "hit", "person", "thread")
HANDLING = wire.HANDLING  # least to most restricted
EVIDENCE_KINDS = ("file", "physical")
EVIDENCE_MAX_BYTES = 25 * 1024 * 1024  # one evidence file (413 past it)
MAX_TEXT = 20_000


def _require(principal: Principal) -> None:
    if principal.role not in (Role.ADMIN, Role.OFFICER):
        raise Forbidden("only officers and admins handle cases")


def _text(value: Any, field: str, limit: int, *, required: bool = True) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        raise InvalidInput(f"{field} is required", errors=[FieldError(field, "is required")])
    if len(text) > limit:
        raise InvalidInput(
            f"{field} is too long", errors=[FieldError(field, f"at most {limit:,} characters")]
        )
    return text


def _event(session: Session, case: Case, principal: Principal, action: str, **detail: Any) -> None:
    session.add(CaseEvent(case_id=case.id, actor=principal.username, action=action, detail=detail))


def _audit(
    session: Session,
    principal: Principal,
    case: Case,
    step: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    client: str | None,
    action: Audit = Audit.CASE_CHANGED,
) -> None:
    audit.record(
        session,
        action,
        principal=principal,
        object_type="case",
        object_id=case.id,
        client=client,
        detail={"case": case.ref, "step": step, "before": before, "after": after},
    )


def _snapshot(case: Case) -> dict[str, Any]:
    return {
        "agency_id": case.agency_id,
        "officer": case.officer,
        "title": case.title,
        "status": case.status,
        "links": len(case.links),
        "evidence": len(case.evidence),
    }


# ---- the case ----------------------------------------------------------------------------


def open_case(
    session: Session,
    principal: Principal,
    title: str,
    summary: str = "",
    *,
    officer: str | None = None,
    client: str | None = None,
) -> Case:
    """A new case of the caller's agency, in the caller's charge (or `officer`'s)."""
    _require(principal)
    case = Case(
        ref=f"tmp-{datetime.now(UTC).timestamp()}",
        agency_id=principal.agency_id,
        officer=_text(officer or principal.username, "officer", 80),
        title=_text(title, "title", 300),
        summary=_text(summary, "summary", MAX_TEXT, required=False),
    )
    session.add(case)
    session.flush()
    case.ref = f"HS-{datetime.now(UTC).year}-{case.id:05d}"
    _event(session, case, principal, "opened", title=case.title)
    session.flush()
    _audit(session, principal, case, "opened", None, _snapshot(case), client)
    return case


def get_case(session: Session, principal: Principal, ref: str, *, write: bool = False) -> Case:
    """A case of the caller's agency, or (to read: `write` False) one shared with it; 404
    otherwise, whether missing or another's; 403 to change a case only shared with it."""
    _require(principal)
    case = session.scalar(sa.select(Case).where(Case.ref == ref))
    if case is None or (
        case.agency_id != principal.agency_id and share_of(case, principal) is None
    ):
        raise NotFound(f"no case {ref!r}")
    if write and case.agency_id != principal.agency_id:
        raise Forbidden(f"case {case.ref} is shared with your agency to read, not to change")
    return case


def share_of(case: Case, principal: Principal) -> CaseShare | None:
    """The caller's agency's share of another agency's case (None: its own, or none)."""
    if case.agency_id == principal.agency_id:
        return None
    return next((s for s in case.shares if s.agency_id == principal.agency_id), None)


def ceiling(case: Case, principal: Principal) -> str:
    """The highest handling code of what the caller reads in the case: all for its own."""
    share = share_of(case, principal)
    return share.max_handling if share is not None else HANDLING[-1]


def within(handling: str, top: str) -> bool:
    return HANDLING.index(handling) <= HANDLING.index(top) if handling in HANDLING else False


def share(
    session: Session,
    principal: Principal,
    ref: str,
    agency_id: int,
    max_handling: str,
    *,
    version: int | None = None,
    client: str | None = None,
) -> CaseShare:
    """Let another agency of the node read the case, up to `max_handling` (H0-H3); sharing
    again with the same agency changes its code."""
    case = _open_for_change(session, principal, ref, version, closed_ok=True)
    errors = []
    if max_handling not in HANDLING:
        errors.append(FieldError("max_handling", f"one of {', '.join(HANDLING)}"))
    if agency_id == case.agency_id:
        errors.append(FieldError("agency_id", "the case is already this agency's"))
    elif session.get(Agency, agency_id) is None:
        errors.append(FieldError("agency_id", "not found"))
    if errors:
        raise InvalidInput("the case cannot be shared so", errors=errors)
    before = _shares(case)
    row = next((s for s in case.shares if s.agency_id == agency_id), None)
    if row is None:
        row = CaseShare(case_id=case.id, agency_id=agency_id, shared_by=principal.username)
        session.add(row)
        case.shares.append(row)
    row.max_handling = max_handling
    _event(session, case, principal, "shared", agency_id=agency_id, max_handling=max_handling)
    case.updated_at = utcnow()
    session.flush()
    _audit(
        session, principal, case, f"shared with agency {agency_id}", before, _shares(case), client
    )
    return row


def unshare(
    session: Session,
    principal: Principal,
    ref: str,
    agency_id: int,
    *,
    version: int | None = None,
    client: str | None = None,
) -> Case:
    """Stop sharing the case with an agency (idempotent: not shared with it, no change)."""
    case = _open_for_change(session, principal, ref, version, closed_ok=True)
    row = next((s for s in case.shares if s.agency_id == agency_id), None)
    if row is None:
        return case
    before = _shares(case)
    case.shares.remove(row)
    session.delete(row)
    _event(session, case, principal, "unshared", agency_id=agency_id)
    case.updated_at = utcnow()
    session.flush()
    _audit(session, principal, case, f"unshared agency {agency_id}", before, _shares(case), client)
    return case


def _shares(case: Case) -> dict[str, Any]:
    return {"shares": {str(s.agency_id): s.max_handling for s in case.shares}}


def read_case(session: Session, principal: Principal, ref: str, client: str | None = None) -> Case:
    case = get_case(session, principal, ref)
    audit.record(
        session,
        Audit.CASE_READ,
        principal=principal,
        object_type="case",
        object_id=case.id,
        client=client,
        detail={"case": case.ref},
    )
    return case


def list_cases(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
    client: str | None = None,
) -> tuple[list[Case], int]:
    _require(principal)
    shared = sa.select(CaseShare.case_id).where(CaseShare.agency_id == principal.agency_id)
    query = sa.select(Case).where(
        sa.or_(Case.agency_id == principal.agency_id, Case.id.in_(shared))
    )
    if status in ("open", "closed"):
        query = query.where(Case.status == status)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Case.id.desc()).limit(limit).offset(offset)).all()
    audit.record(
        session,
        Audit.CASE_READ,
        principal=principal,
        object_type="cases",
        client=client,
        detail={"listed": len(rows), "status": status},
    )
    return list(rows), int(total)


def _open_for_change(
    session: Session, principal: Principal, ref: str, version: int | None, closed_ok: bool = False
) -> Case:
    case = get_case(session, principal, ref, write=True)
    if version is not None and case.version != version:
        from hoptac.errors import StaleEdit

        raise StaleEdit(f"the case changed since it was read (version {case.version})")
    if case.status == "closed" and not closed_ok:
        raise Conflict(f"case {case.ref} is closed")
    return case


def link(
    session: Session,
    principal: Principal,
    ref: str,
    kind: str,
    target: str,
    *,
    version: int | None = None,
    client: str | None = None,
) -> CaseLink:
    """Tie a record into the case; the record must be one the caller may see."""
    case = _open_for_change(session, principal, ref, version)
    if kind not in LINK_KINDS:
        raise InvalidInput(
            f"unknown link kind {kind!r}", errors=[FieldError("kind", ", ".join(LINK_KINDS))]
        )
    target = _text(target, "target", 40)
    _check_target(session, principal, kind, target)
    if any(x.kind == kind and x.ref == target for x in case.links):
        raise Conflict(f"the case already ties in this {kind}")
    before = _snapshot(case)
    row = CaseLink(case_id=case.id, kind=kind, ref=target, added_by=principal.username)
    session.add(row)
    case.links.append(row)
    _event(session, case, principal, "linked", kind=kind, ref=target)
    case.updated_at = utcnow()
    session.flush()
    _audit(session, principal, case, f"linked {kind} {target}", before, _snapshot(case), client)
    return row


def _check_target(session: Session, principal: Principal, kind: str, target: str) -> None:
    missing = InvalidInput(
        f"no {kind} {target!r} that you may see", errors=[FieldError("target", "not found")]
    )
    if kind == "request":
        try:
            requests.get_request(session, principal, target)
        except (NotFound, Forbidden):
            raise missing from None
        return
    if kind == "thread":
        node_agency = requests.require_liaison(session, principal).agency_id
        found = session.scalar(
            sa.select(EnvelopeRow.seq).where(EnvelopeRow.thread_id == target).limit(1)
        )
        if found is None or node_agency != principal.agency_id:
            raise missing
        return
    number = whole_number(target, max_value=2**62)
    if number is None:
        raise missing
    try:
        if kind == "hit":
            screening.read_hit(session, principal, number)
        else:
            get_visible(session, Notice if kind == "notice" else Person, number, principal)
    except NotFound:
        raise missing from None


def transfer(
    session: Session,
    principal: Principal,
    ref: str,
    *,
    officer: str | None = None,
    agency_id: int | None = None,
    reason: str,
    version: int | None = None,
    client: str | None = None,
) -> Case:
    """Give the case to another officer in charge, or to another agency (hosted on this
    node); recorded with the reason. After a transfer to another agency the case is theirs
    and no longer the caller's to read."""
    case = _open_for_change(session, principal, ref, version)
    reason = _text(reason, "reason", 2_000)
    if officer is None and agency_id is None:
        raise InvalidInput(
            "name the new officer in charge or the agency",
            errors=[FieldError("officer", "or agency_id")],
        )
    before = _snapshot(case)
    if agency_id is not None:
        if session.get(Agency, agency_id) is None:
            raise InvalidInput("no such agency", errors=[FieldError("agency_id", "not found")])
        case.agency_id = agency_id
    if officer is not None:
        case.officer = _text(officer, "officer", 80)
    _event(
        session, case, principal, "transferred",
        officer=case.officer, agency_id=case.agency_id, reason=reason,
    )  # fmt: skip
    session.flush()
    _audit(session, principal, case, "transferred", before, _snapshot(case), client)
    return case


def close(
    session: Session,
    principal: Principal,
    ref: str,
    *,
    version: int | None = None,
    client: str | None = None,
) -> Case:
    """Close the case: refused (409, naming them) while any of its requests is open."""
    case = _open_for_change(session, principal, ref, version)
    uids = [x.ref for x in case.links if x.kind == "request"]
    still = session.scalars(
        sa.select(AssistanceRequest.uid).where(
            AssistanceRequest.uid.in_(uids), AssistanceRequest.state != State.CLOSED
        )
    ).all()
    if still:
        raise Conflict(
            f"case {case.ref} has {len(still)} open request(s): {', '.join(sorted(still))}; "
            "close or withdraw them first"
        )
    before = _snapshot(case)
    case.status, case.closed_at = "closed", utcnow()
    _event(session, case, principal, "closed")
    session.flush()
    _audit(session, principal, case, "closed", before, _snapshot(case), client)
    return case


# ---- evidence ----------------------------------------------------------------------------


@dataclass(frozen=True)
class File:
    name: str
    content_type: str
    data: bytes


def add_evidence(
    session: Session,
    principal: Principal,
    ref: str,
    *,
    kind: str,
    description: str,
    holder: str,
    location: str | None = None,
    file: File | None = None,
    client: str | None = None,
) -> EvidenceItem:
    """An item of evidence: a file (hashed, kept whole) or a physical item. Its first
    holder opens its chain of custody."""
    case = _open_for_change(session, principal, ref, None)
    if kind not in EVIDENCE_KINDS:
        raise InvalidInput(
            f"unknown evidence kind {kind!r}", errors=[FieldError("kind", "file or physical")]
        )
    if (kind == "file") != (file is not None):
        raise InvalidInput(
            "a file item carries its file, a physical item none",
            errors=[FieldError("file", "required for a file, not allowed for a physical item")],
        )
    if file is not None and len(file.data) > EVIDENCE_MAX_BYTES:
        raise TooLarge(
            f"the file is {len(file.data):,} bytes; an evidence file is at most "
            f"{EVIDENCE_MAX_BYTES // (1024 * 1024)} MiB"
        )
    item = EvidenceItem(
        case_id=case.id,
        kind=kind,
        description=_text(description, "description", MAX_TEXT),
        holder=_text(holder, "holder", 200),
        location=_text(location, "location", 300, required=False) or None,
        added_by=principal.username,
    )
    if file is not None:
        item.name = _text(file.name, "file", 255)
        item.content_type = (file.content_type or "application/octet-stream")[:255]
        item.size, item.data = len(file.data), file.data
        item.sha256 = hashlib.sha256(file.data).hexdigest()
    before = _snapshot(case)
    session.add(item)
    case.evidence.append(item)
    session.flush()
    _event(
        session, case, principal, "evidence_added",
        item=item.id, kind=kind, sha256=item.sha256, holder=item.holder,
    )  # fmt: skip
    _audit(session, principal, case, f"evidence {item.id} added", before, _snapshot(case), client)
    return item


def _item(
    session: Session, principal: Principal, ref: str, item_id: int, write: bool = False
) -> EvidenceItem:
    case = get_case(session, principal, ref, write=write)
    item = next((e for e in case.evidence if e.id == item_id), None)
    if item is None:
        raise NotFound(f"no evidence item {item_id} in case {case.ref}")
    return item


def transfer_custody(
    session: Session,
    principal: Principal,
    ref: str,
    item_id: int,
    *,
    to_holder: str,
    place: str,
    reason: str,
    at: datetime | None = None,
    client: str | None = None,
) -> CustodyTransfer:
    """One more hand in the item's chain of custody (append-only): who gave it to whom,
    when, where and why."""
    _open_for_change(session, principal, ref, None)
    item = _item(session, principal, ref, item_id)
    when = (at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    if when > utcnow():
        raise InvalidInput(
            "a transfer is recorded once it happened", errors=[FieldError("at", "in the future")]
        )
    row = CustodyTransfer(
        evidence_id=item.id,
        from_holder=item.holder,
        to_holder=_text(to_holder, "to_holder", 200),
        at=when,
        place=_text(place, "place", 300),
        reason=_text(reason, "reason", 2_000),
        recorded_by=principal.username,
    )
    session.add(row)
    item.custody.append(row)
    before = {"holder": item.holder, "location": item.location}
    item.holder, item.location = row.to_holder, row.place
    session.flush()
    audit.record(
        session,
        Audit.CUSTODY_TRANSFERRED,
        principal=principal,
        object_type="evidence",
        object_id=item.id,
        client=client,
        detail={
            "case": ref,
            "before": before,
            "after": {"holder": item.holder, "location": item.location},
            "at": when.isoformat(),
            "reason": row.reason,
        },
    )
    return row


def evidence_file(
    session: Session, principal: Principal, ref: str, item_id: int, client: str | None = None
) -> EvidenceItem:
    """An evidence file, to download; audited."""
    item = _item(session, principal, ref, item_id)
    if item.data is None:
        raise NotFound("this item is a physical item: it has no file")
    audit.record(
        session,
        Audit.CASE_READ,
        principal=principal,
        object_type="evidence",
        object_id=item.id,
        client=client,
        detail={"case": ref, "sha256": item.sha256},
    )
    return item


# ---- the timeline ------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    at: datetime
    source: str  # case | custody | request | hit | notice | message
    what: str
    detail: Mapping[str, Any]
    href: str | None = None


def _shared_requests(
    session: Session, case: Case, uids: list[str], top: str
) -> list[AssistanceRequest]:
    """The owner's requests a reader of a shared case sees: at or under its code."""
    if not uids:
        return []
    rows = session.scalars(
        sa.select(AssistanceRequest).where(
            AssistanceRequest.uid.in_(uids), AssistanceRequest.agency_id == case.agency_id
        )
    ).all()
    return [r for r in rows if within(r.handling, top)]


def _shared_threads(session: Session, threads: list[str], top: str) -> set[str]:
    """The hotline threads a reader of a shared case sees: all their messages at or under
    its code (one message above it hides the thread)."""
    if not threads:
        return set()
    rows = session.execute(
        sa.select(EnvelopeRow.thread_id, EnvelopeRow.handling).where(
            EnvelopeRow.thread_id.in_(threads), EnvelopeRow.kind == "message"
        )
    ).all()
    above = {str(thread) for thread, handling in rows if not within(handling, top)}
    return {str(thread) for thread, _ in rows} - above


def visible_links(session: Session, principal: Principal, case: Case) -> list[CaseLink]:
    """The case's links the caller sees: all of them for its own agency; for an agency it
    is shared with, its requests and threads only at or under the share's code (the
    notices, hits and people it ties in each show what the reader's own scope lets it)."""
    if share_of(case, principal) is None:
        return list(case.links)
    return _shared_view(session, case, ceiling(case, principal))[0]


def _shared_view(
    session: Session, case: Case, top: str
) -> tuple[list[CaseLink], list[AssistanceRequest]]:
    """(the links, the owner's requests) a reader of the case shared up to `top` sees."""
    uids = [x.ref for x in case.links if x.kind == "request"]
    rows = _shared_requests(session, case, uids, top)
    seen = {r.uid for r in rows}
    threads_seen = _shared_threads(session, [x.ref for x in case.links if x.kind == "thread"], top)
    links = [
        x
        for x in case.links
        if (x.kind == "request" and x.ref in seen)
        or (x.kind == "thread" and x.ref in threads_seen)
        or x.kind not in ("request", "thread")
    ]
    return links, rows


def timeline(session: Session, principal: Principal, case: Case) -> list[Entry]:
    """Everything that happened to the case and the records it ties in, newest first. A
    reader of a shared case sees what `visible_links` lets it, without links to the
    owner's requests and threads (its agency cannot open them)."""
    if share_of(case, principal) is not None:
        return _shared_timeline(session, principal, case)
    out = [Entry(e.at, "case", e.action, e.detail) for e in case.events]
    out += _custody_entries(case)
    by_kind: dict[str, list[str]] = {}
    for x in case.links:
        by_kind.setdefault(x.kind, []).append(x.ref)
    for uid in by_kind.get("request", []):
        try:
            row = requests.get_request(session, principal, uid)
        except (NotFound, Forbidden):
            continue  # no longer the caller's to see
        for e in row.history:
            out.append(
                Entry(
                    e.at, "request", e.action,
                    {"request": row.title, "actor": e.actor, "to": e.to_state, **e.details},
                    f"/requests/{row.uid}",
                )
            )  # fmt: skip
    out += _hit_entries(session, principal, by_kind.get("hit", []))
    out += _notice_entries(session, principal, by_kind.get("notice", []))
    threads = by_kind.get("thread", [])
    if threads:
        for env in session.scalars(
            sa.select(EnvelopeRow).where(
                EnvelopeRow.thread_id.in_(threads), EnvelopeRow.kind == "message"
            )
        ):
            out.append(
                Entry(
                    env.created_at, "message", "sent" if env.direction == "out" else "received",
                    {"peer": env.peer.node_id},
                    f"/hotline/threads/{env.thread_id}",
                )
            )  # fmt: skip
    out.sort(key=lambda e: e.at, reverse=True)
    return out


def _shared_timeline(session: Session, principal: Principal, case: Case) -> list[Entry]:
    links, rows = _shared_view(session, case, ceiling(case, principal))
    seen = {(x.kind, x.ref) for x in links}
    out = [
        Entry(e.at, "case", e.action, e.detail)
        for e in case.events
        # a request or thread above the share's code: not even its linking is shown
        if not (e.action == "linked" and e.detail.get("kind") in ("request", "thread")
                and (e.detail.get("kind"), e.detail.get("ref")) not in seen)
    ]  # fmt: skip
    out += _custody_entries(case)
    for row in rows:
        for e in row.history:
            out.append(
                Entry(e.at, "request", e.action,
                      {"request": row.title, "actor": e.actor, "to": e.to_state, **e.details})
            )  # fmt: skip
    out += _hit_entries(session, principal, [x.ref for x in links if x.kind == "hit"])
    out += _notice_entries(session, principal, [x.ref for x in links if x.kind == "notice"])
    threads = [x.ref for x in links if x.kind == "thread"]
    if threads:
        for env in session.scalars(
            sa.select(EnvelopeRow).where(
                EnvelopeRow.thread_id.in_(threads), EnvelopeRow.kind == "message"
            )
        ):
            out.append(
                Entry(env.created_at, "message", "sent" if env.direction == "out" else "received",
                      {"peer": env.peer.node_id})
            )  # fmt: skip
    out.sort(key=lambda e: e.at, reverse=True)
    return out


def _custody_entries(case: Case) -> list[Entry]:
    return [
        Entry(
            t.at, "custody", "custody",
            {"item": item.id, "from": t.from_holder, "to": t.to_holder,
             "place": t.place, "reason": t.reason},
        )
        for item in case.evidence
        for t in item.custody
    ]  # fmt: skip


def _hit_entries(session: Session, principal: Principal, hit_ids: list[str]) -> list[Entry]:
    """The decisions on the hits the caller may see (through its own scope)."""
    out = []
    for hit_id in hit_ids:
        number = whole_number(hit_id, max_value=2**62)
        hit = (
            session.scalar(screening.visible_hits(principal).where(ScreeningHit.id == number))
            if number is not None
            else None
        )
        if hit is not None and hit.reviewed_at is not None:
            out.append(
                Entry(
                    hit.reviewed_at, "hit", str(hit.status),
                    {"reason": hit.decision_reason or "", "by": hit.reviewer or ""},
                    f"/screening/hits/{hit.id}",
                )
            )  # fmt: skip
    return out


def _notice_entries(session: Session, principal: Principal, notice_ids: list[str]) -> list[Entry]:
    """The notices the caller may see (through its own scope), as they are now."""
    out = []
    for notice_id in notice_ids:
        number = whole_number(notice_id, max_value=2**62)
        try:
            notice = get_visible(session, Notice, number or 0, principal)
        except NotFound:
            continue
        out.append(
            Entry(
                notice.updated_at, "notice", str(notice.status), {"name": notice.name},
                f"/notices/{notice.id}",
            )
        )  # fmt: skip
    return out
