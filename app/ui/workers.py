"""Run a function on a thread pool and get its result or exception back on the GUI thread.

Picard's `run_task` pattern: the QRunnable never touches widgets; it posts `(result, error)` to a QObject that
lives in the GUI thread, whose queued signal calls the callback there.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class _Relay(QObject):
    done = Signal(object, object)  # result, exception


class _Job(QRunnable):
    def __init__(self, func: Callable[[], Any], relay: _Relay):
        super().__init__()
        self._func = func
        self._relay = relay

    def run(self) -> None:
        try:
            result, error = self._func(), None
        except Exception as exc:  # noqa: BLE001 - handed to the callback, which decides how to tell the user
            log.warning("background job %s failed", getattr(self._func, "__qualname__", self._func), exc_info=exc)
            result, error = None, exc
        self._relay.done.emit(result, error)


class Worker(QObject):
    """A one-thread (by default) pool whose jobs report back to `callback(result, error)` in the GUI thread."""

    def __init__(self, threads: int = 1, parent=None):
        super().__init__(parent)
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
        self.pool.start(_Job(func, relay))

    def wait(self, msecs: int = -1) -> bool:
        return self.pool.waitForDone(msecs)
