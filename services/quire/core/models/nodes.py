"""The node tree: folders and documents, with documents' versions and pages.

Folders and documents share the ``nodes`` table (single-table for folders, joined ``documents``
table for what only documents have), so a folder listing is one indexed query whatever it holds.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quire.core.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from quire.core.models.tags import Tag
    from quire.core.models.users import User


# Wide enough for a combination of Tesseract languages such as ``deu+eng+fra+ita+spa``.
LANG_WIDTH = 64
# Tesseract's codes (``eng``, ``chi_sim``), one or several joined by ``+``.
LANG_PATTERN = r"^[a-z]{3}(_[a-z]{2,8})?(\+[a-z]{3}(_[a-z]{2,8})?)*$"
# Titles compare byte for byte on every backend (core.titles): MariaDB's default collation
# would take ``Report`` and ``report``, or ``a`` and ``a `` for one title.
TITLE = String(255).with_variant(
    mysql.VARCHAR(255, charset="utf8mb4", collation="utf8mb4_nopad_bin"), "mysql", "mariadb"
)


class NodeType(StrEnum):
    folder = "folder"
    document = "document"


class OCRStatus(StrEnum):
    """Upstream's values: received means scheduled, started means running."""

    unknown = "UNKNOWN"
    received = "RECEIVED"
    started = "STARTED"
    success = "SUCCESS"
    failure = "FAILURE"


class Node(Base):
    __tablename__ = "nodes"
    __table_args__ = (
        # Serves the default folder listing (folders first, then by title) without a sort.
        Index(
            "ix_nodes_parent_listing",
            "parent_id",
            text("ctype DESC"),
            "title",
            "created_at",
            "id",
        ),
        # One title per folder (Papermerge's rule); the roots, whose parent is NULL, are exempt.
        Index("uq_nodes_parent_title", "parent_id", "title", unique=True),
        Index("ix_nodes_parent_created", "parent_id", "created_at"),
        Index("ix_nodes_user", "user_id"),
        Index("ix_nodes_group", "group_id"),
        # The scheduled emptying of the trash reads the oldest first.
        Index("ix_nodes_trashed_at", "trashed_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(TITLE)
    ctype: Mapped[str] = mapped_column(String(16))
    lang: Mapped[str] = mapped_column(String(LANG_WIDTH), default="eng")
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Set on what a group owns (its home, inbox and trash and everything in them): every member
    # owns it, and ``user_id`` only says whose account made it or brought it in. No cascade: a
    # group is deleted by ``core.groups.delete_group``, which refuses while it owns documents.
    group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("groups.id"))
    # NULL only for the roots: the home, inbox and trash of each user and group.
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Set on a node moved into its owner's trash folder (not on what is below it): when, from
    # where, and under which title (the trash may have renamed it "name (2)"). No foreign key
    # on the folder it came from: that folder may be deleted meanwhile, and restoring then
    # puts the node into its owner's home (core/trash.py).
    trashed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trashed_from_id: Mapped[uuid.UUID | None]
    trashed_title: Mapped[str | None] = mapped_column(TITLE)

    parent: Mapped[Node | None] = relationship(remote_side=[id])
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    tags: Mapped[list[Tag]] = relationship(secondary="nodes_tags", lazy="selectin")

    __mapper_args__ = {"polymorphic_on": "ctype", "polymorphic_abstract": True}


class Folder(Node):
    __mapper_args__ = {"polymorphic_identity": NodeType.folder.value}


class Document(Node):
    __tablename__ = "documents"

    id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("nodes.id", ondelete="CASCADE"), primary_key=True
    )
    ocr: Mapped[bool] = mapped_column(default=True)
    ocr_status: Mapped[str] = mapped_column(String(16), default=OCRStatus.unknown.value)
    # Why the last OCR ended in FAILURE; cleared when OCR is scheduled again.
    ocr_error: Mapped[str | None] = mapped_column(Text)
    # Its category (custom fields and their values); a deleted type leaves documents untyped.
    document_type_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("document_types.id", ondelete="SET NULL"), index=True
    )

    versions: Mapped[list[DocumentVersion]] = relationship(
        back_populates="document",
        order_by="DocumentVersion.number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __mapper_args__ = {"polymorphic_identity": NodeType.document.value}

    @property
    def last_version(self) -> DocumentVersion:
        return self.versions[-1]


class DocumentVersion(Base):
    __tablename__ = "document_versions"
    __table_args__ = (UniqueConstraint("document_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    document_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    number: Mapped[int]
    # NULL until a file is uploaded: a document created by POST /nodes/ starts with an empty v1.
    file_name: Mapped[str | None] = mapped_column(String(255))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    page_count: Mapped[int] = mapped_column(default=0)
    lang: Mapped[str] = mapped_column(String(LANG_WIDTH), default="eng")
    short_description: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The OCR task that made this version: a redelivered task finds it and does not make another.
    ocr_task_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)

    document: Mapped[Document] = relationship(back_populates="versions")
    pages: Mapped[list[Page]] = relationship(
        back_populates="version",
        order_by="Page.number",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def is_pdf(self) -> bool:
        return self.mime_type == "application/pdf"


class Page(Base):
    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("document_version_id", "number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    document_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("document_versions.id", ondelete="CASCADE")
    )
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str] = mapped_column(String(LANG_WIDTH), default="eng")

    version: Mapped[DocumentVersion] = relationship(back_populates="pages")
