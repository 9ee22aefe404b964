"""Batched task types: several due tasks claimed together, each prepared alone, all written in one transaction;
a failing, cancelled or deferred task ends on its own without holding back the rest of its batch."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from app.core.db.models import Setting, Task
from app.core.tasks import TransientError, task_handler
from app.core.tasks.runner import run_pending
from app.core.tasks.states import TaskState
from app.core.tasks.store import TaskStore

SESSIONS: list = []  # the session each write ran in (kept alive: a freed session's id() can be reused)
SETTLED: list[list[int]] = []  # the task ids of each settle call
FAIL: dict[str, str] = {}  # payload name -> where it fails ("prepare", "settle", "write")
CANCEL_DURING_PREPARE: list[int] = []  # task ids whose cancel is requested while their batch prepares


def _prepare(ctx):
    name = ctx.payload["name"]
    if CANCEL_DURING_PREPARE:  # another process (or the GUI) asks for a cancel while the batch runs
        ctx.library.tasks.store.cancel(CANCEL_DURING_PREPARE.pop())
    if FAIL.get(name) == "prepare":
        raise TransientError(f"{name} could not be read")
    return name.upper()


def _settle(items):
    SETTLED.append([ctx.task.id for ctx, _ in items])
    return [TransientError("flush failed") if FAIL.get(value.lower()) == "settle" else value for _, value in items]


def _write(ctx, value):
    if FAIL.get(ctx.payload["name"]) == "write":
        raise ValueError("a constraint the batch cannot know about")
    SESSIONS.append(ctx.session)
    ctx.session.add(Setting(key=f"b:{ctx.payload['name']}", value=value))


task_handler("t_batched", batch=4, write=_write, settle=_settle)(_prepare)


@pytest.fixture
def store(library):
    SESSIONS.clear()
    SETTLED.clear()
    FAIL.clear()
    CANCEL_DURING_PREPARE.clear()
    return library.tasks.store


def _submit(store: TaskStore, *names: str) -> list[int]:
    return [store.submit("t_batched", {"name": name}) for name in names]


def _states(library, ids) -> list[str]:
    with library.db.read_session() as s:
        rows = dict(s.execute(select(Task.id, Task.state).where(Task.id.in_(ids))).all())
    return [rows[i] for i in ids]


def _written(library) -> dict[str, str]:
    with library.db.read_session() as s:
        return dict(s.execute(select(Setting.key, Setting.value).where(Setting.key.like("b:%"))).all())


def test_a_batch_is_claimed_settled_and_committed_together(library, store):
    ids = _submit(store, "a", "b", "c", "d", "e")
    results = run_pending(library, store)
    assert [task.id for task, _ in results] == ids
    assert _states(library, ids) == [TaskState.DONE] * 5
    assert _written(library) == {f"b:{n}": n.upper() for n in "abcde"}
    assert SETTLED == [ids[:4], ids[4:]]  # batches of 4: one settle pass each
    assert all(s is SESSIONS[0] for s in SESSIONS[:4])  # one transaction per batch
    assert all(SESSIONS[4] is not s for s in SESSIONS[:4])


def test_a_task_failing_in_prepare_or_settle_ends_alone(library, store):
    FAIL.update(b="prepare", c="settle")
    ids = _submit(store, "a", "b", "c", "d")
    run_pending(library, store)
    assert _states(library, ids) == [TaskState.DONE, TaskState.FAILED, TaskState.FAILED, TaskState.DONE]
    assert _written(library) == {"b:a": "A", "b:d": "D"}
    with library.db.read_session() as s:
        errors = dict(s.execute(select(Task.id, Task.error_message).where(Task.id.in_(ids[1:3]))).all())
    assert errors == {ids[1]: "b could not be read", ids[2]: "flush failed"}


def test_a_failing_write_is_isolated_by_writing_each_task_alone(library, store):
    FAIL.update(b="write")
    ids = _submit(store, "a", "b", "c")
    run_pending(library, store)
    assert _states(library, ids) == [TaskState.DONE, TaskState.DEAD, TaskState.DONE]  # a ValueError is permanent
    assert _written(library) == {"b:a": "A", "b:c": "C"}


def test_a_task_cancelled_while_its_batch_runs_leaves_no_effect(library, store):
    ids = _submit(store, "a", "b", "c")
    CANCEL_DURING_PREPARE.append(ids[1])
    run_pending(library, store)
    assert _states(library, ids) == [TaskState.DONE, TaskState.CANCELLED, TaskState.DONE]
    assert _written(library) == {"b:a": "A", "b:c": "C"}


def test_a_batch_takes_only_due_tasks_of_its_type_and_priority(library, store):
    first, later = _submit(store, "a", "b")
    other = store.submit("t_batched", {"name": "c"}, priority=50)
    with library.db.write_session() as s:
        s.execute(update(Task).where(Task.id == later).values(next_run_at=4e9))  # a retry, not due yet
    claimed = store.claim()
    assert claimed.id == other  # higher priority first
    assert store.claim_more(claimed, 3) == []  # nothing else due at its priority
    claimed = store.claim()
    assert claimed.id == first and store.claim_more(claimed, 3) == []


def test_max_tasks_caps_a_batch(library, store):
    ids = _submit(store, "a", "b", "c")
    assert [task.id for task, _ in run_pending(library, store, max_tasks=2)] == ids[:2]
    assert _states(library, ids) == [TaskState.DONE, TaskState.DONE, TaskState.PENDING]


def test_the_engine_runs_batches(library, store, qtbot):
    ids = _submit(store, *"abcdefghij")
    library.tasks.run_until_idle()
    assert _states(library, ids) == [TaskState.DONE] * 10
    assert len(_written(library)) == 10
    assert len(SETTLED) < 10 and sorted(i for batch in SETTLED for i in batch) == ids


def test_a_settle_that_raises_fails_its_tasks_not_the_engine(library, store, monkeypatch):
    from dataclasses import replace

    from app.core.tasks import registry

    def broken(items):
        raise TransientError("the flush pool is gone")

    spec = registry.get_handler("t_batched")
    monkeypatch.setitem(registry._HANDLERS, "t_batched", replace(spec, settle=broken))
    ids = _submit(store, "a", "b")
    run_pending(library, store)
    assert _states(library, ids) == [TaskState.FAILED] * 2
    assert _written(library) == {}


def test_the_engine_sizes_batches_by_the_time_their_tasks_take(library):
    """About BATCH_TARGET_S of work per batch: many tiny tasks together, slow ones (large photos) one by one,
    so a kill or a cancel never loses much and progress keeps moving."""
    from app.core.tasks.engine import BATCH_TARGET_S

    engine = library.tasks
    assert engine._batch_size("t_batched", 4) == 1  # nothing known yet: one, to learn how long they take
    engine._note_batch_time("t_batched", 4, 4 * BATCH_TARGET_S / 100)
    assert engine._batch_size("t_batched", 4) == 4  # tiny: as many as allowed
    assert engine._batch_size("t_batched", 1) == 1
    for _ in range(20):
        engine._note_batch_time("t_batched", 1, 2 * BATCH_TARGET_S)
    assert engine._batch_size("t_batched", 4) == 1  # slow: one at a time
