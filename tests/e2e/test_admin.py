"""Administration in Chromium: users, groups, roles, document types and custom fields, API
tokens, the audit log; the API's validation errors beside their fields; and nothing of it for
a user without an administration scope (no link, a 403 page)."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import accounts
from tests.e2e.conftest import ADMIN, ADMIN_PASSWORD, screenshot, sign_in
from tests.processes import Served


def _field_error(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator(f"[data-error-for='{name}']")


def test_users_are_created_edited_and_deactivated(signed_in: Page, api: httpx.Client) -> None:
    page = signed_in
    accounts.role(api, "Clerk", ["node.view", "node.create"])
    group = api.post("/api/groups/", json={"name": "Clerks"})
    assert group.status_code == 201, group.text
    page.get_by_role("link", name="Administration").click()
    expect(page).to_have_url("/admin/users")
    page.get_by_role("link", name="New user").click()

    # Nothing typed: the API's 422 is shown beside each field it names.
    page.get_by_role("button", name="Create user").click()
    expect(_field_error(page, "username")).to_contain_text("at least 1 character")
    expect(page.get_by_label("Username")).to_have_attribute("aria-invalid", "true")
    expect(_field_error(page, "password")).to_be_visible()
    screenshot(page, "admin-user-errors")

    page.get_by_label("Username").fill("dora")
    page.get_by_label("Email").fill("dora@example.com")
    page.get_by_label("Password").fill("a long password")
    page.get_by_role("checkbox", name="Clerk", exact=True).check()
    page.get_by_role("checkbox", name="Clerks", exact=True).check()
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("heading", name="User dora")).to_be_visible()
    expect(page.get_by_role("checkbox", name="Clerk", exact=True)).to_be_checked()
    expect(page.get_by_role("checkbox", name="Clerks", exact=True)).to_be_checked()
    dora = next(u for u in api.get("/api/users/all").json() if u["username"] == "dora")
    details = api.get(f"/api/users/{dora['id']}").json()
    assert [role["name"] for role in details["roles"]] == ["Clerk"]
    assert [group["name"] for group in details["groups"]] == ["Clerks"]

    # A name taken: the API's 409 beside the field.
    page.goto("/admin/users/new")
    page.get_by_label("Username").fill("dora")
    page.get_by_label("Password").fill("another password")
    page.get_by_role("button", name="Create user").click()
    expect(_field_error(page, "username")).to_contain_text("already taken")

    page.goto(f"/admin/users/{dora['id']}")
    page.get_by_label("Email").fill("not an address")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    assert api.get(f"/api/users/{dora['id']}").json()["email"] == "not an address"
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_role("button", name="Activate", exact=True)).to_be_visible()
    assert api.get(f"/api/users/{dora['id']}").json()["is_active"] is False
    page.goto("/admin/users")
    expect(page.locator("tr", has_text="dora")).to_contain_text("deactivated")
    screenshot(page, "admin-users")


def test_groups_with_special_folders_and_their_members(signed_in: Page, api: httpx.Client) -> None:
    page = signed_in
    page.goto("/admin/groups/new")
    page.get_by_label("Name").fill("Accounting")
    page.get_by_role("checkbox", name=re.compile("Special folders")).check()
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("heading", name="Group Accounting")).to_be_visible()
    group = next(g for g in api.get("/api/groups/all").json() if g["name"] == "Accounting")
    assert group["home_folder_id"]
    assert group["inbox_folder_id"]
    role = accounts.role(api, "Accountant", ["node.view"])
    accounts.user(api, "erik", [role["id"]], [group["id"]])
    page.reload()
    members = page.get_by_role("region", name="Members")
    expect(members.get_by_role("link", name="erik")).to_be_visible()
    screenshot(page, "admin-group")
    page.goto("/admin/groups/new")
    page.get_by_label("Name").fill("Accounting")
    page.get_by_role("button", name="Create group").click()
    expect(_field_error(page, "name")).to_contain_text("Accounting")


def test_roles_are_named_sets_of_scopes(signed_in: Page, api: httpx.Client) -> None:
    page = signed_in
    page.goto("/admin/roles/new")
    page.get_by_label("Name").fill("Auditor")
    page.get_by_role("checkbox", name="audit_log.view", exact=True).check()
    page.get_by_role("checkbox", name="node.view", exact=True).check()
    page.get_by_role("button", name="Create role").click()
    expect(page.get_by_role("heading", name="Role Auditor")).to_be_visible()
    role = next(r for r in api.get("/api/roles/all").json() if r["name"] == "Auditor")
    assert api.get(f"/api/roles/{role['id']}").json()["scopes"] == ["audit_log.view", "node.view"]
    page.get_by_role("checkbox", name="node.view", exact=True).uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    assert api.get(f"/api/roles/{role['id']}").json()["scopes"] == ["audit_log.view"]
    screenshot(page, "admin-role")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete role").click()
    expect(page).to_have_url("/admin/roles")
    expect(page.get_by_role("link", name="Auditor")).to_have_count(0)


def test_custom_fields_and_document_types(signed_in: Page, api: httpx.Client) -> None:
    page = signed_in
    page.goto("/admin/custom-fields/new")
    page.get_by_label("Name").fill("Total")
    page.get_by_label("Type").select_option("monetary")
    page.get_by_label("Extra data").fill('{"currency": "XYZ1"}')
    page.get_by_role("button", name="Create custom field").click()
    # The API's check of the currency, beside the field.
    expect(_field_error(page, "extra_data")).to_be_visible()
    page.get_by_label("Extra data").fill('{"currency": "EUR"}')
    page.get_by_role("button", name="Create custom field").click()
    expect(page.get_by_role("heading", name="Custom field Total")).to_be_visible()

    page.get_by_role("link", name="Document types").click()
    page.get_by_role("link", name="New document type").click()
    page.get_by_label("Name").fill("Invoice")
    page.get_by_label("Path template").fill("/home/Invoices")
    page.get_by_role("checkbox", name="Total").check()
    page.get_by_role("button", name="Create document type").click()
    expect(page.get_by_role("heading", name="Document type Invoice")).to_be_visible()
    doc_type = api.get("/api/document-types/all").json()[0]
    assert doc_type["path_template"] == "/home/Invoices"
    assert [field["name"] for field in doc_type["custom_fields"]] == ["Total"]
    page.get_by_label("Path template").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    assert api.get(f"/api/document-types/{doc_type['id']}").json()["path_template"] is None
    screenshot(page, "admin-document-type")
    page.goto("/admin/document-types")
    expect(page.locator("tr", has_text="Invoice")).to_contain_text("Total")


def test_api_tokens_are_shown_once_and_revoked(signed_in: Page, server: Served) -> None:
    page = signed_in
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Expires after (days)").fill("0")
    page.get_by_label("Name").fill("scanner")
    page.get_by_role("button", name="Create token").click()
    expect(_field_error(page, "expires_in_days")).to_contain_text("greater than 0")
    page.get_by_label("Expires after (days)").fill("30")
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#new-token-value")
    expect(secret).to_have_text(re.compile(r"^qt_"))
    token = secret.text_content() or ""
    expect(page.locator("#token-list tr", has_text="scanner")).to_be_visible()
    screenshot(page, "api-tokens")
    me = httpx.get(f"{server.base}/api/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    page.reload()
    expect(page.get_by_text(token)).to_have_count(0)
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke scanner").click()
    expect(page.get_by_text("You have no API tokens.")).to_be_visible()
    gone = httpx.get(f"{server.base}/api/users/me", headers={"Authorization": f"Bearer {token}"})
    assert gone.status_code == 401


def test_the_audit_log_filters_and_pages(signed_in: Page) -> None:
    page = signed_in
    page.goto("/admin/audit-log")
    page.get_by_label("Action").select_option("auth.login")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"action=auth.login"))
    rows = page.locator("table.audit tbody tr")
    expect(rows.first).to_contain_text("auth.login")
    assert all("auth.login" in text for text in rows.all_text_contents())
    page.get_by_label("From").fill("2000-01-01")
    page.get_by_label("To").fill("2000-01-02")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("Nothing was logged that matches.")).to_be_visible()
    page.goto("/admin/audit-log")
    screenshot(page, "audit-log")


def test_the_admin_pages_fit_a_phone(signed_in: Page) -> None:
    page = signed_in
    page.set_viewport_size({"width": 360, "height": 740})
    for path in ("/admin/users/new", "/admin/roles/new", "/admin/audit-log", "/tokens"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, path
    screenshot(page, "phone-tokens")


@pytest.fixture
def plain_user(api: httpx.Client) -> str:
    role = accounts.role(api, "Staff", accounts.MEMBER_SCOPES)
    accounts.user(api, "plain", [role["id"]])
    return "plain"


def test_a_user_without_administration_scopes_sees_none_of_it(page: Page, plain_user: str) -> None:
    sign_in(page, plain_user, accounts.PASSWORD)
    expect(page.get_by_role("link", name="Home")).to_be_visible()
    expect(page.get_by_role("link", name="Administration")).to_have_count(0)
    # Their own API tokens stay theirs to manage.
    expect(page.get_by_role("link", name="API tokens")).to_be_visible()
    for path in (
        "/admin",
        "/admin/users",
        "/admin/users/new",
        "/admin/groups",
        "/admin/roles/new",
        "/admin/audit-log",
        "/admin/document-types",
        "/admin/custom-fields/new",
    ):
        response = page.goto(path)
        assert response is not None
        assert response.status == 403, path
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    screenshot(page, "admin-forbidden")


def test_the_administration_speaks_german(browser: Browser, server: Served) -> None:
    context = browser.new_context(base_url=server.base, locale="de-DE")
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto("/signin")
    page.get_by_label("Benutzername").fill(ADMIN)
    page.get_by_label("Passwort").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("link", name="Verwaltung").click()
    expect(page.get_by_role("heading", name="Benutzer", exact=True)).to_be_visible()
    page.get_by_role("link", name="Neuer Benutzer").click()
    page.get_by_role("button", name="Benutzer anlegen").click()
    expect(_field_error(page, "username")).to_be_visible()
    screenshot(page, "admin-de")
    context.close()


HOSTILE = "<img src=x onerror=alert(1)>"


def test_hostile_names_render_as_text(signed_in: Page, api: httpx.Client) -> None:
    page = signed_in
    role = accounts.role(api, HOSTILE, ["node.view"])
    group = api.post("/api/groups/", json={"name": f"{HOSTILE} group", "role_ids": [role["id"]]})
    assert group.status_code == 201, group.text
    account = accounts.user(api, f"{HOSTILE}user", [role["id"]], [group.json()["id"]])
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in (
        "/admin/users",
        f"/admin/users/{account['id']}",
        f"/admin/groups/{group.json()['id']}",
        "/admin/roles",
        f"/admin/roles/{role['id']}",
    ):
        page.goto(path)
        expect(page.get_by_text(HOSTILE).first).to_be_visible()
        assert page.locator("main img[src='x']").count() == 0, path
    # Its confirmation, made from the name, is text too.
    page.goto(f"/admin/users/{account['id']}")
    page.get_by_role("button", name="Deactivate").click()
    assert dialogs == [f"Deactivate {HOSTILE}user? They can no longer sign in."]
