"""English and German: the browser's Accept-Language, and the user's choice, which wins."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ADMIN, ADMIN_PASSWORD, screenshot
from tests.processes import Served


@pytest.fixture
def german_page(browser: Browser, server: Served) -> Page:
    context = browser.new_context(base_url=server.base, locale="de-DE")
    context.set_default_timeout(15_000)
    return context.new_page()


def test_a_german_browser_gets_german_pages(german_page: Page) -> None:
    page = german_page
    page.goto("/")
    expect(page).to_have_url("/signin?next=%2F")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name="Bei Quire anmelden")).to_be_visible()
    page.get_by_label("Benutzername").fill(ADMIN)
    page.get_by_label("Passwort").fill("falsch")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("alert")).to_have_text("Benutzername oder Passwort ist falsch.")
    page.get_by_label("Passwort").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("link", name="Startordner")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("button", name="Neuer Ordner")).to_be_visible()
    expect(page.get_by_role("link", name="Papierkorb")).to_be_visible()
    screenshot(page, "home-de")
    page.context.close()


def test_the_language_menu_overrides_the_browser(page: Page) -> None:
    page.goto("/signin")
    expect(page.get_by_role("heading", name="Sign in to Quire")).to_be_visible()
    page.get_by_label("Language").select_option("de")
    expect(page.get_by_role("heading", name="Bei Quire anmelden")).to_be_visible()
    page.get_by_label("Sprache").select_option("en")
    expect(page.get_by_role("heading", name="Sign in to Quire")).to_be_visible()
