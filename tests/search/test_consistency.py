"""The index follows the database: deletes, moves, renames, new versions; and the tools that
rebuild it or find and repair drift."""

import re
import uuid

import pytest

from quire.search import indexer
from quire.search.engines import engine_for
from quire.search.model import load
from tests import samples
from tests.helpers.custom_fields import create_field, create_type, set_type, set_values
from tests.helpers.documents import upload


def test_deleting_documents_and_folders_removes_them_and_what_was_below(search, alice):
    body = {"title": "Old projects", "ctype": "folder", "parent_id": alice.home_id}
    old = alice.client.post("/api/nodes/", json=body).json()["id"]
    search.upload(alice, "inside", ["obsolete plan"], parent_id=old)
    single = search.upload(alice, "single", ["obsolete memo"])
    assert search.titles(alice, "obsolete") == ["inside", "single"]
    for node_id in (single["id"], old):
        response = alice.client.request("DELETE", "/api/nodes/", json=[node_id])
        assert response.status_code == 200, response.text
    search.run_indexer()
    assert search.titles(alice, "obsolete") == []
    assert search.titles(alice, "projects") == []


def test_the_index_runs_of_a_burst_of_uploads_are_written_together(search, alice):
    """Issue 16: one run (one commit of the engine) for the uploads queued before it started,
    not one each; the runs merged into it are done, not run again."""
    for title in ("first", "second", "third"):
        search.upload_unindexed(alice, title, [f"burst of {title}"])
    assert search.run_indexer() == ["succeeded"]
    assert search.titles(alice, "burst") == ["first", "second", "third"]


def test_merged_index_runs_keep_what_goes_down_the_tree_apart():
    runs = [
        {"node_ids": ["b", "a"], "descendants": False},
        {"node_ids": ["f"], "descendants": True},
        {"node_ids": ["a", "c"], "descendants": False},
    ]
    assert indexer.merge_index_runs(runs) == [
        {"node_ids": ["a", "b", "c"], "descendants": False},
        {"node_ids": ["f"], "descendants": True},
    ]


def test_renames_and_moves_are_indexed(search, alice):
    document = search.upload(alice, "draft", ["quarterly numbers"])
    body = {"title": "Reports", "ctype": "folder", "parent_id": alice.home_id}
    reports = alice.client.post("/api/nodes/", json=body).json()["id"]
    response = alice.client.patch(f"/api/nodes/{document['id']}", json={"title": "final report"})
    assert response.status_code == 200, response.text
    response = alice.client.post(
        "/api/nodes/move", json={"source_ids": [document["id"]], "target_id": reports}
    )
    assert response.status_code == 200, response.text
    search.run_indexer()
    assert search.titles(alice, "title:final") == ["final report"]
    assert search.titles(alice, "title:draft") == []
    found = search.post(alice, q="quarterly", folder_id=reports)
    assert [item["title"] for item in found["items"]] == ["final report"]


def test_only_the_newest_version_is_searched(search, alice):
    from tests import samples

    document = search.upload(alice, "letter", ["first draft wording"])
    response = alice.client.post(
        f"/api/documents/{document['id']}/upload",
        files={"file": ("v2.pdf", samples.pdf_with_text(["second wording"]), "application/pdf")},
    )
    assert response.status_code in (200, 201), response.text
    search.run_indexer()
    assert search.titles(alice, "second") == ["letter"]
    assert search.titles(alice, "draft") == []


def test_check_finds_drift_and_repair_fixes_it(search, alice):
    kept = search.upload(alice, "kept", ["alpha"])
    changed = search.upload(alice, "changed", ["beta"])
    lost = search.upload(alice, "lost", ["gamma"])
    backend = engine_for(search.settings)
    ghost = uuid.uuid4()
    with search.db.session() as session:
        ghost_entry = load(session, [uuid.UUID(kept["id"])])[0]
        stale_entry = load(session, [uuid.UUID(changed["id"])])[0]
    # The index drifts: an entry for a node that never existed, a stale one, a lost one.
    from dataclasses import replace

    backend.write([replace(ghost_entry, id=ghost), replace(stale_entry, title="old title")], [])
    backend.write([], [uuid.UUID(lost["id"])])
    backend.refresh()

    drift = indexer.check(search.db, backend, 2)
    assert drift.missing == [uuid.UUID(lost["id"])]
    assert drift.stale == [uuid.UUID(changed["id"])]
    assert drift.orphaned == [ghost]
    repaired = indexer.check(search.db, backend, 2, repair=True)
    assert repaired.total == 3
    backend.refresh()
    assert indexer.check(search.db, backend, 2).total == 0
    assert search.titles(alice, "gamma") == ["lost"]


