"""Helpers shared by the benchmarks: fresh databases and a real ``quire serve`` process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ADMIN_PASSWORD = "bench-password"


@contextmanager
def fresh_database(backend: str, workdir: Path) -> Iterator[str]:
    """An empty database on ``backend`` ('sqlite' or 'postgresql'), dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}"
        return
    server = make_url(os.environ["QUIRE_TEST_POSTGRES_URL"])
    name = f"quire_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


@dataclass
class Server:
    base: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def quire_server(
    database_url: str,
    data_dir: Path,
    workers: int = 2,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Server]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUIRE__", "PAPERMERGE__"))}
    env.update(
        QUIRE__DATABASE__URL=database_url,
        QUIRE__MAIN__DATA_DIR=str(data_dir),
        QUIRE__SECURITY__SECRET_KEY="bench-" + "k" * 40,
        QUIRE__AUTH__PASSWORD=ADMIN_PASSWORD,
        **(extra_env or {}),
    )
    command = ["-m", "quire", "serve", "--port", str(port), "--workers", str(workers)]
    with serving([*command, "--log-level", "warning"], env, port, "/api/probe/", 90) as base:
        token = httpx.post(
            f"{base}/api/token", json={"username": "admin", "password": ADMIN_PASSWORD}
        ).json()["access_token"]
        yield Server(base=base, token=token)


@contextmanager
def serving(
    arguments: list[str], env: dict[str, str], port: int, ready_path: str, seconds: float
) -> Iterator[str]:
    """``python <arguments>`` in the background until the context ends; its base URL once
    ``ready_path`` answers 200."""
    process = subprocess.Popen(
        [sys.executable, *arguments],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(process, f"{base}{ready_path}", seconds=seconds)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_until_answers(process: subprocess.Popen[bytes], url: str, seconds: float) -> None:
    """Until the server the process started answers 200 at the URL."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited early")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
