"""Crashes and outages lose no work: real ``quire serve``, ``quire worker`` and Redis processes.

- Redis stopped during uploads: the uploads succeed, and once Redis is back every preview is
  produced exactly once.
- A worker SIGKILLed mid-task: another worker runs the task again; its effect is not doubled.
- Embedded mode, server SIGKILLed mid-task and started again: the work resumes.
"""

from sqlalchemy import func, select

from quire.core.models import TaskRecord
from tests.processes import quire_serve
from tests.tasks.stack import (
    BIG_DOCUMENT,
    PREVIEWS_TIMEOUT,
    assert_previews_complete,
    client_for,
    previews_tasks,
    upload,
    wait_until_running,
    wait_until_succeeded,
    worker,
)


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
        # One previews task, not a second one for the redelivery (the index task is separate).
        previews = select(func.count()).where(TaskRecord.name == "previews")
        assert session.scalar(previews.select_from(TaskRecord)) == 1


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
