"""``quire import PATH``: bring a folder tree of documents into Quire, mirroring its folders.

Resumable: a file whose checksum is already stored in its target folder is skipped, so an
interrupted import is simply run again.

Names that meet a clash (``core.titles``): a file whose name a node in its folder holds already,
with other content, is imported as ``name (2).pdf`` (the first free one); a folder whose name a
document holds becomes ``name (2)``, and a rerun finds it there again. Nothing is refused for
its name and nothing is overwritten.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import select
from sqlalchemy.orm import Session

from quire.cli.common import console, fail, open_database
from quire.core import files
from quire.core.config import OcrSettings, get_settings
from quire.core.documents import FileTooLarge, staged_upload
from quire.core.models import Document, DocumentVersion, Folder, Node, User
from quire.core.nodes import create_folder
from quire.core.storage import Storage, StorageUnavailable, open_storage
from quire.core.titles import candidates
from quire.core.uploads import import_document, store_upload

SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def _folder(session: Session, parent_id: uuid.UUID, title: str) -> uuid.UUID:
    """The folder of this title in the parent, made (and committed) if missing: a rerun of an
    interrupted import finds the folders it made. Where a document holds the title, the first
    of ``title (2)``, ``title (3)``... that is a folder or free."""
    for candidate in candidates(title, keep_extension=False):
        found = session.scalar(
            select(Node).where(Node.parent_id == parent_id, Node.title == candidate)
        )
        if isinstance(found, Folder):
            return found.id
        if found is None:
            return create_folder(session, session.get_one(Folder, parent_id), candidate).id
    raise AssertionError("candidates() never ends")


def _already_there(session: Session, parent_id: uuid.UUID, sha256: str) -> bool:
    query = (
        select(DocumentVersion.id)
        .join(Document, DocumentVersion.document_id == Document.id)
        .where(Document.parent_id == parent_id, DocumentVersion.sha256 == sha256)
        .limit(1)
    )
    return session.scalar(query) is not None


def _import_file(
    session: Session,
    storage: Storage,
    parent_id: uuid.UUID,
    file_path: Path,
    *,
    max_bytes: int,
    limits: files.Limits,
    ocr: OcrSettings,
) -> bool:
    """Store one file as a document in ``parent_id``; False if it is there already."""
    with (
        file_path.open("rb") as source,
        staged_upload(storage, source, max_bytes=max_bytes) as (staged, size, sha256),
    ):
        if _already_there(session, parent_id, sha256):
            return False
        folder = session.get_one(Folder, parent_id)
        document = import_document(
            session, folder, title=file_path.name, lang=ocr.default_lang_code
        )
        # The API's upload: rolled back with no file left on any failure, previews left to OCR.
        store_upload(
            session,
            storage,
            document,
            staged,
            file_name=file_path.name,
            size=size,
            sha256=sha256,
            ocr=ocr,
            limits=limits,
        )
        return True


def import_path(
    path: Annotated[Path, typer.Argument(exists=True, readable=True, resolve_path=True)],
    user: Annotated[str, typer.Option(help="Owner of the imported documents.")] = "admin",
    target: Annotated[str, typer.Option(help="'home' or 'inbox'.")] = "inbox",
) -> None:
    """Import PDF, PNG, JPEG and TIFF files from PATH (a file or a folder, recursively)."""
    if target not in {"home", "inbox"}:
        fail("--target must be 'home' or 'inbox'")
    settings = get_settings()
    storage = open_storage(settings)
    try:
        storage.check()
    except StorageUnavailable as exc:
        fail(str(exc))
    base = path.parent if path.is_file() else path
    candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    wanted = [p for p in candidates if p.suffix.lower() in SUFFIXES]
    counts = {"imported": 0, "already there": 0}
    rejected: list[str] = []
    database = open_database(settings)
    with database.session() as session, _progress() as progress:
        owner = session.scalar(select(User).where(User.username == user))
        if owner is None:
            fail(f"no user named {user!r}")
        root_id = owner.inbox_folder_id if target == "inbox" else owner.home_folder_id
        assert root_id is not None
        bar = progress.add_task("importing", total=len(wanted))
        for file_path in wanted:
            relative = file_path.relative_to(base)
            progress.update(bar, description=str(relative)[-50:])
            parent_id = root_id
            for part in relative.parent.parts:
                parent_id = _folder(session, parent_id, part)
            try:
                imported = _import_file(
                    session,
                    storage,
                    parent_id,
                    file_path,
                    max_bytes=settings.main.max_file_size_mb << 20,
                    limits=files.Limits.from_settings(settings),
                    ocr=settings.ocr,
                )
                counts["imported" if imported else "already there"] += 1
            except (files.UnacceptableFile, FileTooLarge) as exc:
                session.rollback()
                rejected.append(f"{file_path}: {exc}")
            progress.advance(bar)
    database.dispose()
    _report(counts, rejected)


def _report(counts: dict[str, int], rejected: list[str]) -> None:
    console.print(
        f"imported {counts['imported']}, already there {counts['already there']}, "
        f"rejected {len(rejected)}"
    )
    for line in rejected:
        console.print(f"  [yellow]rejected[/yellow] {line}")
    if rejected:
        raise typer.Exit(2)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<50}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )
