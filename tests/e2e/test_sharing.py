"""Sharing from the folder page: alice shares a folder with bob under a role, bob finds it under
"Shared with me"; alice takes it back and it is gone. From the viewer: alice shares a document,
bob opens it (and, reading it under a role that may not share, is offered no Share button)."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import accounts
from tests.e2e.conftest import open_document, screenshot, sign_in
from tests.e2e.helpers import signed_in_as
from tests.processes import Served
from tests.samples import pdf_with_text


@pytest.fixture(scope="module")
def people(api: httpx.Client) -> dict[str, dict[str, str]]:
    member = accounts.role(api, "Member", accounts.MEMBER_SCOPES)
    viewer = accounts.role(api, "Reader", ["node.view", "page.view", "document.download"])
    return {
        "alice": accounts.user(api, "alice", [member["id"]]),
        "bob": accounts.user(api, "bob", [member["id"]]),
        "reader": viewer,
    }


def test_alice_shares_a_folder_with_bob_and_takes_it_back(
    page: Page, browser: Browser, server: Served, people: dict[str, dict[str, str]]
) -> None:
    with accounts.client_of(server.base, "alice") as alice:
        home = alice.get("/api/users/me").json()["home_folder_id"]
        accounts.folder(alice, home, "Plans <b>2026</b>")
    sign_in(page, "alice", accounts.PASSWORD)
    row = page.locator("#listing tr", has_text="Plans <b>2026</b>")
    row.get_by_role("button", name="Share Plans <b>2026</b>").click()
    dialog = page.get_by_role("dialog", name="Share Plans <b>2026</b>")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("Not shared with anyone yet.")).to_be_visible()
    grantee = dialog.get_by_label("User or group")
    # Everyone but alice herself.
    expect(grantee.locator("option", has_text="alice")).to_have_count(0)
    grantee.select_option(label="bob")
    dialog.get_by_label("Role").select_option(label="Reader")
    dialog.get_by_role("button", name="Share", exact=True).click()
    expect(dialog.locator("#share-list li span")).to_have_text(["bob: Reader"])
    screenshot(page, "share-dialog")
    dialog.get_by_role("button", name="Close").click()

    with signed_in_as(browser, server.base, "bob") as bob:
        bob.get_by_role("link", name="Shared with me").click()
        expect(bob.get_by_role("link", name="Plans <b>2026</b>", exact=True)).to_be_visible()
        screenshot(bob, "shared-with-me")

        row.get_by_role("button", name="Share Plans <b>2026</b>").click()
        expect(dialog.locator("#share-list li")).to_have_count(1)
        dialog.get_by_role("button", name="Stop sharing with bob").click()
        expect(dialog.get_by_text("Not shared with anyone yet.")).to_be_visible()
        expect(page.get_by_role("status")).to_contain_text("No longer shared with bob")
        bob.reload()
        expect(bob.get_by_role("link", name="Plans <b>2026</b>", exact=True)).to_have_count(0)


def test_a_refused_share_says_why_in_the_dialog(
    page: Page, server: Served, people: dict[str, dict[str, str]], api: httpx.Client
) -> None:
    # carol may share but not pick users: the dialog says what the API said.
    limited = [scope for scope in accounts.MEMBER_SCOPES if scope != "user.select"]
    role = accounts.role(api, "No picking", limited)
    accounts.user(api, "carol", [role["id"]])
    with accounts.client_of(server.base, "carol") as carol:
        home = carol.get("/api/users/me").json()["home_folder_id"]
        accounts.folder(carol, home, "Notes")
    sign_in(page, "carol", accounts.PASSWORD)
    page.get_by_role("button", name="Share Notes").click()
    alert = page.get_by_role("dialog").get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("user.select")


def test_a_document_is_shared_from_the_viewer_and_bob_opens_it(
    page: Page, browser: Browser, server: Served, people: dict[str, dict[str, str]]
) -> None:
    with accounts.client_of(server.base, "alice") as alice:
        made = alice.post(
            "/api/documents/upload",
            files={"file": ("lease.pdf", pdf_with_text(["Lease of flat 3"]), "application/pdf")},
        )
    assert made.status_code == 201, made.text
    sign_in(page, "alice", accounts.PASSWORD)
    open_document(page, f"/documents/{made.json()['id']}")
    page.get_by_role("button", name="Share lease.pdf").click()
    dialog = page.get_by_role("dialog", name="Share lease.pdf")
    expect(dialog.get_by_text("Not shared with anyone yet.")).to_be_visible()
    dialog.get_by_label("User or group").select_option(label="bob")
    dialog.get_by_label("Role").select_option(label="Reader")
    dialog.get_by_role("button", name="Share", exact=True).click()
    expect(dialog.locator("#share-list li span")).to_have_text(["bob: Reader"])
    expect(page.locator("#status")).to_contain_text("Shared: lease.pdf")
    screenshot(page, "share-from-viewer")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    with signed_in_as(browser, server.base, "bob") as bob:
        bob.get_by_role("link", name="Shared with me").click()
        bob.get_by_role("link", name="lease.pdf", exact=True).click()
        expect(bob.get_by_role("heading", name="lease.pdf")).to_be_visible()
        expect(bob.get_by_role("img", name="Page 1 of 1")).to_be_visible()
        # Bob reads it under a role without sharing: the viewer offers him no Share button.
        expect(bob.get_by_role("button", name="Share lease.pdf")).to_have_count(0)
        expect(bob.locator("#share-dialog")).to_have_count(0)
