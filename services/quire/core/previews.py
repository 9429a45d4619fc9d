"""Thumbnails, page previews and word boxes: made by a background task after each upload.

The task renders the document's thumbnail and every page at the sizes a viewer opens first
(sm, md), and keeps the word boxes of the version's text layer (``quire.core.words``). Any
image not there yet (lg, xl, or while the task is pending) is rendered on first request and
kept, so readers never wait for the queue.
"""

from __future__ import annotations

import uuid
from pathlib import Path, PurePosixPath

from sqlalchemy.orm import Session

from quire.core import files, words
from quire.core.mirroring import sync_later
from quire.core.models import Document, DocumentVersion, Page
from quire.core.storage import Storage, docver_key, preview_key, thumbnail_key, words_key
from quire.core.tasks import PermanentFailure, TaskContext, task

EAGER_SIZES = ("sm", "md")


class PreviewsFailed(PermanentFailure):
    """The version is over a limit or has a page that cannot be drawn: never retried."""


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
    try:
        written = _render_all(ctx, source, pages, document_id if newest else None)
    except files.UnacceptableFile as exc:
        # Over a limit, or a page pdfium cannot draw: the same on every run.
        raise PreviewsFailed(str(exc)) from exc
    if has_text and words.store(ctx.storage, uuid.UUID(version_id), words.extract(source)):
        written.append(words_key(uuid.UUID(version_id)))
    with ctx.db.session() as session:
        sync_later(session, ctx.storage, written)
        session.commit()


def _render_all(
    ctx: TaskContext, source: Path, pages: dict[int, uuid.UUID], document_id: uuid.UUID | None
) -> list[PurePosixPath]:
    """Each page at the eager sizes, stored as soon as it is drawn (one page in memory at a
    time); then the document's thumbnail if ``document_id`` is given."""
    limits = files.Limits.from_settings(ctx.settings)
    if len(pages) > limits.max_pages:  # stored before the limit existed, or lowered since
        raise files.TooManyPages(
            f"the version has {len(pages):,} pages; previews are drawn for at most "
            f"{limits.max_pages:,} (MAIN__MAX_PAGES_PER_DOCUMENT)"
        )
    preview = ctx.settings.preview
    widths = [preview.width(size) for size in EAGER_SIZES]
    written: list[PurePosixPath] = []
    # The thumbnail is the first page at its width: the same image as a preview of that width
    # (by default the small one), drawn once.
    thumbnail = None
    for number, images in files.render_pages(source, sorted(pages), widths, limits):
        for size, image in zip(EAGER_SIZES, images, strict=True):
            written.append(preview_key(pages[number], size))
            ctx.storage.put_bytes(written[-1], image)
        if number == 1 and preview.thumbnail_size in widths:
            thumbnail = images[widths.index(preview.thumbnail_size)]
    if document_id is not None and pages:
        written.append(thumbnail_key(document_id))
        if thumbnail is None:
            thumbnail = files.render_page(source, 1, preview.thumbnail_size, limits)
        ctx.storage.put_bytes(written[-1], thumbnail)
    return written


def thumbnail(
    session: Session,
    storage: Storage,
    document: Document,
    width: int,
    limits: files.Limits = files.DEFAULT_LIMITS,
) -> PurePosixPath | None:
    """The document's thumbnail (rendered now if the task has not yet); None without a file.

    Drawn within ``limits`` (one bitmap per process at a time); a page that cannot be drawn
    raises ``files.UnrenderablePage``, the caller's 422.
    """
    key = thumbnail_key(document.id)
    if storage.exists(key):
        return key
    version = pdf_version(document)
    if version is None or version.file_name is None:
        return None
    source = storage.fetch(docver_key(version.id, version.file_name))
    _drawn(session, storage, key, files.render_page(source, 1, width, limits))
    return key


def page_preview(
    session: Session,
    storage: Storage,
    page: Page,
    size: str,
    width: int,
    limits: files.Limits = files.DEFAULT_LIMITS,
) -> PurePosixPath | None:
    """A page's preview; an image version's pages are drawn from the PDF made of it.

    Bounded and failing like ``thumbnail``.
    """
    key = preview_key(page.id, size)
    if storage.exists(key):
        return key
    version = page.version if page.version.is_pdf else pdf_version(page.version.document)
    if version is None or version.file_name is None or page.number > version.page_count:
        return None
    source = storage.fetch(docver_key(version.id, version.file_name))
    _drawn(session, storage, key, files.render_page(source, page.number, width, limits))
    return key


def _drawn(session: Session, storage: Storage, key: PurePosixPath, image: bytes) -> None:
    """Keep an image drawn on request (and tell the bucket, in its own transaction)."""
    storage.put_bytes(key, image)
    if storage.mirrored:
        sync_later(session, storage, [key])
        session.commit()
