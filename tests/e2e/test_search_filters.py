"""Search with filters as controls: tags, document type, a custom field, dates and kind, each
a control whose values make the link; the query language's help beside them; a refused value
said on the page; the page fits a phone."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot
from tests.samples import pdf_with_text


@pytest.fixture(scope="module")
def receipts(api: httpx.Client) -> dict[str, Any]:
    """Three documents about a "walrus": one tagged and typed with an amount of 250, one
    tagged only, one neither."""
    amount = api.post("/api/custom-fields/", json={"name": "Total", "type": "int"}).json()
    receipt = api.post(
        "/api/document-types/", json={"name": "Receipt", "custom_field_ids": [amount["id"]]}
    ).json()
    made = {}
    for title in ("typed.pdf", "tagged.pdf", "plain.pdf"):
        upload = api.post(
            "/api/documents/upload",
            files={"file": (title, pdf_with_text([f"walrus {title}"]), "application/pdf")},
        )
        assert upload.status_code == 201, upload.text
        made[title] = upload.json()["id"]
    for title in ("typed.pdf", "tagged.pdf"):
        assert api.patch(f"/api/nodes/{made[title]}/tags", json=["kept"]).status_code == 200
    typed = made["typed.pdf"]
    body = {"document_type_id": receipt["id"]}
    assert api.patch(f"/api/documents/{typed}/type", json=body).status_code == 200
    values = [{"key": "Total", "value": 250}]
    assert api.patch(f"/api/documents/{typed}/custom-fields", json=values).status_code == 200
    # The index is written by background tasks, and each write above queues one: wait until
    # it holds the last of them, so the page's filters are checked against a settled index.
    _index_until(api, "walrus", 3)
    _index_until(api, "walrus tag:kept", 2)
    _index_until(api, "walrus type:Receipt cf.Total:250", 1)
    return made


def _index_until(api: httpx.Client, query: str, count: int) -> None:
    for _ in range(120):
        found = api.get("/api/search/", params={"q": query}).json()["items"]
        if len(found) == count:
            return
        time.sleep(0.25)
    pytest.fail(f"the index never held {count} results for {query!r}")


def _titles(page: Page) -> list[str]:
    return page.locator(".result-title").all_inner_texts()


def test_filters_narrow_the_results_and_make_the_link(
    signed_in: Page, receipts: dict[str, Any]
) -> None:
    page = signed_in
    page.goto("/search?q=walrus")
    expect(page.locator(".result")).to_have_count(3)
    filters = page.locator("details.filters")
    filters.locator("summary").click()
    page.get_by_label("With all of these tags").fill("kept")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".result")).to_have_count(2)
    assert sorted(_titles(page)) == ["tagged.pdf", "typed.pdf"]
    assert "tags=kept" in page.url
    # The filters stay open, with their values, in the link's page.
    expect(page.get_by_label("With all of these tags")).to_have_value("kept")

    page.get_by_label("Document type").select_option("Receipt")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".result")).to_have_count(1)
    assert _titles(page) == ["typed.pdf"]

    page.get_by_label("Document type").select_option("")
    page.get_by_label("Field", exact=True).select_option("Total")
    page.get_by_label("Comparison").select_option(label="more than")
    page.get_by_label("Value", exact=True).fill("300")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("Nothing found.")).to_be_visible()
    page.get_by_label("Comparison").select_option(label="less than")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".result")).to_have_count(1)
    screenshot(page, "search-filters")

    page.get_by_role("link", name="Clear filters").click()
    expect(page.locator(".result")).to_have_count(3)
    filters.locator("summary").click()
    page.get_by_label("Kind").select_option("folder")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("Nothing found.")).to_be_visible()


def test_a_date_filter_alone_searches_and_a_bad_one_is_said(
    signed_in: Page, receipts: dict[str, Any]
) -> None:
    page = signed_in
    page.goto("/search?q=walrus&created_from=2000-01-01&kind=document")
    expect(page.locator(".result")).to_have_count(3)
    page.goto("/search?q=walrus&created_to=2000-01-01")
    expect(page.get_by_text("Nothing found.")).to_be_visible()
    page.goto("/search?created_from=yesterday")
    expect(page.get_by_role("alert")).to_contain_text("created")


def test_the_query_language_is_explained_beside_the_box(signed_in: Page) -> None:
    page = signed_in
    page.goto("/search")
    help_text = page.locator("details.query-help")
    help_text.get_by_text("How to search").click()
    expect(help_text.get_by_text("cf.amount:>100")).to_be_visible()
    screenshot(page, "search-help")


def test_the_search_page_fits_a_phone(signed_in: Page) -> None:
    page = signed_in
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/search?q=walrus&tags=kept")
    expect(page.get_by_label("With all of these tags")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, "phone-search")
