"""The ``quire`` command."""

from __future__ import annotations

import typer

from quire.cli import admin, importer, ocr, s3, search, server, tasks

app = typer.Typer(
    name="quire",
    help="Quire document management: serve the web app, manage users, import documents.",
    no_args_is_help=True,
    add_completion=False,
)
app.command()(server.serve)
app.command()(server.migrate)
app.command()(admin.createsuperuser)
app.add_typer(admin.users_app, name="users")
app.command(name="import")(importer.import_path)
app.command(name="ocr")(ocr.ocr_command)
app.command()(tasks.worker)
app.add_typer(tasks.tasks_app, name="tasks")
app.add_typer(search.search_app, name="search")
app.add_typer(s3.s3_app, name="s3")
app.command()(search.reindex)
