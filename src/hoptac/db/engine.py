"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from hoptac.errors import InvalidInput


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the only PostgreSQL driver we ship)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.removeprefix("postgres://")
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # Foreign keys are off by default in SQLite. WAL + synchronous=FULL: a commit the
    # user was told about survives a power cut, and readers do not block the writer.
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=5000")
    # 64 MiB of page cache a connection (SQLite's default is 2 MiB): the person search
    # reads the name-key index, hundreds of MB for a register of a million people.
    cur.execute("PRAGMA cache_size=-65536")
    cur.close()


NUL_REFUSED = "A text contains a NUL character (U+0000), which no field accepts."
NUMBER_REFUSED = "A number is out of range: whole numbers are at most 2^63 - 1."
BIGINT = 2**63  # what both databases' largest integer type holds (signed 64 bits)


def _values(parameters: Any) -> Iterator[Any]:
    """Every value bound to a statement: one row (a dict or a tuple), or many, or the flat
    tuple of a batched multi-row INSERT."""
    if isinstance(parameters, dict):
        parameters = parameters.values()
    elif not isinstance(parameters, (list, tuple)):
        return
    for value in parameters:
        if isinstance(value, (dict, list, tuple)):
            yield from _values(value)
        else:
            yield value


def _refuse_nul(
    _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, _many: bool
) -> None:
    """No text with a NUL character reaches the database, from any path (a JSON field, a
    form, a CSV cell, a search): PostgreSQL cannot store one (and fails the request),
    SQLite would; both refuse it alike, with a message, before the statement runs. The
    same for a whole number beyond 64 bits (an id or offset typed by hand), which the
    drivers cannot even send."""
    for value in _values(parameters):
        if isinstance(value, str):
            if "\x00" in value:
                raise InvalidInput(NUL_REFUSED)
        elif isinstance(value, int) and not -BIGINT <= value < BIGINT:
            raise InvalidInput(NUMBER_REFUSED)  # SQLite's driver overflows, PostgreSQL fails


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True, **kwargs)
    sa.event.listen(engine, "before_cursor_execute", _refuse_nul)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
