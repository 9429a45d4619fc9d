"""Telling the bucket that files changed.

With a bucket configured, every change that writes or removes files calls ``sync_later`` in
the same transaction as the change (or, for a file drawn outside one, in its own). The
``s3_sync`` task (the s3 package's, registered at start-up) then makes the bucket agree with
the database and the media root for those keys, whenever it runs: a late or repeated task is
harmless, and a bucket that is down only delays it (it retries until the bucket answers).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath

from sqlalchemy.orm import Session

from quire.core.storage import Storage
from quire.core.tasks import enqueue

SYNC_TASK = "s3_sync"
SYNC_QUEUE = "s3"
# Keys per task: deleting a large folder makes many tasks of bounded size, not one huge row.
KEYS_PER_TASK = 1000


def sync_later(
    session: Session, storage: Storage, keys: Iterable[PurePosixPath], *, removed: bool = False
) -> None:
    """Queue these keys for the bucket: copies of local files (mirror mode), or objects whose
    rows are being deleted (``removed``; in either mode)."""
    if not (storage.mirrored or (removed and storage.in_bucket)):
        return
    names = sorted({str(key) for key in keys})
    for start in range(0, len(names), KEYS_PER_TASK):
        chunk = names[start : start + KEYS_PER_TASK]
        enqueue(session, SYNC_TASK, {"keys": chunk}, queue=SYNC_QUEUE)
