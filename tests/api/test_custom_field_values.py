"""Documents' custom-field values: every type checked and stored typed, reindexed on change."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from quire.core.custom_fields import custom_field_values
from quire.core.models import CustomFieldValue, Document
from quire.core.scopes import ALL_SCOPES
from tests.helpers.custom_fields import (
    CFV_KEYS,
    create_field,
    create_type,
    index_tasks_for,
    set_type,
    set_values,
    typed_document,
    values_of,
)
from tests.helpers.nodes import make_document
from tests.helpers.sharing import VIEWER, make_role, share

# --- documents' values: every type ------------------------------------------------------------

VALID = [
    ("text", "ACME Corp.", "ACME Corp."),
    ("text", "ünïcødé ✓", "ünïcødé ✓"),
    ("int", 42, 42),
    ("int", "-17", -17),
    ("int", 3.0, 3),
    ("int", 2**63 - 1, 2**63 - 1),
    ("float", 3.25, 3.25),
    ("float", "1e3", 1000.0),
    ("float", 7, 7.0),
    ("monetary", 1234.5, 1234.5),
    ("monetary", "99.99", 99.99),
    ("monetary", -3, -3.0),
    ("monetary", "9999999999999.99", 9999999999999.99),
    ("date", "2024-02-29", "2024-02-29"),
    ("boolean", True, True),
    ("boolean", False, False),
    ("boolean", "TRUE", True),
    ("yearmonth", "2023-02", "2023-02"),
]


@pytest.mark.parametrize(("type_", "value", "expected"), VALID)
def test_valid_values_are_stored_typed(alice, db, type_, value, expected):
    document, (field,) = typed_document(alice, ("Field", type_))
    response = set_values(alice, document["id"], {"Field": value})
    assert response.status_code == 200, response.text
    (item,) = response.json()
    assert set(item) == CFV_KEYS
    assert item["value"] == expected
    assert item["custom_field_id"] == field["id"]
    assert item["custom_field_value_id"] is not None
    assert values_of(alice, document["id"]) == {"Field": expected}


INVALID = [
    ("text", 12, "must be a string"),
    ("text", "x" * 10_001, "at most 10000 characters"),
    # PostgreSQL answered 500, SQLite and MariaDB stored it.
    ("text", "a\x00b", "NUL"),
    ("int", 1.5, "whole number"),
    ("int", "twelve", "whole number"),
    ("int", True, "whole number"),
    ("int", 2**63, "out of range"),
    ("int", "9" * 5000, "whole number"),
    ("float", "abc", "must be a number"),
    ("float", "nan", "finite"),
    ("float", False, "must be a number"),
    # Past a float's range: OverflowError, a 500.
    ("float", 10**400, "finite"),
    ("float", -(10**400), "finite"),
    # ASCII digits only, and no digit separators, for every type.
    ("float", "1_000", "must be a number"),
    ("int", "\u0661\u0662", "whole number"),  # Arabic-Indic 12
    ("monetary", "1_000", "amount"),
    ("yearmonth", "\uff12\uff10\uff12\uff14-05", "YYYY-MM"),  # fullwidth 2024
    ("monetary", "12.345", "at most 2 decimal places"),
    ("monetary", "1e13", "less than"),
    ("monetary", "1e999999", "less than"),
    ("monetary", "ten", "amount"),
    ("monetary", [1], "amount"),
    ("date", "2023-02-30", "not a valid date"),
    ("date", "01.02.2023", "YYYY-MM-DD"),
    ("date", 20230201, "YYYY-MM-DD"),
    ("boolean", "yes", "true or false"),
    ("boolean", 1, "true or false"),
    ("yearmonth", "2023-13", "YYYY-MM"),
    ("yearmonth", "2023-02-01", "YYYY-MM"),
]


@pytest.mark.parametrize(("type_", "value", "reason"), INVALID)
def test_invalid_values_are_422_naming_the_field_and_change_nothing(
    alice, all_rows, type_, value, reason
):
    document, _ = typed_document(alice, ("Other", "text"), ("Field", type_))
    assert set_values(alice, document["id"], {"Other": "kept"}).status_code == 200
    before = all_rows()
    response = set_values(alice, document["id"], {"Other": "changed", "Field": value})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", 1, "value"]
    assert error["custom_field"] == "Field"
    assert "'Field'" in error["msg"]
    assert reason in error["msg"]
    assert all_rows() == before


def test_a_zero_amount_is_stored_and_answered_without_a_sign(alice, db):
    document, _ = typed_document(alice, ("Amount", "monetary"))
    response = set_values(alice, document["id"], {"Amount": "-0"})
    assert response.status_code == 200, response.text
    assert '"value":-0' not in response.text.replace(" ", "")
    with db.session() as session:
        (stored,) = session.scalars(select(CustomFieldValue.value_monetary)).all()
    assert not Decimal(stored).is_signed()


def test_null_and_empty_string_clear_a_value(alice):
    document, _ = typed_document(alice, ("Amount", "monetary"), ("Due", "date"))
    set_values(alice, document["id"], {"Amount": "10.00", "Due": "2024-01-31"})
    assert set_values(alice, document["id"], {"Amount": None, "Due": ""}).status_code == 200
    assert values_of(alice, document["id"]) == {"Amount": None, "Due": None}


def test_values_by_field_id_and_name_ignoring_case(alice):
    document, (amount, _) = typed_document(alice, ("Amount", "int"), ("Note", "text"))
    items = [
        {"custom_field_id": amount["id"], "value": 5},
        {"key": "NOTE", "value": "hi", "custom_field_value_id": None},
    ]
    response = alice.client.patch(f"/api/documents/{document['id']}/custom-fields", json=items)
    assert response.status_code == 200, response.text
    assert values_of(alice, document["id"]) == {"Amount": 5, "Note": "hi"}


def test_unknown_duplicate_and_unnamed_items_are_422(alice, all_rows):
    document, _ = typed_document(alice, ("Amount", "int"))
    elsewhere = create_field(alice.client, "Elsewhere", "int")
    before = all_rows()
    url = f"/api/documents/{document['id']}/custom-fields"
    unknown = alice.client.patch(url, json=[{"key": "Nope", "value": 1}])
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", 0, "key"]
    not_in_type = alice.client.patch(url, json=[{"custom_field_id": elsewhere["id"], "value": 1}])
    assert not_in_type.status_code == 422
    assert not_in_type.json()["detail"][0]["loc"] == ["body", 0, "custom_field_id"]
    twice = alice.client.patch(url, json=[{"key": "Amount", "value": 1}, {"key": "amount"}])
    assert twice.status_code == 422
    assert "given twice" in twice.json()["detail"][0]["msg"]
    assert alice.client.patch(url, json=[{"value": 1}]).status_code == 422
    assert alice.client.patch(url, json={"Amount": 1}).status_code == 422
    assert all_rows() == before


def test_untyped_document_has_no_fields_and_takes_no_values(alice, all_rows):
    document = make_document(alice, "Plain")
    assert values_of(alice, document["id"]) == {}
    before = all_rows()
    response = set_values(alice, document["id"], {"Amount": 1})
    assert response.status_code == 422
    assert "no document type" in response.json()["detail"][0]["msg"]
    assert all_rows() == before


def test_core_reader_gives_typed_python_values(alice, db):
    document, _ = typed_document(
        alice,
        ("Text", "text"),
        ("Int", "int"),
        ("Float", "float"),
        ("Money", "monetary"),
        ("Date", "date"),
        ("Bool", "boolean"),
        ("Month", "yearmonth"),
        ("Empty", "text"),
    )
    values = {
        "Text": "t",
        "Int": "7",
        "Float": 0.5,
        "Money": "12.30",
        "Date": "2024-05-06",
        "Bool": False,
        "Month": "2024-07",
    }
    assert set_values(alice, document["id"], values).status_code == 200
    with db.session() as session:
        result = custom_field_values(session, session.get(Document, uuid.UUID(document["id"])))
    assert result == {
        "Text": "t",
        "Int": 7,
        "Float": 0.5,
        "Money": Decimal("12.30"),
        "Date": date(2024, 5, 6),
        "Bool": False,
        "Month": date(2024, 7, 1),
    }
    assert type(result["Int"]) is int
    assert type(result["Bool"]) is bool


def test_values_are_stored_in_their_typed_column(alice, db):
    """What a search filter needs: ``amount > 100`` and date ranges compare typed columns."""
    document, (amount, due) = typed_document(alice, ("Amount", "monetary"), ("Due", "date"))
    set_values(alice, document["id"], {"Amount": "150.25", "Due": "2024-03-01"})
    other = make_document(alice, "Other")
    type_id = alice.client.get(f"/api/documents/{document['id']}").json()["document_type_id"]
    set_type(alice, other["id"], type_id)
    # As text, "99.00" > "150.25" and "2024-12-01" sorts inside a February-March range.
    set_values(alice, other["id"], {"Amount": "99.00", "Due": "2024-12-01"})
    with db.session() as session:
        over_100 = session.scalars(
            select(CustomFieldValue.document_id).where(
                CustomFieldValue.field_id == uuid.UUID(amount["id"]),
                CustomFieldValue.value_monetary > 100,
            )
        ).all()
        in_range = session.scalars(
            select(CustomFieldValue.document_id).where(
                CustomFieldValue.field_id == uuid.UUID(due["id"]),
                CustomFieldValue.value_date.between(date(2024, 2, 1), date(2024, 3, 31)),
            )
        ).all()
    assert [str(i) for i in over_100] == [document["id"]]
    assert [str(i) for i in in_range] == [document["id"]]


# --- the search index hears of every change ---------------------------------------------------


def test_value_change_enqueues_the_index_task(alice, db):
    document, _ = typed_document(alice, ("Amount", "int"))
    before = index_tasks_for(db, document["id"])
    assert set_values(alice, document["id"], {"Amount": 1}).status_code == 200
    after_set = index_tasks_for(db, document["id"])
    assert len(after_set) == len(before) + 1
    # The same value again changes nothing, so nothing is queued.
    assert set_values(alice, document["id"], {"Amount": "1"}).status_code == 200
    assert index_tasks_for(db, document["id"]) == after_set
    assert set_values(alice, document["id"], {"Amount": None}).status_code == 200
    assert len(index_tasks_for(db, document["id"])) == len(after_set) + 1


def test_renaming_or_deleting_a_field_reindexes_its_documents(alice, db):
    document, (field,) = typed_document(alice, ("Amount", "int"))
    untouched, _ = typed_document(alice, ("Other", "int"))
    set_values(alice, document["id"], {"Amount": 3})
    counts = len(index_tasks_for(db, document["id"])), len(index_tasks_for(db, untouched["id"]))
    url = f"/api/custom-fields/{field['id']}"
    assert alice.client.patch(url, json={"name": "Total"}).status_code == 200
    assert values_of(alice, document["id"]) == {"Total": 3}
    assert len(index_tasks_for(db, document["id"])) == counts[0] + 1
    assert alice.client.delete(url).status_code == 204
    assert len(index_tasks_for(db, document["id"])) == counts[0] + 2
    assert values_of(alice, document["id"]) == {}
    assert len(index_tasks_for(db, untouched["id"])) == counts[1]
    with db.session() as session:
        assert session.scalars(select(CustomFieldValue)).all() == []


def test_another_users_document_values_are_a_404(alice, bob, all_rows):
    document, _ = typed_document(alice, ("Amount", "int"))
    set_values(alice, document["id"], {"Amount": 1})
    before = all_rows()
    for doc_id in (document["id"], str(uuid.uuid4())):
        url = f"/api/documents/{doc_id}/custom-fields"
        assert bob.client.get(url).json() == {"detail": "Not Found"}
        changed = bob.client.patch(url, json=[{"key": "Amount", "value": 2}])
        assert changed.status_code == 404
        assert changed.json() == {"detail": "Not Found"}
    assert all_rows() == before


@pytest.mark.parametrize("scope", ["node.update", "document.update.custom_fields"])
def test_setting_values_needs_both_scopes(make_account, db, all_rows, scope):
    account = make_account(scopes=ALL_SCOPES - {scope})
    field = create_field(account.client, "Amount", "int")
    doc_type = create_type(account.client, "Bill", [field["id"]])
    document = make_document(account, "Invoice")
    with db.session() as session:  # the account may not set the type itself
        session.get(Document, uuid.UUID(document["id"])).document_type_id = uuid.UUID(
            doc_type["id"]
        )
        session.commit()
    before = all_rows()
    response = set_values(account, document["id"], {"Amount": 1})
    assert response.status_code == 403
    assert response.json() == {"detail": f"missing scopes: {scope}"}
    assert all_rows() == before
    assert values_of(account, document["id"]) == {"Amount": None}


# --- a shared document: the share's role decides --------------------------------------------


def test_a_grantee_reads_and_sets_values_as_the_shares_role_allows(alice, bob, all_rows):
    from quire.core.scopes import DOCUMENT_UPDATE_CUSTOM_FIELDS, DOCUMENT_UPDATE_DOCUMENT_TYPE

    document, _ = typed_document(alice, ("Amount", "int"))
    set_values(alice, document["id"], {"Amount": 1})
    other_type = create_type(alice.client, "Receipt")
    url = f"/api/documents/{document['id']}/custom-fields"
    viewer = make_role(alice, "viewer", VIEWER)
    assert share(alice, [document["id"]], [viewer], [bob.id]).status_code == 204
    assert values_of(bob, document["id"]) == {"Amount": 1}
    before = all_rows()
    refused = bob.client.patch(url, json=[{"key": "Amount", "value": 2}])
    assert refused.status_code == 403
    type_url = f"/api/documents/{document['id']}/type"
    assert bob.client.patch(type_url, json={"document_type_id": None}).status_code == 403
    assert all_rows() == before

    editor = make_role(
        alice, "filer", VIEWER | {DOCUMENT_UPDATE_CUSTOM_FIELDS, DOCUMENT_UPDATE_DOCUMENT_TYPE}
    )
    assert share(alice, [document["id"]], [editor], [bob.id]).status_code == 204
    changed = bob.client.patch(url, json=[{"key": "Amount", "value": 2}])
    assert changed.status_code == 200, changed.text
    assert values_of(alice, document["id"]) == {"Amount": 2}
    # The owner's document types, not the grantee's own.
    own_type = create_type(bob.client, "Bob's type")
    wrong = bob.client.patch(type_url, json={"document_type_id": own_type["id"]})
    assert wrong.status_code == 422
    set_type(bob, document["id"], other_type["id"])
    assert values_of(alice, document["id"]) == {}
