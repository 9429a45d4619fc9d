"""/api/document-types and documents' types: per user, ordered fields, values follow the type."""

import uuid

import pytest
from sqlalchemy import select

from quire.core.models import CustomFieldValue, DocumentType
from quire.core.scopes import ALL_SCOPES
from tests.api.scope_checks import assert_refused_without, assert_served_with_only
from tests.helpers.custom_fields import (
    create_field,
    create_type,
    index_tasks_for,
    names,
    set_type,
    set_values,
    typed_document,
    values_of,
)
from tests.helpers.nodes import children, make_document

TYPE_KEYS = {"id", "name", "path_template", "custom_fields", "group_id", "group_name"}


def field_names(doc_type):
    return [field["name"] for field in doc_type["custom_fields"]]


# --- happy paths ------------------------------------------------------------------------------


def test_create_with_ordered_fields_and_read_back(alice):
    total = create_field(alice.client, "Total", "monetary", extra_data={"currency": "EUR"})
    date = create_field(alice.client, "Date", "date")
    doc_type = create_type(
        alice.client, "Invoice", [date["id"], total["id"]], path_template="/home/{{ document.id }}"
    )
    assert set(doc_type) == TYPE_KEYS
    assert doc_type["name"] == "Invoice"
    assert doc_type["path_template"] == "/home/{{ document.id }}"
    assert doc_type["custom_fields"] == [date, total]
    assert doc_type["group_id"] is None
    assert alice.client.get(f"/api/document-types/{doc_type['id']}").json() == doc_type
    empty = create_type(alice.client, "Letter")
    assert empty["custom_fields"] == []
    assert empty["path_template"] is None


def test_list_all_filter_and_order(alice):
    for name in ("delta", "Alpha", "charlie", "bravo"):
        create_type(alice.client, name)
    page = alice.client.get("/api/document-types/", params={"page_size": 3})
    assert names(page) == ["Alpha", "bravo", "charlie"]
    assert page.json()["num_pages"] == 2
    assert set(page.json()["items"][0]) == TYPE_KEYS
    desc = alice.client.get("/api/document-types/", params={"order_by": "-name", "page_size": 9})
    assert names(desc) == ["delta", "charlie", "bravo", "Alpha"]
    filtered = alice.client.get("/api/document-types/", params={"filter": "HA", "page_size": 9})
    assert names(filtered) == ["Alpha", "charlie"]
    assert names(alice.client.get("/api/document-types/all")) == [
        "Alpha",
        "bravo",
        "charlie",
        "delta",
    ]
    group = alice.client.get("/api/document-types/all", params={"group_id": str(uuid.uuid4())})
    assert group.json() == []


