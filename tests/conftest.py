"""Test setup: real SQLite, PostgreSQL and MariaDB, a fresh migrated database per backend.

PostgreSQL, MariaDB and Redis are started by ``scripts/test-services.sh`` (private instances on
loopback) unless ``QUIRE_TEST_POSTGRES_URL`` / ``QUIRE_TEST_MARIADB_URL`` point at running ones.
``QUIRE_TEST_DATABASES`` (default ``sqlite,postgresql,mariadb``) picks the backends.
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import make_url

from quire.core import migrate, security
from quire.core.config import Settings
from quire.core.db import Base, Database
from quire.core.models import Node, Role, RoleScope, User
from quire.core.scopes import ALL_SCOPES
from quire.core.security import create_access_token
from quire.core.storage import LocalStorage
from quire.core.users import create_user
from quire.features import register_features
from quire.web.app import create_app
from tests.processes import RedisServer

REPO = Path(__file__).resolve().parent.parent
# tests/image runs containers of an image `make test-image` builds and names here; without one
# (`make test`), pytest leaves them out.
if not os.environ.get("QUIRE_TEST_IMAGE"):
    collect_ignore = ["image"]
BACKENDS = os.environ.get("QUIRE_TEST_DATABASES", "sqlite,postgresql,mariadb").split(",")
PASSWORD = "correct horse battery staple"
# Test accounts get cheap argon2 parameters; what real processes (`quire serve`) hash keeps the
# defaults. Passwords are not what these tests test, and the defaults cost seconds per test.
security.use_password_hasher(PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))

# What every entry point does at start-up: tests that run tasks or open storage without an app
# (tests/tasks, tests/s3) need the features' tasks and storage backends registered too.
register_features()


def _service_urls() -> dict[str, str]:
    wanted = {
        "QUIRE_TEST_POSTGRES_URL",
        "QUIRE_TEST_MARIADB_URL",
        "QUIRE_TEST_REDIS_URL",
        "QUIRE_TEST_S3_ENDPOINT",
    }
    if wanted <= os.environ.keys():
        return {name: os.environ[name] for name in wanted}
    result = subprocess.run(
        [str(REPO / "scripts" / "test-services.sh"), "start"],
        check=True,
        capture_output=True,
        text=True,
    )
    urls = dict(re.findall(r"^export (\w+)=(\S+)$", result.stdout, re.MULTILINE))
    os.environ.update(urls)
    return urls


@pytest.fixture(scope="session")
def service_urls() -> dict[str, str]:
    if BACKENDS == ["sqlite"]:
        return {}
    return _service_urls()


@contextmanager
def empty_database(backend: str, service_urls: dict[str, str], workdir: Path) -> Iterator[str]:
    """A new, empty database on ``backend``, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / f'quire-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    server_url = make_url(
        service_urls[
            "QUIRE_TEST_POSTGRES_URL" if backend == "postgresql" else "QUIRE_TEST_MARIADB_URL"
        ]
    )
    name = f"quire_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        force = " WITH (FORCE)" if backend == "postgresql" else ""
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name}{force}"))
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A new, migrated database on one backend, for the whole session."""
    backend = request.param
    services = {} if backend == "sqlite" else request.getfixturevalue("service_urls")
    with empty_database(backend, services, tmp_path_factory.mktemp(backend)) as url:
        _migrate(url)
        yield url


def _migrate(url: str) -> None:
    database = Database(url)
    migrate.upgrade(database.engine)
    database.dispose()


@pytest.fixture(scope="session")
def backend(database_url: str) -> str:
    return make_url(database_url).get_backend_name()


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "main": {"data_dir": data_dir},
        "database": {"url": database_url, "pool_size": 5},
        "security": {"secret_key": "test-secret-key-" + "x" * 32},
        # The API tests look at the outbox, not at tasks running behind their backs.
        "tasks": {"run_embedded": False},
        # OCR is the subject of tests/ocr, which turn it on; elsewhere it would add tasks.
        "ocr": {"automatic": False},
    }
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    application = create_app(make_settings(database_url, tmp_path_factory.mktemp("data")))
    yield application
    application.state.db.dispose()


@pytest.fixture
def db(app: FastAPI, tmp_path: Path) -> Iterator[Database]:
    """The app's database, emptied after each test; each test also gets its own media root."""
    app.state.storage = LocalStorage(tmp_path / "media")
    app.state.storage.root.mkdir()
    database: Database = app.state.db
    yield database
    with database.engine.begin() as connection:
        connection.execute(
            update(User).values(home_folder_id=None, inbox_folder_id=None, trash_folder_id=None)
        )
        # No cascade from node to node: MariaDB refuses one deeper than 15 levels, and a deep
        # tree deleted into the trash is still there at the end of its test.
        connection.execute(update(Node).values(parent_id=None))
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def client(app: FastAPI, db: Database) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@dataclass
class Account:
    """A user and an HTTP client that acts as that user."""

    user: User
    client: TestClient

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    @property
    def home_id(self) -> str:
        return str(self.user.home_folder_id)

    @property
    def inbox_id(self) -> str:
        return str(self.user.inbox_folder_id)

    @property
    def trash_id(self) -> str:
        return str(self.user.trash_folder_id)


