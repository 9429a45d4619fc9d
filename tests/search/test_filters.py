"""Filters: tags, document types, custom fields, dates and folders, in the query string and
as structured filters of ``POST /api/search/``; and malformed queries."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from quire.core.indexing import reindex_later
from quire.core.models import Node
from tests.helpers.custom_fields import create_field, create_type, set_type, set_values
from tests.helpers.nodes import make_folder
from tests.helpers.sharing import VIEWER, make_role, share


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


def typed_documents(search, account, fields, documents, **form):
    """Documents of one new type made of ``fields`` ({name: type}), with their values
    ({title: {name: value}}), indexed; ``form``: the upload's (``parent_id``)."""
    ids = [create_field(account.client, name, type_)["id"] for name, type_ in fields.items()]
    doc_type = create_type(account.client, f"type-{uuid.uuid4().hex[:6]}", ids)
    for title, values in documents.items():
        document = search.upload_unindexed(account, title, [f"{title} record"], **form)
        set_type(account, document["id"], doc_type["id"])
        response = set_values(account, document["id"], values)
        assert response.status_code == 200, response.text
    assert set(search.run_indexer()) <= {"succeeded"}


@pytest.fixture
def records(search, alice):
    """Documents "a" and "b" with values of a field of every type but dates."""
    fields = {
        "Count": "int",
        "City": "text",
        "Flag": "boolean",
        "Vendor": "text",
        "Code": "text",
        "Balance": "float",
    }
    values = {
        "a": {
            "Count": 2024,
            "City": "Toronto",
            "Flag": True,
            "Vendor": "AT&T",
            "Code": "2024",
            "Balance": -5,
        },
        "b": {
            "Count": 5000,
            "City": "Berlin",
            "Flag": False,
            "Vendor": "ACME",
            "Code": "007",
            "Balance": -150.5,
        },
    }
    typed_documents(search, alice, fields, values)


@pytest.mark.usefixtures("records")
def test_four_digits_are_a_number_in_a_number_field_and_text_in_a_text_field(search, alice):
    # They were taken for a year whatever the field: no number field matched them.
    assert search.titles(alice, "cf.count:2024") == ["a"]
    assert search.titles(alice, "cf.count:>1000") == ["a", "b"]
    assert search.titles(alice, "cf.count:[1000 TO 3000]") == ["a"]
    assert search.titles(alice, "cf.count:2024.0") == ["a"]
    body = {"custom_fields": [{"name": "Count", "op": "eq", "value": 2024}]}
    assert titles(search.post(alice, **body)) == ["a"]
    assert search.titles(alice, "cf.code:2024") == ["a"]
    assert search.titles(alice, "cf.code:007") == ["b"]
    # No field has the name: read every way the value's form allows (a number or a year).
    assert search.titles(alice, "cf.nothing:2024") == []
    assert search.titles(alice, "record -cf.nothing:[2000 TO 3000]") == ["a", "b"]
    # A value the field cannot hold is a 400 saying so.
    response = alice.client.get("/api/search/", params={"q": "x cf.count:abc"})
    assert response.status_code == 400, response.text
    assert response.json()["detail"]["msg"] == "malformed query: 'abc' is not a number at column 3"


@pytest.mark.usefixtures("records")
def test_a_value_with_a_capital_t_is_no_timestamp(search, alice):
    # Each was a 400: "'Toronto' is not a date".
    assert search.titles(alice, "cf.city:Toronto") == ["a"]
    assert search.titles(alice, "cf.flag:True") == ["a"]
    assert search.titles(alice, 'cf.vendor:"AT&T"') == ["a"]


@pytest.mark.usefixtures("records")
def test_negative_numbers_while_a_leading_minus_is_still_not(search, alice):
    # Each was a 400: "unexpected '-'".
    assert search.titles(alice, "cf.balance:-5") == ["a"]
    assert search.titles(alice, "cf.balance:<-100") == ["b"]
    assert search.titles(alice, "cf.balance:[-10 TO 0]") == ["a"]
    assert search.titles(alice, "cf.balance:>=-150.5") == ["a", "b"]
    assert search.titles(alice, "record -cf.balance:-5") == ["b"]
    assert search.titles(alice, "record -cf.balance:<-100") == ["a"]
    assert search.titles(alice, "record -b") == ["a"]


@pytest.mark.parametrize(
    ("one", "other"), [("Цена", "Сумма"), ("合計", "日付"), ("Ümlaut", "mlaut")]
)
def test_custom_fields_whose_names_differ_outside_ascii_are_apart(search, alice, one, other):
    typed_documents(
        search,
        alice,
        {one: "int", other: "int"},
        {"a": {one: 1, other: 2}, "b": {one: 2, other: 1}},
    )
    assert search.titles(alice, f"cf.{one}:1") == ["a"]
    assert search.titles(alice, f"cf.{other}:1") == ["b"]
    assert search.titles(alice, f"cf.{one.upper()}:[2 TO *]") == ["b"]
    body = {"custom_fields": [{"name": other, "op": "eq", "value": 2}]}
    assert titles(search.post(alice, **body)) == ["a"]


def test_a_shared_documents_values_are_typed_by_the_owners_fields(search, db, alice, bob):
    # Bob has no field "Code"; Alice's is text, so 2024 is the text "2024", not a number.
    folder = make_folder(alice, "shared")["id"]
    typed_documents(search, alice, {"Code": "text"}, {"coded": {"Code": "2024"}}, parent_id=folder)
    role = make_role(alice, "viewer", VIEWER)
    response = share(alice, [folder], [role], user_ids=[bob.user.id])
    assert response.status_code == 204, response.text
    assert set(search.run_indexer()) <= {"succeeded"}
    assert search.titles(bob, "cf.code:2024") == ["coded"]


def test_dates(search, alice):
    old = search.upload(alice, "old", ["letter"])
    new = search.upload(alice, "new", ["letter"])
    created(search, old, datetime(2023, 12, 31, 23, 30, tzinfo=UTC))
    created(search, new, datetime(2024, 6, 1, 8, 0, tzinfo=UTC))
    assert search.titles(alice, "created:[2024-01-01 TO 2024-12-31]") == ["new"]
    assert search.titles(alice, "created:2023") == ["old"]
    assert search.titles(alice, "created:2023-12-31") == ["old"]
    assert search.titles(alice, 'created:"2023-12-31"') == ["old"]
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
        # Counted from the query's start, not from the last line break.
        ("aaa\nb)", 6),
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
