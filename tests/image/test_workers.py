"""One image serves the whole set: compose.yaml's workers setup, its web and its workers (the
services of the image in the `workers` profile, with their commands), share the work through a
Redis the test runs (no Redis image can be pulled here) and the volume: SQLite (instead of the
setup's PostgreSQL), the files, Tantivy's index."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests import samples
from tests.image.conftest import found, seed_env, signed_in
from tests.image.engine import Engine
from tests.processes import RedisServer, free_port, wait_for

REPO = Path(__file__).resolve().parents[2]


def compose_workers() -> dict[str, list[str]]:
    """The commands of compose.yaml's services that run the image in the workers profile."""
    services = yaml.safe_load((REPO / "compose.yaml").read_text())["services"]
    web_image = services["web"]["image"]
    return {
        name: service["command"].split()
        for name, service in services.items()
        if service["image"] == web_image and "workers" in service.get("profiles", [])
    }


def tasks_done(logs: str) -> set[str]:
    """The names of the tasks a container's log says it ran."""
    records = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    return {record["task"] for record in records if record.get("msg") == "task done"}


def test_web_and_worker_containers_share_the_work_through_redis(
    engine: Engine, image: str, tmp_path: Path
) -> None:
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        volume = engine.volume()
        # The host's network: the containers reach the Redis on the host's loopback.
        shared = [
            "--network=host",
            f"--volume={volume}:/var/lib/quire",
            *seed_env(),
            f"--env=QUIRE__REDIS__URL={redis.url}",
        ]
        port = free_port()
        web = engine.run(
            image, *shared, command=("serve", "--host", "127.0.0.1", "--port", str(port))
        )
        web.base = f"http://127.0.0.1:{port}"
        web.wait_until_serving()
        commands = compose_workers()
        assert set(commands) == {"worker", "indexer"}
        workers = [
            engine.run(image, *shared, command=tuple(command)) for command in commands.values()
        ]

        def serving() -> bool:
            for container, command in zip(workers, commands.values(), strict=True):
                assert container.state()["Running"], container.logs()
                health = engine.output("exec", container.id, "quire", *command, "--check")
                if "no live worker" in health or "cannot reach" in health:
                    return False
            return True

        wait_for(serving, 60, "the worker and the indexer to serve their queues")
        word = "Vermessungsprotokoll"
        with signed_in(web.base) as client:
            scan = samples.scanned_pdf([word])
            uploaded = client.post(
                "/api/documents/upload", files={"file": ("survey.pdf", scan, "application/pdf")}
            )
            assert uploaded.status_code == 201, uploaded.text
            document_id = uploaded.json()["id"]
            wait_for(lambda: found(client, word) == [document_id], 180, f"search to find {word!r}")
        # The workers did the OCR and the indexing; the web process ran no task itself.
        worker, indexer = workers
        assert "ocr" in tasks_done(worker.logs())
        assert "index" in tasks_done(indexer.logs())
        assert tasks_done(web.logs()) == set()
        for container in (*workers, web):
            assert container.stop() == 0, container.logs()
    finally:
        redis.stop()
