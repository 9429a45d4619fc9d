"""The outbox's state machine on every database: enqueue, claim, retry with backoff, sweep."""

import os
import sys
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from quire.core.config import Settings, TasksSettings
from quire.core.db import utcnow
from quire.core.models import TaskRecord, TaskState
from quire.core.tasks import TaskContext, embedded, enqueue, outbox, task
from quire.core.tasks.embedded import EmbeddedRunner
from quire.core.tasks.execute import execute
from quire.core.tasks.schedule import PERIODIC
from tests.processes import wait_for

CALLS: list[str] = []


@task("test_record_call", queue="index")
def record_call(ctx: TaskContext, label: str) -> None:
    CALLS.append(label)


@task("test_always_fails", queue="index")
def always_fails(ctx: TaskContext) -> None:
    raise RuntimeError("the scanner caught fire")


@task("test_fails_for_long", queue="index", max_attempts=50)
def fails_for_long(ctx: TaskContext) -> None:
    raise RuntimeError("the bucket is down")


@task("test_sleeps", queue="path_tmpl")
def sleeps(ctx: TaskContext, seconds: float) -> None:
    time.sleep(seconds)


MERGED: list[list[str]] = []


def merge_labels(runs: list[dict]) -> list[dict]:
    return [{"labels": sorted(label for run in runs for label in run["labels"])}]


@task("test_merges", queue="index", merge=merge_labels)
def merges(ctx: TaskContext, labels: list[str]) -> None:
    if "poison" in labels:
        raise RuntimeError("a poisoned label")
    MERGED.append(labels)


RELEASE = threading.Event()


@task("test_waits_for_release", queue="ocr")
def waits_for_release(ctx: TaskContext) -> None:
    """A long task (an OCR, say), until the test lets it end."""
    assert RELEASE.wait(30), "never released"
    CALLS.append("long")


@pytest.fixture
def settings(app) -> Settings:
    base: Settings = app.state.settings
    return base.model_copy(
        update={
            "tasks": TasksSettings(
                max_attempts=3, retry_backoff_seconds=60, timeouts={"path_tmpl": 1}
            )
        }
    )


def records(db):
    """The tasks these tests queued: not the periodic ones a runner adds as it sweeps."""
    periodic = [periodic.name for periodic in PERIODIC]
    with db.session() as session:
        query = select(TaskRecord).where(TaskRecord.name.not_in(periodic))
        return list(session.scalars(query.order_by(TaskRecord.created_at)))


def test_work_is_recorded_only_if_its_transaction_commits(db):
    with db.session() as session:
        enqueue(session, "test_record_call", {"label": "kept"})
        session.commit()
        enqueue(session, "test_record_call", {"label": "dropped"})
        session.rollback()
    assert [r.args["label"] for r in records(db)] == ["kept"]
    assert records(db)[0].queue == "index"


def test_commit_wakes_the_dispatchers(db):
    woken = threading.Event()
    remove = outbox.on_enqueued(woken.set)
    try:
        with db.session() as session:
            enqueue(session, "test_record_call", {"label": "x"})
            assert not woken.is_set()
            session.commit()
        assert woken.is_set()
    finally:
        remove()


def test_a_task_is_claimed_once(db):
    with db.session() as session:
        record = enqueue(session, "test_record_call", {"label": "x"})
        session.commit()
    with db.session() as first, db.session() as second:
        assert outbox.claim(first, record.id, lease_seconds=60) is not None
        assert outbox.claim(second, record.id, lease_seconds=60) is None


def test_an_expired_lease_lets_another_runner_take_over(db):
    with db.session() as session:
        record = enqueue(session, "test_record_call", {"label": "x"})
        session.commit()
        claimed = outbox.claim(session, record.id, lease_seconds=0)
        assert claimed is not None
    time.sleep(0.01)
    with db.session() as session:
        again = outbox.claim(session, record.id, lease_seconds=60)
        assert again is not None
        assert again.attempts == 2


