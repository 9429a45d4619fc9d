"""/api/nodes and /api/folders: the folder tree, on every database backend."""

import uuid

import pytest

from quire.core.scopes import ALL_SCOPES, NODE_CREATE
from tests.helpers.nodes import children, make_document, make_folder


def test_new_user_has_empty_home_and_inbox(alice):
    for folder_id in (alice.home_id, alice.inbox_id):
        assert children(alice, folder_id) == {
            "page_size": 5,
            "page_number": 1,
            "num_pages": 0,
            "items": [],
        }


def test_create_folder_and_document_and_list_them(alice):
    folder = make_folder(alice, "Invoices")
    assert folder["ctype"] == "folder"
    assert folder["parent_id"] == alice.home_id
    assert folder["user_id"] == str(alice.id)
    assert [title for _, title in folder["breadcrumb"]] == ["home", "Invoices"]

    document = make_document(alice, "Contract", folder["id"])
    assert document["ctype"] == "document"
    assert document["ocr_status"] == "UNKNOWN"
    assert document["thumbnail_url"] == f"/api/thumbnails/{document['id']}"
    assert len(document["versions"]) == 1
    assert document["versions"][0]["number"] == 1
    assert document["versions"][0]["file_name"] is None

    listing = children(alice, folder["id"])
    assert [(item["title"], item["ctype"]) for item in listing["items"]] == [
        ("Contract", "document")
    ]


def test_custom_id_is_kept(alice):
    wanted = str(uuid.uuid4())
    response = alice.client.post(
        "/api/nodes/",
        json={"title": "x", "ctype": "folder", "parent_id": alice.home_id, "id": wanted},
    )
    assert response.json()["id"] == wanted
    again = alice.client.post(
        "/api/nodes/",
        json={"title": "y", "ctype": "folder", "parent_id": alice.home_id, "id": wanted},
    )
    assert again.status_code == 409


def test_pagination_ordering_and_filter(alice):
    for i in range(7):
        make_document(alice, f"doc {i:02d}")
    for i in range(5):
        make_folder(alice, f"folder {i:02d}")
    first = children(alice, alice.home_id, page_size=5)
    assert first["num_pages"] == 3
    # Folders come first by default, then documents, each by title.
    assert [item["title"] for item in first["items"]] == [f"folder {i:02d}" for i in range(5)]
    last = children(alice, alice.home_id, page_size=5, page_number=3)
    assert [item["title"] for item in last["items"]] == ["doc 05", "doc 06"]
    beyond = children(alice, alice.home_id, page_size=5, page_number=9)
    assert beyond["items"] == []

    descending = children(alice, alice.home_id, page_size=100, order_by="-title")
    titles = [item["title"] for item in descending["items"]]
    assert titles == sorted(titles, reverse=True)

    filtered = children(alice, alice.home_id, page_size=100, filter="DOC 0")
    assert len(filtered["items"]) == 7
    assert filtered["num_pages"] == 1
    # LIKE wildcards in the filter are taken literally.
    assert children(alice, alice.home_id, filter="%")["items"] == []


def test_get_folder_breadcrumb_and_node_details(alice):
    outer = make_folder(alice, "2024")
    inner = make_folder(alice, "Taxes", outer["id"])
    document = make_document(alice, "Return", inner["id"])
    folder = alice.client.get(f"/api/folders/{inner['id']}").json()
    assert [title for _, title in folder["breadcrumb"]] == ["home", "2024", "Taxes"]
    details = alice.client.get(
        "/api/nodes/", params={"node_ids": [document["id"], outer["id"]]}
    ).json()
    assert [d["id"] for d in details] == [document["id"], outer["id"]]
    assert [title for _, title in details[0]["breadcrumb"]] == ["home", "2024", "Taxes"]
    assert "versions" in details[0]


def test_rename_and_move_with_patch(alice):
    a = make_folder(alice, "A")
    b = make_folder(alice, "B")
    response = alice.client.patch(f"/api/nodes/{a['id']}", json={"title": "A renamed"})
    assert response.status_code == 200
    assert response.json()["title"] == "A renamed"
    assert response.json()["document"] is None
    moved = alice.client.patch(f"/api/nodes/{a['id']}", json={"parent_id": b["id"]})
    assert moved.json()["parent_id"] == b["id"]
    assert [i["id"] for i in children(alice, b["id"])["items"]] == [a["id"]]


