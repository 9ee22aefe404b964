"""The task queue with the deterministic executor: ordering, retries, dead letters, cancel, requeue, recovery."""

from __future__ import annotations

import random
import time

import pytest
from sqlalchemy import select, text, update

from app.core.db.models import Setting, Task
from app.core.tasks import PermanentError, Priority, TransientError, task_handler
from app.core.tasks.retry import backoff_delay
from app.core.tasks.runner import run_pending
from app.core.tasks.states import ALL_STATES, TaskState
from app.core.tasks.store import _CLAIM_SQL, TaskStore

RAN: list[tuple[str, dict]] = []


@task_handler("t_record")
def _record(ctx):
    RAN.append(("t_record", ctx.payload))
    ctx.session.add(Setting(key=f"ran:{ctx.task.id}", value="1"))


@task_handler("t_flaky")
def _flaky(ctx):
    raise TransientError("disk hiccup")


@task_handler("t_corrupt")
def _corrupt(ctx):
    raise PermanentError("not an image")


@task_handler("t_effect_then_fail")
def _effect_then_fail(ctx):
    ctx.session.add(Setting(key="half-done", value="1"))
    ctx.session.flush()
    raise TransientError("crash after writing")


@task_handler("t_spawn")
def _spawn(ctx):
    ctx.submit("t_record", {"child_of": ctx.task.id})


@task_handler("t_defer")
def _defer(ctx):
    ctx.defer(30)


@pytest.fixture
def store(library):
    RAN.clear()
    return TaskStore(library.db)


def _make_due(library):
    """Skip the backoff wait: make every waiting retry due now."""
    with library.db.write_session() as s:
        s.execute(update(Task).where(Task.state == "failed").values(next_run_at=0))


def test_priority_then_fifo(library, store):
    store.submit("t_record", {"n": 1}, priority=Priority.BULK)
    store.submit("t_record", {"n": 2})
    store.submit("t_record", {"n": 3}, priority=Priority.USER)
    store.submit("t_record", {"n": 4})
    run_pending(library, store)
    assert [p["n"] for _, p in RAN] == [3, 2, 4, 1]
    assert store.counts()["done"] == 4


def test_effect_and_done_commit_together(library, store):
    task_id = store.submit("t_record", {})
    run_pending(library, store)
    with library.db.read_session() as s:
        assert s.get(Setting, f"ran:{task_id}") is not None
        assert s.get(Task, task_id).state == "done"


def test_failed_effect_is_rolled_back(library, store):
    store.submit("t_effect_then_fail", {}, max_attempts=1)
    run_pending(library, store)
    with library.db.read_session() as s:
        assert s.get(Setting, "half-done") is None
    assert store.counts()["dead"] == 1


def test_transient_errors_retry_then_die_with_cause(library, store):
    task_id = store.submit("t_flaky", {}, max_attempts=3)
    run_pending(library, store)
    (info,) = store.list_tasks()
    assert info.state == "failed" and info.attempts == 1 and info.next_run_at > 0
    for _ in range(2):
        _make_due(library)
        run_pending(library, store)
    (info,) = store.list_tasks()
    assert info.id == task_id and info.state == "dead" and info.attempts == 3
    assert info.error_class == "TransientError" and "disk hiccup" in info.error_message


def test_permanent_errors_go_straight_to_dead_letter(library, store):
    store.submit("t_corrupt", {}, max_attempts=5)
    run_pending(library, store)
    (info,) = store.list_tasks()
    assert info.state == "dead" and info.attempts == 1 and info.error_message == "not an image"


def test_unknown_type_is_dead(library, store):
    store.submit("no_such_type", {})
    run_pending(library, store)
    assert store.list_tasks()[0].state == "dead"


def test_requeue_dead_resets_attempts(library, store):
    store.submit("t_corrupt", {})
    run_pending(library, store)
    assert store.requeue_dead() == 1
    (info,) = store.list_tasks()
    assert info.state == "pending" and info.attempts == 0 and info.error_class is None


def test_backoff_grows_with_jitter():
    rng = random.Random(1)
    delays = [backoff_delay(n, rng=rng) for n in range(1, 8)]
    assert 0.5 <= delays[0] <= 1.5
    assert 32 <= delays[6] <= 96
    assert len({round(backoff_delay(3, rng=rng), 6) for _ in range(20)}) > 1  # jittered


def test_cancel_single_group_and_all(library, store):
    g1 = store.create_group("import", "one")
    g2 = store.create_group("import", "two")
    a = store.submit("t_record", {}, group_id=g1)
    store.submit("t_record", {}, group_id=g1)
    store.submit("t_record", {}, group_id=g2)
    store.submit("t_record", {})
    assert store.cancel(a) == 1
    assert store.cancel_group(g1) == 1
    run_pending(library, store, max_tasks=1)
    assert store.counts() == {"pending": 1, "running": 0, "failed": 0, "done": 1, "dead": 0, "cancelled": 2}
    assert store.cancel_all() == 1
    assert store.counts()["cancelled"] == 3
    run_pending(library, store)
    assert len(RAN) == 1  # cancelled work never runs


def test_follow_up_tasks_share_the_transaction(library, store):
    parent = store.submit("t_spawn", {})
    run_pending(library, store)
    assert [p for _, p in RAN] == [{"child_of": parent}]


