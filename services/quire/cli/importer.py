"""``quire import PATH``: bring a folder tree of documents into Quire, mirroring its folders.

Resumable: a file whose checksum is already stored in its target folder is skipped, so an
interrupted import is simply run again.
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
from quire.core.config import get_settings
from quire.core.documents import (
    FileTooLarge,
    add_file,
    discard_files,
    new_document,
    staged_upload,
)
from quire.core.models import Document, DocumentVersion, Folder, User
from quire.core.storage import LocalStorage

SUFFIXES = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def _folder(session: Session, user: User, parent_id: uuid.UUID, title: str) -> uuid.UUID:
    found = session.scalar(
        select(Folder.id).where(
            Folder.parent_id == parent_id, Folder.title == title, Folder.user_id == user.id
        )
    )
    if found is not None:
        return found
    folder = Folder(title=title, user_id=user.id, parent_id=parent_id)
    session.add(folder)
    session.flush()
    return folder.id


def _already_there(session: Session, parent_id: uuid.UUID, sha256: str) -> bool:
    query = (
        select(DocumentVersion.id)
        .join(Document, DocumentVersion.document_id == Document.id)
        .where(Document.parent_id == parent_id, DocumentVersion.sha256 == sha256)
        .limit(1)
    )
    return session.scalar(query) is not None


def import_path(
    path: Annotated[Path, typer.Argument(exists=True, readable=True, resolve_path=True)],
    user: Annotated[str, typer.Option(help="Owner of the imported documents.")] = "admin",
    target: Annotated[str, typer.Option(help="'home' or 'inbox'.")] = "inbox",
) -> None:
    """Import PDF, PNG, JPEG and TIFF files from PATH (a file or a folder, recursively)."""
    if target not in {"home", "inbox"}:
        fail("--target must be 'home' or 'inbox'")
    settings = get_settings()
    storage = LocalStorage(settings.main.media_path)
    storage.root.mkdir(parents=True, exist_ok=True)
    max_bytes = settings.main.max_file_size_mb << 20
    candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    wanted = [p for p in candidates if p.suffix.lower() in SUFFIXES]
    base = path.parent if path.is_file() else path
    database = open_database(settings)
    imported = skipped = 0
    rejected: list[str] = []
    with database.session() as session, _progress() as progress:
        owner = session.scalar(select(User).where(User.username == user))
        if owner is None:
            fail(f"no user named {user!r}")
        root_id = owner.inbox_folder_id if target == "inbox" else owner.home_folder_id
        assert root_id is not None
        task = progress.add_task("importing", total=len(wanted))
        for file_path in wanted:
            progress.update(task, description=str(file_path.relative_to(base))[-50:])
            parent_id = root_id
            for part in file_path.relative_to(base).parent.parts:
                parent_id = _folder(session, owner, parent_id, part)
            with file_path.open("rb") as source:
                try:
                    with staged_upload(storage, source, max_bytes=max_bytes) as (staged, size, sha):
                        if _already_there(session, parent_id, sha):
                            skipped += 1
                            session.commit()
                            progress.advance(task)
                            continue
                        document = new_document(
                            session,
                            title=file_path.name,
                            user_id=owner.id,
                            parent_id=parent_id,
                            lang=settings.ocr.default_lang_code,
                        )
                        versions = add_file(
                            session,
                            storage,
                            document,
                            staged,
                            file_name=file_path.name,
                            size=size,
                            sha256=sha,
                        )
                        try:
                            session.commit()
                        except Exception:
                            discard_files(storage, versions)
                            raise
                        imported += 1
                except (files.UnacceptableFile, FileTooLarge) as exc:
                    session.rollback()
                    rejected.append(f"{file_path}: {exc}")
            progress.advance(task)
    database.dispose()
    console.print(f"imported {imported}, already there {skipped}, rejected {len(rejected)}")
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
