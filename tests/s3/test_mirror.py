"""Mirror mode: files stay on the media root, the ``s3`` queue copies them to the bucket."""

import hashlib
import uuid

from sqlalchemy import select, update

from quire.core.config import Settings
from quire.core.db import utcnow
from quire.core.models import DocumentVersion, TaskRecord
from quire.core.storage import docver_key
from quire.s3 import sync
from quire.s3.bucket import forget_buckets
from tests import samples
from tests.s3.conftest import DEAD_ENDPOINT, local_files, objects, raw_client


def upload(account, content=None, name="doc.pdf", mime="application/pdf"):
    content = content or samples.pdf_with_text(["first page", "second page"])
    response = account.client.post("/api/documents/upload", files={"file": (name, content, mime)})
    assert response.status_code == 201, response.text
    return response.json()


def assert_bucket_equals_media_root(mirror):
    local = local_files(mirror.storage.root)
    assert local, "nothing on the media root: the test tested nothing"
    assert objects(mirror.bucket) == local
    drift = mirror.reconciler().compare(verify=True)
    assert (drift.total, drift.young) == (0, 0)


def test_bucket_equals_media_root_after_uploads_ocr_and_deletes(mirror, alice):
    kept = upload(alice)
    image = upload(alice, samples.scanned_page("Invoice 2024"), "scan.png", "image/png")
    doomed = upload(alice, samples.pdf_with_text(["to be deleted"]))
    mirror.run_all()
    assert_bucket_equals_media_root(mirror)

    response = alice.client.post("/api/tasks/ocr", json={"document_id": image["id"]})
    assert response.status_code == 200, response.text
    mirror.run_all()
    versions = alice.client.get(f"/api/documents/{image['id']}/versions").json()
    assert len(versions) == 3  # the image, the PDF made of it, the OCR'd PDF
    assert_bucket_equals_media_root(mirror)

    doomed_ids = {doomed["id"], *(str(v.id) for v in _versions_of(mirror, doomed["id"]))}
    doomed_ids |= {str(p.id) for v in _versions_of(mirror, doomed["id"]) for p in v.pages}
    assert any(i in key for key in objects(mirror.bucket) for i in doomed_ids)
    response = alice.client.request("DELETE", "/api/nodes/", json=[doomed["id"]])
    assert response.status_code == 200, response.text
    mirror.run_all()
    # In the trash, its objects stay with its files; emptying the trash takes both.
    assert any(i in key for key in objects(mirror.bucket) for i in doomed_ids)
    assert alice.client.request("DELETE", "/api/trash/").status_code == 200
    mirror.run_all()
    assert_bucket_equals_media_root(mirror)
    remaining = objects(mirror.bucket)
    assert not any(i in key for key in remaining for i in doomed_ids)
    assert any(kept["id"] in key for key in remaining)


def _versions_of(mirror, document_id):
    with mirror.db.session() as session:
        query = select(DocumentVersion).where(DocumentVersion.document_id == uuid.UUID(document_id))
        versions = list(session.scalars(query))
        for version in versions:
            list(version.pages)
        return versions


