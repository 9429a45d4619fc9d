"""/api/custom-fields: per-user typed fields."""

import uuid

import pytest

from quire.core.models import CustomField
from tests.api.scope_checks import assert_refused_without, assert_served_with_only
from tests.helpers.custom_fields import create_field, names, set_values, typed_document

FIELD_KEYS = {"id", "name", "type", "extra_data", "group_id", "group_name"}


# --- custom fields: happy paths -----------------------------------------------------------------


@pytest.mark.parametrize(
    "type_", ["text", "date", "boolean", "int", "float", "monetary", "yearmonth"]
)
def test_create_each_type_and_read_it_back(alice, type_):
    field = create_field(alice.client, f"f-{type_}", type_)
    assert set(field) == FIELD_KEYS
    assert field["type"] == type_
    assert field["extra_data"] is None
    assert field["group_id"] is None
    assert alice.client.get(f"/api/custom-fields/{field['id']}").json() == field


def test_extra_data_json_string_becomes_an_object(alice):
    field = create_field(alice.client, "Total", "monetary", extra_data='{"currency": "EUR"}')
    assert field["extra_data"] == {"currency": "EUR"}
    plain = create_field(alice.client, "Note", "text", extra_data="free words")
    assert plain["extra_data"] == "free words"
    obj = create_field(alice.client, "Net", "monetary", extra_data={"currency": "CHF"})
    assert obj["extra_data"] == {"currency": "CHF"}


def test_list_all_filter_and_order(alice):
    for name, type_ in (("delta", "int"), ("Alpha", "text"), ("charlie", "date"), ("bravo", "int")):
        create_field(alice.client, name, type_)
    page = alice.client.get("/api/custom-fields/", params={"page_size": 3})
    assert names(page) == ["Alpha", "bravo", "charlie"]
    assert page.json()["num_pages"] == 2
    ordered = alice.client.get("/api/custom-fields/", params={"order_by": "-name", "page_size": 9})
    assert names(ordered) == ["delta", "charlie", "bravo", "Alpha"]
    by_type = alice.client.get("/api/custom-fields/", params={"order_by": "type", "page_size": 9})
    assert names(by_type) == ["charlie", "bravo", "delta", "Alpha"]
    filtered = alice.client.get("/api/custom-fields/", params={"filter": "HA", "page_size": 9})
    assert names(filtered) == ["Alpha", "charlie"]
    assert names(alice.client.get("/api/custom-fields/all")) == [
        "Alpha",
        "bravo",
        "charlie",
        "delta",
    ]
    other_group = alice.client.get("/api/custom-fields/all", params={"group_id": str(uuid.uuid4())})
    assert other_group.json() == []


def test_update_and_delete(alice):
    field = create_field(alice.client, "Total", "float")
    response = alice.client.patch(
        f"/api/custom-fields/{field['id']}",
        json={"name": "Sum", "type": "monetary", "extra_data": '{"currency": "USD"}'},
    )
    assert response.status_code == 200, response.text
    assert response.json() == field | {
        "name": "Sum",
        "type": "monetary",
        "extra_data": {"currency": "USD"},
    }
    assert (
        alice.client.patch(f"/api/custom-fields/{field['id']}", json={}).json() == response.json()
    )
    cleared = alice.client.patch(f"/api/custom-fields/{field['id']}", json={"extra_data": None})
    assert cleared.json()["extra_data"] is None
    assert alice.client.delete(f"/api/custom-fields/{field['id']}").status_code == 204
    assert alice.client.get(f"/api/custom-fields/{field['id']}").status_code == 404


def test_names_are_unique_per_user_ignoring_case_only(alice, bob, all_rows):
    create_field(alice.client, "Total")
    other = create_field(alice.client, "Café")
    create_field(alice.client, "Cafe")  # accents count, on MariaDB too
    create_field(bob.client, "total")
    before = all_rows()
    duplicate = alice.client.post("/api/custom-fields/", json={"name": "TOTAL", "type": "int"})
    assert duplicate.status_code == 409
    assert duplicate.json() == {"detail": "you already have a custom field named 'TOTAL'"}
    renamed = alice.client.patch(f"/api/custom-fields/{other['id']}", json={"name": "total"})
    assert renamed.status_code == 409
    assert all_rows() == before


