"""Uploads, versions, downloads, thumbnails and page previews, with real files."""

import hashlib

import pytest

from quire.core.scopes import ALL_SCOPES, DOCUMENT_DOWNLOAD, DOCUMENT_UPLOAD
from tests import samples
from tests.helpers.documents import upload
from tests.helpers.nodes import children, make_document


def media_files(app):
    root = app.state.storage.root
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_two_step_upload_extracts_text_and_downloads_byte_identical(alice):
    data = samples.pdf_with_text(["first page words", "second page words"])
    document = make_document(alice, "Report")
    response = upload(alice, document["id"], data, "report.pdf")
    assert response.status_code == 200, response.text
    version = response.json()["versions"][-1]
    assert version["number"] == 1
    assert version["file_name"] == "report.pdf"
    assert version["size"] == len(data)
    assert version["sha256"] == hashlib.sha256(data).hexdigest()
    assert version["page_count"] == 2
    assert [page["text"] for page in version["pages"]] == ["first page words", "second page words"]

    download = alice.client.get(version["download_url"])
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["content-type"] == "application/pdf"
    assert 'filename="report.pdf"' in download.headers["content-disposition"]


def test_one_step_upload_lands_in_the_inbox(alice):
    data = samples.pdf_with_text(["hello"])
    response = alice.client.post(
        "/api/documents/upload", files={"file": ("scan.pdf", data, "application/pdf")}
    )
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["title"] == "scan.pdf"
    assert document["parent_id"] == alice.inbox_id
    listing = children(alice, alice.inbox_id)
    assert [item["id"] for item in listing["items"]] == [document["id"]]
    assert alice.client.get(document["versions"][0]["download_url"]).content == data


def test_one_step_upload_into_a_folder_with_a_title(alice):
    folder = alice.client.post(
        "/api/nodes/", json={"title": "f", "ctype": "folder", "parent_id": alice.home_id}
    ).json()
    response = alice.client.post(
        "/api/documents/upload",
        files={"file": ("a.pdf", samples.pdf_with_text(["x"]), "application/pdf")},
        data={"title": "Lease", "parent_id": folder["id"], "lang": "deu"},
    )
    assert response.status_code == 201
    assert response.json()["title"] == "Lease"
    assert response.json()["parent_id"] == folder["id"]
    assert response.json()["versions"][0]["lang"] == "deu"


def test_each_upload_is_a_new_version(alice):
    document = make_document(alice, "Doc")
    upload(alice, document["id"], samples.pdf_with_text(["one"]))
    response = upload(alice, document["id"], samples.pdf_with_text(["two", "pages"]))
    versions = response.json()["versions"]
    assert [v["number"] for v in versions] == [1, 2]
    listed = alice.client.get(f"/api/documents/{document['id']}/versions").json()
    assert [v["number"] for v in listed] == [2, 1]
    last = alice.client.get(f"/api/documents/{document['id']}/last-version/").json()
    assert last["page_count"] == 2
    assert alice.client.get(f"/api/document-versions/{last['id']}").json()["number"] == 2


@pytest.mark.parametrize(
    ("data", "name", "mime", "original"),
    [
        (samples.image("PNG"), "photo.png", "image/png", "image/png"),
        (samples.image("JPEG"), "photo.jpg", "image/jpeg", "image/jpeg"),
        (samples.multipage_tiff(3), "fax.tiff", "image/tiff", "image/tiff"),
    ],
)
def test_image_upload_keeps_the_original_and_adds_a_pdf(alice, data, name, mime, original):
    document = make_document(alice, "Image")
    response = upload(alice, document["id"], data, name, mime)
    assert response.status_code == 200, response.text
    first, pdf = response.json()["versions"]
    assert first["file_name"] == name
    assert pdf["file_name"].endswith(".pdf")
    assert first["page_count"] == pdf["page_count"] == (3 if name.endswith("tiff") else 1)
    original_download = alice.client.get(first["download_url"])
    assert original_download.content == data
    assert original_download.headers["content-type"] == original
    pdf_bytes = alice.client.get(pdf["download_url"]).content
    assert pdf_bytes.startswith(b"%PDF-")


def test_type_is_judged_by_content_not_name(alice):
    document = make_document(alice, "Mislabelled")
    response = upload(
        alice, document["id"], samples.image("PNG"), "actually.pdf", "application/pdf"
    )
    assert response.status_code == 200
    assert response.json()["versions"][0]["file_name"] == "actually.pdf.png"


def test_path_tricks_in_file_names_are_neutralised(alice, app):
    document = make_document(alice, "Tricky")
    response = upload(
        alice, document["id"], samples.pdf_with_text(["x"]), "../../../etc/passwd.pdf"
    )
    assert response.status_code == 200
    assert response.json()["versions"][0]["file_name"] == "passwd.pdf"
    files = media_files(app)
    assert len(files) == 1
    assert files[0].startswith("docvers/")
    assert files[0].endswith("/passwd.pdf")


