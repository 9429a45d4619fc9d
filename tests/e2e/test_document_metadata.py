"""The document viewer's metadata: the document type chosen from the user's types, its custom
fields as a form whose values the API checks (a refusal shown beside its field, nothing
stored), tags suggested as they are typed and coloured as chips; on a phone's width too."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import open_document, screenshot
from tests.samples import pdf_with_text


@pytest.fixture(scope="module")
def invoice_type(api: httpx.Client) -> dict[str, Any]:
    """A document type "Invoice" with an amount (int), a due date and whether it is paid."""
    ids = []
    for name, kind in (("Amount", "int"), ("Due", "date"), ("Paid", "boolean")):
        created = api.post("/api/custom-fields/", json={"name": name, "type": kind})
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    made = api.post("/api/document-types/", json={"name": "Invoice", "custom_field_ids": ids})
    assert made.status_code == 201, made.text
    return made.json()


@pytest.fixture
def invoice(api: httpx.Client, invoice_type: dict[str, Any]) -> dict[str, Any]:
    upload = api.post(
        "/api/documents/upload",
        files={"file": ("bill.pdf", pdf_with_text(["Bill 42"]), "application/pdf")},
    )
    assert upload.status_code == 201, upload.text
    return {"document": upload.json(), "type": invoice_type}


def test_type_and_custom_fields_are_set_and_refusals_shown_beside_the_field(
    signed_in: Page, api: httpx.Client, invoice: dict[str, Any]
) -> None:
    page = signed_in
    document_id = invoice["document"]["id"]
    open_document(page, f"/documents/{document_id}")
    expect(page.get_by_label("Amount")).to_have_count(0)
    page.get_by_label("Document type").select_option(label="Invoice")
    page.get_by_role("button", name="Change type").click()
    amount = page.get_by_label("Amount")
    expect(amount).to_be_visible()
    expect(page.get_by_label("Document type")).to_be_focused()

    amount.fill("12.5")
    page.get_by_label("Due").fill("2026-03-31")
    page.get_by_role("button", name="Save fields").click()
    # The API's reason, beside the field, and the field says it is invalid.
    error = page.locator("#" + amount.get_attribute("aria-describedby"))
    expect(error).to_contain_text("Amount")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_be_focused()
    screenshot(page, "document-fields-error")
    values = api.get(f"/api/documents/{document_id}/custom-fields").json()
    assert [value["value"] for value in values] == [None, None, None]

    amount.fill("12")
    page.get_by_label("Paid").select_option(label="Yes")
    page.get_by_role("button", name="Save fields").click()
    expect(page.locator("#status")).to_contain_text("Fields saved.")
    expect(error).to_be_hidden()
    expect(amount).not_to_have_attribute("aria-invalid", "true")
    values = {
        v["name"]: v["value"] for v in api.get(f"/api/documents/{document_id}/custom-fields").json()
    }
    assert values == {"Amount": 12, "Due": "2026-03-31", "Paid": True}

    page.reload()
    expect(page.get_by_label("Amount")).to_have_value("12")
    expect(page.get_by_label("Due")).to_have_value("2026-03-31")
    expect(page.get_by_label("Paid")).to_have_value("true")
    page.locator("#metadata").scroll_into_view_if_needed()
    screenshot(page, "document-fields")

    # Untyped again: the fields go, and so do their values.
    page.get_by_label("Document type").select_option(label="None")
    page.get_by_role("button", name="Change type").click()
    expect(page.get_by_label("Amount")).to_have_count(0)
    assert api.get(f"/api/documents/{document_id}").json()["document_type_id"] is None


def test_tags_are_suggested_created_and_coloured(
    signed_in: Page, api: httpx.Client, invoice: dict[str, Any]
) -> None:
    page = signed_in
    made = api.post(
        "/api/tags/", json={"name": "urgent", "bg_color": "#aa0000", "fg_color": "#ffffff"}
    )
    assert made.status_code in (201, 409), made.text
    open_document(page, f"/documents/{invoice['document']['id']}")
    field = page.get_by_placeholder("Add a tag")
    field.fill("urg")
    expect(page.locator("#tag-suggestions option[value='urgent']")).to_have_count(1)
    field.fill("urgent")
    field.press("Enter")
    chip = page.locator("#document-tags .tag", has_text="urgent")
    expect(chip).to_have_css("background-color", "rgb(170, 0, 0)")
    # A new name makes a new tag on the fly.
    field.fill("brand-new")
    field.press("Enter")
    expect(page.locator("#document-tags .tag", has_text="brand-new")).to_be_visible()
    names = {tag["name"] for tag in api.get("/api/tags/?page_size=100").json()["items"]}
    assert {"urgent", "brand-new"} <= names
    chip.get_by_role("button", name="Remove tag urgent").click()
    expect(chip).to_have_count(0)


def test_the_viewer_fits_a_phone_and_keeps_its_page_tools(
    signed_in: Page, invoice: dict[str, Any]
) -> None:
    page = signed_in
    page.set_viewport_size({"width": 360, "height": 740})
    open_document(page, f"/documents/{invoice['document']['id']}")
    expect(page.get_by_role("button", name="Rotate page 1 clockwise")).to_be_visible()
    expect(page.get_by_label("Document type")).to_be_attached()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    screenshot(page, "phone-document")


def test_the_viewers_controls_speak_german(
    signed_in: Page, api: httpx.Client, invoice: dict[str, Any]
) -> None:
    page = signed_in
    page.context.add_cookies([{"name": "quire_lang", "value": "de", "url": str(api.base_url)}])
    open_document(page, f"/documents/{invoice['document']['id']}")
    expect(page.get_by_role("button", name="Text erkennen")).to_be_visible()
    expect(page.get_by_label("Dokumenttyp")).to_be_visible()
    share = page.get_by_role("button", name=f"{invoice['document']['title']} freigeben")
    expect(share).to_have_text("Freigeben")
    expect(page.get_by_role("button", name="Herauslösen …")).to_be_disabled()
    page.get_by_label("Seite 1 auswählen").check()
    expect(page.locator("#page-selection-state")).to_have_text("Ausgewählte Seiten: 1")
    expect(page.get_by_label("Englisch (eng)")).to_be_checked()
    screenshot(page, "document-de")