@pytest.fixture
def make_account(app: FastAPI, db: Database) -> Iterator[object]:
    clients: list[TestClient] = []

    def factory(
        username: str | None = None,
        *,
        scopes: frozenset[str] | set[str] = ALL_SCOPES,
        is_superuser: bool = False,
    ) -> Account:
        username = username or f"user-{uuid.uuid4().hex[:8]}"
        with db.session() as session:
            user = create_user(
                session,
                username=username,
                password=PASSWORD,
                email=f"{username}@example.com",
                is_superuser=is_superuser,
            )
            if not is_superuser:
                role = Role(name=f"role-{username}")
                role.scope_rows = [RoleScope(scope=scope) for scope in sorted(scopes)]
                user.roles.append(role)
            session.commit()
        test_client = TestClient(app)
        clients.append(test_client)
        # Made directly: signing in is the login tests' subject (tests/api/test_auth.py).
        token = create_access_token(
            app.state.settings.security,
            user_id=user.id,
            username=user.username,
            email=user.email,
            scopes=sorted(scopes),
        )
        test_client.headers["Authorization"] = f"Bearer {token}"
        return Account(user=user, client=test_client)

    yield factory
    for test_client in clients:
        test_client.close()


@pytest.fixture
def alice(make_account) -> Account:  # type: ignore[no-untyped-def]
    return make_account("alice")  # type: ignore[no-any-return]


@pytest.fixture
def bob(make_account) -> Account:  # type: ignore[no-untyped-def]
    return make_account("bob")  # type: ignore[no-any-return]


@pytest.fixture
def carol(make_account) -> Account:  # type: ignore[no-untyped-def]
    return make_account("carol")  # type: ignore[no-any-return]


@pytest.fixture
def dave(make_account) -> Account:  # type: ignore[no-untyped-def]
    """In the group tests, a member of no group."""
    return make_account("dave")  # type: ignore[no-any-return]


@pytest.fixture
def all_rows(db: Database) -> Callable[[], dict[str, list[str]]]:
    """Every row of every table, to show that a refused request changed nothing."""

    def take() -> dict[str, list[str]]:
        with db.engine.connect() as connection:
            return {
                table.name: sorted(map(repr, connection.execute(table.select())))
                for table in Base.metadata.sorted_tables
            }

    return take


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A private Redis of the test's own, which the test may stop and start again."""
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """What tests recorded for the reader (``record_property("papermerge_coverage", ...)``):
    shown after every run, from xdist's workers too (their reports carry the properties)."""
    lines = {
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        for name, value in getattr(report, "user_properties", ())
        if name == "papermerge_coverage"
    }
    for line in sorted(lines):
        terminalreporter.write_line(str(line))
