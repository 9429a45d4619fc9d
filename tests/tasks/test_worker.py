"""``quire worker``: health check, graceful SIGTERM, bad arguments; ``quire tasks``."""

import signal

from sqlalchemy import select

from quire.core.models import TaskRecord
from tests.helpers.cli import run_quire
from tests.processes import QuireProcess, quire_serve, wait_for
from tests.tasks.stack import (
    BIG_DOCUMENT,
    client_for,
    previews_tasks,
    upload,
    wait_until_running,
)


def test_health_check_tells_whether_a_worker_is_alive(quire_env, redis, tmp_path):
    env = {**quire_env, "QUIRE__REDIS__URL": redis.url}
    before = run_quire("worker", "previews", "--check", env=env, timeout=60)
    assert before.returncode == 1
    assert "previews: no live worker" in before.stderr
    worker = QuireProcess(["worker", "previews"], env, tmp_path / "worker.log")
    try:
        wait_for(
            lambda: run_quire("worker", "previews", "--check", env=env, timeout=60).returncode == 0,
            30,
            "the worker's health record",
        )
        assert '"msg": "worker started"' in worker.output()
    finally:
        worker.stop()


def test_sigterm_lets_the_job_under_way_finish(quire_env, redis, db, tmp_path):
    env = {**quire_env, "QUIRE__REDIS__URL": redis.url}
    worker = QuireProcess(["worker", "previews"], env, tmp_path / "worker.log")
    try:
        with quire_serve(env, tmp_path / "serve.log") as server, client_for(server.base) as client:
            upload(client, BIG_DOCUMENT)
            wait_until_running(db)
            worker.process.send_signal(signal.SIGTERM)
            assert worker.process.wait(timeout=60) == 0
    finally:
        worker.stop()
    (task,) = previews_tasks(db)
    assert (task.state, task.attempts) == ("succeeded", 1)
    assert "finishing the jobs under way" in worker.output()


def test_worker_bad_arguments(quire_env, redis):
    unknown = run_quire(
        "worker", "previews", "nope", env={**quire_env, "QUIRE__REDIS__URL": redis.url}, timeout=60
    )
    assert unknown.returncode == 1
    assert "unknown queue(s): nope" in unknown.stderr
    without_redis = run_quire("worker", "previews", env=quire_env, timeout=60)
    assert without_redis.returncode == 1
    assert "REDIS__URL is not set" in without_redis.stderr


def test_tasks_command_lists_and_retries(quire_env, db):
    with db.session() as session:
        session.add(
            TaskRecord(
                name="previews",
                queue="previews",
                args={},
                state="failed",
                attempts=5,
                last_error="RuntimeError: out of toner",
            )
        )
        session.commit()
    listing = run_quire("tasks", "--state", "failed", env=quire_env, timeout=60)
    assert listing.returncode == 0, listing.stderr
    assert "failed: 1" in listing.stderr
    assert "out of toner" in listing.stderr
    assert run_quire("tasks", "retry", env=quire_env, timeout=60).returncode == 1
    bad = run_quire("tasks", "retry", "not-a-uuid", env=quire_env, timeout=60)
    assert (bad.returncode, "task ids are UUIDs" in bad.stderr) == (1, True)
    retried = run_quire("tasks", "retry", "--all-failed", env=quire_env, timeout=60)
    assert "1 task(s) will run again" in retried.stderr
    with db.session() as session:
        (record,) = session.scalars(select(TaskRecord)).all()
        assert (record.state, record.attempts) == ("pending", 0)
    assert run_quire("tasks", "--state", "bogus", env=quire_env, timeout=60).returncode == 1
