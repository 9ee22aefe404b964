"""The task engine: worker loops on QThreadPool that claim persisted tasks and report progress as Qt signals.

Two pools: the bulk pool runs everything by priority; a one-thread user pool takes only Priority.USER work, so
what the user is waiting for never queues behind an import of 50,000 files. Signals are emitted from worker
threads; Qt queues them to receivers living in other threads (the GUI), so slots run on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING, Callable, Iterable

from PySide6.QtCore import SIGNAL, QCoreApplication, QObject, QRunnable, QThread, QThreadPool, Signal

from app.core.tasks.errors import EngineError, TaskDeferred, describe_engine_failure, is_lock_contention
from app.core.tasks.registry import batch_sizes, load_handler_modules, throttled_types
from app.core.tasks.runner import DEFERRED, Outcome, give_back, run_batch, run_task
from app.core.tasks.states import LIVE_STATES, TERMINAL_STATES, TaskState
from app.core.tasks.store import ClaimedTask, GroupStatus, Priority, TaskInfo, TaskStore

if TYPE_CHECKING:
    from app.core.library import Library

log = logging.getLogger(__name__)

IDLE_POLL_S = 1.0  # idle workers look for work from other processes and due retries this often
GROUP_SIGNAL_INTERVAL_S = 0.1
COUNTS_SIGNAL_INTERVAL_S = 0.25  # counting states scans the task table: not after every task
# A batch of a batched type (registry.HandlerSpec.batch) is sized to about this much work, judged by how long its
# tasks took so far: big enough that the fixed cost per batch (claim, commit, flush) is small per task, small
# enough that progress moves, and a kill or cancel loses little, when each task takes long (large photos).
BATCH_TARGET_S = 0.2
# Counting a group's (or the queue's) tasks grows with their number (100k queued: tens of ms). Such a signal
# waits at least this many times its last computation, so it never takes more than a small share of the time.
SIGNAL_COST_FACTOR = 20
_QUEUE_CHANGED = SIGNAL("queue_changed(QVariantMap)")


class _WorkerLoop(QRunnable):
    def __init__(self, engine: "TaskEngine", min_priority: int):
        super().__init__()
        self.setAutoDelete(True)
        self._engine = engine
        self._min_priority = min_priority

    def run(self) -> None:
        self._engine._worker_loop(self._min_priority)


class TaskEngine(QObject):
    task_started = Signal(int, str)
    task_progress = Signal(int, float)
    task_finished = Signal(int, str)
    task_failed = Signal(int, str, str)
    group_progress = Signal(int, int, int, float)
    queue_changed = Signal(dict)
    idle = Signal()  # no task is running here and none is due for any worker
    failed = Signal(str)  # the engine stopped: it could not record a task's state (message for the user)

    def __init__(self, library: "Library", *, workers: int | None = None, user_workers: int = 1,
                 recover: bool = True, types: Iterable[str] | None = None):
        """`recover=False`: leave tasks a stopped process left running for the process that runs the queue (the
        window, whose worker process does it, makes its engine without that write). `types`: run only tasks of
        these types (a remote worker's model work); run_until_idle then waits only for those."""
        super().__init__()
        self.library = library
        self.types = sorted(types) if types is not None else None
        self.store = TaskStore(library.db, default_max_attempts=library.config.get("tasks.max_attempts"))
        recovered = self.store.recover_stale() if recover else 0
        if recovered:
            log.info("put %d task(s) left running by a stopped process back in the queue", recovered)
        load_handler_modules()
        self._workers = workers or max(1, QThread.idealThreadCount())
        self._user_workers = user_workers
        self._pool = QThreadPool()
        self._pool.setMaxThreadCount(self._workers)
        self._user_pool = QThreadPool()
        self._user_pool.setMaxThreadCount(max(1, user_workers))
        self._wake = threading.Condition()
        self._lock = threading.Lock()
        self._running_by_type: Counter[str] = Counter()
        self._cancel_requested: set[int] = set()
        self._active = 0
        self._started = False
        self._stopping = False
        self._idle_announced = False
        self._error: str | None = None  # why the last run stopped on its own, if it did
        self._last_group_signal: dict[int, float] = {}
        self._group_signal_cost: dict[int, float] = {}  # seconds the last group_status of each group took
        self._pending_groups: set[int] = set()
        self._last_counts_signal = 0.0
        self._counts_signal_cost = 0.0
        self._task_seconds: dict[str, float] = {}  # per batched type: recent seconds per task (a moving average)

    # -- lifecycle -----------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._started and not self._stopping

    @property
    def error(self) -> str | None:
        """Why the engine stopped by itself (e.g. the disk is full), or None; cleared by start()."""
        return self._error

    def start(self) -> None:
        if self._started and not self._stopping:
            return
        if self._started:  # the last run stopped itself on an error: let its workers finish first
            self.stop()
        if self._error is not None:
            # The failed run may have left tasks it claimed in `running`; no worker of ours runs now.
            try:
                self.store.recover_stale(include_own=True)
            except Exception as exc:  # noqa: BLE001 - still failing (the disk is still full): say so again
                raise EngineError(describe_engine_failure(exc)) from exc
            self._error = None
        self._started = True
        self._stopping = False
        for _ in range(self._workers):
            self._pool.start(_WorkerLoop(self, -(2**31)))
        for _ in range(self._user_workers):
            self._user_pool.start(_WorkerLoop(self, Priority.USER))

    def stop(self, wait: bool = True) -> None:
        """Stop the workers; a task in flight is interrupted at its next check and goes back to the queue."""
        if not self._started:
            return
        self._stopping = True
        with self._wake:
            self._wake.notify_all()
        if wait:
            self._pool.waitForDone()
            self._user_pool.waitForDone()
        self._started = False

    def run_until_idle(
        self,
        progress: bool = False,
        *,
        on_tick: Callable[[], None] | None = None,
        poll_s: float = 0.02,
        tick_s: float = 0.25,
        stop_when: Callable[[], bool] | None = None,
    ) -> dict[str, int]:
        """Headless: run the queue until nothing is left to do (retries included); returns the final counts.

        `on_tick` (or the tqdm bar with `progress`) is called every `tick_s`; the cheap idle check runs every
        `poll_s`, so a short queue does not wait out a long polling interval at its end. `stop_when()` (checked
        as often) ends the run early: tasks in flight go back to the queue at their next check, uncounted.
        Raises EngineError when the engine stopped because it could not record a task's state; the queue
        resumes next time."""
        app = QCoreApplication.instance() or QCoreApplication([])
        if progress and on_tick is None:
            on_tick = self._task_progress_bar()
        self.start()
        last_tick = 0.0
        try:
            while True:
                app.processEvents()
                now = time.monotonic()
                if on_tick is not None and now - last_tick >= tick_s:
                    last_tick = now
                    on_tick()
                with self._lock:
                    active = self._active
                if self._error is not None or (active == 0 and not self.store.has_live_work(self.types)):
                    break
                if stop_when is not None and stop_when():
                    break
                time.sleep(poll_s)
        finally:
            self.stop()
            app.processEvents()
            if on_tick is not None:
                on_tick()
            close = getattr(on_tick, "close", None)
            if close is not None:
                close()
        if self._error is not None:
            raise EngineError(self._error)
        return self.store.counts()

    def _task_progress_bar(self):
        """A tqdm bar over all tasks finished since the call; the returned callable refreshes it."""
        from tqdm import tqdm

        bar = tqdm(unit="task", dynamic_ncols=True, smoothing=0.1)
        finished_before = sum(self.store.counts()[s] for s in TERMINAL_STATES)

        def refresh() -> None:
            counts = self.store.counts()
            finished = sum(counts[s] for s in TERMINAL_STATES) - finished_before
            bar.total = finished + sum(counts[s] for s in LIVE_STATES)
            bar.n = finished
            bar.set_postfix(failed=counts[TaskState.DEAD], refresh=False)
            bar.refresh()

        refresh.close = bar.close  # type: ignore[attr-defined]
        return refresh

    # -- submitting and controlling ------------------------------------------------------------------------
    def create_group(self, kind: str, label: str) -> int:
        return self.store.create_group(kind, label)

    def submit(self, type_: str, payload: dict | None = None, **kwargs) -> int | None:
        task_id = self.store.submit(type_, payload, **kwargs)
        self.wake()
        return task_id

    def wake(self) -> None:
        """Tell idle workers new work may be there (after a submit or requeue)."""
        with self._wake:
            self._wake.notify_all()
        self._emit_counts()

    def cancel(self, task_id: int) -> int:
        with self._lock:
            self._cancel_requested.add(task_id)
        return self._after_change(self.store.cancel(task_id))

    def cancel_group(self, group_id: int) -> int:
        return self._after_change(self.store.cancel_group(group_id))

    def cancel_all(self) -> int:
        return self._after_change(self.store.cancel_all())

    def requeue(self, task_id: int) -> int:
        return self._after_change(self.store.requeue(task_id))

    def requeue_group(self, group_id: int) -> int:
        return self._after_change(self.store.requeue_group(group_id))

    def requeue_dead(self) -> int:
        return self._after_change(self.store.requeue_dead())

    def _after_change(self, n: int) -> int:
        self.wake()
        return n

    def list_tasks(self, state: str | None = None, limit: int | None = None) -> list[TaskInfo]:
        return self.store.list_tasks(state, limit=limit)

    def counts(self) -> dict[str, int]:
        return self.store.counts()

    def group_status(self, group_id: int) -> GroupStatus | None:
        return self.store.group_status(group_id)

    # -- the worker side -----------------------------------------------------------------------------------
    def _claim(self, min_priority: int) -> list[ClaimedTask]:
        """The next task, or a batch of tasks of one batched type (registry.HandlerSpec.batch); [] if none."""
        limits, batches = throttled_types(), batch_sizes()
        tasks: list[ClaimedTask] = []
        with self._lock:
            excluded = [t for t, limit in limits.items() if self._running_by_type[t] >= limit]
            try:
                task = self.store.claim(exclude_types=excluded, min_priority=min_priority, only_types=self.types)
                tasks = [task] if task is not None else []
                size = self._batch_size(task.type, batches.get(task.type, 1)) if task is not None else 1
                if size > 1:
                    tasks += self.store.claim_more(task, size - 1)
            except Exception as exc:
                if not is_lock_contention(exc):
                    raise  # a full disk, a damaged database: the worker loop stops the engine
                if tasks:  # the first is ours: run it alone
                    log.debug("could not claim the rest of a batch", exc_info=True)
                else:
                    log.warning("could not claim a task (another process holds the database); will retry")
            if tasks:
                self._running_by_type[tasks[0].type] += 1  # a batch is one worker's run of its type
                self._active += 1
                self._idle_announced = False
            return tasks

    def _batch_size(self, type_: str, largest: int) -> int:
        """How many tasks of a batched type to claim at once: about BATCH_TARGET_S of work, at most `largest`.
        The first batch of a type is a single task: its time sizes the next ones."""
        if largest <= 1:
            return 1
        seconds = self._task_seconds.get(type_)
        if seconds is None:
            return 1
        return max(1, min(largest, int(BATCH_TARGET_S / max(seconds, 1e-4))))

    def _note_batch_time(self, type_: str, tasks: int, seconds: float) -> None:
        per_task = seconds / max(1, tasks)
        with self._lock:
            previous = self._task_seconds.get(type_)
            self._task_seconds[type_] = per_task if previous is None else 0.7 * previous + 0.3 * per_task

    def _sleep_until_work(self) -> None:
        with self._lock:  # claims take this lock too: no task can be claimed between the two checks
            # A worker that may take only USER work finds nothing while a normal task waits for the bulk pool:
            # that is not idle. Idle is nothing running and nothing due for any worker.
            announce = self._active == 0 and not self._idle_announced and not self.store.has_due_work()
            if announce:
                self._idle_announced = True
        self._flush_group_signals(force=True)
        if announce:
            self._emit_counts()
            self.idle.emit()
        timeout = IDLE_POLL_S
        try:
            due = self.store.next_wakeup()
        except Exception:  # noqa: BLE001
            due = None
        if due is not None:
            timeout = max(0.01, min(IDLE_POLL_S, due - time.time()))
        with self._wake:
            if not self._stopping:
                self._wake.wait(timeout)

    def _worker_loop(self, min_priority: int) -> None:
        try:
            while not self._stopping:
                tasks = self._claim(min_priority)
                if not tasks:
                    self._sleep_until_work()
                    continue
                try:
                    self._execute(tasks)
                except EngineError as exc:
                    self._fail(exc)  # stop the other workers first, so that none claims them again at once
                    for task in tasks:  # those already finished are not running any more: left alone
                        give_back(self.store, task)
                    return
                finally:
                    with self._lock:
                        self._running_by_type[tasks[0].type] -= 1
                        self._active -= 1
                        for task in tasks:
                            self._cancel_requested.discard(task.id)
        except Exception as exc:  # noqa: BLE001 - the engine's own bookkeeping failed: stop, never hang
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        """Stop every worker with one message for the user; unrecorded tasks resume on the next run."""
        message = str(exc) if isinstance(exc, EngineError) else describe_engine_failure(exc)
        with self._lock:
            first = self._error is None
            if first:
                self._error = message
        self._stopping = True
        with self._wake:
            self._wake.notify_all()
        if first:
            # The caller tells the user (the CLI prints it, the GUI hears `failed`); the log file keeps the cause.
            log.info("task engine stopped: %s", message, exc_info=exc)
            self.failed.emit(message)

    def _cancel_flag(self, task_id: int):
        def flag() -> bool:
            if self._stopping:
                raise TaskDeferred(0.0)  # shutting down: back to the queue, attempt not counted
            return task_id in self._cancel_requested

        return flag

    def _execute(self, tasks: list[ClaimedTask]) -> None:
        started = time.monotonic()
        for task in tasks:
            self.task_started.emit(task.id, task.type)
        flags = {task.id: self._cancel_flag(task.id) for task in tasks}
        if len(tasks) > 1:
            results = run_batch(self.library, self.store, tasks, cancel_flags=flags, on_progress=self.task_progress.emit)
        else:
            outcome = run_task(
                self.library, self.store, tasks[0], cancel_flag=flags[tasks[0].id], on_progress=self.task_progress.emit
            )
            results = [(tasks[0], outcome)]
        if tasks[0].type in batch_sizes():
            self._note_batch_time(tasks[0].type, len(tasks), time.monotonic() - started)
        follow_ups = False
        for task, outcome in results:
            if outcome.state == TaskState.DONE:
                self.task_finished.emit(task.id, task.type)
            elif outcome.state in (TaskState.FAILED, TaskState.DEAD):
                self.task_failed.emit(task.id, task.type, outcome.error or outcome.state)
            if task.group_id is not None:
                with self._lock:
                    self._pending_groups.add(task.group_id)
            follow_ups = follow_ups or outcome.state in (TaskState.DONE, TaskState.FAILED, DEFERRED)
        self._flush_group_signals(force=False)
        self._emit_counts(force=False)
        if follow_ups:
            with self._wake:  # a finished task may have submitted follow-ups, or a retry is now scheduled
                self._wake.notify_all()

    def _flush_group_signals(self, *, force: bool) -> None:
        """Group progress at most every GROUP_SIGNAL_INTERVAL_S per group (longer for a group so big that counting
        it takes a while); idle workers flush the rest, so the final `done == total` signal of a group is never
        lost to the throttle."""
        now = time.monotonic()
        with self._lock:
            due = [
                g
                for g in self._pending_groups
                if force
                or now - self._last_group_signal.get(g, 0.0)
                >= max(GROUP_SIGNAL_INTERVAL_S, SIGNAL_COST_FACTOR * self._group_signal_cost.get(g, 0.0))
            ]
            self._pending_groups.difference_update(due)
            for g in due:
                self._last_group_signal[g] = now
        for group_id in due:
            started = time.monotonic()
            status = self.store.group_status(group_id)
            self._group_signal_cost[group_id] = time.monotonic() - started
            if status is not None:
                self.group_progress.emit(
                    group_id, status.done + status.failed + status.cancelled, status.total, status.rate
                )

    def _emit_counts(self, *, force: bool = True) -> None:
        if not self.receivers(_QUEUE_CHANGED):
            return  # nobody shows them (a command-line run): counting every task row costs ~15 ms at 100k
        now = time.monotonic()
        with self._lock:
            interval = max(COUNTS_SIGNAL_INTERVAL_S, SIGNAL_COST_FACTOR * self._counts_signal_cost)
            if not force and now - self._last_counts_signal < interval:
                return
            self._last_counts_signal = now
        try:
            counts = self.store.counts()
            self._counts_signal_cost = time.monotonic() - now
            self.queue_changed.emit(counts)
        except Exception:  # noqa: BLE001 - counts are informational
            log.debug("could not read queue counts", exc_info=True)
