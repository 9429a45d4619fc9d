"""Prints, as JSON, what playbooks/backup.yml and restore.yml need to know of this host's Quire.

Run with Quire's virtualenv Python as the quire user, with the settings file the services read
(QUIRE_CONFIG): Quire's version, where its data and files are, the storage backend, the bucket,
the kind of database (with the file of an SQLite one) and how many documents and versions it
holds. No credential is printed.
"""

import json

from sqlalchemy import text
from sqlalchemy.engine import make_url

import quire
from quire.cli.common import open_database
from quire.core.config import get_settings

settings = get_settings()
url = make_url(settings.database_url)
kind = url.get_backend_name()
database = open_database(settings)
try:
    with database.engine.connect() as connection:
        documents = connection.scalar(text("SELECT count(*) FROM documents"))
        versions = connection.scalar(text("SELECT count(*) FROM document_versions"))
finally:
    database.dispose()
print(
    json.dumps(
        {
            "version": quire.__version__,
            "data_dir": str(settings.main.data_dir),
            "media_root": str(settings.main.media_path),
            "storage_backend": settings.storage.backend,
            "bucket_name": settings.s3.bucket_name or "",
            "prefix": settings.main.prefix,
            # The names quire_database_engine uses.
            "database": {"mysql": "mariadb"}.get(kind, kind),
            "sqlite_path": (url.database or "") if kind == "sqlite" else "",
            "search": (settings.search.url or "tantivy:").partition(":")[0],
            "documents": documents,
            "document_versions": versions,
        }
    )
)
