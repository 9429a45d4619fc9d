"""/api/tags: per-user tags; another user's tag is indistinguishable from a missing one."""

import uuid

import pytest

from quire.core.models import Tag
from tests.api.scope_checks import assert_refused_without, assert_served_with_only

TAG_FIELDS = {
    "id",
    "name",
    "bg_color",
    "fg_color",
    "description",
    "pinned",
    "group_id",
    "group_name",
}


def create_tag(client, name, **fields):
    response = client.post("/api/tags/", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def names(response):
    assert response.status_code == 200, response.text
    body = response.json()
    return [tag["name"] for tag in (body["items"] if isinstance(body, dict) else body)]


# --- happy paths ------------------------------------------------------------------------------


def test_create_tag_with_defaults(alice):
    tag = create_tag(alice.client, "invoice")
    assert set(tag) == TAG_FIELDS
    assert tag == {
        "id": tag["id"],
        "name": "invoice",
        "bg_color": "#c41fff",
        "fg_color": "#ffffff",
        "description": None,
        "pinned": False,
        "group_id": None,
        "group_name": None,
    }
    assert alice.client.get(f"/api/tags/{tag['id']}").json() == tag


def test_create_tag_with_every_field(alice):
    tag = create_tag(
        alice.client,
        "  paid  ",
        bg_color="#00FF00",
        fg_color="#000000",
        description="settled bills",
        pinned=True,
        group_id=None,
    )
    assert tag["name"] == "paid"
    assert tag["bg_color"] == "#00ff00"
    assert tag["fg_color"] == "#000000"
    assert tag["description"] == "settled bills"
    assert tag["pinned"] is True


def test_list_is_paginated_and_sorted_by_name(alice):
    for name in ("delta", "alpha", "charlie", "bravo"):
        create_tag(alice.client, name)
    page = alice.client.get("/api/tags/", params={"page_size": 3})
    assert names(page) == ["alpha", "bravo", "charlie"]
    assert page.json()["num_pages"] == 2
    assert page.json()["page_size"] == 3
    second = alice.client.get("/api/tags/", params={"page_size": 3, "page_number": 2})
    assert names(second) == ["delta"]
    assert set(second.json()["items"][0]) == TAG_FIELDS


def test_list_orders(alice):
    create_tag(alice.client, "alpha")
    create_tag(alice.client, "bravo", pinned=True)
    create_tag(alice.client, "charlie")
    create_tag(alice.client, "delta", pinned=True)

    def ordered(order_by):
        return names(alice.client.get("/api/tags/", params={"order_by": order_by, "page_size": 9}))

    assert ordered("name") == ["alpha", "bravo", "charlie", "delta"]
    assert ordered("-name") == ["delta", "charlie", "bravo", "alpha"]
    assert ordered("pinned") == ["alpha", "charlie", "bravo", "delta"]
    assert ordered("-pinned") == ["bravo", "delta", "alpha", "charlie"]


def test_list_filter_matches_name_or_description_ignoring_case(alice):
    create_tag(alice.client, "invoice")
    create_tag(alice.client, "receipt", description="Shop INVOICES too")
    create_tag(alice.client, "tax")
    create_tag(alice.client, "100%")
    create_tag(alice.client, "1000")

    def matching(text):
        return names(alice.client.get("/api/tags/", params={"filter": text, "page_size": 9}))

    assert matching("INVOICE") == ["invoice", "receipt"]
    assert matching("ax") == ["tax"]
    assert matching("nothing") == []
    # LIKE wildcards in the filter are literal characters.
    assert matching("%") == ["100%"]
    assert matching("_") == []
    filtered = alice.client.get("/api/tags/", params={"filter": "invoice", "page_size": 1})
    assert filtered.json()["num_pages"] == 2


def test_list_rejects_unknown_order_and_bad_pages(alice):
    response = alice.client.get("/api/tags/", params={"order_by": "colour"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "order_by"]
    assert alice.client.get("/api/tags/", params={"page_number": 0}).status_code == 422


def test_all_lists_own_tags(alice):
    create_tag(alice.client, "bravo")
    create_tag(alice.client, "alpha")
    response = alice.client.get("/api/tags/all")
    assert names(response) == ["alpha", "bravo"]
    assert set(response.json()[0]) == TAG_FIELDS
    # No tag belongs to a group.
    assert alice.client.get("/api/tags/all", params={"group_id": str(uuid.uuid4())}).json() == []


def test_update_tag_applies_every_field_including_pinned(alice):
    tag = create_tag(alice.client, "invoice", description="bills")
    response = alice.client.patch(
        f"/api/tags/{tag['id']}",
        json={"name": "bill", "bg_color": "#123abc", "fg_color": "#FFFFFF", "pinned": True},
    )
    assert response.status_code == 200
    assert response.json() == tag | {
        "name": "bill",
        "bg_color": "#123abc",
        "fg_color": "#ffffff",
        "pinned": True,
    }
    assert alice.client.get(f"/api/tags/{tag['id']}").json() == response.json()


def test_update_tag_keeps_what_is_left_out_and_clears_description_on_null(alice):
    tag = create_tag(alice.client, "invoice", description="bills", pinned=True)
    unchanged = alice.client.patch(f"/api/tags/{tag['id']}", json={})
    assert unchanged.json() == tag
    nulls = alice.client.patch(f"/api/tags/{tag['id']}", json={"name": None, "pinned": None})
    assert nulls.json() == tag
    cleared = alice.client.patch(f"/api/tags/{tag['id']}", json={"description": None})
    assert cleared.json() == tag | {"description": None}
    unpinned = alice.client.patch(f"/api/tags/{tag['id']}", json={"pinned": False})
    assert unpinned.json()["pinned"] is False


def test_delete_tag(alice):
    tag = create_tag(alice.client, "invoice")
    response = alice.client.delete(f"/api/tags/{tag['id']}")
    assert response.status_code == 204
    assert response.content == b""
    assert alice.client.get(f"/api/tags/{tag['id']}").status_code == 404
    assert names(alice.client.get("/api/tags/all")) == []


def test_users_may_share_tag_names(alice, bob):
    create_tag(alice.client, "invoice")
    create_tag(bob.client, "invoice")
    assert names(alice.client.get("/api/tags/all")) == ["invoice"]
    assert names(bob.client.get("/api/tags/all")) == ["invoice"]


# --- another user's tags ----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_another_users_tag_is_a_404_like_a_missing_one(alice, bob, all_rows, method):
    tag = create_tag(alice.client, "invoice")
    before = all_rows()
    body = {"name": "stolen", "pinned": True}
    theirs = bob.client.request(method, f"/api/tags/{tag['id']}", json=body)
    missing = bob.client.request(method, f"/api/tags/{uuid.uuid4()}", json=body)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json() == {"detail": "Tag not found"}
    assert all_rows() == before


def test_another_users_tags_are_never_listed_or_counted(alice, bob):
    for name in ("invoice", "receipt", "tax"):
        create_tag(alice.client, name, description="invoice things")
    page = bob.client.get("/api/tags/", params={"page_size": 1})
    assert page.json() == {"page_size": 1, "page_number": 1, "num_pages": 0, "items": []}
    filtered = bob.client.get("/api/tags/", params={"filter": "invoice", "page_size": 1})
    assert filtered.json()["num_pages"] == 0
    assert bob.client.get("/api/tags/all").json() == []
    create_tag(bob.client, "mine")
    assert bob.client.get("/api/tags/", params={"page_size": 1}).json()["num_pages"] == 1
    assert names(bob.client.get("/api/tags/all")) == ["mine"]


# --- bad input --------------------------------------------------------------------------------


def test_duplicate_name_is_409(alice, all_rows):
    create_tag(alice.client, "invoice")
    other = create_tag(alice.client, "receipt")
    before = all_rows()
    created = alice.client.post("/api/tags/", json={"name": "invoice"})
    assert created.status_code == 409
    assert created.json() == {"detail": "you already have a tag named 'invoice'"}
    renamed = alice.client.patch(f"/api/tags/{other['id']}", json={"name": "invoice"})
    assert renamed.status_code == 409
    assert renamed.json() == {"detail": "you already have a tag named 'invoice'"}
    assert all_rows() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("bg_color", "red"),
        ("bg_color", "#fff"),
        ("fg_color", "#12345g"),
        ("fg_color", "123456"),
        ("bg_color", "#1234567"),
        ("name", ""),
        ("name", "   "),
        ("name", "n" * 201),
        ("description", "d" * 501),
        ("pinned", "often"),
        ("group_id", "4c7f2f0e-5d1a-4a53-9a64-0d7e2b1c9f10"),
    ],
)
def test_bad_fields_are_422(alice, all_rows, field, value):
    tag = create_tag(alice.client, "invoice")
    before = all_rows()
    created = alice.client.post("/api/tags/", json={"name": "other", field: value})
    updated = alice.client.patch(f"/api/tags/{tag['id']}", json={field: value})
    for response in (created, updated):
        assert response.status_code == 422
        error = response.json()["detail"][0]
        assert error["loc"] == ["body", field]
        assert error["msg"]
    assert all_rows() == before


