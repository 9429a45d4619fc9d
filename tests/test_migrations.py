"""Every migration, up and down, on every backend; the migrated schema equals the models."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from quire.core import migrate
from quire.core.db import Base, Database
from quire.core.models import Node, TaskRecord, User
from tests.conftest import BACKENDS, empty_database

# Alembic cannot compare expression indexes (``ctype DESC``) and reports them every time.
EXPRESSION_INDEXES = {"ix_nodes_parent_listing"}
# Keys that 0010 and 0012 add with their columns on SQLite (no table copy): reflection reads
# neither their names nor their ON DELETE there.
INLINE_KEYS = [["trash_folder_id"], ["home_folder_id"], ["inbox_folder_id"], ["group_id"]]
# The tables as the models define them: their types bind UUIDs and dates alike everywhere.
NODES = Node.__table__


def _drift(database: Database) -> list[object]:
    with database.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            users = connection.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name='users'")
            # 0010 adds the key with the column (no table copy on SQLite), and SQLAlchemy's
            # reflection reads neither the name nor ON DELETE of such a column's key: shown here.
            assert "trash_folder_id CHAR(32) REFERENCES nodes (id) ON DELETE SET NULL" in (
                users.scalar_one()
            )
            groups = connection.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name='groups'")
            assert "inbox_folder_id CHAR(32) REFERENCES nodes (id) ON DELETE SET NULL" in (
                groups.scalar_one()
            )
    return [
        diff
        for diff in diffs
        if not (
            isinstance(diff, tuple)
            and diff[0] in {"add_index", "remove_index"}
            and diff[1].name in EXPRESSION_INDEXES
        )
        and not (
            sqlite
            and isinstance(diff, tuple)
            and diff[0] in {"add_fk", "remove_fk"}
            and [column.name for column in diff[1].columns] in INLINE_KEYS
        )
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_up_down_up_match_the_models(request, tmp_path, backend):
    services = {} if backend == "sqlite" else request.getfixturevalue("service_urls")
    with empty_database(backend, services, tmp_path) as url:
        database = Database(url)
        try:
            migrate.upgrade(database.engine)
            assert _drift(database) == []
            migrate.downgrade(database.engine, "base")
            assert set(inspect(database.engine).get_table_names()) <= {"alembic_version"}
            migrate.upgrade(database.engine)
            assert _drift(database) == []
            indexes = {i["name"] for i in inspect(database.engine).get_indexes("nodes")}
            assert indexes >= EXPRESSION_INDEXES
        finally:
            database.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_0008_renames_roots_numbers_clashing_titles_and_keeps_titles_unique(
    request, tmp_path, backend
):
    """Papermerge's titles: ``.home``/``.inbox`` become ``home``/``inbox``, a folder's second
    and third ``scan.pdf`` become ``scan (2).pdf`` and ``scan (3).pdf`` (the oldest keeps its
    title), the indexer hears of them, and from then on a folder holds one node per title,
    compared byte for byte (``Scan.pdf`` and ``scan.pdf `` are other titles) on every backend."""
    services = {} if backend == "sqlite" else request.getfixturevalue("service_urls")
    with empty_database(backend, services, tmp_path) as url:
        database = Database(url)
        try:
            migrate.upgrade(database.engine, "0007")
            ids = _old_tree(database.engine)
            migrate.upgrade(database.engine, "0009")
            with database.engine.connect() as connection:
                titles = dict(connection.execute(sa.select(NODES.c.id, NODES.c.title)).all())
                queued = list(connection.scalars(sa.select(TaskRecord.__table__.c.args)))
            assert titles[ids["home"]] == "home"
            assert titles[ids["inbox"]] == "inbox"
            assert [titles[ids[f"scan{n}"]] for n in (1, 2, 3)] == [
                "scan.pdf",
                "scan (2).pdf",
                "scan (3).pdf",
            ]
            # A folder's title has no extension to keep; a free title is not taken twice.
            assert titles[ids["old-a"]] == "a.b"
            assert titles[ids["old-b"]] == "a.b (3)"
            assert titles[ids["case"]] == "Scan.pdf"
            renamed = {ids[k] for k in ("home", "inbox", "scan2", "scan3", "old-b")}
            assert {uuid.UUID(i) for args in queued for i in args["node_ids"]} == renamed
            _unique_from_now_on(database.engine, ids["docs"], ids["user"])
        finally:
            database.dispose()


def _old_tree(engine):
    """A user with Quire's old roots and a folder of clashing titles, as 0007 allowed."""
    users, nodes = User.__table__, NODES
    names = ["user", "home", "inbox", "docs", "scan1", "scan2", "scan3", "old-a", "old-b"]
    ids = {name: uuid.uuid4() for name in [*names, "taken", "case"]}
    start = datetime(2026, 1, 1, tzinfo=UTC)

    def node(key, title, parent=None, ctype="document", minute=0):
        return {
            "id": ids[key],
            "title": title,
            "ctype": ctype,
            "lang": "eng",
            "user_id": ids["user"],
            "parent_id": ids[parent] if parent else None,
            "created_at": start + timedelta(minutes=minute),
            "updated_at": start,
        }

    with engine.begin() as connection:
        connection.execute(
            users.insert().values(
                id=ids["user"],
                username="old",
                email="",
                first_name="",
                last_name="",
                password="-",
                is_superuser=False,
                is_active=True,
                created_at=start,
                updated_at=start,
            )
        )
        rows = [
            node("home", ".home", ctype="folder"),
            node("inbox", ".inbox", ctype="folder"),
            node("docs", "Docs", "home", "folder"),
            node("scan2", "scan.pdf", "docs", minute=2),
            node("scan1", "scan.pdf", "docs", minute=1),
            node("scan3", "scan.pdf", "docs", minute=3),
            node("old-a", "a.b", "docs", "folder", minute=1),
            node("old-b", "a.b", "docs", "folder", minute=2),
            node("taken", "a.b (2)", "docs"),
            node("case", "Scan.pdf", "docs"),
        ]
        connection.execute(nodes.insert(), rows)
        connection.execute(
            users.update()
            .where(users.c.id == ids["user"])
            .values(home_folder_id=ids["home"], inbox_folder_id=ids["inbox"])
        )
    return ids


