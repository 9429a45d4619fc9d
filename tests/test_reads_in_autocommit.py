"""On PostgreSQL a read opens no transaction; the first write does, and the rest is as before.

psycopg's BEGIN before a transaction's first statement and the pool's ROLLBACK after a read-only
request were two round trips of its four or five (issue 16). What a transaction is for must hold:
writes all or nothing, a read after a write seeing it, savepoints, row locks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from quire.core.db import Database
from quire.core.models import Role


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    if not database_url.startswith("postgresql"):
        pytest.skip("psycopg's BEGIN is PostgreSQL's")
    database = Database(database_url, pool_size=2)
    yield database
    database.dispose()


def _in_transaction(session: Session) -> bool:
    driver = session.connection().connection.driver_connection
    return driver.info.transaction_status.name != "IDLE"  # type: ignore[union-attr]


def _names(database: Database, *names: str) -> set[str]:
    with database.session() as session:
        return set(session.scalars(select(Role.name).where(Role.name.in_(names))))


def _name() -> str:
    return f"role-{uuid.uuid4().hex[:8]}"


def test_reads_open_no_transaction_and_close_without_a_round_trip(database: Database) -> None:
    states: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        states.append(conn.connection.driver_connection.info.transaction_status.name)

    event.listen(database.engine, "after_cursor_execute", record)
    try:
        with database.session() as session:
            session.scalars(select(Role)).all()
            session.execute(select(Role.id).where(Role.name == "nobody")).first()
            assert database.closes_locally(session)
    finally:
        event.remove(database.engine, "after_cursor_execute", record)
    assert states == ["IDLE", "IDLE"]


def test_writes_after_reads_are_all_or_nothing(database: Database) -> None:
    first, second = _name(), _name()
    with database.session() as session:
        session.scalars(select(Role)).all()
        assert not _in_transaction(session)
        session.add(Role(name=first))
        session.flush()
        assert _in_transaction(session)
        assert not database.closes_locally(session)
        # A read after the write sees it: it runs in the write's transaction.
        assert session.scalar(select(Role.name).where(Role.name == first)) == first
        session.add(Role(name=second))
        session.flush()
        session.rollback()
    assert _names(database, first, second) == set()


def test_a_commit_keeps_the_writes_and_the_next_reads_open_no_transaction(
    database: Database,
) -> None:
    name = _name()
    with database.session() as session:
        session.add(Role(name=name))
        session.commit()
        assert database.closes_locally(session)
        assert session.scalar(select(Role.name).where(Role.name == name)) == name
        assert not _in_transaction(session)
    assert _names(database, name) == {name}


def test_a_savepoint_rolls_back_alone(database: Database) -> None:
    kept, dropped = _name(), _name()
    with database.session() as session:
        session.add(Role(name=kept))
        with session.begin_nested() as savepoint:
            session.add(Role(name=dropped))
            session.flush()
            savepoint.rollback()
        session.commit()
    assert _names(database, kept, dropped) == {kept}


def test_a_row_lock_is_held_in_a_transaction(database: Database) -> None:
    name = _name()
    with database.session() as session:
        session.add(Role(name=name))
        session.commit()
    with database.session() as holder, database.session() as other:
        locked = select(Role).where(Role.name == name)
        holder.scalars(locked.with_for_update()).one()
        assert _in_transaction(holder)
        with pytest.raises(OperationalError, match="could not obtain lock"):
            other.scalars(locked.with_for_update(nowait=True)).one()


def test_a_session_that_only_added_closes_locally_without_a_connection(database: Database) -> None:
    """Asking must not check a connection out: on a busy pool, that is a connect."""
    checkouts: list[object] = []

    def record(*args: object) -> None:
        checkouts.append(args)

    event.listen(database.engine, "checkout", record)
    try:
        with database.session() as session:
            session.add(Role(name=_name()))
            assert session.in_transaction()
            assert database.closes_locally(session)
    finally:
        event.remove(database.engine, "checkout", record)
    assert checkouts == []
