"""Helpers for tests that drive real ``quire serve`` and ``quire worker`` processes."""

from pathlib import Path

import httpx
from sqlalchemy import select

from quire.core.models import TaskRecord
from quire.core.storage import LocalStorage
from tests import samples
from tests.helpers.previews import expected_previews
from tests.processes import QuireProcess, wait_for

PASSWORD = "fault-test-password"
PREVIEWS_TIMEOUT = 8
# Enough pages that rendering their previews takes a few seconds: time to kill a runner.
BIG_DOCUMENT = [f"page {n} of a long contract" for n in range(1, 61)]


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


def worker(env, tmp_path, name, queue="previews"):
    return QuireProcess(["worker", queue], env, tmp_path / f"{name}.log")
