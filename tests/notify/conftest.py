"""Real notify processes (``quire notify``) on the test database, a real Redis, real sockets.

Each test module's database backend gets two notify nodes, listening on a channel of the
module's own (``MAIN__PREFIX``) of the test services' Redis; the in-process app's changes are
announced there (``core.events.RedisAnnouncer``), as a web node's would be. The nodes sweep
the table only hourly, so what reaches a socket in these tests came through pub/sub.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from quire.core import events
from tests.processes import QuireProcess, clean_env, free_port, wait_for
from tests.services import service_url

SECRET = "test-secret-key-" + "x" * 32
TIMEOUT = 15


@dataclass
class NotifyNode:
    url: str
    process: QuireProcess

    def socket(self, token: str | None = None, **params: object) -> ClientConnection:
        """A client connected to ``/ws`` (Bearer ``token``; ``params`` in the query)."""
        query = "&".join(f"{key}={value}" for key, value in params.items())
        headers = {"Authorization": f"Bearer {token}"} if token else None
        return connect(
            f"{self.url}/ws" + (f"?{query}" if query else ""),
            additional_headers=headers,
            open_timeout=TIMEOUT,
        )


def token_of(account: Any) -> str:
    return str(account.client.headers["Authorization"].split()[1])


def next_event(socket: ClientConnection, timeout: float = TIMEOUT) -> dict[str, Any]:
    """The next event's message (heartbeats skipped); TimeoutError if none comes in time."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(socket.recv(timeout=max(0.01, deadline - time.monotonic())))
        if message["type"] == "event":
            assert message["v"] == 1
            return message["event"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def notify_env(
    database_url: str, prefix: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    return clean_env(
        tmp_path_factory.mktemp("notify-home"),
        QUIRE__DATABASE__URL=database_url,
        QUIRE__REDIS__URL=service_url("QUIRE_TEST_REDIS_URL"),
        QUIRE__MAIN__PREFIX=prefix,
        QUIRE__SECURITY__SECRET_KEY=SECRET,
        QUIRE__NOTIFY__SWEEP_SECONDS="3600",
        QUIRE__NOTIFY__HEARTBEAT_SECONDS="1",
        QUIRE__NOTIFY__CLIENT_QUEUE_SIZE="500",
    )


def start_node(env: dict[str, str], log: Path) -> NotifyNode:
    port = free_port()
    process = QuireProcess(["notify", "--port", str(port)], env, log)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if process.process.poll() is not None:
            raise AssertionError(f"quire notify exited early:\n{process.output()}")
        try:
            return httpx.get(f"{url}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(ready, 60, "quire notify to answer")
    except BaseException:
        process.stop()
        raise
    return NotifyNode(url.replace("http://", "ws://"), process)


@pytest.fixture(scope="module")
def nodes(
    notify_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[NotifyNode]]:
    """Two notify processes, as behind a load balancer."""
    logs = tmp_path_factory.mktemp("notify-logs")
    started: list[NotifyNode] = []
    try:
        for number in (1, 2):
            started.append(start_node(notify_env, logs / f"notify-{number}.log"))
        yield started
    finally:
        for node in started:
            node.process.stop()


@pytest.fixture
def node(nodes: list[NotifyNode]) -> NotifyNode:
    return nodes[0]


@pytest.fixture(autouse=True)
def announced_through_redis(prefix: str) -> Iterator[None]:
    """The in-process app's commits announce on the module's channel, as a web node's do."""
    events.announce_with(events.RedisAnnouncer(service_url("QUIRE_TEST_REDIS_URL"), prefix))
    yield
    events.announce_with(None)
