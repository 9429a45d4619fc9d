"""``quire path-templates apply --type X``: file every document of a type by its template now.

The same operation as the ``path_tmpl`` worker's (``quire.path_templates.filing``), run here in
batches, each document in its own transaction(s), with a progress bar. Useful after an import,
or to see at once what a template does to a whole type. Exit status 2 when some documents were
refused (each with its reason in the audit log); 1 for a type that cannot be applied.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Annotated

import typer
from sqlalchemy import select

from quire.cli.common import console, fail, open_database, progress_bar
from quire.core.db import Database
from quire.core.models import Document, DocumentType, User
from quire.core.models.custom_fields import name_key
from quire.path_templates.tasks import BATCH_SIZE, file_batch, type_batch

path_templates_app = typer.Typer(help="Path templates: file documents by their type's template.")


@path_templates_app.command("apply")
def apply(
    type_: Annotated[str, typer.Option("--type", help="The document type: its id, or its name.")],
    user: Annotated[
        str | None,
        typer.Option("--user", help="Whose type of this name, when several users have one."),
    ] = None,
) -> None:
    """File every document of the type where its path template says, with a progress bar."""
    database = open_database()
    try:
        type_id = _find_type(database, type_, user)
        with database.session() as session:
            total = session.query(Document).filter(Document.document_type_id == type_id).count()
        outcomes: Counter[str] = Counter()
        after: str | None = None
        with progress_bar() as progress:
            bar = progress.add_task("filing", total=total)
            while True:
                with database.session() as session:
                    batch = type_batch(session, type_id, after, BATCH_SIZE)
                outcomes += file_batch(database, batch, lambda: progress.advance(bar))
                if len(batch) < BATCH_SIZE:
                    break
                after = str(batch[-1])
    finally:
        database.dispose()
    summary = ", ".join(f"{kind}: {outcomes[kind]}" for kind in sorted(outcomes)) or "none"
    console.print(f"filed {sum(outcomes.values())} document(s): {summary}")
    if outcomes["refused"]:
        console.print("the reasons are in the audit log (action document.filing_refused)")
        raise typer.Exit(2)


def _find_type(database: Database, wanted: str, username: str | None) -> uuid.UUID:
    with database.session() as session:
        query = select(DocumentType)
        try:
            query = query.where(DocumentType.id == uuid.UUID(wanted))
        except ValueError:
            query = query.where(DocumentType.name_key == name_key(wanted))
        if username is not None:
            query = query.join(User, User.id == DocumentType.user_id).where(
                User.username == username
            )
        found = session.scalars(query).all()
        if not found:
            fail(f"no document type {wanted!r}" + (f" of user {username!r}" if username else ""))
        if len(found) > 1:
            fail(f"several users have a document type named {wanted!r}: give --user or its id")
        doc_type = found[0]
        if not doc_type.path_template:
            fail(f"the document type {doc_type.name!r} has no path template")
        return doc_type.id
