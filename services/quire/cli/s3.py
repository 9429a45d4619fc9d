"""``quire s3 check|sync``: the bucket from the command line.

``sync`` compares the whole bucket with its source of truth (the media root when mirroring, the
database when the bucket is the primary storage), prints what differs, and repairs it unless
``--dry-run``. Every repair step is idempotent, so an interrupted run is finished by the next.
Exit status: 0 when nothing differs (any more), 2 when drift remains (a dry run that found
some, or files lost from a primary bucket), 1 when the bucket cannot be used.
"""

from __future__ import annotations

from typing import Annotated

import typer

from quire.cli.common import console, fail, open_database, progress_bar
from quire.core.config import Settings, get_settings
from quire.core.storage import StorageUnavailable, open_storage

s3_app = typer.Typer(help="The S3 bucket: check it, reconcile it with the files.")


def _settings() -> Settings:
    settings = get_settings()
    if not settings.s3.enabled:
        fail("no bucket is configured (S3__BUCKET_NAME)")
    return settings


@s3_app.command("check")
def check() -> None:
    """Check that the bucket answers with these credentials."""
    from quire.s3.bucket import bucket_for

    settings = _settings()
    try:
        bucket_for(settings).check()
    except StorageUnavailable as exc:
        fail(str(exc))
    console.print(f"bucket {settings.s3.bucket_name}: reachable")


@s3_app.command("sync")
def sync(
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Also compare contents: checksums of every object with its source "
            "(reads every local file; in primary mode reads every version back).",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what differs; change nothing.")
    ] = False,
) -> None:
    """Reconcile the bucket: upload missing and stale files, remove orphaned objects."""
    from quire.core.storage import SHARDED_FOLDERS
    from quire.s3.reconcile import Reconciler

    settings = _settings()
    database = open_database(settings)
    try:
        reconciler = Reconciler(settings, database, open_storage(settings))
        with progress_bar() as progress:
            what = "comparing" if dry_run else "reconciling"
            bar = progress.add_task(what, total=len(SHARDED_FOLDERS) * 256)

            def shard_done(shard: str) -> None:
                progress.update(bar, advance=1, description=f"{what} {shard}")

            drift = reconciler.run(verify=verify, repair=not dry_run, progress=shard_done)
    except StorageUnavailable as exc:
        fail(str(exc))
    finally:
        database.dispose()
    verb = "would fix" if dry_run else "fixed"
    console.print(
        f"checked {drift.checked} files: {drift.missing.count} missing, "
        f"{drift.stale.count} stale, {drift.orphaned.count} orphaned ({verb})"
        + (f"; {drift.young} recent objects left for the next run" if drift.young else "")
    )
    for key in drift.lost.keys:
        console.print(f"[red]lost:[/red] {key} (its version has no object in the bucket)")
    if drift.lost.count or (dry_run and drift.repairable):
        raise typer.Exit(2)
