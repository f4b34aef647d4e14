"""`hoptac backup` and `hoptac restore`: a node (its database and its key files) to one
archive and back (`hoptac.db.backup`; see docs/security.md, "Backup and restore")."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hoptac.auth import audit
from hoptac.cli.common import node_engine
from hoptac.cli.exchange import DataOpt
from hoptac.db import backup as node_backup
from hoptac.db.engine import make_sessionmaker, transaction
from hoptac.settings import get_settings


def backup(
    archive: Annotated[
        Path, typer.Argument(help="The archive to write (tar.gz); it must not exist yet.")
    ],
    data: DataOpt = None,
) -> None:
    """Write the node — every table of its database and every file of its key directory —
    to ARCHIVE, readable by this account only: it holds the node's private keys."""
    with node_engine() as engine:
        done = node_backup.backup(engine, get_settings().home, archive)
        with transaction(make_sessionmaker(engine)) as session:  # after the snapshot
            audit.record(
                session,
                audit.Action.EXPORTED,
                username="(cli)",
                object_type="backup",
                detail={"archive": str(archive), "rows": done.rows, "key_files": done.files},
            )
    typer.echo(
        f"{done.rows} rows of {done.tables} tables and {done.files} key files "
        f"(revision {done.revision}) -> {archive}"
    )
    typer.secho(
        "it holds the node's private keys: keep it as you keep them", fg=typer.colors.YELLOW
    )


def restore(
    archive: Annotated[Path, typer.Argument(help="An archive written by `hoptac backup`.")],
    data: DataOpt = None,
) -> None:
    """Restore ARCHIVE into this node: an empty database (run `hoptac db upgrade` first)
    and a key directory without those key files. All of it, or nothing."""
    with node_engine() as engine:
        done = node_backup.restore(engine, get_settings().home, archive)
        typer.echo(
            f"{done.rows} rows of {done.tables} tables and {done.files} key files restored "
            f"(revision {done.revision})"
        )
        with make_sessionmaker(engine)() as session:
            verdict = audit.verify(session)
    if not verdict.ok:
        typer.secho(
            f"audit log broken at row {verdict.bad_seq}: {verdict.reason}",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"audit log intact: {verdict.rows} rows, head {verdict.head}")
