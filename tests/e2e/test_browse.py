"""The UI's main path in Chromium: sign in, upload two files, open one and see its page, tag it,
make a folder, rename it, delete it into the trash and restore it, sign out."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import open_document, screenshot, sign_in
from tests.e2e.helpers import row, search_until_found, upload
from tests.samples import pdf_with_text


@pytest.fixture
def pdfs(tmp_path: Path) -> list[Path]:
    files = []
    for name, pages in (
        ("invoice.pdf", ["Invoice 2026-17", "Terms"]),
        ("letter.pdf", ["Dear Ada"]),
    ):
        path = tmp_path / name
        path.write_bytes(pdf_with_text(pages))
        files.append(path)
    return files


def _thumbnails_loaded(page: Page) -> None:
    # A function, not an expression string: the page's CSP forbids eval, polling included.
    page.wait_for_function(
        "() => [...document.querySelectorAll('#listing img[data-thumbnail]')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )


def test_sign_in_upload_view_tag_folder_trash_sign_out(page: Page, pdfs: list[Path]) -> None:
    page.goto("/")
    expect(page).to_have_url("/signin?next=%2F")
    screenshot(page, "signin")
    sign_in(page)
    expect(page.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")

    page.goto("/inbox")
    upload(page, pdfs)
    uploads = page.locator("#uploads li")
    expect(uploads).to_have_count(2)
    expect(uploads.filter(has_text="Uploaded")).to_have_count(2)
    expect(row(page, "invoice.pdf")).to_be_visible()
    expect(row(page, "letter.pdf")).to_be_visible()
    _thumbnails_loaded(page)
    screenshot(page, "folder-list")

    page.get_by_role("link", name="Grid").click()
    expect(page.locator(".grid .card")).to_have_count(2)
    # Thumbnails are drawn on request: both arrive as images.
    _thumbnails_loaded(page)
    screenshot(page, "folder-grid")

    page.get_by_role("link", name="invoice.pdf").click()
    expect(page.get_by_role("heading", name="invoice.pdf")).to_be_visible()
    first_page = page.get_by_role("img", name="Page 1 of 2")
    expect(first_page).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('.page img').complete"
        " && document.querySelector('.page img').naturalWidth > 0"
    )
    expect(page.locator(".rail img")).to_have_count(2)
    expect(page.locator(".document-page[data-ready]")).to_be_attached()
    width = first_page.bounding_box()["width"]
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Zoom in").click()
    expect(page.locator("#zoom-level")).to_have_text("150%")
    # Zoomed past 150 %, the page comes as the large preview.
    expect(first_page).to_have_attribute("src", re.compile(r"size=lg"))
    page.wait_for_function(
        "() => document.querySelector('.page img').complete"
        " && document.querySelector('.page img').naturalWidth > 0"
    )
    # The zoom may be drawn a frame later than the image completes: wait for it, do not race it.
    page.wait_for_function(
        "(width) => document.querySelector('.page img').getBoundingClientRect().width > width",
        arg=width * 1.4,
    )
    page.get_by_role("button", name="Fit width").click()
    expect(page.locator("#zoom-level")).to_have_text("100%")
    page.get_by_text("Text of page 1").click()
    expect(page.locator("#page-1 .page-text")).to_contain_text("Invoice 2026-17")
    download = page.get_by_role("link", name="Download version 1")
    expect(download).to_have_attribute("href", re.compile(r"^/api/document-versions/.+/download$"))

    page.get_by_placeholder("Add a tag").fill("paid")
    page.get_by_role("button", name="Add", exact=True).click()
    chip = page.locator("#document-tags .tag", has_text="paid")
    expect(chip).to_be_visible()
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, "document")
    page.reload()
    expect(page.locator("#document-tags .tag", has_text="paid")).to_be_visible()

    page.goto("/")
    page.get_by_role("button", name="New folder").click()
    page.get_by_label("Folder name").fill("Taxes")
    page.get_by_role("button", name="OK").click()
    expect(row(page, "Taxes")).to_be_visible()

    row(page, "Taxes").get_by_role("button", name="Rename Taxes").click()
    page.get_by_label("New name").fill("Taxes 2026")
    page.get_by_role("button", name="OK").click()
    expect(row(page, "Taxes 2026")).to_be_visible()
    expect(row(page, "Taxes")).to_have_count(0)

    row(page, "Taxes 2026").get_by_role("button", name="Move Taxes 2026 to the trash").click()
    expect(row(page, "Taxes 2026")).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("Moved to the trash: Taxes 2026")

    page.get_by_role("link", name="Trash").click()
    expect(row(page, "Taxes 2026")).to_be_visible()
    screenshot(page, "trash")
    row(page, "Taxes 2026").get_by_role("button", name="Restore Taxes 2026").click()
    expect(row(page, "Taxes 2026")).to_have_count(0)
    page.get_by_role("link", name="Home").click()
    expect(row(page, "Taxes 2026")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url("/signin")
    page.goto("/inbox")
    expect(page).to_have_url("/signin?next=%2Finbox")


DROP_FILES = """(files) => {
    const transfer = new DataTransfer();
    for (const [name, type, base64] of files) {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        transfer.items.add(new File([bytes], name, { type }));
    }
    return transfer;
}"""


def test_files_dropped_anywhere_upload_with_progress_and_reasons(signed_in: Page) -> None:
    page = signed_in
    page.goto("/")
    page.get_by_role("button", name="New folder").click()
    page.get_by_label("Folder name").fill("Dropped")
    page.get_by_role("button", name="OK").click()
    page.get_by_role("link", name="Dropped", exact=True).click()
    # The folder's own page, once upload.js listens: under load, a drop dispatched before
    # its module was imported went unheard and the drop zone never showed.
    expect(page.get_by_role("heading", name="Dropped", level=1)).to_be_visible()
    expect(page.locator("html[data-ready]")).to_be_attached()
    files = [
        ("scan.pdf", "application/pdf", base64.b64encode(pdf_with_text(["Scan"])).decode()),
        ("notes.txt", "text/plain", base64.b64encode(b"just text").decode()),
        ("empty.pdf", "application/pdf", ""),
    ]
    transfer = page.evaluate_handle(DROP_FILES, files)
    page.dispatch_event(".breadcrumb", "dragenter", {"dataTransfer": transfer})
    expect(page.locator(".dropzone")).to_be_visible()
    page.dispatch_event(".breadcrumb", "drop", {"dataTransfer": transfer})
    expect(page.locator(".dropzone")).to_be_hidden()
    uploads = page.locator("#uploads li")
    expect(uploads).to_have_count(3)
    expect(uploads.filter(has_text="scan.pdf")).to_contain_text("Uploaded")
    # Each refusal says why, in the API's words.
    expect(uploads.filter(has_text="notes.txt")).to_contain_text("Not uploaded:")
    expect(uploads.filter(has_text="empty.pdf")).to_contain_text("Not uploaded:")
    expect(page.locator("#uploads li.failed")).to_have_count(2)
    expect(row(page, "scan.pdf")).to_be_visible()
    expect(row(page, "notes.txt")).to_have_count(0)
    _thumbnails_loaded(page)
    screenshot(page, "upload-errors")


def test_the_folder_page_fits_a_phone(signed_in: Page) -> None:
    page = signed_in
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/inbox")
    expect(page.get_by_role("button", name="Upload files")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, "phone-inbox")


def test_a_folder_is_made_and_opened_with_the_keyboard_alone(signed_in: Page) -> None:
    page = signed_in
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.get_by_role("button", name="New folder").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Folder name")).to_be_focused()
    page.keyboard.type("Typed")
    page.keyboard.press("Enter")
    link = page.get_by_role("link", name="Typed", exact=True)
    expect(link).to_be_visible()
    # Focus goes back to the button, from where Tab reaches the new folder's link.
    expect(page.get_by_role("button", name="New folder")).to_be_focused()
    for _ in range(20):
        page.keyboard.press("Tab")
        if link.evaluate("element => element === document.activeElement"):
            break
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".breadcrumb [aria-current]")).to_have_text("Typed")
    page.goto("/")
    rename = page.get_by_role("button", name="Rename Typed")
    rename.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("End")
    page.keyboard.type(" again")
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Typed again", exact=True)).to_be_visible()
    # The renamed row's button went with the old listing: focus is in the new one.
    expect(page.locator("#listing")).to_be_focused()


def test_search_from_the_top_bar_highlights_the_matching_page(
    signed_in: Page, tmp_path: Path
) -> None:
    page = signed_in
    page.goto("/inbox")
    path = tmp_path / "minutes.pdf"
    path.write_bytes(pdf_with_text(["Agenda", "The zeppelin budget was approved"]))
    upload(page, [path])
    expect(page.locator("#uploads li.done")).to_have_count(1)
    search_until_found(page, "zeppelin")
    result = page.locator(".result", has=page.get_by_role("link", name="minutes.pdf"))
    expect(result).to_be_visible()
    expect(result.locator(".snippet mark")).to_have_text("zeppelin")
    expect(result.get_by_role("link", name="Page 2")).to_have_attribute(
        "href", re.compile(r"^/documents/.+#page-2$")
    )
    screenshot(page, "search")
    result.get_by_role("link", name="Page 2").click()
    expect(page.get_by_role("img", name="Page 2 of 2")).to_be_in_viewport()
    page.goto("/search?q=tag%3A%28")
    expect(page.get_by_role("alert")).to_contain_text("The search could not be run")


def test_pages_are_reordered_rotated_and_applied_as_a_new_version(
    signed_in: Page, api: httpx.Client
) -> None:
    page = signed_in
    pdf = pdf_with_text(["Alpha", "Bravo", "Charlie"])
    upload = api.post(
        "/api/documents/upload", files={"file": ("pages.pdf", pdf, "application/pdf")}
    )
    assert upload.status_code == 201, upload.text
    # Bound controls first: a click before the viewer's module has loaded would be lost.
    open_document(page, f"/documents/{upload.json()['id']}")
    apply = page.get_by_role("button", name="Apply")
    expect(apply).to_be_disabled()
    # Keyboard: page 3 up -> Alpha, Charlie, Bravo; then drag Bravo before Alpha.
    page.get_by_role("button", name="Move page 3 up").click()
    page.get_by_role("button", name="Rotate page 1 clockwise").click()
    rail = page.locator("#rail-pages > li")
    rail.nth(2).drag_to(rail.nth(0), target_position={"x": 10, "y": 5})
    expect(rail.nth(0)).to_have_attribute("data-number", "2")
    expect(apply).to_be_enabled()
    screenshot(page, "page-operations")
    apply.click()
    expect(page.locator(".versions li")).to_have_count(2)
    for number, text in ((1, "Bravo"), (2, "Alpha"), (3, "Charlie")):
        page.get_by_text(f"Text of page {number}", exact=True).click()
        expect(page.locator(f"#page-{number} .page-text")).to_contain_text(text)
    # Alpha, turned a quarter, is now a landscape page.
    landscape = page.locator("#page-2 img")
    landscape.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => { const i = document.querySelector('#page-2 img');"
        " return i.complete && i.naturalWidth > i.naturalHeight; }"
    )
