"""The administration pages, the commander and the folder sidebar as the server renders them, on
every database: who may open which page (403 otherwise, and no menu link), what each page
reads (a group's members, the audit log's filters, a user's group folders), and that a bad
value in a page's query falls back instead of failing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from quire.core import scopes
from quire.core.db import utcnow
from tests.conftest import PASSWORD

ADMIN_PAGES = (
    "/admin/users",
    "/admin/users/new",
    "/admin/groups",
    "/admin/groups/new",
    "/admin/roles",
    "/admin/roles/new",
    "/admin/document-types",
    "/admin/document-types/new",
    "/admin/custom-fields",
    "/admin/custom-fields/new",
    "/admin/audit-log",
)
STAFF = frozenset({scopes.NODE_VIEW, scopes.NODE_CREATE, scopes.USER_ME})


@pytest.fixture
def browser(app, db) -> TestClient:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def _sign_in(client: TestClient, username: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text)
    assert token
    form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/signin", data=form, follow_redirects=False).status_code == 303


def test_a_superuser_opens_every_administration_page(browser, make_account):
    make_account("root", is_superuser=True)
    _sign_in(browser, "root")
    assert 'href="/admin"' in browser.get("/").text
    assert browser.get("/admin", follow_redirects=False).headers["location"] == "/admin/users"
    for path in ADMIN_PAGES:
        page = browser.get(path)
        assert page.status_code == 200, (path, page.text[:500])
        assert 'aria-current="page">Administration' in page.text, path


def test_without_an_administration_scope_there_is_no_link_and_every_page_is_403(
    browser, make_account
):
    make_account("staff", scopes=STAFF)
    _sign_in(browser, "staff")
    home = browser.get("/")
    assert home.status_code == 200
    assert 'href="/admin"' not in home.text
    for path in ("/admin", *ADMIN_PAGES):
        page = browser.get(path)
        assert page.status_code == 403, path
        assert "Not allowed" in page.text
    # Their own API tokens are everyone's.
    assert browser.get("/tokens").status_code == 200


def test_each_page_needs_its_own_scope(browser, make_account):
    make_account("auditor", scopes=STAFF | {scopes.AUDIT_LOG_VIEW})
    _sign_in(browser, "auditor")
    assert 'href="/admin"' in browser.get("/").text
    assert browser.get("/admin", follow_redirects=False).headers["location"] == "/admin/audit-log"
    assert browser.get("/admin/audit-log").status_code == 200
    assert browser.get("/admin/users").status_code == 403
    assert browser.get("/admin/roles/new").status_code == 403


def test_a_groups_page_lists_its_members(browser, make_account):
    root = make_account("root", is_superuser=True)
    group = root.client.post("/api/groups/", json={"name": "Team"}).json()
    for name in ("zoe", "adam"):
        account = make_account(name, scopes=STAFF)
        root.client.patch(f"/api/users/{account.id}", json={"group_ids": [group["id"]]})
    make_account("outsider", scopes=STAFF)
    _sign_in(browser, "root")
    page = browser.get(f"/admin/groups/{group['id']}").text
    members = page[page.index('id="members-heading"') :]
    assert re.findall(r'/admin/users/[^"]+">(\w+)</a>', members) == ["adam", "zoe"]
    assert browser.get("/admin/groups/00000000-0000-0000-0000-000000000000").status_code == 404


def test_the_audit_log_filters_by_action_and_day_and_ignores_bad_values(browser, make_account):
    make_account("root", is_superuser=True)
    _sign_in(browser, "root")
    browser.post("/api/token", json={"username": "root", "password": "wrong"})
    today = utcnow().date()
    logins = browser.get(f"/admin/audit-log?action=auth.login&since={today}&until={today}").text
    assert "auth.login</code>" in logins
    assert "auth.login_failed</code>" not in logins
    failed = browser.get("/admin/audit-log?action=auth.login_failed").text
    assert "auth.login_failed</code>" in failed
    yesterday = today - timedelta(days=1)
    assert "Nothing was logged" in browser.get(f"/admin/audit-log?until={yesterday}").text
    lenient = browser.get("/admin/audit-log?action=nonsense&since=soon&user_id=x&page=-3")
    assert lenient.status_code == 200
    assert "auth.login</code>" in lenient.text


def test_the_sidebar_lists_the_users_and_their_groups_folders(browser, make_account):
    root = make_account("root", is_superuser=True)
    member = make_account("member", scopes=STAFF)
    group = root.client.post("/api/groups/", json={"name": "Ops", "with_special_folders": True})
    root.client.patch(f"/api/users/{member.id}", json={"group_ids": [group.json()["id"]]})
    make_account("other", scopes=STAFF)
    _sign_in(browser, "member")
    page = browser.get("/").text
    assert re.findall(r'role="treeitem"[^>]*>([^<]+)</a>', page) == [
        "Home",
        "Inbox",
        "Ops: home",
        "Ops: inbox",
    ]
    group_home = browser.get(f"/folders/{group.json()['home_folder_id']}").text
    assert '<span aria-current="page">Ops: home</span>' in group_home
    browser.cookies.clear()
    _sign_in(browser, "other")
    assert "Ops: home" not in browser.get("/").text
    assert browser.get(f"/folders/{group.json()['home_folder_id']}").status_code == 404


def test_the_commander_shows_two_folders_and_falls_back_on_bad_ids(browser, make_account):
    alice = make_account("alice", scopes=STAFF)
    bob = make_account("bob", scopes=STAFF)
    folder = alice.client.post(
        "/api/nodes/", json={"title": "Deals", "ctype": "folder", "parent_id": alice.home_id}
    ).json()
    _sign_in(browser, "alice")
    page = browser.get(f"/commander?left={folder['id']}&lpage=x&right=nonsense").text
    assert "Left panel: Deals" in page
    assert "Right panel: Inbox" in page
    # Another user's folder is missing, as everywhere.
    assert browser.get(f"/commander?right={bob.home_id}").status_code == 404


def test_without_the_update_scope_a_form_is_shown_but_disabled(browser, make_account):
    make_account("viewer", scopes=STAFF | {scopes.USER_VIEW, scopes.ROLE_VIEW, scopes.ROLE_UPDATE})
    other = make_account("other", scopes=STAFF)
    _sign_in(browser, "viewer")
    user_page = browser.get(f"/admin/users/{other.id}").text
    assert '<fieldset class="form-fields" disabled>' in user_page
    assert ">Save</button>" not in user_page
    assert "Delete user" not in user_page
    assert "Deactivate" not in user_page
    roles = browser.get("/admin/roles").text
    first_role = re.search(r'href="/admin/roles/([0-9a-f-]{36})"', roles)
    assert first_role
    role_page = browser.get(f"/admin/roles/{first_role.group(1)}").text
    assert '<fieldset class="form-fields">' in role_page
    assert ">Save</button>" in role_page
    assert "Delete role" not in role_page
