"""/api/users: me, list, create (with home and inbox), details, update, delete, change-password."""

import uuid

import pytest
from sqlalchemy import select

from quire.core.models import Folder, Group, Role, RoleScope, User
from quire.core.scopes import ALL_SCOPES

USER_FIELDS = {
    "id",
    "username",
    "email",
    "created_at",
    "updated_at",
    "home_folder_id",
    "inbox_folder_id",
    # Quire's own, beside Papermerge's fields (which are unchanged).
    "trash_folder_id",
    "is_superuser",
    "is_active",
    "scopes",
}
NEW_PASSWORD = "a new and long enough password"


def login(client, username, password):
    return client.post("/api/token", json={"username": username, "password": password})


def new_user(client, **fields):
    body = {"username": "carol", "email": "carol@example.com", "password": NEW_PASSWORD}
    response = client.post("/api/users/", json=body | fields)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def role_and_group(db):
    """A role granting tag.view and a group holding a role granting node.view."""
    with db.session() as session:
        role = Role(name="tagger", scope_rows=[RoleScope(scope="tag.view")])
        group_role = Role(name="viewer", scope_rows=[RoleScope(scope="node.view")])
        group = Group(name="staff", roles=[group_role])
        session.add_all([role, group])
        session.commit()
        return str(role.id), str(group.id)


# --- /users/me --------------------------------------------------------------------------------


def test_me_returns_the_user_with_sorted_effective_scopes(make_account):
    account = make_account("dave", scopes={"user.me", "tag.view", "node.create"})
    response = account.client.get("/api/users/me")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == USER_FIELDS
    assert body["id"] == str(account.id)
    assert body["username"] == "dave"
    assert body["email"] == "dave@example.com"
    assert body["home_folder_id"] == account.home_id
    assert body["inbox_folder_id"] == account.inbox_id
    assert body["is_superuser"] is False
    assert body["is_active"] is True
    assert body["scopes"] == ["node.create", "tag.view", "user.me"]


def test_me_needs_only_user_me(make_account):
    account = make_account(scopes={"user.me"})
    assert account.client.get("/api/users/me").status_code == 200
    assert account.client.get("/api/users/").status_code == 403


def test_me_without_user_me_is_403(make_account):
    account = make_account(scopes=ALL_SCOPES - {"user.me"})
    response = account.client.get("/api/users/me")
    assert response.status_code == 403
    assert "user.me" in response.json()["detail"]


def test_superuser_holds_every_scope(make_account):
    admin = make_account("root", is_superuser=True)
    body = admin.client.get("/api/users/me").json()
    assert body["is_superuser"] is True
    assert body["scopes"] == sorted(ALL_SCOPES)


def test_scopes_of_a_group_role_count(make_account, role_and_group, alice):
    _, group_id = role_and_group
    account = make_account(scopes={"user.me"})
    response = alice.client.patch(f"/api/users/{account.id}", json={"group_ids": [group_id]})
    assert response.status_code == 200
    assert account.client.get("/api/users/me").json()["scopes"] == ["node.view", "user.me"]


def test_no_token_is_401(client):
    for path in ("/api/users/me", "/api/users/", "/api/users/all"):
        assert client.get(path).status_code == 401


# --- listing ----------------------------------------------------------------------------------


def test_list_is_paginated_by_username(alice, bob, make_account):
    make_account("zoe")
    first = alice.client.get("/api/users/", params={"page_size": 2}).json()
    assert first["page_size"] == 2
    assert first["page_number"] == 1
    assert first["num_pages"] == 2
    assert [user["username"] for user in first["items"]] == ["alice", "bob"]
    assert set(first["items"][0]) == USER_FIELDS
    assert "user.view" in first["items"][0]["scopes"]
    second = alice.client.get("/api/users/", params={"page_size": 2, "page_number": 2}).json()
    assert [user["username"] for user in second["items"]] == ["zoe"]


def test_list_rejects_a_bad_page_size(alice):
    response = alice.client.get("/api/users/", params={"page_size": 0})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "page_size"]


