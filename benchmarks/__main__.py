"""``python -m benchmarks``: run every benchmark and print the figures beside their baselines."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks import (
    browser,
    core,
    notify_fanout,
    ocr,
    page_operations,
    request_path,
    s3,
    search,
    startup,
    tasks,
)


def main() -> None:
    console = Console(width=180)
    startup.report(console)
    request_path.report(console)
    backends = ["sqlite"] + (["postgresql"] if "QUIRE_TEST_POSTGRES_URL" in os.environ else [])
    listing = Table(
        title="Core: folder listing of 10,000 documents, pages of 50, beside the same page in raw"
        " SQL from a bare FastAPI endpoint (the floor)"
    )
    for column in (
        "backend",
        "pages",
        "p50 ms",
        "p95 ms",
        "floor p50 ms",
        "floor p95 ms",
        "p95 / floor p95",
        "its SQL p95 ms",
    ):
        listing.add_column(column, justify="right")
    uploads = Table(title="Core: uploads of one-page PDFs, OCR off, beside the disk's floor")
    for column in (
        "backend",
        "uploads/s (4 clients)",
        "disk floor docs/s",
        "upload / floor",
        "queued work done after s",
        "uploaded and processed docs/s",
    ):
        uploads.add_column(column, justify="right")
    with tempfile.TemporaryDirectory(prefix="quire-bench-") as workdir:
        for backend in backends:
            console.print(f"running core benchmark on {backend} ...")
            f = core.run(backend, Path(workdir))
            for region in f.listings:
                listing.add_row(
                    f.backend,
                    region.region,
                    f"{region.p50_ms:.1f}",
                    f"{region.p95_ms:.1f}",
                    f"{region.floor_p50_ms:.1f}",
                    f"{region.floor_p95_ms:.1f}",
                    f"{region.p95_ms / region.floor_p95_ms:.2f}x",
                    f"{region.sql_p95_ms:.2f}",
                )
            uploads.add_row(
                f.backend,
                f"{f.uploads_per_s:.1f}",
                f"{f.floor_uploads_per_s:.0f}",
                f"{f.uploads_per_s / f.floor_uploads_per_s:.2f}",
                f"{f.drained_after_s:.1f}",
                f"{f.processed_per_s:.1f}",
            )
    console.print(listing)
    console.print(uploads)
    console.print(
        "targets (issue 16): listing p95 within 1.5x of its floor; uploads >= 50 documents/s with"
        f" 4 clients on 2 cores. Load average now: {os.getloadavg()[0]:.2f}"
    )
    page_operations.report(console)
    browser.report(console)
    tasks_table(console, backends)
    ocr.report(console)
    search.report(console)
    s3.report(console)
    notify_fanout.report(console)


def tasks_table(console: Console, backends: list[str]) -> None:
    table = Table(
        title=f"Tasks: {tasks.TASKS} no-op tasks, one commit each, as fast as one thread "
        f"commits them; concurrency {tasks.CONCURRENCY}"
    )
    for column in ("mode", "database", "tasks/s", "delay p50 ms", "delay p95 ms", "tasks/s / arq"):
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory(prefix="quire-bench-") as workdir:
        figures, arq = tasks.run_all(backends, Path(workdir), console.print)
    for f in [*figures, arq]:
        table.add_row(
            f.mode,
            f.backend,
            f"{f.tasks_per_s:.0f}",
            f"{f.delay_p50_ms:.1f}",
            f"{f.delay_p95_ms:.1f}",
            f"{f.tasks_per_s / arq.tasks_per_s:.2f}",
        )
    console.print(table)
    console.print(
        "delay: commit (arq: enqueue) -> start; tasks/s: first commit -> last finished. "
        "arq only: the same jobs straight into arq, a plain arq worker, no database"
    )


if __name__ == "__main__":
    main()
