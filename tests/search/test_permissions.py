"""Nobody finds, or counts, what they may not see: owners, shares, groups, revocations,
and queries crafted to widen the permission filter."""

import uuid

import pytest
from sqlalchemy import delete

from quire.core.models import Group, Role, RoleScope, User
from quire.core.models.users import users_groups
from quire.core.scopes import ALL_SCOPES


def make_role(db, *scopes):
    with db.session() as session:
        role = Role(name=f"viewer-{uuid.uuid4().hex[:6]}")
        role.scope_rows = [RoleScope(scope=scope) for scope in scopes]
        session.add(role)
        session.commit()
        return str(role.id)


def make_group(db, *accounts):
    with db.session() as session:
        group = Group(name=f"group-{uuid.uuid4().hex[:6]}")
        group.users = [session.get(User, account.id) for account in accounts]
        session.add(group)
        session.commit()
        return str(group.id)


def share(owner, node_id, role_id, **grantees):
    body = {"node_ids": [node_id], "role_ids": [role_id], **grantees}
    response = owner.client.post("/api/shared-nodes/", json=body)
    assert response.status_code == 204, response.text


def revoke(owner, node_id, **grantees):
    body = {"node_ids": [node_id], **grantees}
    response = owner.client.request("DELETE", "/api/shared-nodes/", json=body)
    assert response.status_code == 204, response.text


