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
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
