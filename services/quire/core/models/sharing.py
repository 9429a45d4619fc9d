"""Shared nodes: a node (and everything below it) shared with a user or a group, under a role.

The role's scopes are what the grantee may do with the shared nodes (``node.view`` to see them
at all, ``node.update`` to rename them, ``document.download``, ``shared_node.create`` to share
them further...). ``quire.core.access`` is the one place that reads this table.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from quire.core.db import Base, UTCDateTime, utcnow
from quire.core.models.users import Group, Role, User


class SharedNode(Base):
    __tablename__ = "shared_nodes"
    __table_args__ = (
        # Each starts with node_id, so they also serve "who has access to this node".
        # NULLs never collide, so each constraint only bites on its own kind of grantee.
        UniqueConstraint("node_id", "user_id", "role_id"),
        UniqueConstraint("node_id", "group_id", "role_id"),
        CheckConstraint("(user_id IS NULL) <> (group_id IS NULL)", name="one_grantee"),
        # "What is shared with me": by user, and by each of my groups.
        Index("ix_shared_nodes_user", "user_id"),
        Index("ix_shared_nodes_group", "group_id"),
        # A role's scopes changing changes what its shares allow: find them without a scan.
        Index("ix_shared_nodes_role", "role_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    node_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"))
    # Exactly one of user_id and group_id is set.
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"))
    # Who shared it: the owner, or a grantee whose role allows sharing. A share outlives its
    # author's account, as a document outlives whoever filed it.
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    role: Mapped[Role] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    group: Mapped[Group | None] = relationship()
