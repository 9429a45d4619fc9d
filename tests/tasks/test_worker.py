"""``quire worker``: health check, graceful SIGTERM, bad arguments; ``quire tasks``."""

import signal
import subprocess
import sys

from sqlalchemy import select

from quire.core.models import TaskRecord
from tests.processes import QuireProcess, quire_serve, wait_for
from tests.tasks.stack import (
    BIG_DOCUMENT,
    client_for,
    previews_tasks,
    upload,
    wait_until_running,
)


def quire(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "quire", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_health_check_tells_whether_a_worker_is_alive(quire_env, redis, tmp_path):
    env = {**quire_env, "QUIRE__REDIS__URL": redis.url}
    before = quire(env, "worker", "previews", "--check")
    assert before.returncode == 1
    assert "previews: no live worker" in before.stderr
    worker = QuireProcess(["worker", "previews"], env, tmp_path / "worker.log")
    try:
        wait_for(
            lambda: quire(env, "worker", "previews", "--check").returncode == 0,
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
    unknown = quire({**quire_env, "QUIRE__REDIS__URL": redis.url}, "worker", "previews", "nope")
    assert unknown.returncode == 1
    assert "unknown queue(s): nope" in unknown.stderr
    without_redis = quire(quire_env, "worker", "previews")
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
    listing = quire({**quire_env, "COLUMNS": "200"}, "tasks", "--state", "failed")
    assert listing.returncode == 0, listing.stderr
    assert "failed: 1" in listing.stderr
    assert "out of toner" in listing.stderr
    assert quire(quire_env, "tasks", "retry").returncode == 1
    bad = quire(quire_env, "tasks", "retry", "not-a-uuid")
    assert (bad.returncode, "task ids are UUIDs" in bad.stderr) == (1, True)
    retried = quire(quire_env, "tasks", "retry", "--all-failed")
    assert "1 task(s) will run again" in retried.stderr
    with db.session() as session:
        (record,) = session.scalars(select(TaskRecord)).all()
        assert (record.state, record.attempts) == ("pending", 0)
    assert quire(quire_env, "tasks", "--state", "bogus").returncode == 1
