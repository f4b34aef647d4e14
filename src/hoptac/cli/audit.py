"""`hoptac audit`: check the audit log's hash chain; purge rows past their retention."""

from __future__ import annotations

from typing import Annotated

import typer

from hoptac.auth import audit
from hoptac.cli.common import friendly, session_factory
from hoptac.cli.exchange import DataOpt
from hoptac.db.engine import transaction

audit_app = typer.Typer(help="The audit log: verify its hash chain, purge old rows.")


@audit_app.command("verify")
@friendly
def verify(data: DataOpt = None) -> None:
    """Walk the hash chain; name the first edited, missing or reordered row (exit 1)."""
    with session_factory()() as session:
        verdict = audit.verify(session)
    if verdict.ok:
        since = f" from row {verdict.start} (older rows purged)" if verdict.start > 1 else ""
        typer.echo(f"audit log intact: {verdict.rows} rows{since}, head {verdict.head}")
        return
    typer.secho(
        f"audit log broken at row {verdict.bad_seq}: {verdict.reason} "
        f"({verdict.rows} rows intact before it, last good hash {verdict.head})",
        fg=typer.colors.RED,
        err=True,
    )
    raise typer.Exit(1)


@audit_app.command("purge")
@friendly
def purge(
    keep_days: Annotated[
        int, typer.Option(help=f"Keep rows this many days (at least {audit.RETENTION_DAYS}).")
    ],
    data: DataOpt = None,
) -> None:
    """Remove audit rows older than KEEP_DAYS; the chain is anchored at the first row kept.
    Run as the database owner: the application's role may not delete audit rows."""
    with transaction(session_factory()) as session:
        gone = audit.purge(session, keep_days)
        audit.record(
            session,
            audit.Action.AUDIT_PURGED,
            username="(cli)",
            detail={"rows": gone, "keep_days": keep_days},
        )
    typer.echo(f"{gone} audit rows removed")
