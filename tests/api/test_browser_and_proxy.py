"""Browser and auth-proxy deployments, on every database backend: CORS for the listed origins
only (``SECURITY__CORS_ORIGINS``), and sign-in by an authenticating proxy's headers
(``AUTH__REMOTE``) believed from ``SECURITY__TRUSTED_PROXIES`` alone.

The TestClient's ``client`` is the connection's peer: ``10.0.0.2`` is the trusted proxy,
``203.0.113.9`` anyone else.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from quire.core.db import Database
from quire.core.models import Group, Role, RoleScope, User
from quire.core.storage import LocalStorage
from quire.web.app import create_app
from tests.conftest import make_settings

PROXY = ("10.0.0.2", 40000)
STRANGER = ("203.0.113.9", 40000)
ORIGIN = "https://app.example.com"
STAFF_SCOPES = ("user.me", "node.view", "node.create")


@pytest.fixture(scope="module")
def proxied_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    data = tmp_path_factory.mktemp("proxied")
    settings = make_settings(
        database_url,
        data,
        security={
            "secret_key": "test-secret-key-" + "x" * 32,
            "trusted_proxies": "10.0.0.2",
            "cors_origins": f"{ORIGIN}, http://localhost:5173",
        },
        auth={"remote": True},
    )
    application = create_app(settings)
    yield application
    application.state.db.dispose()


@pytest.fixture
def via(proxied_app: FastAPI, db: Database, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A client of the proxied app connecting from the given address."""
    proxied_app.state.storage = LocalStorage(tmp_path / "proxied-media")
    clients: list[TestClient] = []

    def connect(peer: tuple[str, int]) -> TestClient:
        client = TestClient(proxied_app, client=peer)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()


@pytest.fixture
def staff(db: Database) -> None:
    """A group whose role lets its members see themselves and their folders."""
    with db.session() as session:
        role = Role(name="member", scope_rows=[RoleScope(scope=s) for s in STAFF_SCOPES])
        session.add(Group(name="Staff", roles=[role]))
        session.commit()


def _user(db: Database, username: str) -> User | None:
    with db.session() as session:
        query = select(User).where(User.username == username)
        return session.scalar(query.options(selectinload(User.groups)))


# --- CORS -----------------------------------------------------------------------------------


def _preflight(client: TestClient, origin: str, headers: str = "authorization, content-type"):
    return client.options(
        "/api/nodes/",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": headers,
        },
    )


def test_a_listed_origin_may_call_the_api_with_credentials(via, alice):
    browser = via(STRANGER)
    allowed = _preflight(browser, ORIGIN)
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "POST" in allowed.headers["access-control-allow-methods"]
    token = alice.client.headers["Authorization"]
    me = browser.get("/api/users/me", headers={"Origin": ORIGIN, "Authorization": token})
    assert me.status_code == 200
    assert me.headers["access-control-allow-origin"] == ORIGIN
    # A refusal reaches the page too, so it can tell its user to sign in.
    anonymous = browser.get("/api/users/me", headers={"Origin": ORIGIN})
    assert anonymous.status_code == 401
    assert anonymous.headers["access-control-allow-origin"] == ORIGIN


def test_other_origins_and_headers_are_refused(via, alice):
    browser = via(STRANGER)
    other = _preflight(browser, "https://evil.example.net")
    assert other.status_code == 400
    assert other.json() == {"detail": "Disallowed CORS origin"}
    assert "access-control-allow-origin" not in other.headers
    header = _preflight(browser, ORIGIN, headers="x-something")
    assert header.status_code == 400
    assert header.json() == {"detail": "Disallowed CORS headers"}
    token = alice.client.headers["Authorization"]
    read = browser.get(
        "/api/users/me", headers={"Origin": "https://evil.example.net", "Authorization": token}
    )
    assert "access-control-allow-origin" not in read.headers


def test_without_listed_origins_there_is_no_cors(client):
    """The default: a preflight is an unknown method, and no answer names an origin."""
    response = _preflight(client, ORIGIN)
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}
    assert "access-control-allow-origin" not in response.headers
    assert (
        "access-control-allow-origin"
        not in client.get("/api/probe/", headers={"Origin": ORIGIN}).headers
    )


