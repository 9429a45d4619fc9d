"""The image under test (``QUIRE_TEST_IMAGE``, set by ``make test-image``) and its engine."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from tests.image.engine import Engine

# The README's `docker run`: these two variables and nothing else.
SEED_ENV = ("PAPERMERGE__SECURITY__SECRET_KEY=abc", "PAPERMERGE__AUTH__PASSWORD=pass123")


def seed_env() -> list[str]:
    return [option for variable in SEED_ENV for option in ("--env", variable)]


@pytest.fixture(scope="session")
def image() -> str:
    return os.environ["QUIRE_TEST_IMAGE"]


@pytest.fixture
def engine() -> Iterator[Engine]:
    with Engine(os.environ.get("CONTAINER_ENGINE")).session() as engine:
        yield engine


def signed_in(base: str) -> httpx.Client:
    """A client signed in as the admin that SEED_ENV makes."""
    token = httpx.post(
        f"{base}/api/token", data={"username": "admin", "password": "pass123"}, timeout=30
    )
    assert token.status_code == 200, token.text
    return httpx.Client(
        base_url=base,
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
        timeout=60,
    )


def found(client: httpx.Client, word: str) -> list[str]:
    answer = client.get("/api/search/", params={"q": word})
    assert answer.status_code == 200, answer.text
    return [item["id"] for item in answer.json()["items"]]