def _unique_from_now_on(engine, folder_id, user_id):
    nodes = NODES
    now = datetime(2026, 2, 1, tzinfo=UTC)

    def insert(title):
        with engine.begin() as connection:
            connection.execute(
                nodes.insert().values(
                    id=uuid.uuid4(),
                    title=title,
                    ctype="folder",
                    lang="eng",
                    user_id=user_id,
                    parent_id=folder_id,
                    created_at=now,
                    updated_at=now,
                )
            )

    with pytest.raises(IntegrityError):
        insert("scan.pdf")
    insert("SCAN.PDF")
    insert("scan.pdf ")


@pytest.mark.parametrize("backend", BACKENDS)
def test_0010_gives_every_user_a_trash_folder_and_keeps_every_node(request, tmp_path, backend):
    """Existing users get their trash folder, a root of their own; nothing else changes (on
    SQLite no table is copied, so no cascade touches a row). Downgrading drops the empty trash
    folders and the columns, and upgrading again makes new ones."""
    services = {} if backend == "sqlite" else request.getfixturevalue("service_urls")
    users = User.__table__
    with empty_database(backend, services, tmp_path) as url:
        database = Database(url)
        try:
            migrate.upgrade(database.engine, "0007")
            ids = _old_tree(database.engine)
            migrate.upgrade(database.engine, "0009")
            with database.engine.connect() as connection:
                before = set(connection.scalars(sa.select(NODES.c.id)))
            migrate.upgrade(database.engine)
            with database.engine.connect() as connection:
                trash_id = connection.scalar(
                    sa.select(users.c.trash_folder_id).where(users.c.id == ids["user"])
                )
                after = set(connection.scalars(sa.select(NODES.c.id)))
                trash = connection.execute(
                    sa.select(NODES.c.title, NODES.c.parent_id, NODES.c.user_id).where(
                        NODES.c.id == trash_id
                    )
                ).one()
            assert after == before | {trash_id}
            assert tuple(trash) == ("trash", None, ids["user"])
            migrate.downgrade(database.engine, "0009")
            with database.engine.connect() as connection:
                assert set(connection.scalars(sa.select(NODES.c.id))) == before
            migrate.upgrade(database.engine)
            assert _drift(database) == []
        finally:
            database.dispose()
