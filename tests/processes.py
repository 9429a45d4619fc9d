"""Real processes for the tests: ``quire serve``, ``quire worker``, a private Redis."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.helpers.cli import quire_command, terminal_env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """The test process's environment without any Quire or Papermerge settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QUIRE", "PAPERMERGE__", "XDG_"))
    }
    env["HOME"] = str(home)
    env.update(extra)
    return env


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class QuireProcess:
    """``quire args`` running in the background (in ``tests.helpers.cli``'s terminal), its
    output going to ``log``."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._log_file = log.open("ab")
        self.process = subprocess.Popen(
            quire_command(*args),
            env=terminal_env(env),
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log_file.close()


@dataclass
class Served:
    base: str
    process: QuireProcess


@contextmanager
def quire_serve(env: dict[str, str], log: Path, *args: str) -> Iterator[Served]:
    """``quire serve`` on a free port, once it answers."""
    port = free_port()
    server = QuireProcess(["serve", "--port", str(port), *args], env, log)
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if server.process.poll() is not None:
            raise AssertionError(f"quire serve exited early:\n{server.output()}")
        try:
            return httpx.get(f"{base}/api/probe/", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    try:
        wait_for(ready, 60, "quire serve to answer")
        yield Served(base=base, process=server)
    finally:
        server.stop()


class RedisServer:
    """A private, throwaway redis-server that a test can stop and start again."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_for(answers, 20, "redis-server to start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None
