"""Issue 20: re-filing 10,000 documents after their type's path template changed.

10,000 documents of one type (two custom fields: 10 companies, 5 years) are written straight
into the database, in one folder. Three runs, one after another, each timed over all documents:

- baseline: the plain node move, ``nodes.update_node`` for each document into its
  ``Company/Year`` folder (made beforehand), one transaction each, no template involved;
- re-file: the type gets a new template (``/home/Invoices/{{ Company }}/{{ Year }}/{{ title }}``)
  through ``definitions.update_document_type``, and the ``refile_type`` tasks it queues run in
  this process through the outbox (``execute``), batch after batch, until none is left: each
  document rendered in the sandbox, its folders found (50 of them made), moved, audited, queued
  for the indexer, an event written;
- again: the same re-filing once more, where every document is where it belongs already (the
  cost of idempotence: render and look up, no write).

``python -m benchmarks.path_templates`` runs it alone on SQLite (and PostgreSQL when
QUIRE_TEST_POSTGRES_URL is set).
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import insert, select, text

from benchmarks.core import insert_empty_versions
from benchmarks.server import fresh_database
from quire.core import definitions, nodes
from quire.core.config import DatabaseSettings, MainSettings, SecuritySettings, Settings
from quire.core.db import Database, utcnow
from quire.core.migrate import upgrade
from quire.core.models import (
    CustomFieldValue,
    Document,
    DocumentType,
    Folder,
    Node,
    TaskRecord,
    User,
)
from quire.core.storage import LocalStorage
from quire.core.tasks.execute import execute
from quire.core.users import create_user
from quire.path_templates import register

DOCUMENTS = int(os.environ.get("BENCH_PATH_TEMPLATE_DOCUMENTS", 10_000))
COMPANIES = [f"Company {n}" for n in range(10)]
YEARS = list(range(2020, 2025))
TEMPLATE = "/home/Invoices/{{ document.cf['Company'] }}/{{ document.cf['Year'] }}/"
NEW_TEMPLATE = TEMPLATE + "{{ document.title }}"


@dataclass
class Figures:
    backend: str
    baseline_per_s: float
    refile_per_s: float
    again_per_s: float
    tasks: int


def _settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        main=MainSettings(data_dir=data_dir),
        database=DatabaseSettings(url=database_url),
        security=SecuritySettings(secret_key="bench-" + "k" * 40),
    )


def _fill(database: Database) -> tuple[uuid.UUID, uuid.UUID, list[uuid.UUID]]:
    """A user, a typed type with two fields, 10,000 documents with values in one folder."""
    with database.session() as session:
        user = create_user(session, username="bench", password="bench-password")
        session.commit()
        home = session.get_one(Folder, user.home_folder_id)
        incoming = nodes.create_folder(session, home, "Incoming")
        company = definitions.create_custom_field(
            session, user.id, name="Company", field_type="text"
        )
        year = definitions.create_custom_field(session, user.id, name="Year", field_type="int")
        doc_type = definitions.create_document_type(
            session, user.id, name="Invoice", fields=[company, year], path_template=TEMPLATE
        )
        user_id, incoming_id, type_id = user.id, incoming.id, doc_type.id
        company_id, year_id = company.id, year.id
    now = utcnow()
    documents = [uuid.uuid4() for _ in range(DOCUMENTS)]
    with database.engine.begin() as connection:
        for start in range(0, DOCUMENTS, 1000):
            chunk = list(enumerate(documents[start : start + 1000], start))
            connection.execute(
                insert(Node),
                [
                    {
                        "id": i,
                        "title": f"Invoice {n:05d}.pdf",
                        "ctype": "document",
                        "lang": "eng",
                        "user_id": user_id,
                        "parent_id": incoming_id,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n, i in chunk
                ],
            )
            connection.execute(
                insert(Document.__table__),
                [
                    {"id": i, "ocr": False, "ocr_status": "UNKNOWN", "document_type_id": type_id}
                    for _, i in chunk
                ],
            )
            insert_empty_versions(connection, [i for _, i in chunk], now)
            for field_id, column, values in (
                (company_id, "value_text", COMPANIES),
                (year_id, "value_int", YEARS),
            ):
                connection.execute(
                    insert(CustomFieldValue),
                    [
                        {"id": uuid.uuid4(), "document_id": i, "field_id": field_id}
                        | {column: values[n % len(values)], "updated_at": now}
                        for n, i in chunk
                    ],
                )
        connection.execute(text("ANALYZE"))
    return type_id, user_id, documents


def _baseline(database: Database, user_id: uuid.UUID, documents: list[uuid.UUID]) -> float:
    """The plain move of each document into its folder, one transaction each; documents/s."""
    with database.session() as session:
        home = session.get_one(Folder, session.get_one(User, user_id).home_folder_id)
        base = nodes.create_folder(session, home, "Baseline")
        folders = {}
        for company in COMPANIES:
            parent = nodes.create_folder(session, base, company)
            for year in YEARS:
                folders[company, year] = nodes.create_folder(session, parent, str(year)).id
    started = time.perf_counter()
    for n, document_id in enumerate(documents):
        with database.session() as session:
            document = session.get_one(Document, document_id)
            target = session.get_one(Folder, folders[COMPANIES[n % 10], YEARS[n % 5]])
            nodes.update_node(session, document, target=target)
    return len(documents) / (time.perf_counter() - started)


def _refile(
    database: Database, settings: Settings, storage: LocalStorage, type_id: uuid.UUID, template: str
) -> tuple[float, int]:
    """Change the template, run the tasks it queues until none is left; documents/s, tasks."""
    started = time.perf_counter()
    with database.session() as session:
        doc_type = session.get_one(DocumentType, type_id)
        definitions.update_document_type(session, doc_type, path_template={"value": template})
    ran = 0
    while True:
        with database.session() as session:
            pending = session.scalars(
                select(TaskRecord.id).where(
                    TaskRecord.queue == "path_tmpl", TaskRecord.state == "pending"
                )
            ).all()
        if not pending:
            break
        for task_id in pending:
            state = execute(database, storage, settings, task_id)
            if state != "succeeded":
                raise RuntimeError(f"a refile_type task ended {state}")
            ran += 1
    return DOCUMENTS / (time.perf_counter() - started), ran


def _check_filed(database: Database, documents: list[uuid.UUID]) -> None:
    with database.session() as session:
        for n in (0, len(documents) // 2, len(documents) - 1):
            node = session.get_one(Node, documents[n])
            path = [title for _, title in nodes.ancestors(session, node, include_self=True)[1:]]
            expected = ["Invoices", COMPANIES[n % 10], str(YEARS[n % 5]), f"Invoice {n:05d}.pdf"]
            if path != expected:
                raise RuntimeError(f"document {n} is at {path}, not {expected}")


def run(backend: str, workdir: Path) -> Figures:
    register()
    with fresh_database(backend, workdir) as url:
        settings = _settings(url, workdir / "data")
        storage = LocalStorage(workdir / "media")
        database = Database(url)
        try:
            upgrade(database.engine)
            type_id, user_id, documents = _fill(database)
            baseline = _baseline(database, user_id, documents)
            refile, tasks = _refile(database, settings, storage, type_id, NEW_TEMPLATE)
            _check_filed(database, documents)
            again, _ = _refile(database, settings, storage, type_id, NEW_TEMPLATE + " ")
            _check_filed(database, documents)
        finally:
            database.dispose()
    return Figures(backend, baseline, refile, again, tasks)


def report(console: Console) -> None:
    backends = ["sqlite"] + (["postgresql"] if "QUIRE_TEST_POSTGRES_URL" in os.environ else [])
    table = Table(
        title=f"Path templates: re-filing {DOCUMENTS:,} documents after a template change, "
        "beside the plain node move of the same documents (the baseline)"
    )
    for column in (
        "backend",
        "plain move docs/s",
        "re-file docs/s",
        "re-file / move",
        "again (in place) docs/s",
        "tasks",
    ):
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory(prefix="quire-bench-") as workdir:
        for backend in backends:
            console.print(f"running path templates benchmark on {backend} ...")
            (Path(workdir) / backend).mkdir()
            f = run(backend, Path(workdir) / backend)
            table.add_row(
                f.backend,
                f"{f.baseline_per_s:.0f}",
                f"{f.refile_per_s:.0f}",
                f"{f.refile_per_s / f.baseline_per_s:.2f}",
                f"{f.again_per_s:.0f}",
                str(f.tasks),
            )
    console.print(table)
    console.print(
        "re-file: template change -> last task done, each document in its own transaction, "
        f"batches of 200. Load average now: {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    report(Console(width=180))
