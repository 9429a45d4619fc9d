"""``quire ocr``: queue OCR for many documents at once (bulk re-OCR), with a progress bar.

The tasks are committed in batches, so an interrupted run has queued whole batches and can
simply be run again (with ``--missing`` to leave out what has been OCR'd since).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from quire.cli.common import console, fail, open_database, progress_bar
from quire.core import ocr
from quire.core.models import Document, Folder
from quire.core.models.nodes import OCRStatus
from quire.core.nodes import subtree_levels

BATCH_SIZE = 200


def _document_ids(session: Session, folder: uuid.UUID | None, missing: bool) -> list[uuid.UUID]:
    query = select(Document.id).order_by(Document.created_at, Document.id)
    if folder is not None:
        if session.get(Folder, folder) is None:
            fail(f"no folder with id {folder}")
        inside = [node_id for level in subtree_levels(session, [folder]) for node_id in level]
        query = query.where(Document.id.in_(inside))
    if missing:
        query = query.where(Document.ocr_status != OCRStatus.success.value)
    return list(session.scalars(query))


def _batches(ids: list[uuid.UUID]) -> Iterator[list[uuid.UUID]]:
    for start in range(0, len(ids), BATCH_SIZE):
        yield ids[start : start + BATCH_SIZE]


def _schedule_batch(session: Session, ids: list[uuid.UUID], lang: str | None) -> int:
    """Queue OCR for one batch in one transaction; returns how many had no file to OCR."""
    query = select(Document).where(Document.id.in_(ids)).options(selectinload(Document.versions))
    without_file = 0
    for document in session.scalars(query):
        try:
            ocr.schedule(session, document, lang or document.lang)
        except ocr.NothingToOcr:
            without_file += 1
    session.commit()
    return without_file


def ocr_command(
    all_documents: Annotated[bool, typer.Option("--all", help="Every document.")] = False,
    folder: Annotated[
        uuid.UUID | None, typer.Option(help="Documents in this folder and below it.")
    ] = None,
    missing: Annotated[
        bool, typer.Option("--missing", help="Only documents whose OCR has not succeeded.")
    ] = False,
    lang: Annotated[
        str | None, typer.Option(help="Language(s), e.g. deu+eng; default: each document's.")
    ] = None,
) -> None:
    """Queue OCR (a new version with a text layer) for many documents."""
    if not (all_documents or folder or missing):
        fail("say which documents: --all, --folder ID or --missing")
    if all_documents and folder:
        fail("--all and --folder exclude each other")
    if lang is not None:
        try:
            ocr.check_language(lang)
        except ocr.OcrError as exc:
            fail(str(exc))
    database = open_database()
    try:
        with database.session() as session:
            ids = _document_ids(session, folder, missing)
            without_file = 0
            with progress_bar() as progress:
                bar = progress.add_task("queueing OCR", total=len(ids))
                for batch in _batches(ids):
                    without_file += _schedule_batch(session, batch, lang)
                    progress.advance(bar, len(batch))
    finally:
        database.dispose()
    console.print(f"queued OCR for {len(ids) - without_file} document(s)")
    if without_file:
        console.print(f"  {without_file} document(s) have no file yet and were left out")
