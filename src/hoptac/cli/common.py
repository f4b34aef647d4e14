"""What every command module shares: errors as one red line (`Group`), the database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from typer.core import TyperGroup

from hoptac.auth.principal import Principal
from hoptac.db.engine import make_engine, make_sessionmaker
from hoptac.errors import HoptacError, InvalidInput
from hoptac.settings import get_settings


def report(exc: Exception) -> str:
    """The one line a command prints for an error it cannot go on after (those `Group`
    catches): a domain error's detail, or what is wrong with the database in words an
    operator can act on."""
    from alembic.util import CommandError

    if isinstance(exc, HoptacError):
        return exc.detail
    if isinstance(exc, CommandError):
        return f"migration: {exc}"
    orig = getattr(exc, "orig", None)
    text = str(orig) if orig is not None else str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    if "no such table" in text or ("does not exist" in text and "relation" in text):
        return f"the database is not migrated ({first}); run: hoptac db upgrade"
    return f"the database at {_safe_url(get_settings().database_url)} cannot be used: {first}"


def _safe_url(url: str) -> str:
    """A database URL without its password."""
    import sqlalchemy as sa

    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(unreadable URL)"


class Group(TyperGroup):
    """The `hoptac` command group: every error a command raises that an operator can act
    on (a domain error, a database that is unreachable or not migrated, a migration
    that cannot run) becomes one red line and exit status 1, here, for every command."""

    def invoke(self, ctx: Any) -> Any:
        import sqlalchemy as sa
        from alembic.util import CommandError

        try:
            return super().invoke(ctx)
        except (HoptacError, CommandError, sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
            typer.secho(f"error: {report(exc)}", fg=typer.colors.RED, err=True)
            for e in getattr(exc, "errors", None) or []:
                typer.secho(f"  {e.field}: {e.message}", fg=typer.colors.RED, err=True)
            raise typer.Exit(1) from None


def emit_json(obj: Any, output: Path | None) -> None:
    """JSON (indented, UTF-8 as written) on standard output, or into `output`."""
    text = json.dumps(obj, ensure_ascii=False, indent=2)
    if output is None:
        typer.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")


def session_factory() -> sessionmaker[Session]:
    """Sessions on the database the settings name (after `--data DIR`, if given)."""
    return make_sessionmaker(make_engine(get_settings().database_url))


@contextmanager
def node_engine() -> Iterator[Engine]:
    """An engine on the settings' database for one command, its connections closed after
    (commands that need a bare connection: backup, restore, grants)."""
    engine = make_engine(get_settings().database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def find_user(session: Session, username: str) -> Any:
    """A local user by name, or one red line."""
    import sqlalchemy as sa

    from hoptac.db.models import User

    user = session.scalars(sa.select(User).where(User.username == username)).first()
    if user is None:
        raise InvalidInput(f"no user '{username}'")
    return user


def as_user(session: Session, username: str) -> Principal:
    """The principal of a local user: the CLI acts as that user, scoped and audited."""
    from hoptac.auth import service as auth_service

    user = find_user(session, username)
    if not user.is_active:
        raise InvalidInput(f"no active user {username}")
    return auth_service.principal_of(user)
