"""Watching imported folders, so that photos added, changed, moved or deleted on disk show up while the app runs.

watchdog rather than QFileSystemWatcher: a photo collection is a deep tree, and QFileSystemWatcher watches only
the folders it is given (one inotify watch or handle per folder, added and removed by hand as folders come and
go), while watchdog watches a whole tree with the platform's recursive API (ReadDirectoryChangesW on Windows,
FSEvents on macOS; inotify per folder on Linux, managed for us).

Events arrive on watchdog's thread; they are only collected there. A quiet period (no event for `quiet_ms`) or a
longest wait (`max_wait_ms`, so a long copy still shows progress) ends a batch, and then one `changed` signal
names the watched folders to rescan: copying 5,000 photos makes one import, not 5,000. The rescan itself is the
ordinary incremental import (unchanged files are skipped by size and modification time).
"""

from __future__ import annotations

import logging
import os
import threading
import time

from PySide6.QtCore import QObject, QTimer, Signal

from app.core.ingest.scan import is_skipped_folder

log = logging.getLogger(__name__)

QUIET_MS = 2000
MAX_WAIT_MS = 30_000


class FolderWatcher(QObject):
    """Watches folders recursively; emits `changed(list of watched folder paths)` once per burst of changes."""

    changed = Signal(list)
    _poke = Signal()  # from watchdog's thread to this object's thread

    def __init__(self, parent=None, *, quiet_ms: int = QUIET_MS, max_wait_ms: int = MAX_WAIT_MS):
        super().__init__(parent)
        self._observer = None
        self._roots: dict[str, object] = {}  # watched path -> watchdog's watch handle
        self._pending: set[str] = set()
        self._ignored: tuple[str, ...] = ()  # the library's own folder, when it lies inside a watched one
        self._first_event = 0.0
        self._lock = threading.Lock()
        self._quiet = QTimer(self, singleShot=True, interval=quiet_ms)
        self._quiet.timeout.connect(self._flush)
        self._max_wait_ms = max_wait_ms
        self._poke.connect(self._on_poke)

    # -- what to watch ----------------------------------------------------------------------------------------
    def watch(self, paths: list[str]) -> None:
        """Watch exactly these folders (folders no longer listed are dropped)."""
        wanted = {os.path.normpath(p) for p in paths if os.path.isdir(p)}
        if wanted and self._observer is None:
            from watchdog.observers import Observer

            self._observer = Observer()
            self._observer.daemon = True
            self._observer.start()
        for path in set(self._roots) - wanted:
            self._observer.unschedule(self._roots.pop(path))
        for path in sorted(wanted - set(self._roots)):
            try:
                self._roots[path] = self._observer.schedule(_Handler(self, path), path, recursive=True)
            except OSError as exc:  # e.g. the inotify watch limit: say so, the app still works without it
                log.warning("cannot watch %s for changes (%s); rescan it by hand or raise the system's limit",
                            path, exc)

    def ignore(self, paths: list[str]) -> None:
        """Changes under these folders are not reported (the library writing its thumbnails is no news)."""
        self._ignored = tuple(os.path.normpath(p) for p in paths)

    @property
    def watched(self) -> list[str]:
        return sorted(self._roots)

    def stop(self) -> None:
        self._quiet.stop()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
        self._roots.clear()
        with self._lock:
            self._pending.clear()

    # -- events -----------------------------------------------------------------------------------------------
    def _note(self, root: str, path: str) -> None:
        """On watchdog's thread: remember which watched folder changed, and wake the GUI-side timer."""
        if any(path == ignored or path.startswith(ignored + os.sep) for ignored in self._ignored):
            return
        relative = os.path.relpath(path, root)
        if any(is_skipped_folder(part) for part in relative.split(os.sep)[:-1]):
            return  # hidden and system folders are not imported, so their changes do not matter
        with self._lock:
            if not self._pending:
                self._first_event = time.monotonic()
            self._pending.add(root)
        self._poke.emit()

    def _on_poke(self) -> None:
        waited_ms = (time.monotonic() - self._first_event) * 1000
        if waited_ms >= self._max_wait_ms:
            self._flush()
        else:
            self._quiet.start()  # restarts: the batch ends after a quiet period

    def _flush(self) -> None:
        self._quiet.stop()
        with self._lock:
            roots, self._pending = sorted(self._pending), set()
        if roots:
            log.info("changes on disk in %s", ", ".join(roots))
            self.changed.emit(roots)


class _Handler:
    """watchdog's handler protocol (`dispatch`), without subclassing its classes at import time."""

    def __init__(self, watcher: FolderWatcher, root: str):
        self.watcher = watcher
        self.root = root

    def dispatch(self, event) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reading a file changes nothing
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path:
                self.watcher._note(self.root, os.fsdecode(path))
