"""The audit log: every change and sign-in recorded with its change, read by admins only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from quire.core import audit
from quire.core.models import AuditEntry, TaskRecord
from quire.core.scopes import ALL_SCOPES, AUDIT_LOG_VIEW
from quire.core.tasks.execute import execute
from quire.core.tasks.schedule import schedule_due
from tests import samples
from tests.conftest import PASSWORD
from tests.helpers.documents import upload
from tests.helpers.nodes import make_document, make_folder
from tests.helpers.sharing import VIEWER, make_role, share


def entries(account, **params):
    response = account.client.get("/api/audit-logs/", params={"page_size": 100, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _date_back(db, node_id, *, days):
    """The node's entries as if written ``days`` ago."""
    with db.session() as session:
        session.execute(
            update(AuditEntry)
            .where(AuditEntry.node_id == uuid.UUID(node_id))
            .values(created_at=datetime.now(UTC) - timedelta(days=days))
        )
        session.commit()


def actions(account, **params):
    return [
        (entry["action"], entry["node_title"]) for entry in reversed(entries(account, **params))
    ]


def test_each_change_is_recorded_with_who_did_it(alice, bob, db):
    folder = make_folder(alice, "Invoices")
    document = make_document(alice, "march.pdf", folder["id"])
    assert upload(alice, document["id"], samples.pdf_with_text(["total"])).status_code == 200
    renamed = alice.client.patch(f"/api/nodes/{document['id']}", json={"title": "april.pdf"})
    assert renamed.status_code == 200, renamed.text
    archive = make_folder(alice, "Archive")
    moved = alice.client.post(
        "/api/nodes/move", json={"source_ids": [document["id"]], "target_id": archive["id"]}
    )
    assert moved.status_code == 200, moved.text
    role = make_role(alice, "audit viewer", VIEWER)
    assert share(alice, [archive["id"]], [role], user_ids=[bob.user.id]).status_code == 204
    versions = alice.client.get(f"/api/documents/{document['id']}").json()["versions"]
    download = alice.client.get(f"/api/document-versions/{versions[-1]['id']}/download")
    assert download.status_code == 200
    deleted = alice.client.request("DELETE", "/api/nodes/", json=[folder["id"]])
    assert deleted.status_code == 200, deleted.text

    assert actions(alice, user_id=str(alice.user.id)) == [
        ("node.create", "Invoices"),
        ("node.create", "march.pdf"),
        ("document.upload", "march.pdf"),
        ("node.update", "march.pdf"),
        ("node.create", "Archive"),
        ("node.move", "april.pdf"),
        ("node.share", "Archive"),
        ("document.download", "april.pdf"),
        ("node.delete", "Invoices"),
    ]
    newest = entries(alice, user_id=str(alice.user.id))[0]
    assert newest["username"] == "alice"
    assert newest["node_id"] == folder["id"]
    move = entries(alice, action="node.move")[0]
    assert move["details"] == {"from_id": folder["id"], "to_id": archive["id"]}
    grant = entries(alice, action="node.share")[0]["details"]["grants"]
    assert grant == [{"user_id": str(bob.user.id), "group_id": None, "role_id": role}]


def test_a_refused_change_leaves_no_entry(alice, db):
    make_folder(alice, "Taken")
    other = make_folder(alice, "Other")
    before = entries(alice)
    refused = alice.client.patch(f"/api/nodes/{other['id']}", json={"title": "Taken"})
    assert refused.status_code == 400
    assert entries(alice) == before


def test_sign_ins_and_failed_sign_ins_are_recorded_with_the_client(alice, client):
    assert client.post("/api/token", json={"username": "alice", "password": "wrong"}).status_code
    good = client.post("/api/token", json={"username": "alice", "password": PASSWORD})
    assert good.status_code == 200, good.text
    failed = entries(alice, action="auth.login_failed")[0]
    assert failed["username"] == "alice"
    assert failed["user_id"] is None
    assert failed["client"] == "testclient"
    success = entries(alice, action="auth.login")[0]
    assert success["user_id"] == str(alice.user.id)


