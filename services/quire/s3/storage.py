"""S3 as the primary storage (``STORAGE__BACKEND=s3``): the bucket holds every file.

Every web process and worker, on whatever host, reads and writes the same bucket, so none
depends on another's disk. A write returns once the object is stored (an upload is
acknowledged only then); reads go through a bounded local cache (``quire.s3.cache``), since
the same file is read several times in a row (OCR, previews, word boxes, the viewer). A
thumbnail, the one file redrawn under the same key, is always read from the bucket.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from contextlib import AbstractContextManager
from pathlib import Path, PurePosixPath

from quire.core.config import Settings
from quire.core.storage import mutable, scratch_dir, staging_file, sweep_scratch
from quire.s3.bucket import Bucket
from quire.s3.cache import FileCache

MB = 1 << 20


def _write(target: Path, data: bytes) -> None:
    target.write_bytes(data)


class S3Storage:
    mirrored = False
    in_bucket = True

    def __init__(self, bucket: Bucket, cache: FileCache) -> None:
        self.bucket = bucket
        self.cache = cache

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Storage:
        storage = settings.storage
        cache = FileCache(
            settings.cache_path,
            max_bytes=storage.cache_size_mb * MB,
            min_age_seconds=storage.cache_min_age_seconds,
        )
        return cls(Bucket(settings), cache)

    def exists(self, key: PurePosixPath) -> bool:
        if not mutable(key) and self.cache.get(key) is not None:
            return True
        return self.bucket.head(key) is not None

    def fetch(self, key: PurePosixPath) -> Path:
        if not mutable(key) and (hit := self.cache.get(key)) is not None:
            return hit
        return self.cache.fill(key, lambda target: self.bucket.download(key, target))

    def read_bytes(self, key: PurePosixPath) -> bytes:
        if mutable(key):
            return self.bucket.read_bytes(key)
        return self.fetch(key).read_bytes()

    def staging_file(self) -> AbstractContextManager[Path]:
        # Beside the cache, so that a stored upload moves into it without a copy.
        return staging_file(self.cache.root / "tmp")

    def scratch(self) -> Path:
        return scratch_dir(self.cache.root / "tmp")

    def sweep_scratch(self) -> int:
        return len(sweep_scratch(self.cache.root / "tmp"))

    def put_file(self, key: PurePosixPath, source: Path, sha256: str | None = None) -> None:
        self.bucket.put_file(key, source, sha256)
        if mutable(key):
            os.unlink(source)
        else:
            self.cache.take(key, source)

    def put_bytes(self, key: PurePosixPath, data: bytes) -> None:
        self.bucket.put_bytes(key, data)
        if not mutable(key):
            self.cache.fill(key, lambda target: _write(target, data))

    def delete(self, key: PurePosixPath) -> None:
        self.cache.remove(key)
        self.bucket.delete(key)

    def delete_tree(self, key: PurePosixPath) -> None:
        self.cache.remove_folder(key)
        self.bucket.delete_folder(key)

    def discard(self, keys: Iterable[PurePosixPath]) -> None:
        # The objects go with the s3_sync task committed with the deletion (retried while the
        # bucket is unreachable); here only this host's copies.
        for key in keys:
            self.cache.remove_folder(key)

    def check(self) -> None:
        self.bucket.check()