def test_update_renames_reorders_and_clears_the_template(alice):
    a, b, c = (create_field(alice.client, name, "int") for name in "abc")
    doc_type = create_type(alice.client, "Bill", [a["id"], b["id"]], path_template="x")
    url = f"/api/document-types/{doc_type['id']}"
    assert alice.client.patch(url, json={}).json() == doc_type
    response = alice.client.patch(
        url, json={"name": "Invoice", "custom_field_ids": [c["id"], a["id"]]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Invoice"
    assert field_names(response.json()) == ["c", "a"]
    assert response.json()["path_template"] == "x"
    cleared = alice.client.patch(url, json={"path_template": None})
    assert cleared.json()["path_template"] is None
    assert field_names(cleared.json()) == ["c", "a"]
    assert alice.client.get(url).json() == cleared.json()


def test_delete_type_and_field(alice):
    field = create_field(alice.client, "Total", "int")
    doc_type = create_type(alice.client, "Bill", [field["id"]])
    # Deleting a field takes it out of the types that list it.
    assert alice.client.delete(f"/api/custom-fields/{field['id']}").status_code == 204
    assert alice.client.get(f"/api/document-types/{doc_type['id']}").json()["custom_fields"] == []
    assert alice.client.delete(f"/api/document-types/{doc_type['id']}").status_code == 204
    assert alice.client.get(f"/api/document-types/{doc_type['id']}").status_code == 404


def test_names_are_unique_per_user_ignoring_case(alice, bob, all_rows):
    create_type(alice.client, "Invoice")
    other = create_type(alice.client, "Receipt")
    create_type(bob.client, "invoice")
    before = all_rows()
    duplicate = alice.client.post("/api/document-types/", json={"name": "INVOICE"})
    assert duplicate.status_code == 409
    assert duplicate.json() == {"detail": "you already have a document type named 'INVOICE'"}
    renamed = alice.client.patch(f"/api/document-types/{other['id']}", json={"name": "invoice"})
    assert renamed.status_code == 409
    assert all_rows() == before


# --- documents and their type -----------------------------------------------------------------


def test_document_json_carries_its_type(alice):
    doc_type = create_type(alice.client, "Invoice")
    document = make_document(alice, "Bill")
    assert document["document_type_id"] is None
    set_type(alice, document["id"], doc_type["id"])
    assert (
        alice.client.get(f"/api/documents/{document['id']}").json()["document_type_id"]
        == (doc_type["id"])
    )
    (item,) = children(alice, alice.home_id)["items"]
    assert item["document_type_id"] == doc_type["id"]
    set_type(alice, document["id"], None)
    assert alice.client.get(f"/api/documents/{document['id']}").json()["document_type_id"] is None


def test_changing_type_keeps_shared_fields_and_drops_the_rest(alice, db):
    shared = create_field(alice.client, "Date", "date")
    only_old = create_field(alice.client, "Total", "int")
    only_new = create_field(alice.client, "Salary", "monetary")
    old = create_type(alice.client, "Invoice", [shared["id"], only_old["id"]])
    new = create_type(alice.client, "Payslip", [only_new["id"], shared["id"]])
    document = make_document(alice, "Doc")
    set_type(alice, document["id"], old["id"])
    set_values(alice, document["id"], {"Date": "2024-01-02", "Total": 5})
    before = len(index_tasks_for(db, document["id"]))
    set_type(alice, document["id"], new["id"])
    assert len(index_tasks_for(db, document["id"])) == before + 1
    assert values_of(alice, document["id"]) == {"Salary": None, "Date": "2024-01-02"}
    set_type(alice, document["id"], new["id"])  # unchanged: nothing queued
    assert len(index_tasks_for(db, document["id"])) == before + 1
    set_type(alice, document["id"], None)
    assert values_of(alice, document["id"]) == {}
    with db.session() as session:
        assert session.scalars(select(CustomFieldValue)).all() == []


def test_removing_a_field_from_a_type_drops_its_values_and_reindexes(alice, db):
    document, (total, note) = typed_document(alice, ("Total", "int"), ("Note", "text"))
    set_values(alice, document["id"], {"Total": 1, "Note": "n"})
    type_id = alice.client.get(f"/api/documents/{document['id']}").json()["document_type_id"]
    before = len(index_tasks_for(db, document["id"]))
    response = alice.client.patch(
        f"/api/document-types/{type_id}", json={"custom_field_ids": [note["id"]]}
    )
    assert response.status_code == 200, response.text
    assert values_of(alice, document["id"]) == {"Note": "n"}
    assert len(index_tasks_for(db, document["id"])) == before + 1
    # Putting it back does not bring the old value back.
    alice.client.patch(
        f"/api/document-types/{type_id}", json={"custom_field_ids": [note["id"], total["id"]]}
    )
    assert values_of(alice, document["id"]) == {"Note": "n", "Total": None}


def test_renaming_or_deleting_a_type_reindexes_its_documents(alice, db):
    document, _ = typed_document(alice, ("Total", "int"))
    set_values(alice, document["id"], {"Total": 9})
    type_id = alice.client.get(f"/api/documents/{document['id']}").json()["document_type_id"]
    before = len(index_tasks_for(db, document["id"]))
    assert (
        alice.client.patch(f"/api/document-types/{type_id}", json={"name": "Renamed"}).status_code
        == 200
    )
    assert len(index_tasks_for(db, document["id"])) == before + 1
    assert alice.client.delete(f"/api/document-types/{type_id}").status_code == 204
    assert len(index_tasks_for(db, document["id"])) == before + 2
    assert alice.client.get(f"/api/documents/{document['id']}").json()["document_type_id"] is None
    assert values_of(alice, document["id"]) == {}
    with db.session() as session:
        assert session.scalars(select(CustomFieldValue)).all() == []


def test_documents_by_type_sorted_by_a_typed_field(alice):
    amount = create_field(alice.client, "Amount", "monetary")
    due = create_field(alice.client, "Due", "date")
    doc_type = create_type(alice.client, "Invoice", [amount["id"], due["id"]])
    for title, value, day in (
        ("a", "9.50", "2024-03-01"),
        ("b", "100", None),
        ("c", None, "2023-12-31"),
        ("d", "20", "2024-01-15"),
    ):
        document = make_document(alice, title)
        set_type(alice, document["id"], doc_type["id"])
        set_values(alice, document["id"], {"Amount": value, "Due": day})
    make_document(alice, "untyped")
    url = f"/api/documents/type/{doc_type['id']}"

    def titles(**params):
        response = alice.client.get(url, params={"page_size": 9, **params})
        assert response.status_code == 200, response.text
        return [item["title"] for item in response.json()["items"]]

    # Numbers compare as numbers (100 > 20 > 9.50), dates as dates; missing values come last.
    assert titles(order_by="Amount") == ["b", "d", "a", "c"]
    assert titles(order_by="amount", order="asc") == ["a", "d", "b", "c"]
    assert titles(order_by="Due", order="asc") == ["c", "d", "a", "b"]
    assert titles() == ["a", "b", "c", "d"]
    page = alice.client.get(url, params={"page_size": 3, "page_number": 2, "order_by": "Amount"})
    assert page.json()["num_pages"] == 2
    (item,) = page.json()["items"]
    assert item["custom_fields"] == [["Amount", None, "monetary"], ["Due", "2023-12-31", "date"]]
    assert item["document_type_id"] == doc_type["id"]
    assert alice.client.get(url, params={"order_by": "Nope"}).status_code == 422
    assert alice.client.get(url, params={"page_size": 100}).status_code == 422


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": ""}, ["body", "name"]),
        ({"name": "n" * 201}, ["body", "name"]),
        ({}, ["body", "name"]),
        ({"name": "x", "path_template": "p" * 2001}, ["body", "path_template"]),
        ({"name": "x", "custom_field_ids": ["nope"]}, ["body", "custom_field_ids", 0]),
        ({"name": "x", "group_id": str(uuid.uuid4())}, ["body", "group_id"]),
        ({"name": "x", "custom_field_ids": [str(uuid.uuid4())]}, ["body", "custom_field_ids"]),
    ],
)
def test_bad_type_bodies_are_422(alice, all_rows, body, loc):
    before = all_rows()
    response = alice.client.post("/api/document-types/", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc
    assert response.json()["detail"][0]["msg"]
    assert all_rows() == before


def test_a_field_listed_twice_is_422(alice, all_rows):
    field = create_field(alice.client, "Total", "int")
    doc_type = create_type(alice.client, "Bill", [field["id"]])
    before = all_rows()
    body = {"custom_field_ids": [field["id"], field["id"]]}
    created = alice.client.post("/api/document-types/", json={"name": "x", **body})
    updated = alice.client.patch(f"/api/document-types/{doc_type['id']}", json=body)
    for response in (created, updated):
        assert response.status_code == 422
        assert "more than once" in response.json()["detail"][0]["msg"]
    assert all_rows() == before


def test_unknown_type_for_a_document_is_422(alice, all_rows):
    document = make_document(alice, "Doc")
    before = all_rows()
    response = alice.client.patch(
        f"/api/documents/{document['id']}/type", json={"document_type_id": str(uuid.uuid4())}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "document_type_id"]
    bad = alice.client.patch(f"/api/documents/{document['id']}/type", json={"document_type_id": 1})
    assert bad.status_code == 422
    assert all_rows() == before


# --- another user's types, fields and documents -----------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_another_users_type_is_a_404_like_a_missing_one(alice, bob, all_rows, method):
    doc_type = create_type(alice.client, "Invoice")
    before = all_rows()
    body = {"name": "stolen"}
    theirs = bob.client.request(method, f"/api/document-types/{doc_type['id']}", json=body)
    missing = bob.client.request(method, f"/api/document-types/{uuid.uuid4()}", json=body)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json() == {"detail": "Document type not found"}
    by_type = bob.client.get(f"/api/documents/type/{doc_type['id']}")
    assert by_type.status_code == 404
    assert by_type.json() == {"detail": "Document type not found"}
    assert all_rows() == before


def test_another_users_types_are_never_listed(alice, bob):
    create_type(alice.client, "Invoice")
    assert bob.client.get("/api/document-types/").json()["items"] == []
    assert bob.client.get("/api/document-types/", params={"filter": "In"}).json()["num_pages"] == 0
    assert bob.client.get("/api/document-types/all").json() == []


def test_another_users_fields_and_types_cannot_be_used(alice, bob, all_rows):
    field = create_field(alice.client, "Total", "int")
    doc_type = create_type(alice.client, "Invoice", [field["id"]])
    mine = create_type(bob.client, "Mine")
    document = make_document(bob, "Doc")
    before = all_rows()
    in_type = bob.client.post(
        "/api/document-types/", json={"name": "x", "custom_field_ids": [field["id"]]}
    )
    missing = bob.client.post(
        "/api/document-types/", json={"name": "x", "custom_field_ids": [str(uuid.uuid4())]}
    )
    assert in_type.status_code == missing.status_code == 422
    assert in_type.json()["detail"][0]["msg"].startswith("unknown custom field ids")
    patched = bob.client.patch(
        f"/api/document-types/{mine['id']}", json={"custom_field_ids": [field["id"]]}
    )
    assert patched.status_code == 422
    assigned = bob.client.patch(
        f"/api/documents/{document['id']}/type", json={"document_type_id": doc_type["id"]}
    )
    unknown = bob.client.patch(
        f"/api/documents/{document['id']}/type", json={"document_type_id": str(uuid.uuid4())}
    )
    assert assigned.status_code == unknown.status_code == 422
    assert assigned.json()["detail"][0]["msg"].startswith("unknown document type id")
    assert all_rows() == before


def test_another_users_document_cannot_be_typed(alice, bob, all_rows):
    document = make_document(alice, "Doc")
    mine = create_type(bob.client, "Mine")
    before = all_rows()
    for doc_id in (document["id"], str(uuid.uuid4())):
        response = bob.client.patch(
            f"/api/documents/{doc_id}/type", json={"document_type_id": mine["id"]}
        )
        assert response.status_code == 404
        assert response.json() == {"detail": "Not Found"}
    assert all_rows() == before


# --- scopes -----------------------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/api/document-types/", "document_type.view", None),
    ("GET", "/api/document-types/all", "document_type.select", None),
    ("GET", "/api/document-types/{type}", "document_type.view", None),
    ("POST", "/api/document-types/", "document_type.create", {"name": "new"}),
    ("PATCH", "/api/document-types/{type}", "document_type.update", {"name": "renamed"}),
    ("DELETE", "/api/document-types/{type}", "document_type.delete", None),
    ("GET", "/api/documents/type/{type}", "node.view", None),
]


