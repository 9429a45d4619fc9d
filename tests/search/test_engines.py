"""The engines' lifecycle: schema versions, and an engine that is down."""

import uuid

import pytest
from sqlalchemy import select, update

from quire.core.db import utcnow
from quire.core.models import TaskRecord
from quire.search import indexer, solr_backend, tantivy_backend
from quire.search.engines import engine_for, forget_engines
from tests.processes import free_port

pytestmark = pytest.mark.xdist_group("solr-schema")


def index_tasks(db):
    with db.session() as session:
        return list(session.scalars(select(TaskRecord).where(TaskRecord.name == "index")))


def test_a_new_schema_version_replaces_the_index_and_queues_a_rebuild(search, alice, monkeypatch):
    search.upload(alice, "survivor", ["persistent words"])
    backend = engine_for(search.settings)
    assert backend.ensure_schema() is False  # up to date: nothing to do
    module = (
        tantivy_backend if isinstance(backend, tantivy_backend.TantivyBackend) else solr_backend
    )
    monkeypatch.setattr(module, "SCHEMA_VERSION", module.SCHEMA_VERSION + 1)
    forget_engines()
    indexer.prepare(search.db, engine_for(search.settings))
    with search.db.session() as session:
        queued = session.scalars(
            select(TaskRecord.name).where(
                TaskRecord.state == "pending", TaskRecord.queue == "index"
            )
        )
        assert list(queued) == ["reindex"]
    assert search.run_indexer() == ["succeeded"]
    assert search.titles(alice, "persistent") == ["survivor"]
    # Once made, the same version is left alone.
    assert engine_for(search.settings).ensure_schema() is False


def test_with_solr_down_uploads_succeed_and_the_index_catches_up(search, alice, engine_url):
    if not engine_url.startswith("solr://"):
        pytest.skip("an embedded index is never down")
    down = search.settings.model_copy(
        update={
            "search": search.settings.search.model_copy(
                update={"url": f"solr://127.0.0.1:{free_port()}/quire", "timeout_seconds": 2}
            )
        }
    )
    search.app.state.settings = down
    document = search.upload_unindexed(alice, "written while down", ["resilient words"])
    assert document["title"] == "written while down"
    (task,) = index_tasks(search.db)
    response = alice.client.get("/api/search/", params={"q": "resilient"})
    assert response.status_code == 503
    assert "Solr cannot be reached" in response.json()["detail"]

    states = search.run_indexer_with(down)
    assert states == ["pending"]  # failed, to be retried
    with search.db.session() as session:
        record = session.get(TaskRecord, task.id)
        assert "Solr cannot be reached" in record.last_error
        # Solr is back: the retry comes due.
        session.execute(
            update(TaskRecord).where(TaskRecord.id == task.id).values(available_at=utcnow())
        )
        session.commit()
    search.app.state.settings = search.settings
    assert search.run_indexer() == ["succeeded"]
    assert search.titles(alice, "resilient") == ["written while down"]
    assert uuid.UUID(document["id"])
