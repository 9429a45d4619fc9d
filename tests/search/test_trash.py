"""The trash with real files and a real index (Tantivy and Solr, on every database): a deleted
node leaves listings and search at once but keeps its files and index entries; restoring
brings it back; emptying (on request, or by the scheduled task) removes files, entries, rows."""

import uuid
from datetime import timedelta

from sqlalchemy import select, update

from quire.core.db import utcnow
from quire.core.models import DocumentVersion, Node, TaskRecord
from quire.core.storage import docver_key
from quire.core.tasks.execute import execute
from quire.core.tasks.schedule import schedule_due
from quire.search.engines import engine_for
from tests.helpers.nodes import children, make_folder
from tests.search.test_permissions import make_role, share


def delete(account, *node_ids):
    response = account.client.request("DELETE", "/api/nodes/", json=list(node_ids))
    assert (response.status_code, response.json()) == (200, None), response.text


def file_paths(search, document_id):
    """The document's version files on disk (every version)."""
    with search.db.session() as session:
        versions = session.execute(
            select(DocumentVersion.id, DocumentVersion.file_name).where(
                DocumentVersion.document_id == uuid.UUID(document_id),
                DocumentVersion.file_name.is_not(None),
            )
        ).all()
    storage = search.app.state.storage
    return [storage.path(docver_key(version_id, name)) for version_id, name in versions]


def indexed(search):
    return {str(node_id) for node_id, _ in engine_for(search.settings).fingerprints()}


def titles(account, parent_id):
    return [item["title"] for item in children(account, parent_id, page_size=50)["items"]]


def test_deleted_leaves_listings_and_search_at_once_and_restore_brings_it_back(search, alice):
    folder = make_folder(alice, "Invoices")
    document = search.upload(alice, "march", ["quarterly invoice"], parent_id=folder["id"])
    paths = file_paths(search, document["id"])
    assert paths
    assert all(path.is_file() for path in paths)
    assert search.titles(alice, "invoice") == ["march"]

    delete(alice, folder["id"])
    assert "Invoices" not in titles(alice, alice.home_id)
    # Before the indexer has run: the hits are checked against the database.
    assert search.titles(alice, "invoice") == []
    search.run_indexer()
    assert search.get(alice, "invoice")["total"] == 0
    assert search.get(alice, "")["total"] == 0
    # Still in the index, and on disk, until the trash is emptied.
    assert {folder["id"], document["id"]} <= indexed(search)
    assert all(path.is_file() for path in paths)
    trash = alice.client.get("/api/trash/").json()
    assert [item["id"] for item in trash["items"]] == [folder["id"]]

    restored = alice.client.post("/api/trash/restore", json={"node_ids": [folder["id"]]})
    assert restored.status_code == 200, restored.text
    search.run_indexer()
    assert "Invoices" in titles(alice, alice.home_id)
    assert titles(alice, folder["id"]) == ["march"]
    assert search.titles(alice, "invoice") == ["march"]
    assert alice.client.get("/api/trash/").json()["items"] == []


def test_a_grantee_no_longer_finds_a_shared_node_once_trashed(search, db, alice, bob):
    shared = make_folder(alice, "Shared")
    search.upload(alice, "plan", ["team roadmap"], parent_id=shared["id"])
    share(alice, shared["id"], make_role(db, "node.view"), user_ids=[str(bob.id)])
    search.run_indexer()
    assert search.titles(bob, "roadmap") == ["plan"]
    delete(alice, shared["id"])
    assert search.titles(bob, "roadmap") == []
    search.run_indexer()
    assert search.get(bob, "roadmap")["total"] == 0
    assert bob.client.get(f"/api/folders/{shared['id']}").status_code == 404
    assert bob.client.get("/api/shared-nodes/").json()["items"] == []


def test_the_scheduled_task_empties_what_is_older_than_trash_days(search, alice):
    old = search.upload(alice, "old", ["old minutes"])
    recent = search.upload(alice, "recent", ["recent minutes"])
    old_paths, recent_paths = file_paths(search, old["id"]), file_paths(search, recent["id"])
    delete(alice, old["id"], recent["id"])
    days = search.settings.main.trash_days
    with search.db.session() as session:
        session.execute(
            update(Node)
            .where(Node.id == uuid.UUID(old["id"]))
            .values(trashed_at=utcnow() - timedelta(days=days, minutes=1))
        )
        session.commit()
        scheduled = schedule_due(session)
        # However often runners sweep, one task per period.
        assert schedule_due(session) == []
        names = dict(
            session.execute(
                select(TaskRecord.name, TaskRecord.id).where(TaskRecord.id.in_(scheduled))
            ).all()
        )
    assert sorted(names) == ["empty_trash", "prune_audit_log", "prune_events"]
    storage = search.app.state.storage
    assert execute(search.db, storage, search.settings, names["empty_trash"]) == "succeeded"
    run_all(search, "discard_files")
    search.run_indexer()

    with search.db.session() as session:
        remaining = set(map(str, session.scalars(select(Node.id))))
        versions = session.scalars(
            select(DocumentVersion.id).where(DocumentVersion.document_id == uuid.UUID(old["id"]))
        ).all()
    assert old["id"] not in remaining
    assert versions == []
    assert recent["id"] in remaining
    assert not any(path.exists() for path in old_paths)
    assert all(path.is_file() for path in recent_paths)
    entries = indexed(search)
    assert old["id"] not in entries
    assert recent["id"] in entries
    items = alice.client.get("/api/trash/").json()["items"]
    assert [item["title"] for item in items] == ["recent"]


def test_emptying_now_removes_files_entries_and_rows(search, alice):
    kept = search.upload(alice, "kept", ["kept text"])
    gone = search.upload(alice, "gone", ["gone text"])
    paths = file_paths(search, gone["id"])
    delete(alice, kept["id"], gone["id"])
    response = alice.client.request("DELETE", "/api/trash/", json={"node_ids": [gone["id"]]})
    assert response.json() == {"deleted": 1}
    search.run_indexer()
    assert not any(path.exists() for path in paths)
    assert gone["id"] not in indexed(search)
    assert alice.client.get(f"/api/documents/{gone['id']}").status_code == 404
    # Everything that is left, without a body.
    assert alice.client.request("DELETE", "/api/trash/").json() == {"deleted": 1}
    assert alice.client.get("/api/trash/").json()["items"] == []


def run_all(search, name):
    with search.db.session() as session:
        pending = session.scalars(
            select(TaskRecord.id).where(TaskRecord.name == name, TaskRecord.state == "pending")
        ).all()
    storage = search.app.state.storage
    return [execute(search.db, storage, search.settings, task_id) for task_id in pending]
