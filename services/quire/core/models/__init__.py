"""The database model. Importing this package registers every table on ``Base.metadata``."""

from quire.core.models.audit import AuditEntry
from quire.core.models.custom_fields import (
    CustomField,
    CustomFieldType,
    CustomFieldValue,
    DocumentType,
    DocumentTypeField,
)
from quire.core.models.events import Event
from quire.core.models.nodes import Document, DocumentVersion, Folder, Node, Page
from quire.core.models.sharing import SharedNode
from quire.core.models.tags import Tag, nodes_tags
from quire.core.models.tasks import TaskRecord, TaskState
from quire.core.models.users import ApiToken, Group, LoginFailure, Role, RoleScope, User

__all__ = [
    "ApiToken",
    "AuditEntry",
    "CustomField",
    "CustomFieldType",
    "CustomFieldValue",
    "Document",
    "DocumentType",
    "DocumentTypeField",
    "DocumentVersion",
    "Event",
    "Folder",
    "Group",
    "LoginFailure",
    "Node",
    "Page",
    "Role",
    "RoleScope",
    "SharedNode",
    "Tag",
    "TaskRecord",
    "TaskState",
    "User",
    "nodes_tags",
]
