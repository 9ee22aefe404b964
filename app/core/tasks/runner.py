"""Runs one claimed task to its end state. Shared by the threaded engine and the deterministic executor."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from app.core.tasks.context import TaskContext
from app.core.tasks.errors import TaskCancelled, TaskDeferred, is_permanent
from app.core.tasks.registry import get_handler
from app.core.tasks.retry import backoff_delay
from app.core.tasks.store import ClaimedTask, TaskStore

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    state: str  # done | failed | dead | cancelled | deferred | lost
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
    started = time.monotonic()
    ctx = TaskContext(library, store, task, cancel_flag=cancel_flag, on_progress=on_progress)
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
                return Outcome("cancelled", time.monotonic() - started)
            log.warning("task %s was taken from this process while running; its effect was rolled back", task.id)
            return Outcome("lost", time.monotonic() - started)
        ctx.close(commit=True)
        return Outcome("done", time.monotonic() - started)
    except TaskCancelled:
        ctx.close(commit=False)
        store.mark_cancelled(task.id)
        return Outcome("cancelled", time.monotonic() - started)
    except TaskDeferred as deferred:
        ctx.close(commit=False)
        store.mark_deferred(task.id, deferred.delay)
        return Outcome("deferred", time.monotonic() - started)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the task, never lost
        ctx.close(commit=False)
        permanent = is_permanent(exc)
        state = store.mark_failed(task, exc, permanent=permanent, retry_delay=backoff_delay(task.attempts))
        log.log(
            logging.WARNING if state == "dead" else logging.INFO,
            "task %s (%s) %s: %s: %s",
            task.id,
            task.type,
            "is dead" if state == "dead" else "will retry",
            exc.__class__.__name__,
            exc,
            exc_info=state == "dead" and not permanent,
        )
        return Outcome(state, time.monotonic() - started, f"{exc.__class__.__name__}: {exc}")


def run_pending(library: "Library", store: TaskStore, *, max_tasks: int | None = None) -> list[tuple[ClaimedTask, Outcome]]:
    """Deterministic executor: claim and run tasks one by one in this thread until none is runnable now."""
    results = []
    while max_tasks is None or len(results) < max_tasks:
        task = store.claim()
        if task is None:
            break
        results.append((task, run_task(library, store, task)))
    return results
