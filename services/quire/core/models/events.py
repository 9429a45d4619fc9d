"""Events for users' browsers: "a document was added", "OCR finished", written with the change.

The notifications service (and ``GET /api/events/``) reads them in ``id`` order; an event is in
this table exactly when the change it reports was committed, so none is lost or invented.
``user_id`` is who made the change (the owner, for the system's own work) and always hears of
it; ``node_id`` is the node whose viewers hear of it too (``core/events.py``: ``recipients``).
It is no foreign key: an event about a node outlives the node.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from quire.core.db import Base, UTCDateTime, utcnow


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_user_id", "user_id", "id"),
        Index("ix_events_node_id", "node_id"),
        Index("ix_events_created_at", "created_at"),
        # Ids are never reused, even once the newest events are pruned: a client's "after"
        # stays right (SQLite reuses the largest rowid after a delete without this).
        {"sqlite_autoincrement": True},
    )

    # Increasing, so that a reader resumes "after the last one I saw" (SQLite wants INTEGER).
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    node_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, default=None)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
