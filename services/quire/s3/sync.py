"""Keeping the bucket right, key by key: the ``s3_sync`` task.

A key's file belongs to a row (``owner_of``): a version, a document, a page. The rule, for this
task and for ``quire s3 sync`` (``quire.s3.reconcile``) alike:

- mirror mode (local media root, ``S3__BUCKET_NAME`` set): a key whose row exists and whose
  local file exists has an object with the same bytes; any other object is removed.
- primary mode (``STORAGE__BACKEND=s3``): the object *is* the file; an object whose row is gone
  is removed, and a version's file missing from the bucket is lost (reported, not repairable).

The task checks the row again after an upload, so an upload racing a deletion never leaves an
object behind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePosixPath

from sqlalchemy import select
from sqlalchemy.orm import Session

from quire.core.db import chunked
from quire.core.mirroring import SYNC_QUEUE, SYNC_TASK
from quire.core.models import DocumentVersion, Node, Page
from quire.core.storage import LocalStorage, owner_of, sha256_of
from quire.core.tasks import TaskContext, task
from quire.s3.bucket import Bucket, bucket_for

log = logging.getLogger("quire.s3")
# The bucket may be down for a long time: retry (at most hourly, TASKS__MAX_RETRY_DELAY_SECONDS)
# for weeks rather than give up.
SYNC_ATTEMPTS = 1000


def alive(session: Session, keys: Iterable[PurePosixPath]) -> set[PurePosixPath]:
    """The keys whose row still exists."""
    by_kind: dict[str, dict[object, list[PurePosixPath]]] = {}
    for key in keys:
        owner = owner_of(key)
        if owner is not None:
            by_kind.setdefault(owner.kind, {}).setdefault(owner.id, []).append(key)
    columns = {"version": DocumentVersion.id, "document": Node.id, "page": Page.id}
    found: set[PurePosixPath] = set()
    for kind, owners in by_kind.items():
        column = columns[kind]
        for chunk in chunked(owners):
            for owner_id in session.scalars(select(column).where(column.in_(chunk))):
                found.update(owners[owner_id])
    return found


@task(SYNC_TASK, queue=SYNC_QUEUE, max_attempts=SYNC_ATTEMPTS)
def sync_keys(ctx: TaskContext, keys: list[str]) -> None:
    """Make the bucket agree with the database (and, mirroring, the media root) for ``keys``."""
    bucket = bucket_for(ctx.settings, ctx.storage)
    storage = ctx.storage
    wanted = [PurePosixPath(key) for key in keys]
    with ctx.db.session() as session:
        living = alive(session, wanted)

    def settle(key: PurePosixPath) -> bool:
        """Make one key right; whether it uploaded."""
        if key not in living:
            bucket.delete(key)
            return False
        if isinstance(storage, LocalStorage) and storage.mirrored:
            return copy(storage, bucket, key)
        return False  # primary mode: the object is the file

    with ThreadPoolExecutor(ctx.settings.s3.max_concurrency) as pool:
        uploaded = [key for key, sent in zip(wanted, pool.map(settle, wanted), strict=True) if sent]
    if uploaded:
        with ctx.db.session() as session:
            for key in set(uploaded) - alive(session, uploaded):
                bucket.delete(key)  # deleted while we uploaded it


def copy(storage: LocalStorage, bucket: Bucket, key: PurePosixPath) -> bool:
    """Give the bucket the local file's bytes (no upload if it has them); no local file, no
    object. Returns whether it uploaded."""
    path = storage.path(key)
    if not path.is_file():
        bucket.delete(key)
        return False
    sha256 = sha256_of(path)
    found = bucket.head(key)
    if found is not None and found.size == path.stat().st_size and found.sha256 == sha256:
        return False
    bucket.put_file(key, path, sha256)
    return True
