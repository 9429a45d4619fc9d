"""Group ownership (issue 17): a group's home and inbox, what is placed there belonging to the
group and seen by its members alike through the access rule, its trash, and deleting a group
(tests/search/test_group_ownership.py: search)."""

import uuid

import pytest

from tests import samples
from tests.api.test_sharing import assert_invisible
from tests.helpers.nodes import children, make_document, make_folder

GROUP_DETAILS = {"id", "name", "home_folder_id", "inbox_folder_id"}


def make_group(admin, name, members=(), **body):
    response = admin.client.post("/api/groups/", json={"name": name, **body})
    assert response.status_code == 201, response.text
    group = response.json()
    for member in members:
        join(admin, member, group["id"])
    return group


def join(admin, member, *group_ids):
    body = {"group_ids": list(group_ids)}
    assert admin.client.patch(f"/api/users/{member.id}", json=body).status_code == 200


def upload(account, parent_id, title="scan", text="quarterly invoice"):
    response = account.client.post(
        "/api/documents/upload",
        files={"file": (f"{title}.pdf", samples.pdf_with_text([text]), "application/pdf")},
        data={"title": title, "parent_id": parent_id, "ocr": "false"},
    )
    assert response.status_code == 201, response.text
    return response.json()


def move(account, node_ids, target_id):
    return account.client.post(
        "/api/nodes/move", json={"source_ids": list(node_ids), "target_id": target_id}
    )


def details(account, node_id):
    response = account.client.get("/api/nodes/", params={"node_ids": [node_id]})
    assert response.status_code == 200, response.text
    return response.json()[0]


def titles(account, folder_id):
    return [item["title"] for item in children(account, folder_id, page_size=50)["items"]]


def trash(account):
    response = account.client.get("/api/trash/", params={"page_size": 50})
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.fixture
def staff(alice, bob, carol):
    """alice's group with special folders; bob and carol are members, alice is not."""
    return make_group(alice, "staff", [bob, carol], with_special_folders=True)


def test_a_group_made_with_special_folders_has_a_home_and_inbox_its_members_list(
    alice, bob, dave, staff
):
    assert set(staff) >= GROUP_DETAILS
    home, inbox = staff["home_folder_id"], staff["inbox_folder_id"]
    assert home
    assert inbox
    assert home != inbox
    assert alice.client.get(f"/api/groups/{staff['id']}").json()["home_folder_id"] == home

    homes = bob.client.get("/api/users/group-homes")
    inboxes = bob.client.get("/api/users/group-inboxes")
    assert homes.json() == [{"group_name": "staff", "group_id": staff["id"], "home_id": home}]
    assert inboxes.json() == [{"group_name": "staff", "group_id": staff["id"], "inbox_id": inbox}]
    # Not a member: neither listed nor visible, like a folder that does not exist.
    for account in (dave, alice):
        assert account.client.get("/api/users/group-homes").json() == []
        assert account.client.get("/api/users/group-inboxes").json() == []
        assert_invisible(account, home)
    folder = bob.client.get(f"/api/folders/{home}").json()
    assert (folder["title"], folder["group_id"], folder["perms"]) == ("home", staff["id"], [])
    assert folder["breadcrumb"] == [[home, "home"]]


def test_without_the_flag_a_group_has_no_folders_and_asking_twice_changes_nothing(alice, bob):
    group = make_group(alice, "board", [bob])
    assert (group["home_folder_id"], group["inbox_folder_id"]) == (None, None)
    assert bob.client.get("/api/users/group-homes").json() == []
    # Leaving the flag out keeps what the group has, asking again gives the same folders.
    url = f"/api/groups/{group['id']}"
    assert alice.client.patch(url, json={"name": "board2"}).json()["home_folder_id"] is None
    first = alice.client.patch(url, json={"with_special_folders": True})
    assert first.status_code == 200, first.text
    again = alice.client.patch(url, json={"with_special_folders": True, "name": "board3"})
    assert again.status_code == 200, again.text
    ids = ("home_folder_id", "inbox_folder_id")
    assert [again.json()[k] for k in ids] == [first.json()[k] for k in ids]
    assert None not in [first.json()[k] for k in ids]
    assert [h["home_id"] for h in bob.client.get("/api/users/group-homes").json()] == [
        first.json()["home_folder_id"]
    ]
    # Taken away while empty (upstream's false); given again, new ones.
    gone = alice.client.patch(url, json={"with_special_folders": False})
    assert (gone.status_code, gone.json()["home_folder_id"]) == (200, None)
    assert_invisible(bob, first.json()["home_folder_id"])