def test_execute_runs_the_function_and_records_success(db, app, settings):
    CALLS.clear()
    with db.session() as session:
        record = enqueue(session, "test_record_call", {"label": "hello"})
        session.commit()
    assert execute(db, app.state.storage, settings, record.id) == "succeeded"
    assert CALLS == ["hello"]
    # Handed out again (a second dispatch): it does not run twice.
    assert execute(db, app.state.storage, settings, record.id) == "not claimed"
    assert CALLS == ["hello"]
    (done,) = records(db)
    assert (done.state, done.attempts, done.finished_at is not None) == ("succeeded", 1, True)


def test_failures_retry_with_backoff_then_end_failed(db, app, settings):
    with db.session() as session:
        record = enqueue(session, "test_always_fails")
        session.commit()
    for attempt in range(1, 4):
        state = execute(db, app.state.storage, settings, record.id)
        (row,) = records(db)
        assert row.attempts == attempt
        assert row.last_error == "RuntimeError: the scanner caught fire"
        if attempt < 3:
            assert state == "pending"
            wait = (row.available_at - utcnow()).total_seconds()
            assert 60 * 2 ** (attempt - 1) - 5 < wait <= 60 * 2 ** (attempt - 1)
            with db.session() as session:
                assert record.id not in [r.id for r in outbox.due(session, settings.tasks)]
                # Let it come due now.
                session.get(TaskRecord, record.id).available_at = utcnow()
                session.commit()
        else:
            assert state == "failed"
    with db.session() as session:
        assert outbox.due(session, settings.tasks) == []
        outbox.retry(session, session.get(TaskRecord, record.id))
        assert [r.id for r in outbox.due(session, settings.tasks)] == [record.id]


def test_a_task_over_its_queues_timeout_fails(db, app, settings):
    with db.session() as session:
        record = enqueue(session, "test_sleeps", {"seconds": 3})
        session.commit()
    started = time.monotonic()
    assert execute(db, app.state.storage, settings, record.id) == "pending"
    assert time.monotonic() - started < 2.5
    assert "longer than 1 s" in records(db)[0].last_error


def test_unknown_task_names_and_bad_arguments_fail_readably(db, app, settings):
    with db.session() as session:
        session.add(TaskRecord(name="no_such_task", queue="index", args={}))
        record = enqueue(session, "test_record_call", {"wrong": 1})
        session.commit()
    for row in records(db):
        execute(db, app.state.storage, settings, row.id)
    errors = {row.name: row.last_error for row in records(db)}
    assert "no task named 'no_such_task'" in errors["no_such_task"]
    assert "TypeError" in errors["test_record_call"]
    assert record.id


def enqueue_each(db, name, runs):
    ids = []
    for args in runs:
        with db.session() as session:
            ids.append(enqueue(session, name, args).id)
            session.commit()
    return ids


def test_due_runs_of_a_merging_task_run_as_one(db, app, settings):
    MERGED.clear()
    a, b, c = enqueue_each(db, "test_merges", [{"labels": [x]} for x in "abc"])
    with db.session() as session:
        later = enqueue(session, "test_merges", {"labels": ["later"]})
        later.available_at = utcnow() + timedelta(hours=1)
        other = enqueue(session, "test_record_call", {"label": "other"})
        session.commit()
    assert execute(db, app.state.storage, settings, a) == "succeeded"
    assert MERGED == [["a", "b", "c"]]
    assert execute(db, app.state.storage, settings, b) == "not claimed"
    states = {r.id: (r.state, r.attempts) for r in records(db)}
    assert states == {
        a: ("succeeded", 1),
        b: ("succeeded", 1),
        c: ("succeeded", 1),
        later.id: ("pending", 0),
        other.id: ("pending", 0),
    }


