"""Persistence: SQLAlchemy 2 models, engine and sessions, Alembic migrations."""

from hoptac.db.engine import make_engine, make_sessionmaker, transaction

__all__ = ["make_engine", "make_sessionmaker", "transaction"]
