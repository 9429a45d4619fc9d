"""End-to-end tests of the web UI: Debian's Chromium, headless, driven by Playwright for
Python, against a real ``quire serve`` on its embedded default (SQLite, local files) that each
module starts once.

Playwright's own browser download does not work here (nor is it wanted): the browser is
``/usr/bin/chromium`` from the ``chromium`` package (scripts/system-packages.txt). Screenshots
go to ``QUIRE_E2E_ARTIFACTS`` (default ``tests/e2e/artifacts/``, git-ignored).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import Served, clean_env, quire_serve

playwright_api = pytest.importorskip("playwright.sync_api")
# A busy CI machine answers slowly: assertions wait as long as the browser's actions do (30 s,
# the context's default below; expect's own default is 5 s). The timings have their own test.
playwright_api.expect.set_options(timeout=30_000)

CHROMIUM = Path(os.environ.get("QUIRE_E2E_CHROMIUM", "/usr/bin/chromium"))
# What Chromium needs here: run as root in a container, no GPU, and no calls home (the network
# is closed: its background connections would only fail, many at a time).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("QUIRE_E2E_ARTIFACTS", Path(__file__).parent / "artifacts"))
ADMIN = "admin"
ADMIN_PASSWORD = "e2e-admins-password"


@pytest.fixture(scope="module")
def server_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="module")
def server_database_url(server_home: Path) -> str:
    """The server's database: SQLite in the module's folder, which tests may fill directly."""
    return f"sqlite:///{server_home / 'quire.sqlite3'}"


@pytest.fixture(scope="module")
def server(server_home: Path, server_database_url: str) -> Iterator[Served]:
    home = server_home
    env = clean_env(
        home,
        QUIRE__DATABASE__URL=server_database_url,
        QUIRE__MAIN__DATA_DIR=str(home / "data"),
        QUIRE__SECURITY__SECRET_KEY="e2e-" + "k" * 40,
        QUIRE__AUTH__PASSWORD=ADMIN_PASSWORD,
        # Previews, not OCR, are what the UI shows; OCR has its own tests.
        QUIRE__OCR__AUTOMATIC="false",
    )
    with quire_serve(env, home / "serve.log") as served:
        yield served


@pytest.fixture(scope="module")
def api(server: Served) -> Iterator[httpx.Client]:
    """The admin's API client (bearer token), to set up what a test looks at."""
    token = httpx.post(
        f"{server.base}/api/token", json={"username": ADMIN, "password": ADMIN_PASSWORD}
    ).json()["access_token"]
    with httpx.Client(
        base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[playwright_api.Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: install Debian's chromium (scripts/system-packages.txt)"
        if os.environ.get("QUIRE_TEST_SERVICES") == "none":
            pytest.skip(message)
        pytest.fail(message)
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def context(
    browser: playwright_api.Browser, server: Served
) -> Iterator[playwright_api.BrowserContext]:
    ctx = browser.new_context(
        base_url=server.base, locale="en-US", viewport={"width": 1280, "height": 860}
    )
    # A busy CI machine draws previews slowly: waits are generous, the timings have their own test.
    ctx.set_default_timeout(30_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: playwright_api.BrowserContext) -> playwright_api.Page:
    return context.new_page()


def sign_in(
    page: playwright_api.Page, username: str = ADMIN, password: str = ADMIN_PASSWORD
) -> None:
    page.goto("/signin")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/signin" not in url)
    # The landing page's modules have bound their controls (main.js).
    playwright_api.expect(page.locator("html[data-ready]")).to_be_attached()


@pytest.fixture
def signed_in(page: playwright_api.Page) -> playwright_api.Page:
    sign_in(page)
    return page


def screenshot(page: playwright_api.Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def open_document(page: playwright_api.Page, path: str) -> None:
    """The document viewer at ``path``, once its ES module has bound its controls (a click
    before that would do nothing)."""
    page.goto(path)
    playwright_api.expect(page.locator(".document-page[data-ready]")).to_be_attached()
