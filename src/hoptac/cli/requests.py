"""`hoptac request ...`: requests for assistance from the terminal, for scripts. Each
command acts as a named user (`--user`): a step's side and role are that user's, as in
the web app, and the same state machine decides."""

from __future__ import annotations

import base64
import json
import mimetypes
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from hoptac.cli.common import as_user, session_factory
from hoptac.cli.exchange import DataOpt
from hoptac.db.engine import transaction
from hoptac.errors import InvalidInput
from hoptac.settings import get_settings

request_app = typer.Typer(
    help="Requests for assistance: write, send, take steps, list.", no_args_is_help=True
)

UserOpt = Annotated[str, typer.Option("--user", help="Act as this user (their agency, role).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _keys(session: Any) -> Any:
    from hoptac.exchange import identity

    return identity.load_keys(session, get_settings().keys_dir)


def _person(text: str) -> dict[str, Any]:
    """NAME[|BIRTH[|NATIONALITY[|DOCUMENT]]], e.g. 'Wang Jian|1985-03-02|CN|E1234'."""
    parts = [p.strip() for p in text.split("|")]
    keys = ("name", "birth", "nationality", "document")
    return {k: v for k, v in zip(keys, parts, strict=False) if v}


def _as_dict(row: Any) -> dict[str, Any]:
    from hoptac.assistance import service

    top = service.nearest(row)
    return {
        "uid": row.uid,
        "side": row.side,
        "peer": row.peer.node_id,
        "kind": row.kind,
        "priority": row.priority,
        "state": row.state,
        "title": row.title,
        "partner_ref": row.partner_ref,
        "due_at": row.due_at.isoformat() + "Z" if row.due_at else None,
        "due_name": row.due_name,
        "overdue": bool(top and top.overdue),
        "paused": row.paused,
        "version": row.version,
    }


def _history(row: Any) -> list[dict[str, Any]]:
    return [
        {
            "seq": e.seq,
            "uid": e.uid,
            "action": e.action,
            "side": e.side,
            "actor": e.actor,
            "role": e.role,
            "at": e.at.isoformat() + "Z",
            "from": e.from_state,
            "to": e.to_state,
            "details": e.details,
        }
        for e in row.history
    ]


def _print(row: Any, as_json: bool, history: bool = False) -> None:
    out = _as_dict(row)
    if history:
        out["history"] = _history(row)
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    flag = "  OVERDUE" if out["overdue"] else ""
    typer.echo(
        f"{out['uid']}  {out['side']:<10} {out['peer']:<20} {out['kind']:<16} "
        f"{out['priority']} {out['state']}{flag}"
    )
    for e in out.get("history", []):
        seq = e["seq"] if e["seq"] is not None else "-"
        typer.echo(f"  {seq:>3} {e['at']}  {e['action']:<22} {e['actor']}  → {e['to']}")


@request_app.command("new")
def request_new(
    user: UserOpt,
    to: Annotated[str, typer.Option(help="The partner's node id.")],
    kind: Annotated[str, typer.Option(help="verify_identity, locate, evidence, arrest, ...")],
    title: Annotated[str, typer.Option(help="One line: what is asked.")],
    summary: Annotated[str, typer.Option(help="The facts and what is asked, in full.")],
    priority: Annotated[str, typer.Option(help="P1, P2 or P3.")] = "P3",
    priority_reason: Annotated[str | None, typer.Option(help="Why P1 (required for P1).")] = None,
    basis: Annotated[str | None, typer.Option(help="The legal basis, as text.")] = None,
    agreement: Annotated[int | None, typer.Option(help="The agreement's id it rests on.")] = None,
    measure: Annotated[list[str] | None, typer.Option(help="A measure asked (repeatable).")] = None,
    person: Annotated[
        list[str] | None, typer.Option(help="NAME|BIRTH|NATIONALITY|DOCUMENT (repeatable).")
    ] = None,
    attach: Annotated[list[Path] | None, typer.Option(help="A file (repeatable).")] = None,
    handling: Annotated[str, typer.Option(help="H0-H3.")] = "H0",
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write a draft request to a partner; prints its id. Nothing leaves the node until
    `hoptac request step ID send` (or submit + validate for coercive kinds)."""
    from hoptac.assistance import service

    files = []
    for path in attach or []:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot attach {path}: {exc.strerror}") from None
        files.append(
            {
                "name": path.name,
                "type": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
                "data": base64.b64encode(raw).decode(),
            }
        )
    body = {
        "to": to,
        "kind": kind,
        "priority": priority,
        "priority_reason": priority_reason,
        "title": title,
        "summary": summary,
        "measures": measure or [],
        "persons": [_person(p) for p in person or []],
        "legal_basis": basis,
        "legal_agreement_id": agreement,
        "handling": handling,
        "attachments": files,
    }
    with transaction(session_factory()) as session:
        row = service.create_draft(session, as_user(session, user), body)
        session.flush()
        if as_json:
            _print(row, True)
        else:
            typer.echo(row.uid)


@request_app.command("step")
def request_step(
    uid: Annotated[str, typer.Argument(help="The request's id.")],
    action: Annotated[str, typer.Argument(help="send, acknowledge, accept, answer, close, ...")],
    user: UserOpt,
    reason: Annotated[str | None, typer.Option(help="For return, postpone, withdraw.")] = None,
    question: Annotated[str | None, typer.Option(help="For request_info.")] = None,
    text: Annotated[str | None, typer.Option(help="For answers and provide_info.")] = None,
    reason_code: Annotated[str | None, typer.Option(help="For refuse.")] = None,
    new_date: Annotated[str | None, typer.Option(help="For postpone: YYYY-MM-DD.")] = None,
    partner_ref: Annotated[str | None, typer.Option(help="The partner's own reference.")] = None,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take one step of the state machine as `--user` (refused with the state named,
    the side or role, or the details missing)."""
    from hoptac.assistance import service

    details = {
        k: v
        for k, v in {
            "reason": reason,
            "question": question,
            "text": text,
            "reason_code": reason_code,
            "new_date": new_date,
            "partner_ref": partner_ref,
        }.items()
        if v is not None
    }
    with transaction(session_factory()) as session:
        row = service.take(session, _keys(session), as_user(session, user), uid, action, details)
        _print(row, as_json)


@request_app.command("extend")
def request_extend(
    uid: Annotated[str, typer.Argument(help="The request's id.")],
    deadline: Annotated[str, typer.Argument(help="acknowledge, answer, decide or execute.")],
    due: Annotated[str, typer.Argument(help="The new due time, ISO 8601 (UTC if no offset).")],
    reason: Annotated[str, typer.Option(help="Why more time is needed.")],
    user: UserOpt,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move a deadline (the receiving side), with a reason; the partner is told."""
    from hoptac.assistance import service

    try:
        when = datetime.fromisoformat(due.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"due: {due!r} is not an ISO 8601 time") from None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    with transaction(session_factory()) as session:
        principal = as_user(session, user)
        row = service.extend(session, _keys(session), principal, uid, deadline, when, reason)
        _print(row, as_json)


@request_app.command("show")
def request_show(
    uid: Annotated[str, typer.Argument(help="The request's id.")],
    user: UserOpt,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A request and its history, oldest step first (audited)."""
    from hoptac.assistance import service

    with transaction(session_factory()) as session:
        row = service.read_request(session, as_user(session, user), uid)
        _print(row, as_json, history=True)


@request_app.command("list")
def request_list(
    user: UserOpt,
    state: Annotated[str | None, typer.Option(help="One state only.")] = None,
    peer: Annotated[str | None, typer.Option(help="One partner only.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Not closed.")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Past a deadline.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many.")] = 1000,
    data: DataOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The agency's requests, the most pressing first (audited)."""
    from hoptac.assistance import service

    query = service.RequestQuery(
        state=state, peer=peer, open_only=open_only, overdue_only=overdue, limit=limit
    )
    with transaction(session_factory()) as session:
        rows, _ = service.list_requests(session, as_user(session, user), query)
        if as_json:
            typer.echo(json.dumps([_as_dict(r) for r in rows], ensure_ascii=False))
            return
        for r in rows:
            _print(r, False)
