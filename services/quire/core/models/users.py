"""Users, groups, roles (named sets of permission scopes) and personal API tokens."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, Index, String, Table, Uuid
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from quire.core.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from quire.core.models.nodes import Folder

users_groups = Table(
    "users_groups",
    Base.metadata,
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", Uuid, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)

users_roles = Table(
    "users_roles",
    Base.metadata,
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", Uuid, ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
)

groups_roles = Table(
    "groups_roles",
    Base.metadata,
    Column("group_id", Uuid, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", Uuid, ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True),
)


class _SpecialFolders:
    """A user's home, inbox and trash, and those of a group made ``with_special_folders``:
    what is placed in them is their owner's, a group's for every member (core/ownership.py).
    Set right after the owner's row exists: the folders point back at their owner."""

    home_folder_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("nodes.id", use_alter=True, ondelete="SET NULL")
    )
    inbox_folder_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("nodes.id", use_alter=True, ondelete="SET NULL")
    )
    # Where deleted nodes wait until they are restored or the trash is emptied (core/trash.py).
    trash_folder_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("nodes.id", use_alter=True, ondelete="SET NULL")
    )


class User(_SpecialFolders, Base):
    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    first_name: Mapped[str] = mapped_column(String(150), default="")
    last_name: Mapped[str] = mapped_column(String(150), default="")
    password: Mapped[str] = mapped_column(String(255))
    is_superuser: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # The scopes its roles and its groups' roles grant, space-separated, when the statement that
    # loaded the user computed them (a request's authentication: quire.web.deps); else None.
    granted_scopes: Mapped[str | None] = query_expression()
    # The ids of its groups, space-separated, loaded the same way (None when not loaded).
    granted_group_ids: Mapped[str | None] = query_expression()

    groups: Mapped[list[Group]] = relationship(secondary=users_groups, back_populates="users")
    roles: Mapped[list[Role]] = relationship(secondary=users_roles)
    home_folder: Mapped[Folder | None] = relationship(foreign_keys="User.home_folder_id")
    inbox_folder: Mapped[Folder | None] = relationship(foreign_keys="User.inbox_folder_id")


class Group(_SpecialFolders, Base):
    __tablename__ = "groups"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    users: Mapped[list[User]] = relationship(secondary=users_groups, back_populates="groups")
    roles: Mapped[list[Role]] = relationship(secondary=groups_roles)


class Role(Base):
    __tablename__ = "roles"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(150), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    scope_rows: Mapped[list[RoleScope]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def scopes(self) -> list[str]:
        return sorted(row.scope for row in self.scope_rows)


class RoleScope(Base):
    __tablename__ = "role_scopes"

    role_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )
    scope: Mapped[str] = mapped_column(String(100), primary_key=True)


class ApiToken(Base):
    """A personal API token. Only the SHA-256 of the secret is stored; it is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(150))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, so a user can tell tokens apart in a list.
    token_prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginFailure(Base):
    """One failed login under each of its keys: ``pair:<address>|<user>``, ``addr:``, ``user:``.

    The throttling back-off is derived from these timestamps alone (``web/api/auth.py``).
    """

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
