"""File storage under the media root, laid out like upstream Papermerge.

    docvers/ab/cd/<version uuid>/<file name>       every document version's file
    thumbnails/jpg/ab/cd/<document uuid>/sm.jpg    a document's thumbnail (first page)
    previews/pages/ab/cd/<page uuid>/<size>.jpg    page previews, sm/md/lg/xl

Files are written to a temporary file in the same directory and renamed into place, so a
reader never sees half a file and a crash leaves either the old file or the new one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO

CHUNK_SIZE = 1 << 20


def _sharded(prefix: str, uid: uuid.UUID) -> PurePosixPath:
    text = str(uid)
    return PurePosixPath(prefix, text[0:2], text[2:4], text)


def docver_key(version_id: uuid.UUID, file_name: str) -> PurePosixPath:
    return _sharded("docvers", version_id) / file_name


def thumbnail_key(document_id: uuid.UUID) -> PurePosixPath:
    return _sharded("thumbnails/jpg", document_id) / "sm.jpg"


def preview_key(page_id: uuid.UUID, size: str) -> PurePosixPath:
    return _sharded("previews/pages", page_id) / f"{size}.jpg"


def words_key(version_id: uuid.UUID) -> PurePosixPath:
    """The word boxes of a version's pages (``quire.core.words``)."""
    return _sharded("words", version_id) / "words.json"


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: PurePosixPath) -> Path:
        return self.root.joinpath(*key.parts)

    def exists(self, key: PurePosixPath) -> bool:
        return self.path(key).is_file()

    def open(self, key: PurePosixPath) -> BinaryIO:
        return self.path(key).open("rb")

    @contextmanager
    def staging_file(self) -> Iterator[Path]:
        """A temporary file on the media root's file system, removed unless moved away."""
        directory = self.root / "tmp"
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, prefix="upload-")
        os.close(fd)
        path = Path(name)
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)

    def put_file(self, key: PurePosixPath, source: Path) -> None:
        """Move a staged file into place (fsynced, atomic)."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(source, target)
        _fsync_dir(target.parent)

    def put_bytes(self, key: PurePosixPath, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(name, target)
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise

    def delete(self, key: PurePosixPath) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_tree(self, key: PurePosixPath) -> None:
        """Remove the directory holding ``key`` (one version's, one page's)."""
        shutil.rmtree(self.path(key).parent, ignore_errors=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
