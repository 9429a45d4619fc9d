"""File storage: one interface, two backends, laid out like upstream Papermerge.

    docvers/ab/cd/<version uuid>/<file name>       every document version's file
    thumbnails/jpg/ab/cd/<document uuid>/sm.jpg    a document's thumbnail (first page)
    previews/pages/ab/cd/<page uuid>/<size>.jpg    page previews, sm/md/lg/xl
    words/ab/cd/<version uuid>/words.json          word boxes of a version's pages

``LocalStorage`` keeps the files under the media root (mirrored to a bucket by the ``s3_sync``
task when ``S3__BUCKET_NAME`` is set). Any other ``STORAGE__BACKEND`` is a backend that a feature
package registers at start-up (``register_storage_backend``): the s3 package's keeps the files in
the bucket, with a bounded local cache. The same keys serve both, and the bucket's object names
are these keys (under ``MAIN__PREFIX``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from quire.core.config import Settings

CHUNK_SIZE = 1 << 20

OwnerKind = Literal["version", "document", "page"]


class StorageUnavailable(RuntimeError):
    """The storage cannot be reached (the bucket is down, credentials are refused): a 503."""


class MissingFile(FileNotFoundError):
    """No file under this key."""


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


# Top folder -> (how many parts before the uuid, the row the file belongs to).
_LAYOUT: dict[str, tuple[int, OwnerKind]] = {
    "docvers": (1, "version"),
    "thumbnails": (2, "document"),
    "previews": (2, "page"),
    "words": (1, "version"),
}


# Every key of the layout is under one of these, then two hex digits of its owner's id: 1,024
# shards (``docvers/ab``, ...) that split the keys evenly, for ``quire s3 sync``.
SHARDED_FOLDERS = ("docvers", "thumbnails/jpg", "previews/pages", "words")


@dataclass(frozen=True)
class Owner:
    """The database row a stored file belongs to: the file is garbage once the row is gone."""

    kind: OwnerKind
    id: uuid.UUID


def owner_of(key: PurePosixPath | str) -> Owner | None:
    """Whose file this key is, or None for a key outside the layout (a stray file)."""
    parts = PurePosixPath(key).parts
    layout = _LAYOUT.get(parts[0]) if parts else None
    if layout is None:
        return None
    depth, kind = layout
    # <top>[/<sub>]/ab/cd/<uuid>/<name>: exactly one name below the uuid.
    if len(parts) != depth + 4:
        return None
    try:
        uid = uuid.UUID(parts[depth + 2])
    except ValueError:
        return None
    if parts[depth : depth + 2] != (str(uid)[0:2], str(uid)[2:4]):
        return None
    return Owner(kind, uid)


def mutable(key: PurePosixPath) -> bool:
    """A thumbnail is drawn again under the same key when a document gets a new version; every
    other file under a key is written once (a new version, page or size is a new key)."""
    return key.parts[0] == "thumbnails"


class Storage(Protocol):
    """What the rest of Quire needs from file storage."""

    # Local files copied to a bucket by the s3 queue (the ``s3_sync`` task).
    mirrored: bool
    # The files live in the bucket (STORAGE__BACKEND=s3).
    in_bucket: bool

    def exists(self, key: PurePosixPath) -> bool: ...

    def fetch(self, key: PurePosixPath) -> Path:
        """A path on this host holding the file (for PDFium, OCRmyPDF, a file response)."""
        ...

    def read_bytes(self, key: PurePosixPath) -> bytes: ...

    def staging_file(self) -> AbstractContextManager[Path]:
        """A temporary file that ``put_file`` can take, removed unless it was."""
        ...

    def scratch(self) -> Path:
        """This process's own folder for temporary files (staging, OCRmyPDF's work)."""
        ...

    def sweep_scratch(self) -> int:
        """Remove what dead processes left in their scratch folders (at start); how many."""
        ...

    def put_file(self, key: PurePosixPath, source: Path, sha256: str | None = None) -> None:
        """Store a staged file under ``key`` (taking it: ``source`` is gone afterwards);
        ``sha256``, when the caller knows it, saves reading the file again."""
        ...

    def put_bytes(self, key: PurePosixPath, data: bytes) -> None: ...

    def delete(self, key: PurePosixPath) -> None: ...

    def delete_tree(self, key: PurePosixPath) -> None:
        """Remove ``key`` and everything beside it (one version's files, one page's)."""
        ...

    def discard(self, keys: Iterable[PurePosixPath]) -> None:
        """The files of rows just deleted (and committed): gone now, or by the s3 queue."""
        ...

    def check(self) -> None:
        """Raise StorageUnavailable unless files can be stored now (the health check)."""
        ...


class LocalStorage:
    """Files under the media root. A file is written to a temporary file in the same
    directory and renamed into place, so a reader never sees half a file and a crash leaves
    either the old file or the new one."""

    in_bucket = False

    def __init__(self, root: Path, *, mirrored: bool = False) -> None:
        self.root = root
        self.mirrored = mirrored

    def path(self, key: PurePosixPath) -> Path:
        return self.root.joinpath(*key.parts)

    def exists(self, key: PurePosixPath) -> bool:
        return self.path(key).is_file()

    def fetch(self, key: PurePosixPath) -> Path:
        path = self.path(key)
        if not path.is_file():
            raise MissingFile(str(key))
        return path

    def read_bytes(self, key: PurePosixPath) -> bytes:
        return self.fetch(key).read_bytes()

    def staging_file(self) -> AbstractContextManager[Path]:
        return staging_file(self.root / "tmp")

    def scratch(self) -> Path:
        return scratch_dir(self.root / "tmp")

    def sweep_scratch(self) -> int:
        return len(sweep_scratch(self.root / "tmp"))

    def put_file(self, key: PurePosixPath, source: Path, sha256: str | None = None) -> None:
        """Move a staged file into place (fsynced, atomic)."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(source, target)
        _fsync_dir(target.parent)

    def put_bytes(self, key: PurePosixPath, data: bytes) -> None:
        write_atomically(self.path(key), data)

    def delete(self, key: PurePosixPath) -> None:
        self.path(key).unlink(missing_ok=True)

    def delete_tree(self, key: PurePosixPath) -> None:
        shutil.rmtree(self.path(key).parent, ignore_errors=True)

    def discard(self, keys: Iterable[PurePosixPath]) -> None:
        # A page's previews share one folder: remove it once, not once per size.
        for folder in dict.fromkeys(self.path(key).parent for key in keys):
            shutil.rmtree(folder, ignore_errors=True)

    def check(self) -> None:
        if not self.root.is_dir():
            raise StorageUnavailable(f"the media root {self.root} is missing")

    def walk(self, under: str) -> Iterator[PurePosixPath]:
        """Every file under a folder of the layout (a shard: ``docvers/ab``), but half-written
        ones."""
        for directory, _, names in os.walk(self.root / under):
            for name in names:
                if not name.startswith(".tmp-"):
                    path = Path(directory, name)
                    yield PurePosixPath(path.relative_to(self.root).as_posix())


