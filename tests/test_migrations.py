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


def test_downgrade_and_upgrade_keep_the_data(backend: str, tmp_path: Path) -> None:
    """Rebuilding tables on SQLite must not fire ON DELETE actions on real rows."""
    from hoptac.db.engine import make_sessionmaker, transaction
    from hoptac.registry import demo

    url, cleanup = fresh_database(backend, tmp_path)
    try:
        migrate.upgrade(url)
        engine = make_engine(url)
        with transaction(make_sessionmaker(engine)) as session:
            demo.load(session)
        counted = (
            "agencies",
            "people",
            "agreements",
            "agreement_parties",
            "engagements",
            "engagement_agencies",
            "participations",
            "commitments",
            "sources",
        )

        def snapshot() -> dict[str, tuple[int, int]]:
            with engine.connect() as conn:
                out = {}
                for t in counted:
                    rows = conn.execute(sa.text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                    out[t] = (rows, 0)
                linked = conn.execute(
                    sa.text("SELECT COUNT(*) FROM agencies WHERE parent_id IS NOT NULL")
                ).scalar_one()
                out["agencies.parent_id"] = (linked, 0)
                return out

        before = snapshot()
        assert before["agencies.parent_id"][0] > 0
        engine.dispose()
        migrate.downgrade(url, "0001")
        migrate.upgrade(url)
        engine = make_engine(url)
        assert snapshot() == before
        engine.dispose()
    finally:
        cleanup()
