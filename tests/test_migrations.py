"""Every migration, up and down, on every backend; the migrated schema equals the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from quire.core import migrate
from quire.core.db import Base, Database
from tests.conftest import BACKENDS, empty_database

# Alembic cannot compare expression indexes (``ctype DESC``) and reports them every time.
EXPRESSION_INDEXES = {"ix_nodes_parent_listing"}


def _drift(database: Database) -> list[object]:
    with database.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return [
        diff
        for diff in diffs
        if not (
            isinstance(diff, tuple)
            and diff[0] in {"add_index", "remove_index"}
            and diff[1].name in EXPRESSION_INDEXES
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
