"""The document viewer's and search page's server side, on every database: where a page's
event stream starts (the user's own newest event, nobody else's), controls offered only to
whom the API would allow them, custom fields and types escaped, a bad filter said on the page."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from quire.core import events
from quire.core.models import Event
from quire.core.scopes import PAGE_EXTRACT, PAGE_MOVE, SHARED_NODE_VIEW, TASK_OCR
from tests.helpers.sharing import SHARER, VIEWER, make_role, share
from tests.samples import pdf_with_text


def _document(account, title="doc.pdf"):  # type: ignore[no-untyped-def]
    made = account.client.post(
        "/api/documents/upload",
        files={"file": (title, pdf_with_text(["One", "Two"]), "application/pdf")},
        data={"parent_id": account.home_id},
    )
    assert made.status_code == 201, made.text
    return made.json()


def _cursor(html: str) -> int:
    match = re.search(r'<meta name="events-after" content="(\d+)">', html)
    assert match, html[:500]
    return int(match.group(1))


def test_pages_start_their_events_after_the_users_newest(db, alice, bob):  # type: ignore[no-untyped-def]
    document = _document(alice)  # her upload is an event of hers already
    with db.session() as session:
        own = select(func.max(Event.id)).where(Event.user_id == alice.id)
        uploaded = session.scalar(own)
    assert uploaded
    assert _cursor(alice.client.get(f"/documents/{document['id']}").text) == uploaded
    with db.session() as session:
        events.publish(session, alice.id, events.OCR_FAILED, document_id=document["id"])
        session.commit()
        events.publish(session, bob.id, events.OCR_FAILED, document_id="elsewhere")
        session.commit()
    newest = alice.client.get("/api/events/").json()[-1]["id"]
    for path in (f"/documents/{document['id']}", "/", "/inbox", f"/folders/{alice.home_id}"):
        assert _cursor(alice.client.get(path).text) == newest, path
    # Bob's newest is his, after alice's: each page starts from its own user's stream.
    assert _cursor(bob.client.get("/").text) == newest + 1


def test_a_viewer_by_share_is_offered_no_control_its_role_refuses(alice, bob):  # type: ignore[no-untyped-def]
    document = _document(alice)
    owner_page = alice.client.get(f"/documents/{document['id']}").text
    for control in ('data-pages="extract"', 'data-pages="move"', 'data-pages="merge"'):
        assert control in owner_page
    assert 'id="type-form"' in owner_page
    assert "Change type" in owner_page
    assert 'data-action="share"' in owner_page
    assert 'id="share-dialog"' in owner_page

    role = make_role(alice, "reader", VIEWER)
    assert share(alice, [document["id"]], [role], user_ids=[bob.id]).status_code == 204
    page = bob.client.get(f"/documents/{document['id']}")
    assert page.status_code == 200
    for control in ('data-pages="extract"', 'data-pages="move"', 'data-pages="merge"'):
        assert control not in page.text
    assert 'id="ocr-form"' not in page.text
    assert "Change type" not in page.text
    assert 'data-action="share"' not in page.text
    assert 'id="share-dialog"' not in page.text
    # What the controls would call is refused alike: the page offered nothing that works.
    pages = bob.client.get(f"/api/documents/{document['id']}").json()["versions"][-1]["pages"]
    refused = bob.client.post(
        "/api/pages/extract",
        json={
            "source_page_ids": [pages[0]["id"]],
            "target_folder_id": alice.home_id,
            "strategy": "one-page-per-doc",
            "title_format": "x",
        },
    )
    assert refused.status_code == 403


def test_scopes_missing_from_the_users_roles_take_the_controls_away(make_account):  # type: ignore[no-untyped-def]
    from quire.core.scopes import ALL_SCOPES

    missing = {PAGE_EXTRACT, PAGE_MOVE, TASK_OCR, SHARED_NODE_VIEW}
    limited = make_account(scopes=set(ALL_SCOPES) - missing)
    document = _document(limited)
    page = limited.client.get(f"/documents/{document['id']}").text
    assert 'data-pages="extract"' not in page
    assert 'data-pages="move"' not in page
    assert 'id="ocr-form"' not in page
    # Sharing without seeing the shares would be a dialog that can only fail: no button.
    assert 'data-action="share"' not in page
    assert 'id="share-dialog"' not in page


def test_a_grantee_whose_role_may_share_is_offered_the_share_button(alice, bob):  # type: ignore[no-untyped-def]
    document = _document(alice)
    role = make_role(alice, "sharer", SHARER)
    assert share(alice, [document["id"]], [role], user_ids=[bob.id]).status_code == 204
    page = bob.client.get(f"/documents/{document['id']}").text
    assert 'data-action="share"' in page
    assert 'id="share-dialog"' in page
    # And what the dialog reads first is his to read.
    access = bob.client.get(f"/api/shared-nodes/access/{document['id']}")
    assert access.status_code == 200, access.text
    assert [user["id"] for user in access.json()["users"]] == [str(bob.id)]


def test_types_and_fields_are_escaped(alice):  # type: ignore[no-untyped-def]
    hostile = '<img src=x onerror="alert(1)">'
    field = alice.client.post("/api/custom-fields/", json={"name": hostile, "type": "text"})
    assert field.status_code == 201, field.text
    doc_type = alice.client.post(
        "/api/document-types/", json={"name": hostile, "custom_field_ids": [field.json()["id"]]}
    )
    assert doc_type.status_code == 201, doc_type.text
    document = _document(alice)
    typed = alice.client.patch(
        f"/api/documents/{document['id']}/type",
        json={"document_type_id": doc_type.json()["id"]},
    )
    assert typed.status_code == 200
    values = [{"custom_field_id": field.json()["id"], "value": hostile}]
    saved = alice.client.patch(f"/api/documents/{document['id']}/custom-fields", json=values)
    assert saved.status_code == 200, saved.text
    for path in (f"/documents/{document['id']}", "/search?q=x"):
        html = alice.client.get(path).text
        assert hostile not in html, path
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html, path


def test_a_bad_filter_is_said_on_the_page_and_searches_nothing(alice):  # type: ignore[no-untyped-def]
    page = alice.client.get("/search", params={"q": "x", "created_from": "yesterday"})
    assert page.status_code == 200
    assert 'role="alert"' in page.text
    assert "created.from" in page.text
    assert 'class="result"' not in page.text
