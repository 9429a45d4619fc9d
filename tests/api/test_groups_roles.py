"""/api/groups and /api/roles: CRUD, scope validation, unique names, and the scopes they grant."""

import uuid

import pytest

from quire.core.scopes import ALL_SCOPES

GROUP_FIELDS = {
    "id",
    "name",
    "delete_me",
    "delete_special_folders",
    "home_folder_id",
    "inbox_folder_id",
}


def create_role(client, name, scopes=()):
    response = client.post("/api/roles/", json={"name": name, "scopes": list(scopes)})
    assert response.status_code == 201, response.text
    return response.json()


def create_group(client, name, role_ids=()):
    response = client.post("/api/groups/", json={"name": name, "role_ids": list(role_ids)})
    assert response.status_code == 201, response.text
    return response.json()


# --- roles ------------------------------------------------------------------------------------


def test_create_role_returns_its_sorted_scopes(alice):
    role = create_role(alice.client, "editor", ["tag.view", "node.view", "tag.view"])
    assert set(role) == {"id", "name", "scopes"}
    assert role["name"] == "editor"
    assert role["scopes"] == ["node.view", "tag.view"]
    fetched = alice.client.get(f"/api/roles/{role['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == role


def test_role_lists(alice):
    create_role(alice.client, "editor")
    create_role(alice.client, "auditor")
    everything = alice.client.get("/api/roles/all")
    assert everything.status_code == 200
    # make_account gave alice the role "role-alice".
    assert [role["name"] for role in everything.json()] == ["auditor", "editor", "role-alice"]
    assert set(everything.json()[0]) == {"id", "name"}
    page = alice.client.get("/api/roles/", params={"page_size": 2, "page_number": 2}).json()
    assert page["num_pages"] == 2
    assert page["page_number"] == 2
    assert [role["name"] for role in page["items"]] == ["role-alice"]


def test_update_role_replaces_name_and_scopes(alice):
    role = create_role(alice.client, "editor", ["tag.view", "node.view"])
    response = alice.client.patch(
        f"/api/roles/{role['id']}", json={"name": "writer", "scopes": ["node.view", "node.create"]}
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": role["id"],
        "name": "writer",
        "scopes": ["node.create", "node.view"],
    }
    # Leaving a field out keeps it.
    renamed = alice.client.patch(f"/api/roles/{role['id']}", json={"name": "author"}).json()
    assert renamed["scopes"] == ["node.create", "node.view"]
    emptied = alice.client.patch(f"/api/roles/{role['id']}", json={"scopes": []}).json()
    assert emptied == {"id": role["id"], "name": "author", "scopes": []}


def test_role_scopes_are_granted_and_taken_away(alice, make_account):
    carol = make_account("carol", scopes={"user.me"})
    role = create_role(alice.client, "tagger", ["tag.view"])
    own_roles = [r["id"] for r in alice.client.get(f"/api/users/{carol.id}").json()["roles"]]
    alice.client.patch(f"/api/users/{carol.id}", json={"role_ids": [*own_roles, role["id"]]})
    assert carol.client.get("/api/tags/").status_code == 200
    assert alice.client.patch(f"/api/roles/{role['id']}", json={"scopes": []}).status_code == 200
    assert carol.client.get("/api/tags/").status_code == 403
    alice.client.patch(f"/api/roles/{role['id']}", json={"scopes": ["tag.view"]})
    assert carol.client.get("/api/tags/").status_code == 200
    assert alice.client.delete(f"/api/roles/{role['id']}").status_code == 204
    assert carol.client.get("/api/tags/").status_code == 403
    assert carol.client.get("/api/users/me").json()["scopes"] == ["user.me"]


def test_delete_role(alice):
    role = create_role(alice.client, "editor", ["tag.view"])
    response = alice.client.delete(f"/api/roles/{role['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert alice.client.get(f"/api/roles/{role['id']}").status_code == 404


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_role_is_404(alice, method):
    response = alice.client.request(method, f"/api/roles/{uuid.uuid4()}", json={"name": "x"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Role not found"}


def test_unknown_scopes_are_422_and_named(alice, all_rows):
    role = create_role(alice.client, "editor", ["tag.view"])
    before = all_rows()
    bad = {"name": "other", "scopes": ["tag.view", "tag.fly", "root.everything"]}
    for response in (
        alice.client.post("/api/roles/", json=bad),
        alice.client.patch(f"/api/roles/{role['id']}", json=bad),
    ):
        assert response.status_code == 422
        error = response.json()["detail"][0]
        assert error["loc"] == ["body", "scopes"]
        assert "unknown scopes: root.everything, tag.fly" in error["msg"]
    assert all_rows() == before


@pytest.mark.parametrize("name", ["", "   ", "r" * 151, None])
def test_bad_role_names_are_422(alice, all_rows, name):
    role = create_role(alice.client, "editor")
    before = all_rows()
    created = alice.client.post("/api/roles/", json={"name": name, "scopes": []})
    assert created.status_code == 422
    assert created.json()["detail"][0]["loc"] == ["body", "name"]
    if name is not None:
        updated = alice.client.patch(f"/api/roles/{role['id']}", json={"name": name})
        assert updated.status_code == 422
    assert all_rows() == before


def test_duplicate_role_name_is_409(alice, all_rows):
    create_role(alice.client, "editor")
    other = create_role(alice.client, "auditor")
    before = all_rows()
    created = alice.client.post("/api/roles/", json={"name": "editor", "scopes": ["tag.view"]})
    assert created.status_code == 409
    assert created.json() == {"detail": "a role named 'editor' already exists"}
    renamed = alice.client.patch(f"/api/roles/{other['id']}", json={"name": "editor"})
    assert renamed.status_code == 409
    assert renamed.json() == {"detail": "a role named 'editor' already exists"}
    assert all_rows() == before


def test_role_list_needs_role_view_not_group_view(make_account):
    account = make_account(scopes={"group.view"})
    assert account.client.get("/api/roles/").status_code == 403
    account = make_account(scopes={"role.view"})
    assert account.client.get("/api/roles/").status_code == 200


# --- groups -----------------------------------------------------------------------------------


def test_create_group_with_roles(alice):
    role = create_role(alice.client, "editor", ["tag.view"])
    response = alice.client.post(
        "/api/groups/",
        json={"name": "staff", "with_special_folders": True, "role_ids": [role["id"]]},
    )
    assert response.status_code == 201
    group = response.json()
    assert set(group) == GROUP_FIELDS | {"roles"}
    assert group["name"] == "staff"
    assert group["home_folder_id"] is not None
    assert group["inbox_folder_id"] is not None
    assert group["roles"] == [{"id": role["id"], "name": "editor"}]
    fetched = alice.client.get(f"/api/groups/{group['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == group


def test_group_lists(alice):
    for name in ("staff", "board", "interns"):
        create_group(alice.client, name)
    everything = alice.client.get("/api/groups/all")
    assert everything.status_code == 200
    assert [group["name"] for group in everything.json()] == ["board", "interns", "staff"]
    assert set(everything.json()[0]) == GROUP_FIELDS
    page = alice.client.get("/api/groups/", params={"page_size": 2}).json()
    assert page["num_pages"] == 2
    assert [group["name"] for group in page["items"]] == ["board", "interns"]
    assert set(page["items"][0]) == GROUP_FIELDS


def test_update_group(alice):
    editor = create_role(alice.client, "editor")
    auditor = create_role(alice.client, "auditor")
    group = create_group(alice.client, "staff", [editor["id"]])
    response = alice.client.patch(
        f"/api/groups/{group['id']}",
        json={"name": "employees", "role_ids": [auditor["id"]], "delete_special_folders": False},
    )
    assert response.status_code == 200
    assert response.json()["name"] == "employees"
    assert response.json()["roles"] == [{"id": auditor["id"], "name": "auditor"}]
    # Leaving role_ids out keeps the roles.
    renamed = alice.client.patch(f"/api/groups/{group['id']}", json={"name": "team"}).json()
    assert renamed["roles"] == [{"id": auditor["id"], "name": "auditor"}]


def test_group_roles_grant_scopes_to_members(alice, make_account):
    carol = make_account("carol", scopes={"user.me"})
    role = create_role(alice.client, "tagger", ["tag.view"])
    group = create_group(alice.client, "staff", [role["id"]])
    alice.client.patch(f"/api/users/{carol.id}", json={"group_ids": [group["id"]]})
    assert carol.client.get("/api/tags/").status_code == 200
    assert alice.client.delete(f"/api/groups/{group['id']}").status_code == 204
    assert carol.client.get("/api/tags/").status_code == 403
    assert alice.client.get(f"/api/users/{carol.id}").json()["groups"] == []


def test_delete_group(alice):
    group = create_group(alice.client, "staff")
    response = alice.client.delete(f"/api/groups/{group['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert alice.client.get(f"/api/groups/{group['id']}").status_code == 404


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_group_is_404(alice, method):
    response = alice.client.request(method, f"/api/groups/{uuid.uuid4()}", json={"name": "x"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Group not found"}


def test_duplicate_group_name_is_409(alice, all_rows):
    create_group(alice.client, "staff")
    other = create_group(alice.client, "board")
    before = all_rows()
    created = alice.client.post("/api/groups/", json={"name": "staff"})
    assert created.status_code == 409
    assert created.json() == {"detail": "a group named 'staff' already exists"}
    renamed = alice.client.patch(f"/api/groups/{other['id']}", json={"name": "staff"})
    assert renamed.status_code == 409
    assert all_rows() == before


@pytest.mark.parametrize("name", ["", "  ", "g" * 151, None])
def test_bad_group_names_are_422(alice, all_rows, name):
    group = create_group(alice.client, "staff")
    before = all_rows()
    created = alice.client.post("/api/groups/", json={"name": name})
    assert created.status_code == 422
    assert created.json()["detail"][0]["loc"] == ["body", "name"]
    if name is not None:
        assert (
            alice.client.patch(f"/api/groups/{group['id']}", json={"name": name}).status_code == 422
        )
    assert all_rows() == before


def test_unknown_role_ids_in_a_group_are_422(alice, all_rows):
    group = create_group(alice.client, "staff")
    before = all_rows()
    missing = str(uuid.uuid4())
    created = alice.client.post("/api/groups/", json={"name": "board", "role_ids": [missing]})
    updated = alice.client.patch(
        f"/api/groups/{group['id']}", json={"name": "board", "role_ids": [missing]}
    )
    for response in (created, updated):
        assert response.status_code == 422
        assert response.json() == {"detail": f"unknown role ids: {missing}"}
    assert all_rows() == before


# --- scopes -----------------------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/api/roles/all", "role.select", None),
    ("GET", "/api/roles/", "role.view", None),
    ("GET", "/api/roles/{role}", "role.view", None),
    ("POST", "/api/roles/", "role.create", {"name": "new", "scopes": ["tag.view"]}),
    ("PATCH", "/api/roles/{role}", "role.update", {"name": "renamed"}),
    ("DELETE", "/api/roles/{role}", "role.delete", None),
    ("GET", "/api/groups/all", "group.select", None),
    ("GET", "/api/groups/", "group.view", None),
    ("GET", "/api/groups/{group}", "group.view", None),
    ("POST", "/api/groups/", "group.create", {"name": "new"}),
    ("PATCH", "/api/groups/{group}", "group.update", {"name": "renamed"}),
    ("DELETE", "/api/groups/{group}", "group.delete", None),
]


@pytest.fixture
def targets(alice):
    return {
        "role": create_role(alice.client, "target", ["tag.view"])["id"],
        "group": create_group(alice.client, "target")["id"],
    }


@pytest.mark.parametrize(("method", "path", "scope", "body"), ENDPOINTS)
def test_each_endpoint_needs_its_scope(make_account, targets, all_rows, method, path, scope, body):
    account = make_account(scopes=ALL_SCOPES - {scope})
    before = all_rows()
    response = account.client.request(method, path.format(**targets), json=body)
    assert response.status_code == 403
    assert response.json() == {"detail": f"missing scopes: {scope}"}
    assert all_rows() == before


@pytest.mark.parametrize(("method", "path", "scope", "body"), ENDPOINTS)
def test_each_endpoint_works_with_only_its_scope(make_account, targets, method, path, scope, body):
    account = make_account(scopes={scope})
    response = account.client.request(method, path.format(**targets), json=body)
    assert response.status_code < 300, response.text
