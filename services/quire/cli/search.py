"""``quire search init|check`` and ``quire reindex``: the search index from the command line.

``reindex`` rebuilds in batches, each read in its own session (memory stays flat whatever the
size of the archive), and records after each batch the last node it wrote in
``<data_dir>/reindex.checkpoint``; ``--resume`` continues from there after an interruption.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Annotated

import typer

from quire.cli.common import console, fail, open_database, progress_bar
from quire.core.config import Settings, get_settings
from quire.search import indexer
from quire.search.backend import SearchUnavailable, default_url
from quire.search.engines import engine_for

search_app = typer.Typer(help="The search index: make it, check it against the database.")


def _url(settings: Settings) -> str:
    return settings.search.url or default_url(settings)


@search_app.command("init")
def init() -> None:
    """Create the index (a Solr collection and its configset); idempotent.

    A schema newer than the index's replaces it, and a rebuild is queued.
    """
    settings = get_settings()
    database = open_database(settings)
    try:
        backend = engine_for(settings)
        changed = backend.ensure_schema()
        if changed:
            indexer.prepare_rebuild(database)
    except (SearchUnavailable, ValueError) as exc:
        fail(str(exc))
    finally:
        database.dispose()
    verdict = "created (a rebuild is queued)" if changed else "up to date"
    console.print(f"search index {_url(settings)}: {verdict}")


@search_app.command("check")
def check(
    repair: Annotated[bool, typer.Option("--repair", help="Rewrite what differs.")] = False,
) -> None:
    """Compare the index with the database: missing, stale and orphaned entries."""
    settings = get_settings()
    database = open_database(settings)
    try:
        backend = engine_for(settings)
        total = indexer.count_nodes(database)
        with progress_bar() as progress:
            bar = progress.add_task("checking", total=total)
            drift = indexer.check(
                database,
                backend,
                settings.search.batch_size,
                repair=repair,
                progress=lambda batch: progress.advance(bar, len(batch)),
            )
    except SearchUnavailable as exc:
        fail(str(exc))
    finally:
        database.dispose()
    console.print(
        f"missing: {len(drift.missing)}, stale: {len(drift.stale)}, "
        f"orphaned: {len(drift.orphaned)}" + (" (repaired)" if repair and drift.total else "")
    )
    if drift.total and not repair:
        raise typer.Exit(2)


def reindex(
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run after its last batch.")
    ] = False,
) -> None:
    """Rebuild the whole search index from the database, in batches, with a progress bar."""
    settings = get_settings()
    checkpoint = Path(settings.main.data_dir) / "reindex.checkpoint"
    after = _resume_point(checkpoint, _url(settings)) if resume else None
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    database = open_database(settings)
    try:
        backend = engine_for(settings)
        backend.ensure_schema()
        if after is None:
            backend.clear()
        total = indexer.count_nodes(database)

        def durable(last: uuid.UUID) -> None:
            checkpoint.write_text(json.dumps({"url": _url(settings), "after": str(last)}))

        with progress_bar() as progress:
            bar = progress.add_task("indexing", total=total)
            written = indexer.rebuild(
                database,
                backend,
                settings.search.batch_size,
                after=after,
                progress=lambda batch: progress.advance(bar, len(batch)),
                checkpoint=durable,
            )
        backend.refresh()
    except SearchUnavailable as exc:
        fail(str(exc))
    finally:
        database.dispose()
    checkpoint.unlink(missing_ok=True)
    console.print(f"indexed {written} node(s) into {_url(settings)}")


def _resume_point(checkpoint: Path, url: str) -> uuid.UUID | None:
    if not checkpoint.exists():
        fail("nothing to resume: no interrupted reindex was found")
    state = json.loads(checkpoint.read_text())
    if state.get("url") != url:
        fail(f"the interrupted reindex was into {state.get('url')}, not {url}")
    return uuid.UUID(state["after"])
