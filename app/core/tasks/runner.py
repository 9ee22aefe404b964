"""Runs one claimed task to its end state. Shared by the threaded engine and the deterministic executor."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from app.core.tasks.context import DB_CHECK_INTERVAL_S, TaskContext
from app.core.tasks.errors import (
    EngineError,
    TaskCancelled,
    TaskDeferred,
    classify,
    describe_engine_failure,
    is_disk_full,
)
from app.core.tasks.registry import batch_sizes, get_handler
from app.core.tasks.retry import backoff_delay
from app.core.tasks.states import ErrorClass, TaskState
from app.core.tasks.store import ClaimedTask, TaskStore

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)

# Outcomes of one run that are not a task state: the task went back to the queue, or was taken from us.
DEFERRED = "deferred"
LOST = "lost"


@dataclass(frozen=True)
class Outcome:
    state: str  # a TaskState (done, failed, dead, cancelled), DEFERRED or LOST
    duration: float
    error: str | None = None


def run_task(
    library: "Library",
    store: TaskStore,
    task: ClaimedTask,
    *,
    cancel_flag: Callable[[], bool] = lambda: False,
    on_progress: Callable[[int, float], None] = lambda task_id, value: None,
) -> Outcome:
    """Run the handler and record its end state. Raises EngineError when that state cannot be recorded (a full
    disk, a broken database): the caller must stop its run, then `give_back` the task (stopping first, so
    that no other worker claims it again meanwhile). Nothing is counted against the task."""
    if _batched(task.type):
        ((_, outcome),) = run_batch(library, store, [task], cancel_flags={task.id: cancel_flag}, on_progress=on_progress)
        return outcome
    started = time.monotonic()
    ctx = TaskContext(library, store, task, cancel_flag=cancel_flag, on_progress=on_progress)
    try:
        state, error = _run(ctx, store, task, _whole_task)
    except Exception as exc:  # noqa: BLE001 - the engine's own bookkeeping failed
        _abandon([ctx])
        raise EngineError(describe_engine_failure(exc)) from exc
    return Outcome(state, time.monotonic() - started, error)


def run_batch(
    library: "Library",
    store: TaskStore,
    tasks: list[ClaimedTask],
    *,
    cancel_flags: dict[int, Callable[[], bool]] | None = None,
    on_progress: Callable[[int, float], None] = lambda task_id, value: None,
) -> list[tuple[ClaimedTask, Outcome]]:
    """Run claimed tasks of one batched type (HandlerSpec.batched) and record each one's end state.

    Each task is prepared on its own; the batch is settled in one pass; then every prepared task is written, and
    marked done, in one transaction. A task whose prepare or settle fails ends alone (retry, dead, cancelled,
    deferred) without holding back the others, and one that was cancelled meanwhile is left out of the write.
    If the shared write fails, it is rolled back and each task is written in a transaction of its own, so one
    bad task never fails its batch. Raises EngineError like run_task (the caller gives back every task)."""
    started = time.monotonic()
    flags = cancel_flags or {}
    poll = _BatchCancelPoll(store, [t.id for t in tasks])
    contexts = [
        TaskContext(
            library, store, t, cancel_flag=flags.get(t.id, lambda: False), on_progress=on_progress, cancel_poll=poll
        )
        for t in tasks
    ]
    ended: dict[int, tuple[str, str | None]] = {}
    try:
        spec = get_handler(tasks[0].type)
        ready = []
        for ctx in contexts:
            try:
                ctx.check_cancelled()
                ready.append((ctx, spec.func(ctx)))
            except Exception as exc:  # noqa: BLE001 - recorded on the task, like any handler's failure
                ended[ctx.task.id] = _end(ctx, store, ctx.task, exc)
        if spec.settle is not None and ready:
            try:
                values = spec.settle(ready)
            except Exception as exc:  # noqa: BLE001 - a failed settle fails the tasks it was settling
                values = [exc] * len(ready)
            settled = []
            for (ctx, _), value in zip(ready, values, strict=True):
                if isinstance(value, BaseException):
                    ended[ctx.task.id] = _end(ctx, store, ctx.task, value)
                else:
                    settled.append((ctx, value))
            ready = settled
        if ready and not _write_together(store, spec, ready, ended):
            for ctx, value in ready:  # the shared write failed: each one alone, with its own outcome
                ended[ctx.task.id] = _run(ctx, store, ctx.task, lambda c, v=value: spec.write(c, v))
    except Exception as exc:  # noqa: BLE001 - the engine's own bookkeeping failed
        _abandon(contexts)
        raise EngineError(describe_engine_failure(exc)) from exc
    duration = time.monotonic() - started
    return [(t, Outcome(ended[t.id][0], duration, ended[t.id][1])) for t in tasks]


def _write_together(store: TaskStore, spec, ready: list, ended: dict) -> bool:
    """Write every prepared task and its `done` in one transaction; False (rolled back) if anything failed."""
    session = store.db.new_write_session()
    try:
        # The first statement takes the write lock: no cancel can slip in between this read and the commit.
        cancelled = store.cancel_requested_among([ctx.task.id for ctx, _ in ready], session)
        written = []
        for ctx, value in ready:
            if ctx.task.id in cancelled:
                continue
            ctx.share_session(session)
            spec.write(ctx, value)
            written.append(ctx.task.id)
        if not store.mark_done_many(session, written):
            raise _NotOurs()
        store.finish_cancelled(session, sorted(cancelled))
        session.commit()
    except Exception:  # noqa: BLE001 - rolled back; the caller writes each task alone and records why
        session.rollback()
        log.debug("a batch of %d %s tasks is written one by one", len(ready), spec.type, exc_info=True)
        return False
    finally:
        for ctx, _ in ready:
            ctx.share_session(None)
        session.close()
    for ctx, _ in ready:
        ended[ctx.task.id] = (TaskState.CANCELLED if ctx.task.id in cancelled else TaskState.DONE, None)
    return True


class _BatchCancelPoll:
    """Cancels made by another process, looked up for the whole batch in one query at most every
    context.DB_CHECK_INTERVAL_S, instead of once per task."""

    def __init__(self, store: TaskStore, task_ids: list[int]):
        self._store = store
        self._task_ids = task_ids
        self._checked = time.monotonic()
        self._cancelled: set[int] = set()

    def __call__(self, task_id: int) -> bool:
        now = time.monotonic()
        if now - self._checked >= DB_CHECK_INTERVAL_S:
            self._checked = now
            self._cancelled = self._store.cancel_requested_among(self._task_ids)
        return task_id in self._cancelled


class _NotOurs(Exception):
    """A task of the batch was taken from this process while it ran: write the tasks one by one instead."""


def _batched(type_: str) -> bool:
    try:
        return get_handler(type_).batched
    except Exception:  # noqa: BLE001 - an unknown type: _run records that on the task
        return False


def _whole_task(ctx: TaskContext) -> None:
    spec = get_handler(ctx.task.type)
    spec.func(ctx)


def _abandon(contexts: list[TaskContext]) -> None:
    for ctx in contexts:
        try:
            ctx.close(commit=False)
        except Exception:  # noqa: BLE001
            log.debug("could not roll back task %s", ctx.task.id, exc_info=True)


def _run(ctx: TaskContext, store: TaskStore, task: ClaimedTask, body: Callable[[TaskContext], None]) -> tuple[str, str | None]:
    try:
        ctx.check_cancelled()
        body(ctx)
        ctx.check_cancelled()
        # The state change rides in the handler's transaction: effect and `done` commit together or not at all.
        if not store.mark_done(ctx.session, task.id):
            ctx.close(commit=False)
            if store.cancel_requested(task.id):  # cancelled while it ran: its effect (and follow-ups) are dropped
                store.mark_cancelled(task.id)
                return TaskState.CANCELLED, None
            log.warning("task %s was taken from this process while running; its effect was rolled back", task.id)
            return LOST, None
        ctx.close(commit=True)
        return TaskState.DONE, None
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the task, never lost
        return _end(ctx, store, task, exc)


def _end(ctx: TaskContext, store: TaskStore, task: ClaimedTask, exc: BaseException) -> tuple[str, str | None]:
    """Roll back what the task did and record how it ended: cancelled, deferred, retry later or dead. A full
    disk is re-raised: not this task's fault, and every next task would fail alike, so the run stops."""
    ctx.close(commit=False)
    if isinstance(exc, TaskCancelled):
        store.mark_cancelled(task.id)
        return TaskState.CANCELLED, None
    if isinstance(exc, TaskDeferred):
        store.mark_deferred(task.id, exc.delay)
        return DEFERRED, None
    if is_disk_full(exc):
        raise exc
    error_class = classify(exc)
    state = store.mark_failed(
        task, exc, permanent=error_class is ErrorClass.PERMANENT, retry_delay=backoff_delay(task.attempts)
    )
    log.log(
        logging.WARNING if state == TaskState.DEAD else logging.INFO,
        "task %s (%s) %s: %s: %s",
        task.id,
        task.type,
        "is dead" if state == TaskState.DEAD else "will retry",
        exc.__class__.__name__,
        exc,
        exc_info=state == TaskState.DEAD and error_class is ErrorClass.TRANSIENT,
    )
    return state, f"{exc.__class__.__name__}: {exc}"


def give_back(store: TaskStore, task: ClaimedTask) -> None:
    """Best effort after a bookkeeping failure: return the task to the queue without counting the attempt."""
    try:
        store.release(task.id)
    except Exception:  # noqa: BLE001 - recover_stale puts it back when the library is next opened
        log.info("could not give task %s back to the queue; it resumes when the library is next opened", task.id)


def run_pending(library: "Library", store: TaskStore, *, max_tasks: int | None = None) -> list[tuple[ClaimedTask, Outcome]]:
    """Deterministic executor: claim and run tasks (batches of a batched type) in this thread until none is
    runnable now, or `max_tasks` have run."""
    results = []
    while max_tasks is None or len(results) < max_tasks:
        room = None if max_tasks is None else max_tasks - len(results)
        task = store.claim()
        if task is None:
            break
        size = batch_sizes().get(task.type, 1)
        tasks = [task, *store.claim_more(task, (size if room is None else min(size, room)) - 1)]
        try:
            if len(tasks) > 1:
                results.extend(run_batch(library, store, tasks))
            else:
                results.append((tasks[0], run_task(library, store, tasks[0])))
        except EngineError:
            for task in tasks:
                give_back(store, task)
            raise
    return results
