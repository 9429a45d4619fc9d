"""Node, folder and document shapes, as Papermerge 3.5.3 serialises them.

Shared by the nodes, documents and shared-nodes routers. ``group_id`` names the group that owns a
node (``core/ownership.py``); ``user_id`` is then the account that made it or brought it in.
``perms`` and ``is_shared`` are the caller's, filled by ``for_caller``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from quire.core.access import NodeAccess
from quire.core.models import Document, DocumentVersion, Folder, Node, Page
from quire.core.models.nodes import LANG_PATTERN, LANG_WIDTH
from quire.core.scopes import PAGE_VIEW
from quire.web.api.common import NoNul
from quire.web.api.tags import NodeTag

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), NoNul
]
Breadcrumb = list[tuple[uuid.UUID, str]]
PREVIEW_SIZES = ("sm", "md", "lg", "xl")


def _as_utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# A time as stored: naive means UTC (``core.db.UTCDateTime``). Listings read their columns as the
# driver gives them, without SQLAlchemy's conversions (``node_views.children_page``).
StoredTime = Annotated[datetime, AfterValidator(_as_utc)]


class _NodeFields(BaseModel):
    """What folders and documents both answer with."""

    id: uuid.UUID
    title: str
    parent_id: uuid.UUID | None
    tags: list[NodeTag] = Field(default_factory=list)
    created_at: StoredTime
    updated_at: StoredTime
    user_id: uuid.UUID | None
    group_id: uuid.UUID | None = None
    perms: list[str] = Field(default_factory=list)
    is_shared: bool = False
    breadcrumb: Breadcrumb = Field(default_factory=list)
    # Quire's own: when a node in the trash was deleted (null anywhere else).
    trashed_at: StoredTime | None = None


class FolderOut(_NodeFields):
    ctype: Literal["folder"] = "folder"


class DocumentNodeOut(_NodeFields):
    ctype: Literal["document"] = "document"
    document_type_id: uuid.UUID | None = None
    ocr: bool
    ocr_status: str
    thumbnail_url: str | None
    preview_status: str | None = None
    owner_name: str | None = None


class PageOut(BaseModel):
    id: uuid.UUID
    number: int
    text: str
    lang: str
    document_version_id: uuid.UUID
    preview_image_sm_url: str
    preview_image_md_url: str
    preview_image_lg_url: str
    preview_image_xl_url: str
    # Papermerge 3.1's page images, which its clients still require (papermerge-cli 0.8 stops
    # at a page without them): the page as JPEG, and an SVG that Quire never draws.
    jpg_url: str | None
    svg_url: str | None = None


class DocumentVersionOut(BaseModel):
    id: uuid.UUID
    number: int
    lang: str
    file_name: str | None
    size: int
    page_count: int
    short_description: str | None
    document_id: uuid.UUID
    sha256: str | None
    download_url: str | None
    pages: list[PageOut] = Field(default_factory=list)


class DocumentOut(DocumentNodeOut):
    versions: list[DocumentVersionOut] = Field(default_factory=list)


class NodeDocumentInfo(BaseModel):
    ocr: bool
    ocr_status: str
    thumbnail_url: str | None


class NodeOut(BaseModel):
    """The short shape ``PATCH /nodes/{id}`` answers with."""

    id: uuid.UUID
    title: str
    ctype: Literal["folder", "document"]
    tags: list[NodeTag] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
    parent_id: uuid.UUID | None
    user_id: uuid.UUID
    group_id: uuid.UUID | None = None
    document: NodeDocumentInfo | None = None


class NewNode(BaseModel):
    """``POST /nodes/``: a folder, or a document waiting for its file."""

    model_config = ConfigDict(extra="ignore")

    title: Title
    ctype: Literal["folder", "document"] = "document"
    parent_id: uuid.UUID
    id: uuid.UUID | None = None
    lang: Annotated[str, StringConstraints(pattern=LANG_PATTERN, max_length=LANG_WIDTH)] | None = (
        None
    )
    ocr: bool = True


class UpdateNode(BaseModel):
    title: Title | None = None
    parent_id: uuid.UUID | None = None


class MoveNodes(BaseModel):
    source_ids: list[uuid.UUID] = Field(min_length=1, max_length=10_000)
    target_id: uuid.UUID


TagNames = Annotated[
    list[
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
        ]
    ],
    Field(max_length=500),
]


def thumbnail_url(document_id: uuid.UUID) -> str:
    return f"/api/thumbnails/{document_id}"


def folder_out(folder: Folder, breadcrumb: Breadcrumb | None = None) -> FolderOut:
    return FolderOut(
        id=folder.id,
        title=folder.title,
        parent_id=folder.parent_id,
        tags=[NodeTag.model_validate(tag, from_attributes=True) for tag in folder.tags],
        created_at=folder.created_at,
        updated_at=folder.updated_at,
        user_id=folder.user_id,
        group_id=folder.group_id,
        breadcrumb=breadcrumb or [],
        trashed_at=folder.trashed_at,
    )


def _document_fields(document: Document, breadcrumb: Breadcrumb | None) -> dict[str, object]:
    return {
        "id": document.id,
        "title": document.title,
        "parent_id": document.parent_id,
        "tags": [NodeTag.model_validate(tag, from_attributes=True) for tag in document.tags],
        "created_at": document.created_at,
        "updated_at": document.updated_at,
        "breadcrumb": breadcrumb or [],
        "ocr": document.ocr,
        "ocr_status": document.ocr_status,
        "thumbnail_url": thumbnail_url(document.id),
        "user_id": document.user_id,
        "group_id": document.group_id,
        "trashed_at": document.trashed_at,
        "document_type_id": document.document_type_id,
    }


def document_node_out(document: Document, breadcrumb: Breadcrumb | None = None) -> DocumentNodeOut:
    return DocumentNodeOut.model_validate(_document_fields(document, breadcrumb))


def page_out(page: Page) -> PageOut:
    url = f"/api/pages/{page.id}/jpg"
    return PageOut(
        id=page.id,
        number=page.number,
        text=page.text,
        lang=page.lang,
        document_version_id=page.document_version_id,
        jpg_url=url,
        **{f"preview_image_{size}_url": f"{url}?size={size}" for size in PREVIEW_SIZES},
    )


def version_out(version: DocumentVersion, *, with_pages: bool = True) -> DocumentVersionOut:
    return DocumentVersionOut(
        id=version.id,
        number=version.number,
        lang=version.lang,
        file_name=version.file_name,
        size=version.size,
        page_count=version.page_count,
        short_description=version.short_description,
        document_id=version.document_id,
        sha256=version.sha256,
        download_url=f"/api/document-versions/{version.id}/download" if version.file_name else None,
        pages=[page_out(page) for page in version.pages] if with_pages else [],
    )


def document_out(document: Document, breadcrumb: Breadcrumb | None = None) -> DocumentOut:
    return DocumentOut.model_validate(
        {
            **_document_fields(document, breadcrumb),
            "versions": [version_out(version) for version in document.versions],
        }
    )


def node_out(node: Node) -> NodeOut:
    document = None
    if isinstance(node, Document):
        document = NodeDocumentInfo(
            ocr=node.ocr, ocr_status=node.ocr_status, thumbnail_url=thumbnail_url(node.id)
        )
    return NodeOut(
        id=node.id,
        title=node.title,
        ctype="document" if isinstance(node, Document) else "folder",
        tags=[NodeTag.model_validate(tag, from_attributes=True) for tag in node.tags],
        created_at=node.created_at,
        updated_at=node.updated_at,
        parent_id=node.parent_id,
        user_id=node.user_id,
        group_id=node.group_id,
        document=document,
    )


ShownT = TypeVar("ShownT", bound=_NodeFields | NodeOut)


def hide_page_text(versions: list[DocumentVersionOut]) -> None:
    """A share whose role lacks ``page.view`` shows the document, not what its pages say."""
    for version in versions:
        for page in version.pages:
            page.text = ""


def for_caller(out: ShownT, access: NodeAccess, *, is_shared: bool = False) -> ShownT:
    """The node as the caller may see it.

    ``perms`` lists what a grantee may do (empty for the owner, who may do everything);
    ``is_shared`` says, for the owner, that they shared this node itself, and for a grantee that
    it is shared with them. A share's root is a root to its grantees: the id of the owner's
    folder above it is not theirs to know.
    """
    if isinstance(out, DocumentOut) and not access.allows(PAGE_VIEW):
        hide_page_text(out.versions)
    if isinstance(out, _NodeFields):
        # Set only if changed: setting a model's field is a Python call, and for an owner (most
        # items of a listing) nothing changes.
        perms = sorted(access.perms)
        if out.perms != perms:
            out.perms = perms
        shared = is_shared or not access.owned
        if out.is_shared != shared:
            out.is_shared = shared
    if access.root_id == out.id:
        out.parent_id = None
    return out
