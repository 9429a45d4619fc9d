"""Prints "current" when the database schema is at the newest migration, else "behind".

Run with the virtualenv's Python as the quire user (quire.dms.web, before `quire migrate`):
`quire migrate` itself does not say whether it applied anything.
"""

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from quire.cli.common import open_database
from quire.core.migrate import alembic_config

database = open_database()
try:
    with database.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
finally:
    database.dispose()
heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
print("current" if current == heads else "behind")
