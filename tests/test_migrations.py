"""Migrations go from empty to head and back down, and agree with the models."""

from pathlib import Path

import sqlalchemy as sa

from hoptac.db import migrate
from hoptac.db.engine import make_engine
from hoptac.db.models import Base
from tests.conftest import fresh_database


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_check_downgrade_upgrade(backend: str, tmp_path: Path) -> None:
    url, cleanup = fresh_database(backend, tmp_path)
    try:
        migrate.upgrade(url)
        assert _tables(url) == set(Base.metadata.tables)
        migrate.check(url)  # raises if models and migrations disagree
        migrate.downgrade(url, "base")
        assert _tables(url) == set()
        migrate.upgrade(url)
        assert _tables(url) == set(Base.metadata.tables)
    finally:
        cleanup()