def test_a_failed_merged_run_is_charged_to_its_task_alone_and_its_retry_runs_alone(
    db, app, settings
):
    MERGED.clear()
    first, poison, last = enqueue_each(
        db, "test_merges", [{"labels": [x]} for x in ("first", "poison", "last")]
    )
    assert execute(db, app.state.storage, settings, first) == "pending"
    states = {r.id: (r.state, r.attempts) for r in records(db)}
    assert states == {first: ("pending", 1), poison: ("pending", 0), last: ("pending", 0)}
    # The poisoned run, merged with the last one (the first waits out its backoff): charged.
    assert execute(db, app.state.storage, settings, poison) == "pending"
    assert execute(db, app.state.storage, settings, last) == "succeeded"
    assert MERGED == [["last"]]
    with db.session() as session:
        session.get(TaskRecord, first).available_at = utcnow()
        session.get(TaskRecord, poison).available_at = utcnow()
        session.commit()
    # Retries run alone: the first succeeds, the poisoned one fails again by itself.
    assert execute(db, app.state.storage, settings, first) == "succeeded"
    assert execute(db, app.state.storage, settings, poison) == "pending"
    assert MERGED == [["last"], ["first"]]
    states = {r.id: (r.state, r.attempts) for r in records(db)}
    assert states == {first: ("succeeded", 2), poison: ("pending", 2), last: ("succeeded", 1)}


def test_due_sweeps_what_was_lost(db, settings):
    now = utcnow()
    with db.session() as session:
        fresh = enqueue(session, "test_record_call", {"label": "fresh"})
        recently = enqueue(session, "test_record_call", {"label": "recently dispatched"})
        lost = enqueue(session, "test_record_call", {"label": "dispatched long ago"})
        dead = enqueue(session, "test_record_call", {"label": "runner died"})
        alive = enqueue(session, "test_record_call", {"label": "running"})
        later = enqueue(session, "test_record_call", {"label": "not yet"})
        session.flush()
        recently.dispatched_at = now
        lost.dispatched_at = now - timedelta(seconds=settings.tasks.redispatch_after_seconds + 1)
        dead.state, dead.lease_until = TaskState.running.value, now - timedelta(seconds=1)
        alive.state, alive.lease_until = TaskState.running.value, now + timedelta(seconds=60)
        later.available_at = now + timedelta(seconds=60)
        session.commit()
        due = {r.args["label"] for r in outbox.due(session, settings.tasks)}
    assert due == {"fresh", "dispatched long ago", "runner died"}
    assert fresh.id


def test_recovery_and_release_put_work_back(db):
    with db.session() as session:
        one = enqueue(session, "test_record_call", {"label": "1"})
        two = enqueue(session, "test_record_call", {"label": "2"})
        session.commit()
        outbox.claim(session, one.id, lease_seconds=600)
        outbox.claim(session, two.id, lease_seconds=600)
        outbox.release(session, two.id)
        assert outbox.recover_interrupted(session) == 1
    states = {r.args["label"]: (r.state, r.attempts) for r in records(db)}
    assert states == {"1": ("pending", 1), "2": ("pending", 0)}


def test_a_failing_task_does_not_hold_up_the_rest(db, app, settings):
    CALLS.clear()
    with db.session() as session:
        broken = enqueue(session, "test_always_fails")
        session.commit()
        for label in ("a", "b", "c"):
            enqueue(session, "test_record_call", {"label": label})
            session.commit()
    runner = EmbeddedRunner(db, app.state.storage, settings)
    runner.start()
    try:
        wait_for(lambda: sorted(CALLS) == ["a", "b", "c"], 20, "the healthy tasks to run")
    finally:
        runner.stop()
    states = {r.id: r.state for r in records(db)}
    assert states.pop(broken.id) == "pending"  # waiting out its backoff
    assert set(states.values()) == {"succeeded"}


def test_a_short_task_does_not_wait_for_a_long_one_under_way(db, app, settings):
    """With two slots, a task queued while a long one runs takes the free slot at once. The
    runner waited for every task of a round before it looked again: one long OCR held up the
    previews and index of every upload made meanwhile."""
    CALLS.clear()
    RELEASE.clear()
    runner = EmbeddedRunner(db, app.state.storage, settings)
    runner.start()
    try:
        with db.session() as session:
            enqueue(session, "test_waits_for_release")
            session.commit()
        wait_for(lambda: [r.state for r in records(db)] == ["running"], 20, "the long task")
        with db.session() as session:
            enqueue(session, "test_record_call", {"label": "short"})
            session.commit()
        wait_for(lambda: CALLS == ["short"], 20, "the short task, while the long one runs")
    finally:
        RELEASE.set()
        runner.stop()
    assert CALLS == ["short", "long"]