def test_all_lists_every_user(alice, bob):
    response = alice.client.get("/api/users/all")
    assert response.status_code == 200
    assert [user["username"] for user in response.json()] == ["alice", "bob"]


# --- creating ---------------------------------------------------------------------------------


def test_create_makes_a_user_with_home_inbox_groups_and_roles(alice, client, db, role_and_group):
    role_id, group_id = role_and_group
    body = new_user(
        alice.client,
        is_superuser=False,
        is_active=True,
        group_ids=[group_id],
        role_ids=[role_id],
        scopes=["document.upload"],
    )
    assert set(body) == USER_FIELDS
    assert body["username"] == "carol"
    # Scopes come from the role and the group's role; the body's "scopes" are ignored.
    assert body["scopes"] == ["node.view", "tag.view"]
    with db.session() as session:
        user = session.get(User, uuid.UUID(body["id"]))
        assert user is not None
        assert user.password != NEW_PASSWORD
        folders = session.scalars(select(Folder).where(Folder.user_id == user.id)).all()
        assert {folder.id for folder in folders} == {
            user.home_folder_id,
            user.inbox_folder_id,
            user.trash_folder_id,
        }
    assert str(user.home_folder_id) == body["home_folder_id"]
    assert login(client, "carol", NEW_PASSWORD).status_code == 200
    details = alice.client.get(f"/api/users/{body['id']}").json()
    assert [group["name"] for group in details["groups"]] == ["staff"]
    assert [role["name"] for role in details["roles"]] == ["tagger"]


def test_create_defaults_to_an_active_plain_user(alice):
    body = new_user(alice.client)
    assert body["is_active"] is True
    assert body["is_superuser"] is False
    assert body["scopes"] == []


def test_create_duplicate_username_is_409(alice, all_rows):
    before = all_rows()
    response = alice.client.post(
        "/api/users/", json={"username": "alice", "email": "", "password": "x"}
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "username 'alice' is already taken"}
    assert all_rows() == before


def test_create_with_an_unknown_group_or_role_is_422(alice, all_rows):
    before = all_rows()
    missing = str(uuid.uuid4())
    for field in ("group_ids", "role_ids"):
        response = alice.client.post(
            "/api/users/", json={"username": "carol", "password": "x", field: [missing]}
        )
        assert response.status_code == 422
        assert missing in response.json()["detail"]
    assert all_rows() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "x@example.com", "password": "x"}, "username"),
        ({"username": "", "password": "x"}, "username"),
        ({"username": "u" * 151, "password": "x"}, "username"),
        ({"username": "carol"}, "password"),
        ({"username": "carol", "password": ""}, "password"),
        ({"username": "carol", "password": "x", "is_active": "maybe"}, "is_active"),
        ({"username": "carol", "password": "x", "group_ids": ["not-a-uuid"]}, "group_ids"),
    ],
)
def test_create_rejects_bad_input(alice, all_rows, body, field):
    before = all_rows()
    response = alice.client.post("/api/users/", json=body)
    assert response.status_code == 422
    assert field in response.json()["detail"][0]["loc"]
    assert all_rows() == before


# --- details and updates ----------------------------------------------------------------------