def insert_type(db, owner, name):
    with db.session() as session:
        doc_type = DocumentType(name=name, name_key=name.casefold(), user_id=owner.id)
        session.add(doc_type)
        session.commit()
        return str(doc_type.id)


def own(db, path):
    """The endpoint's URL for an object of the account's own, made without the API."""
    return lambda account: path.format(type=insert_type(db, account, "mine"))


@pytest.mark.parametrize(("method", "path", "scope", "body"), ENDPOINTS)
def test_each_endpoint_needs_its_scope(make_account, db, all_rows, method, path, scope, body):
    assert_refused_without(make_account, all_rows, scope, method, own(db, path), body)


@pytest.mark.parametrize(("method", "path", "scope", "body"), ENDPOINTS)
def test_each_endpoint_works_with_only_its_scope(make_account, db, method, path, scope, body):
    assert_served_with_only(make_account, scope, method, own(db, path), body)


@pytest.mark.parametrize("scope", ["node.update", "document.update.document_type"])
def test_setting_the_type_needs_both_scopes(make_account, db, all_rows, scope):
    account = make_account(scopes=ALL_SCOPES - {scope})
    document = make_document(account, "Doc")
    type_id = insert_type(db, account, "mine")
    before = all_rows()
    response = account.client.patch(
        f"/api/documents/{document['id']}/type", json={"document_type_id": type_id}
    )
    assert response.status_code == 403
    assert response.json() == {"detail": f"missing scopes: {scope}"}
    assert all_rows() == before


def test_reading_values_needs_node_view(make_account, db):
    account = make_account(scopes=ALL_SCOPES - {"node.view"})
    document = make_document(account, "Doc")
    response = account.client.get(f"/api/documents/{document['id']}/custom-fields")
    assert response.status_code == 403
    assert response.json() == {"detail": "missing scopes: node.view"}
