"""One title per folder, as upstream (``core/titles.py``), on every database backend.

Creating, renaming or moving a node onto a title its folder holds is a 400 naming the title,
and changes nothing; titles compare exactly (``invoices`` is not ``Invoices``). The one-step
upload, which names a document after its file, takes the first free ``name (N).ext`` instead.
"""

import pytest

from tests import samples
from tests.helpers.nodes import children, make_document, make_folder
from tests.helpers.sharing import EDITOR, make_role, share


def _refused(response, title):
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": f"a node titled {title!r} already exists in this folder"}


@pytest.mark.parametrize("ctype", ["folder", "document"])
def test_a_second_node_of_a_title_is_refused_and_nothing_changes(alice, all_rows, ctype):
    make_folder(alice, "Invoices")
    before = all_rows()
    body = {"title": "Invoices", "ctype": ctype, "parent_id": alice.home_id}
    _refused(alice.client.post("/api/nodes/", json=body), "Invoices")
    assert all_rows() == before
    # Another case, another folder: other titles.
    make_document(alice, "invoices")
    make_folder(alice, "Invoices", alice.inbox_id)


def test_renaming_or_moving_onto_a_taken_title_is_refused(alice, all_rows):
    taxes = make_folder(alice, "Taxes")
    make_document(alice, "2024.pdf", taxes["id"])
    loose = make_document(alice, "2024.pdf")
    other = make_document(alice, "other.pdf")
    before = all_rows()
    _refused(
        alice.client.patch(f"/api/nodes/{other['id']}", json={"title": "2024.pdf"}), "2024.pdf"
    )
    moved = {"parent_id": taxes["id"]}
    _refused(alice.client.patch(f"/api/nodes/{loose['id']}", json=moved), "2024.pdf")
    move = {"source_ids": [loose["id"]], "target_id": taxes["id"]}
    _refused(alice.client.post("/api/nodes/move", json=move), "2024.pdf")
    assert all_rows() == before
    # A node keeps its own title: renaming it to itself, or moving it where it is, is no clash.
    same = alice.client.patch(f"/api/nodes/{other['id']}", json={"title": "other.pdf"})
    assert same.status_code == 200
    move = {"source_ids": [other["id"]], "target_id": alice.home_id}
    assert alice.client.post("/api/nodes/move", json=move).status_code == 200


def test_two_moved_nodes_of_one_title_cannot_meet(alice, all_rows):
    first, second, target = (make_folder(alice, name) for name in ("A", "B", "Target"))
    nodes = [make_document(alice, "scan.pdf", folder["id"]) for folder in (first, second)]
    before = all_rows()
    move = {"source_ids": [node["id"] for node in nodes], "target_id": target["id"]}
    _refused(alice.client.post("/api/nodes/move", json=move), "scan.pdf")
    assert all_rows() == before


def test_a_grantee_meets_the_rule_in_a_shared_folder(alice, bob, all_rows):
    shared = make_folder(alice, "Shared")
    make_document(alice, "Plan", shared["id"])
    share(alice, [shared["id"]], [make_role(alice, "editor", EDITOR)], [bob.id])
    before = all_rows()
    body = {"title": "Plan", "ctype": "document", "parent_id": shared["id"]}
    _refused(bob.client.post("/api/nodes/", json=body), "Plan")
    assert all_rows() == before


def test_the_one_step_upload_takes_the_first_free_title(alice):
    data = samples.pdf_with_text(["scan"])
    titles = []
    for title in (None, None, "scan.pdf", "notes"):
        form = {"title": title} if title else {}
        response = alice.client.post(
            "/api/documents/upload",
            files={"file": ("scan.pdf", data, "application/pdf")},
            data=form,
        )
        assert response.status_code == 201, response.text
        titles.append(response.json()["title"])
    assert titles == ["scan.pdf", "scan (2).pdf", "scan (3).pdf", "notes"]
    listed = children(alice, alice.inbox_id, page_size=10)["items"]
    assert sorted(item["title"] for item in listed) == sorted(titles)