def test_a_task_may_retry_longer_with_its_wait_capped(db, app, settings):
    capped = settings.model_copy(
        update={
            "tasks": settings.tasks.model_copy(update={"max_retry_delay_seconds": 600}),
        }
    )
    with db.session() as session:
        record = enqueue(session, "test_fails_for_long")
        session.commit()
    for _ in range(12):  # past TASKS__MAX_ATTEMPTS (3), and past 60 s * 2**n > 600 s
        assert execute(db, app.state.storage, capped, record.id) == "pending"
        with db.session() as session:
            row = session.get(TaskRecord, record.id)
            wait = (row.available_at - utcnow()).total_seconds()
            assert wait <= 600
            row.available_at = utcnow()
            session.commit()
    assert wait > 590  # the cap, reached


def test_due_ids_are_the_first_of_due_in_its_order(db, settings):
    with db.session() as session:
        for label in ("a", "b", "c"):
            enqueue(session, "test_record_call", {"label": label})
            session.flush()
        session.commit()
        due = [r.id for r in outbox.due(session, settings.tasks)]
        assert outbox.due_ids(session, settings.tasks, limit=2) == due[:2]
        assert outbox.due_ids(session, settings.tasks, limit=10) == due


NICENESS: list[int] = []


@task("test_records_niceness", queue="index")
def records_niceness(ctx: TaskContext) -> None:
    NICENESS.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))


@pytest.mark.skipif(sys.platform != "linux", reason="threads have a niceness of their own")
def test_the_embedded_runner_runs_tasks_nicer_than_the_requests(db, app, settings):
    """The runner shares its process's CPU with the requests: theirs comes first."""
    NICENESS.clear()
    runner = EmbeddedRunner(db, app.state.storage, settings)
    runner.start()
    try:
        with db.session() as session:
            enqueue(session, "test_records_niceness")
            session.commit()
        wait_for(lambda: NICENESS != [], 20, "the task")
    finally:
        runner.stop()
    ours = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    (theirs,) = NICENESS
    assert theirs == min(ours + embedded.TASK_NICENESS, 19)


def test_the_embedded_runner_starts_tasks_in_the_lulls_between_requests(db, app, settings):
    """Issue 16: a burst of uploads lost half its CPU to the tasks it queued (the interpreter
    lock, not the threads' OS priority, decides who runs). Tasks now wait for a lull."""
    CALLS.clear()
    in_flight = embedded.InFlight()
    in_flight.began()
    runner = EmbeddedRunner(db, app.state.storage, settings, in_flight)
    runner.start()
    try:
        with db.session() as session:
            enqueue(session, "test_record_call", {"label": "queued"})
            session.commit()
        time.sleep(embedded.MAX_YIELD_SECONDS / 2)
        assert CALLS == []  # a request is under way
        in_flight.ended()
        wait_for(lambda: CALLS == ["queued"], 20, "the task, once the request ended")
    finally:
        runner.stop()


def test_under_steady_traffic_the_tasks_still_run(db, app, settings):
    CALLS.clear()
    in_flight = embedded.InFlight()
    in_flight.began()  # and never ends
    runner = EmbeddedRunner(db, app.state.storage, settings, in_flight)
    runner.start()
    try:
        with db.session() as session:
            for label in ("a", "b", "c"):
                enqueue(session, "test_record_call", {"label": label})
            session.commit()
        wait_for(lambda: sorted(CALLS) == ["a", "b", "c"], 20, "the tasks, after their wait")
    finally:
        runner.stop()


def test_the_web_app_counts_the_requests_it_serves(app, alice):
    in_flight: embedded.InFlight = app.state.in_flight
    before = in_flight.last_ended
    alice.client.get("/api/users/me").raise_for_status()
    assert (in_flight.count, in_flight.last_ended > before) == (0, True)
