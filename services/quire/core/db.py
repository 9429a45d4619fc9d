"""Database engine and sessions: synchronous SQLAlchemy 2 on SQLite, PostgreSQL or MariaDB.

Synchronous on purpose: FastAPI runs plain ``def`` endpoints in a thread pool, and one code path
serves all three databases with their standard drivers (upstream broke SQLite by going async).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from select import POLLIN, poll
from typing import Any, TypeVar

from sqlalchemy import CompoundSelect, DateTime, Engine, MetaData, Select, create_engine, event, exc
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Connection, ExecutionContext, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite and MariaDB store them naive)."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        # MariaDB's DATETIME keeps whole seconds unless given a precision.
        if dialect.name in {"mysql", "mariadb"}:
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


T = TypeVar("T")

# Bound IN lists: PostgreSQL takes at most 65,535 parameters per statement, and long lists plan
# badly on every backend. A folder, a user or an index task may hold any number of nodes.
IN_CHUNK = 2000


def chunked(values: Iterable[T], size: int = IN_CHUNK) -> Iterator[list[T]]:
    """The distinct values, in their first order, in lists of at most ``size``."""
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), size):
        yield unique[start : start + size]


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # No limit on connections (pool_size are kept): a web process checks them out on its
        # event loop too (web/deps.py), where waiting for one would stop every request, those
        # that would give one back among them.
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": 30},
            pool_size=pool_size,
            max_overflow=-1,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs: dict[str, Any] = {"pool_size": pool_size, "max_overflow": pool_size, "echo": echo}
    if parsed.get_backend_name() == "mysql":
        kwargs["pool_recycle"] = 3600
        if "charset" not in parsed.query:
            url = str(parsed.update_query_dict({"charset": "utf8mb4"}).render_as_string(False))
    engine = create_engine(url, **kwargs)
    event.listen(engine, "checkout", _refuse_hung_up)
    if parsed.get_backend_name() == "postgresql":
        event.listen(engine, "checkout", _read_in_autocommit)
        event.listen(engine, "before_cursor_execute", _begin_unless_reading)
    return engine


# On PostgreSQL a connection reads in autocommit, and its transaction begins at the first
# statement that is not a plain SELECT. psycopg begins a transaction with a BEGIN of its own, a
# round trip before the first statement, and the pool ends it with a ROLLBACK, another: two of
# the four or five round trips of a read-only request (issue 16). Nothing is lost: under READ
# COMMITTED (PostgreSQL's default, and ours) each statement of a transaction reads a snapshot of
# its own anyway. What needs the transaction begins it: a write (all-or-nothing with the writes
# after it), a row lock, a savepoint, raw SQL. A SELECT that writes through a function (nextval,
# an advisory lock) would not: write it as text().


def _read_in_autocommit(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    # Checked in after a commit or the pool's rollback: no transaction is open.
    dbapi_connection.autocommit = True


def _begin_unless_reading(
    connection: Connection,
    _cursor: Any,
    _statement: str,
    _parameters: Any,
    context: ExecutionContext | None,
    _executemany: bool,
) -> None:
    driver = connection.connection.driver_connection
    if driver is not None and driver.autocommit and not _plain_read(context):
        driver.autocommit = False  # psycopg sends BEGIN before this statement


def _plain_read(context: ExecutionContext | None) -> bool:
    compiled = getattr(context, "compiled", None)
    statement = getattr(compiled, "statement", None)
    if not isinstance(statement, Select | CompoundSelect):
        return False
    locks = statement._for_update_arg is not None
    writing_ctes = any(cte.element.is_dml for cte in getattr(compiled, "ctes", None) or ())
    return not locks and not writing_ctes


def _refuse_hung_up(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Keep a connection the server has closed from reaching a request.

    An idle pooled connection has nothing to read, unless the server hung up on it (a restart, an
    idle timeout, a terminated backend): it then sent its farewell or end of file, and the socket
    reads ready. Asking the socket costs no round trip; ``pool_pre_ping`` cost one per request,
    0.5-0.8 ms on PostgreSQL here (issue 16). A false alarm (a notice the server sent) costs a
    fresh connection; raising this error makes the pool discard every connection older than now
    and connect anew, as a failed pre-ping does.
    """
    poller = poll()
    poller.register(_socket_of(dbapi_connection), POLLIN)
    if poller.poll(0):
        raise exc.InvalidatePoolError("the database closed this pooled connection")


def _socket_of(dbapi_connection: Any) -> int:
    fileno = getattr(dbapi_connection, "fileno", None)  # psycopg
    if fileno is not None:
        return int(fileno())
    return int(dbapi_connection._sock.fileno())  # PyMySQL keeps its socket private


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers proceed while the single writer commits; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class Database:
    """An engine and its session factory; one per process."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size, echo=echo)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessionmaker() as session:
            try:
                yield session
            except BaseException:
                session.rollback()
                raise

    def closes_locally(self, session: Session) -> bool:
        """Whether closing ``session`` sends the server nothing: always on SQLite; on
        PostgreSQL when it holds no transaction (it only read, or committed)."""
        transaction = session.get_transaction()
        if self.is_sqlite or transaction is None:
            return True
        if self.engine.dialect.name != "postgresql":
            return False
        from psycopg.pq import TransactionStatus  # an optional dependency: PostgreSQL's driver

        # Private, as asking with session.connection() would check one out if the transaction
        # has none yet (an object added, nothing sent): a connect, on a busy pool.
        for connection, *_ in transaction._connections.values():
            driver = connection.connection.driver_connection
            if driver is None or driver.info.transaction_status != TransactionStatus.IDLE:
                return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()
