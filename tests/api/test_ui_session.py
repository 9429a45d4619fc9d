"""The browser session (``web/session.py``) and the UI's forms, on every database: the API
takes the session cookie, a cookie-authenticated write needs the page's CSRF token, a bearer
token needs none; sign-in, sign-out and errors as pages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from quire.core.audit import Action
from quire.core.models.audit import AuditEntry
from tests.conftest import PASSWORD
from tests.helpers.sharing import VIEWER, make_role, share


def _form_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def _sign_in(client: TestClient, username: str, password: str = PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    token = _form_token(client.get("/signin").text)
    form = {"username": username, "password": password, "csrf_token": token, **extra}
    return client.post("/signin", data=form, follow_redirects=False)


@pytest.fixture
def browser(app, db) -> TestClient:  # type: ignore[no-untyped-def]
    """A browser on https (the session cookie is Secure there), not signed in."""
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def test_signing_in_sets_the_session_and_pages_carry_its_token(browser, alice):
    response = _sign_in(browser, "alice", next="/inbox")
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("access_token=")
    for flag in ("HttpOnly", "Secure", "SameSite=lax"):
        assert flag.lower() in cookie.lower(), cookie
    page = browser.get("/inbox")
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert 'name="csrf-token" content="' in page.text


def test_the_api_takes_the_cookie_and_wants_the_csrf_token_for_writes(browser, alice):
    _sign_in(browser, "alice")
    token = re.search(r'name="csrf-token" content="([^"]+)"', browser.get("/").text).group(1)
    assert browser.get("/api/users/me").json()["username"] == "alice"
    folder = {"title": "f", "ctype": "folder", "parent_id": alice.home_id}
    refused = browser.post("/api/nodes/", json=folder)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert (
        browser.post("/api/nodes/", json=folder, headers={"X-CSRF-Token": "x"}).status_code == 403
    )
    made = browser.post("/api/nodes/", json=folder, headers={"X-CSRF-Token": token})
    assert made.status_code == 201, made.text
    deleted = browser.request(
        "DELETE", "/api/nodes/", json=[made.json()["id"]], headers={"X-CSRF-Token": token}
    )
    assert deleted.status_code == 200, deleted.text


def test_bearer_tokens_need_no_csrf_token_even_beside_a_cookie(browser, alice):
    _sign_in(browser, "alice")
    headers = {"Authorization": alice.client.headers["Authorization"]}
    folder = {"title": "g", "ctype": "folder", "parent_id": alice.home_id}
    assert browser.post("/api/nodes/", json=folder, headers=headers).status_code == 201


def test_a_session_token_is_worthless_with_another_session(browser, make_account):
    make_account("carol")
    make_account("dave")
    _sign_in(browser, "carol")
    carols = re.search(r'name="csrf-token" content="([^"]+)"', browser.get("/").text).group(1)
    browser.post("/signout", data={"csrf_token": carols})
    _sign_in(browser, "dave")
    me = browser.get("/api/users/me").json()
    folder = {"title": "h", "ctype": "folder", "parent_id": me["home_folder_id"]}
    assert (
        browser.post("/api/nodes/", json=folder, headers={"X-CSRF-Token": carols}).status_code
        == 403
    )


def test_the_api_token_endpoint_sets_the_same_cookie(browser, alice):
    response = browser.post("/api/token", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200
    assert "secure" in response.headers["set-cookie"].lower()
    with TestClient(browser.app, base_url="http://files.example") as plain:
        response = plain.post("/api/token", json={"username": "alice", "password": PASSWORD})
        # Plain HTTP to another host: a Secure cookie would never come back.
        assert "secure" not in response.headers["set-cookie"].lower()


def test_a_wrong_password_is_an_error_on_the_page_and_in_the_audit_log(browser, alice, db):
    response = _sign_in(browser, "alice", password="wrong")
    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    assert "access_token=" not in response.headers.get("set-cookie", "")
    with db.session() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert Action.LOGIN_FAILED in actions


def test_sign_in_without_the_forms_token_is_refused(browser, alice):
    browser.get("/signin")
    form = {"username": "alice", "password": PASSWORD, "csrf_token": "forged"}
    response = browser.post("/signin", data=form, follow_redirects=False)
    assert response.status_code == 403
    assert "access_token=" not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_sign_in_goes_nowhere_but_this_site(browser, alice, target):
    assert _sign_in(browser, "alice", next=target).headers["location"] == "/"


def test_sign_out_needs_the_token_and_ends_the_session(browser, alice):
    _sign_in(browser, "alice")
    assert browser.post("/signout", data={"csrf_token": "forged"}).status_code == 403
    token = _form_token(browser.get("/").text)
    response = browser.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert 'access_token=""' in response.headers["set-cookie"]
    assert browser.get("/", follow_redirects=False).headers["location"] == "/signin?next=%2F"


def test_pages_answer_errors_as_pages_and_the_api_as_json(browser, alice):
    _sign_in(browser, "alice")
    for path in ("/folders/00000000-0000-0000-0000-000000000000", "/folders/nonsense", "/nowhere"):
        page = browser.get(path)
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "content-security-policy" in page.headers
    api = browser.get("/api/folders/00000000-0000-0000-0000-000000000000")
    assert api.status_code == 404
    assert api.json() == {"detail": "Not found"} or "detail" in api.json()


def test_titles_are_escaped_in_pages(browser, alice):
    hostile = '<script>alert("x")</script>'
    made = alice.client.post(
        "/api/nodes/", json={"title": hostile, "ctype": "folder", "parent_id": alice.home_id}
    )
    assert made.status_code == 201
    _sign_in(browser, "alice")
    html = browser.get("/").text
    assert hostile not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_a_forged_upload_is_refused_before_its_body_is_read(browser, alice, all_rows):
    _sign_in(browser, "alice")
    before = all_rows()
    response = browser.post(
        "/api/documents/upload", files={"file": ("a.pdf", b"%PDF-1.7 " + b"x" * 100_000)}
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert all_rows() == before


def test_a_grantee_sees_the_share_from_its_root(browser, alice, bob):
    folder = alice.client.post(
        "/api/nodes/", json={"title": "Projects", "ctype": "folder", "parent_id": alice.home_id}
    ).json()
    alice.client.post(
        "/api/nodes/", json={"title": "Plans", "ctype": "folder", "parent_id": folder["id"]}
    )
    role = make_role(alice, "viewer", VIEWER)
    assert share(alice, [folder["id"]], [role], user_ids=[bob.id]).status_code == 204
    _sign_in(browser, "bob")
    shared = browser.get("/shared").text
    assert f'href="/folders/{folder["id"]}"' in shared
    inside = browser.get(f"/folders/{folder['id']}").text
    assert "Plans" in inside
    # The breadcrumb starts at the share: alice's home is not bob's to see.
    assert alice.home_id not in inside
    assert 'aria-current="page">Shared with me' in inside.replace("\n", "")
    assert browser.get(f"/folders/{alice.home_id}").status_code == 404


def test_a_folder_in_the_trash_is_shown_under_the_trash(browser, alice):
    folder = alice.client.post(
        "/api/nodes/", json={"title": "Old", "ctype": "folder", "parent_id": alice.home_id}
    ).json()
    assert alice.client.request("DELETE", "/api/nodes/", json=[folder["id"]]).status_code == 200
    _sign_in(browser, "alice")
    page = browser.get(f"/folders/{folder['id']}").text.replace("\n", "")
    assert 'href="/trash" aria-current="page"' in page
