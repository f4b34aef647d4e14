"""`hoptac` commands. Thin: parse arguments, call one service, print the result.

A domain error prints one red line and exits with status 1.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from hoptac import __version__, capabilities  # noqa: F401 (capabilities: inbox handlers)
from hoptac.cli import backup as backup_cli
from hoptac.cli import exchange as exchange_cli
from hoptac.cli.audit import audit_app
from hoptac.cli.common import Group, as_user, find_user, node_engine, session_factory
from hoptac.cli.exchange import DataOpt
from hoptac.cli.requests import request_app
from hoptac.db.engine import transaction
from hoptac.errors import HoptacError, InvalidInput
from hoptac.screening.score import HIT_THRESHOLD
from hoptac.settings import get_settings
from hoptac.types import Role

app = typer.Typer(
    cls=Group,
    help="hoptac — police cooperation registry, hotline and screening.",
    no_args_is_help=True,
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"hoptac {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and stop."
        ),
    ] = False,
) -> None:
    """hoptac — police cooperation registry, hotline and screening."""


db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data curated from the seed articles.", no_args_is_help=True)
user_app = typer.Typer(help="Local user accounts.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
names_app = typer.Typer(help="Cross-script person-name matching.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(names_app, name="names")
screening_app = typer.Typer(
    help="Screening in the database: imports and jobs, as a user of an agency.",
    no_args_is_help=True,
)
app.add_typer(screening_app, name="screening")
app.add_typer(exchange_cli.peer_app, name="peer")
app.add_typer(exchange_cli.hotline_app, name="hotline")
app.add_typer(request_app, name="request")
app.add_typer(audit_app, name="audit")
app.command("backup")(backup_cli.backup)
app.command("restore")(backup_cli.restore)
app.command("init")(exchange_cli.init)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    data: DataOpt = None,
) -> None:
    """Serve the web app and the API."""
    import uvicorn

    from hoptac.web.app import create_app

    typer.echo(f"hoptac on http://{host}:{port}  (database: {get_settings().database_url})")
    from hoptac.logs import CONFIG

    uvicorn.run(
        create_app(),
        host=host,
        port=port,
        proxy_headers=False,
        server_header=False,
        log_config=CONFIG,  # every line escaped: input cannot forge a log entry
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head", data: DataOpt = None) -> None:
    """Migrate the database schema up to REVISION (default: head)."""
    from hoptac.db import migrate

    migrate.upgrade(get_settings().database_url, revision)
    typer.echo(f"database at {revision}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()], data: DataOpt = None) -> None:
    """Migrate the database schema down to REVISION ('base' removes every table)."""
    from hoptac.db import migrate

    migrate.downgrade(get_settings().database_url, revision)
    typer.echo(f"database at {revision}")


@db_app.command("grant")
def db_grant(
    role: Annotated[str, typer.Argument(help="The PostgreSQL role the app connects as.")],
    schema: Annotated[str, typer.Option(help="The schema of hoptac's tables.")] = "public",
    data: DataOpt = None,
) -> None:
    """PostgreSQL: let ROLE read and write hoptac's tables but only read and append to the
    audit log (no UPDATE, DELETE or TRUNCATE). Run as the database owner."""
    from hoptac.db import guards

    with node_engine() as engine:
        if engine.dialect.name != "postgresql":
            raise InvalidInput("roles are a PostgreSQL matter: SQLite has none")
        with engine.begin() as conn:
            guards.grant_app_role(role, conn.exec_driver_sql, schema)
    typer.echo(f"{role}: tables of {schema} read and written, audit log read and appended only")


@demo_app.command("load")
def demo_load(
    file: Annotated[
        Path | None,
        typer.Option(
            help="Demo YAML (default: the seeds shipped in the package, hoptac/demo/seeds.yaml)."
        ),
    ] = None,
    data: DataOpt = None,
) -> None:
    """Load the seed articles' agencies, people, agreements, engagements and commitments,
    and synthetic notices and a hotel-stay register for the screening pages."""
    from hoptac.exchange import demo as exchange_demo
    from hoptac.registry import demo
    from hoptac.screening import demo as screening_demo

    factory = session_factory()
    with transaction(factory) as session:
        loaded, username = demo.load(session, file)
    with factory() as session:
        screening = screening_demo.load(session, as_user(session, username))
    with transaction(factory) as session:
        agency_id = as_user(session, username).agency_id
        hotline = exchange_demo.load(session, get_settings().keys_dir, agency_id)
    typer.echo("demo data loaded" if loaded or screening else "demo data already loaded")
    if hotline:
        typer.echo(
            f"hotline: this node is {exchange_demo.NODE_ID} (keys in {get_settings().keys_dir}),"
            f" with an offline demo partner {exchange_demo.PARTNER_ID}"
        )
    typer.secho(f"demo login: {username} / {demo.DEMO_PASSWORD}", fg=typer.colors.GREEN)


@user_app.command("add")
def user_add(
    agency: Annotated[str, typer.Option(help="Agency id or ref.")],
    role: Annotated[Role, typer.Option(help="admin, officer (edit) or viewer (read).")],
    username: Annotated[str, typer.Option(help="Login name.")],
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from standard input (scripts) instead of a one-time one.",
        ),
    ] = False,
    data: DataOpt = None,
) -> None:
    """Create a local user of an agency. Without --password-stdin the account gets a
    random one-time password, printed once: its user must replace it at the first login
    before anything else opens (there is no default account)."""
    from hoptac.auth import passwords
    from hoptac.auth import service as auth_service

    one_time = not password_stdin
    password = passwords.one_time() if one_time else sys.stdin.readline().rstrip("\r\n")
    with transaction(session_factory()) as session:
        ag = auth_service.find_agency(session, agency)
        user = auth_service.create_user(
            session,
            username=username,
            password=password,
            role=role,
            agency_id=ag.id,
            must_change_password=one_time,
        )
        made = f"user {user.username} ({role.value}) of {ag.name_vi} created"
    typer.echo(made)  # once committed: a password is shown for an account that exists
    if one_time:
        typer.echo("one-time password (shown only now; to be changed at the first login):")
        typer.secho(password, fg=typer.colors.GREEN)


@user_app.command("unlock")
def user_unlock(
    username: Annotated[str, typer.Argument(help="Login name.")], data: DataOpt = None
) -> None:
    """Lift a lock left by repeated failed logins (or the disabling of an unused account).
    An account an admin disabled stays disabled: `hoptac user enable` is for that."""
    from hoptac.auth import service as auth_service

    with transaction(session_factory()) as session:
        active = auth_service.unlock_user(session, find_user(session, username), None, None)
    typer.echo(f"user {username} unlocked")
    if not active:
        typer.secho(
            f"user {username} stays disabled (an admin disabled it): "
            f"`hoptac user enable {username}` enables it",
            fg=typer.colors.YELLOW,
        )


@user_app.command("seal-totp")
def user_seal_totp(data: DataOpt = None) -> None:
    """Seal the TOTP secrets stored in the clear before migration 0008 with the node's
    key file (HOME/keys/totp.key), now instead of at each account's next sign-in."""
    from hoptac.auth import mfa

    with transaction(session_factory()) as session:
        sealed = mfa.seal_clear_secrets(session, get_settings())
    typer.echo(f"{sealed} TOTP secrets sealed")


