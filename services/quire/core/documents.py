"""Documents: creating them, storing uploads as versions, and rendering previews.

Used alike by the REST API and by ``quire import``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from sqlalchemy import BindParameter, Subquery, func, select
from sqlalchemy.orm import Session

from quire.core import files, ownership
from quire.core.indexing import reindex_later
from quire.core.mirroring import sync_later
from quire.core.models import Document, DocumentVersion, Node, Page
from quire.core.storage import CHUNK_SIZE, Storage, docver_key, sha256_of, thumbnail_key
from quire.core.tasks import enqueue

MAX_FILE_NAME = 200


class FileTooLarge(ValueError):
    pass


def safe_file_name(name: str | None, fallback: str = "document") -> str:
    """The last path component, without control characters: never a path trick."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    if not base:
        return fallback
    if len(base) > MAX_FILE_NAME:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: MAX_FILE_NAME - len(ext) - 1] + dot + ext) if dot else base[:MAX_FILE_NAME]
    return base


@contextmanager
def staged_upload(
    storage: Storage, source: BinaryIO, *, max_bytes: int
) -> Iterator[tuple[Path, int, str]]:
    """Copy a stream into a staging file, enforcing the size limit; yields (path, size, sha256)."""
    with storage.staging_file() as path:
        digest = hashlib.sha256()
        size = 0
        with path.open("wb") as out:
            while chunk := source.read(CHUNK_SIZE):
                size += len(chunk)
                if size > max_bytes:
                    raise FileTooLarge(f"the file is larger than {max_bytes // (1 << 20)} MB")
                digest.update(chunk)
                out.write(chunk)
        yield path, size, digest.hexdigest()


def new_document(
    session: Session,
    *,
    title: str,
    parent: Node,
    lang: str = "eng",
    ocr: bool = True,
    document_id: uuid.UUID | None = None,
    flush: bool = True,
) -> Document:
    """A document with an empty first version, waiting for its file (upstream's first step),
    in ``parent`` and its owner's (``ownership.new_node_owner``).

    Without ``flush`` its rows go in with the caller's next flush: an upload's, which then
    inserts the version with its file at once (no INSERT of the empty one and UPDATE after).
    """
    # Its tags and its version's pages are known to be none: given as loaded, so that filling
    # them in (the upload) or reading them (the response) does not ask the database.
    user_id, group_id = ownership.new_node_owner(session, parent)
    document = Document(
        id=document_id or uuid.uuid4(),
        title=title,
        user_id=user_id,
        group_id=group_id,
        parent_id=parent.id,
        lang=lang,
        ocr=ocr,
        tags=[],
    )
    document.versions.append(DocumentVersion(number=1, lang=lang, pages=[]))
    session.add(document)
    if flush:
        session.flush()
    return document


def add_file(
    session: Session,
    storage: Storage,
    document: Document,
    staged: Path,
    *,
    file_name: str,
    size: int,
    sha256: str,
    eager_previews: bool = True,
    limits: files.Limits = files.DEFAULT_LIMITS,
) -> list[DocumentVersion]:
    """Store an uploaded file as the document's next version (two for an image: as is, and PDF).

    Everything that can reject the file runs before anything is written. The files are in place
    before the caller commits; if the commit fails the caller calls ``discard_files``. The
    previews are rendered by a task committed with the versions, unless ``eager_previews`` is
    off: when OCR follows, its version's previews replace these within the minute, so rendering
    them would only take CPU from the OCR (a viewer still gets them, drawn on request).
    """
    # Within ``limits`` (files.Limits.from_settings): pages, image pixels, all from headers.
    inspected = files.inspect(staged, limits)
    pdf_bytes = None if inspected.mime_type == files.PDF else files.image_to_pdf(staged)
    name = _with_extension(safe_file_name(file_name), inspected.mime_type)
    version = _fill_next_version(
        document,
        name,
        inspected.mime_type,
        size,
        sha256,
        inspected.page_texts,
        page_count=inspected.page_count,
    )
    created = [version]
    if pdf_bytes is not None:
        pdf_name = PurePosixPath(name).stem + ".pdf"
        pdf = _fill_next_version(
            document,
            pdf_name,
            files.PDF,
            len(pdf_bytes),
            hashlib.sha256(pdf_bytes).hexdigest(),
            [],
            page_count=inspected.page_count,
        )
        pdf.short_description = "PDF made from the uploaded image"
        created.append(pdf)
    session.flush()
    try:
        storage.put_file(docver_key(version.id, name), staged, sha256)
        if pdf_bytes is not None:
            storage.put_bytes(docver_key(created[1].id, created[1].file_name or ""), pdf_bytes)
    except BaseException:
        discard_files(storage, created)
        raise
    _forget_thumbnail(storage, document, created)
    versions_added(session, storage, document, created, previews=eager_previews)
    return created