# A backend other than the local one, by its STORAGE__BACKEND name. Registered by the feature
# package that provides it (at start-up: web app, CLI), so core never imports what is above it.
StorageFactory = Callable[["Settings"], Storage]
_BACKENDS: dict[str, StorageFactory] = {}


class UnknownStorageBackend(LookupError):
    """STORAGE__BACKEND names a backend nobody registered (a start-up that skipped it)."""


def register_storage_backend(name: str, factory: StorageFactory) -> None:
    """Make ``STORAGE__BACKEND=name`` open ``factory(settings)``; registering it again with the
    same factory does nothing, so start-up code may run twice."""
    if name == "local":
        raise ValueError("the local backend is built in")
    known = _BACKENDS.setdefault(name, factory)
    if known is not factory:
        raise ValueError(f"storage backend {name!r} is registered twice")


def open_storage(settings: Settings) -> Storage:
    """The storage the settings choose, for a web process, a worker or a command."""
    name = settings.storage.backend
    if name != "local":
        try:
            factory = _BACKENDS[name]
        except KeyError:
            raise UnknownStorageBackend(
                f"STORAGE__BACKEND={name} is not registered; registered: "
                f"{', '.join(sorted(_BACKENDS)) or 'none'} (its package registers it at start-up)"
            ) from None
        return factory(settings)
    root = settings.main.media_path
    root.mkdir(parents=True, exist_ok=True)
    return LocalStorage(root, mirrored=settings.s3.enabled)


# Scratch space: each process keeps its temporary files in its own folder, <tmp>/<host>-<pid>,
# so that what a dead process left (a crash, a SIGKILL, the OOM killer) is known to be garbage
# and swept when a process starts. A folder of another host (a media root shared over NFS) is
# left alone for a day: its process may be alive over there.
OTHER_HOST_SCRATCH_SECONDS = 24 * 3600
# Files directly in <tmp>, from before scratch folders, are swept once this old.
LOOSE_FILE_SECONDS = 3600


def scratch_dir(tmp_root: Path) -> Path:
    path = tmp_root / f"{socket.gethostname()}-{os.getpid()}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def sweep_scratch(tmp_root: Path) -> list[Path]:
    """Remove dead processes' scratch folders under ``tmp_root``; the paths removed."""
    if not tmp_root.is_dir():
        return []
    host, now, removed = socket.gethostname(), time.time(), []
    for entry in tmp_root.iterdir():
        owner, _, pid = entry.name.rpartition("-")
        if entry.is_dir() and pid.isdigit():
            age = now - entry.stat().st_mtime
            if (owner == host and not _alive(int(pid))) or (
                owner != host and age > OTHER_HOST_SCRATCH_SECONDS
            ):
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
        elif entry.is_file() and now - entry.stat().st_mtime > LOOSE_FILE_SECONDS:
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


@contextmanager
def staging_file(directory: Path) -> Iterator[Path]:
    """A temporary file in this process's scratch folder under ``directory``, removed unless
    it was moved away."""
    fd, name = tempfile.mkstemp(dir=scratch_dir(directory), prefix="upload-")
    os.close(fd)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def write_atomically(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(name, target)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


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