def test_get_unknown_user_is_404(alice):
    response = alice.client.get(f"/api/users/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}
    assert alice.client.get("/api/users/not-a-uuid").status_code == 422


def test_get_returns_details(alice, bob):
    response = alice.client.get(f"/api/users/{bob.id}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == USER_FIELDS | {"groups", "roles"}
    assert body["username"] == "bob"
    assert body["groups"] == []
    assert [role["name"] for role in body["roles"]] == ["role-bob"]
    assert set(body["roles"][0]) == {"id", "name"}


def test_update_changes_fields_password_groups_and_roles(alice, client, role_and_group):
    role_id, group_id = role_and_group
    carol = new_user(alice.client)
    response = alice.client.patch(
        f"/api/users/{carol['id']}",
        json={
            "email": "new@example.com",
            "password": "yet another password",
            "group_ids": [group_id],
            "role_ids": [role_id],
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "new@example.com"
    assert body["username"] == "carol"
    assert [group["name"] for group in body["groups"]] == ["staff"]
    assert [role["name"] for role in body["roles"]] == ["tagger"]
    assert body["scopes"] == ["node.view", "tag.view"]
    assert login(client, "carol", NEW_PASSWORD).status_code == 401
    assert login(client, "carol", "yet another password").status_code == 200

    cleared = alice.client.patch(f"/api/users/{carol['id']}", json={"group_ids": []}).json()
    assert cleared["groups"] == []
    assert [role["name"] for role in cleared["roles"]] == ["tagger"]


def test_update_can_deactivate_and_rename(alice, bob):
    response = alice.client.patch(
        f"/api/users/{bob.id}", json={"username": "robert", "is_active": False}
    )
    assert response.status_code == 200
    assert response.json()["username"] == "robert"
    assert response.json()["is_active"] is False
    # A deactivated user's token stops working.
    assert bob.client.get("/api/users/me").status_code == 401


def test_update_to_a_taken_username_is_409(alice, bob, all_rows):
    before = all_rows()
    response = alice.client.patch(f"/api/users/{bob.id}", json={"username": "alice"})
    assert response.status_code == 409
    assert response.json() == {"detail": "username 'alice' is already taken"}
    assert all_rows() == before


def test_update_with_bad_input_changes_nothing(alice, bob, all_rows):
    before = all_rows()
    missing = str(uuid.uuid4())
    unknown_role = alice.client.patch(
        f"/api/users/{bob.id}", json={"email": "changed@example.com", "role_ids": [missing]}
    )
    assert unknown_role.status_code == 422
    assert missing in unknown_role.json()["detail"]
    empty = alice.client.patch(f"/api/users/{bob.id}", json={"username": ""})
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "username"]
    assert alice.client.patch(f"/api/users/{uuid.uuid4()}", json={}).status_code == 404
    assert all_rows() == before


def test_last_superuser_cannot_be_demoted_or_deactivated(make_account, all_rows):
    admin = make_account("root", is_superuser=True)
    before = all_rows()
    for change in ({"is_superuser": False}, {"is_active": False}):
        response = admin.client.patch(f"/api/users/{admin.id}", json=change)
        assert response.status_code == 409
        assert "last active superuser" in response.json()["detail"]
    assert all_rows() == before
    make_account("root2", is_superuser=True)
    response = admin.client.patch(f"/api/users/{admin.id}", json={"is_superuser": False})
    assert response.status_code == 200
    assert response.json()["is_superuser"] is False


def test_only_a_superuser_can_make_or_touch_a_superuser(make_account, alice, all_rows):
    """alice holds every user.* scope, yet cannot escalate or take over an administrator."""
    admin = make_account("root", is_superuser=True)
    before = all_rows()
    attempts = [
        alice.client.patch(f"/api/users/{alice.id}", json={"is_superuser": True}),
        alice.client.post(
            "/api/users/", json={"username": "mallory", "password": "x", "is_superuser": True}
        ),
        alice.client.patch(f"/api/users/{admin.id}", json={"email": "mine@example.com"}),
        alice.client.post(f"/api/users/{admin.id}/change-password", json={"password": "owned"}),
        alice.client.delete(f"/api/users/{admin.id}"),
    ]
    for response in attempts:
        assert response.status_code == 403
        assert response.json() == {"detail": "only a superuser can create or change a superuser"}
    assert all_rows() == before
    promoted = admin.client.patch(f"/api/users/{alice.id}", json={"is_superuser": True})
    assert promoted.json()["is_superuser"] is True


# --- deleting ---------------------------------------------------------------------------------


def test_delete_removes_the_user_and_what_they_own(alice, bob, db):
    assert bob.client.post("/api/tags/", json={"name": "mine"}).status_code == 201
    response = alice.client.delete(f"/api/users/{bob.id}")
    assert response.status_code == 204
    assert response.content == b""
    assert alice.client.get(f"/api/users/{bob.id}").status_code == 404
    with db.session() as session:
        assert session.scalars(select(Folder).where(Folder.user_id == bob.id)).all() == []
    assert bob.client.get("/api/users/me").status_code == 401


def test_delete_unknown_user_is_404(alice):
    response = alice.client.delete(f"/api/users/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}


def test_nobody_can_delete_themselves(alice, all_rows):
    before = all_rows()
    response = alice.client.delete(f"/api/users/{alice.id}")
    assert response.status_code == 409
    assert response.json() == {"detail": "you cannot delete your own account"}
    assert all_rows() == before


def test_last_superuser_cannot_be_deleted(make_account, all_rows):
    admin = make_account("root", is_superuser=True)
    before = all_rows()
    response = admin.client.delete(f"/api/users/{admin.id}")
    assert response.status_code == 409
    assert all_rows() == before
    other = make_account("root2", is_superuser=True)
    assert other.client.delete(f"/api/users/{admin.id}").status_code == 204


# --- change-password --------------------------------------------------------------------------


def test_change_password_takes_upstreams_body(alice, client):
    carol = new_user(alice.client)
    response = alice.client.post(
        f"/api/users/{carol['id']}/change-password",
        json={"userId": carol["id"], "password": "changed password"},
    )
    assert response.status_code == 200
    assert response.json()["username"] == "carol"
    assert login(client, "carol", NEW_PASSWORD).status_code == 401
    assert login(client, "carol", "changed password").status_code == 200
    # userId may be left out: the path says whose password it is.
    response = alice.client.post(
        f"/api/users/{carol['id']}/change-password", json={"password": "third password"}
    )
    assert response.status_code == 200
    assert login(client, "carol", "third password").status_code == 200


def test_change_password_with_a_mismatching_user_id_is_400(alice, bob, all_rows):
    before = all_rows()
    response = alice.client.post(
        f"/api/users/{bob.id}/change-password",
        json={"userId": str(alice.id), "password": "changed password"},
    )
    assert response.status_code == 400
    assert str(alice.id) in response.json()["detail"]
    assert all_rows() == before


def test_change_password_bad_input(alice, bob, all_rows):
    before = all_rows()
    empty = alice.client.post(f"/api/users/{bob.id}/change-password", json={"password": ""})
    assert empty.status_code == 422
    assert empty.json()["detail"][0]["loc"] == ["body", "password"]
    unknown = alice.client.post(
        f"/api/users/{uuid.uuid4()}/change-password", json={"password": "x"}
    )
    assert unknown.status_code == 404
    assert all_rows() == before


# --- scopes -----------------------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/api/users/me", "user.me", None),
    ("GET", "/api/users/", "user.view", None),
    ("GET", "/api/users/all", "user.select", None),
    ("POST", "/api/users/", "user.create", {"username": "carol", "password": "x"}),
    ("GET", "/api/users/{bob}", "user.view", None),
    ("PATCH", "/api/users/{bob}", "user.update", {"email": "changed@example.com"}),
    ("DELETE", "/api/users/{bob}", "user.delete", None),
    ("POST", "/api/users/{bob}/change-password", "user.update", {"password": "changed"}),
]


@pytest.mark.parametrize(("method", "path", "scope", "body"), ENDPOINTS)
def test_each_endpoint_needs_its_scope(make_account, bob, all_rows, method, path, scope, body):
    account = make_account(scopes=ALL_SCOPES - {scope})
    before = all_rows()
    response = account.client.request(method, path.format(bob=bob.id), json=body)
    assert response.status_code == 403
    assert response.json() == {"detail": f"missing scopes: {scope}"}
    assert all_rows() == before


@pytest.mark.parametrize(("method", "path", "scope", "body"), ENDPOINTS)
def test_each_endpoint_works_with_only_its_scope(make_account, bob, method, path, scope, body):
    account = make_account(scopes={scope})
    response = account.client.request(method, path.format(bob=bob.id), json=body)
    assert response.status_code < 300, response.text
