"""Previews are background work: queued with the upload, rendered by the embedded runner."""

import uuid

from quire.core.models import TaskRecord
from quire.core.storage import preview_key, thumbnail_key
from quire.core.tasks.embedded import EmbeddedRunner
from tests import samples
from tests.helpers.previews import expected_previews
from tests.processes import wait_for


def upload(account, data, name="scan.pdf", mime="application/pdf"):
    response = account.client.post("/api/documents/upload", files={"file": (name, data, mime)})
    assert response.status_code == 201, response.text
    return response.json()


def test_upload_queues_previews_and_the_runner_renders_them(app, db, alice, bob):
    pdf = upload(alice, samples.pdf_with_text(["one", "two", "three"]))
    image = upload(alice, samples.image("PNG"), "photo.png", "image/png")
    tasks = alice.client.get("/api/tasks/").json()["items"]
    assert [(t["name"], t["state"]) for t in tasks] == [("previews", "pending")] * 2
    # Image uploads: previews are drawn from the PDF made of the image.
    queued_versions = {t["args"]["version_id"] for t in tasks}
    assert queued_versions == {pdf["versions"][0]["id"], image["versions"][1]["id"]}

    storage = app.state.storage
    runner = EmbeddedRunner(db, storage, app.state.settings)
    runner.start()
    try:

        def all_done():
            items = alice.client.get("/api/tasks/", params={"state": "succeeded"}).json()["items"]
            return len(items) == 2

        wait_for(all_done, 30, "the previews tasks to succeed")
    finally:
        runner.stop()
    for document in (pdf, image):
        for key in expected_previews(db, document["id"]):
            assert storage.exists(key), key
    status = alice.client.get(
        "/api/documents/thumbnail-img-status/", params={"doc_ids": [pdf["id"]]}
    ).json()
    assert status[0]["status"] == "ready"
    # The thumbnail is the first page at the small previews' width: drawn once for both.
    first_page = uuid.UUID(pdf["versions"][0]["pages"][0]["id"])
    small = storage.fetch(preview_key(first_page, "sm")).read_bytes()
    assert storage.fetch(thumbnail_key(uuid.UUID(pdf["id"]))).read_bytes() == small


def test_tasks_api_is_per_user_and_retry_needs_a_failed_task(app, db, alice, bob):
    upload(alice, samples.pdf_with_text(["x"]))
    (task,) = alice.client.get("/api/tasks/").json()["items"]
    assert alice.client.get(f"/api/tasks/{task['id']}").json()["state"] == "pending"
    # Bob neither sees nor touches it.
    assert bob.client.get("/api/tasks/").json()["items"] == []
    foreign = bob.client.get(f"/api/tasks/{task['id']}")
    assert foreign.status_code == 404
    assert foreign.json() == {"detail": "Task not found"}
    assert bob.client.post(f"/api/tasks/{task['id']}/retry").status_code == 404
    # Only failed work can be retried.
    not_failed = alice.client.post(f"/api/tasks/{task['id']}/retry")
    assert not_failed.status_code == 409
    with db.session() as session:
        record = session.get(TaskRecord, uuid.UUID(task["id"]))
        record.state, record.attempts, record.last_error = "failed", 5, "boom"
        session.commit()
    retried = alice.client.post(f"/api/tasks/{task['id']}/retry").json()
    assert (retried["state"], retried["attempts"]) == ("pending", 0)
    assert alice.client.get("/api/tasks/", params={"state": "bogus"}).status_code == 422
    assert alice.client.get("/api/tasks/not-a-uuid").status_code == 422
