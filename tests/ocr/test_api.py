"""``POST /api/tasks/ocr`` and ``GET /api/documents/ocr-status/``: validation, access, scopes."""

import uuid

from quire.core.ocr import readable_languages
from quire.core.scopes import ALL_SCOPES, NODE_VIEW, TASK_OCR
from tests import samples
from tests.helpers.nodes import make_document
from tests.ocr.helpers import ocr_tasks, upload


def start_ocr(account, document_id, lang=None):
    body = {"document_id": str(document_id)} | ({"lang": lang} if lang else {})
    return account.client.post("/api/tasks/ocr", json=body)


def test_on_demand_ocr_is_queued_and_returns_the_task(db, alice):
    uploaded = upload(alice, samples.scanned_pdf(["hello"]), lang="deu")
    response = start_ocr(alice, uploaded["id"])
    assert response.status_code == 200, response.text
    task = response.json()
    assert (task["name"], task["queue"], task["state"]) == ("ocr", "ocr", "pending")
    assert task["args"]["lang"] == "deu"  # the document's own language by default
    assert alice.client.get(f"/api/tasks/{task['id']}").json()["id"] == task["id"]
    assert alice.client.get(f"/api/documents/{uploaded['id']}").json()["ocr_status"] == "RECEIVED"


def test_an_unknown_language_is_refused_listing_the_installed_ones(db, alice, all_rows):
    uploaded = upload(alice, samples.scanned_pdf(["hello"]))
    before = all_rows()
    installed = ", ".join(readable_languages())
    for lang in ("xyz", "eng+xyz", "osd", "eng+", ""):
        response = start_ocr(alice, uploaded["id"], lang or None)
        if not lang:
            continue  # left out: the document's language, which is fine
        assert response.status_code == 422, (lang, response.text)
        assert response.json()["detail"].endswith(f"; installed: {installed}")
    assert "deu" in installed
    assert "eng" in installed
    assert len(ocr_tasks(db)) == 1
    assert all_rows() != before  # only the one good request changed anything


def test_a_document_without_a_file_has_nothing_to_ocr(db, alice):
    document = make_document(alice, "Empty")
    response = start_ocr(alice, document["id"])
    assert response.status_code == 409
    assert response.json() == {"detail": "the document has no file to OCR yet"}
    assert ocr_tasks(db) == []


def test_another_users_document_is_not_found(db, alice, bob, all_rows):
    uploaded = upload(alice, samples.scanned_pdf(["hello"]))
    own = upload(bob, samples.pdf_with_text(["mine"]))
    before = all_rows()
    foreign = start_ocr(bob, uploaded["id"], "eng")
    missing = start_ocr(bob, uuid.uuid4(), "eng")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"detail": "Not Found"}
    status = bob.client.get("/api/documents/ocr-status/", params={"doc_ids": [uploaded["id"]]})
    assert status.status_code == 404
    assert status.json() == {"detail": "Not Found"}
    # One foreign id among one's own is not found either: nothing leaks.
    mixed = bob.client.get(
        "/api/documents/ocr-status/", params={"doc_ids": [own["id"], uploaded["id"]]}
    )
    assert mixed.status_code == 404
    assert all_rows() == before


def test_scopes(db, make_account):
    viewer = make_account(scopes=ALL_SCOPES - {TASK_OCR})
    uploaded = upload(viewer, samples.scanned_pdf(["hello"]))
    refused = start_ocr(viewer, uploaded["id"], "eng")
    assert refused.status_code == 403
    assert refused.json() == {"detail": f"missing scopes: {TASK_OCR}"}
    assert ocr_tasks(db) == []
    blind = make_account(scopes=ALL_SCOPES - {NODE_VIEW})
    own = upload(blind, samples.pdf_with_text(["x"]))
    status = blind.client.get("/api/documents/ocr-status/", params={"doc_ids": [own["id"]]})
    assert status.status_code == 403


def test_status_of_many_documents_in_the_order_asked(db, alice):
    first = upload(alice, samples.pdf_with_text(["one"]))
    second = upload(alice, samples.pdf_with_text(["two"]))
    start_ocr(alice, second["id"], "eng")
    response = alice.client.get(
        "/api/documents/ocr-status/", params={"doc_ids": [second["id"], first["id"]]}
    )
    assert response.json() == [
        {"doc_id": second["id"], "status": "RECEIVED", "error": None},
        {"doc_id": first["id"], "status": "UNKNOWN", "error": None},
    ]
    assert alice.client.get("/api/documents/ocr-status/").status_code == 422
