"""The folder listing's SQL on each database: its page comes off the listing index, unsorted.

Issue 16: on SQLite the index had lost its ``ctype DESC`` (0004's batch copy of ``nodes``), and
every page of a 10,000-document folder was sorted in a temporary B-tree.
"""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Connection

from quire.core.models import Node
from quire.web.api.node_views import node_ordering


def _listing_sql(connection: Connection) -> str:
    """The page query of ``node_views.node_page`` with the default order, as this database's SQL."""
    query = (
        select(Node.id)
        .where(Node.parent_id == uuid.UUID(int=7))
        .order_by(*node_ordering(None))
        .limit(50)
        .offset(100)
    )
    return str(query.compile(connection, compile_kwargs={"literal_binds": True}))


def _plan(connection: Connection, backend: str) -> str:
    sql = _listing_sql(connection)
    if backend == "sqlite":
        rows = connection.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
        return "\n".join(row[3] for row in rows)
    if backend == "postgresql":
        # A sort only where no index gives the order (an empty table would always be sorted).
        connection.execute(text("SET LOCAL enable_sort = off"))
        connection.execute(text("SET LOCAL enable_seqscan = off"))
        return "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN {sql}")))
    # MariaDB: made to take the index; a filesort then means the index cannot give the order.
    forced = sql.replace("FROM nodes", "FROM nodes FORCE INDEX (ix_nodes_parent_listing)", 1)
    return "\n".join(
        str(row._mapping["Extra"]) for row in connection.execute(text(f"EXPLAIN {forced}"))
    )


def test_a_folder_page_comes_off_the_listing_index_unsorted(
    database_url: str, backend: str
) -> None:
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            plan = _plan(connection, backend)
    finally:
        engine.dispose()
    if backend == "sqlite":
        assert "ix_nodes_parent_listing" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
    elif backend == "postgresql":
        assert "ix_nodes_parent_listing" in plan, plan
        assert "Sort" not in plan, plan
    else:
        assert "filesort" not in plan.lower(), plan