@pytest.mark.parametrize(
    ("data", "name", "status", "message"),
    [
        (b"", "empty.pdf", 400, "empty"),
        (b"just some text\n" * 10, "notes.pdf", 415, "unsupported file type"),
        (b"PK\x03\x04 a zip file", "archive.png", 415, "unsupported file type"),
        (samples.corrupt_pdf(), "broken.pdf", 400, "corrupt"),
        (samples.encrypted_pdf(), "locked.pdf", 400, "encrypted"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "broken.png", 400, "corrupt"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(alice, app, data, name, status, message):
    document = make_document(alice, "Bad")
    response = upload(alice, document["id"], data, name)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]
    details = alice.client.get(f"/api/documents/{document['id']}").json()
    assert [v["file_name"] for v in details["versions"]] == [None]
    assert media_files(app) == []
    one_step = alice.client.post("/api/documents/upload", files={"file": (name, data, "x/y")})
    assert one_step.status_code == status
    assert children(alice, alice.inbox_id)["items"] == []


def test_files_over_the_size_limit_get_413(alice, app, monkeypatch):
    monkeypatch.setattr(app.state.settings.main, "max_file_size_mb", 1)
    big = samples.pdf_with_text(["x"]) + b"\n%" + b"0" * (2 << 20)
    document = make_document(alice, "Big")
    response = upload(alice, document["id"], big)
    assert response.status_code == 413
    assert "1 MB" in response.json()["detail"]
    assert media_files(app) == []


def test_missing_file_field_is_422(alice):
    document = make_document(alice, "x")
    response = alice.client.post(f"/api/documents/{document['id']}/upload", data={"nofile": "1"})
    assert response.status_code == 422


def test_thumbnail_and_page_previews(alice, app):
    document = make_document(alice, "Pictures")
    not_ready = alice.client.get(f"/api/thumbnails/{document['id']}")
    assert not_ready.status_code == 309
    upload(alice, document["id"], samples.pdf_with_text(["a", "b"]))
    thumb = alice.client.get(f"/api/thumbnails/{document['id']}")
    assert thumb.status_code == 200
    assert thumb.headers["content-type"] == "image/jpeg"
    assert thumb.content.startswith(b"\xff\xd8")
    status = alice.client.get(
        "/api/documents/thumbnail-img-status/", params={"doc_ids": [document["id"]]}
    ).json()
    assert status == [
        {
            "doc_id": document["id"],
            "status": "ready",
            "preview_image_url": f"/api/thumbnails/{document['id']}",
        }
    ]
    page = alice.client.get(f"/api/documents/{document['id']}").json()["versions"][-1]["pages"][1]
    from io import BytesIO

    from PIL import Image

    for size, width in (("sm", 200), ("xl", 1600)):
        preview = alice.client.get(page[f"preview_image_{size}_url"])
        assert preview.status_code == 200
        assert Image.open(BytesIO(preview.content)).width == width
    assert alice.client.get(f"/api/pages/{page['id']}/jpg?size=huge").status_code == 422


def test_other_users_documents_are_invisible(alice, bob, app):
    document = make_document(alice, "Secret")
    version = upload(alice, document["id"], samples.pdf_with_text(["secret words"])).json()[
        "versions"
    ][0]
    page_id = version["pages"][0]["id"]
    urls = [
        f"/api/documents/{document['id']}",
        f"/api/documents/{document['id']}/versions",
        f"/api/documents/{document['id']}/last-version/",
        f"/api/document-versions/{version['id']}",
        f"/api/document-versions/{version['id']}/download",
        f"/api/document-versions/{version['id']}/download-url",
        f"/api/thumbnails/{document['id']}",
        f"/api/pages/{page_id}/jpg",
        f"/api/documents/thumbnail-img-status/?doc_ids={document['id']}",
    ]
    for url in urls:
        response = bob.client.get(url)
        assert response.status_code == 404, url
        assert "secret" not in response.text.lower()
    before = media_files(app)
    hijack = upload(bob, document["id"], samples.pdf_with_text(["bob was here"]))
    assert hijack.status_code == 404
    into_foreign_folder = bob.client.post(
        "/api/documents/upload",
        files={"file": ("x.pdf", samples.pdf_with_text(["x"]), "application/pdf")},
        data={"parent_id": alice.inbox_id},
    )
    assert into_foreign_folder.status_code == 404
    assert media_files(app) == before
    assert len(alice.client.get(f"/api/documents/{document['id']}").json()["versions"]) == 1


def test_upload_and_download_scopes(make_account):
    viewer = make_account(scopes=ALL_SCOPES - {DOCUMENT_UPLOAD, DOCUMENT_DOWNLOAD})
    document = make_document(viewer, "x")
    assert upload(viewer, document["id"], samples.pdf_with_text(["x"])).status_code == 403
    version_id = document["versions"][0]["id"]
    assert viewer.client.get(f"/api/document-versions/{version_id}/download").status_code == 403


@pytest.mark.parametrize(
    ("withheld", "old_version_status"),
    [
        ({"document.download.all_versions"}, 403),  # last_version_only: the newest alone
        ({"document.download.last_version_only"}, 200),
        (set(), 200),  # both: all_versions wins
    ],
)
def test_which_versions_a_downloader_may_fetch(make_account, withheld, old_version_status):
    account = make_account(scopes=ALL_SCOPES - withheld)
    document = make_document(account, "contract")
    assert upload(account, document["id"], samples.pdf_with_text(["draft"])).status_code == 200
    assert upload(account, document["id"], samples.pdf_with_text(["signed"])).status_code == 200
    versions = account.client.get(f"/api/documents/{document['id']}").json()["versions"]
    with_files = [version for version in versions if version["file_name"]]
    oldest, newest = with_files[0]["id"], with_files[-1]["id"]
    assert account.client.get(f"/api/document-versions/{newest}/download").status_code == 200
    refused = account.client.get(f"/api/document-versions/{oldest}/download")
    assert refused.status_code == old_version_status
    if old_version_status == 403:
        assert "newest version only" in refused.json()["detail"]
        url = account.client.get(f"/api/document-versions/{oldest}/download-url")
        assert url.status_code == 403
