"""Shared nodes (/api/shared-nodes) and the one access rule, on every database backend.

alice owns the nodes; bob and carol are other users. Accounts hold every scope, so what they may
do with alice's nodes is decided by the role of the share alone.
"""

import uuid

import pytest
from sqlalchemy import select

from quire.core import access
from quire.core.models import Node, TaskRecord
from quire.core.scopes import DOCUMENT_DOWNLOAD
from tests import samples
from tests.helpers.documents import upload
from tests.helpers.nodes import children, make_document, make_folder
from tests.helpers.sharing import EDITOR, SHARER, VIEWER, make_role, share


def revoke(account, node_ids, user_ids=(), group_ids=(), role_ids=()):
    body = {
        "node_ids": list(node_ids),
        "user_ids": [str(u) for u in user_ids],
        "group_ids": list(group_ids),
        "role_ids": list(role_ids),
    }
    return account.client.request("DELETE", "/api/shared-nodes", json=body)


def shared_with(account):
    response = account.client.get("/api/shared-nodes", params={"page_size": 100})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def index_tasks(db):
    with db.session() as session:
        rows = session.scalars(
            select(TaskRecord).where(TaskRecord.name == "index").order_by(TaskRecord.created_at)
        )
        return [row.args for row in rows]


def assert_invisible(account, node_id):
    """The node answers exactly like a node that does not exist."""
    missing = str(uuid.uuid4())
    for url in ("/api/nodes/{}", "/api/folders/{}", "/api/documents/{}", "/api/nodes/{}/tags"):
        foreign = account.client.get(url.format(node_id))
        absent = account.client.get(url.format(missing))
        assert foreign.status_code == absent.status_code == 404, url
        assert foreign.json() == absent.json()


@pytest.fixture
def tree(alice):
    """alice's home / Private / Shared / Report (a PDF), with Shared / Sub below."""
    private = make_folder(alice, "Private")
    shared = make_folder(alice, "Shared", private["id"])
    sub = make_folder(alice, "Sub", shared["id"])
    report = make_document(alice, "Report", shared["id"])
    response = upload(alice, report["id"], samples.pdf_with_text(["quarterly numbers"]))
    assert response.status_code == 200, response.text
    return {"private": private, "shared": shared, "sub": sub, "report": response.json()}


def test_a_shared_folder_can_be_listed_read_and_downloaded(alice, bob, tree):
    shared, report = tree["shared"], tree["report"]
    assert_invisible(bob, shared["id"])
    assert shared_with(bob) == []
    viewer = make_role(alice, "viewer", VIEWER)
    assert share(alice, [shared["id"]], [viewer], [bob.id]).status_code == 204

    [item] = shared_with(bob)
    assert (item["id"], item["is_shared"], item["user_id"]) == (shared["id"], True, str(alice.id))
    assert item["perms"] == sorted(VIEWER)
    # The share is a root to bob: the id of alice's folder above it is not his to know.
    assert item["parent_id"] is None
    listing = children(bob, shared["id"], page_size=10)
    assert [i["title"] for i in listing["items"]] == ["Sub", "Report"]
    assert all(i["is_shared"] and i["perms"] == sorted(VIEWER) for i in listing["items"])

    document = bob.client.get(f"/api/documents/{report['id']}").json()
    # It ends with the document, as upstream's does.
    assert document["breadcrumb"] == [[shared["id"], "Shared"], [report["id"], "Report"]]
    version = document["versions"][-1]
    download = bob.client.get(version["download_url"])
    assert download.status_code == 200
    assert download.content == alice.client.get(version["download_url"]).content
    assert bob.client.get(f"/api/documents/{report['id']}/versions").status_code == 200
    status = bob.client.get("/api/documents/ocr-status/", params={"doc_ids": [report["id"]]})
    assert status.status_code == 200
    assert_invisible(bob, tree["private"]["id"])

    # The owner sees which of her nodes she shared, and may do everything with them.
    own = children(alice, tree["private"]["id"])["items"]
    assert [(i["title"], i["is_shared"], i["perms"]) for i in own] == [("Shared", True, [])]
    assert children(alice, shared["id"])["items"][0]["is_shared"] is False


