"""What the UI must never do: run a script from a title, answer without its CSP, accept a
cookie-authenticated write without the CSRF token, or sign in with a wrong password."""

from __future__ import annotations

import httpx
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.conftest import ADMIN, ADMIN_PASSWORD, screenshot, sign_in
from tests.processes import Served
from tests.samples import pdf_with_text

HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_TAG = "<script>alert(2)</script>"


def test_hostile_titles_render_as_text(signed_in: Page, api: httpx.Client) -> None:
    page = signed_in
    me = api.get("/api/users/me").json()
    folder = api.post(
        "/api/nodes/", json={"title": HOSTILE, "ctype": "folder", "parent_id": me["home_folder_id"]}
    )
    assert folder.status_code == 201, folder.text
    upload = api.post(
        "/api/documents/upload",
        files={"file": ("x.pdf", pdf_with_text(["x"]), "application/pdf")},
        data={"title": f"{HOSTILE}.pdf", "parent_id": folder.json()["id"]},
    )
    assert upload.status_code == 201, upload.text
    document_id = upload.json()["id"]
    tagged = api.patch(f"/api/nodes/{document_id}/tags", json=[HOSTILE_TAG])
    assert tagged.status_code == 200, tagged.text
    dialogs: list[Dialog] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog), dialog.dismiss()))
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )

    page.goto("/")
    expect(page.get_by_role("link", name=HOSTILE, exact=True)).to_be_visible()
    page.get_by_role("link", name=HOSTILE, exact=True).click()
    expect(page.locator(".breadcrumb [aria-current]")).to_have_text(HOSTILE)
    expect(page.get_by_role("link", name=f"{HOSTILE}.pdf")).to_be_visible()
    expect(page.locator(".tag", has_text=HOSTILE_TAG)).to_be_visible()
    page.get_by_role("link", name=f"{HOSTILE}.pdf").click()
    expect(page.get_by_role("heading", name=f"{HOSTILE}.pdf")).to_be_visible()
    expect(page.locator("#document-tags .tag", has_text=HOSTILE_TAG)).to_be_visible()
    # Before its module binds the form, "Add" would submit it natively and reload the page.
    expect(page.locator(".document-page[data-ready]")).to_be_attached()
    # A chip drawn by the ES module from the API's answer is text too.
    page.get_by_placeholder("Add a tag").fill(HOSTILE)
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#document-tags .tag", has_text=HOSTILE)).to_be_visible()
    screenshot(page, "hostile-title")
    # No element was made from the text, and nothing ran.
    assert page.locator("main img[src='x']").count() == 0
    # (The page's own translated messages travel as a JSON data block, which never runs.)
    assert page.locator("main script:not([type='application/json'])").count() == 0
    assert dialogs == []
    assert not [error for error in errors if "Content Security Policy" in error], errors


def test_pages_carry_a_strict_content_security_policy(page: Page, server: Served) -> None:
    for path in ("/signin", "/"):
        response = page.goto(path)
        assert response is not None
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy, policy
        assert "style-src 'self'" in policy, policy
        assert "default-src 'none'" in policy, policy
        assert "unsafe-inline" not in policy, policy
        assert "unsafe-eval" not in policy, policy
        assert response.headers.get("x-content-type-options") == "nosniff"
    # No inline script or style on the page itself, which the policy would block.
    assert page.locator("script:not([src]):not([type='application/json'])").count() == 0
    assert page.locator("style, [style]").count() == 0


def test_cookie_writes_need_the_csrf_token(signed_in: Page, server: Served) -> None:
    """The session cookie authenticates the API too; a write with it alone is refused (403
    JSON), with the page's token it goes through, and a bearer token needs none."""
    page = signed_in
    request = page.context.request
    me = request.get("/api/users/me")
    assert me.ok, me.text()
    body = {"title": "csrf probe", "ctype": "folder", "parent_id": me.json()["home_folder_id"]}
    refused = request.post("/api/nodes/", data=body)
    assert refused.status == 403
    assert "CSRF" in refused.json()["detail"]
    wrong = request.post("/api/nodes/", data=body, headers={"X-CSRF-Token": "forged"})
    assert wrong.status == 403
    token = page.locator("meta[name='csrf-token']").get_attribute("content")
    made = request.post("/api/nodes/", data=body, headers={"X-CSRF-Token": token or ""})
    assert made.status == 201, made.text()
    bearer = httpx.post(
        f"{server.base}/api/token", json={"username": ADMIN, "password": ADMIN_PASSWORD}
    ).json()["access_token"]
    with_bearer = httpx.request(
        "DELETE",
        f"{server.base}/api/nodes/",
        json=[made.json()["id"]],
        headers={"Authorization": f"Bearer {bearer}"},
    )
    assert with_bearer.status_code == 200, with_bearer.text


def test_session_cookie_is_httponly_secure_and_lax(signed_in: Page) -> None:
    (cookie,) = [c for c in signed_in.context.cookies() if c["name"] == "access_token"]
    assert cookie["httpOnly"]
    assert cookie["secure"]
    assert cookie["sameSite"] == "Lax"
    assert signed_in.evaluate("document.cookie") == ""


def test_wrong_password_shows_an_error_and_is_audited(page: Page, api: httpx.Client) -> None:
    sign_in_attempt = "/signin"
    page.goto(sign_in_attempt)
    page.get_by_label("Username").fill(ADMIN)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page.get_by_label("Username")).to_have_value(ADMIN)
    assert not [c for c in page.context.cookies() if c["name"] == "access_token"]
    screenshot(page, "signin-error")
    entries = api.get("/api/audit-logs/", params={"page_size": 5}).json()["items"]
    assert any(
        entry["action"] == "auth.login_failed" and entry["username"] == ADMIN for entry in entries
    ), entries
    sign_in(page)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
