"""A pooled connection the database server closed never reaches a request (issue 16).

The pool no longer pings the server at every checkout (a round trip per request); it asks the
connection's socket whether the server hung up. Here the server terminates every connection of
the pool, as a restart does, and the next session must still work, on the same engine.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import bindparam, create_engine, text

from quire.core.db import Database


def _server_side_ids(database: Database) -> set[int]:
    # Each pooled connection checked out at once, so that all of them are in the pool after.
    sessions = [database.sessionmaker() for _ in range(3)]
    try:
        backend = database.engine.dialect.name
        query = "SELECT pg_backend_pid()" if backend == "postgresql" else "SELECT CONNECTION_ID()"
        return {int(session.execute(text(query)).scalar_one()) for session in sessions}
    finally:
        for session in sessions:
            session.close()


def _terminate(url: str, ids: set[int]) -> None:
    """End these server-side connections, and wait until the server has let them go."""
    killer = create_engine(url)
    postgresql = killer.dialect.name == "postgresql"
    listed = (
        "SELECT count(*) FROM pg_stat_activity WHERE pid IN :ids"
        if postgresql
        else "SELECT count(*) FROM information_schema.processlist WHERE id IN :ids"
    )
    with killer.connect() as connection:
        for server_id in ids:
            if postgresql:
                connection.execute(text("SELECT pg_terminate_backend(:id)"), {"id": server_id})
            else:
                connection.execute(text(f"KILL {int(server_id)}"))
        still = text(listed).bindparams(bindparam("ids", expanding=True))
        deadline = time.monotonic() + 10
        while connection.execute(still, {"ids": list(ids)}).scalar_one():
            assert time.monotonic() < deadline, "the server kept the connections"
            connection.rollback()
            time.sleep(0.05)
    killer.dispose()


def test_connections_closed_by_the_server_are_replaced(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has no server to hang up")
    database = Database(database_url, pool_size=3)
    try:
        before = _server_side_ids(database)
        _terminate(database_url, before)
        after = _server_side_ids(database)
        assert after.isdisjoint(before)
    finally:
        database.dispose()
