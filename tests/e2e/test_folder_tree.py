"""The browser's sidebar: the user's and their groups' folders as an ARIA tree, expanded lazily,
used with the keyboard alone; group homes and inboxes open like any folder."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.e2e import accounts
from tests.e2e.conftest import screenshot


def test_the_tree_expands_lazily_and_follows_the_keyboard(
    signed_in: Page, api: httpx.Client
) -> None:
    page = signed_in
    me = api.get("/api/users/me").json()
    projects = accounts.folder(api, me["home_folder_id"], "Projects")
    year = accounts.folder(api, projects["id"], "2026")
    accounts.folder(api, year["id"], "Q1")
    accounts.folder(api, me["home_folder_id"], "Receipts")
    group = api.post("/api/groups/", json={"name": "Finance", "with_special_folders": True})
    assert group.status_code == 201, group.text
    joined = api.patch(f"/api/users/{me['id']}", json={"group_ids": [group.json()["id"]]})
    assert joined.status_code == 200, joined.text

    page.goto("/inbox")
    tree = page.get_by_role("tree", name="Folders")
    home = tree.get_by_role("treeitem", name="Home", exact=True)
    for name in ("Home", "Inbox", "Finance: home", "Finance: inbox"):
        expect(tree.get_by_role("treeitem", name=name, exact=True)).to_be_visible()
    expect(tree.get_by_role("treeitem", name="Projects")).to_have_count(0)
    expect(home).to_have_attribute("aria-expanded", "false")

    home.focus()
    page.keyboard.press("ArrowRight")
    expect(home).to_have_attribute("aria-expanded", "true")
    expect(tree.get_by_role("treeitem", name="Receipts")).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(tree.get_by_role("treeitem", name="Projects")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(tree.get_by_role("treeitem", name="Projects")).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowRight")
    expect(tree.get_by_role("treeitem", name="2026")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"/folders/{year['id']}")
    expect(page.locator(".breadcrumb [aria-current]")).to_have_text("2026")
    # The way to the open folder is expanded, and the folder marked.
    current = page.get_by_role("tree").get_by_role("treeitem", name="2026")
    expect(current).to_have_attribute("aria-current", "page")
    expect(current).to_have_attribute("tabindex", "0")
    current.focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("treeitem", name="Projects")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("treeitem", name="Projects")).to_have_attribute(
        "aria-expanded", "false"
    )
    expect(page.get_by_role("treeitem", name="2026")).to_be_hidden()
    page.keyboard.press("End")
    expect(page.get_by_role("treeitem", name="Finance: inbox")).to_be_focused()
    page.keyboard.press("Home")
    expect(page.get_by_role("treeitem", name="Home", exact=True)).to_be_focused()
    screenshot(page, "folder-tree")

    # A group's home opens like any folder, named after the group.
    page.get_by_role("treeitem", name="Finance: home").click()
    expect(page.locator(".breadcrumb [aria-current]")).to_have_text("Finance: home")
    page.get_by_role("button", name="New folder").click()
    page.get_by_label("Folder name").fill("Budgets")
    page.get_by_role("button", name="OK").click()
    expect(page.get_by_role("link", name="Budgets", exact=True)).to_be_visible()
    finance = page.get_by_role("treeitem", name="Finance: home")
    finance.locator("xpath=preceding-sibling::span[@class='tree-toggle']").click()
    expect(page.get_by_role("treeitem", name="Budgets")).to_be_visible()
    # A folder made while the tree shows the open folder's subfolders appears there too.
    page.get_by_role("button", name="New folder").click()
    page.get_by_label("Folder name").fill("Audits")
    page.get_by_role("button", name="OK").click()
    expect(page.get_by_role("treeitem", name="Audits")).to_be_visible()
    expect(finance).to_have_attribute("aria-expanded", "true")


def test_the_sidebar_folds_away_on_a_phone(signed_in: Page) -> None:
    page = signed_in
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/")
    expect(page.locator("#sidebar")).not_to_have_attribute("open", "")
    page.get_by_text("Folders", exact=True).click()
    expect(page.get_by_role("treeitem", name="Inbox", exact=True)).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, "phone-folder-tree")


def test_a_row_dragged_onto_the_tree_moves_there(signed_in: Page, api: httpx.Client) -> None:
    page = signed_in
    me = api.get("/api/users/me").json()
    target = accounts.folder(api, me["home_folder_id"], "Target")
    accounts.folder(api, target["id"], "Taken")
    accounts.folder(api, me["home_folder_id"], "Loose")
    accounts.folder(api, me["home_folder_id"], "Taken")
    page.goto("/")
    tree = page.get_by_role("tree", name="Folders")
    home = tree.get_by_role("treeitem", name="Home", exact=True)
    home.focus()
    page.keyboard.press("ArrowRight")
    drop = tree.get_by_role("treeitem", name="Target")
    expect(drop).to_be_visible()
    page.locator("#listing tr", has_text="Loose").drag_to(drop)
    expect(page.get_by_role("link", name="Loose", exact=True)).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("Moved: Loose")
    children = api.get(f"/api/nodes/{target['id']}").json()["items"]
    assert sorted(child["title"] for child in children) == ["Loose", "Taken"]
    # The API's refusal, in its words; nothing moved.
    page.locator("#listing tr", has_text="Taken").drag_to(drop)
    expect(page.get_by_role("status")).to_contain_text("Not moved: Taken:")
    expect(page.get_by_role("link", name="Taken", exact=True)).to_be_visible()