def test_breadcrumbs_never_reveal_unshared_folders_above(alice, bob, tree):
    viewer = make_role(alice, "viewer", VIEWER)
    share(alice, [tree["sub"]["id"]], [viewer], [bob.id])
    deep = make_document(alice, "Deep", tree["sub"]["id"])
    folder = bob.client.get(f"/api/folders/{tree['sub']['id']}")
    assert folder.json()["breadcrumb"] == [[tree["sub"]["id"], "Sub"]]
    details = bob.client.get("/api/nodes/", params={"node_ids": [deep["id"], tree["sub"]["id"]]})
    assert details.json()[0]["breadcrumb"] == [[tree["sub"]["id"], "Sub"]]
    assert details.json()[0]["parent_id"] == tree["sub"]["id"]
    # Neither the titles nor the ids of alice's folders above the share appear anywhere.
    for secret in ("Private", "Shared", '"home"', tree["private"]["id"], tree["shared"]["id"]):
        assert secret not in folder.text + details.text
    for alias in (
        f"/api/shared-folders/{tree['sub']['id']}",
        f"/api/shared-documents/{deep['id']}",
    ):
        response = bob.client.get(alias, params={"shared_root_id": tree["sub"]["id"]})
        assert response.status_code == 200
        assert "Private" not in response.text
    assert bob.client.get(f"/api/shared-folders/{tree['shared']['id']}").status_code == 404


def test_a_group_share_reaches_its_members_only(alice, bob, carol, tree):
    group = alice.client.post("/api/groups/", json={"name": "accounting"}).json()["id"]
    assert (
        alice.client.patch(f"/api/users/{bob.id}", json={"group_ids": [group]}).status_code == 200
    )
    viewer = make_role(alice, "viewer", VIEWER)
    assert share(alice, [tree["shared"]["id"]], [viewer], group_ids=[group]).status_code == 204

    assert [i["id"] for i in shared_with(bob)] == [tree["shared"]["id"]]
    assert bob.client.get(f"/api/documents/{tree['report']['id']}").status_code == 200
    assert shared_with(carol) == []
    assert_invisible(carol, tree["shared"]["id"])

    # Leaving the group takes its shares away at once.
    alice.client.patch(f"/api/users/{bob.id}", json={"group_ids": []})
    assert shared_with(bob) == []
    assert_invisible(bob, tree["shared"]["id"])
    assert_invisible(bob, tree["report"]["id"])


def test_revoking_makes_the_nodes_missing_again(alice, bob, carol, tree):
    viewer = make_role(alice, "viewer", VIEWER)
    shared = tree["shared"]["id"]
    share(alice, [shared], [viewer], [bob.id, carol.id])
    assert revoke(alice, [shared], [bob.id]).status_code == 204
    assert shared_with(bob) == []
    assert_invisible(bob, shared)
    assert_invisible(bob, tree["report"]["id"])
    assert bob.client.get(tree["report"]["versions"][-1]["download_url"]).status_code == 404
    assert [i["id"] for i in shared_with(carol)] == [shared]
    # Revoking through PATCH (upstream's way): nobody is left.
    response = alice.client.patch(f"/api/shared-nodes/access/{shared}", json={"users": []})
    assert response.json() == {"id": shared, "is_shared": False}
    assert_invisible(carol, shared)


def test_a_view_only_role_changes_nothing(alice, bob, tree, all_rows):
    viewer = make_role(alice, "viewer", VIEWER)
    share(alice, [tree["shared"]["id"]], [viewer], [bob.id])
    mine = make_folder(bob, "mine")
    report, sub = tree["report"]["id"], tree["sub"]["id"]
    before = all_rows()

    def attempts(node_id, folder_id):
        return [
            bob.client.patch(f"/api/nodes/{node_id}", json={"title": "pwned"}),
            bob.client.request("DELETE", "/api/nodes/", json=[node_id]),
            bob.client.post("/api/nodes/move", json={"source_ids": [node_id], "target_id": sub}),
            bob.client.post(f"/api/nodes/{node_id}/tags", json=["x"]),
            bob.client.post(
                "/api/nodes/", json={"title": "x", "ctype": "folder", "parent_id": folder_id}
            ),
            upload(bob, node_id, samples.pdf_with_text(["v2"])),
            share(bob, [node_id], [viewer], [mine["user_id"]]),
            bob.client.get(f"/api/shared-nodes/access/{node_id}"),
        ]

    # Seen but not allowed: 403. alice's unshared nodes stay 404, like missing ones.
    assert {r.status_code for r in attempts(report, sub)} == {403}
    assert {r.status_code for r in attempts(tree["private"]["id"], tree["private"]["id"])} == {404}
    assert all_rows() == before