@user_app.command("disable")
def user_disable(
    username: Annotated[str, typer.Argument(help="Login name.")],
    why: Annotated[str, typer.Option(help="The reason, for the audit log.")] = "by the operator",
    data: DataOpt = None,
) -> None:
    """Disable an account deliberately: its sessions and tokens end at once, and only
    `hoptac user enable` lifts it (not `user unlock`)."""
    from hoptac.auth import service as auth_service

    with transaction(session_factory()) as session:
        auth_service.disable_user(session, find_user(session, username), None, None, why)
    typer.echo(f"user {username} disabled")


@user_app.command("enable")
def user_enable(
    username: Annotated[str, typer.Argument(help="Login name.")], data: DataOpt = None
) -> None:
    """Enable a disabled account again, whatever disabled it (a lock stays: `user
    unlock`); its 90 days of inactivity count from now."""
    from hoptac.auth import service as auth_service

    with transaction(session_factory()) as session:
        auth_service.enable_user(session, find_user(session, username), None, None)
    typer.echo(f"user {username} enabled")


@user_app.command("disable-inactive")
def user_disable_inactive(data: DataOpt = None) -> None:
    """Disable every account unused for 90 days (run daily); their sessions end at once."""
    from hoptac.auth import service as auth_service

    with transaction(session_factory()) as session:
        gone = auth_service.disable_inactive(session)
    typer.echo(f"{len(gone)} unused accounts disabled" + (f": {', '.join(gone)}" if gone else ""))


