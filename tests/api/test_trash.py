"""The trash through the API: deleting, listing, restoring (in place, or home when the folder is
gone), emptying, and every refusal changing nothing (tests/search/test_trash.py: files, index
and the scheduled emptying)."""

import uuid

import pytest

from tests import samples
from tests.helpers.nodes import children, make_document, make_folder
from tests.helpers.sharing import EDITOR, make_role, share


def delete(account, *node_ids):
    response = account.client.request("DELETE", "/api/nodes/", json=list(node_ids))
    assert (response.status_code, response.json()) == (200, None), response.text


def restore(account, *node_ids):
    return account.client.post("/api/trash/restore", json={"node_ids": list(node_ids)})


def trash_titles(account):
    response = account.client.get("/api/trash/", params={"page_size": 50})
    assert response.status_code == 200, response.text
    return sorted(item["title"] for item in response.json()["items"])


def parent_of(account, node_id):
    return account.client.get("/api/nodes/", params={"node_ids": [node_id]}).json()[0]["parent_id"]


def test_me_names_the_trash_folder(alice):
    me = alice.client.get("/api/users/me").json()
    assert me["trash_folder_id"] == alice.trash_id
    assert {me["home_folder_id"], me["inbox_folder_id"]} == {alice.home_id, alice.inbox_id}


def test_a_deleted_title_is_free_at_once_and_both_wait_in_the_trash(alice):
    first = make_folder(alice, "Reports")
    delete(alice, first["id"])
    second = make_folder(alice, "Reports")
    delete(alice, second["id"])
    assert trash_titles(alice) == ["Reports", "Reports (2)"]
    assert children(alice, alice.home_id)["items"] == []
    assert restore(alice, second["id"]).status_code == 200
    # Back under its own title, which is free again in home.
    assert [item["title"] for item in children(alice, alice.home_id)["items"]] == ["Reports"]
    assert restore(alice, first["id"]).status_code == 200
    assert sorted(i["title"] for i in children(alice, alice.home_id)["items"]) == [
        "Reports",
        "Reports (2)",
    ]


def test_restore_puts_a_node_back_in_its_folder_or_home_when_that_is_gone(alice):
    kept = make_folder(alice, "Kept")
    gone = make_folder(alice, "Gone")
    trashed = make_folder(alice, "Trashed")
    docs = [
        make_document(alice, f"doc{n}", parent["id"])
        for n, parent in enumerate((kept, gone, trashed))
    ]
    delete(alice, *(doc["id"] for doc in docs))
    delete(alice, gone["id"], trashed["id"])
    emptied = alice.client.request("DELETE", "/api/trash/", json={"node_ids": [gone["id"]]})
    assert emptied.json() == {"deleted": 1}
    assert restore(alice, *(doc["id"] for doc in docs)).status_code == 200
    assert parent_of(alice, docs[0]["id"]) == kept["id"]
    # Its folder deleted for good, or itself in the trash: home.
    assert parent_of(alice, docs[1]["id"]) == alice.home_id
    assert parent_of(alice, docs[2]["id"]) == alice.home_id
    assert trash_titles(alice) == ["Trashed"]


def test_another_users_trash_is_invisible_and_untouched(alice, bob, all_rows):
    document = make_document(alice, "private")
    delete(alice, document["id"])
    before = all_rows()
    for response in (
        restore(bob, document["id"]),
        bob.client.request("DELETE", "/api/trash/", json={"node_ids": [document["id"]]}),
        bob.client.request("DELETE", "/api/nodes/", json=[document["id"]]),
        bob.client.get(f"/api/documents/{document['id']}"),
        bob.client.get(f"/api/nodes/{alice.trash_id}"),
    ):
        assert response.status_code == 404, response.text
        assert "detail" in response.json()
    assert bob.client.get("/api/trash/").json()["items"] == []
    assert all_rows() == before


def test_a_grantee_does_not_see_a_shared_node_once_it_is_trashed(alice, bob):
    shared = make_folder(alice, "Shared")
    inside = make_document(alice, "inside", shared["id"])
    share(alice, [shared["id"]], [make_role(alice, "editor", EDITOR)], [bob.id])
    assert bob.client.get(f"/api/folders/{shared['id']}").status_code == 200
    delete(alice, shared["id"])
    for node_id in (shared["id"], inside["id"]):
        assert bob.client.get("/api/nodes/", params={"node_ids": [node_id]}).status_code == 404
    assert bob.client.get("/api/shared-nodes/").json()["items"] == []
    assert restore(alice, shared["id"]).status_code == 200
    assert bob.client.get(f"/api/folders/{shared['id']}").status_code == 200


@pytest.mark.parametrize("where", ["home", "inside a trashed folder", "unknown"])
def test_restoring_what_is_not_a_trash_item_is_refused(alice, all_rows, where):
    folder = make_folder(alice, "Folder")
    inner = make_document(alice, "inner", folder["id"])
    if where != "home":
        delete(alice, folder["id"])
    node_id = {"home": folder["id"], "inside a trashed folder": inner["id"]}.get(
        where, str(uuid.uuid4())
    )
    before = all_rows()
    for response in (
        restore(alice, node_id),
        alice.client.request("DELETE", "/api/trash/", json={"node_ids": [node_id]}),
    ):
        expected = 404 if where == "unknown" else 400
        assert response.status_code == expected, response.text
        assert isinstance(response.json()["detail"], str)
    assert all_rows() == before


def test_the_trash_folder_cannot_be_deleted_moved_into_or_filled(alice, all_rows):
    document = make_document(alice, "doc")
    folder = make_folder(alice, "folder")
    delete(alice, folder["id"])
    before = all_rows()
    refused = (
        alice.client.request("DELETE", "/api/nodes/", json=[alice.trash_id]),
        alice.client.post(
            "/api/nodes/move", json={"source_ids": [document["id"]], "target_id": alice.trash_id}
        ),
        alice.client.post(
            "/api/nodes/move", json={"source_ids": [document["id"]], "target_id": folder["id"]}
        ),
        alice.client.post(
            "/api/nodes/", json={"title": "new", "ctype": "folder", "parent_id": folder["id"]}
        ),
        *(
            alice.client.post(
                "/api/documents/upload",
                files={"file": ("scan.pdf", samples.pdf_with_text(["lost"]), "application/pdf")},
                data={"parent_id": parent_id},
            )
            for parent_id in (folder["id"], alice.trash_id)
        ),
    )
    for response in refused:
        assert response.status_code == 400, response.text
        assert isinstance(response.json()["detail"], str)
    assert all_rows() == before


def test_a_node_deleted_with_its_folder_stays_inside_it(alice):
    folder = make_folder(alice, "Folder")
    inner = make_document(alice, "inner", folder["id"])
    delete(alice, inner["id"], folder["id"])
    assert trash_titles(alice) == ["Folder"]
    assert restore(alice, folder["id"]).status_code == 200
    assert parent_of(alice, inner["id"]) == folder["id"]
