"""Thumbnails, page previews and word boxes: made by a background task after each upload.

The task renders the document's thumbnail and every page at the sizes a viewer opens first
(sm, md), and keeps the word boxes of the version's text layer (``quire.core.words``). Any
image not there yet (lg, xl, or while the task is pending) is rendered on first request and
kept, so readers never wait for the queue.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from sqlalchemy.orm import Session

from quire.core import files, words
from quire.core.mirroring import sync_later
from quire.core.models import Document, DocumentVersion, Page
from quire.core.storage import Storage, docver_key, preview_key, thumbnail_key, words_key
from quire.core.tasks import TaskContext, task

EAGER_SIZES = ("sm", "md")


def pdf_version(document: Document) -> DocumentVersion | None:
    """The newest version with a PDF file, from which pages are rendered."""
    for version in reversed(document.versions):
        if version.file_name and version.is_pdf:
            return version
    return None


@task("previews", queue="previews")
def generate_previews(ctx: TaskContext, version_id: str) -> None:
    """Render a version's page previews and, if it is the newest, the document's thumbnail.

    Then keep the word boxes of its text layer, if it has one.

    Idempotent: every file is rewritten in place under the same name.
    """
    with ctx.db.session() as session:
        version = session.get(DocumentVersion, uuid.UUID(version_id))
        if version is None or version.file_name is None or not version.is_pdf:
            return  # deleted since, or nothing to draw
        source = ctx.storage.fetch(docver_key(version.id, version.file_name))
        pages = {page.number: page.id for page in version.pages}
        document_id = version.document_id
        newest = pdf_version(version.document) is version
        has_text = any(page.text for page in version.pages)
    preview = ctx.settings.preview
    written: list[PurePosixPath] = []
    for size in EAGER_SIZES:
        for number, image in files.render_pages(source, sorted(pages), preview.width(size)):
            written.append(preview_key(pages[number], size))
            ctx.storage.put_bytes(written[-1], image)
    if newest and pages:
        written.append(thumbnail_key(document_id))
        ctx.storage.put_bytes(written[-1], files.render_page(source, 1, preview.thumbnail_size))
    if has_text and words.store(ctx.storage, uuid.UUID(version_id), words.extract(source)):
        written.append(words_key(uuid.UUID(version_id)))
    with ctx.db.session() as session:
        sync_later(session, ctx.storage, written)
        session.commit()


def thumbnail(
    session: Session, storage: Storage, document: Document, width: int
) -> PurePosixPath | None:
    """The document's thumbnail (rendered now if the task has not yet); None without a file."""
    key = thumbnail_key(document.id)
    if storage.exists(key):
        return key
    version = pdf_version(document)
    if version is None or version.file_name is None:
        return None
    source = storage.fetch(docver_key(version.id, version.file_name))
    _drawn(session, storage, key, files.render_page(source, 1, width))
    return key


def page_preview(
    session: Session, storage: Storage, page: Page, size: str, width: int
) -> PurePosixPath | None:
    """A page's preview; an image version's pages are drawn from the PDF made of it."""
    key = preview_key(page.id, size)
    if storage.exists(key):
        return key
    version = page.version if page.version.is_pdf else pdf_version(page.version.document)
    if version is None or version.file_name is None or page.number > version.page_count:
        return None
    source = storage.fetch(docver_key(version.id, version.file_name))
    _drawn(session, storage, key, files.render_page(source, page.number, width))
    return key


def _drawn(session: Session, storage: Storage, key: PurePosixPath, image: bytes) -> None:
    """Keep an image drawn on request (and tell the bucket, in its own transaction)."""
    storage.put_bytes(key, image)
    if storage.mirrored:
        sync_later(session, storage, [key])
        session.commit()
