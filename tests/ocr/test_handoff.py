"""When OCR ends, the rest is queued through the outbox: the index task for the new version's
text, and an event for the owner's browser (``GET /api/events/``)."""

import uuid

from sqlalchemy import select

from quire.core.models import TaskRecord
from quire.core.storage import docver_key
from tests import samples
from tests.ocr.helpers import document, run_ocr, upload


def index_tasks_for(db, document_id):
    with db.session() as session:
        rows = session.scalars(select(TaskRecord).where(TaskRecord.name == "index"))
        return [row for row in rows if document_id in row.args["node_ids"]]


def events(account, after=0, kinds=("ocr.succeeded", "ocr.failed")):
    """The account's OCR outcomes (the upload's own events, node.created, document.uploaded,
    ocr.started, are docs/events.md's and tests/notify's subject)."""
    response = account.client.get("/api/events/", params={"after": after})
    assert response.status_code == 200, response.text
    return [event for event in response.json() if event["kind"] in kinds]


def test_a_finished_ocr_queues_indexing_and_tells_the_owner(app, db, alice, bob, automatic_ocr):
    uploaded = upload(alice, samples.scanned_pdf(["Invoice number 4711"]))
    before = len(index_tasks_for(db, uploaded["id"]))
    assert events(alice) == []
    assert run_ocr(app, db) == ["succeeded"]
    ocrd = document(alice, uploaded["id"])["versions"][-1]
    # The new version's text goes to the index: one more index task for the document.
    assert len(index_tasks_for(db, uploaded["id"])) == before + 1
    (event,) = events(alice)
    assert event["kind"] == "ocr.succeeded"
    assert event["payload"]["document_id"] == uploaded["id"]
    assert event["payload"]["node_id"] == uploaded["id"]
    assert event["payload"]["version_id"] == ocrd["id"]
    (started,) = events(alice, kinds=("ocr.started",))
    assert started["id"] < event["id"]
    assert (
        events(alice, after=event["id"], kinds=("ocr.succeeded", "ocr.failed", "ocr.started")) == []
    )
    assert events(bob, kinds=("ocr.succeeded", "ocr.started", "node.created")) == []


def test_a_failed_ocr_tells_the_owner_why(app, db, alice):
    uploaded = upload(alice, samples.scanned_pdf(["Invoice"]))
    version = uploaded["versions"][0]
    path = app.state.storage.path(docver_key(uuid.UUID(version["id"]), version["file_name"]))
    path.write_bytes(b"%PDF-1.7\nthe rest of this file was lost\n%%EOF\n")
    response = alice.client.post("/api/tasks/ocr", json={"document_id": uploaded["id"]})
    assert response.status_code == 200, response.text
    assert run_ocr(app, db) == ["failed"]
    (event,) = events(alice)
    assert event["kind"] == "ocr.failed"
    assert event["payload"]["document_id"] == uploaded["id"]
    assert "corrupt or unreadable" in event["payload"]["error"]


def test_events_need_a_signed_in_user(client):
    assert client.get("/api/events/").status_code == 401


def test_an_upload_that_ocr_follows_leaves_its_previews_to_the_ocrd_version(
    app, db, alice, automatic_ocr
):
    uploaded = upload(alice, samples.scanned_pdf(["Invoice", "Delivery"]))
    with db.session() as session:
        queued = list(session.scalars(select(TaskRecord.name).where(TaskRecord.state == "pending")))
    assert "previews" not in queued  # they would only slow the OCR down
    assert "ocr" in queued
    # A viewer still gets the pages at once, drawn on request.
    page = uploaded["versions"][0]["pages"][1]
    response = alice.client.get(f"/api/pages/{page['id']}/jpg", params={"size": "sm"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert alice.client.get(f"/api/thumbnails/{uploaded['id']}").status_code == 200
