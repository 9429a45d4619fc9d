"""The audit log: who did what to which node, and when (``quire.core.audit`` writes it).

Entries outlive what they name: ``user_id`` and ``node_id`` are plain columns, not foreign
keys, and the username and the node's title are copied, so a deleted user's or node's history
still reads as it happened.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        # The admin's filters, each newest first: by time, by node, by user.
        Index("ix_audit_log_created_at", "created_at"),
        Index("ix_audit_log_node_id", "node_id", "id"),
        Index("ix_audit_log_user_id", "user_id", "id"),
    )

    # Increasing, so that pages of the log stay stable while it grows (SQLite wants INTEGER).
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[uuid.UUID | None] = mapped_column()
    username: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(32))
    node_id: Mapped[uuid.UUID | None] = mapped_column()
    node_title: Mapped[str | None] = mapped_column(String(255))
    # The client's address, for sign-ins (where a failed login came from).
    client: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
