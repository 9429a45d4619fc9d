"""The per-request floor: how many SQL statements authenticating and authorising a request costs.

A signed-in request loads its user with the roles and groups that grant its scopes; that is one
statement, whatever the user belongs to (issue 16: it was four, and one more per role). A folder
listing adds two, whatever its page holds.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event

from quire.core.db import Database
from quire.core.models import Group, Role, RoleScope, User
from tests import samples
from tests.helpers.nodes import make_document, make_folder
from tests.helpers.sharing import VIEWER, make_role, share
from tests.helpers.statements import statements


def _join_groups(db: Database, user: User, groups: int) -> None:
    with db.session() as session:
        member = session.get(User, user.id)
        assert member is not None
        for number in range(groups):
            role = Role(name=f"group-role-{number}")
            role.scope_rows = [RoleScope(scope="tag.view"), RoleScope(scope="node.view")]
            group = Group(name=f"group-{number}")
            group.roles.append(role)
            member.groups.append(group)
        session.commit()


def test_users_me_is_one_statement_for_a_user_with_roles_and_groups(alice, db):
    _join_groups(db, alice.user, groups=3)
    alice.client.get("/api/users/me").raise_for_status()  # the app warmed up
    with statements(db) as seen:
        response = alice.client.get("/api/users/me")
    assert response.status_code == 200, response.text
    assert len(seen) == 1, "\n\n".join(seen)


def test_a_missing_scope_granted_by_no_role_or_group_is_still_403(make_account, db):
    reader = make_account(scopes={"node.view"})
    _join_groups(db, reader.user, groups=2)
    with statements(db) as seen:
        response = reader.client.post("/api/tags/", json={"name": "x"})
    assert response.status_code == 403
    assert "tag.create" in response.json()["detail"]
    assert len(seen) == 1, "\n\n".join(seen)


def test_changing_ones_own_roles_answers_with_the_new_scopes(alice):
    # The caller's scopes were computed when the request authenticated it: the answer must
    # follow the roles as the request left them, not as they were.
    role = alice.client.post(
        "/api/roles/", json={"name": "narrow", "scopes": ["user.me", "user.view"]}
    ).json()
    response = alice.client.patch(f"/api/users/{alice.id}", json={"role_ids": [role["id"]]})
    assert response.status_code == 200, response.text
    assert response.json()["scopes"] == ["user.me", "user.view"]
    me = alice.client.get("/api/users/me").json()
    assert me["scopes"] == ["user.me", "user.view"]


def _tag(account, node_id: str, *names: str) -> None:
    response = account.client.post(f"/api/nodes/{node_id}/tags", json=list(names))
    assert response.status_code == 200, response.text


def test_a_folder_listing_is_three_statements_whatever_its_page_holds(alice, bob, db):
    """Authentication, the folder, then the page (its ids, their columns, tags, shares and the
    count): no statement per node, per tag or per relationship (it was eight, then five, then
    four with the count on its own). A page past the end counts on its own."""
    folder = make_folder(alice, "Listed")
    _tag(alice, folder["id"], "archive")
    documents = [make_document(alice, f"doc {number}", folder["id"]) for number in range(12)]
    for document in documents[:6]:
        _tag(alice, document["id"], "invoice", "paid")
    viewer = make_role(alice, "listing viewer", VIEWER)
    share(alice, [documents[0]["id"]], [viewer], user_ids=[bob.user.id])
    sub = make_folder(alice, "Sub", folder["id"])

    for page_size in (5, 50):
        with statements(db) as seen:
            response = alice.client.get(
                f"/api/nodes/{folder['id']}", params={"page_size": page_size}
            )
        assert response.status_code == 200, response.text
        assert len(seen) == 3, "\n\n".join(seen)
        assert response.json()["num_pages"] == -(-13 // page_size)

    with statements(db) as seen:
        response = alice.client.get(
            f"/api/nodes/{folder['id']}", params={"page_size": 5, "page_number": 4}
        )
    assert response.status_code == 200, response.text
    assert (response.json()["num_pages"], response.json()["items"]) == (3, [])
    assert len(seen) == 4, "\n\n".join(seen)
    response = alice.client.get(f"/api/nodes/{folder['id']}", params={"page_size": 50})

    items = {item["title"]: item for item in response.json()["items"]}
    assert next(iter(items)) == "Sub"
    assert items["Sub"]["id"] == sub["id"]
    assert {tag["name"] for tag in items["doc 0"]["tags"]} == {"invoice", "paid"}
    assert items["doc 11"]["tags"] == []
    assert items["doc 0"]["is_shared"]
    assert not items["doc 1"]["is_shared"]
    assert items["doc 3"]["thumbnail_url"] == f"/api/thumbnails/{documents[3]['id']}"


def test_a_one_step_upload_is_one_transaction_with_nothing_to_reload(alice, db):
    """Issue 16: the document's rows go in with its file in one flush and one commit; nothing
    is read back for the answer (a new document has no tags, pages or shares to look up)."""
    upload = {"file": ("scan.pdf", samples.pdf_with_text(["hello"]), "application/pdf")}
    alice.client.post("/api/documents/upload", files=upload).raise_for_status()  # warmed up
    commits: list[str] = []
    listener = lambda conn: commits.append("COMMIT")  # noqa: E731
    event.listen(db.engine, "commit", listener)
    try:
        with statements(db) as seen:
            upload = {"file": ("letter.pdf", samples.pdf_with_text(["hi"]), "application/pdf")}
            response = alice.client.post("/api/documents/upload", files=upload)
    finally:
        event.remove(db.engine, "commit", listener)
    assert response.status_code == 201, response.text
    assert response.json()["tags"] == []
    assert response.json()["is_shared"] is False
    assert commits == ["COMMIT"]
    verbs = [statement.split(None, 1)[0] for statement in seen]
    # Authentication, the folder, whether it is in a trash, its free title; the document's
    # rows, its tasks.
    assert verbs.count("SELECT") == 4, "\n\n".join(seen)
    assert "UPDATE" not in verbs, "\n\n".join(seen)
    assert verbs[-1] == "INSERT", "\n\n".join(seen)


def test_on_sqlite_a_signed_in_request_is_authenticated_without_a_trip_to_the_thread_pool(
    alice, db
):
    """Issue 16: the trip there and back cost more than SQLite's read of the user. On a server
    database the read is a round trip, and goes to the pool."""
    threads: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = alice.client.get("/api/users/me")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200, response.text
    (thread,) = threads
    assert thread.startswith("AnyIO worker thread") is not db.is_sqlite, thread


def test_on_postgresql_a_read_only_request_opens_no_transaction(alice, db):
    """Issue 16: psycopg's BEGIN and the pool's ROLLBACK were two round trips of a read-only
    request's four or five (``core/db.py``); a write still runs in one transaction."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's BEGIN is PostgreSQL's")
    folder = make_folder(alice, "Read")
    states: list[tuple[str, str]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        status = conn.connection.driver_connection.info.transaction_status.name
        states.append((statement.split(None, 1)[0], status))

    event.listen(db.engine, "after_cursor_execute", record)
    try:
        for path in ("/api/users/me", f"/api/nodes/{folder['id']}", "/api/tags/"):
            alice.client.get(path).raise_for_status()
        reads = list(states)
        states.clear()
        alice.client.post("/api/tags/", json={"name": "written"}).raise_for_status()
    finally:
        event.remove(db.engine, "after_cursor_execute", record)
    assert reads, "the requests ran no statement"
    assert {status for _, status in reads} == {"IDLE"}, reads
    assert {status for verb, status in states if verb == "INSERT"} == {"INTRANS"}, states
    assert [tag["name"] for tag in alice.client.get("/api/tags/").json()["items"]] == ["written"]
