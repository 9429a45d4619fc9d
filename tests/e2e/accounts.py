"""Accounts for the e2e tests, made through the API as the admin: a role, then users with it."""

from __future__ import annotations

from typing import Any

import httpx

PASSWORD = "e2e-users-password"
# What a member of staff needs to file and share: nodes, documents, sharing, and picking the
# users, groups and roles to share with. No administration scope.
MEMBER_SCOPES = [
    "node.create",
    "node.view",
    "node.update",
    "node.delete",
    "node.move",
    "document.upload",
    "document.download",
    "page.view",
    "tag.view",
    "tag.create",
    "user.me",
    "user.select",
    "group.select",
    "role.select",
    "shared_node.create",
    "shared_node.view",
    "shared_node.update",
    "shared_node.delete",
]


def role(api: httpx.Client, name: str, scopes: list[str]) -> dict[str, Any]:
    made = api.post("/api/roles/", json={"name": name, "scopes": scopes})
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def user(
    api: httpx.Client,
    username: str,
    role_ids: list[str],
    group_ids: list[str] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    body = {
        "username": username,
        "password": PASSWORD,
        "role_ids": role_ids,
        "group_ids": list(group_ids),
    }
    made = api.post("/api/users/", json=body)
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def folder(api: httpx.Client, parent_id: str, title: str) -> dict[str, Any]:
    made = api.post("/api/nodes/", json={"title": title, "ctype": "folder", "parent_id": parent_id})
    assert made.status_code == 201, made.text
    return made.json()  # type: ignore[no-any-return]


def client_of(base: str, username: str, password: str = PASSWORD) -> httpx.Client:
    token = httpx.post(
        f"{base}/api/token", json={"username": username, "password": password}
    ).json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)