def test_filters_by_node_action_and_time(alice, bob, db):
    first = make_folder(alice, "First")
    make_folder(bob, "Bobs")
    assert [e["node_title"] for e in entries(alice, node_id=first["id"])] == ["First"]
    assert {e["username"] for e in entries(alice, action="node.create")} >= {"alice", "bob"}
    with db.session() as session:
        session.execute(
            update(AuditEntry)
            .where(AuditEntry.node_id == uuid.UUID(first["id"]))
            .values(created_at=datetime(2026, 1, 1, tzinfo=UTC))
        )
        session.commit()
    january = {"since": "2026-01-01T00:00:00Z", "until": "2026-01-02T00:00:00Z"}
    assert [e["node_title"] for e in entries(alice, **january)] == ["First"]
    later = entries(alice, since="2026-01-02T00:00:00+00:00")
    assert "First" not in {e["node_title"] for e in later}
    assert "Bobs" in {e["node_title"] for e in later}


def test_pages_are_newest_first_and_stable(alice):
    for number in range(7):
        make_folder(alice, f"f{number}")
    first = alice.client.get("/api/audit-logs/", params={"page_size": 3}).json()
    second = alice.client.get("/api/audit-logs/", params={"page_size": 3, "page_number": 2}).json()
    assert first["num_pages"] == 3
    titles = [e["node_title"] for e in first["items"] + second["items"]]
    assert titles == ["f6", "f5", "f4", "f3", "f2", "f1"]


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2026-01-01T00:00:00"},  # no offset: whose midnight?
        {"action": "node.explode"},
        {"user_id": "not-a-uuid"},
        {"page_size": 0},
    ],
)
def test_bad_filters_are_a_4xx_naming_the_problem(alice, params):
    response = alice.client.get("/api/audit-logs/", params=params)
    assert response.status_code == 422
    assert response.json()["detail"]


def test_only_auditors_read_the_log(make_account, alice):
    make_folder(alice, "Secret plans")
    reader = make_account("reader", scopes=ALL_SCOPES - {AUDIT_LOG_VIEW})
    response = reader.client.get("/api/audit-logs/")
    assert response.status_code == 403
    assert "audit_log.view" in response.json()["detail"]


def test_pruning_deletes_only_what_is_older_than_the_retention(alice, db):
    old = make_folder(alice, "Old")
    make_folder(alice, "Recent")
    _date_back(db, old["id"], days=400)
    with db.session() as session:
        assert audit.prune(session, retention_days=365) == 1
        left = session.scalars(select(AuditEntry.node_title)).all()
    assert "Old" not in left
    assert "Recent" in left


def test_the_daily_task_prunes_and_restores_and_purges_are_recorded(alice, app, db):
    kept = make_folder(alice, "Kept")
    gone = make_folder(alice, "Gone")
    assert alice.client.request("DELETE", "/api/nodes/", json=[kept["id"]]).status_code == 200
    restored = alice.client.post("/api/trash/restore", json={"node_ids": [kept["id"]]})
    assert restored.status_code == 200, restored.text
    assert alice.client.request("DELETE", "/api/nodes/", json=[gone["id"]]).status_code == 200
    emptied = alice.client.request("DELETE", "/api/trash/", json={"node_ids": [gone["id"]]})
    assert emptied.status_code < 300, emptied.text
    assert actions(alice, action="node.restore") == [("node.restore", "Kept")]
    assert actions(alice, action="node.purge") == [("node.purge", "Gone")]

    _date_back(db, kept["id"], days=400)
    with db.session() as session:
        scheduled = schedule_due(session)
        task_id = session.scalar(
            select(TaskRecord.id).where(
                TaskRecord.id.in_(scheduled), TaskRecord.name == "prune_audit_log"
            )
        )
    storage = app.state.storage
    assert execute(db, storage, app.state.settings, task_id) == "succeeded"
    assert entries(alice, node_id=kept["id"]) == []
    assert [e["action"] for e in entries(alice, node_id=gone["id"])] == [
        "node.purge",
        "node.delete",
        "node.create",
    ]