def test_move_nodes(alice):
    target = make_folder(alice, "Target")
    docs = [make_document(alice, f"d{i}") for i in range(3)]
    response = alice.client.post(
        "/api/nodes/move", json={"source_ids": [d["id"] for d in docs], "target_id": target["id"]}
    )
    assert response.status_code == 200
    assert response.json() == [d["id"] for d in docs]
    assert len(children(alice, target["id"], page_size=10)["items"]) == 3


def test_a_folder_cannot_go_into_its_own_subtree(alice):
    outer = make_folder(alice, "outer")
    inner = make_folder(alice, "inner", outer["id"])
    for body in (
        {"source_ids": [outer["id"]], "target_id": inner["id"]},
        {"source_ids": [outer["id"]], "target_id": outer["id"]},
    ):
        response = alice.client.post("/api/nodes/move", json=body)
        assert response.status_code == 400
        assert "into itself" in response.json()["detail"]
    assert alice.client.get(f"/api/folders/{outer['id']}").json()["parent_id"] == alice.home_id


def test_delete_removes_the_whole_subtree(alice):
    """Into the trash first (tests/api/test_trash.py); deleting it there deletes it for good."""
    outer = make_folder(alice, "outer")
    inner = make_folder(alice, "inner", outer["id"])
    document = make_document(alice, "doc", inner["id"])
    response = alice.client.request("DELETE", "/api/nodes/", json=[outer["id"]])
    assert response.status_code == 200
    assert children(alice, alice.home_id)["items"] == []
    again = alice.client.request("DELETE", "/api/nodes/", json=[outer["id"]])
    assert again.status_code == 200
    for node_id in (outer["id"], inner["id"], document["id"]):
        assert alice.client.get("/api/nodes/", params={"node_ids": [node_id]}).status_code == 404


def test_deep_tree_deletes_on_every_backend(alice):
    """Deeper than MariaDB's 15-level cascade limit."""
    parent = alice.home_id
    top = None
    for depth in range(20):
        folder = make_folder(alice, f"level {depth}", parent)
        top = top or folder["id"]
        parent = folder["id"]
    assert alice.client.request("DELETE", "/api/nodes/", json=[top]).status_code == 200
    assert children(alice, alice.home_id)["items"] == []


def test_home_and_inbox_cannot_be_renamed_moved_or_deleted(alice):
    folder = make_folder(alice, "f")
    assert (
        alice.client.patch(f"/api/nodes/{alice.inbox_id}", json={"title": "x"}).status_code == 400
    )
    move = {"source_ids": [alice.inbox_id], "target_id": folder["id"]}
    assert alice.client.post("/api/nodes/move", json=move).status_code == 400
    delete = alice.client.request("DELETE", "/api/nodes/", json=[alice.home_id])
    assert delete.status_code == 400
    assert "cannot be deleted" in delete.json()["detail"]
    assert children(alice, alice.home_id)["items"][0]["id"] == folder["id"]


def test_node_tags_assign_add_remove(alice):
    document = make_document(alice, "doc")
    url = f"/api/nodes/{document['id']}/tags"
    assigned = alice.client.post(url, json=["invoice", "paid"])
    assert assigned.status_code == 200
    assert sorted(t["name"] for t in assigned.json()["tags"]) == ["invoice", "paid"]
    added = alice.client.patch(url, json=["Paid", "2024"])
    assert sorted(t["name"] for t in added.json()["tags"]) == ["2024", "invoice", "paid"]
    full = alice.client.get(url).json()
    assert {"id", "name", "bg_color", "fg_color"} <= set(full[0])
    removed = alice.client.request("DELETE", url, json=["invoice"])
    assert sorted(t["name"] for t in removed.json()["tags"]) == ["2024", "paid"]
    replaced = alice.client.post(url, json=["new"])
    assert [t["name"] for t in replaced.json()["tags"]] == ["new"]
    # Tags are kept when taken off a node, and never duplicated.
    names = sorted(t["name"] for t in alice.client.get("/api/tags/all").json())
    assert names == ["2024", "invoice", "new", "paid"]


