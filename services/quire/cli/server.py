"""``quire serve`` and ``quire migrate``."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from quire.cli.common import console, fail, open_database
from quire.core import migrate as migrations
from quire.core import ocr
from quire.core.config import Settings, get_settings
from quire.core.logs import setup_logging
from quire.core.tasks import outbox
from quire.core.users import ensure_superuser


def migrate() -> None:
    """Bring the database schema up to date."""
    database = open_database()
    try:
        migrations.upgrade(database.engine)
    except SQLAlchemyError as exc:
        fail(f"migration failed: {exc}")
    finally:
        database.dispose()
    console.print("database is up to date")


def _load_or_create_secret(settings: Settings) -> str:
    """The dev run's secret key, generated once and kept in the data dir (mode 0600)."""
    path = Path(settings.main.data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _warn_if_ocr_cannot_run(settings: Settings) -> None:
    """Say at start what every upload's OCR task would otherwise find out on its own."""
    if not settings.ocr.automatic:
        return
    try:
        ocr.check_ocr_programs()
    except ocr.OcrProgramsMissing as exc:
        logging.getLogger("quire.ocr").warning(str(exc))


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 12000,
    workers: Annotated[int, typer.Option(help="Web worker processes.")] = 1,
    generate_secret: Annotated[
        bool,
        typer.Option(help="Without a configured secret key, make one and keep it in the data dir."),
    ] = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Migrate, create or update the configured superuser, and serve the web app."""
    settings = get_settings()
    if settings.security.secret_key is None:
        if not generate_secret:
            fail(
                "SECURITY__SECRET_KEY is not set. Set QUIRE__SECURITY__SECRET_KEY (or "
                "PAPERMERGE__SECURITY__SECRET_KEY) to a long random string, or pass "
                "--generate-secret for a development run."
            )
        # Worker processes read their settings from the environment, so pass it on that way.
        os.environ["QUIRE__SECURITY__SECRET_KEY"] = _load_or_create_secret(settings)
        get_settings.cache_clear()
        settings = get_settings()
    log_config = setup_logging(log_level.upper())
    _warn_if_ocr_cannot_run(settings)
    database = open_database(settings)
    try:
        migrations.upgrade(database.engine)
        with database.session() as session:
            admin = ensure_superuser(session, settings.auth)
            if not settings.redis.url and settings.tasks.run_embedded:
                # This process is the only runner: whatever was running died with the last one.
                resumed = outbox.recover_interrupted(session)
                if resumed:
                    console.print(f"resuming {resumed} interrupted task(s)")
    except SQLAlchemyError as exc:
        fail(f"cannot prepare the database at {database.engine.url!r}: {exc}")
    finally:
        database.dispose()
    if admin is None:
        console.print("[yellow]AUTH__PASSWORD is not set: no superuser was created or updated")
    uvicorn.run(
        "quire.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=log_config,
        # The app itself takes X-Forwarded-For/-Proto from the configured proxies alone, after
        # noting which proxy the connection came from (web/client.py: ForwardedClient). uvicorn
        # would otherwise replace the peer first (trusting 127.0.0.1, or $FORWARDED_ALLOW_IPS).
        proxy_headers=False,
    )
