"""The container engine's command line (podman or docker: the same commands), for the tests."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from tests.processes import wait_for


@dataclass
class Container:
    engine: Engine
    id: str
    base: str | None = None  # http://127.0.0.1:PORT, where its port 80 is published
    started: float = field(default_factory=time.monotonic)

    def logs(self) -> str:
        return self.engine.output("logs", self.id)

    def exec(self, *command: str) -> str:
        return self.engine("exec", self.id, *command)

    def state(self) -> dict[str, object]:
        (info,) = json.loads(self.engine("inspect", "--type", "container", self.id))
        state = info["State"]
        assert isinstance(state, dict)
        return state

    def signal(self, name: str) -> None:
        self.engine("kill", "--signal", name, self.id)

    def stop(self, timeout: int = 30) -> int:
        """Stops it as `docker stop` does (the image's STOPSIGNAL, then SIGKILL); its exit code."""
        self.engine("stop", "--time", str(timeout), self.id, timeout=timeout + 30)
        return self.exit_code()

    def exit_code(self, timeout: float = 60) -> int:
        wait_for(lambda: not self.state()["Running"], timeout, "the container to exit")
        code = self.state()["ExitCode"]
        assert isinstance(code, int)
        return code

    def wait_until_serving(self, timeout: float = 120) -> float:
        """Seconds from `run` to the first 200 from /api/probe/."""
        assert self.base is not None

        def answers() -> bool:
            assert self.state()["Running"], f"the container exited:\n{self.logs()}"
            try:
                return httpx.get(f"{self.base}/api/probe/", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(answers, timeout, f"the container to serve on {self.base}")
        return time.monotonic() - self.started


class Engine:
    """``podman`` (the default where it is installed) or ``docker``."""

    def __init__(self, program: str | None = None) -> None:
        self.program = program or ("podman" if shutil.which("podman") else "docker")
        self._created: list[tuple[str, str]] = []

    def __call__(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(
            [self.program, *args], capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            raise AssertionError(
                f"{self.program} {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
            )
        return result.stdout.strip()

    def output(self, *args: str) -> str:
        """stdout and stderr together (a container's logs are both)."""
        result = subprocess.run(
            [self.program, *args], capture_output=True, text=True, timeout=60, check=False
        )
        return result.stdout + result.stderr

    def run(
        self, image: str, *args: str, command: tuple[str, ...] = (), port: int | None = None
    ) -> Container:
        """``run --detach``: ``port`` publishes the container's port 80 on 127.0.0.1:``port``."""
        publish = ["--publish", f"127.0.0.1:{port}:80"] if port else []
        container_id = self("run", "--detach", *publish, *args, image, *command)
        self._created.append(("container", container_id))
        return Container(self, container_id, f"http://127.0.0.1:{port}" if port else None)

    def volume(self) -> str:
        name = f"quire-test-{uuid.uuid4().hex[:8]}"
        self("volume", "create", name)
        self._created.append(("volume", name))
        return name

    @contextmanager
    def session(self) -> Iterator[Engine]:
        """Removes what was made through it, containers first, their anonymous volumes too."""
        try:
            yield self
        finally:
            for kind, name in reversed(self._created):
                if kind == "container":
                    self.output("rm", "--force", "--volumes", name)
                else:
                    self.output("volume", "rm", "--force", name)
            self._created.clear()
