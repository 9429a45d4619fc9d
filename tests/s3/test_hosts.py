"""Primary mode across processes standing for hosts: each has its own data dir and cache and
shares only the database, Redis and the bucket. A scan uploaded through web process 1 is
OCR'd by a worker that has never seen it and downloaded through web process 2."""

import hashlib

from tests import samples
from tests.processes import QuireProcess, clean_env, quire_serve, wait_for
from tests.s3.conftest import bucket_env, objects
from tests.tasks.stack import PASSWORD, client_for


def host_env(shared, tmp_path, host):
    return {**shared, "QUIRE__MAIN__DATA_DIR": str(tmp_path / host)}


def cached_files(tmp_path, host):
    return [p for p in (tmp_path / host / "cache" / "files").rglob("*") if p.is_file()]


def test_upload_on_one_host_ocr_on_another_download_on_a_third(
    database_url, db, bucket_name, redis, tmp_path
):
    shared = clean_env(
        tmp_path,
        QUIRE__DATABASE__URL=database_url,
        QUIRE__REDIS__URL=redis.url,
        QUIRE__SECURITY__SECRET_KEY="s3-hosts-" + "k" * 40,
        QUIRE__AUTH__PASSWORD=PASSWORD,
        QUIRE__TASKS__SWEEP_INTERVAL_SECONDS="0.5",
        QUIRE__OCR__AUTOMATIC="true",
        QUIRE__OCR__JOBS="1",
        QUIRE__STORAGE__BACKEND="s3",
        **bucket_env(bucket_name),
    )
    worker = QuireProcess(
        ["worker", "ocr", "previews", "s3"],
        host_env(shared, tmp_path, "worker-host"),
        tmp_path / "worker.log",
    )
    try:
        with (
            quire_serve(host_env(shared, tmp_path, "web-1"), tmp_path / "web1.log") as web1,
            quire_serve(host_env(shared, tmp_path, "web-2"), tmp_path / "web2.log") as web2,
            client_for(web1.base) as client1,
            client_for(web2.base) as client2,
        ):
            scan = samples.scanned_pdf(["Pension fund statement for 2024"])
            response = client1.post(
                "/api/documents/upload", files={"file": ("scan.pdf", scan, "application/pdf")}
            )
            assert response.status_code == 201, response.text
            document_id = response.json()["id"]
            assert not cached_files(tmp_path, "worker-host")
            assert not cached_files(tmp_path, "web-2")

            def ocr_done():
                status = client2.get(
                    "/api/documents/ocr-status/", params={"doc_ids": [document_id]}
                ).json()[0]
                assert status["status"] != "FAILURE", status
                return status["status"] == "SUCCESS"

            wait_for(ocr_done, 180, "the worker host to OCR the scan")
            version = client2.get(f"/api/documents/{document_id}/last-version/").json()
            assert version["number"] == 2
            assert "pension" in " ".join(p["text"] for p in version["pages"]).lower()
            download = client2.get(f"/api/document-versions/{version['id']}/download")
            assert download.status_code == 200
            assert download.content[:5] == b"%PDF-"
            assert download.content != scan  # the OCR'd version, with its text layer
            key = f"docvers/{version['id'][:2]}/{version['id'][2:4]}/{version['id']}/scan.pdf"
            assert objects(bucket_name)[key] == len(download.content)
            # Each host read the files into its own cache, from the bucket.
            worker_files = {p.name for p in cached_files(tmp_path, "worker-host")}
            assert "scan.pdf" in worker_files
            web2_digests = {
                hashlib.sha256(p.read_bytes()).hexdigest() for p in cached_files(tmp_path, "web-2")
            }
            assert hashlib.sha256(download.content).hexdigest() in web2_digests
            assert not (tmp_path / "web-1" / "media" / "docvers").exists()
    finally:
        worker.stop()