# --- trusted headers --------------------------------------------------------------------------


def test_the_proxys_user_is_made_on_first_sight_with_groups_and_email(via, db, staff):
    proxy = via(PROXY)
    headers = {
        "Remote-User": "dora",
        "Remote-Email": "dora@example.com",
        "Remote-Groups": "staff, Nobody",
        # The proxy forwards its client's address: the connection, not this, decides trust.
        "X-Forwarded-For": "198.51.100.7",
    }
    me = proxy.get("/api/users/me", headers=headers)
    assert me.status_code == 200, me.text
    assert (me.json()["username"], me.json()["email"]) == ("dora", "dora@example.com")
    assert me.json()["scopes"] == sorted(STAFF_SCOPES)
    dora = _user(db, "dora")
    assert dora is not None
    assert [group.name for group in dora.groups] == ["Staff"]
    # A body passes the guard that wants a credential first: the proxy vouched for it.
    folder = {"title": "Mine", "ctype": "folder", "parent_id": str(dora.home_folder_id)}
    assert proxy.post("/api/nodes/", json=folder, headers=headers).status_code == 201
    # Without a groups header, memberships stay; an empty one empties them.
    assert proxy.get("/api/users/me", headers={"Remote-User": "dora"}).status_code == 200
    emptied = proxy.get("/api/users/me", headers={"Remote-User": "dora", "Remote-Groups": ""})
    assert emptied.status_code == 403
    assert _user(db, "dora").groups == []


def test_the_proxys_headers_from_anyone_else_are_ignored(via, make_account, all_rows, staff):
    make_account("admin", is_superuser=True)
    before = all_rows()
    stranger = via(STRANGER)
    for headers in (
        {"Remote-User": "admin"},
        {"Remote-User": "eve", "Remote-Groups": "Staff"},
        # A forwarded-for claim naming the proxy changes nothing: the connection is not its.
        {"Remote-User": "admin", "X-Forwarded-For": "10.0.0.2"},
    ):
        response = stranger.get("/api/users/me", headers=headers)
        assert response.status_code == 401
        assert response.json() == {"detail": "not authenticated"}
    body = stranger.post("/api/nodes/", json={"title": "x"}, headers={"Remote-User": "admin"})
    assert body.status_code == 401
    assert all_rows() == before


def test_the_headers_mean_nothing_when_remote_sign_in_is_off(app, db, make_account):
    """The suite's app: AUTH__REMOTE off (the default), no trusted proxy."""
    make_account("admin", is_superuser=True)
    with TestClient(app, client=PROXY) as proxy:
        response = proxy.get("/api/users/me", headers={"Remote-User": "admin"})
    assert response.status_code == 401


def test_a_credential_of_the_request_wins_over_the_proxys_word(via, alice, bob, db):
    proxy = via(PROXY)
    headers = {"Authorization": alice.client.headers["Authorization"], "Remote-User": "bob"}
    assert proxy.get("/api/users/me", headers=headers).json()["username"] == "alice"
    # An existing account is the one the proxy names: no second bob.
    assert proxy.get("/api/users/me", headers={"Remote-User": "bob"}).json()["id"] == str(bob.id)


def test_unusable_or_inactive_proxy_users_are_refused(via, db, make_account, all_rows):
    carl = make_account("carl")
    with db.session() as session:
        session.get(User, carl.id).is_active = False
        session.commit()
    before = all_rows()
    proxy = via(PROXY)
    inactive = proxy.get("/api/users/me", headers={"Remote-User": "carl"})
    assert (inactive.status_code, inactive.json()) == (
        401,
        {"detail": "this account is not active"},
    )
    for name in ("", "a\tb", "x" * 151):
        refused = proxy.get("/api/users/me", headers={"Remote-User": name})
        assert refused.status_code == 401
        assert refused.json() == {
            "detail": "the proxy's user header does not hold a usable username"
        }
    assert all_rows() == before
