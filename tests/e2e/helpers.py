"""What several e2e tests do the same way: upload through the folder page's file chooser, find a
listing's row, search from the top bar until the index has caught up, and a second person's
browser signed in beside the first."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e import accounts
from tests.e2e.conftest import sign_in


def upload(page: Page, files: list[Path]) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Upload files").click()
    chooser.value.set_files([str(path) for path in files])


def row(page: Page, title: str) -> Locator:
    return page.locator("#listing tr", has=page.get_by_role("link", name=title, exact=True))


def search_until_found(page: Page, query: str) -> None:
    """Search from the top bar until there is a result: the index is written by a background
    task, so the first searches may come too early."""
    box = page.get_by_role("searchbox", name="Search", exact=True)
    for _ in range(60):
        box.fill(query)
        with page.expect_navigation():
            box.press("Enter")
        if page.locator(".result").count():
            return
        page.wait_for_timeout(250)
    expect(page.locator(".result").first).to_be_visible()


@contextmanager
def signed_in_as(
    browser: Browser, base: str, username: str, password: str = accounts.PASSWORD
) -> Iterator[Page]:
    """A page in a browser context of its own (its own session cookie), signed in."""
    context = browser.new_context(base_url=base, locale="en-US")
    context.set_default_timeout(30_000)
    try:
        page = context.new_page()
        sign_in(page, username, password)
        yield page
    finally:
        context.close()
