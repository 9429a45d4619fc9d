"""Custom fields and document types made through the API, and documents' values of them."""

import uuid

from sqlalchemy import select

from quire.core.indexing import INDEX_TASK
from quire.core.models import TaskRecord
from tests.helpers.nodes import make_document

# What the API answers for each of a document's custom fields.
CFV_KEYS = {
    "document_id",
    "document_type_id",
    "custom_field_id",
    "name",
    "type",
    "extra_data",
    "custom_field_value_id",
    "value",
}


def create_field(client, name, type_="text", **fields):
    response = client.post("/api/custom-fields/", json={"name": name, "type": type_, **fields})
    assert response.status_code == 201, response.text
    return response.json()


def create_type(client, name, field_ids=(), **fields):
    body = {"name": name, "custom_field_ids": [str(i) for i in field_ids], **fields}
    response = client.post("/api/document-types/", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def set_type(account, document_id, type_id):
    response = account.client.patch(
        f"/api/documents/{document_id}/type", json={"document_type_id": type_id}
    )
    assert response.status_code == 200, response.text
    assert response.json() is None


def typed_document(account, *fields):
    """A document of a new type made of ``fields`` ((name, type) pairs); (document, fields)."""
    made = [create_field(account.client, name, type_) for name, type_ in fields]
    doc_type = create_type(account.client, f"type-{uuid.uuid4().hex[:6]}", [f["id"] for f in made])
    document = make_document(account, f"Invoice {uuid.uuid4().hex[:6]}")
    set_type(account, document["id"], doc_type["id"])
    return document, made


def set_values(account, document_id, values):
    items = [{"key": name, "value": value} for name, value in values.items()]
    return account.client.patch(f"/api/documents/{document_id}/custom-fields", json=items)


def values_of(account, document_id):
    response = account.client.get(f"/api/documents/{document_id}/custom-fields")
    assert response.status_code == 200, response.text
    return {item["name"]: item["value"] for item in response.json()}


def index_tasks_for(db, node_id):
    with db.session() as session:
        tasks = session.scalars(select(TaskRecord).where(TaskRecord.name == INDEX_TASK))
        return [task.id for task in tasks if str(node_id) in task.args["node_ids"]]


def names(response):
    """The names in a listing (a page's items, or a plain list), once it answered 200."""
    assert response.status_code == 200, response.text
    body = response.json()
    return [item["name"] for item in (body["items"] if isinstance(body, dict) else body)]
