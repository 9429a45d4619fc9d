"""The service's life and the table: the web app's own /ws on the embedded default, a graceful
shutdown, ``quire notify`` without Redis, the pruning by age."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from quire.core import event_reading, events
from quire.core.db import utcnow
from quire.core.models import Event
from quire.core.tasks.schedule import PERIODIC
from tests.helpers.cli import run_quire
from tests.notify.conftest import TIMEOUT, next_event, start_node, token_of
from tests.processes import clean_env, quire_serve


def _close_code(socket) -> int:
    """The code of the close frame that ends the socket (heartbeats before it skipped)."""
    try:
        while True:
            socket.recv(timeout=TIMEOUT)
    except ConnectionClosed as closed:
        # None: closed without a close frame, which the callers' comparisons refuse.
        return closed.rcvd.code if closed.rcvd is not None else -1


def test_the_web_app_serves_ws_itself_on_the_embedded_default(tmp_path):
    env = clean_env(
        tmp_path,
        QUIRE__MAIN__DATA_DIR=str(tmp_path / "data"),
        QUIRE__SECURITY__SECRET_KEY="embedded-" + "k" * 40,
        QUIRE__AUTH__PASSWORD="embedded-password",
        QUIRE__OCR__AUTOMATIC="false",
    )
    with quire_serve(env, tmp_path / "serve.log") as served:
        token = httpx.post(
            f"{served.base}/api/token",
            json={"username": "admin", "password": "embedded-password"},
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        home = httpx.get(f"{served.base}/api/users/me", headers=headers).json()["home_folder_id"]
        url = served.base.replace("http://", "ws://") + "/ws"
        with connect(url, additional_headers=headers, open_timeout=TIMEOUT) as socket:
            made = httpx.post(
                f"{served.base}/api/nodes/",
                json={"title": "Embedded", "ctype": "folder", "parent_id": home},
                headers=headers,
            )
            assert made.status_code == 201
            event = next_event(socket)
        assert event["payload"]["node_id"] == made.json()["id"]
        polled = httpx.get(f"{served.base}/api/events/", headers=headers).json()
        assert event in polled
        with connect(url, open_timeout=TIMEOUT) as refused:
            assert _close_code(refused) == 1008


def test_a_stopping_node_closes_its_sockets_with_1012(notify_env, alice, tmp_path):
    node = start_node(notify_env, tmp_path / "notify.log")
    try:
        with node.socket(token_of(alice)) as socket:
            json.loads(socket.recv(timeout=TIMEOUT))  # connected: a heartbeat came
            node.process.process.terminate()
            code = _close_code(socket)
        assert code == 1012
        # And it is gone within the graceful period (5 s), not killed after systemd's 15 s.
        node.process.process.wait(timeout=10)
    finally:
        node.process.stop()


def test_quire_notify_needs_redis(tmp_path):
    result = run_quire("notify", env=clean_env(tmp_path, QUIRE__SECURITY__SECRET_KEY="k" * 40))
    assert result.returncode == 1
    assert "REDIS__URL is not set" in result.stdout + result.stderr


def test_old_events_are_pruned_by_age_hourly(db, alice):
    with db.session() as session:
        for title in ("old", "new"):
            events.publish(session, alice.id, "test.kind", title=title)
        session.commit()
        session.execute(
            update(Event)
            .where(Event.payload["title"].as_string() == "old")
            .values(created_at=utcnow() - timedelta(days=8))
        )
        session.commit()
        assert event_reading.prune(session, retention_days=7) == 1
        left = session.scalars(select(Event.payload)).all()
        assert [payload["title"] for payload in left] == ["new"]
        assert event_reading.prune(session, retention_days=7) == 0
        assert session.scalar(select(func.count()).select_from(Event)) == 1
    assert ("prune_events", 3600) in [(p.name, p.every_seconds) for p in PERIODIC]