def test_a_members_upload_into_the_group_inbox_is_every_members_and_no_one_elses(
    bob, carol, dave, staff
):
    inbox = staff["inbox_folder_id"]
    document = upload(bob, inbox, "invoice")
    assert (document["group_id"], document["user_id"]) == (staff["id"], str(bob.id))

    seen = carol.client.get(f"/api/documents/{document['id']}")
    assert seen.status_code == 200
    assert (seen.json()["perms"], seen.json()["breadcrumb"][0]) == ([], [inbox, "inbox"])
    assert titles(carol, inbox) == ["invoice"]
    # Every member owns it: carol renames it, and makes a folder beside it.
    renamed = carol.client.patch(f"/api/nodes/{document['id']}", json={"title": "invoice 1"})
    assert renamed.status_code == 200, renamed.text
    folder = make_folder(carol, "Archive", inbox)
    assert folder["group_id"] == staff["id"]
    assert sorted(titles(bob, inbox)) == ["Archive", "invoice 1"]

    assert_invisible(dave, document["id"])
    assert_invisible(dave, inbox)
    refused = dave.client.post(
        "/api/nodes/", json={"title": "x", "ctype": "folder", "parent_id": inbox}
    )
    assert refused.status_code == 404
    foreign_upload = dave.client.post(
        "/api/documents/upload",
        files={"file": ("x.pdf", samples.pdf_with_text(["x"]), "application/pdf")},
        data={"parent_id": inbox},
    )
    assert foreign_upload.status_code == 404


def test_a_member_removed_from_the_group_loses_it_at_once(alice, bob, carol, staff):
    document = upload(bob, staff["home_folder_id"])
    assert carol.client.get(f"/api/documents/{document['id']}").status_code == 200
    join(alice, carol)  # no groups any more
    assert_invisible(carol, document["id"])
    assert_invisible(carol, staff["home_folder_id"])
    assert carol.client.get("/api/users/group-homes").json() == []
    assert bob.client.get(f"/api/documents/{document['id']}").status_code == 200


def test_moved_to_a_members_own_home_it_is_theirs_and_back_the_groups(bob, carol, staff):
    folder = make_folder(bob, "Contracts", staff["home_folder_id"])
    document = upload(bob, folder["id"], "lease")

    assert move(carol, [folder["id"]], carol.home_id).status_code == 200
    for node_id in (folder["id"], document["id"]):
        node = details(carol, node_id)
        assert (node["user_id"], node["group_id"]) == (str(carol.id), None)
        assert_invisible(bob, node_id)

    assert move(carol, [folder["id"]], staff["inbox_folder_id"]).status_code == 200
    for node_id in (folder["id"], document["id"]):
        node = details(bob, node_id)
        assert (node["user_id"], node["group_id"]) == (str(carol.id), staff["id"])


def test_nobody_moves_group_nodes_into_trees_they_do_not_own(alice, bob, dave, staff):
    document = upload(bob, staff["inbox_folder_id"])
    mine = make_document(dave, "dave's")
    # Into a folder bob does not see, out of a folder dave does not see: like a missing id.
    assert move(bob, [document["id"]], dave.home_id).status_code == 404
    assert move(dave, [mine["id"]], staff["home_folder_id"]).status_code == 404
    assert details(bob, document["id"])["group_id"] == staff["id"]
    # A home or inbox of a group is a root: it is not moved, renamed or deleted.
    assert move(bob, [staff["home_folder_id"]], bob.home_id).status_code == 400
    deleted = bob.client.request("DELETE", "/api/nodes/", json=[staff["inbox_folder_id"]])
    assert deleted.status_code == 400


