"""Permission scopes, named as in Papermerge 3.5 so that roles and scripts carry over.

A role is a named set of scopes; a user holds the scopes of their roles and of their groups'
roles, and a superuser holds all of them. Endpoints declare the scopes they need.
"""

from __future__ import annotations

NODE_CREATE = "node.create"
NODE_VIEW = "node.view"
NODE_UPDATE = "node.update"
NODE_DELETE = "node.delete"
NODE_MOVE = "node.move"

DOCUMENT_UPLOAD = "document.upload"
DOCUMENT_DOWNLOAD = "document.download"
DOCUMENT_DOWNLOAD_ALL_VERSIONS = "document.download.all_versions"
DOCUMENT_DOWNLOAD_LAST_VERSION_ONLY = "document.download.last_version_only"
DOCUMENT_UPDATE_TITLE = "document.update.title"
DOCUMENT_UPDATE_TAGS = "document.update.tags"
DOCUMENT_UPDATE_CUSTOM_FIELDS = "document.update.custom_fields"
DOCUMENT_UPDATE_DOCUMENT_TYPE = "document.update.document_type"

PAGE_VIEW = "page.view"
PAGE_UPDATE = "page.update"
PAGE_MOVE = "page.move"
PAGE_EXTRACT = "page.extract"
PAGE_DELETE = "page.delete"
PAGE_REORDER = "page.reorder"
PAGE_ROTATE = "page.rotate"

TAG_CREATE = "tag.create"
TAG_VIEW = "tag.view"
TAG_SELECT = "tag.select"
TAG_UPDATE = "tag.update"
TAG_DELETE = "tag.delete"

CUSTOM_FIELD_CREATE = "custom_field.create"
CUSTOM_FIELD_VIEW = "custom_field.view"
CUSTOM_FIELD_UPDATE = "custom_field.update"
CUSTOM_FIELD_DELETE = "custom_field.delete"

DOCUMENT_TYPE_CREATE = "document_type.create"
DOCUMENT_TYPE_VIEW = "document_type.view"
DOCUMENT_TYPE_SELECT = "document_type.select"
DOCUMENT_TYPE_UPDATE = "document_type.update"
DOCUMENT_TYPE_DELETE = "document_type.delete"

USER_CREATE = "user.create"
USER_VIEW = "user.view"
USER_SELECT = "user.select"
USER_UPDATE = "user.update"
USER_DELETE = "user.delete"
USER_ME = "user.me"

GROUP_CREATE = "group.create"
GROUP_VIEW = "group.view"
GROUP_SELECT = "group.select"
GROUP_UPDATE = "group.update"
GROUP_DELETE = "group.delete"

ROLE_CREATE = "role.create"
ROLE_VIEW = "role.view"
ROLE_SELECT = "role.select"
ROLE_UPDATE = "role.update"
ROLE_DELETE = "role.delete"

SHARED_NODE_CREATE = "shared_node.create"
SHARED_NODE_VIEW = "shared_node.view"
SHARED_NODE_UPDATE = "shared_node.update"
SHARED_NODE_DELETE = "shared_node.delete"

# Reading the audit log: who did what to any node (admins).
AUDIT_LOG_VIEW = "audit_log.view"

TASK_OCR = "task.ocr"
OCRLANG_VIEW = "ocrlang.view"

ALL_SCOPES: frozenset[str] = frozenset(
    value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)
)
