"""Issue 18: the web UI in a real browser. Debian's Chromium (headless, driven by Playwright)
against a started ``quire serve`` on SQLite, signed in as a user would be:

- a folder of 10,000 documents: from navigation to its first screen of rows drawn;
- a 100-page document: from navigation to its first page's image decoded and shown.

Each beside its baseline in the same run, over the same connection to the same server: the
plain HTTP GET of the same page's HTML (and, for the document, of the first page's preview
image after it): what any client pays before a browser has parsed, styled or drawn anything.
The difference is the browser's share (parsing, CSS, our ES modules, decoding the image).

Timing starts once the upload's background work (previews, index) has finished, as a reader
opens a document after it: each run times serving, not rendering, and nothing else competes
for the cores. The browser's cache holds the static files after the first (untimed) run, as
it does for a reader.
``python -m benchmarks.browser`` runs it alone; target (issue 18): < 1 s each.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from benchmarks.core import _fill_folder
from benchmarks.page_operations import scanned_pdf
from benchmarks.server import ADMIN_PASSWORD, fresh_database, percentile, quire_server

CHROMIUM = Path(os.environ.get("QUIRE_E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
PAGES = 100
RUNS = 9
TARGET_SECONDS = 1.0
ENV = {"QUIRE__OCR__AUTOMATIC": "false"}
FIRST_IMAGE_SHOWN = (
    "() => { const i = document.querySelector('.page img');"
    " return i && i.complete && i.naturalWidth > 0; }"
)
# The first screen of the listing: its page of rows (the listing's default size, 100).
ROWS_SHOWN = "() => document.querySelectorAll('#listing tbody tr').length >= 100"


@dataclass
class Figures:
    what: str
    browser: list[float]
    baseline: list[float]


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _prepare(client: httpx.Client, database_url: str) -> tuple[str, str, str]:
    """The big folder, the long document (its first page's preview drawn): their ids, and the
    URL of that preview."""
    me = client.get("/api/users/me").json()
    folder = client.post(
        "/api/nodes/", json={"title": "Big", "ctype": "folder", "parent_id": me["home_folder_id"]}
    ).json()
    _fill_folder(database_url, uuid.UUID(folder["id"]), uuid.UUID(me["id"]))
    # Scan-like pages (a JPEG and a line of text each), as most documents in a DMS are.
    pdf = scanned_pdf(PAGES)
    upload = client.post(
        "/api/documents/upload", files={"file": ("long.pdf", pdf, "application/pdf")}
    )
    upload.raise_for_status()
    document = upload.json()
    image = document["versions"][-1]["pages"][0]["preview_image_md_url"]
    _wait_for_tasks(client)
    client.get(image).raise_for_status()
    return folder["id"], document["id"], image


def _wait_for_tasks(client: httpx.Client, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    for state in ("pending", "running"):
        while client.get("/api/tasks/", params={"state": state}).json()["items"]:
            if time.monotonic() > deadline:
                raise TimeoutError("the upload's background tasks did not finish")
            time.sleep(0.5)


def _measure(base: str, folder_id: str, document_id: str, image: str) -> list[Figures]:
    from playwright.sync_api import sync_playwright

    folder_url, document_url = f"/folders/{folder_id}", f"/documents/{document_id}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 860})
        context.set_default_timeout(60_000)
        page = context.new_page()
        page.goto("/signin")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/signin" not in url)
        cookies = {c["name"]: c["value"] for c in context.cookies()}

        def open_page(url: str, shown: str) -> None:
            page.goto(url, wait_until="commit")
            page.wait_for_function(shown, polling="raf")

        figures = [
            Figures("folder of 10,000 documents: first screen", [], []),
            Figures(f"{PAGES}-page document: first page's image", [], []),
        ]
        with httpx.Client(base_url=base, cookies=cookies, timeout=60) as plain:

            def plain_document() -> None:
                plain.get(document_url).raise_for_status()
                plain.get(image).raise_for_status()

            for run in range(RUNS + 1):
                times = [
                    _timed(lambda: open_page(folder_url, ROWS_SHOWN)),
                    _timed(lambda: plain.get(folder_url).raise_for_status()),
                    _timed(lambda: open_page(document_url, FIRST_IMAGE_SHOWN)),
                    _timed(plain_document),
                ]
                if run == 0:  # warming up: the browser's cache, the server's first requests
                    continue
                figures[0].browser.append(times[0])
                figures[0].baseline.append(times[1])
                figures[1].browser.append(times[2])
                figures[1].baseline.append(times[3])
        browser.close()
    return figures


def run(workdir: Path) -> list[Figures]:
    with (
        fresh_database("sqlite", workdir) as url,
        quire_server(url, workdir / "data", extra_env=ENV) as server,
        httpx.Client(base_url=server.base, headers=server.headers, timeout=120) as client,
    ):
        folder_id, document_id, image = _prepare(client, url)
        return _measure(server.base, folder_id, document_id, image)


def report(console: Console) -> None:
    if not CHROMIUM.exists():
        console.print(f"browser benchmark skipped: {CHROMIUM} not found (Debian's chromium)")
        return
    with tempfile.TemporaryDirectory(prefix="quire-bench-") as workdir:
        figures = run(Path(workdir))
    table = Table(
        title=f"Web UI in Chromium (headless), {RUNS} runs each, beside the plain HTTP GET of"
        " the same HTML (and the document's first preview image): the baseline"
    )
    for column in (
        "screen",
        "browser p50 ms",
        "browser max ms",
        "GET p50 ms",
        "GET max ms",
        "browser - GET p50 ms",
    ):
        table.add_column(column, justify="right")
    for f in figures:
        browser_p50, get_p50 = statistics.median(f.browser), statistics.median(f.baseline)
        table.add_row(
            f.what,
            f"{browser_p50 * 1000:.0f}",
            f"{max(f.browser) * 1000:.0f}",
            f"{get_p50 * 1000:.0f}",
            f"{max(f.baseline) * 1000:.0f}",
            f"{(browser_p50 - get_p50) * 1000:.0f}",
        )
    console.print(table)
    worst = max(percentile(f.browser, 0.5) for f in figures)
    console.print(
        f"target (issue 18): < {TARGET_SECONDS:.0f} s each (worst p50 here: {worst:.2f} s). "
        f"Load average now: {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    report(Console(width=180))
