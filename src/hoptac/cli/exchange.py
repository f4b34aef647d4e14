"""`hoptac init`, `hoptac peer ...` and `hoptac hotline ...`: a node's identity, its
partners, and the hotline from the terminal. The terminal acts as the node's own agency
(an admin of it), and every command that reads a message is audited like the web app."""

from __future__ import annotations

import json
import mimetypes
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from hoptac.auth.principal import Principal
from hoptac.cli.common import emit_json, session_factory
from hoptac.db.engine import transaction
from hoptac.errors import InvalidInput
from hoptac.settings import get_settings
from hoptac.types import Role

peer_app = typer.Typer(
    help="Partner nodes: this node's card, pinning a partner's.", no_args_is_help=True
)
hotline_app = typer.Typer(help="The hotline: send, list, read messages.", no_args_is_help=True)


def use_home(value: Path | None) -> Path | None:
    """`--data DIR`: the node's directory for this command (as HOPTAC_HOME would): its key
    files, and its SQLite database `DIR/hoptac.db` unless HOPTAC_DATABASE_URL names
    another — the URL wins, and the command says so when both are given."""
    if value is not None:
        os.environ["HOPTAC_HOME"] = str(value)
        get_settings.cache_clear()
        url = os.environ.get("HOPTAC_DATABASE_URL")
        if url:
            typer.secho(
                f"warning: HOPTAC_DATABASE_URL is set: the database is {url.split('@')[-1]}, "
                f"not {value / 'hoptac.db'} (--data names the key directory)",
                fg=typer.colors.YELLOW,
                err=True,
            )
    return value


DataOpt = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="The node's directory: keys, and its SQLite database (default: HOPTAC_HOME or .).",
        envvar="HOPTAC_HOME",
        callback=use_home,
        is_eager=True,
    ),
]


def _node_principal(session: Session) -> Principal:
    from hoptac.exchange import identity

    node = identity.this_node(session)
    user = os.environ.get("USER") or "terminal"
    return Principal(
        user_id=None, username=f"cli:{user}", agency_id=node.agency_id, role=Role.ADMIN
    )


def _keys(session: Session) -> Any:
    from hoptac.exchange import identity

    return identity.load_keys(session, get_settings().keys_dir)


def init(
    node_id: Annotated[str, typer.Option("--node-id", help="This node's id, e.g. vn-hanoi-pd.")],
    name: Annotated[str, typer.Option(help="The agency that runs this node.")],
    url: Annotated[str, typer.Option(help="The URL partners reach this node at.")],
    data: DataOpt = None,
    agency: Annotated[
        str | None, typer.Option(help="An existing agency (id, ref or name) this node serves.")
    ] = None,
) -> None:
    """Create a node: its directory, database, Ed25519 + X25519 key pair and identity."""
    from hoptac.db import migrate
    from hoptac.exchange import identity

    settings = get_settings()
    os.umask(0o077)  # the database and the keys: readable by this account only
    settings.home.mkdir(mode=0o700, parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url)
    _owner_only_database(settings.database_url)
    with transaction(session_factory()) as session:
        node, keys = identity.init_node(
            session, settings.keys_dir, node_id=node_id, name=name, url=url, agency_ref=agency
        )
    typer.echo(f"node {node.node_id} ({node.name}) at {node.url}")
    typer.echo(f"keys in {settings.keys_dir} (owner-only)")
    typer.echo(f"fingerprint {keys.fingerprint}")