def add_derived_version(
    session: Session,
    storage: Storage,
    document: Document,
    staged: Path,
    *,
    file_name: str,
    short_description: str,
) -> DocumentVersion:
    """Store a PDF made from the document (by OCR, say) as its next version, text and all.

    The page texts come from the same inspection an upload gets. Like ``add_file``, the file is
    in place before the caller commits, and the previews task is committed with the version.
    """
    inspected = files.inspect(staged)
    if inspected.mime_type != files.PDF:
        raise files.UnacceptableFile("a derived version must be a PDF")
    sha256 = sha256_of(staged)
    version = _fill_next_version(
        document,
        file_name,
        files.PDF,
        staged.stat().st_size,
        sha256,
        inspected.page_texts,
        page_count=inspected.page_count,
    )
    version.short_description = short_description
    _put_version_file(session, storage, document, version, staged)
    return version


def add_assembled_version(
    session: Session,
    storage: Storage,
    document: Document,
    staged: Path,
    *,
    file_name: str,
    pages: list[tuple[str, str]],
    short_description: str,
) -> DocumentVersion:
    """Store a PDF assembled from pages of existing versions (a page operation) as the
    document's next version; ``pages`` are the (text, lang) of its pages, in order, carried
    over from the pages they were made of rather than read again.

    Like ``add_derived_version``: the file is in place before the caller commits, the previews
    (page images and word boxes, from the text layer that came with the pages), the index and
    the bucket's copy are committed with the version.
    """
    version = _fill_next_version(
        document,
        file_name,
        files.PDF,
        staged.stat().st_size,
        sha256_of(staged),
        [text for text, _ in pages],
        page_count=len(pages),
    )
    for page, (_, lang) in zip(version.pages, pages, strict=True):
        page.lang = lang
    version.short_description = short_description
    _put_version_file(session, storage, document, version, staged)
    return version


def _put_version_file(
    session: Session, storage: Storage, document: Document, version: DocumentVersion, staged: Path
) -> None:
    """The version's file in place (taking ``staged``), and the work it implies queued."""
    session.flush()
    try:
        storage.put_file(docver_key(version.id, version.file_name or ""), staged, version.sha256)
    except BaseException:
        discard_files(storage, [version])
        raise
    _forget_thumbnail(storage, document, [version])
    versions_added(session, storage, document, [version])


def versions_added(
    session: Session,
    storage: Storage,
    document: Document,
    versions: list[DocumentVersion],
    *,
    previews: bool = True,
) -> None:
    """The work new versions imply, committed with them: previews and word boxes (drawn from
    the last, the PDF among them), the search index's copy of the text, the bucket's copy of
    the files (and the thumbnail just removed)."""
    if previews:
        pdf = versions[-1]
        enqueue(session, "previews", {"version_id": str(pdf.id)}, user_id=document.user_id)
    reindex_later(session, [document.id])
    keys = [docver_key(version.id, version.file_name or "") for version in versions]
    sync_later(session, storage, [*keys, thumbnail_key(document.id)])


def _fill_next_version(
    document: Document,
    file_name: str,
    mime_type: str,
    size: int,
    sha256: str,
    page_texts: list[str],
    *,
    page_count: int,
) -> DocumentVersion:
    version = _next_empty_version(document)
    version.file_name = file_name
    version.mime_type = mime_type
    version.size = size
    version.sha256 = sha256
    version.page_count = page_count
    texts = page_texts or [""] * page_count
    version.pages = [
        Page(number=i, text=text, lang=version.lang) for i, text in enumerate(texts, start=1)
    ]
    return version


def _forget_thumbnail(storage: Storage, document: Document, created: list[DocumentVersion]) -> None:
    """The thumbnail shows the newest version: drawn again for the new one (by its previews
    task, or on request). A document's first file has none yet: nothing to remove (a request
    saved per upload, with a bucket)."""
    if any(v.file_name for v in document.versions if v not in created):
        storage.delete(thumbnail_key(document.id))


def newest_with_file(document_ids: Iterable[uuid.UUID] | BindParameter[Any]) -> Subquery:
    """(document_id, number) of each document's newest version that has a file: the one that
    is shown, searched and indexed. The ids, or an expanding parameter for them."""
    ids = document_ids if isinstance(document_ids, BindParameter) else list(document_ids)
    return (
        select(DocumentVersion.document_id, func.max(DocumentVersion.number).label("number"))
        .where(
            DocumentVersion.document_id.in_(ids),
            DocumentVersion.file_name.is_not(None),
        )
        .group_by(DocumentVersion.document_id)
        .subquery()
    )


def discard_files(storage: Storage, versions: list[DocumentVersion]) -> None:
    for version in versions:
        if version.file_name:
            storage.delete_tree(docver_key(version.id, version.file_name))


def _next_empty_version(document: Document) -> DocumentVersion:
    if document.versions and document.versions[-1].file_name is None:
        return document.versions[-1]
    number = document.versions[-1].number + 1 if document.versions else 1
    version = DocumentVersion(number=number, lang=document.lang)
    document.versions.append(version)
    return version


def _with_extension(name: str, mime_type: str) -> str:
    extension = files.EXTENSIONS[mime_type]
    if (
        name.lower().endswith(extension)
        or (mime_type == files.JPEG and name.lower().endswith(".jpeg"))
        or (mime_type == files.TIFF and name.lower().endswith(".tif"))
    ):
        return name
    return name + extension