def test_objects_carry_the_sha256_and_the_type(mirror, alice):
    content = samples.pdf_with_text(["checksums"])
    document = upload(alice, content)
    mirror.run_all()
    version = document["versions"][0]
    key = str(docver_key(uuid.UUID(version["id"]), "doc.pdf"))
    head = raw_client().head_object(Bucket=mirror.bucket, Key=key)
    assert head["Metadata"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert head["ContentType"] == "application/pdf"
    body = raw_client().get_object(Bucket=mirror.bucket, Key=key)["Body"].read()
    assert body == content


def test_a_preview_drawn_on_request_reaches_the_bucket(mirror, alice):
    document = upload(alice)
    mirror.run_all()
    page_id = alice.client.get(f"/api/documents/{document['id']}/last-version/").json()["pages"][0][
        "id"
    ]
    before = objects(mirror.bucket)
    response = alice.client.get(f"/api/pages/{page_id}/jpg", params={"size": "xl"})
    assert response.status_code == 200
    mirror.run_all()
    added = set(objects(mirror.bucket)) - set(before)
    assert added == {f"previews/pages/{page_id[:2]}/{page_id[2:4]}/{page_id}/xl.jpg"}
    assert_bucket_equals_media_root(mirror)


def test_a_new_version_replaces_the_thumbnail_in_the_bucket(mirror, alice):
    document = upload(alice, samples.pdf_with_text(["one"]))
    mirror.run_all()
    key = f"thumbnails/jpg/{document['id'][:2]}/{document['id'][2:4]}/{document['id']}/sm.jpg"
    first = raw_client().get_object(Bucket=mirror.bucket, Key=key)["Body"].read()
    response = alice.client.post(
        f"/api/documents/{document['id']}/upload",
        files={"file": ("b.pdf", samples.scanned_pdf(["A DIFFERENT PAGE"]), "application/pdf")},
    )
    assert response.status_code == 200, response.text
    mirror.run_all()
    second = raw_client().get_object(Bucket=mirror.bucket, Key=key)["Body"].read()
    assert second != first
    assert_bucket_equals_media_root(mirror)


def test_an_unreachable_bucket_delays_the_mirror_and_it_catches_up(mirror, alice):
    dead = Settings.model_validate(
        {
            **mirror.settings.model_dump(),
            "s3": {**mirror.settings.s3.model_dump(), "endpoint_url": DEAD_ENDPOINT},
        }
    )
    live = mirror.settings
    mirror.settings = dead
    mirror.app.state.settings = dead
    document = upload(alice)  # the local mode keeps working
    assert alice.client.get(f"/api/documents/{document['id']}").status_code == 200
    assert set(mirror.run_tasks("s3_sync")) == {"pending"}  # failed, to run again
    with mirror.db.session() as session:
        tasks = session.scalars(select(TaskRecord).where(TaskRecord.name == "s3_sync")).all()
        assert all("unreachable" in (task.last_error or "") for task in tasks)
        # Its backoff, skipped: the bucket is back.
        session.execute(update(TaskRecord).values(available_at=utcnow()))
        session.commit()
    assert objects(mirror.bucket) == {}
    mirror.settings = live
    mirror.app.state.settings = live
    forget_buckets()
    mirror.run_all()
    assert_bucket_equals_media_root(mirror)


def test_the_sync_task_retries_for_long(mirror):
    from quire.core.tasks.registry import spec

    assert spec("s3_sync").max_attempts == sync.SYNC_ATTEMPTS
    assert mirror.settings.tasks.max_retry_delay_seconds == 3600


def test_a_document_deleted_before_its_copy_leaves_nothing(mirror, alice):
    document = upload(alice)
    # Deleted before any s3 task ran: the copy task finds no row, and uploads nothing.
    response = alice.client.request("DELETE", "/api/nodes/", json=[document["id"]])
    assert response.status_code == 200
    # Into the trash first; its files go when it is emptied.
    assert alice.client.request("DELETE", "/api/trash/").status_code == 200
    mirror.run_all()
    assert objects(mirror.bucket) == {}


def test_the_tenant_prefix_keeps_installations_apart(mirror, alice):
    settings = Settings.model_validate(
        {
            **mirror.settings.model_dump(),
            "main": {**mirror.settings.main.model_dump(), "prefix": "tenant-a"},
        }
    )
    mirror.settings = mirror.app.state.settings = settings
    neighbour = "tenant-b/docvers/00/00/00000000-0000-0000-0000-000000000000/theirs.pdf"
    raw_client().put_object(Bucket=mirror.bucket, Key=neighbour, Body=b"not ours")
    upload(alice)
    mirror.run_all()
    ours = {k: v for k, v in objects(mirror.bucket).items() if k != neighbour}
    assert ours
    assert all(key.startswith("tenant-a/") for key in ours)
    assert {k.removeprefix("tenant-a/"): v for k, v in ours.items()} == local_files(
        mirror.storage.root
    )
    settings.s3.orphan_grace_seconds = 0
    drift = mirror.reconciler().compare(verify=True)
    assert drift.total == 0
    assert neighbour in objects(mirror.bucket)


def test_a_large_delete_is_split_into_tasks_of_bounded_size(mirror, alice, monkeypatch):
    from quire.core import mirroring

    monkeypatch.setattr(mirroring, "KEYS_PER_TASK", 4)
    documents = [upload(alice, samples.pdf_with_text([f"doc {n}"])) for n in range(3)]
    mirror.run_all()
    assert objects(mirror.bucket)
    response = alice.client.request("DELETE", "/api/nodes/", json=[d["id"] for d in documents])
    assert response.status_code == 200
    # Into the trash first; its files go when it is emptied.
    assert alice.client.request("DELETE", "/api/trash/").status_code == 200
    with mirror.db.session() as session:
        tasks = session.scalars(
            select(TaskRecord).where(TaskRecord.name == "s3_sync", TaskRecord.state == "pending")
        ).all()
        sizes = [len(task.args["keys"]) for task in tasks]
    assert len(sizes) > 1
    assert max(sizes) <= 4
    mirror.run_all()
    assert objects(mirror.bucket) == {}