@pytest.mark.parametrize(
    "body",
    [
        {"title": "", "ctype": "folder"},
        {"title": "x" * 256, "ctype": "folder"},
        {"title": "x", "ctype": "shelf"},
        {"title": "x", "ctype": "folder", "parent_id": "not-a-uuid"},
        {"title": "x", "ctype": "document", "lang": "english"},
    ],
)
def test_create_node_bad_input(alice, body):
    body = {"parent_id": alice.home_id, **body}
    response = alice.client.post("/api/nodes/", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert children(alice, alice.home_id)["items"] == []


def test_parent_must_be_a_folder(alice):
    document = make_document(alice, "doc")
    response = alice.client.post(
        "/api/nodes/", json={"title": "x", "ctype": "folder", "parent_id": document["id"]}
    )
    assert response.status_code == 400
    assert "not a folder" in response.json()["detail"]


@pytest.mark.parametrize(
    "params", [{"page_size": 0}, {"page_number": 0}, {"order_by": "size"}, {"page_size": "x"}]
)
def test_listing_bad_parameters(alice, params):
    assert alice.client.get(f"/api/nodes/{alice.home_id}", params=params).status_code == 422


def test_bad_bodies_for_delete_move_and_tags(alice):
    document = make_document(alice, "doc")
    assert alice.client.request("DELETE", "/api/nodes/", json=[]).status_code == 422
    assert alice.client.request("DELETE", "/api/nodes/", json=["nope"]).status_code == 422
    assert alice.client.post("/api/nodes/move", json={"source_ids": []}).status_code == 422
    url = f"/api/nodes/{document['id']}/tags"
    assert alice.client.post(url, json=[""]).status_code == 422
    assert alice.client.post(url, json="invoice").status_code == 422


# --- access: user B can neither see, change nor detect user A's nodes -------------------------


def test_other_users_nodes_are_invisible(alice, bob):
    folder = make_folder(alice, "private")
    document = make_document(alice, "secret", folder["id"])
    missing = str(uuid.uuid4())
    for node_id in (folder["id"], document["id"], alice.home_id):
        foreign = bob.client.get(f"/api/nodes/{node_id}")
        absent = bob.client.get(f"/api/nodes/{missing}")
        assert foreign.status_code == absent.status_code == 404
        assert foreign.json() == absent.json()
    assert bob.client.get(f"/api/folders/{folder['id']}").status_code == 404
    assert bob.client.get("/api/nodes/", params={"node_ids": [document["id"]]}).status_code == 404
    assert bob.client.get(f"/api/nodes/{document['id']}/tags").status_code == 404
    assert children(bob, bob.home_id)["items"] == []


def test_other_users_nodes_cannot_be_changed(alice, bob):
    folder = make_folder(alice, "private")
    document = make_document(alice, "secret", folder["id"])
    mine = make_folder(bob, "mine")
    attempts = [
        bob.client.patch(f"/api/nodes/{folder['id']}", json={"title": "pwned"}),
        bob.client.patch(f"/api/nodes/{mine['id']}", json={"parent_id": folder["id"]}),
        bob.client.request("DELETE", "/api/nodes/", json=[document["id"]]),
        bob.client.request("DELETE", "/api/nodes/", json=[mine["id"], folder["id"]]),
        bob.client.post(
            "/api/nodes/move", json={"source_ids": [document["id"]], "target_id": mine["id"]}
        ),
        bob.client.post(
            "/api/nodes/move", json={"source_ids": [mine["id"]], "target_id": folder["id"]}
        ),
        bob.client.post(
            "/api/nodes/", json={"title": "x", "ctype": "folder", "parent_id": folder["id"]}
        ),
        bob.client.post(f"/api/nodes/{document['id']}/tags", json=["x"]),
        bob.client.patch(f"/api/nodes/{document['id']}/tags", json=["x"]),
        bob.client.request("DELETE", f"/api/nodes/{document['id']}/tags", json=["x"]),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    # Nothing changed, and bob's own folder survived the all-or-nothing delete.
    assert children(alice, folder["id"])["items"][0]["title"] == "secret"
    assert alice.client.get(f"/api/folders/{folder['id']}").json()["title"] == "private"
    assert children(bob, bob.home_id)["items"][0]["id"] == mine["id"]
    assert alice.client.get(f"/api/nodes/{document['id']}/tags").json() == []


def test_scopes_are_enforced(make_account):
    reader = make_account(scopes=ALL_SCOPES - {NODE_CREATE})
    response = reader.client.post(
        "/api/nodes/", json={"title": "x", "ctype": "folder", "parent_id": reader.home_id}
    )
    assert response.status_code == 403
    assert NODE_CREATE in response.json()["detail"]
    nobody = make_account(scopes=set())
    assert nobody.client.get(f"/api/nodes/{nobody.home_id}").status_code == 403
