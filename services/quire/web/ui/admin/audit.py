"""``/admin/audit-log``: the audit log (``audit_log.view``), newest first, filtered by user,
action and days (``since`` from the day's start, ``until`` to its end, in UTC), paginated. Read
through the API's ``list_audit_logs``; the filters are read leniently, like every page's query:
a value that is not one falls back to no filter."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from starlette.responses import Response

from quire.core import audit, scopes
from quire.web.api.audit_logs import list_audit_logs
from quire.web.api.users import all_users
from quire.web.deps import CurrentUser, DbSession
from quire.web.ui.admin.common import check, page_params, render_admin
from quire.web.ui.admin.sections import may
from quire.web.ui.listing import lenient_uuid

router = APIRouter(include_in_schema=False)
ACTIONS = [action.value for action in audit.Action]


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def _start(day: date | None, *, plus: int = 0) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=plus), datetime.min.time(), tzinfo=UTC)


@dataclass(frozen=True)
class AuditFilters:
    user_id: uuid.UUID | None
    action: audit.Action | None
    since: date | None
    until: date | None

    @classmethod
    def of(cls, request: Request) -> AuditFilters:
        query = request.query_params
        action = query.get("action")
        return cls(
            user_id=lenient_uuid(query.get("user_id")),
            action=audit.Action(action) if action in ACTIONS else None,
            since=_day(query.get("since")),
            until=_day(query.get("until")),
        )

    def url(self, page: int) -> str:
        values = {
            "user_id": self.user_id or "",
            "action": self.action or "",
            "since": self.since or "",
            "until": self.until or "",
            "page": page if page > 1 else "",
        }
        return "?" + urlencode({key: value for key, value in values.items() if value})


@router.get("/admin/audit-log")
def audit_page(request: Request, user: CurrentUser, db: DbSession) -> Response:
    check(user, scopes.AUDIT_LOG_VIEW)
    filters = AuditFilters.of(request)
    params = page_params(request)
    listing = list_audit_logs(
        user,
        db,
        params,
        user_id=filters.user_id,
        node_id=None,
        action=filters.action,
        since=_start(filters.since),
        until=_start(filters.until, plus=1),
    )
    context = {
        "listing": listing,
        "filters": filters,
        "actions": ACTIONS,
        "users": all_users(user, db) if may(user, scopes.USER_SELECT) else [],
    }
    return render_admin(request, user, "admin/audit_log.html", "audit-log", context)
