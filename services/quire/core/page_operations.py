"""Page operations: reorder, rotate and delete pages, move pages between documents, extract
them into new documents, merge documents. The one place they are done (the API calls them).

Never destructive: each document a page operation changes gets a new version, built with
pikepdf from the pages of the current versions (a rotation is the page's ``/Rotate``, turned
relative to what it was); every older version stays, listable and downloadable. A page keeps
its text (``Page.text``, copied, never read again) and its text layer (it is the same PDF page
object), so nothing is OCR'd again: the previews task the new version commits with draws its
pages and reads its word boxes from that text layer, turned with the page's ``/Rotate``
(``core.words``), and the index and the bucket hear of it in the same transaction.

A document left without pages (every page moved or extracted out, or merged into another)
is deleted by the node deletion of ``core.nodes``, in the same transaction as the new
versions. Everything commits together, or nothing does and no new file is left.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quire.core import audit, events, files
from quire.core.documents import add_assembled_version, discard_files, new_document, safe_file_name
from quire.core.models import Document, DocumentVersion, Folder, Page
from quire.core.nodes import delete_nodes
from quire.core.previews import pdf_version
from quire.core.storage import Storage, docver_key

# Upstream's extracted titles: ``<title_format>-<uuid>.pdf``.
TITLE_SUFFIX_LENGTH = len(f"-{uuid.uuid4()}.pdf")


class PageOperationRefused(ValueError):
    """The request makes no sense for these pages (the caller's 4xx); nothing was changed."""


class PageOperationConflict(RuntimeError):
    """Another change to one of the documents (a new version) committed first; nothing of this
    one was kept, and trying again works."""


class MoveStrategy(enum.StrEnum):
    MIX = "mix"  # the moved pages join the target's, beside the target page
    REPLACE = "replace"  # the moved pages are the target's new pages


class Position(enum.StrEnum):
    BEFORE = "before"  # upstream's place for mixed-in pages
    AFTER = "after"


class ExtractStrategy(enum.StrEnum):
    ONE_PAGE_PER_DOC = "one-page-per-doc"
    ALL_PAGES_IN_ONE_DOC = "all-pages-in-one-doc"


@dataclass(frozen=True)
class Placed:
    """A page of a current version, placed in a new one, turned by ``angle`` degrees clockwise
    (relative to its current rotation; a multiple of 90, negative turns counter-clockwise)."""

    page: Page
    angle: int = 0


@dataclass(frozen=True)
class Outcome:
    """The documents an operation changed: the source (None when it lost every page and was
    deleted) and the targets."""

    source_id: uuid.UUID | None
    target_ids: list[uuid.UUID]


def apply_page_operations(
    session: Session, storage: Storage, items: Sequence[Placed], limits: files.Limits
) -> uuid.UUID:
    """Upstream's ``POST /pages/``: the document's new version has exactly ``items``, in their
    order, each turned by its angle; pages left out are deleted. Returns the document's id."""
    version = _version_of([item.page for item in items])
    for item in items:
        if item.angle % 90:
            raise PageOperationRefused(f"the angle {item.angle} is not a multiple of 90")
    document_id = version.document_id
    with _all_or_nothing(session, storage) as created:
        description = f"{len(items)} page(s) reordered, rotated or kept"
        created.append(new_version(session, storage, version.document, items, description, limits))
        audit.record(session, audit.Action.PAGE_UPDATE, version.document, pages=len(items))
        events.node_event(session, events.PAGES_CHANGED, version.document, operation="update")
        session.commit()
    return document_id


def move_pages(
    session: Session,
    storage: Storage,
    pages: Sequence[Page],
    target: Page,
    strategy: MoveStrategy,
    limits: files.Limits,
    position: Position = Position.BEFORE,
) -> Outcome:
    """Move pages of one document into another: mixed in beside the ``target`` page (before
    it, as upstream does, or after it), or replacing the target's pages. The source keeps the
    other pages in a new version, or is deleted if none is left."""
    source = _version_of(pages)
    destination = _version_of([target])
    if destination.document_id == source.document_id:
        raise PageOperationRefused(
            "the pages are already in the target document (reorder them with POST /api/pages/)"
        )
    moved = [Placed(page) for page in sorted(pages, key=lambda page: page.number)]
    if strategy is MoveStrategy.REPLACE:
        placed, description = moved, f"{len(moved)} page(s) replaced"
    else:
        at = target.number - (1 if position is Position.BEFORE else 0)
        kept = [Placed(page) for page in destination.pages]
        placed, description = kept[:at] + moved + kept[at:], f"{len(moved)} page(s) moved in"
    target_id = destination.document_id
    with _all_or_nothing(session, storage) as created:
        created.append(
            new_version(session, storage, destination.document, placed, description, limits)
        )
        audit.record(
            session,
            audit.Action.PAGE_MOVE,
            destination.document,
            from_id=str(source.document_id),
            pages=len(moved),
        )
        events.node_event(
            session,
            events.PAGES_CHANGED,
            destination.document,
            operation="move",
            from_id=str(source.document_id),
        )
        source_id = _leave(session, storage, source, pages, created, limits)
    return Outcome(source_id, [target_id])


def extract_pages(
    session: Session,
    storage: Storage,
    pages: Sequence[Page],
    folder: Folder,
    strategy: ExtractStrategy,
    title_format: str,
    limits: files.Limits,
) -> Outcome:
    """Extract pages into new documents in ``folder`` (one, or one per page), titled like
    upstream's ``<title_format>-<uuid>.pdf``; the source keeps the other pages in a new version,
    or is deleted if none is left."""
    source = _version_of(pages)
    ordered = sorted(pages, key=lambda page: page.number)
    groups = [[page] for page in ordered]
    if strategy is ExtractStrategy.ALL_PAGES_IN_ONE_DOC:
        groups = [ordered]
    with _all_or_nothing(session, storage) as created:
        new_ids = [
            _extracted(session, storage, folder, group, title_format, created, limits)
            for group in groups
        ]
        audit.record(
            session,
            audit.Action.PAGE_EXTRACT,
            source.document,
            to_ids=[str(new_id) for new_id in new_ids],
            pages=len(ordered),
        )
        events.node_event(
            session,
            events.PAGES_CHANGED,
            source.document,
            operation="extract",
            to_ids=[str(new_id) for new_id in new_ids],
        )
        source_id = _leave(session, storage, source, pages, created, limits)
    return Outcome(source_id, new_ids)


def merge_documents(
    session: Session,
    storage: Storage,
    sources: Sequence[Document],
    target: Document,
    limits: files.Limits,
) -> uuid.UUID:
    """Append the pages of the sources' current versions, in the order given, to the target's
    as its new version; the sources are then deleted (by the node deletion)."""
    if not sources:
        raise PageOperationRefused("no documents to merge")
    source_ids = [source.id for source in sources]
    if len(set(source_ids)) != len(source_ids):
        raise PageOperationRefused("a document is given more than once")
    if target.id in source_ids:
        raise PageOperationRefused("a document cannot be merged into itself")
    placed = [
        Placed(page) for document in [target, *sources] for page in current_version(document).pages
    ]
    target_id = target.id
    with _all_or_nothing(session, storage) as created:
        description = f"{len(sources)} document(s) merged in"
        created.append(new_version(session, storage, target, placed, description, limits))
        audit.record(
            session,
            audit.Action.PAGE_MOVE,
            target,
            merged_ids=[str(source_id) for source_id in source_ids],
            pages=len(placed),
        )
        events.node_event(
            session,
            events.PAGES_CHANGED,
            target,
            operation="merge",
            merged_ids=[str(source_id) for source_id in source_ids],
        )
        _commit(session, storage, source_ids)
    return target_id


def current_version(document: Document) -> DocumentVersion:
    """The version a document shows (its newest PDF), whose pages the operations take."""
    version = pdf_version(document)
    if version is None or not version.pages:
        raise PageOperationRefused(f"the document {document.id} has no pages yet")
    return version


def _version_of(pages: Sequence[Page]) -> DocumentVersion:
    """The one current version that all the pages, each given once, are of."""
    if not pages:
        raise PageOperationRefused("no pages given")
    ids = [page.id for page in pages]
    if len(set(ids)) != len(ids):
        twice = sorted({str(page_id) for page_id in ids if ids.count(page_id) > 1})
        raise PageOperationRefused(f"pages given more than once: {', '.join(twice)}")
    if len({page.version.document_id for page in pages}) > 1:
        raise PageOperationRefused("the pages are of more than one document")
    version = pages[0].version
    current = current_version(version.document)
    stale = [str(page.id) for page in pages if page.document_version_id != current.id]
    if stale:
        raise PageOperationRefused(
            f"pages not of their document's current version {current.number}: {', '.join(stale)}"
        )
    return current


def new_version(
    session: Session,
    storage: Storage,
    document: Document,
    placed: Sequence[Placed],
    description: str,
    limits: files.Limits,
) -> DocumentVersion:
    """The document's next version, made of ``placed``: its PDF assembled, staged and put in
    place (fsynced), the rows flushed and its work queued, uncommitted."""
    if len(placed) > limits.max_pages:
        raise PageOperationRefused(
            f"the result would have {len(placed):,} pages; at most {limits.max_pages:,} are "
            "allowed (MAIN__MAX_PAGES_PER_DOCUMENT)"
        )
    current = pdf_version(document)
    name = current.file_name if current and current.file_name else safe_file_name(document.title)
    with storage.staging_file() as staged:
        assemble(storage, placed, staged)
        texts = [(item.page.text, item.page.lang) for item in placed]
        return add_assembled_version(
            session,
            storage,
            document,
            staged,
            file_name=name,
            pages=texts,
            short_description=description,
        )


def assemble(storage: Storage, placed: Sequence[Placed], out: Path) -> None:
    """Write a PDF of the placed pages (copied whole: content, resources, text layer)."""
    opened: dict[uuid.UUID, pikepdf.Pdf] = {}
    try:
        with pikepdf.new() as pdf:
            for item in placed:
                version = item.page.version
                source = opened.get(version.id)
                if source is None:
                    key = docver_key(version.id, version.file_name or "")
                    source = opened[version.id] = pikepdf.open(storage.fetch(key))
                pdf.pages.append(source.pages[item.page.number - 1])
                if item.angle % 360:
                    pdf.pages[-1].rotate(item.angle, relative=True)
            pdf.save(out)
    finally:
        for source in opened.values():
            source.close()


def _extracted(
    session: Session,
    storage: Storage,
    folder: Folder,
    pages: list[Page],
    title_format: str,
    created: list[DocumentVersion],
    limits: files.Limits,
) -> uuid.UUID:
    """A new document in ``folder`` (its owner's, like anything made there) of these pages."""
    origin = pages[0].version.document
    document = new_document(
        session,
        title=f"{title_format}-{uuid.uuid4()}.pdf",
        parent=folder,
        lang=origin.lang,
        ocr=origin.ocr,
    )
    placed = [Placed(page) for page in pages]
    description = f"{len(pages)} page(s) extracted"
    created.append(new_version(session, storage, document, placed, description, limits))
    return document.id


def _leave(
    session: Session,
    storage: Storage,
    source: DocumentVersion,
    gone: Sequence[Page],
    created: list[DocumentVersion],
    limits: files.Limits,
) -> uuid.UUID | None:
    """The source without the pages that left, as its new version; then commit. A source left
    without pages is deleted instead: returns None."""
    gone_ids = {page.id for page in gone}
    kept = [Placed(page) for page in source.pages if page.id not in gone_ids]
    document_id = source.document_id
    if not kept:
        _commit(session, storage, [document_id])
        return None
    description = f"{len(gone_ids)} page(s) moved out"
    created.append(new_version(session, storage, source.document, kept, description, limits))
    _commit(session, storage, [])
    return document_id


def _commit(session: Session, storage: Storage, doomed: list[uuid.UUID]) -> None:
    """Commit the new versions; documents left without pages go in the same transaction,
    through the node deletion (which commits, then removes their files)."""
    if not doomed:
        session.commit()
        return
    session.flush()
    delete_nodes(session, storage, doomed)


@contextmanager
def _all_or_nothing(session: Session, storage: Storage) -> Iterator[list[DocumentVersion]]:
    """Collects the versions made; any failure rolls back and removes their files. Two
    changes making the same document's next version: the later one's insert breaks the unique
    (document, number), a conflict."""
    created: list[DocumentVersion] = []
    try:
        yield created
    except BaseException as exc:
        session.rollback()
        discard_files(storage, created)
        if isinstance(exc, IntegrityError):
            raise PageOperationConflict(
                "another change to these documents finished first; try again"
            ) from exc
        raise
