"""``quire s3 sync``: the whole bucket against its source of truth, shard by shard.

The source of truth is the media root when mirroring, the database when the bucket is the
primary storage (``quire.s3.sync`` states the rule). The keys are compared one shard at a time
(``docvers/ab``, ... : 1,024 of them), each walked on disk or read from the database and
repaired before the next, so memory stays flat at millions of files, the progress bar has a real
total, and an interrupted run loses at most one shard's work, which the next run redoes (every
step is idempotent). The bucket is listed a folder at a time (a thousand keys per request, in
key order, so each shard's keys come together): a request per shard would make 1,024 of them
even for an empty bucket.

Objects that no row or file claims but that are younger than ``S3__ORPHAN_GRACE_SECONDS`` are
left alone: they may belong to an upload whose transaction has not committed yet.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from sqlalchemy import String, cast, select

from quire.core.config import Settings
from quire.core.db import Database
from quire.core.models import DocumentVersion
from quire.core.storage import SHARDED_FOLDERS, LocalStorage, Storage, docver_key, owner_of
from quire.s3.bucket import Bucket, ObjectInfo, bucket_for
from quire.s3.sync import alive, copy

log = logging.getLogger("quire.s3")
# Keys kept per kind of drift, to show; beyond it only counted.
SHOWN = 1000


@dataclass
class Found:
    """Keys of one kind of drift: how many, and the first ``limit`` of them (all in a shard,
    which is repaired from them; the first SHOWN in a whole run's, which is shown)."""

    count: int = 0
    keys: list[PurePosixPath] = field(default_factory=list)
    limit: int | None = SHOWN

    def add(self, key: PurePosixPath) -> None:
        self.count += 1
        if self.limit is None or len(self.keys) < self.limit:
            self.keys.append(key)


@dataclass
class Drift:
    """What differs between the bucket and its source of truth."""

    missing: Found = field(default_factory=Found)  # no object (mirror: uploaded on repair)
    stale: Found = field(default_factory=Found)  # other bytes than the source
    orphaned: Found = field(default_factory=Found)  # no row or file claims it: removed
    lost: Found = field(default_factory=Found)  # primary: a version's object is gone
    young: int = 0  # unclaimed objects left alone for now
    checked: int = 0

    @classmethod
    def of_shard(cls) -> Drift:
        return cls(*(Found(limit=None), Found(limit=None), Found(limit=None), Found(limit=None)))

    @property
    def repairable(self) -> int:
        return self.missing.count + self.stale.count + self.orphaned.count

    @property
    def total(self) -> int:
        return self.repairable + self.lost.count


Progress = Callable[[str], None]  # called with each shard once it is done


class Reconciler:
    def __init__(self, settings: Settings, db: Database, storage: Storage) -> None:
        self.settings = settings
        self.db = db
        self.storage = storage
        self.bucket = bucket_for(settings, storage)

    def run(self, *, verify: bool, repair: bool, progress: Progress | None = None) -> Drift:
        """Compare every shard (and unless ``repair`` is off, fix it); returns what differed."""
        drift = Drift()
        for folder in SHARDED_FOLDERS:
            for shard, listed in _by_shard(folder, self.bucket.listing(folder)):
                found = Drift.of_shard()
                self.compare_shard(shard, listed, found, verify=verify)
                if repair:
                    self.repair(found)
                _merge(drift, found)
                if progress:
                    progress(shard)
        if repair:
            log.info(
                "bucket synced",
                extra={
                    "uploaded": drift.missing.count + drift.stale.count,
                    "removed": drift.orphaned.count,
                    "lost": drift.lost.count,
                },
            )
        return drift

    def compare(self, *, verify: bool) -> Drift:
        return self.run(verify=verify, repair=False)

    def compare_shard(
        self, shard: str, listed: list[ObjectInfo], drift: Drift, *, verify: bool
    ) -> None:
        """Compare the shard's objects (``listed``) with the source of truth, into ``drift``."""
        remote = {found.key: found for found in listed if owner_of(found.key) is not None}
        if isinstance(self.storage, LocalStorage):
            claimed = self._compare_mirror(shard, remote, drift, verify=verify)
        else:
            claimed = self._compare_primary(shard, remote, drift, verify=verify)
        young = datetime.now(UTC) - timedelta(seconds=self.settings.s3.orphan_grace_seconds)
        for key, found in remote.items():
            if key in claimed:
                continue
            if found.modified > young:
                drift.young += 1
            else:
                drift.orphaned.add(key)

    def _compare_mirror(
        self, shard: str, remote: dict[PurePosixPath, ObjectInfo], drift: Drift, *, verify: bool
    ) -> set[PurePosixPath]:
        assert isinstance(self.storage, LocalStorage)
        local = set()
        for key in self.storage.walk(shard):
            if owner_of(key) is None:
                continue
            local.add(key)
            found = remote.get(key)
            path = self.storage.path(key)
            if found is None:
                drift.missing.add(key)
            elif found.size != path.stat().st_size or (
                verify and not self._same_bytes(key, path, found)
            ):
                drift.stale.add(key)
            drift.checked += 1
        return local

    def _compare_primary(
        self, shard: str, remote: dict[PurePosixPath, ObjectInfo], drift: Drift, *, verify: bool
    ) -> set[PurePosixPath]:
        with self.db.session() as session:
            living = alive(session, remote)
            if not shard.startswith("docvers/"):
                return living  # drawn from the versions: missing ones are drawn again
            # By the id's text, not a range of ids: MariaDB orders its native UUIDs by their
            # groups swapped. A scan per shard; a million versions take seconds.
            prefix = shard.rsplit("/", 1)[1]
            query = select(DocumentVersion.id, DocumentVersion.file_name, DocumentVersion.sha256)
            query = query.where(
                DocumentVersion.file_name.is_not(None),
                cast(DocumentVersion.id, String).like(f"{prefix}%"),
            )
            versions = session.execute(query).all()
        for version_id, file_name, sha256 in versions:
            key = docver_key(version_id, file_name or "")
            if key not in remote:
                drift.lost.add(key)
            elif verify and self.bucket.sha256_of_object(key) != sha256:
                drift.stale.add(key)
            drift.checked += 1
        return living

    def _same_bytes(self, key: PurePosixPath, path: Path, found: ObjectInfo) -> bool:
        """Whether the object holds the local file's bytes: by the server's ETag, an MD5 of
        what it received (not with SSE-KMS), else by the SHA-256 we stored with the object."""
        digests = local_digests(path, self.bucket)
        if self.settings.s3.server_side_encryption != "aws:kms" and found.etag in digests.etags:
            return True
        if found.etag and "-" not in found.etag and len(found.etag) == 32:
            return False  # the MD5 of other bytes
        head = self.bucket.head(key)
        return head is not None and head.sha256 == digests.sha256

    def repair(self, drift: Drift) -> None:
        """Upload what is missing or stale (mirror), remove the orphans; S3__MAX_CONCURRENCY
        requests at once."""
        if not drift.repairable:
            return
        storage = self.storage
        uploads = [*drift.missing.keys, *drift.stale.keys]
        with ThreadPoolExecutor(self.settings.s3.max_concurrency) as pool:
            if isinstance(storage, LocalStorage):
                list(pool.map(lambda key: copy(storage, self.bucket, key), uploads))
            list(pool.map(self.bucket.delete, drift.orphaned.keys))


def _by_shard(folder: str, listing: Iterator[ObjectInfo]) -> Iterator[tuple[str, list[ObjectInfo]]]:
    """The folder's shards in order, each with the objects of the folder's listing under it."""
    pending = next(listing, None)
    for number in range(256):
        shard = f"{folder}/{number:02x}"
        following = f"{folder}/{number + 1:02x}" if number < 255 else None
        listed = []
        while pending is not None and (following is None or str(pending.key) < following):
            if str(pending.key).startswith(f"{shard}/"):
                listed.append(pending)
            pending = next(listing, None)
        yield shard, listed


@dataclass(frozen=True)
class LocalDigests:
    sha256: str
    # The ETags a server may give this file: the MD5 of the whole, or (AWS, for an upload in
    # parts) the MD5 of the parts' MD5s and their count, for parts as ``Bucket.put_file`` sends.
    etags: frozenset[str]


def local_digests(path: Path, bucket: Bucket) -> LocalDigests:
    size = path.stat().st_size
    part = bucket.part_size if size >= bucket.threshold else max(size, 1)
    sha = hashlib.sha256()
    whole = hashlib.md5(usedforsecurity=False)
    parts: list[bytes] = []
    with path.open("rb") as handle:
        while block := handle.read(part):
            sha.update(block)
            whole.update(block)
            parts.append(hashlib.md5(block, usedforsecurity=False).digest())
    etags = {whole.hexdigest()}
    if size >= bucket.threshold:
        joined = hashlib.md5(b"".join(parts), usedforsecurity=False).hexdigest()
        etags.add(f"{joined}-{len(parts)}")
    return LocalDigests(sha.hexdigest(), frozenset(etags))


def _merge(total: Drift, shard: Drift) -> None:
    for name in ("missing", "stale", "orphaned", "lost"):
        into: Found = getattr(total, name)
        part: Found = getattr(shard, name)
        into.count += part.count
        into.keys.extend(part.keys[: max(0, SHOWN - len(into.keys))])
    total.young += shard.young
    total.checked += shard.checked