def folder(account, title):
    body = {"title": title, "ctype": "folder", "parent_id": account.home_id}
    response = account.client.post("/api/nodes/", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def total(search, account, q=""):
    return search.get(account, q)["total"]


def test_users_find_and_count_only_their_own(search, alice, bob):
    search.upload(alice, "alice budget", ["secret budget figures"])
    search.upload(bob, "bob budget", ["budget memo"])
    assert search.titles(bob, "budget") == ["bob budget"]
    assert total(search, bob, "budget") == 1
    assert total(search, bob, "secret") == 0
    everything = search.get(bob, "", page_size=100)
    assert "alice budget" not in {item["title"] for item in everything["items"]}
    assert everything["total"] == len(everything["items"])


def test_a_shared_folder_is_searchable_until_the_share_is_revoked(
    search, db, alice, bob, make_account
):
    carol = make_account("carol")
    shared = folder(alice, "Shared with bob")
    search.upload(alice, "team plan", ["roadmap for the team"], parent_id=shared)
    search.upload(alice, "private plan", ["roadmap of my own"])
    role = make_role(db, "node.view")
    share(alice, shared, role, user_ids=[str(bob.id)])
    search.run_indexer()
    assert search.titles(bob, "roadmap") == ["team plan"]
    assert total(search, bob, "roadmap") == 1
    assert total(search, carol, "roadmap") == 0
    assert search.titles(alice, "roadmap") == ["private plan", "team plan"]

    revoke(alice, shared, user_ids=[str(bob.id)])
    # Even before the indexer runs, the hits are checked against the database.
    assert search.get(bob, "roadmap")["items"] == []
    search.run_indexer()
    assert total(search, bob, "roadmap") == 0


def test_a_role_without_view_shares_nothing_to_search(search, db, alice, bob):
    shared = folder(alice, "Upload only")
    search.upload(alice, "dropbox", ["incoming scans"], parent_id=shared)
    share(alice, shared, make_role(db, "node.create"), user_ids=[str(bob.id)])
    search.run_indexer()
    assert total(search, bob, "incoming") == 0


def test_group_members_find_what_is_shared_with_the_group(search, db, alice, bob, make_account):
    carol = make_account("carol")
    group_id = make_group(db, bob)
    shared = folder(alice, "Accounting")
    search.upload(alice, "ledger", ["general ledger"], parent_id=shared)
    share(alice, shared, make_role(db, "node.view"), group_ids=[group_id])
    search.run_indexer()
    assert search.titles(bob, "ledger") == ["ledger"]
    assert total(search, carol, "ledger") == 0
    # Leaving the group takes effect at once: the filter is the user's groups now.
    with db.session() as session:
        session.execute(delete(users_groups).where(users_groups.c.user_id == bob.id))
        session.commit()
    assert total(search, bob, "ledger") == 0


def test_moving_a_document_out_of_a_shared_folder_hides_it(search, db, alice, bob):
    shared = folder(alice, "Shared")
    document = search.upload(alice, "minutes", ["meeting minutes"], parent_id=shared)
    share(alice, shared, make_role(db, "node.view"), user_ids=[str(bob.id)])
    search.run_indexer()
    assert total(search, bob, "minutes") == 1
    response = alice.client.post(
        "/api/nodes/move", json={"source_ids": [document["id"]], "target_id": alice.home_id}
    )
    assert response.status_code == 200, response.text
    search.run_indexer()
    assert total(search, bob, "minutes") == 0
    assert total(search, alice, "minutes") == 1


ATTEMPTS = [
    "*:*",
    "user_id:*",
    "allowed:*",
    "node_id:*",
    "}{",
    "{!lucene}*:*",
    "{!terms f=allowed}u:*",
    "budget OR *:*",
    '") OR allowed:* OR ("',
    "budget) OR (allowed:*",
    "\\*:\\*",
    '_query_:"{!lucene}*:*"',
    "cf.x:[* TO *] OR *",
    "u:ALICE",
    "title:* OR title:budget",
    "budget^1000",
    "budget~2",
    "&& || !",
]


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_crafted_queries_never_widen_the_filter(search, alice, bob, attempt):
    search.upload(alice, "alice budget", ["budget of alice"])
    search.upload(bob, "bob notes", ["notes of bob"])
    attempt = attempt.replace("ALICE", str(alice.id))
    response = bob.client.get("/api/search/", params={"q": attempt, "page_size": 100})
    if response.status_code == 400:
        assert "malformed query" in response.json()["detail"]["msg"]
        return
    assert response.status_code == 200, response.text
    found = response.json()
    assert {item["title"] for item in found["items"]} <= {"bob notes"}
    assert found["total"] <= 1


def test_a_grantee_learns_nothing_of_the_folders_above_a_share(search, db, alice, bob):
    outer = folder(alice, "Private outer")
    response = alice.client.post(
        "/api/nodes/", json={"title": "Shared inner", "ctype": "folder", "parent_id": outer}
    )
    inner = response.json()["id"]
    search.upload(alice, "handbook", ["employee handbook"], parent_id=inner)
    share(alice, inner, make_role(db, "node.view"), user_ids=[str(bob.id)])
    search.run_indexer()
    hits = {item["title"]: item for item in search.get(bob, "")["items"]}
    assert set(hits) >= {"Shared inner", "handbook"}
    assert "Private outer" not in hits
    assert hits["Shared inner"]["parent_id"] is None  # not alice's folder id
    assert hits["handbook"]["parent_id"] == inner
    # Nor can a grantee search inside a folder they cannot see.
    response = bob.client.post("/api/search/", json={"folder_id": outer})
    missing = bob.client.post("/api/search/", json={"folder_id": str(uuid.uuid4())})
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json()
    inside = search.post(bob, folder_id=inner)
    assert [item["title"] for item in inside["items"]] == ["handbook"]


def test_searching_needs_node_view_and_a_signed_in_user(search, make_account, client):
    blind = make_account("blind", scopes={"tag.view"})
    assert blind.client.get("/api/search/", params={"q": "x"}).status_code == 403
    assert blind.client.post("/api/search/", json={"q": "x"}).status_code == 403
    assert client.get("/api/search/", params={"q": "x"}).status_code == 401


def test_snippets_are_page_text_and_need_page_view(search, alice, bob, make_account):
    document = search.upload(alice, "payroll", ["salary of the director"])
    share(alice, document["id"], make_role(search.db, "node.view"), user_ids=[str(bob.id)])
    search.run_indexer()
    assert search.get(alice, "salary")["items"][0]["pages"] != []
    (hit,) = search.get(bob, "salary")["items"]
    assert hit["title"] == "payroll"
    assert hit["pages"] == []  # the role shows the document, not what its pages say
    share(
        alice,
        document["id"],
        make_role(search.db, "node.view", "page.view"),
        user_ids=[str(bob.id)],
    )
    search.run_indexer()
    (hit,) = search.get(bob, "salary")["items"]
    assert "<mark>salary</mark>" in hit["pages"][0]["snippet"]
    # The owner without the page.view scope sees no snippets of their own documents either.
    carol = make_account("carol", scopes=ALL_SCOPES - {"page.view"})
    search.upload(carol, "notes", ["private notes"])
    (own,) = search.get(carol, "private")["items"]
    assert own["pages"] == []
