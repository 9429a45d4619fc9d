"""A bounded folder of local copies of bucket objects, evicting the least recently used.

Several processes on one host may share the folder: files appear by rename (never half
written), "used" is the file's mtime (touched on every hit), and a file used within
``STORAGE__CACHE_MIN_AGE_SECONDS`` is never evicted, since a reader may have it open. On
Linux an evicted file that is still open stays readable until closed anyway.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath

log = logging.getLogger("quire.s3.cache")


class FileCache:
    def __init__(self, root: Path, *, max_bytes: int, min_age_seconds: float) -> None:
        self.root = root
        self.files = root / "files"
        self.max_bytes = max_bytes
        self.min_age_seconds = min_age_seconds
        self.files.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._estimate: int | None = None  # bytes held, as of the last scan plus what we added

    def path(self, key: PurePosixPath) -> Path:
        return self.files.joinpath(*key.parts)

    def get(self, key: PurePosixPath) -> Path | None:
        path = self.path(key)
        try:
            os.utime(path)
        except FileNotFoundError:
            return None
        return path

    def fill(self, key: PurePosixPath, write: Callable[[Path], None]) -> Path:
        """Put a file in by ``write(temporary path)``; it appears whole or not at all."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        os.close(fd)
        try:
            write(Path(name))
            os.replace(name, target)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise
        self._added(target.stat().st_size)
        return target

    def take(self, key: PurePosixPath, source: Path) -> Path:
        """Move a file (on the cache's file system) in."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        self._added(target.stat().st_size)
        return target

    def remove(self, key: PurePosixPath) -> None:
        self.path(key).unlink(missing_ok=True)

    def remove_folder(self, key: PurePosixPath) -> None:
        shutil.rmtree(self.path(key).parent, ignore_errors=True)

    def size(self) -> int:
        return sum(size for _, size, _ in self._scan())

    def _added(self, size: int) -> None:
        with self._lock:
            if self._estimate is None:
                self._estimate = self.size()
            else:
                self._estimate += size
            if self._estimate <= self.max_bytes:
                return
            self._estimate = self._evict()

    def _evict(self) -> int:
        """Remove the least recently used files until the cache holds 90 % of its bound."""
        entries = sorted(self._scan())
        total = sum(size for _, size, _ in entries)
        goal = self.max_bytes * 9 // 10
        recent = time.time() - self.min_age_seconds
        removed = 0
        for used, size, path in entries:
            if total <= goal or used > recent:
                break
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
        if total > self.max_bytes:
            log.warning(
                "cache over its bound: every file in it was used recently",
                extra={"bytes": total, "bound": self.max_bytes},
            )
        log.info("cache evicted", extra={"files": removed, "bytes": total})
        return total

    def _scan(self) -> list[tuple[float, int, Path]]:
        found = []
        for directory, _, names in os.walk(self.files):
            for name in names:
                path = Path(directory, name)
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    continue
                found.append((stat.st_mtime, stat.st_size, path))
        return found
