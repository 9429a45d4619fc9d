"""What every command shares: settings, the database and a way to fail clearly."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from quire.core.config import Settings, get_settings

if TYPE_CHECKING:
    # SQLAlchemy, imported only by the commands that open the database.
    from quire.core.db import Database

console = Console(stderr=True)


# sysexits.h's EX_CONFIG: the settings (file or environment) cannot be read.
EXIT_CONFIG = 78


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` (as written: brackets in it are no markup) and exit."""
    console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


def open_database(settings: Settings | None = None) -> Database:
    from quire.core import events
    from quire.core.db import Database

    settings = settings or get_settings()
    # The events this command's changes publish reach the notifications service at once.
    events.announce_for(settings)
    return Database(settings.database_url, pool_size=settings.database.pool_size)


def progress_bar() -> Progress:
    """The progress bar every long command shows: what, bar, done/total, time left."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )
