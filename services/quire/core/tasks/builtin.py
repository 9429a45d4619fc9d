"""Tasks of the machinery itself."""

from __future__ import annotations

from quire.core.tasks.registry import TaskContext, task


@task("noop", queue="previews")
def noop(ctx: TaskContext) -> None:
    """Does nothing: measures the dispatch path (``make bench``), probes a pipeline."""
