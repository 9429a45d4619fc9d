"""Which administration sections a user may open, by the scopes their roles grant (a superuser
all). The navigation shows the link only to those with at least one; each page checks its own
scope like the API does (403 otherwise). Kept apart from the pages so that templating can ask
without importing them."""

from __future__ import annotations

from dataclasses import dataclass

from quire.core import scopes
from quire.core.models import User
from quire.web.deps import user_scopes


@dataclass(frozen=True)
class Section:
    key: str  # its title's msgid is in the template (_admin_nav.html)
    url: str
    scope: str


SECTIONS = (
    Section("users", "/admin/users", scopes.USER_VIEW),
    Section("groups", "/admin/groups", scopes.GROUP_VIEW),
    Section("roles", "/admin/roles", scopes.ROLE_VIEW),
    Section("document-types", "/admin/document-types", scopes.DOCUMENT_TYPE_VIEW),
    Section("custom-fields", "/admin/custom-fields", scopes.CUSTOM_FIELD_VIEW),
    Section("audit-log", "/admin/audit-log", scopes.AUDIT_LOG_VIEW),
)
# Administration proper: a user who may only define their own types and fields (every user,
# in upstream's default role) finds those under the same menu, but only these show the link.
ADMIN_SCOPES = frozenset(
    {scopes.USER_VIEW, scopes.GROUP_VIEW, scopes.ROLE_VIEW, scopes.AUDIT_LOG_VIEW}
)


def admin_sections(user: User | None) -> list[Section]:
    """The sections the user may open; none unless they hold an administration scope."""
    if user is None:
        return []
    granted = user_scopes(user)
    if not granted & ADMIN_SCOPES:
        return []
    return [section for section in SECTIONS if section.scope in granted]


def may(user: User, scope: str) -> bool:
    return scope in user_scopes(user)
