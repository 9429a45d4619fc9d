"""The ``quire`` command.

Each command's module is imported only when that command runs (``cli/lazy.py``), so the help
shown here is kept beside the command's name; a test checks it against the command's own.
"""

from __future__ import annotations

import typer

from quire.cli.lazy import Entry, lazy_group

COMMANDS = (
    Entry(
        "serve",
        "quire.cli.server:serve",
        "Migrate, create or update the configured superuser, and serve the web app.",
    ),
    Entry("migrate", "quire.cli.server:migrate", "Bring the database schema up to date."),
    Entry(
        "createsuperuser",
        "quire.cli.admin:createsuperuser",
        "Create a superuser (with home and inbox folders).",
    ),
    Entry("users", "quire.cli.admin:users_app", "List, create and delete users."),
    Entry(
        "import",
        "quire.cli.importer:import_path",
        "Import PDF, PNG, JPEG and TIFF files from PATH (a file or a folder, recursively).",
    ),
    Entry(
        "ocr",
        "quire.cli.ocr:ocr_command",
        "Queue OCR (a new version with a text layer) for many documents.",
    ),
    Entry(
        "worker",
        "quire.cli.tasks:worker",
        "Run background tasks from arq queues on Redis (needs REDIS__URL).",
        wired=False,
    ),
    Entry(
        "notify",
        "quire.cli.notify:notify",
        "Serve the notifications WebSocket (/ws) for the web app's browsers (needs REDIS__URL).",
    ),
    Entry("tasks", "quire.cli.tasks:tasks_app", "See and retry background work."),
    Entry(
        "search",
        "quire.cli.search:search_app",
        "The search index: make it, check it against the database.",
    ),
    Entry(
        "path-templates",
        "quire.cli.path_templates:path_templates_app",
        "Path templates: file documents by their type's template.",
    ),
    Entry("s3", "quire.cli.s3:s3_app", "The S3 bucket: check it, reconcile it with the files."),
    Entry(
        "reindex",
        "quire.cli.search:reindex",
        "Rebuild the whole search index from the database, in batches, with a progress bar.",
    ),
)

app = typer.Typer(
    name="quire",
    cls=lazy_group(COMMANDS),
    help="Quire document management: serve the web app, manage users, import documents.",
    no_args_is_help=True,
    add_completion=False,
    # Plain help and errors at this level: Typer's rich formatting costs as much again as the
    # rest of `quire --help` (rich's Markdown and tracebacks). Each command's own help is rich.
    rich_markup_mode=None,
)


@app.callback()
def main() -> None:
    """Typer makes a group only for an app with a callback or commands; the commands are lazy."""