def test_an_editor_role_works_within_the_owners_tree(alice, bob, tree):
    editor = make_role(alice, "editor", EDITOR)
    share(alice, [tree["shared"]["id"]], [editor], [bob.id])
    report, sub = tree["report"]["id"], tree["sub"]["id"]
    assert bob.client.patch(f"/api/nodes/{report}", json={"title": "Renamed"}).status_code == 200
    made = bob.client.post(
        "/api/nodes/", json={"title": "New", "ctype": "folder", "parent_id": sub}
    )
    # What a grantee makes in a shared folder is the folder owner's.
    assert made.json()["user_id"] == str(alice.id)
    assert made.json()["breadcrumb"] == [
        [tree["shared"]["id"], "Shared"],
        [sub, "Sub"],
        [made.json()["id"], "New"],
    ]
    tagged = bob.client.post(f"/api/nodes/{report}/tags", json=["audit"])
    assert [t["name"] for t in tagged.json()["tags"]] == ["audit"]
    assert [t["name"] for t in alice.client.get("/api/tags/all").json()] == ["audit"]
    assert bob.client.get("/api/tags/all").json() == []
    move = {"source_ids": [report], "target_id": made.json()["id"]}
    assert bob.client.post("/api/nodes/move", json=move).status_code == 200
    # Out of the share: into bob's own folder (another owner) or alice's unshared folder.
    mine = make_folder(bob, "mine")
    out = bob.client.post("/api/nodes/move", json={"source_ids": [report], "target_id": mine["id"]})
    assert out.status_code == 400
    hidden = {"source_ids": [report], "target_id": tree["private"]["id"]}
    assert bob.client.post("/api/nodes/move", json=hidden).status_code == 404
    # Naming the share's hidden parent as the "new" parent is no harmless no-op: it is a 404.
    for parent in (tree["private"]["id"], str(uuid.uuid4())):
        again = bob.client.patch(f"/api/nodes/{tree['shared']['id']}", json={"parent_id": parent})
        assert (again.status_code, again.json()) == (404, {"detail": "Not Found"})
    assert bob.client.request("DELETE", "/api/nodes/", json=[sub]).status_code == 200
    # Into alice's trash: hers to restore, nobody else's to see.
    assert_invisible(bob, report)
    assert [item["id"] for item in alice.client.get("/api/trash/").json()["items"]] == [sub]


def test_resharing_needs_a_role_that_allows_it_and_gives_no_more(alice, bob, carol, tree):
    viewer = make_role(alice, "viewer", VIEWER)
    sharer = make_role(alice, "sharer", SHARER)
    editor = make_role(alice, "editor", EDITOR)
    shared, sub = tree["shared"]["id"], tree["sub"]["id"]
    share(alice, [shared], [viewer], [bob.id])
    assert share(bob, [sub], [viewer], [carol.id]).status_code == 403
    assert share(bob, [tree["private"]["id"]], [viewer], [carol.id]).status_code == 404

    alice.client.patch(
        f"/api/shared-nodes/access/{shared}",
        json={"users": [{"id": str(bob.id), "role_ids": [sharer]}]},
    )
    assert share(bob, [sub], [editor], [carol.id]).status_code == 403
    assert share(bob, [sub], [viewer], [carol.id]).status_code == 204
    assert [i["id"] for i in shared_with(carol)] == [sub]
    details = bob.client.get(f"/api/shared-nodes/access/{sub}").json()
    assert details["users"][0]["username"] == "carol"
    # bob's role has no shared_node.update or .delete: the shares he made stay.
    assert alice.client.get(f"/api/shared-nodes/access/{shared}").status_code == 200
    patch = bob.client.patch(f"/api/shared-nodes/access/{sub}", json={"users": []})
    assert patch.status_code == 403
    assert revoke(bob, [sub], [carol.id]).status_code == 403


def test_access_details_and_replacing_them(alice, bob, carol, tree):
    viewer = make_role(alice, "viewer", VIEWER)
    editor = make_role(alice, "editor", EDITOR)
    shared = tree["shared"]["id"]
    share(alice, [shared], [viewer, editor], [bob.id])
    details = alice.client.get(f"/api/shared-nodes/access/{shared}").json()
    assert details == {
        "id": shared,
        "users": [
            {
                "id": str(bob.id),
                "username": "bob",
                "roles": [{"id": editor, "name": "editor"}, {"id": viewer, "name": "viewer"}],
            }
        ],
        "groups": [],
    }
    body = {"id": shared, "users": [{"id": str(carol.id), "role_ids": [viewer]}]}
    response = alice.client.patch(f"/api/shared-nodes/access/{shared}", json=body)
    assert response.json() == {"id": shared, "is_shared": True}
    assert_invisible(bob, shared)
    assert [i["perms"] for i in shared_with(carol)] == [sorted(VIEWER)]
    wrong = alice.client.patch(f"/api/shared-nodes/access/{shared}", json={"id": tree["sub"]["id"]})
    assert wrong.status_code == 422


