"""``/api/nodes/bulk/...``: one action on many nodes, all or nothing, at most BULK_LIMIT."""

import uuid

import pytest

from quire.web.api.nodes_bulk import BULK_LIMIT
from tests.helpers.custom_fields import create_type
from tests.helpers.nodes import children, make_document, make_folder


def bulk(account, action, **body):
    return account.client.post(f"/api/nodes/bulk/{action}", json=body)


def details(account, node_id):
    response = account.client.get("/api/nodes/", params={"node_ids": [node_id]})
    assert response.status_code == 200, response.text
    return response.json()[0]


def test_tag_move_type_and_delete_many_at_once(alice):
    target = make_folder(alice, "Target")
    docs = [make_document(alice, f"doc{n}")["id"] for n in range(3)]
    tagged = bulk(alice, "tags", node_ids=docs, names=["todo", "2027"])
    assert tagged.json() == {"node_ids": docs}
    assert all(
        sorted(t["name"] for t in details(alice, d)["tags"]) == ["2027", "todo"] for d in docs
    )
    assert (
        bulk(alice, "tags", node_ids=docs[:1], names=["todo"], change="remove").status_code == 200
    )
    assert [t["name"] for t in details(alice, docs[0])["tags"]] == ["2027"]

    doc_type = create_type(alice.client, "Invoice")
    typed = bulk(alice, "document-type", node_ids=docs, document_type_id=doc_type["id"])
    assert typed.status_code == 200, typed.text
    for doc in docs:
        assert (
            alice.client.get(f"/api/documents/{doc}").json()["document_type_id"] == doc_type["id"]
        )

    assert bulk(alice, "move", node_ids=docs, target_id=target["id"]).status_code == 200
    assert sorted(i["id"] for i in children(alice, target["id"])["items"]) == sorted(docs)
    assert bulk(alice, "delete", node_ids=docs).status_code == 200
    assert children(alice, target["id"])["items"] == []
    trash = alice.client.get("/api/trash/", params={"page_size": 10}).json()["items"]
    assert sorted(item["id"] for item in trash) == sorted(docs)


def refused_cases(alice, bob):
    """(action, body, status, the id the detail names) for requests that must change nothing."""
    outer = make_folder(alice, "Outer")
    inner = make_folder(alice, "Inner", outer["id"])
    doc = make_document(alice, "doc")["id"]
    trashed = make_folder(alice, "Trashed")
    alice.client.request("DELETE", "/api/nodes/", json=[trashed["id"]])
    foreign = make_document(bob, "bob's")["id"]
    unknown = str(uuid.uuid4())
    bobs_type = create_type(bob.client, "Bob's type")["id"]
    return [
        ("tags", {"node_ids": [doc, foreign], "names": ["x"]}, 404, foreign),
        ("tags", {"node_ids": [doc, unknown], "names": ["x"]}, 404, unknown),
        ("move", {"node_ids": [doc, outer["id"]], "target_id": inner["id"]}, 400, None),
        ("move", {"node_ids": [doc], "target_id": trashed["id"]}, 400, None),
        ("move", {"node_ids": [doc], "target_id": unknown}, 404, unknown),
        ("move", {"node_ids": [doc, alice.home_id], "target_id": outer["id"]}, 400, alice.home_id),
        ("delete", {"node_ids": [doc, foreign]}, 404, foreign),
        ("delete", {"node_ids": [doc, doc]}, 400, None),
        ("document-type", {"node_ids": [doc], "document_type_id": bobs_type}, 422, doc),
        ("document-type", {"node_ids": [doc, outer["id"]], "document_type_id": None}, 404, None),
    ]


def test_any_refused_node_refuses_the_request_and_changes_nothing(alice, bob, all_rows):
    cases = refused_cases(alice, bob)
    before = all_rows()
    for action, body, code, named in cases:
        response = bulk(alice, action, **body)
        assert response.status_code == code, (action, body, response.text)
        detail = response.json()["detail"]
        assert isinstance(detail, str), detail
        if named is not None:
            assert named in detail
        assert all_rows() == before, (action, body)


@pytest.mark.parametrize("action", ["tags", "move", "delete", "document-type"])
def test_more_than_the_limit_is_a_clear_422(alice, all_rows, action):
    before = all_rows()
    ids = [str(uuid.uuid4()) for _ in range(BULK_LIMIT + 1)]
    extra = {
        "tags": {"names": ["x"]},
        "move": {"target_id": alice.home_id},
        "delete": {},
        "document-type": {"document_type_id": None},
    }[action]
    response = bulk(alice, action, node_ids=ids, **extra)
    assert response.status_code == 422
    assert f"at most {BULK_LIMIT}" in response.text
    assert all_rows() == before
