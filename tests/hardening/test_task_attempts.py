"""A task whose runner keeps dying mid-run (killed, out of memory) ends failed after its
attempts instead of being handed out again forever."""

from quire.core.models import TaskRecord
from quire.core.tasks import TaskContext, enqueue, outbox, task
from quire.core.tasks.execute import execute
from tests.conftest import make_settings

RUNS: list[str] = []


@task("hardening_counts_runs", queue="index", max_attempts=3)
def counts_runs(ctx: TaskContext, label: str) -> None:
    RUNS.append(label)


def died(db, label, times):
    """A task whose runner claimed it ``times`` times and died each time (leases of 0 s)."""
    with db.session() as session:
        task_id = enqueue(session, "hardening_counts_runs", {"label": label}).id
        session.commit()
    for attempt in range(1, times + 1):
        with db.session() as session:
            claimed = outbox.claim(session, task_id, lease_seconds=0)
            assert claimed is not None
            assert claimed.attempts == attempt
    return task_id


def test_a_task_whose_runner_died_in_every_attempt_ends_failed_unrun(
    app, db, database_url, tmp_path
):
    settings = make_settings(database_url, tmp_path)
    RUNS.clear()
    # Died twice of three: the third attempt runs, as after any crash.
    resumed = died(db, "resumed", 2)
    assert execute(db, app.state.storage, settings, resumed) == "succeeded"
    # Died in all three: it ends failed without a fourth run.
    doomed = died(db, "doomed", 3)
    assert execute(db, app.state.storage, settings, doomed) == "failed"
    assert RUNS == ["resumed"]
    with db.session() as session:
        record = session.get(TaskRecord, doomed)
        assert (record.state, record.attempts) == ("failed", 3)
        assert "stopped without an outcome in each of its 3 attempts" in record.last_error