def test_dedupe_key(library, store):
    assert store.submit("t_record", {}, dedupe_key="k") is not None
    assert store.submit("t_record", {}, dedupe_key="k") is None
    run_pending(library, store)
    assert store.submit("t_record", {}, dedupe_key="k") is not None  # the first one is finished


def test_defer_does_not_count_an_attempt(library, store):
    store.submit("t_defer", {})
    run_pending(library, store)
    (info,) = store.list_tasks()
    assert info.state == "pending" and info.attempts == 0 and info.next_run_at > 0


def test_running_tasks_of_a_dead_process_are_recovered(library, store):
    task_id = store.submit("t_record", {})
    with library.db.write_session() as s:
        s.execute(
            update(Task)
            .where(Task.id == task_id)
            .values(state="running", attempts=1, claimed_by=f"{store.owner.split(':')[0]}:999999:1")
        )
    live = store.submit("t_record", {})
    store.claim()  # ours, alive: must stay running
    assert TaskStore(library.db).recover_stale() == 1
    with library.db.read_session() as s:
        states = dict(s.execute(select(Task.id, Task.state)).all())
    assert states == {task_id: "pending", live: "running"}


@task_handler("t_cancel_during")
def _cancelled_while_running(ctx):
    """Someone cancels its group while it runs (the GUI's Cancel button); it never checks and submits follow-ups."""
    TaskStore(ctx.library.db).cancel_group(ctx.task.group_id)
    ctx.submit("t_record", {"late": True})


def test_cancel_while_running_drops_the_effect_and_follow_ups(library, store):
    group = store.create_group("import", "x")
    store.submit("t_cancel_during", {}, group_id=group)
    run_pending(library, store)
    states = {t.type: t.state for t in store.list_tasks()}
    assert states == {"t_cancel_during": "cancelled"}  # no t_record follow-up was committed
    assert RAN == []


def test_claim_takes_the_best_due_task_skipping_waiting_and_excluded_ones(library, store):
    waiting = store.submit("t_record", {}, priority=Priority.USER)  # a retry, not due yet
    with library.db.write_session() as s:
        s.execute(update(Task).where(Task.id == waiting).values(state="failed", next_run_at=time.time() + 3600))
    store.submit("t_flaky", {}, priority=Priority.IMPORT)  # its type is throttled away below
    bulk_first = store.submit("t_record", {}, priority=Priority.BULK)
    normal = store.submit("t_record", {})
    store.submit("t_record", {}, priority=Priority.BULK)
    assert store.claim(exclude_types=["t_flaky"]).id == normal
    assert store.claim(exclude_types=["t_flaky"]).id == bulk_first  # FIFO within a priority
    assert store.claim(min_priority=Priority.USER) is None  # the USER task is waiting for its retry


def test_claim_uses_the_waiting_index(library):
    """Claiming must not scan or sort the task table: with 100,000 queued tasks that made every claim slow."""
    if library.db.is_postgres:
        pytest.skip("SQLite's query plan; the Postgres claim's plan is checked in test_postgres")
    with library.db.engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + _CLAIM_SQL.replace(":excluded", "('x')"),
            {"owner": "me", "now": time.time(), "min_priority": -100},
        ).all()
    details = [row[-1] for row in plan]
    assert not any(d.startswith("SCAN") or "TEMP B-TREE" in d for d in details), details
    assert sum("USING INDEX ix_tasks_waiting " in d for d in details) == 2, details


def test_states_are_plain_strings_in_the_database(library, store):
    task_id = store.submit("t_record", {})
    run_pending(library, store)
    with library.db.engine.connect() as conn:
        assert conn.execute(text("SELECT state FROM tasks WHERE id = :i"), {"i": task_id}).scalar() == "done"
    (info,) = store.list_tasks(TaskState.DONE)
    assert info.state == TaskState.DONE == "done"
    assert list(store.counts()) == list(ALL_STATES) == ["pending", "running", "failed", "done", "dead", "cancelled"]


def test_a_library_made_before_0002_upgrades_and_keeps_its_queue(tmp_path):
    """A queue written by the 0001 schema gains the waiting indexes on open, and its tasks still run in order."""
    import sqlite3

    from app.core.db.database import Database
    from app.core.library import Library
    from migrations import upgrade_to_head

    root = tmp_path / "old"
    root.mkdir()
    old = Database(root / "shoebox.db")
    with old.engine.connect() as conn:
        upgrade_to_head(conn, "0001")
        conn.commit()
        for priority in (Priority.BULK, Priority.USER):
            conn.execute(
                text(
                    "INSERT INTO tasks (type, payload, priority, state, attempts, max_attempts, next_run_at,"
                    " created_at, progress, cancel_requested) VALUES ('t_record', '{}', :p, 'pending', 0, 3, 0, 0, 0, 0)"
                ),
                {"p": priority},
            )
        conn.commit()
    old.close()
    RAN.clear()
    with Library.open(root) as library:
        assert library.db.schema_revision() != "0001"  # (the head after merging may be a later migration)
        run_pending(library, TaskStore(library.db))
        assert TaskStore(library.db).counts()["done"] == 2
    with sqlite3.connect(root / "shoebox.db") as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"ix_tasks_waiting", "ix_tasks_waiting_due"} <= names
