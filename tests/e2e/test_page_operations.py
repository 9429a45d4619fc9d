"""Page operations beyond the rail's reorder, rotate and delete (test_browse.py): the pages
ticked in the rail extracted into new documents, moved to another document chosen in a picker,
and other documents merged into this one; each a new version through the API's operation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import open_document, screenshot
from tests.samples import pdf_with_text


@pytest.fixture
def folder(api: httpx.Client, request: pytest.FixtureRequest) -> dict[str, Any]:
    """A folder of the test's own, so that each picker lists only the test's documents."""
    me = api.get("/api/users/me").json()
    made = api.post(
        "/api/nodes/",
        json={
            "title": request.node.name[:60],
            "ctype": "folder",
            "parent_id": me["home_folder_id"],
        },
    )
    assert made.status_code == 201, made.text
    return made.json()


def _upload(
    api: httpx.Client, folder: dict[str, Any], title: str, pages: list[str]
) -> dict[str, Any]:
    upload = api.post(
        "/api/documents/upload",
        files={"file": (title, pdf_with_text(pages), "application/pdf")},
        data={"parent_id": folder["id"]},
    )
    assert upload.status_code == 201, upload.text
    return upload.json()


def _texts(api: httpx.Client, document_id: str) -> list[str]:
    pages = api.get(f"/api/documents/{document_id}").json()["versions"][-1]["pages"]
    return [page["text"].strip() for page in pages]


def test_selected_pages_are_extracted_into_one_document_each(
    signed_in: Page, api: httpx.Client, folder: dict[str, Any]
) -> None:
    page = signed_in
    source = _upload(api, folder, "stack.pdf", ["Alpha", "Bravo", "Charlie"])
    open_document(page, f"/documents/{source['id']}")
    extract = page.get_by_role("button", name="Extract…")
    expect(extract).to_be_disabled()
    page.get_by_label("Select page 1").check()
    page.get_by_label("Select page 3").check()
    expect(page.locator("#page-selection-state")).to_have_text("Selected pages: 2")
    extract.click()
    dialog = page.get_by_role("dialog", name="Extract pages")
    expect(dialog.get_by_label("Title of the new document")).to_have_value("stack")
    dialog.get_by_label("Title of the new document").fill("part")
    dialog.get_by_label("one document per page").check()
    screenshot(page, "extract-pages")
    dialog.get_by_role("button", name="Extract").click()
    expect(page.locator(".versions li")).to_have_count(2)
    assert _texts(api, source["id"]) == ["Bravo"]
    children = api.get(f"/api/nodes/{folder['id']}?page_size=50").json()["items"]
    made = [node for node in children if node["title"].startswith("part")]
    assert len(made) == 2
    assert sorted(t for node in made for t in _texts(api, node["id"])) == ["Alpha", "Charlie"]


def test_pages_are_moved_to_a_document_chosen_in_the_picker(
    signed_in: Page, api: httpx.Client, folder: dict[str, Any]
) -> None:
    page = signed_in
    source = _upload(api, folder, "from.pdf", ["One", "Two"])
    target = _upload(api, folder, "into.pdf", ["Front", "Back"])
    _upload(api, folder, "other.pdf", ["Other"])
    open_document(page, f"/documents/{source['id']}")
    page.get_by_label("Select page 2").check()
    page.get_by_role("button", name="Move to…").click()
    dialog = page.get_by_role("dialog", name="Move pages to another document")
    # The documents beside this one (not itself), narrowed by typing.
    choices = dialog.locator(".picker-list").get_by_role("radio")
    expect(choices).to_have_count(2)
    dialog.get_by_label("Find a document").fill("int")
    expect(choices).to_have_count(1)
    # Nothing chosen: said in the dialog, nothing changes.
    dialog.get_by_role("button", name="Move", exact=True).click()
    expect(dialog.get_by_role("alert")).to_have_text("Choose a document first.")
    dialog.get_by_role("radio", name="into.pdf").check()
    dialog.get_by_label("after its last page").check()
    screenshot(page, "move-pages")
    dialog.get_by_role("button", name="Move", exact=True).click()
    expect(page.locator(".versions li")).to_have_count(2)
    assert _texts(api, source["id"]) == ["One"]
    assert _texts(api, target["id"]) == ["Front", "Back", "Two"]


def test_documents_are_merged_into_this_one_in_the_order_ticked(
    signed_in: Page, api: httpx.Client, folder: dict[str, Any]
) -> None:
    page = signed_in
    target = _upload(api, folder, "main.pdf", ["Main"])
    first = _upload(api, folder, "first.pdf", ["First"])
    second = _upload(api, folder, "second.pdf", ["Second"])
    open_document(page, f"/documents/{target['id']}")
    page.get_by_role("button", name="Merge…").click()
    dialog = page.get_by_role("dialog", name="Merge documents into this one")
    expect(dialog.get_by_role("checkbox")).to_have_count(2)
    # Keyboard: ticked in the order second, first.
    dialog.get_by_role("checkbox", name="second.pdf").focus()
    page.keyboard.press("Space")
    dialog.get_by_role("checkbox", name="first.pdf").focus()
    page.keyboard.press("Space")
    dialog.get_by_role("button", name="Merge", exact=True).click()
    expect(page.locator(".versions li")).to_have_count(2)
    assert _texts(api, target["id"]) == ["Main", "Second", "First"]
    for gone in (first, second):
        assert api.get(f"/api/documents/{gone['id']}").json()["trashed_at"] is not None


def test_a_refused_move_is_said_in_the_dialog_and_changes_nothing(
    signed_in: Page, api: httpx.Client, folder: dict[str, Any]
) -> None:
    page = signed_in
    source = _upload(api, folder, "keep.pdf", ["Kept"])
    _upload(api, folder, "there.pdf", ["There"])
    open_document(page, f"/documents/{source['id']}")
    page.get_by_label("Select page 1").check()
    page.get_by_role("button", name="Move to…").click()
    dialog = page.get_by_role("dialog", name="Move pages to another document")
    dialog.get_by_role("radio", name="there.pdf").check()
    # Meanwhile the page is turned elsewhere: a new version, whose pages are not the ones
    # ticked here. The API refuses, the dialog says why.
    ticked = api.get(f"/api/documents/{source['id']}").json()["versions"][-1]["pages"][0]
    turned = api.post(
        "/api/pages/", json=[{"page": {"id": ticked["id"], "number": 1}, "angle": 90}]
    )
    assert turned.status_code == 200, turned.text
    dialog.get_by_role("button", name="Move", exact=True).click()
    expect(dialog.get_by_role("alert")).not_to_be_empty()
    expect(dialog).to_be_visible()
    assert _texts(api, source["id"]) == ["Kept"]
    assert len(api.get(f"/api/documents/{source['id']}").json()["versions"]) == 2