def test_index_tasks_follow_shares_moves_and_deletes(alice, bob, db, tree):
    viewer = make_role(alice, "viewer", VIEWER)
    shared, sub = tree["shared"]["id"], tree["sub"]["id"]
    everything_below = {"node_ids": [shared], "descendants": True}
    before = len(index_tasks(db))
    share(alice, [shared], [viewer], [bob.id])
    assert index_tasks(db)[before:] == [everything_below]
    share(alice, [shared], [viewer], [bob.id])  # nothing new: nothing to index
    revoke(alice, [shared], [bob.id])
    assert index_tasks(db)[before + 1 :] == [everything_below]

    other = make_folder(alice, "Other")
    before = len(index_tasks(db))
    alice.client.post("/api/nodes/move", json={"source_ids": [sub], "target_id": other["id"]})
    alice.client.patch(f"/api/nodes/{shared}", json={"parent_id": other["id"]})
    moved = index_tasks(db)[before:]
    assert {"node_ids": [sub], "descendants": True} in moved
    assert everything_below in moved
    before = len(index_tasks(db))
    alice.client.request("DELETE", "/api/nodes/", json=[other["id"]])
    # Into the trash: the subtree leaves everyone's search results.
    assert index_tasks(db)[before:] == [{"node_ids": [other["id"]], "descendants": True}]
    before = len(index_tasks(db))
    alice.client.request("DELETE", "/api/trash/", json={"node_ids": [other["id"]]})
    # Deleted for good, nodes are named one by one: nothing could find what was below them.
    gone = sorted([other["id"], shared, sub, tree["report"]["id"]])
    assert index_tasks(db)[before:] == [{"node_ids": gone, "descendants": False}]


def test_a_role_losing_node_view_hides_its_shares(alice, bob, db, tree):
    viewer = make_role(alice, "viewer", VIEWER)
    shared = tree["shared"]["id"]
    share(alice, [shared], [viewer], [bob.id])
    before = len(index_tasks(db))
    alice.client.patch(f"/api/roles/{viewer}", json={"scopes": [DOCUMENT_DOWNLOAD]})
    assert index_tasks(db)[before:] == [{"node_ids": [shared], "descendants": True}]
    assert_invisible(bob, shared)
    assert shared_with(bob) == []


@pytest.mark.parametrize(
    "body",
    [
        {"role_ids": ["ROLE"], "user_ids": []},
        {"role_ids": [], "user_ids": ["BOB"]},
        {"role_ids": ["ROLE"], "user_ids": [str(uuid.uuid4())]},
        {"role_ids": [str(uuid.uuid4())], "user_ids": ["BOB"]},
        {"role_ids": ["ROLE"], "group_ids": [str(uuid.uuid4())]},
        {"role_ids": ["ROLE"], "user_ids": ["ALICE"]},
        {"node_ids": [], "role_ids": ["ROLE"], "user_ids": ["BOB"]},
    ],
)
def test_bad_shares_are_refused(alice, bob, tree, body):
    role = make_role(alice, "viewer", VIEWER)
    names = {"ROLE": role, "BOB": str(bob.id), "ALICE": str(alice.id)}
    body = {
        "node_ids": [tree["shared"]["id"]],
        **{key: [names.get(v, v) for v in values] for key, values in body.items()},
    }
    response = alice.client.post("/api/shared-nodes/", json=body)
    assert response.status_code == 422, response.text
    assert shared_with(bob) == []


def test_principals_for_the_search_index(alice, bob, carol, db, tree):
    group = alice.client.post("/api/groups/", json={"name": "team"}).json()["id"]
    alice.client.patch(f"/api/users/{carol.id}", json={"group_ids": [group]})
    viewer = make_role(alice, "viewer", VIEWER)
    blind = make_role(alice, "blind", {DOCUMENT_DOWNLOAD})
    share(alice, [tree["shared"]["id"]], [viewer], group_ids=[group])
    share(alice, [tree["sub"]["id"]], [blind], [bob.id])
    with db.session() as session:
        report = uuid.UUID(tree["report"]["id"])
        assert access.node_principals(session, report) == {f"u:{alice.id}", f"g:{group}"}
        # A share whose role does not grant node.view lets nobody find anything.
        assert access.node_principals(session, uuid.UUID(tree["sub"]["id"])) == {
            f"u:{alice.id}",
            f"g:{group}",
        }
        assert access.node_principals(session, uuid.UUID(tree["private"]["id"])) == {
            f"u:{alice.id}"
        }
        assert access.node_principals(session, uuid.uuid4()) == set()
        assert access.principals_for_user(session, carol.id) == [f"u:{carol.id}", f"g:{group}"]
        assert access.principals_for_user(session, bob.user) == [f"u:{bob.id}"]
        # The same rule as one WHERE clause, for filtering many nodes at once.
        shared = {tree[key]["id"] for key in ("shared", "sub", "report")}
        for account, expected in ((carol, shared), (bob, set())):
            own = {account.home_id, account.inbox_id, account.trash_id}
            visible = session.scalars(select(Node.id).where(access.visible_clause(account.id)))
            assert {str(node_id) for node_id in visible} == own | expected
