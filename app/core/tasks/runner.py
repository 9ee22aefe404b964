"""Runs one claimed task to its end state. Shared by the threaded engine and the deterministic executor."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from app.core.tasks.context import TaskContext
from app.core.tasks.errors import (
    EngineError,
    TaskCancelled,
    TaskDeferred,
    classify,
    describe_engine_failure,
    is_disk_full,
)
from app.core.tasks.registry import get_handler
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
    started = time.monotonic()
    ctx = TaskContext(library, store, task, cancel_flag=cancel_flag, on_progress=on_progress)
    try:
        state, error = _run(ctx, store, task)
    except Exception as exc:  # noqa: BLE001 - the engine's own bookkeeping failed
        try:
            ctx.close(commit=False)
        except Exception:  # noqa: BLE001
            log.debug("could not roll back task %s", task.id, exc_info=True)
        raise EngineError(describe_engine_failure(exc)) from exc
    return Outcome(state, time.monotonic() - started, error)


def _run(ctx: TaskContext, store: TaskStore, task: ClaimedTask) -> tuple[str, str | None]:
    try:
        spec = get_handler(task.type)
        ctx.check_cancelled()
        spec.func(ctx)
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
    except TaskCancelled:
        ctx.close(commit=False)
        store.mark_cancelled(task.id)
        return TaskState.CANCELLED, None
    except TaskDeferred as deferred:
        ctx.close(commit=False)
        store.mark_deferred(task.id, deferred.delay)
        return DEFERRED, None
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the task, never lost
        ctx.close(commit=False)
        if is_disk_full(exc):
            raise  # not this task's fault, and every next task would fail alike: stop the run
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
    """Deterministic executor: claim and run tasks one by one in this thread until none is runnable now."""
    results = []
    while max_tasks is None or len(results) < max_tasks:
        task = store.claim()
        if task is None:
            break
        try:
            results.append((task, run_task(library, store, task)))
        except EngineError:
            give_back(store, task)
            raise
    return results
