"""Run a function on a thread pool and get its result or exception back on the GUI thread.

Picard's `run_task` pattern: the QRunnable never touches widgets; it posts `(result, error)` to a QObject that
lives in the GUI thread, whose queued signal calls the callback there.
"""

from __future__ import annotations

import logging
import threading
from contextlib import nullcontext
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)

# The window's own reads (Reader's and the grid's read-ahead) take turns. Each holds the GIL for its Python work,
# and the GUI thread gets an equal share of it with each thread that wants it: a third of it while two reads run
# at once, half while one does. `bench gui --trace` found its frames over 50 ms during an import where a
# read-ahead and the reader's refresh overlapped.
WINDOW_READS = threading.Lock()


class _Relay(QObject):
    done = Signal(object, object)  # result, exception


class _Job(QRunnable):
    def __init__(self, func: Callable[[], Any], relay: _Relay, turns: threading.Lock | None = None):
        super().__init__()
        self._func = func
        self._relay = relay
        self._turns = turns

    def run(self) -> None:
        try:
            with self._turns or nullcontext():
                result, error = self._func(), None
        except Exception as exc:  # noqa: BLE001 - handed to the callback, which decides how to tell the user
            log.warning("background job %s failed", getattr(self._func, "__qualname__", self._func), exc_info=exc)
            result, error = None, exc
        self._relay.done.emit(result, error)


class Worker(QObject):
    """A one-thread (by default) pool whose jobs report back to `callback(result, error)` in the GUI thread."""

    def __init__(self, threads: int = 1, parent=None, *, turns: threading.Lock | None = None):
        """`turns`: a lock the jobs run under (WINDOW_READS: one of the window's reads at a time)."""
        super().__init__(parent)
        self._turns = turns
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._relays: set[_Relay] = set()

    def run(self, func: Callable[[], Any], callback: Callable[[Any, BaseException | None], None]) -> None:
        relay = _Relay()
        self._relays.add(relay)

        def finish(result, error, relay=relay):
            self._relays.discard(relay)
            callback(result, error)

        relay.done.connect(finish)
        self.pool.start(_Job(func, relay, self._turns))

    def wait(self, msecs: int = -1) -> bool:
        return self.pool.waitForDone(msecs)
