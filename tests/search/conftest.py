"""Search tests: the same suite on every engine (``QUIRE_TEST_SEARCH_ENGINES``, default
``tantivy,solr``), each test with an empty index, against the API of a real app."""

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from quire.core.config import Settings
from quire.core.db import Database
from quire.core.models import TaskRecord
from quire.core.tasks.execute import execute
from quire.search.engines import engine_for, forget_engines
from tests import samples
from tests.search.solr import solr_url

ENGINES = os.environ.get("QUIRE_TEST_SEARCH_ENGINES", "tantivy,solr").split(",")
INDEX_TASKS = ("index", "reindex")
# What the query language finds is the engine's business, not the database's: those tests run
# on SQLite only. Permissions, filters and consistency read the database: every backend.
ENGINE_ONLY_MODULES = {"test_search.py", "test_engines.py", "test_cli.py"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    deselected = [
        item
        for item in items
        if item.path.name in ENGINE_ONLY_MODULES
        and getattr(item, "callspec", None) is not None
        and item.callspec.params.get("database_url", "sqlite") != "sqlite"
    ]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item not in deselected]


@dataclass
class Search:
    app: FastAPI
    db: Database
    settings: Settings

    def run_indexer(self) -> list[str]:
        """Run every pending index task; returns the states of the runs (tasks merged into an
        earlier one's run have none of their own)."""
        states = self.run_indexer_with(self.settings)
        engine_for(self.settings).refresh()
        return states

    def run_indexer_with(self, settings: Settings) -> list[str]:
        with self.db.session() as session:
            pending = session.scalars(
                select(TaskRecord.id)
                .where(TaskRecord.name.in_(INDEX_TASKS), TaskRecord.state == "pending")
                .order_by(TaskRecord.created_at)
            ).all()
        states = [
            execute(self.db, self.app.state.storage, settings, task_id) for task_id in pending
        ]
        return [state for state in states if state != "not claimed"]

    def get(self, account, q, **params):  # type: ignore[no-untyped-def]
        response = account.client.get("/api/search/", params={"q": q, **params})
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, account, **body):  # type: ignore[no-untyped-def]
        response = account.client.post("/api/search/", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def titles(self, account, q, **params):  # type: ignore[no-untyped-def]
        return sorted(
            item["title"] for item in self.get(account, q, page_size=100, **params)["items"]
        )

    def upload(self, account, title, pages, lang="eng", **form):  # type: ignore[no-untyped-def]
        """A born-digital PDF with these pages of text, indexed."""
        document = self.upload_unindexed(account, title, pages, lang, **form)
        assert set(self.run_indexer()) <= {"succeeded"}
        return document

    def upload_unindexed(self, account, title, pages, lang="eng", **form):  # type: ignore[no-untyped-def]
        response = account.client.post(
            "/api/documents/upload",
            files={"file": (f"{title}.pdf", samples.pdf_with_text(pages), "application/pdf")},
            data={"title": title, "lang": lang, **form},
        )
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture(params=ENGINES)
def engine_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "tantivy":
        return f"tantivy://{tmp_path / 'index'}"
    return solr_url()


@pytest.fixture
def search(app: FastAPI, db: Database, engine_url: str) -> Iterator[Search]:
    """The app searching ``engine_url``, starting with an empty index."""
    original: Settings = app.state.settings
    settings = original.model_copy(
        update={"search": original.search.model_copy(update={"url": engine_url})}
    )
    app.state.settings = settings
    backend = engine_for(settings)
    backend.ensure_schema()
    backend.clear()
    try:
        yield Search(app=app, db=db, settings=settings)
    finally:
        app.state.settings = original
        forget_engines()


def new_id() -> str:
    return str(uuid.uuid4())
