"""Live updates: the page listens on /ws (served by the web app itself on the embedded default,
by ``quire notify`` in a cluster) and, where no socket can be had, polls GET /api/events/; either
way it shows what the events say without a reload: OCR started from the viewer finishing, and a
folder's listing following along."""

from __future__ import annotations

import json
import re
import time
from itertools import pairwise

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import open_document, screenshot
from tests.samples import pdf_with_text, scanned_pdf

# Tesseract on a loaded machine: a one-page OCR takes seconds, allow for many.
OCR_WAIT_MS = 120_000


def test_ocr_started_in_the_viewer_shows_its_result_without_a_reload(
    signed_in: Page, api: httpx.Client
) -> None:
    page = signed_in
    upload = api.post(
        "/api/documents/upload",
        files={"file": ("scan.pdf", scanned_pdf(["Quarterly zeppelin report"]), "application/pdf")},
    )
    assert upload.status_code == 201, upload.text
    document_id = upload.json()["id"]
    open_document(page, f"/documents/{document_id}")
    # The real socket: the OCR task's events reach the page through the server's bus.
    expect(page.locator("html")).to_have_attribute("data-live", "socket")
    # A marker that a reload would lose: the test fails if the page reloads.
    page.evaluate("() => { window.notReloaded = true; }")
    status = page.locator("#ocr-status")
    expect(status).to_have_attribute("data-status", "UNKNOWN")
    # A scan: no text until OCR has read it.
    expect(page.get_by_text("No text on page 1 yet.")).to_be_visible()
    form = page.locator("#ocr-form")
    expect(form.get_by_label("English (eng)")).to_be_checked()
    # No language: said beside the button, nothing queued.
    form.get_by_label("English (eng)").uncheck()
    form.get_by_role("button", name="Recognise text").click()
    expect(form.get_by_role("alert")).to_have_text("Choose at least one language.")
    form.get_by_label("English (eng)").check()
    form.get_by_label("German (deu)").check()
    form.get_by_role("button", name="Recognise text").click()
    expect(status).to_have_attribute("data-status", "RECEIVED")
    screenshot(page, "ocr-queued")
    expect(page.locator("#ocr-status")).to_have_attribute(
        "data-status", "SUCCESS", timeout=OCR_WAIT_MS
    )
    expect(page.locator("#ocr-status")).to_contain_text("done")
    expect(page.locator(".versions li")).to_have_count(2)
    expect(page.locator(".versions li").first).to_contain_text("OCR (deu+eng)")
    # The new version's pages, with the text OCR read, drawn in place.
    expect(page.get_by_text("No text on page 1 yet.")).to_have_count(0)
    page.get_by_text("Text of page 1", exact=True).click()
    expect(page.locator("#page-1 .page-text")).to_contain_text("zeppelin")
    assert page.evaluate("() => window.notReloaded") is True
    page.locator("#document-details").scroll_into_view_if_needed()
    screenshot(page, "ocr-done")


def test_a_folder_listing_follows_events_without_a_reload(
    signed_in: Page, api: httpx.Client
) -> None:
    page = signed_in
    page.add_init_script(NO_SOCKET)
    page.goto("/inbox")
    expect(page.locator("html")).to_have_attribute("data-live", "polling")
    page.evaluate("() => { window.notReloaded = true; }")
    upload = api.post(
        "/api/documents/upload",
        files={"file": ("arrived.pdf", pdf_with_text(["Arrived"]), "application/pdf")},
    )
    assert upload.status_code == 201, upload.text
    # An event (OCR's, today the only kind) tells the page to read its listing again.
    started = api.post("/api/tasks/ocr", json={"document_id": upload.json()["id"], "lang": "eng"})
    assert started.status_code == 200, started.text
    row = page.locator("#listing tr", has=page.get_by_role("link", name="arrived.pdf", exact=True))
    expect(row).to_be_visible(timeout=OCR_WAIT_MS)
    assert page.evaluate("() => window.notReloaded") is True


def test_the_socket_is_used_when_it_answers_and_resumes_after_a_drop(
    signed_in: Page, api: httpx.Client
) -> None:
    """Playwright's WebSocket route plays the service here, speaking its wire format, so that
    the test decides when the socket drops."""
    page = signed_in
    upload = api.post(
        "/api/documents/upload",
        files={"file": ("socket.pdf", pdf_with_text(["Socket"]), "application/pdf")},
    )
    assert upload.status_code == 201, upload.text
    document_id = upload.json()["id"]
    connections: list[str] = []
    polled: list[str] = []
    page.on("request", lambda r: polled.append(r.url) if "/api/events/" in r.url else None)

    def service(socket) -> None:  # type: ignore[no-untyped-def]
        connections.append(socket.url)
        after = int(socket.url.rsplit("after=", 1)[1])
        if len(connections) > 1:
            return
        socket.send('{"v":1,"type":"ping"}')
        socket.send("not json")
        other = {"document_id": "00000000-0000-0000-0000-000000000000"}
        for number, payload in ((1, other), (2, {"node_id": document_id, "error": "x"})):
            event = {"id": after + number, "kind": "ocr.failed", "payload": payload}
            event["created_at"] = "2026-12-02T12:00:00Z"
            socket.send(json.dumps({"v": 1, "type": "event", "event": event}))
        socket.close()

    page.route_web_socket(re.compile(r".*/ws\?after=\d+$"), service)
    open_document(page, f"/documents/{document_id}")
    cursor = int(page.locator('meta[name="events-after"]').get_attribute("content"))
    assert connections[0].endswith(f"/ws?after={cursor}")
    # The event about this document is heard (the other one is not this page's business).
    expect(page.locator("#status")).to_contain_text("Text recognition failed.")
    # Dropped: back on the socket from the last event seen, not polling.
    expect(page.locator("html")).to_have_attribute("data-live", "socket")
    for _ in range(40):
        if len(connections) > 1:
            break
        page.wait_for_timeout(250)
    assert connections[1].endswith(f"/ws?after={cursor + 2}")
    assert polled == []


# A browser that cannot open the socket (no notifications service, a proxy refusing upgrades).
NO_SOCKET = """
    window.WebSocket = class { constructor() { throw new Error('no socket here'); } };
"""

HIDDEN_TAB = """
    window.tabShown = false;
    Object.defineProperty(document, 'visibilityState', {
        configurable: true, get: () => (window.tabShown ? 'visible' : 'hidden'),
    });
"""


def test_a_hidden_tab_does_not_poll_and_failures_slow_the_polling(signed_in: Page) -> None:
    page = signed_in
    asked: list[float] = []

    def events(route) -> None:  # type: ignore[no-untyped-def]
        asked.append(time.monotonic())
        route.fulfill(status=503, json={"detail": "down for a moment"})

    page.route(re.compile(r".*/api/events/\?after=\d+$"), events)
    page.add_init_script(NO_SOCKET)
    page.add_init_script(HIDDEN_TAB)
    page.goto("/inbox")
    expect(page.locator("html")).to_have_attribute("data-live", "polling")
    page.wait_for_timeout(7000)
    assert asked == []
    # Shown again: asked at once, then after 6 s, 12 s (the failures double the wait).
    page.evaluate(
        "() => { window.tabShown = true; document.dispatchEvent(new Event('visibilitychange')); }"
    )
    for _ in range(200):
        if len(asked) >= 3:
            break
        page.wait_for_timeout(250)
    assert len(asked) >= 3, asked
    gaps = [later - earlier for earlier, later in pairwise(asked)]
    assert 5 < gaps[0] < gaps[1], gaps
