"""Search over group-owned nodes: every member finds what is in the group's home and inbox by its
text, nobody else does or counts it; leaving the group, moving a node out, deleting and
restoring it take effect as for a user's own nodes, and the scheduled emptying takes the group's
trash too."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from quire.core.db import utcnow
from quire.core.models import Node
from quire.core.tasks import enqueue
from quire.core.tasks.execute import execute
from tests.api.test_group_ownership import join, make_group, move
from tests.search.test_trash import file_paths, indexed, run_all


@pytest.fixture
def staff(alice, bob, carol):
    return make_group(alice, "staff", [bob, carol], with_special_folders=True)


def test_members_find_group_documents_by_their_text_and_no_one_else(
    search, alice, bob, carol, dave, staff
):
    document = search.upload(
        bob, "scan", ["the zeppelin invoice"], parent_id=staff["inbox_folder_id"]
    )
    for member in (bob, carol):
        hits = search.get(member, "zeppelin")
        assert (hits["total"], [hit["id"] for hit in hits["items"]]) == (1, [document["id"]])
        assert hits["items"][0]["parent_id"] == staff["inbox_folder_id"]
        assert hits["items"][0]["pages"]
    for outsider in (alice, dave):
        assert search.get(outsider, "zeppelin")["total"] == 0
        assert search.get(outsider, "")["total"] == 0

    # Out of the group: at once, before any reindexing.
    join(alice, carol)
    assert search.get(carol, "zeppelin")["total"] == 0


def test_a_node_moved_out_of_the_group_is_found_by_its_new_owner_only(search, bob, carol, staff):
    document = search.upload(bob, "lease", ["tenancy agreement"], parent_id=staff["home_folder_id"])
    assert move(bob, [document["id"]], bob.home_id).status_code == 200
    assert search.titles(carol, "tenancy") == []
    search.run_indexer()
    assert search.titles(carol, "tenancy") == []
    assert search.get(carol, "")["total"] == 0
    assert search.titles(bob, "tenancy") == ["lease"]


def test_group_trash_hides_from_search_and_restore_brings_back(search, bob, carol, staff):
    document = search.upload(bob, "memo", ["budget meeting"], parent_id=staff["inbox_folder_id"])
    deleted = bob.client.request("DELETE", "/api/nodes/", json=[document["id"]])
    assert deleted.status_code == 200
    search.run_indexer()
    assert search.get(carol, "budget")["total"] == 0
    restored = carol.client.post("/api/trash/restore", json={"node_ids": [document["id"]]})
    assert restored.status_code == 200, restored.text
    search.run_indexer()
    assert search.titles(carol, "budget") == ["memo"]
    assert search.titles(bob, "budget") == ["memo"]


def test_the_scheduled_emptying_takes_old_group_trash_too(search, bob, carol, staff):
    old = search.upload(bob, "old", ["old minutes"], parent_id=staff["inbox_folder_id"])
    paths = file_paths(search, old["id"])
    assert paths
    assert bob.client.request("DELETE", "/api/nodes/", json=[old["id"]]).status_code == 200
    days = search.settings.main.trash_days
    with search.db.session() as session:
        session.execute(
            update(Node)
            .where(Node.id == uuid.UUID(old["id"]))
            .values(trashed_at=utcnow() - timedelta(days=days, minutes=1))
        )
        task_id = enqueue(session, "empty_trash", queue="index").id
        session.commit()
    storage = search.app.state.storage
    assert execute(search.db, storage, search.settings, task_id) == "succeeded"
    run_all(search, "discard_files")
    search.run_indexer()
    assert carol.client.get("/api/trash/").json()["items"] == []
    assert not any(path.exists() for path in paths)
    assert old["id"] not in indexed(search)
