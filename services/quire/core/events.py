"""Publishing events for users (``quire.core.models.events``), in the caller's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from quire.core.db import utcnow
from quire.core.models.events import Event

OCR_SUCCEEDED = "ocr.succeeded"
OCR_FAILED = "ocr.failed"
# The path templates worker moved a document, or refused its template's path.
DOCUMENT_FILED = "document.filed"
FILING_REFUSED = "document.filing_refused"


def publish(session: Session, user_id: uuid.UUID, kind: str, **payload: Any) -> None:
    """Record an event; it exists once (and only if) the caller's transaction commits."""
    session.add(Event(user_id=user_id, kind=kind, payload=payload, created_at=utcnow()))
