"""Crashes and outages lose no work: real ``quire serve``, ``quire worker`` and Redis processes.

- Redis stopped during uploads: the uploads succeed, and once Redis is back every preview is
  produced exactly once.
- A worker SIGKILLed mid-task: another worker runs the task again; its effect is not doubled.
- Embedded mode, server SIGKILLed mid-task and started again: the work resumes.
"""

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from quire.core.models import TaskRecord
from quire.core.storage import LocalStorage
from tests import samples
from tests.processes import QuireProcess, RedisServer, clean_env, quire_serve, wait_for
from tests.tasks.test_previews import expected_previews

PASSWORD = "fault-test-password"
PREVIEWS_TIMEOUT = 8
# Enough pages that rendering their previews takes a few seconds: time to kill a runner.
BIG_DOCUMENT = [f"page {n} of a long contract" for n in range(1, 61)]


@pytest.fixture
def redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def quire_env(database_url, db, tmp_path):
    """Settings shared by every process of one test: one database, one media root."""
    return clean_env(
        tmp_path,
        QUIRE__DATABASE__URL=database_url,
        QUIRE__MAIN__DATA_DIR=str(tmp_path / "data"),
        QUIRE__SECURITY__SECRET_KEY="fault-tests-" + "k" * 40,
        QUIRE__AUTH__PASSWORD=PASSWORD,
        QUIRE__TASKS__SWEEP_INTERVAL_SECONDS="0.5",
        QUIRE__TASKS__REDISPATCH_AFTER_SECONDS="3",
        QUIRE__TASKS__TIMEOUTS=json.dumps({"previews": PREVIEWS_TIMEOUT}),
    )


def client_for(base):
    token = httpx.post(
        f"{base}/api/token", json={"username": "admin", "password": PASSWORD}
    ).json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def upload(client, pages):
    response = client.post(
        "/api/documents/upload",
        files={"file": ("doc.pdf", samples.pdf_with_text(pages), "application/pdf")},
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def previews_tasks(db):
    with db.session() as session:
        return list(session.scalars(select(TaskRecord).where(TaskRecord.name == "previews")))


def wait_until_succeeded(db, count, timeout):
    def done():
        tasks = previews_tasks(db)
        return len(tasks) == count and all(t.state == "succeeded" for t in tasks)

    wait_for(done, timeout, f"{count} previews tasks to succeed")


def wait_until_running(db):
    wait_for(lambda: any(t.state == "running" for t in previews_tasks(db)), 60, "a task to start")


def assert_previews_complete(env, db, document_ids):
    storage = LocalStorage(Path(env["QUIRE__MAIN__DATA_DIR"]) / "media")
    for document_id in document_ids:
        for key in expected_previews(db, document_id):
            assert storage.exists(key), key


def worker(env, tmp_path, name):
    return QuireProcess(["worker", "previews"], env, tmp_path / f"{name}.log")


def test_redis_down_during_uploads_loses_nothing(quire_env, redis, db, tmp_path):
    env = {**quire_env, "QUIRE__REDIS__URL": redis.url}
    first_worker = worker(env, tmp_path, "worker")
    try:
        with quire_serve(env, tmp_path / "serve.log") as server, client_for(server.base) as client:
            redis.stop()
            documents = [upload(client, [f"document {i}"]) for i in range(5)]
            tasks = previews_tasks(db)
            assert len(tasks) == 5
            assert {t.state for t in tasks} == {"pending"}
            redis.start()
            wait_until_succeeded(db, 5, timeout=60)
    finally:
        first_worker.stop()
    tasks = previews_tasks(db)
    assert [t.attempts for t in tasks] == [1] * 5, "a preview was produced more than once"
    assert_previews_complete(env, db, documents)


def test_a_killed_worker_s_task_is_run_by_another_without_doubling(quire_env, redis, db, tmp_path):
    env = {**quire_env, "QUIRE__REDIS__URL": redis.url}
    doomed = worker(env, tmp_path, "doomed")
    survivor = None
    try:
        with quire_serve(env, tmp_path / "serve.log") as server, client_for(server.base) as client:
            document = upload(client, BIG_DOCUMENT)
            wait_until_running(db)
            doomed.kill()
            survivor = worker(env, tmp_path, "survivor")
            wait_until_succeeded(db, 1, timeout=PREVIEWS_TIMEOUT + 60)
    finally:
        doomed.stop()
        if survivor is not None:
            survivor.stop()
    (task,) = previews_tasks(db)
    assert task.attempts == 2
    assert_previews_complete(env, db, [document])
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(TaskRecord)) == 1


def test_embedded_server_killed_mid_task_resumes_on_restart(quire_env, db, tmp_path):
    with (
        quire_serve(quire_env, tmp_path / "first.log") as server,
        client_for(server.base) as client,
    ):
        document = upload(client, BIG_DOCUMENT)
        wait_until_running(db)
        server.process.kill()
    with quire_serve(quire_env, tmp_path / "second.log"):
        wait_until_succeeded(db, 1, timeout=PREVIEWS_TIMEOUT + 60)
    (task,) = previews_tasks(db)
    assert task.attempts == 2
    assert_previews_complete(quire_env, db, [document])
