"""Tags: per-user coloured labels on any node."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, UTCDateTime, utcnow

nodes_tags = Table(
    "nodes_tags",
    Base.metadata,
    Column("node_id", Uuid, ForeignKey("nodes.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Uuid, ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    bg_color: Mapped[str] = mapped_column(String(7), default="#c41fff")
    fg_color: Mapped[str] = mapped_column(String(7), default="#ffffff")
    description: Mapped[str | None] = mapped_column(String(500))
    pinned: Mapped[bool] = mapped_column(default=False)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
