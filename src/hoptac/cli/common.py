"""What every command module shares: domain errors as one red line."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import typer
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from hoptac.db.engine import make_engine, make_sessionmaker
from hoptac.errors import HoptacError
from hoptac.settings import get_settings

F = TypeVar("F", bound=Callable[..., Any])


def friendly(fn: F) -> F:
    """Domain errors become one red line and exit status 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except HoptacError as exc:
            typer.secho(f"error: {exc.detail}", fg=typer.colors.RED, err=True)
            for e in exc.errors:
                typer.secho(f"  {e.field}: {e.message}", fg=typer.colors.RED, err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


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
