"""compose.yaml and its setups (compose/*.env) agree with Quire: the image's name, the queues.

Only the Quire services run here (tests/image, with the image); the others' images cannot be
pulled on these machines, so what can be checked without them is checked here.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from quire import __version__
from quire.core.config import QUEUES

REPO = Path(__file__).resolve().parents[2]
SETUPS = ("postgres", "workers", "solr", "s3")


def services() -> dict[str, dict[str, object]]:
    loaded = yaml.safe_load((REPO / "compose.yaml").read_text())["services"]
    assert isinstance(loaded, dict)
    return loaded


def quire_services() -> dict[str, dict[str, object]]:
    image = services()["web"]["image"]
    return {name: service for name, service in services().items() if service["image"] == image}


def profiles_of(setup: str) -> set[str]:
    lines = (REPO / "compose" / f"{setup}.env").read_text().splitlines()
    (value,) = [line.split("=", 1)[1] for line in lines if line.startswith("COMPOSE_PROFILES=")]
    return set(value.split(","))


def test_the_web_runs_the_image_make_image_builds_as_the_readme_does() -> None:
    web = services()["web"]
    assert web["image"] == f"${{QUIRE_IMAGE:-quire:{__version__}}}"
    assert web["ports"] == ["${QUIRE_PORT:-12000}:80"]
    assert "profiles" not in web  # `docker compose up`: the web alone
    environment = web["environment"]
    assert isinstance(environment, dict)
    assert {"PAPERMERGE__SECURITY__SECRET_KEY", "PAPERMERGE__AUTH__PASSWORD"} <= environment.keys()


def test_each_setup_adds_to_the_one_before() -> None:
    known = {profile for service in services().values() for profile in service.get("profiles", [])}
    before: set[str] = set()
    for setup in SETUPS:
        profiles = profiles_of(setup)
        assert profiles <= known, f"compose/{setup}.env names a profile compose.yaml lacks"
        assert before < profiles
        assert setup in profiles
        before = profiles


def test_the_whole_setup_serves_every_queue() -> None:
    served: set[str] = set()
    for name, service in quire_services().items():
        command = str(service.get("command", "serve")).split()
        if command[0] == "worker":
            assert set(command[1:]) <= set(QUEUES), name
            assert service["healthcheck"]["test"] == f"quire {' '.join(command)} --check"
            served |= set(command[1:])
    assert served == set(QUEUES)