def test_type_of_a_field_with_values_cannot_change(alice, all_rows):
    document, (field,) = typed_document(alice, ("Amount", "int"))
    set_values(alice, document["id"], {"Amount": 3})
    before = all_rows()
    response = alice.client.patch(f"/api/custom-fields/{field['id']}", json={"type": "text"})
    assert response.status_code == 409
    assert "has values on 1 document" in response.json()["detail"]
    assert all_rows() == before
    set_values(alice, document["id"], {"Amount": None})
    assert (
        alice.client.patch(f"/api/custom-fields/{field['id']}", json={"type": "text"}).json()[
            "type"
        ]
        == "text"
    )


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"name": "", "type": "text"}, ["body", "name"]),
        ({"name": "n" * 201, "type": "text"}, ["body", "name"]),
        ({"name": "x", "type": "select"}, ["body", "type"]),
        ({"name": "x"}, ["body", "type"]),
        ({"type": "text"}, ["body", "name"]),
        ({"name": "x", "type": "text", "group_id": str(uuid.uuid4())}, ["body", "group_id"]),
        ({"name": "x", "type": "text", "extra_data": "e" * 4001}, ["body", "extra_data"]),
        (
            {"name": "x", "type": "monetary", "extra_data": {"currency": "euro"}},
            ["body", "extra_data"],
        ),
        # The pattern's $ matched before a final newline.
        (
            {"name": "x", "type": "monetary", "extra_data": {"currency": "EUR\n"}},
            ["body", "extra_data"],
        ),
        ({"name": "a\x00b", "type": "text"}, ["body", "name"]),
    ],
)
def test_bad_field_bodies_are_422(alice, all_rows, body, loc):
    before = all_rows()
    response = alice.client.post("/api/custom-fields/", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc
    assert response.json()["detail"][0]["msg"]
    assert all_rows() == before


def test_bad_currency_on_update_is_422(alice, all_rows):
    field = create_field(alice.client, "Total", "monetary")
    before = all_rows()
    url = f"/api/custom-fields/{field['id']}"
    response = alice.client.patch(url, json={"extra_data": '{"currency": "12"}'})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "extra_data"]
    assert "ISO 4217" in response.json()["detail"][0]["msg"]
    assert alice.client.get("/api/custom-fields/not-a-uuid").status_code == 422
    assert all_rows() == before


# --- another user's fields and documents --------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_another_users_field_is_a_404_like_a_missing_one(alice, bob, all_rows, method):
    field = create_field(alice.client, "Total", "int")
    before = all_rows()
    body = {"name": "stolen"}
    theirs = bob.client.request(method, f"/api/custom-fields/{field['id']}", json=body)
    missing = bob.client.request(method, f"/api/custom-fields/{uuid.uuid4()}", json=body)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json() == {"detail": "Custom field not found"}
    assert all_rows() == before


def test_another_users_fields_are_never_listed(alice, bob):
    create_field(alice.client, "Total", "int")
    assert bob.client.get("/api/custom-fields/").json()["items"] == []
    assert bob.client.get("/api/custom-fields/", params={"filter": "Tot"}).json()["num_pages"] == 0
    assert bob.client.get("/api/custom-fields/all").json() == []


# --- scopes -----------------------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/api/custom-fields/", "custom_field.view", None),
    ("GET", "/api/custom-fields/all", "custom_field.view", None),
    ("GET", "/api/custom-fields/{field}", "custom_field.view", None),
    ("POST", "/api/custom-fields/", "custom_field.create", {"name": "new", "type": "int"}),
    ("PATCH", "/api/custom-fields/{field}", "custom_field.update", {"name": "renamed"}),
    ("DELETE", "/api/custom-fields/{field}", "custom_field.delete", None),
]


def insert_field(db, owner, name):
    with db.session() as session:
        field = CustomField(name=name, name_key=name.casefold(), type="int", user_id=owner.id)
        session.add(field)
        session.commit()
        return str(field.id)


def own(db, path):
    """The endpoint's URL for an object of the account's own, made without the API."""
    return lambda account: path.format(field=insert_field(db, account, "mine"))


@pytest.mark.parametrize(("method", "path", "scope", "body"), ENDPOINTS)
def test_each_endpoint_needs_its_scope(make_account, db, all_rows, method, path, scope, body):
    assert_refused_without(make_account, all_rows, scope, method, own(db, path), body)


@pytest.mark.parametrize(("method", "path", "scope", "body"), ENDPOINTS)
def test_each_endpoint_works_with_only_its_scope(make_account, db, method, path, scope, body):
    assert_served_with_only(make_account, scope, method, own(db, path), body)
