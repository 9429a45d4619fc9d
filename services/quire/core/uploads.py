"""Uploading a file as a document's next version: the one operation the API and ``quire import``
both call.

A file arriving by import (``quire import``, the one-step ``POST /documents/upload``) gets its
document from ``import_document``: in the given folder, under the first free title of its name
(``scan (2).pdf`` when ``scan.pdf`` is there: ``core.titles``), never refused for its name.

Files before rows: the file is staged, checked completely and put in place, then the versions
commit with their work (OCR, or else previews; the index; the bucket). Any failure rolls the
session back and removes the files, so nothing of a failed upload stays, neither a row nor a
file. (Its own module: ``core.ocr`` builds on ``core.documents``, and this needs both.)
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quire.core import audit, events, files
from quire.core.config import OcrSettings, Settings
from quire.core.documents import add_file, discard_files, new_document, staged_upload
from quire.core.models import Document, DocumentVersion, Folder
from quire.core.nodes import TreeError, in_trash
from quire.core.ocr import follows_upload, schedule_after_upload
from quire.core.storage import Storage
from quire.core.titles import free_title


class UploadConflict(RuntimeError):
    """Another upload to the same document (or of the same title to the same folder) committed
    first; trying again works."""


def import_document(
    session: Session, folder: Folder, *, title: str, lang: str, ocr: bool = True
) -> Document:
    """A new document, waiting for its file, in ``folder`` under the first free title of
    ``title``; it belongs to the folder's owner (each tree has one owner). Unflushed: the
    upload inserts it with its file in one flush and commits it, or rolls it back with it; the
    same title chosen by a concurrent upload breaks that flush (``UploadConflict``).

    Raises ``TreeError`` for a folder in the trash: what is put there is never emptied."""
    if in_trash(session, folder):
        raise TreeError("the folder is in the trash")
    return new_document(
        session,
        title=free_title(session, folder.id, title),
        parent=folder,
        lang=lang,
        ocr=ocr,
        flush=False,
    )


def store_upload(
    session: Session,
    storage: Storage,
    document: Document,
    staged: Path,
    *,
    file_name: str,
    size: int,
    sha256: str,
    ocr: OcrSettings,
    limits: files.Limits,
) -> list[DocumentVersion]:
    """Check a staged file and store it as the document's next version, then commit.

    Raises what ``add_file`` raises for a file it refuses (``files.UnacceptableFile``), and
    ``UploadConflict``; after any failure the session is rolled back and no file is left.
    """
    try:
        # When OCR follows, its version's previews replace these within the minute: rendering
        # them now would only take CPU from the OCR (a viewer gets them drawn on request).
        versions = add_file(
            session,
            storage,
            document,
            staged,
            file_name=file_name,
            size=size,
            sha256=sha256,
            eager_previews=not follows_upload(ocr, document),
            limits=limits,
        )
    except BaseException as exc:
        # add_file removed what it had stored; the rows (a new document's too) go as well.
        session.rollback()
        _raise_conflict_for(exc)
        raise
    try:
        schedule_after_upload(session, ocr, document)
        audit.record(
            session,
            audit.Action.DOCUMENT_UPLOAD,
            document,
            file_name=file_name,
            versions=[version.number for version in versions],
        )
        events.node_event(
            session,
            events.DOCUMENT_UPLOADED,
            document,
            versions=[version.number for version in versions],
        )
        session.commit()
    except BaseException as exc:
        session.rollback()
        discard_files(storage, versions)
        _raise_conflict_for(exc)
        raise
    return versions


_CONFLICT = "another upload to this document or folder finished first; try again"


def _raise_conflict_for(exc: BaseException) -> None:
    # Two uploads to one document both took the next version number, or two new documents the
    # same title in one folder: the later one's insert (at add_file's flush, or at the commit)
    # breaks the unique (document, number) or (parent, title).
    if isinstance(exc, IntegrityError):
        raise UploadConflict(_CONFLICT) from exc


def upload_document(
    session: Session,
    storage: Storage,
    settings: Settings,
    document: Document,
    source: BinaryIO,
    *,
    file_name: str,
) -> list[DocumentVersion]:
    """Stage a stream (at most ``MAIN__MAX_FILE_SIZE_MB``), then ``store_upload`` it.

    Raises ``documents.FileTooLarge`` besides what ``store_upload`` raises.
    """
    try:
        with staged_upload(storage, source, max_bytes=settings.main.max_file_size_mb << 20) as (
            staged,
            size,
            sha256,
        ):
            return store_upload(
                session,
                storage,
                document,
                staged,
                file_name=file_name,
                size=size,
                sha256=sha256,
                ocr=settings.ocr,
                limits=files.Limits.from_settings(settings),
            )
    except BaseException:
        # A file refused while staging (too large): a document made for it goes with it.
        session.rollback()
        raise