def _owner_only_database(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if path.exists():
            path.chmod(0o600)


@peer_app.command("card")
def peer_card(
    data: DataOpt = None,
    output: Annotated[Path | None, typer.Option(help="Write the card to this file.")] = None,
) -> None:
    """Print this node's public card (JSON) for partners to pin."""
    from hoptac.exchange import identity

    with session_factory()() as session:
        card = identity.card(identity.this_node(session), _keys(session))
    emit_json(card, output)
    if output is not None:
        typer.echo(f"card written to {output}")


@peer_app.command("add")
def peer_add(
    card: Annotated[Path, typer.Argument(help="The partner's card (JSON file).")],
    data: DataOpt = None,
    agreement: Annotated[
        str | None, typer.Option(help="The agreement (id or ref) the exchange rests on.")
    ] = None,
    send: Annotated[
        str, typer.Option(help="Kinds this node may send them, comma-separated.")
    ] = "message",
    receive: Annotated[str, typer.Option(help="Kinds it accepts from them.")] = "message",
    yes: Annotated[
        bool, typer.Option("--yes", help="The fingerprint was confirmed out of band already.")
    ] = False,
) -> None:
    """Pin a partner's keys, after showing the fingerprint to confirm with them."""
    from hoptac.errors import InvalidInput
    from hoptac.exchange import identity, peering

    try:
        obj = json.loads(card.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"{card}: not a card ({exc})") from None
    checked = identity.read_card(obj)
    typer.echo(f"{checked['name']} ({checked['node_id']}) at {checked['url']}")
    typer.echo(f"fingerprint {checked['fingerprint']}")
    if not yes and not typer.confirm("Has the partner confirmed this fingerprint?"):
        raise typer.Exit(1)
    with transaction(session_factory()) as session:
        peer = peering.add_peer(
            session,
            obj,
            agreement=agreement,
            send_kinds=[k.strip() for k in send.split(",") if k.strip()],
            receive_kinds=[k.strip() for k in receive.split(",") if k.strip()],
            keys=_keys(session),
        )
        typer.echo(
            f"pinned {peer.node_id}: sends {', '.join(peer.send_kinds)}; "
            f"receives {', '.join(peer.receive_kinds)}"
        )


@peer_app.command("revoke")
def peer_revoke(
    node_id: Annotated[str, typer.Argument(help="The partner's node id.")],
    data: DataOpt = None,
) -> None:
    """Stop trusting a partner's pinned keys (then `peer add` its new card)."""
    from hoptac.exchange import peering

    with transaction(session_factory()) as session:
        peer = peering.revoke_peer(session, node_id)
        typer.echo(f"{peer.node_id} revoked (fingerprint {peer.fingerprint})")


@peer_app.command("list")
def peer_list(
    data: DataOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False
) -> None:
    """The pinned partners."""
    from hoptac.exchange import peering

    with session_factory()() as session:
        rows: list[dict[str, Any]] = [
            {
                "node_id": p.node_id,
                "name": p.name,
                "url": p.url,
                "fingerprint": p.fingerprint,
                "send": p.send_kinds,
                "receive": p.receive_kinds,
                "agreement": p.agreement_id,
                "failures": p.failures,  # the sender's backoff: consecutive failed rounds,
                "retry_at": p.retry_at.isoformat() + "Z" if p.retry_at else None,
                "last_error": p.last_error,  # ... when it tries next, and why it waits
            }
            for p in peering.peers(session)
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        typer.echo(f"{r['node_id']:<24} {r['name']}  {r['url']}  [{r['fingerprint'][:19]}]")
        if r["retry_at"]:
            typer.echo(f"{'':<24} next try {r['retry_at']}: {r['last_error']}")


@hotline_app.command("send")
def hotline_send(
    to: Annotated[str, typer.Option(help="The partner's node id.")],
    subject: Annotated[str, typer.Option(help="Subject line.")],
    body: Annotated[str, typer.Option(help="The message ('-' reads standard input).")],
    data: DataOpt = None,
    priority: Annotated[str, typer.Option(help="routine, urgent or flash.")] = "routine",
    handling: Annotated[str, typer.Option(help="H0, H1, H2 or H3.")] = "H0",
    handling_note: Annotated[str | None, typer.Option(help="H3: the restrictions.")] = None,
    reliability: Annotated[str, typer.Option(help="Source reliability A, B, C or X.")] = "B",
    accuracy: Annotated[int, typer.Option(help="Information accuracy 1-4.")] = 2,
    attach: Annotated[
        list[Path] | None, typer.Option(help="A file to attach (repeatable).")
    ] = None,
    reply_to: Annotated[str | None, typer.Option(help="The message this answers.")] = None,
) -> None:
    """Queue a message for a partner; prints its envelope id. The node's sender delivers
    it (`hoptac serve` runs one)."""
    from hoptac.exchange import hotline

    text = sys.stdin.read() if body == "-" else body
    files = []
    for path in attach or []:
        try:
            data_bytes = path.read_bytes()
        except OSError as exc:
            raise InvalidInput(f"cannot attach {path}: {exc.strerror}") from None
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        files.append(hotline.Attachment(path.name, kind, data_bytes))
    with transaction(session_factory()) as session:
        row = hotline.send_message(
            session,
            _keys(session),
            _node_principal(session),
            to=to,
            subject=subject,
            text=text,
            priority=priority,
            handling=handling,
            handling_note=handling_note,
            reliability=reliability,
            accuracy=accuracy,
            attachments=files,
            in_reply_to=reply_to,
        )
        envelope_id = row.envelope_id
    typer.echo(envelope_id)


@hotline_app.command("list")
def hotline_list(
    data: DataOpt = None,
    peer: Annotated[str | None, typer.Option(help="One partner only.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON array.")] = False,
    limit: Annotated[int, typer.Option(help="Newest first, at most this many.")] = 100_000,
) -> None:
    """Messages sent and received, newest first, with their status (no content)."""
    from hoptac.exchange import hotline

    with session_factory()() as session:
        rows, _ = hotline.list_envelopes(
            session, _node_principal(session), None, peer=peer, limit=limit
        )
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        arrow = "→" if r["direction"] == "out" else "←"
        typer.echo(f"{r['id']}  {arrow} {r['peer']:<20} {r['priority'] or '':<8} {r['status']}")


@hotline_app.command("read")
def hotline_read(
    envelope: Annotated[str, typer.Argument(help="Envelope id.")],
    data: DataOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show a message (marks it read and tells the partner; audited)."""
    from hoptac.exchange import hotline

    with transaction(session_factory()) as session:
        m = hotline.read_message(session, _keys(session), _node_principal(session), envelope)
        out = {**hotline.summary(m.row, m.body), "text": m.body.get("text")}
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    typer.echo(f"{out['subject']}  [{out['priority']}, {out['handling']}, {out['status']}]")
    typer.echo(out["text"])


@hotline_app.command("ack")
def hotline_ack(envelope: Annotated[str, typer.Argument()], data: DataOpt = None) -> None:
    """Acknowledge an urgent message."""
    from hoptac.exchange import hotline

    with transaction(session_factory()) as session:
        hotline.acknowledge(session, _node_principal(session), envelope)
    typer.echo(f"{envelope} acknowledged")


@hotline_app.command("forward")
def hotline_forward(
    envelope: Annotated[str, typer.Argument()],
    to: Annotated[str, typer.Option(help="The partner to pass it on to.")],
    data: DataOpt = None,
    note: Annotated[str, typer.Option(help="A line above the forwarded text.")] = "",
) -> None:
    """Pass a received message on to another partner (H2: only with the provider's leave)."""
    from hoptac.exchange import hotline

    factory = session_factory()
    with factory() as session:
        row = hotline.forward(session, _keys(session), _node_principal(session), envelope, to, note)
        session.commit()
        typer.echo(row.envelope_id)


@hotline_app.command("permit")
def hotline_permit(
    envelope: Annotated[str, typer.Argument(help="A message this node sent.")],
    grantee: Annotated[str, typer.Option(help="A node id, or 'export'.")],
    data: DataOpt = None,
) -> None:
    """As the provider of an H2 message: let its recipient disseminate it to GRANTEE."""
    from hoptac.exchange import hotline

    with transaction(session_factory()) as session:
        row = hotline.grant(session, _keys(session), _node_principal(session), envelope, grantee)
        typer.echo(row.envelope_id)


@hotline_app.command("export")
def hotline_export(
    data: DataOpt = None,
    output: Annotated[Path | None, typer.Option(help="JSON file (default: stdout).")] = None,
) -> None:
    """The messages with their content; received H2 messages need the provider's leave."""
    from hoptac.exchange import hotline

    with transaction(session_factory()) as session:
        rows, withheld = hotline.export(session, _keys(session), _node_principal(session))
    emit_json(rows, output)
    typer.echo(f"{len(rows)} messages exported; {withheld} H2 withheld", err=True)
