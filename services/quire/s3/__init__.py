"""S3-compatible object storage: the bucket mirror (``s3`` queue), S3 as primary storage,
signed download URLs and ``quire s3 sync``. See docs/architecture.md, "Files"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quire.core.storage import register_storage_backend
from quire.core.tasks.registry import register_task_module

if TYPE_CHECKING:
    from quire.core.config import Settings
    from quire.core.storage import Storage


def _open_bucket_storage(settings: Settings) -> Storage:
    # Imported here: boto3 is loaded only by a process whose files live in the bucket.
    from quire.s3.storage import S3Storage

    return S3Storage.from_settings(settings)


def register() -> None:
    """Make ``STORAGE__BACKEND=s3`` and the ``s3_sync`` task known to core (at start-up)."""
    register_storage_backend("s3", _open_bucket_storage)
    register_task_module("quire.s3.sync")