def test_rebuild_writes_everything_in_batches_and_resumes(search, alice):
    for number in range(5):
        search.upload(alice, f"doc {number}", [f"common word {number}"])
    backend = engine_for(search.settings)
    backend.clear()
    assert search.titles(alice, "common") == []
    batches = []
    written = indexer.rebuild(search.db, backend, 3, progress=batches.append)
    backend.refresh()
    # Batches of three ids; alice's home, inbox and trash are not indexed.
    assert written == 5
    assert [len(batch) for batch in batches] == [3, 3, 2]
    assert len(search.titles(alice, "common")) == 5
    backend.clear()
    resumed = indexer.rebuild(search.db, backend, 3, after=batches[0][-1])
    backend.refresh()
    missing = indexer.check(search.db, backend, 100).missing
    assert resumed + len(missing) == 5
    assert set(missing) <= set(batches[0])


def test_check_repairs_just_the_entries_of_fields_whose_key_changed(search, alice, monkeypatch):
    # Keys of names beyond ASCII changed (they were all "_"); an index built before holds the
    # old ones. `quire search check --repair` finds those entries, and only those, stale.
    from quire.search import model

    with monkeypatch.context() as before:
        before.setattr(
            model,
            "custom_field_key",
            lambda name: re.sub(r"[^a-z0-9]+", "_", name.casefold()).strip("_") or "_",
        )
        fields = [create_field(alice.client, name, "int")["id"] for name in ("Цена", "Amount")]
        priced, counted = (search.upload_unindexed(alice, title, ["x"]) for title in "ab")
        for document, name in ((priced, "Цена"), (counted, "Amount")):
            doc_type = create_type(alice.client, f"type {name}", fields)
            set_type(alice, document["id"], doc_type["id"])
            assert set_values(alice, document["id"], {name: 7}).status_code == 200
        assert set(search.run_indexer()) <= {"succeeded"}
    backend = engine_for(search.settings)
    assert indexer.check(search.db, backend, 10).stale == [uuid.UUID(priced["id"])]
    assert search.titles(alice, "cf.Цена:7") == []
    indexer.check(search.db, backend, 10, repair=True)
    backend.refresh()
    assert indexer.check(search.db, backend, 10).total == 0
    assert search.titles(alice, "cf.Цена:7") == ["a"]
    assert search.titles(alice, "cf.amount:7") == ["b"]


def test_a_tantivy_rebuild_commits_by_entries_not_by_nodes(search, alice, monkeypatch):
    # A node brings one entry and one per page: long documents make their commits come sooner,
    # so segments, and the merges that map them, stay the same size (tantivy_backend).
    if not str(search.settings.search.url).startswith("tantivy"):
        pytest.skip("Tantivy's bulk writer")
    from quire.search import tantivy_backend

    # Ids above any random one: the rebuild goes in id order, so alice's folders (one entry
    # each, at most three) come first, whatever their random ids, and then these.
    documents = [uuid.UUID(f"ffffffff-ffff-4fff-8fff-{n:012x}") for n in range(3)]
    for n, document_id in enumerate(documents):
        created = alice.client.post(
            "/api/nodes/",
            json={
                "id": str(document_id),
                "title": f"doc {n}",
                "ctype": "document",
                "parent_id": alice.home_id,
            },
        )
        assert created.status_code == 201, created.text
        pdf = samples.pdf_with_text(["first", "second", "third"])
        assert upload(alice, str(document_id), pdf).status_code == 200
    assert set(search.run_indexer()) <= {"succeeded"}
    backend = engine_for(search.settings)
    for threshold, committed in ((4, documents), (8, documents[1:2])):
        monkeypatch.setattr(tantivy_backend, "BULK_COMMIT_ENTRIES", threshold)
        backend.clear()
        checkpoints: list[uuid.UUID] = []
        indexer.rebuild(search.db, backend, 1, checkpoint=checkpoints.append)
        assert checkpoints == committed
    assert search.titles(alice, "second") == ["doc 0", "doc 1", "doc 2"]
