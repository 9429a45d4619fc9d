"""The web UI's acceptance scenario (issue 18), one person's day in one test, through the browser
only: sign in, upload two files, open one, reorder and rotate its pages and apply them as a new
version, tag it, give it a type and a custom field's value, find it by a word with the word
highlighted, share its folder with bob and see it as bob, delete it into the trash and restore
it, sign out.

Only what the scenario does not name is set up through the API: the role bob is given. Bob
himself, the custom field and the document type are made on the administration pages, as an
administrator would."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import accounts
from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.helpers import row, search_until_found, signed_in_as, upload
from tests.processes import Served
from tests.samples import pdf_with_text

MEMBER = "Member"


@pytest.fixture
def member_role(api: httpx.Client) -> None:
    accounts.role(api, MEMBER, accounts.MEMBER_SCOPES)


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    made = []
    for name, pages in (
        ("report.pdf", ["Alpha", "Bravo", "Charlie saw a quokka"]),
        ("notes.pdf", ["Meeting notes", "Next steps"]),
    ):
        path = tmp_path / name
        path.write_bytes(pdf_with_text(pages))
        made.append(path)
    return made


def _make_bob(page: Page) -> None:
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="New user").click()
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(accounts.PASSWORD)
    page.get_by_role("checkbox", name=MEMBER, exact=True).check()
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("heading", name="User bob")).to_be_visible()


def _make_invoice_type(page: Page) -> None:
    page.goto("/admin/custom-fields/new")
    page.get_by_label("Name").fill("Amount")
    page.get_by_label("Type").select_option("int")
    page.get_by_role("button", name="Create custom field").click()
    expect(page.get_by_role("heading", name="Custom field Amount")).to_be_visible()
    page.goto("/admin/document-types/new")
    page.get_by_label("Name").fill("Invoice")
    page.get_by_role("checkbox", name="Amount").check()
    page.get_by_role("button", name="Create document type").click()
    expect(page.get_by_role("heading", name="Document type Invoice")).to_be_visible()


def _page_texts(page: Page, texts: list[str]) -> None:
    for number, text in enumerate(texts, start=1):
        page.get_by_text(f"Text of page {number}", exact=True).click()
        expect(page.locator(f"#page-{number} .page-text")).to_contain_text(text)


def test_the_acceptance_scenario(
    page: Page, browser: Browser, server: Served, files: list[Path], member_role: None
) -> None:
    # Sign in.
    page.goto("/")
    expect(page).to_have_url("/signin?next=%2F")
    sign_in(page)
    expect(page.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    _make_bob(page)
    _make_invoice_type(page)

    # Upload two files into a new folder.
    page.goto("/")
    page.get_by_role("button", name="New folder").click()
    page.get_by_label("Folder name").fill("Projects")
    page.get_by_role("button", name="OK").click()
    row(page, "Projects").get_by_role("link", name="Projects", exact=True).click()
    expect(page.locator(".breadcrumb [aria-current]")).to_have_text("Projects")
    projects = page.url
    upload(page, files)
    expect(page.locator("#uploads li").filter(has_text="Uploaded")).to_have_count(2)
    expect(row(page, "report.pdf")).to_be_visible()
    expect(row(page, "notes.pdf")).to_be_visible()
    screenshot(page, "acceptance-1-uploaded")

    # Open one; page 3 up and page 1 turned, applied as version 2.
    row(page, "report.pdf").get_by_role("link", name="report.pdf", exact=True).click()
    expect(page.locator(".document-page[data-ready]")).to_be_attached()
    expect(page.get_by_role("heading", name="report.pdf")).to_be_visible()
    expect(page.get_by_role("img", name="Page 1 of 3")).to_be_visible()
    apply = page.get_by_role("button", name="Apply")
    expect(apply).to_be_disabled()
    page.get_by_role("button", name="Move page 3 up").click()
    page.get_by_role("button", name="Rotate page 1 clockwise").click()
    expect(page.locator("#rail-pages > li")).to_have_count(3)
    expect(apply).to_be_enabled()
    screenshot(page, "acceptance-2-pages-changed")
    apply.click()
    expect(page.locator(".versions li")).to_have_count(2)
    expect(page.locator(".versions li").first).to_contain_text("Version 2")
    _page_texts(page, ["Alpha", "Charlie saw a quokka", "Bravo"])
    # Alpha, turned a quarter, is now a landscape page.
    page.wait_for_function(
        "() => { const i = document.querySelector('#page-1 img');"
        " return i.complete && i.naturalWidth > i.naturalHeight; }"
    )

    # Tag it, type it, fill its field.
    page.get_by_placeholder("Add a tag").fill("acceptance")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#document-tags .tag", has_text="acceptance")).to_be_visible()
    page.get_by_label("Document type").select_option(label="Invoice")
    page.get_by_role("button", name="Change type").click()
    page.get_by_label("Amount").fill("42")
    page.get_by_role("button", name="Save fields").click()
    expect(page.locator("#status")).to_contain_text("Fields saved.")
    page.reload()
    expect(page.locator("#document-tags .tag", has_text="acceptance")).to_be_visible()
    expect(page.get_by_label("Document type").locator("option:checked")).to_have_text("Invoice")
    expect(page.get_by_label("Amount")).to_have_value("42")
    expect(page.locator(".versions li")).to_have_count(2)
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, "acceptance-3-document")
    page.locator("#metadata").scroll_into_view_if_needed()
    screenshot(page, "acceptance-3-fields")

    # Find it by a word of its text, the word highlighted.
    search_until_found(page, "quokka")
    result = page.locator(".result", has=page.get_by_role("link", name="report.pdf"))
    expect(result).to_be_visible()
    expect(result.locator(".snippet mark")).to_have_text("quokka")
    expect(page.locator(".result")).to_have_count(1)
    screenshot(page, "acceptance-4-search")

    # Share the folder with bob, who finds it under "Shared with me".
    page.get_by_role("link", name="Home").click()
    row(page, "Projects").get_by_role("button", name="Share Projects").click()
    dialog = page.get_by_role("dialog", name="Share Projects")
    expect(dialog.get_by_text("Not shared with anyone yet.")).to_be_visible()
    dialog.get_by_label("User or group").select_option(label="bob")
    dialog.get_by_label("Role").select_option(label=MEMBER)
    dialog.get_by_role("button", name="Share", exact=True).click()
    expect(dialog.locator("#share-list li span")).to_have_text([f"bob: {MEMBER}"])
    screenshot(page, "acceptance-5-share")
    dialog.get_by_role("button", name="Close").click()
    with signed_in_as(browser, server.base, "bob") as bob:
        bob.get_by_role("link", name="Shared with me").click()
        row(bob, "Projects").get_by_role("link", name="Projects", exact=True).click()
        expect(row(bob, "report.pdf")).to_be_visible()
        expect(row(bob, "notes.pdf")).to_be_visible()
        screenshot(bob, "acceptance-6-bob-shared-with-me")

    # Delete it into the trash and restore it.
    page.goto(projects)
    row(page, "report.pdf").get_by_role("button", name="Move report.pdf to the trash").click()
    expect(row(page, "report.pdf")).to_have_count(0)
    expect(page.locator("#status")).to_contain_text("Moved to the trash: report.pdf")
    page.get_by_role("link", name="Trash").click()
    expect(row(page, "report.pdf")).to_be_visible()
    screenshot(page, "acceptance-7-trash")
    row(page, "report.pdf").get_by_role("button", name="Restore report.pdf").click()
    expect(row(page, "report.pdf")).to_have_count(0)
    page.goto(projects)
    expect(row(page, "report.pdf")).to_be_visible()
    expect(row(page, "report.pdf").locator(".tag", has_text="acceptance")).to_be_visible()

    # Sign out: the pages ask for a sign-in again.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url("/signin")
    page.goto(projects)
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Ffolders%2F"))
