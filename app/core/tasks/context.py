"""What a handler sees of the engine while it runs one task."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Callable

from sqlalchemy.orm import Session

from app.core.tasks.errors import TaskCancelled, TaskDeferred
from app.core.tasks.store import ClaimedTask, Priority, TaskStore

if TYPE_CHECKING:
    from app.core.library import Library

# How often check_cancelled() looks at the database, for cancels made by another process.
DB_CHECK_INTERVAL_S = 0.5


class TaskContext:
    """Gives a handler its payload, a write session shared with the engine's state change, and cooperative
    cancellation. Do CPU work before touching `session`: the session holds SQLite's write lock once used."""

    def __init__(
        self,
        library: "Library",
        store: TaskStore,
        task: ClaimedTask,
        *,
        cancel_flag: Callable[[], bool] = lambda: False,
        on_progress: Callable[[int, float], None] = lambda task_id, value: None,
        cancel_poll: Callable[[int], bool] | None = None,
    ):
        self.library = library
        self.task = task
        self.payload = task.payload
        self._store = store
        self._cancel_flag = cancel_flag
        self._on_progress = on_progress
        # Asks the database whether this task was cancelled (by another process); a batch shares one.
        self._cancel_poll = cancel_poll
        self._session: Session | None = None
        self._shared = False  # the session belongs to a batch (runner.run_batch), which commits it
        self._last_db_check = time.monotonic()

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self._store.db.new_write_session()
        return self._session

    def share_session(self, session: Session | None) -> None:
        """Use a batch's session (None: back to a session of this task's own). The batch commits it."""
        if session is not None and self._session is not None and not self._shared:
            raise RuntimeError(f"task {self.task.id}: a batched task's prepare half used the database")
        self._session = session
        self._shared = session is not None

    def check_cancelled(self) -> None:
        if self._cancel_flag():
            raise TaskCancelled()
        now = time.monotonic()
        if now - self._last_db_check >= DB_CHECK_INTERVAL_S:
            self._last_db_check = now
            if (self._cancel_poll or self._store.cancel_requested)(self.task.id):
                raise TaskCancelled()

    def set_progress(self, value: float) -> None:
        self._on_progress(self.task.id, max(0.0, min(1.0, value)))

    def submit(self, type_: str, payload: dict | None = None, *, priority: int = Priority.NORMAL, **kwargs) -> int | None:
        """A follow-up task, committed only if this task succeeds (same transaction)."""
        kwargs.setdefault("group_id", self.task.group_id)
        kwargs.setdefault("parent_id", self.task.id)
        return self._store.submit(type_, payload, priority=priority, session=self.session, **kwargs)

    def defer(self, delay: float) -> None:
        """Stop now and run again after `delay` seconds, without counting an attempt."""
        raise TaskDeferred(delay)

    def close(self, *, commit: bool) -> None:
        if self._session is None:
            return
        if self._shared:  # the batch's: committed or rolled back by the batch
            self.share_session(None)
            return
        try:
            if commit:
                self._session.commit()
            else:
                self._session.rollback()
        finally:
            self._session.close()
            self._session = None
