"""The Papermerge 3.5.3 routes and values that clients met missing, shadowed or different, live
on every database backend (issue 15): each answers in upstream's shape, and only to whom it may.

alice and bob hold every scope; what one may see of the other's nodes is the access rule's.
"""

import uuid

import pytest

from quire.core.scopes import ALL_SCOPES
from tests import samples
from tests.helpers.documents import upload
from tests.helpers.nodes import make_document, make_folder
from tests.helpers.sharing import VIEWER, make_role, share

NOBODY = str(uuid.uuid4())


def _group_with(account, name):
    response = account.client.post("/api/groups/", json={"name": name})
    assert response.status_code == 201, response.text
    group = response.json()
    changed = account.client.patch(f"/api/users/{account.id}", json={"group_ids": [group["id"]]})
    assert changed.status_code == 200, changed.text
    return group


@pytest.mark.parametrize("what", ["group-homes", "group-inboxes"])
def test_group_homes_and_inboxes_are_routes_not_user_ids(alice, make_account, what):
    """Upstream lists the special folders of the caller's groups; groups own no folders in
    Quire, so the list is empty, not the 422 of ``/users/{user_id}`` taking it for an id."""
    _group_with(alice, "Accounting")
    response = alice.client.get(f"/api/users/{what}")
    assert response.status_code == 200
    assert response.json() == []
    blind = make_account(scopes=ALL_SCOPES - {"node.view"})
    refused = blind.client.get(f"/api/users/{what}")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "missing scopes: node.view"}


def test_document_types_all_grouped_lists_the_callers_own_as_my(alice, bob, make_account):
    for name in ("Receipt", "Bill"):
        assert alice.client.post("/api/document-types/", json={"name": name}).status_code == 201
    assert bob.client.post("/api/document-types/", json={"name": "Payslip"}).status_code == 201
    grouped = alice.client.get("/api/document-types/all-grouped")
    assert grouped.status_code == 200
    [mine] = grouped.json()
    assert mine["name"] == "My"
    assert [item["name"] for item in mine["items"]] == ["Bill", "Receipt"]
    assert set(mine["items"][0]) == {"id", "name"}
    assert [g["items"][0]["name"] for g in bob.client.get(grouped.url).json()] == ["Payslip"]
    assert make_account().client.get(grouped.url).json() == []
    blind = make_account(scopes=ALL_SCOPES - {"document_type.view"})
    assert blind.client.get(grouped.url).status_code == 403


@pytest.fixture
def shared_tree(alice, bob):
    """alice's folder "Shared" (a subfolder, and a document with a file) shared with bob."""
    shared = make_folder(alice, "Shared")
    sub = make_folder(alice, "Sub", shared["id"])
    report = make_document(alice, "Report", shared["id"])
    assert upload(alice, report["id"], samples.pdf_with_text(["one", "two"])).status_code == 200
    viewer = make_role(alice, "viewer", VIEWER)
    assert share(alice, [shared["id"]], [viewer], [bob.id]).status_code == 204
    return {"shared": shared, "sub": sub, "report": report}


def test_shared_nodes_folder_lists_a_shared_folders_children(alice, bob, shared_tree):
    url = f"/api/shared-nodes/folder/{shared_tree['shared']['id']}"
    listing = bob.client.get(url, params={"page_size": 10})
    assert listing.status_code == 200, listing.text
    body = listing.json()
    assert (body["page_number"], body["num_pages"]) == (1, 1)
    sub, report = body["items"]
    assert (sub["title"], sub["ctype"], report["title"]) == ("Sub", "folder", "Report")
    # Upstream's items are whole documents: with their versions and pages.
    [version] = report["versions"]
    assert version["page_count"] == 2
    assert [page["number"] for page in version["pages"]] == [1, 2]
    # The viewer role has no page.view: the pages' text stays hidden here too.
    assert [page["text"] for page in version["pages"]] == ["", ""]
    assert all(item["is_shared"] and item["perms"] == sorted(VIEWER) for item in body["items"])
    filtered = bob.client.get(url, params={"filter": "rep"}).json()["items"]
    assert [item["title"] for item in filtered] == ["Report"]
    # A folder bob does not see is the same 404 as one that does not exist.
    private = make_folder(alice, "Private")
    for folder_id in (private["id"], NOBODY):
        response = bob.client.get(f"/api/shared-nodes/folder/{folder_id}")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}
    assert bob.client.get("/api/shared-nodes/folder/not-an-id").status_code == 422


def test_shared_nodes_list_documents_with_their_versions(alice, bob, shared_tree):
    viewer = make_role(alice, "reader", VIEWER)
    share(alice, [shared_tree["report"]["id"]], [viewer], [bob.id])
    items = bob.client.get("/api/shared-nodes/", params={"page_size": 10}).json()["items"]
    by_title = {item["title"]: item for item in items}
    assert set(by_title) == {"Shared", "Report"}
    assert by_title["Report"]["versions"][0]["pages"][0]["number"] == 1
    assert "versions" not in by_title["Shared"]


def test_head_of_a_version_download_answers_its_headers(alice, bob, make_account):
    document = make_document(alice, "Scan")
    data = samples.pdf_with_text(["head"])
    version = upload(alice, document["id"], data).json()["versions"][-1]
    head = alice.client.head(version["download_url"])
    assert head.status_code == 200
    assert head.headers["content-type"] == "application/pdf"
    assert int(head.headers["content-length"]) == len(data)
    assert head.content == b""
    # Another's version, or none: 404 as for GET; without the scope, 403.
    assert bob.client.head(version["download_url"]).status_code == 404
    assert bob.client.head(f"/api/document-versions/{NOBODY}/download").status_code == 404
    blind = make_account(scopes=ALL_SCOPES - {"document.download"})
    assert blind.client.head(version["download_url"]).status_code == 403


def test_home_and_inbox_are_titled_as_upstream_and_breadcrumbs_end_with_the_document(alice):
    home = alice.client.get(f"/api/folders/{alice.home_id}").json()
    inbox = alice.client.get(f"/api/folders/{alice.inbox_id}").json()
    assert (home["title"], inbox["title"]) == ("home", "inbox")
    folder = make_folder(alice, "Taxes")
    document = make_document(alice, "Return", folder["id"])
    expected = [[alice.home_id, "home"], [folder["id"], "Taxes"], [document["id"], "Return"]]
    assert document["breadcrumb"] == expected
    assert alice.client.get(f"/api/documents/{document['id']}").json()["breadcrumb"] == expected
    # Upstream's node details (for search hits) end with the parent, for documents and folders.
    details = alice.client.get("/api/nodes/", params={"node_ids": [document["id"]]}).json()
    assert details[0]["breadcrumb"] == expected[:-1]


def test_pages_carry_the_31_image_urls_that_papermerge_cli_requires(alice):
    document = make_document(alice, "Scan")
    uploaded = upload(alice, document["id"], samples.pdf_with_text(["page"])).json()
    [page] = uploaded["versions"][-1]["pages"]
    assert page["jpg_url"] == f"/api/pages/{page['id']}/jpg"
    assert page["svg_url"] is None
    image = alice.client.get(page["jpg_url"])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
