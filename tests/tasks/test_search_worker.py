"""Upload to searchable across real processes: ``quire serve`` takes the scan, ``quire worker
ocr`` OCRs it, ``quire worker index`` indexes the new text, and the web process finds it.
On both engines: for Tantivy, one process writes the index while another reads it."""

import pytest

from tests import samples
from tests.processes import quire_serve, wait_for
from tests.search.solr import solr_url
from tests.tasks.stack import client_for, worker


@pytest.mark.parametrize("engine", ["tantivy", "solr"])
def test_a_scan_becomes_searchable_through_the_workers(quire_env, redis, db, tmp_path, engine):
    url = f"tantivy://{tmp_path / 'index'}" if engine == "tantivy" else solr_url()
    env = {
        **quire_env,
        "QUIRE__REDIS__URL": redis.url,
        "QUIRE__SEARCH__URL": url,
        "QUIRE__SEARCH__COMMIT_WITHIN_MS": "200",
        "QUIRE__OCR__AUTOMATIC": "true",
        "QUIRE__OCR__JOBS": "1",
    }
    workers = [worker(env, tmp_path, name, queue=name) for name in ("ocr", "index")]
    try:
        with quire_serve(env, tmp_path / "serve.log") as server, client_for(server.base) as client:
            scan = samples.scanned_pdf(["Quarterly statement of the pension fund"])
            response = client.post(
                "/api/documents/upload", files={"file": ("scan.pdf", scan, "application/pdf")}
            )
            assert response.status_code == 201, response.text
            document_id = response.json()["id"]

            def found():
                answer = client.get("/api/search/", params={"q": "pension statement"})
                assert answer.status_code == 200, answer.text
                return [item["id"] for item in answer.json()["items"]] == [document_id]

            wait_for(found, 120, "the OCR'd text to be searchable")
            (hit,) = client.get("/api/search/", params={"q": "pension"}).json()["items"]
            assert hit["page_number"] == 1
            assert "<mark>" in hit["pages"][0]["snippet"].lower()
    finally:
        for process in workers:
            process.stop()
