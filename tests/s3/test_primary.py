"""Primary mode: the bucket holds the files; a bounded cache holds recent copies."""

import hashlib
import os
import time
import uuid
from pathlib import Path, PurePosixPath

import pytest

from quire.core.config import Settings
from quire.core.storage import MissingFile, StorageUnavailable, docver_key
from quire.s3.bucket import Bucket
from quire.s3.cache import FileCache
from quire.s3.storage import S3Storage
from tests import samples
from tests.s3.conftest import DEAD_ENDPOINT, objects, raw_client, s3_settings


def upload(account, content, name="doc.pdf"):
    return account.client.post(
        "/api/documents/upload", files={"file": (name, content, "application/pdf")}
    )


def test_an_upload_is_in_the_bucket_when_it_is_acknowledged(primary, alice):
    content = samples.pdf_with_text(["stored in the bucket"])
    response = upload(alice, content)
    assert response.status_code == 201, response.text
    version = response.json()["versions"][0]
    key = str(docver_key(uuid.UUID(version["id"]), "doc.pdf"))
    # No task has run: the object was stored before the answer.
    assert objects(primary.bucket) == {key: len(content)}
    head = raw_client().head_object(Bucket=primary.bucket, Key=key)
    assert head["Metadata"]["sha256"] == hashlib.sha256(content).hexdigest()
    download = alice.client.get(f"/api/document-versions/{version['id']}/download")
    assert download.status_code == 200
    assert download.content == content


def test_another_host_with_an_empty_cache_reads_the_same_files(primary, alice, tmp_path):
    content = samples.pdf_with_text(["page one", "page two"])
    version = upload(alice, content).json()["versions"][0]
    primary.run_all()  # previews, word boxes, thumbnail: into the bucket
    settings = Settings.model_validate(
        {
            **primary.settings.model_dump(),
            "storage": {"backend": "s3", "cache_dir": str(tmp_path / "other-host")},
        }
    )
    other = S3Storage.from_settings(settings)
    assert other.cache.size() == 0
    key = docver_key(uuid.UUID(version["id"]), "doc.pdf")
    assert other.fetch(key).read_bytes() == content
    page_ids = [
        p["id"] for p in alice.client.get(f"/api/document-versions/{version['id']}").json()["pages"]
    ]
    for page_id in page_ids:
        preview = PurePosixPath(f"previews/pages/{page_id[:2]}/{page_id[2:4]}/{page_id}/md.jpg")
        assert other.read_bytes(preview)[:3] == b"\xff\xd8\xff"  # a JPEG, drawn elsewhere


def test_an_unreachable_bucket_is_a_503_and_nothing_is_written(primary, alice, all_rows, tmp_path):
    before = all_rows()
    dead = Settings.model_validate(
        {
            **primary.settings.model_dump(),
            "s3": s3_settings(primary.bucket, endpoint_url=DEAD_ENDPOINT),
        }
    )
    primary.app.state.storage = S3Storage.from_settings(dead)
    response = upload(alice, samples.pdf_with_text(["lost?"]))
    assert response.status_code == 503
    assert "storage unavailable" in response.json()["detail"]
    assert response.headers["retry-after"]
    assert all_rows() == before
    assert objects(primary.bucket) == {}
    assert not list((tmp_path / "cache" / "files").rglob("*.pdf"))
    assert alice.client.get("/api/probe/").status_code == 503


def test_reading_from_an_unreachable_bucket_is_a_503(primary, alice, tmp_path):
    version = upload(alice, samples.pdf_with_text(["here"])).json()["versions"][0]
    dead = Settings.model_validate(
        {
            **primary.settings.model_dump(),
            "s3": s3_settings(primary.bucket, endpoint_url=DEAD_ENDPOINT),
        }
    )
    dead = Settings.model_validate(
        {**dead.model_dump(), "storage": {"backend": "s3", "cache_dir": str(tmp_path / "empty")}}
    )
    primary.app.state.storage = S3Storage.from_settings(dead)  # a host with nothing cached
    response = alice.client.get(f"/api/document-versions/{version['id']}/download")
    assert response.status_code == 503
    assert "unreachable" in response.json()["detail"]


def test_wrong_credentials_are_a_clear_error_without_the_secret(primary):
    settings = Settings.model_validate(
        {
            **primary.settings.model_dump(),
            "s3": s3_settings(primary.bucket, secret_access_key="not-the-secret"),
        }
    )
    with pytest.raises(StorageUnavailable) as raised:
        Bucket(settings).check()
    assert "not-the-secret" not in str(raised.value)
    assert primary.bucket in str(raised.value)


