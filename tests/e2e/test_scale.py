"""Size: a folder of 10,000 items opens and pages through them (the API's own listing query,
rendered on the server: one request per screen whatever the folder's size), and a 100-page
document shows its first page while the others wait until they scroll into view.

How fast is measured in ``benchmarks/browser.py`` (``make bench``), not here: no test asserts
a time."""

from __future__ import annotations

import uuid

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy import insert

from quire.core.db import Database, utcnow
from quire.core.models import Node
from tests.e2e.conftest import screenshot
from tests.processes import Served
from tests.samples import pdf_with_text

ITEMS = 10_000
PAGES = 100


def _fill(database_url: str, folder_id: str, user_id: str) -> None:
    """Straight into the database: the listing is tested, not 10,000 API calls."""
    database = Database(database_url)
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "title": f"Folder {n:05d}",
            "ctype": "folder",
            "lang": "eng",
            "user_id": uuid.UUID(user_id),
            "parent_id": uuid.UUID(folder_id),
            "created_at": now,
            "updated_at": now,
        }
        for n in range(ITEMS)
    ]
    with database.engine.begin() as connection:
        for start in range(0, ITEMS, 1000):
            connection.execute(insert(Node), rows[start : start + 1000])
    database.dispose()


def test_a_folder_of_10000_items_opens_and_pages(
    signed_in: Page, api: httpx.Client, server: Served, server_database_url: str
) -> None:
    page = signed_in
    me = api.get("/api/users/me").json()
    big = api.post(
        "/api/nodes/", json={"title": "Big", "ctype": "folder", "parent_id": me["home_folder_id"]}
    ).json()
    _fill(server_database_url, big["id"], me["id"])

    page.goto(f"/folders/{big['id']}")
    expect(page.locator("#listing tbody tr")).to_have_count(100)
    expect(page.get_by_role("link", name="Folder 00000", exact=True)).to_be_visible()
    expect(page.locator(".pager")).to_contain_text("of 100")
    screenshot(page, "large-folder")

    page.get_by_role("link", name="Last").click()
    expect(page.get_by_role("link", name="Folder 09999", exact=True)).to_be_visible()
    page.get_by_role("link", name="Name").click()
    expect(page.locator("#listing th[aria-sort='ascending']")).to_contain_text("Name")
    expect(page.locator("#listing tbody tr").first).to_contain_text("Folder 00000")
    page.get_by_role("link", name="Name").click()
    expect(page.locator("#listing th[aria-sort='descending']")).to_contain_text("Name")
    expect(page.locator("#listing tbody tr").first).to_contain_text("Folder 09999")
    page.get_by_role("spinbutton", name="Page").fill("50")
    page.get_by_role("button", name="Go").click()
    expect(page.locator("#listing tbody tr").first).to_contain_text("Folder 05099")


def test_a_100_page_document_shows_its_first_page_first(signed_in: Page, api: httpx.Client) -> None:
    page = signed_in
    pdf = pdf_with_text([f"Page number {n}" for n in range(1, PAGES + 1)])
    upload = api.post("/api/documents/upload", files={"file": ("long.pdf", pdf, "application/pdf")})
    assert upload.status_code == 201, upload.text
    page.goto(f"/documents/{upload.json()['id']}")
    page.wait_for_function(
        "() => { const i = document.querySelector('.page img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    expect(page.locator(".page img")).to_have_count(PAGES)
    # Lazy: the pages far below have not been asked for yet.
    loaded = page.evaluate(
        "() => [...document.querySelectorAll('.page img')].filter(i => i.complete"
        " && i.naturalWidth > 0).length"
    )
    assert loaded < PAGES
    page.get_by_role("link", name=f"Page {PAGES}", exact=True).click()
    last = page.get_by_role("img", name=f"Page {PAGES} of {PAGES}")
    expect(last).to_be_in_viewport()
    page.wait_for_function(
        f"() => {{ const i = document.querySelector('#page-{PAGES} img');"
        " return i.complete && i.naturalWidth > 0; }"
    )
