"""Roles and shares (/api/roles, /api/shared-nodes), and the scopes of typical roles."""

from quire.core.scopes import (
    DOCUMENT_DOWNLOAD,
    DOCUMENT_UPLOAD,
    NODE_CREATE,
    NODE_DELETE,
    NODE_MOVE,
    NODE_UPDATE,
    NODE_VIEW,
    SHARED_NODE_CREATE,
    SHARED_NODE_VIEW,
)

VIEWER = {NODE_VIEW, DOCUMENT_DOWNLOAD}
EDITOR = VIEWER | {NODE_UPDATE, NODE_CREATE, NODE_MOVE, NODE_DELETE, DOCUMENT_UPLOAD}
SHARER = VIEWER | {SHARED_NODE_CREATE, SHARED_NODE_VIEW}


def make_role(account, name, scopes):
    response = account.client.post("/api/roles/", json={"name": name, "scopes": sorted(scopes)})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def share(account, node_ids, role_ids, user_ids=(), group_ids=()):
    body = {
        "node_ids": list(node_ids),
        "role_ids": list(role_ids),
        "user_ids": [str(u) for u in user_ids],
        "group_ids": list(group_ids),
    }
    return account.client.post("/api/shared-nodes", json=body)
