"""``/api/audit-logs/``: who did what to which node and when, for admins (``audit_log.view``).

Papermerge 3.5.3 has no audit log; its successor serves ``/audit-logs`` from database triggers.
Quire writes each entry in the change's own transaction (``quire.core.audit``) and answers here,
newest first, filtered by user, node, action and time, paged like every other list.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict

from quire.core import audit, scopes
from quire.core.models import User
from quire.web.api.common import PageParams, Paginated, page, page_params
from quire.web.deps import DbSession, require

router = APIRouter(tags=["audit-logs"])

Auditor = Annotated[User, require(scopes.AUDIT_LOG_VIEW)]


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    user_id: uuid.UUID | None
    username: str | None
    action: audit.Action
    node_id: uuid.UUID | None
    node_title: str | None
    client: str | None
    details: dict[str, Any]


def _aware(value: datetime | None, name: str) -> datetime | None:
    """A time without an offset would mean the server's clock or the client's: say which."""
    if value is not None and value.tzinfo is None:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            detail=f"{name} needs a UTC offset, e.g. 2026-12-01T00:00:00Z",
        )
    return None if value is None else value.astimezone(UTC)


@router.get("/audit-logs/", response_model=Paginated[AuditEntryOut])
def list_audit_logs(
    user: Auditor,
    db: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    user_id: uuid.UUID | None = None,
    node_id: uuid.UUID | None = None,
    action: audit.Action | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Paginated[AuditEntryOut]:
    """Entries newest first; ``since`` inclusive, ``until`` exclusive."""
    filters = audit.Filters(
        user_id=user_id,
        node_id=node_id,
        action=action,
        since=_aware(since, "since"),
        until=_aware(until, "until"),
    )
    return page(db, audit.entries(filters), params, AuditEntryOut.model_validate)
