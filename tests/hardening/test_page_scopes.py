"""``page.view`` guards a page's image, its words and its text, for a share and for a user.

A share whose role lacks ``page.view`` (here: a role that may see a document but not download
it) shows the document in listings and details, and nothing of what its pages say or look like.
"""

from __future__ import annotations

from quire.core.scopes import ALL_SCOPES, NODE_VIEW, PAGE_VIEW
from tests import samples
from tests.helpers.documents import upload
from tests.helpers.nodes import make_document
from tests.helpers.previews import run_previews
from tests.helpers.sharing import make_role, share

SECRET = "salary of the director"


def _shared_document(app, db, alice, bob, scopes):
    document = make_document(alice, "Payroll")
    upload(alice, document["id"], samples.pdf_with_text([SECRET]))
    run_previews(app, db)
    role = make_role(alice, f"role-{len(scopes)}", scopes)
    assert share(alice, [document["id"]], [role], user_ids=[bob.id]).status_code == 204
    page = alice.client.get(f"/api/documents/{document['id']}").json()["versions"][-1]["pages"][0]
    assert page["text"] == SECRET
    return document, page


def test_a_share_without_page_view_shows_no_page_image_words_or_text(app, db, alice, bob):
    document, page = _shared_document(app, db, alice, bob, {NODE_VIEW})

    assert bob.client.get(f"/api/documents/{document['id']}").status_code == 200
    for url in (f"/api/pages/{page['id']}/jpg", f"/api/pages/{page['id']}/words"):
        response = bob.client.get(url)
        assert response.status_code == 403, url
        assert "page.view" in response.json()["detail"]
    details = bob.client.get(f"/api/documents/{document['id']}").json()
    assert {p["text"] for v in details["versions"] for p in v["pages"]} <= {""}
    version_id = details["versions"][-1]["id"]
    for url in (
        f"/api/document-versions/{version_id}",
        f"/api/documents/{document['id']}/last-version/",
    ):
        assert [p["text"] for p in bob.client.get(url).json()["pages"]] == [""], url
    # The owner still sees everything.
    assert alice.client.get(f"/api/pages/{page['id']}/jpg").status_code == 200


def test_a_share_with_page_view_shows_pages(app, db, alice, bob):
    document, page = _shared_document(app, db, alice, bob, {NODE_VIEW, PAGE_VIEW})
    assert bob.client.get(f"/api/pages/{page['id']}/jpg").status_code == 200
    words = bob.client.get(f"/api/pages/{page['id']}/words").json()["words"]
    assert " ".join(w["text"] for w in words) == SECRET
    details = bob.client.get(f"/api/documents/{document['id']}").json()
    assert details["versions"][-1]["pages"][0]["text"] == SECRET


def test_a_user_without_the_page_view_scope_gets_403(app, db, make_account):
    carol = make_account("carol", scopes=ALL_SCOPES - {PAGE_VIEW})
    document = make_document(carol, "Own")
    upload(carol, document["id"], samples.pdf_with_text(["mine"]))
    page = carol.client.get(f"/api/documents/{document['id']}").json()["versions"][-1]["pages"][0]
    for url in (f"/api/pages/{page['id']}/jpg", f"/api/pages/{page['id']}/words"):
        response = carol.client.get(url)
        assert response.status_code == 403
        assert response.json()["detail"] == "missing scopes: page.view"