def test_deleting_a_document_removes_its_objects(primary, alice):
    document = upload(alice, samples.pdf_with_text(["short-lived"])).json()
    primary.run_all()
    assert objects(primary.bucket)
    response = alice.client.request("DELETE", "/api/nodes/", json=[document["id"]])
    assert response.status_code == 200
    # Into the trash first; its files go when it is emptied.
    assert alice.client.request("DELETE", "/api/trash/").status_code == 200
    primary.run_all()
    assert objects(primary.bucket) == {}
    assert not [p for p in (primary.storage.cache.files).rglob("*") if p.is_file()]


def test_a_new_version_gets_a_new_thumbnail_on_every_host(primary, alice):
    document = upload(alice, samples.pdf_with_text(["one"])).json()
    first = alice.client.get(f"/api/thumbnails/{document['id']}").content
    response = alice.client.post(
        f"/api/documents/{document['id']}/upload",
        files={"file": ("b.pdf", samples.scanned_pdf(["ANOTHER PAGE"]), "application/pdf")},
    )
    assert response.status_code == 200, response.text
    second = alice.client.get(f"/api/thumbnails/{document['id']}").content
    assert second[:3] == first[:3] == b"\xff\xd8\xff"
    assert second != first


def test_large_files_go_in_parts_with_their_checksums(primary, tmp_path):
    settings = Settings.model_validate(
        {
            **primary.settings.model_dump(),
            "s3": s3_settings(primary.bucket, multipart_threshold_mb=5, multipart_chunksize_mb=5),
        }
    )
    bucket = Bucket(settings)
    parts = []
    bucket.client.meta.events.register(
        "before-call.s3.UploadPart", lambda params, **_: parts.append(params["headers"])
    )
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(12 << 20))
    key = PurePosixPath("docvers/00/00/00000000-0000-0000-0000-000000000000/big.bin")
    assert bucket.put_file(key, path) == hashlib.sha256(path.read_bytes()).hexdigest()
    assert len(parts) == 3  # 5 + 5 + 2 MB
    assert all("Content-MD5" in headers for headers in parts)
    head = raw_client().head_object(Bucket=primary.bucket, Key=str(key))
    assert head["Metadata"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    target = tmp_path / "back.bin"
    bucket.download(key, target)
    assert target.read_bytes() == path.read_bytes()


def test_a_missing_object_is_missing_not_unavailable(primary):
    key = PurePosixPath("docvers/00/00/00000000-0000-0000-0000-000000000000/none.pdf")
    with pytest.raises(MissingFile):
        primary.storage.fetch(key)
    assert not primary.storage.exists(key)


def test_the_cache_stays_under_its_bound_and_keeps_what_was_used_last(tmp_path: Path):
    cache = FileCache(tmp_path, max_bytes=1 << 20, min_age_seconds=0)
    keys = [PurePosixPath(f"docvers/{n}/file.bin") for n in range(12)]
    for n, key in enumerate(keys):
        cache.fill(key, lambda target: target.write_bytes(b"x" * (200 << 10)))
        if n == 0:
            time.sleep(0.01)
        # The first file is used again and again: it stays.
        assert cache.get(keys[0]) is not None
        time.sleep(0.01)
    assert cache.size() <= 1 << 20
    assert cache.get(keys[0]) is not None
    assert cache.get(keys[-1]) is not None
    assert cache.get(keys[1]) is None  # least recently used: gone


def test_the_cache_never_evicts_a_file_in_use(tmp_path: Path):
    cache = FileCache(tmp_path, max_bytes=1 << 20, min_age_seconds=3600)
    for n in range(8):
        cache.fill(PurePosixPath(f"k/{n}"), lambda target: target.write_bytes(b"x" * (200 << 10)))
    assert cache.size() == 8 * (200 << 10)  # over the bound, but every file is recent


def test_server_side_encryption_is_asked_for_on_every_object(primary):
    settings = Settings.model_validate(
        {
            **primary.settings.model_dump(),
            "s3": s3_settings(primary.bucket, server_side_encryption="AES256"),
        }
    )
    bucket = Bucket(settings)
    sent = []
    bucket.client.meta.events.register(
        "before-call.s3.PutObject", lambda params, **_: sent.append(params["headers"])
    )
    key = PurePosixPath("docvers/00/00/00000000-0000-0000-0000-000000000000/a.pdf")
    # S3Proxy does not implement SSE and says so; AWS, MinIO and Ceph store it encrypted.
    with pytest.raises(StorageUnavailable, match="NotImplemented"):
        bucket.put_bytes(key, b"%PDF-secret")
    assert sent[0]["x-amz-server-side-encryption"] == "AES256"
    assert objects(primary.bucket) == {}
