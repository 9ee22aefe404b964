"""The window's database reads, off the GUI thread, coalesced by purpose.

Every read the window makes (the grid's id list, sidebar counts, duplicates, import progress) goes through
`Reader.read(key, func, callback)`. Reads run one at a time on a worker thread; for each key only the newest
request counts: while one runs, newer requests wait as one (the latest), and a superseded read's result is
dropped. So an import that changes the library twenty times a second costs one read per key at a time, and a
slow read never blocks painting.
"""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject

from app.ui.workers import WINDOW_READS, Worker

Callback = Callable[[Any, BaseException | None], None]


class Reader(QObject):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.worker = Worker(threads=1, parent=self, turns=WINDOW_READS)
        self._running: set[str] = set()
        self._waiting: dict[str, tuple[Callable[[], Any], Callback]] = {}
        self._latest: dict[str, int] = {}
        self._closed = False

    def read(self, key: str, func: Callable[[], Any], callback: Callback) -> None:
        if self._closed:
            return
        self._latest[key] = self._latest.get(key, 0) + 1
        if key in self._running:
            self._waiting[key] = (func, callback)
            return
        self._start(key, func, callback)

    def cancel(self, key: str | None = None) -> None:
        """Drop pending requests and the results of running ones (all keys when None)."""
        keys = list(self._latest) if key is None else [key]
        for k in keys:
            self._latest[k] = self._latest.get(k, 0) + 1
            self._waiting.pop(k, None)

    def busy(self) -> bool:
        return bool(self._running or self._waiting)

    def wait(self, msecs: int = -1) -> bool:
        return self.worker.wait(msecs)

    def close(self) -> None:
        self._closed = True
        self.cancel()
        self.worker.wait()

    def _start(self, key: str, func, callback: Callback) -> None:
        self._running.add(key)
        generation = self._latest[key]

        def done(result, error) -> None:
            self._running.discard(key)
            waiting = self._waiting.pop(key, None)
            if waiting is not None and not self._closed:
                self._start(key, *waiting)
            if generation == self._latest.get(key):
                callback(result, error)

        self.worker.run(func, done)