@app.command("export")
def export(
    format: Annotated[str, typer.Option("--format", help="json or csv.")] = "json",
    output: Annotated[
        Path | None, typer.Option(help="File (json) or directory (csv); default stdout (json).")
    ] = None,
    data: DataOpt = None,
) -> None:
    """Export every registry record of the node (JSON document or one CSV per type)."""
    from hoptac.registry import export as exporter

    if format not in ("json", "csv"):
        raise typer.BadParameter("--format is json or csv")
    with transaction(session_factory()) as session:
        if format == "json":
            text = exporter.to_json(session)
            if output is None:
                typer.echo(text)
            else:
                output.write_text(text, encoding="utf-8")
        else:
            if output is None:
                raise typer.BadParameter("--output DIR is required for csv")
            files = exporter.to_csv(session, output)
            typer.echo(f"wrote {len(files)} files to {output}")


@app.command("ingest")
def ingest(
    files: Annotated[list[Path], typer.Argument(help="Article files (UTF-8 text).")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per file.")] = False,
    commit: Annotated[
        bool, typer.Option("--commit", help="Store the records (merging with existing ones).")
    ] = False,
    user: Annotated[str | None, typer.Option("--user", help="Commit as this user.")] = None,
    data: DataOpt = None,
) -> None:
    """Read Vietnamese articles into structured records (engagements, people, agencies,
    agreements, commitments, topics). A file that cannot be read is reported and skipped;
    the exit status is 1 if any was."""
    import json

    from hoptac.ingest.extract import extract
    from hoptac.ingest.reader import read

    if commit and not user:
        raise typer.BadParameter("--commit needs --user (the records belong to their agency)")
    failed = 0
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            typer.secho(f"error: {path}: {exc.strerror}", fg=typer.colors.RED, err=True)
            failed += 1
            continue
        try:
            found = extract(read(raw, path.name))
        except HoptacError as exc:
            typer.secho(f"error: {exc.detail}", fg=typer.colors.RED, err=True)
            failed += 1
            continue
        out = found.to_json()
        if commit:
            from hoptac.registry import ingest as registry_ingest

            assert user is not None
            with transaction(session_factory()) as session:
                stored = registry_ingest.accept(
                    session, as_user(session, user), out, found.article.text
                )
            out["stored"] = stored
        if as_json:
            typer.echo(json.dumps({"file": str(path), **out}, ensure_ascii=False))
        else:
            main = out["engagements"][0] if out["engagements"] else {}
            until = f"..{out['date_end']}" if out["date_end"] else ""
            typer.echo(
                f"{path}: {main.get('kind', '-')} {out['date_start'] or ''}{until}; "
                f"{len(out['people'])} people, {len(out['agencies'])} agencies, "
                f"{len(out['agreements'])} agreements, {len(out['commitments'])} commitments; "
                f"topics {', '.join(out['topics'])}"
            )
    if failed:
        raise typer.Exit(1)


@names_app.command("compare")
def names_compare(
    a: Annotated[str | None, typer.Argument(help="A name, in any script.")] = None,
    b: Annotated[str | None, typer.Argument(help="Another name.")] = None,
    pairs: Annotated[
        Path | None, typer.Option(help="CSV with columns a,b (others pass through).")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Where --pairs results go.")] = None,
    threshold: Annotated[float | None, typer.Option(help="Verdict threshold (0-1).")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object: score, match, explanation.")
    ] = False,
) -> None:
    """Score two names (`hoptac names compare "Vương Kiện" "Wang Jian"`), or every row of
    a CSV (`--pairs IN.csv --output OUT.csv` appends `score` and `match`)."""
    from hoptac import names

    limit = names.MATCH_THRESHOLD if threshold is None else threshold
    if pairs is not None:
        if output is None:
            raise typer.BadParameter("--pairs needs --output")
        count = _compare_csv(pairs, output, limit)
        typer.echo(f"{count} pairs scored -> {output}")
        return
    if a is None or b is None:
        raise typer.BadParameter("give two names, or --pairs IN.csv --output OUT.csv")
    result = names.compare(a, b, limit)
    if as_json:
        found = {"a": a, "b": b, "score": round(result.score, 4), "match": result.match,
                 "explanation": result.explain()}  # fmt: skip
        typer.echo(json.dumps(found, ensure_ascii=False))
        return
    typer.echo(f"score {result.score:.4f}  {'MATCH' if result.match else 'no match'}")
    typer.echo(result.explain())


def _compare_csv(source: Path, target: Path, threshold: float) -> int:
    import csv

    from hoptac import names
    from hoptac.errors import InvalidInput

    with source.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        if not {"a", "b"} <= set(header):
            raise InvalidInput(f"{source}: the header needs columns a and b (has {header})")
        rows = list(reader)
    with target.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=[*header, "score", "match"])
        writer.writeheader()
        for row in rows:
            result = names.compare(row["a"] or "", row["b"] or "", threshold)
            writer.writerow({**row, "score": f"{result.score:.4f}", "match": int(result.match)})
    return len(rows)


@names_app.command("keys")
def names_keys(
    name: Annotated[str, typer.Argument(help="A name, in any script.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON array of {key, pairs}.")
    ] = False,
) -> None:
    """Print the blocking keys screening uses for a name, one per line: the key (hex) and
    the sound keys it pairs (`p:jian + p:wang`). Two names are scored against each other
    when they share a key."""
    from hoptac.names.blocking import described_keys

    keys = sorted(described_keys(name).items(), key=lambda kv: (kv[1], kv[0]))
    if as_json:
        out = [{"key": f"{key:016x}", "pairs": described} for key, described in keys]
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    for key, described in keys:
        typer.echo(f"{key:016x}  {described}")


def _import(file: Path, user: str, run: Callable[[Session, Any, Any], Any]) -> None:
    """A CSV file imported as `user` by `run(session, principal, text)`; the report
    printed (bad rows on stderr). The terminal has no upload size limit."""
    from hoptac.screening import service

    with session_factory()() as session, file.open("rb") as raw:
        text = service.open_upload(raw, file.name, max_bytes=1 << 40)
        report = run(session, as_user(session, user), text)
    for error in report.errors:
        typer.secho(str(error), fg=typer.colors.YELLOW, err=True)
    typer.echo(f"{report.added} added, {report.updated} updated, {report.refused} refused")


UserOpt = Annotated[str, typer.Option("--user", help="Act as this user (their agency, role).")]


@screening_app.command("import-notices")
def screening_import_notices(
    file: Annotated[Path, typer.Argument(help="notice_id,name,alt_names,birth_date,...")],
    user: UserOpt,
    sharing: Annotated[str, typer.Option(help="Sharing of new notices: agency or all.")] = (
        "agency"
    ),
    data: DataOpt = None,
) -> None:
    """Import notices from CSV (reimport updates by notice_id); bad rows are reported."""
    from hoptac.screening import service
    from hoptac.types import Sharing

    _import(file, user, lambda s, p, text: service.import_notices(s, p, text, Sharing(sharing)))


@screening_app.command("import-records")
def screening_import_records(
    register: Annotated[int, typer.Argument(help="The register's id.")],
    file: Annotated[Path, typer.Argument(help="record_id,name,birth_date,sex,...")],
    user: UserOpt,
    data: DataOpt = None,
) -> None:
    """Import register records from CSV (reimport updates by record_id), in batches."""
    from hoptac.screening import service

    _import(file, user, lambda s, p, text: service.import_records(s, p, register, text))


@screening_app.command("send-notice")
def screening_send_notice(
    ref: Annotated[str, typer.Argument(help="The notice's number (its notice_id).")],
    to: Annotated[list[str], typer.Option("--to", help="A partner node's id (repeatable).")],
    user: UserOpt,
    handling: Annotated[
        str | None, typer.Option(help="H0, H1, H2 or H3 (H0 for a new partner if omitted).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="The restrictions (H3).")] = None,
    data: DataOpt = None,
) -> None:
    """Send one of the user's agency's notices to partner nodes over the hotline (the
    running node's sender delivers it; each later change follows by itself)."""
    import sqlalchemy as sa

    from hoptac.db.models import Notice
    from hoptac.exchange import identity
    from hoptac.screening import exchange

    with session_factory()() as session:
        principal = as_user(session, user)
        notice_id = session.scalar(
            sa.select(Notice.id).where(
                Notice.owner_agency_id == principal.agency_id, Notice.ref == ref
            )
        )
        if notice_id is None:
            raise typer.BadParameter(f"no notice {ref} of {user}'s agency", param_hint="REF")
        keys = identity.load_keys(session, get_settings().keys_dir)
        shares = exchange.send(session, keys, principal, notice_id, to, handling, note)
        session.commit()
        for share in shares:
            typer.echo(f"{share.peer.node_id}\tsent {share.shared_at:%Y-%m-%d %H:%M} UTC")


@screening_app.command("run")
def screening_run(
    register: Annotated[int, typer.Argument(help="The register's id.")],
    user: UserOpt,
    threshold: Annotated[float, typer.Option(help="Hit threshold, a probability (0.1-1).")] = (
        HIT_THRESHOLD
    ),
    engine: Annotated[str, typer.Option(help="python or duckdb.")] = "python",
    data: DataOpt = None,
) -> None:
    """Screen a register against the user's active notices, here and now (the same job
    the web app runs in the background); hits go to the review queue."""
    from hoptac.db.models import ScreeningJob
    from hoptac.screening import jobs

    factory = session_factory()
    with transaction(factory) as session:
        job_id = jobs.start(session, as_user(session, user), register, threshold, engine).id
    jobs.run(factory, job_id)
    with factory() as session:
        job = session.get(ScreeningJob, job_id)
        assert job is not None
        typer.echo(
            f"job {job.id} {job.status.value}: {job.notices} notices x {job.records} records, "
            f"{job.hits} hits ({job.new_hits} to review)"
        )
        if job.error:
            typer.secho(job.error, fg=typer.colors.RED, err=True)
            raise typer.Exit(1)


if __name__ == "__main__":  # pragma: no cover
    app()


@app.command()
def screen(
    notices: Annotated[Path, typer.Option(help="Notices CSV (notice_id,name,alt_names,...).")],
    register: Annotated[Path, typer.Option(help="Register CSV (record_id,name,...).")],
    output: Annotated[
        Path, typer.Option(help="Hits CSV: notice_id,record_id,score,band,rivals,reasons.")
    ],
    engine: Annotated[str, typer.Option(help="python (in process) or duckdb (large jobs)")] = (
        "python"
    ),
    threshold: Annotated[float | None, typer.Option(help="Hit threshold (0-1).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Processes scoring names.")] = (
        os.cpu_count() or 1
    ),
    data: DataOpt = None,
) -> None:
    """Screen wanted-person notices against a register; bad rows are reported and skipped."""
    import csv

    from hoptac.errors import InvalidInput
    from hoptac.screening import engine as python_engine
    from hoptac.screening.records import FileRefused, read_notices, read_register

    if engine not in python_engine.ENGINES:
        raise InvalidInput(f"engine '{engine}' is not available; use python or duckdb")
    try:
        wanted, notice_errors = read_notices(notices)
        records, record_errors = read_register(register)
    except FileRefused as exc:
        raise InvalidInput(str(exc)) from None
    except FileNotFoundError as exc:
        raise InvalidInput(f"{exc.filename}: no such file") from None
    for label, errors in (("notices", notice_errors), ("register", record_errors)):
        for error in errors:
            typer.secho(f"{label} {error}", fg=typer.colors.YELLOW, err=True)
    with typer.progressbar(length=len(wanted), label="screening", file=sys.stderr) as bar:
        done = 0

        def progress(now: int, _total: int) -> None:
            nonlocal done
            bar.update(now - done)
            done = now

        limit = HIT_THRESHOLD if threshold is None else threshold
        hits = python_engine.screen(wanted, records, limit, progress, engine, workers)
    with output.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["notice_id", "record_id", "score", "band", "rivals", "reasons"])
        for hit in hits:
            writer.writerow(
                [
                    hit.notice_id, hit.record_id, f"{hit.score:.4f}", hit.band, hit.rivals,
                    hit.reasons,
                ]
            )  # fmt: skip
    typer.echo(
        f"{len(wanted)} notices x {len(records)} records: {len(hits)} hits "
        f"({sum(h.band == 'likely' for h in hits)} likely) -> {output}"
        + (
            f" ({len(notice_errors) + len(record_errors)} bad rows skipped)"
            if notice_errors or record_errors
            else ""
        )
    )
