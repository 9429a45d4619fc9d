"""The dual panel (upstream's commander): two folders side by side; a row dragged onto the
other panel, or moved with its button, is moved by the API; its refusal is shown."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.e2e import accounts
from tests.e2e.conftest import screenshot
from tests.samples import pdf_with_text


def test_drag_and_drop_moves_between_panels_and_shows_refusals(
    signed_in: Page, api: httpx.Client
) -> None:
    page = signed_in
    me = api.get("/api/users/me").json()
    left = accounts.folder(api, me["home_folder_id"], "Left side")
    right = accounts.folder(api, me["home_folder_id"], "Right side")
    accounts.folder(api, left["id"], "Contracts")
    accounts.folder(api, left["id"], "Clash")
    accounts.folder(api, right["id"], "Clash")
    target = accounts.folder(api, right["id"], "Archive")
    upload = api.post(
        "/api/documents/upload",
        files={"file": ("scan.pdf", pdf_with_text(["Scan"]), "application/pdf")},
        data={"parent_id": left["id"]},
    )
    assert upload.status_code == 201, upload.text

    page.goto(f"/commander?left={left['id']}&right={right['id']}")
    left_panel = page.get_by_role("region", name="Left panel: Left side")
    right_panel = page.get_by_role("region", name="Right panel: Right side")
    expect(left_panel.get_by_role("link", name="Contracts")).to_be_visible()
    screenshot(page, "commander")

    # Dragged onto the other panel: into its folder.
    left_panel.locator("li", has_text="Contracts").drag_to(right_panel.locator(".panel-title"))
    expect(right_panel.get_by_role("link", name="Contracts")).to_be_visible()
    expect(left_panel.get_by_role("link", name="Contracts")).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("Moved: Contracts")
    # Dragged onto a folder in the other panel: into that folder.
    left_panel.locator("li", has_text="scan.pdf").drag_to(
        right_panel.locator("li", has_text="Archive")
    )
    expect(left_panel.get_by_role("link", name="scan.pdf")).to_have_count(0)
    children = api.get(f"/api/nodes/{target['id']}").json()["items"]
    assert [child["title"] for child in children] == ["scan.pdf"]

    # A title the other folder holds already: the API's refusal, said as it says it.
    left_panel.get_by_role("button", name="Move Clash to the right panel").click()
    alert = page.locator("#commander-error")
    expect(alert).to_contain_text("Not moved: Clash:")
    expect(alert).to_contain_text("already exists in this folder")
    expect(left_panel.get_by_role("link", name="Clash")).to_be_visible()
    screenshot(page, "commander-refusal")

    # The keyboard's way back, and the panels follow their folders' links.
    right_panel.get_by_role("button", name="Move Contracts to the left panel").click()
    expect(left_panel.get_by_role("link", name="Contracts")).to_be_visible()
    left_panel.get_by_role("link", name="Contracts").click()
    expect(page.get_by_role("region", name="Left panel: Contracts")).to_be_visible()
    expect(page.get_by_role("region", name="Right panel: Right side")).to_be_visible()


def test_the_commander_fits_a_phone(signed_in: Page) -> None:
    page = signed_in
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/commander")
    expect(page.get_by_role("region", name="Right panel: Inbox")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