def test_missing_name_and_bad_ids_are_422(alice, all_rows):
    before = all_rows()
    response = alice.client.post("/api/tags/", json={"bg_color": "#000000"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]
    assert alice.client.get("/api/tags/not-a-uuid").status_code == 422
    assert alice.client.delete("/api/tags/not-a-uuid").status_code == 422
    assert all_rows() == before


# --- scopes -----------------------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/api/tags/", "tag.view", None),
    ("GET", "/api/tags/all", "tag.select", None),
    ("GET", "/api/tags/{tag}", "tag.view", None),
    ("POST", "/api/tags/", "tag.create", {"name": "new"}),
    ("PATCH", "/api/tags/{tag}", "tag.update", {"name": "renamed"}),
    ("DELETE", "/api/tags/{tag}", "tag.delete", None),
]


def insert_tag(db, owner, name):
    """A tag made without the API, for users who may not create one."""
    with db.session() as session:
        tag = Tag(name=name, user_id=owner.id)
        session.add(tag)
        session.commit()
        return str(tag.id)


def own(db, path):
    """The endpoint's URL for an object of the account's own, made without the API."""
    return lambda account: path.format(tag=insert_tag(db, account, "mine"))


@pytest.mark.parametrize(("method", "path", "scope", "body"), ENDPOINTS)
def test_each_endpoint_needs_its_scope(make_account, db, all_rows, method, path, scope, body):
    assert_refused_without(make_account, all_rows, scope, method, own(db, path), body)


@pytest.mark.parametrize(("method", "path", "scope", "body"), ENDPOINTS)
def test_each_endpoint_works_with_only_its_scope(make_account, db, method, path, scope, body):
    assert_served_with_only(make_account, scope, method, own(db, path), body)
