"""Alembic environment: runs online against the URL set by hoptac.db.migrate."""

from __future__ import annotations

from alembic import context

from hoptac.db.engine import make_engine
from hoptac.db.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")
assert url, "hoptac.db.migrate sets sqlalchemy.url"

engine = make_engine(url)
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds tables (copy, drop, rename). With foreign keys on, dropping
        # a referenced table would fire ON DELETE actions and null or delete real data.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        # End the transaction SQLAlchemy began for the PRAGMA, or Alembic would run inside
        # it and never commit.
        connection.commit()
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
engine.dispose()
