"""Alembic environment: the URL comes from the settings unless the caller passes a connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import quire.core.models  # noqa: F401  (registers the tables)
from quire.core.config import get_settings
from quire.core.db import Base, make_engine

config = context.config


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        run(conn)
    engine.dispose()
