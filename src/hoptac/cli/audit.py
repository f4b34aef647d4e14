"""`hoptac audit`: check the audit log's hash chain and its anchors; take a signed head;
purge rows past their retention."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from hoptac.auth import audit
from hoptac.cli.common import emit_json, session_factory
from hoptac.cli.exchange import DataOpt
from hoptac.db.engine import transaction
from hoptac.errors import InvalidInput
from hoptac.settings import get_settings

audit_app = typer.Typer(
    help="The audit log: verify its hash chain, take a signed head, purge old rows."
)


def _read_head(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"{path}: not an audit head ({exc})") from None


@audit_app.command("verify")
def verify(
    data: DataOpt = None,
    head: Annotated[
        Path | None,
        typer.Option(
            "--head",
            help="A head written by `hoptac audit head`: the chain must still hold its row "
            "with its hash, and its signature must verify with this node's key.",
        ),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail on a warning too (an unprovable anchor).")
    ] = False,
) -> None:
    """Walk the hash chain and check the purge anchors; name the first edited, missing or
    reordered row, a row left below an anchor, or a forged anchor (exit 1)."""
    statement = _read_head(head) if head is not None else None
    with session_factory()() as session:
        verdict = audit.verify(session)
        checked = (
            audit.check_head(session, statement, verdict, key_file_public=_key_file_public())
            if head
            else (None, "")
        )
    if not verdict.ok:
        typer.secho(
            f"audit log broken at row {verdict.bad_seq}: {verdict.reason} "
            f"({verdict.rows} rows intact before it, last good hash {verdict.head})",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)
    for warning in verdict.warnings:
        typer.secho(f"warning: {warning}", fg=typer.colors.YELLOW, err=True)
    since = f" from row {verdict.start} (older rows purged)" if verdict.start > 1 else ""
    typer.echo(f"audit log intact: {verdict.rows} rows{since}, head {verdict.head}")
    reason, what = checked
    if head is not None and reason is not None:
        typer.secho(
            f"audit log does not match the head in {head}: {reason}"
            + (f" ({what})" if what else ""),
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)
    if head is not None:
        typer.echo(f"matches the head in {head}: {what}")
    if strict and verdict.warnings:
        raise typer.Exit(1)


@audit_app.command("head")
def head(
    data: DataOpt = None,
    output: Annotated[
        Path | None, typer.Option(help="Write the head to this file (default: print it).")
    ] = None,
) -> None:
    """Write the chain's head (its last row's seq and hash, the time), signed with the
    node's Ed25519 key (unsigned before `hoptac init`). Run it daily from cron and keep
    the files off the node (or send them to a partner): `hoptac audit verify --head FILE`
    then finds a chain rewritten or cut short since, which the database alone cannot."""
    from hoptac.db.models import ExchangeNode
    from hoptac.exchange import identity

    with session_factory()() as session:
        node = session.query(ExchangeNode).first()
        keys = identity.load_keys(session, get_settings().keys_dir) if node else None
        statement = audit.head_statement(
            session,
            node_id=node.node_id if node else None,
            signing=keys.signing if keys else None,
        )
    emit_json(statement, output)
    if output is not None:
        typer.echo(f"audit head (row {statement['seq']}) written to {output}", err=True)
    if node is None:
        typer.secho(
            "warning: unsigned: this node has no identity (`hoptac init`), so the head "
            "proves nothing against whoever can rewrite the file",
            fg=typer.colors.YELLOW,
            err=True,
        )
    else:
        typer.echo(f"signed by node {node.node_id}", err=True)


@audit_app.command("purge")
def purge(
    keep_days: Annotated[
        int, typer.Option(help=f"Keep rows this many days (at least {audit.RETENTION_DAYS}).")
    ],
    data: DataOpt = None,
) -> None:
    """Remove audit rows older than KEEP_DAYS but the newest of them, where the chain is
    anchored; the purge is an audit row naming the anchor. Run as the database owner:
    the application's role may not delete audit rows nor add anchors."""
    with transaction(session_factory()) as session:
        gone = audit.purge(session, keep_days, username="(cli)")
    typer.echo(f"{gone} audit rows removed")


def _key_file_public() -> str | None:
    """The public signing key of the node's key file (outside the database), if any."""
    from hoptac.exchange.keys import NodeKeys, b64

    keys_dir = get_settings().keys_dir
    if not (keys_dir / "signing.key").exists():
        return None
    return b64(NodeKeys.load(keys_dir).signing_public)
