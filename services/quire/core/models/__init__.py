"""The database model. Importing this package registers every table on ``Base.metadata``."""

from quire.core.models.nodes import Document, DocumentVersion, Folder, Node, Page
from quire.core.models.tags import Tag, nodes_tags
from quire.core.models.tasks import TaskRecord, TaskState
from quire.core.models.users import ApiToken, Group, LoginFailure, Role, RoleScope, User

__all__ = [
    "ApiToken",
    "Document",
    "DocumentVersion",
    "Folder",
    "Group",
    "LoginFailure",
    "Node",
    "Page",
    "Role",
    "RoleScope",
    "Tag",
    "TaskRecord",
    "TaskState",
    "User",
    "nodes_tags",
]