def test_deleted_group_nodes_wait_in_the_groups_trash_for_every_member(bob, carol, dave, staff):
    document = upload(bob, staff["inbox_folder_id"], "receipt")
    mine = make_document(carol, "carol's own")
    deleted = bob.client.request("DELETE", "/api/nodes/", json=[document["id"]])
    assert deleted.status_code == 200, deleted.text
    assert carol.client.request("DELETE", "/api/nodes/", json=[mine["id"]]).status_code == 200
    assert titles(carol, staff["inbox_folder_id"]) == []

    items = {item["title"]: item for item in trash(carol)}
    assert set(items) == {"receipt", "carol's own"}
    assert all(item["trashed_at"] for item in items.values())
    assert [item["title"] for item in trash(bob)] == ["receipt"]
    assert trash(dave) == []
    assert_invisible(dave, document["id"])
    # Another member restores it, back where it was.
    restored = carol.client.post("/api/trash/restore", json={"node_ids": [document["id"]]})
    assert restored.status_code == 200, restored.text
    assert titles(bob, staff["inbox_folder_id"]) == ["receipt"]
    assert details(bob, document["id"])["trashed_at"] is None
    # Deleted again and emptied by a member: gone for everyone.
    bob.client.request("DELETE", "/api/nodes/", json=[document["id"]])
    emptied = carol.client.request("DELETE", "/api/trash/", json={"node_ids": [document["id"]]})
    assert emptied.json() == {"deleted": 1}
    assert bob.client.get(f"/api/documents/{document['id']}").status_code == 404
    # dave cannot restore or empty what is not his.
    assert (
        dave.client.post("/api/trash/restore", json={"node_ids": [mine["id"]]}).status_code == 404
    )


def test_a_group_that_owns_documents_is_not_deleted_until_they_are_moved(alice, bob, staff):
    document = upload(bob, staff["inbox_folder_id"])
    trashed = upload(bob, staff["home_folder_id"], "old")
    bob.client.request("DELETE", "/api/nodes/", json=[trashed["id"]])
    url = f"/api/groups/{staff['id']}"

    refused = alice.client.delete(url)
    assert refused.status_code == 409
    assert "1 node(s)" in refused.json()["detail"]
    assert alice.client.patch(url, json={"with_special_folders": False}).status_code == 409
    assert bob.client.get(f"/api/documents/{document['id']}").status_code == 200

    assert move(bob, [document["id"]], bob.home_id).status_code == 200
    assert alice.client.delete(url).status_code == 204
    assert alice.client.get(url).status_code == 404
    # Its folders went with it, and so did what its trash held.
    assert_invisible(bob, staff["home_folder_id"])
    assert_invisible(bob, trashed["id"])
    assert bob.client.get("/api/users/group-homes").json() == []
    assert details(bob, document["id"])["group_id"] is None


def test_a_deleted_members_uploads_stay_the_groups(alice, bob, carol, staff):
    document = upload(bob, staff["inbox_folder_id"])
    assert alice.client.delete(f"/api/users/{bob.id}").status_code == 204
    node = details(carol, document["id"])
    # Its account is now the deleting admin's; it is still the group's.
    assert (node["group_id"], node["user_id"]) == (staff["id"], str(alice.id))


def test_bad_input_is_refused_and_changes_nothing(alice, bob, staff, all_rows):
    before = all_rows()
    for body in ({"name": "staff", "with_special_folders": True}, {"name": ""}):
        assert alice.client.post("/api/groups/", json=body).status_code in {409, 422}
    missing = str(uuid.uuid4())
    assert alice.client.patch(f"/api/groups/{missing}", json={"name": "x"}).status_code == 404
    assert alice.client.patch(
        f"/api/users/{bob.id}", json={"group_ids": [missing]}
    ).status_code in {
        404,
        422,
    }
    flag = alice.client.patch(f"/api/groups/{staff['id']}", json={"with_special_folders": "maybe"})
    assert flag.status_code == 422
    assert all_rows() == before


def test_group_node_operations_are_in_the_audit_log(alice, bob, staff):
    document = upload(bob, staff["inbox_folder_id"])
    bob.client.request("DELETE", "/api/nodes/", json=[document["id"]])
    bob.client.post("/api/trash/restore", json={"node_ids": [document["id"]]})
    response = alice.client.get("/api/audit-logs/", params={"node_id": document["id"]})
    assert response.status_code == 200, response.text
    actions = [(e["action"], e["username"]) for e in response.json()["items"]]
    assert ("node.delete", "bob") in actions
    assert ("node.restore", "bob") in actions
