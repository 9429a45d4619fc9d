"""Filters: tags, document types, custom fields, dates and folders, in the query string and
as structured filters of ``POST /api/search/``; and malformed queries."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from quire.core.indexing import reindex_later
from quire.core.models import Node


def tag(account, node, *names):
    response = account.client.post(f"/api/nodes/{node['id']}/tags", json=list(names))
    assert response.status_code == 200, response.text


def created(search, node, moment):
    """Back-date a node (as an import would) and let the indexer see it."""
    with search.db.session() as session:
        session.execute(
            update(Node).where(Node.id == uuid.UUID(node["id"])).values(created_at=moment)
        )
        reindex_later(session, [uuid.UUID(node["id"])])
        session.commit()
    search.run_indexer()


@pytest.fixture
def tagged(search, alice):
    paid = search.upload(alice, "paid bill", ["electricity bill"])
    open_bill = search.upload(alice, "open bill", ["water bill"])
    archived = search.upload(alice, "old bill", ["gas bill"])
    tag(alice, paid, "paid", "2024")
    tag(alice, open_bill, "todo", "2024")
    tag(alice, archived, "paid", "archive")
    search.run_indexer()
    return paid, open_bill, archived


def titles(results):
    return sorted(item["title"] for item in results["items"])


def test_tags_in_the_query(search, alice, tagged):
    assert search.titles(alice, "tag:paid") == ["old bill", "paid bill"]
    assert search.titles(alice, "bill tag:paid -tag:archive") == ["paid bill"]
    assert search.titles(alice, "tag:PAID tag:2024") == ["paid bill"]
    assert search.titles(alice, "tag:todo OR tag:archive") == ["old bill", "open bill"]
    # A tag's words are found as free text too.
    assert search.titles(alice, "todo") == ["open bill"]


def test_structured_tag_filters(search, alice, tagged):
    assert titles(search.post(alice, tags={"any": ["todo", "archive"]})) == [
        "old bill",
        "open bill",
    ]
    assert titles(search.post(alice, tags={"all": ["paid", "2024"]})) == ["paid bill"]
    assert titles(search.post(alice, q="bill", tags={"not": ["paid"]})) == ["open bill"]


def test_renaming_or_deleting_a_tag_reaches_the_index(search, alice, tagged):
    tags = {t["name"]: t["id"] for t in alice.client.get("/api/tags/all").json()}
    assert (
        alice.client.patch(f"/api/tags/{tags['todo']}", json={"name": "urgent"}).status_code == 200
    )
    assert alice.client.delete(f"/api/tags/{tags['archive']}").status_code == 204
    search.run_indexer()
    assert search.titles(alice, "tag:urgent") == ["open bill"]
    assert search.titles(alice, "tag:todo") == []
    assert search.titles(alice, "tag:archive") == []


def test_document_types_and_custom_fields(search, alice):
    amount = alice.client.post("/api/custom-fields/", json={"name": "Amount", "type": "monetary"})
    due = alice.client.post("/api/custom-fields/", json={"name": "Due", "type": "date"})
    vendor = alice.client.post("/api/custom-fields/", json={"name": "Vendor", "type": "text"})
    fields = [r.json()["id"] for r in (amount, due, vendor)]
    invoice_type = alice.client.post(
        "/api/document-types/", json={"name": "Invoice", "custom_field_ids": fields}
    ).json()
    documents = {}
    for title, values in {
        "big": ("250.00", "2024-03-31", "ACME Corp"),
        "small": ("99.50", "2024-07-15", "Globex"),
        "none": None,
    }.items():
        document = search.upload(alice, title, [f"{title} invoice"])
        documents[title] = document
        if values is None:
            continue
        response = alice.client.patch(
            f"/api/documents/{document['id']}/type",
            json={"document_type_id": invoice_type["id"]},
        )
        assert response.status_code == 200, response.text
        response = alice.client.patch(
            f"/api/documents/{document['id']}/custom-fields",
            json=[
                {"custom_field_id": field, "value": value}
                for field, value in zip(fields, values, strict=True)
            ],
        )
        assert response.status_code == 200, response.text
    assert set(search.run_indexer()) <= {"succeeded"}

    assert search.titles(alice, "type:invoice") == ["big", "small"]
    assert search.titles(alice, "cf.amount:>100") == ["big"]
    assert search.titles(alice, "cf.amount:[50 TO 100]") == ["small"]
    assert search.titles(alice, "cf.amount:99.5") == ["small"]
    assert search.titles(alice, "cf.due:[2024-01-01 TO 2024-03-31]") == ["big"]
    assert search.titles(alice, "cf.due:2024-07") == ["small"]
    assert search.titles(alice, 'cf.vendor:"acme corp"') == ["big"]
    assert search.titles(alice, "invoice -type:invoice") == ["none"]
    body = {"custom_fields": [{"name": "Amount", "op": "gte", "value": 99.5}], "types": ["Invoice"]}
    assert titles(search.post(alice, **body)) == ["big", "small"]
    body = {"custom_fields": [{"name": "Due", "op": "lt", "value": "2024-07-15"}]}
    assert titles(search.post(alice, **body)) == ["big"]
    body = {"custom_fields": [{"name": "Vendor", "op": "ne", "value": "Globex"}], "q": "invoice"}
    assert titles(search.post(alice, **body)) == ["big", "none"]


def test_dates(search, alice):
    old = search.upload(alice, "old", ["letter"])
    new = search.upload(alice, "new", ["letter"])
    created(search, old, datetime(2023, 12, 31, 23, 30, tzinfo=UTC))
    created(search, new, datetime(2024, 6, 1, 8, 0, tzinfo=UTC))
    assert search.titles(alice, "created:[2024-01-01 TO 2024-12-31]") == ["new"]
    assert search.titles(alice, "created:2023") == ["old"]
    assert search.titles(alice, "created:2023-12-31") == ["old"]
    assert search.titles(alice, "letter created:<2024-06-01") == ["old"]
    assert search.titles(alice, "letter created:<=2024-06-01") == ["new", "old"]
    assert search.titles(alice, "created:{2023-12-31 TO *]") == ["new"]
    body = {"q": "letter", "created": {"from": "2024-01-01", "to": "2024-12-31"}}
    assert titles(search.post(alice, **body)) == ["new"]


def test_folder_subtree_and_kind(search, alice):
    def folder(title, parent):
        body = {"title": title, "ctype": "folder", "parent_id": parent}
        response = alice.client.post("/api/nodes/", json=body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    taxes = folder("Taxes", alice.home_id)
    year = folder("2024 taxes", taxes)
    search.upload(alice, "deep", ["receipt"], parent_id=year)
    search.upload(alice, "elsewhere", ["receipt"])
    search.run_indexer()
    assert titles(search.post(alice, q="receipt", folder_id=taxes)) == ["deep"]
    assert titles(search.post(alice, folder_id=taxes)) == ["2024 taxes", "deep"]
    assert titles(search.post(alice, folder_id=taxes, ctype="folder")) == ["2024 taxes"]
    assert titles(search.post(alice, q="taxes", ctype="document")) == []


@pytest.mark.parametrize(
    ("query", "column"),
    [
        ('"not closed', 1),
        ("a OR", 5),
        ("(a b", 5),
        ("a)", 2),
        ("*", 1),
        ("tag:[a TO b]", 1),
        ("created:[yesterday TO 2024]", 1),
        ("cf.amount:[ten TO 20]", 1),
    ],
)
def test_a_malformed_query_is_a_400_that_says_where(search, alice, query, column):
    response = alice.client.get("/api/search/", params={"q": query})
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert detail["column"] == column
    assert detail["msg"].startswith("malformed query:")
    assert detail["query"] == query


def test_bad_parameters_are_422(search, alice):
    for params in ({"page_size": 0}, {"page_size": 101}, {"sort": "owner"}, {"q": "x" * 2001}):
        assert alice.client.get("/api/search/", params={"q": "", **params}).status_code == 422
    for body in (
        {"tags": {"some": ["x"]}},
        {"custom_fields": [{"name": "a", "op": "like", "value": 1}]},
    ):
        assert alice.client.post("/api/search/", json=body).status_code == 422
