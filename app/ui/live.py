"""Live with the library: notice commits made by anyone (this window's imports, a CLI import in another
process) and tell the window to refresh, at most once per interval.

The check is `PRAGMA data_version` on a connection of its own (app/core/changes.py): microseconds, no table read,
so it can run on the GUI thread from a timer. The refresh it triggers reads on the reader thread.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)

POLL_MS = 500  # a change shows within about a second, well inside the 2 s goal


class LibraryWatcher(QObject):
    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._version = None
        self._timer = QTimer(self, interval=POLL_MS, timeout=self.check)

    def set_library(self, library) -> None:
        self._timer.stop()
        if self._version is not None:
            self._version.close()
            self._version = None
        if library is None:
            return
        from app.core.changes import DataVersion

        try:
            self._version = DataVersion(library.layout.database, read_only=library.read_only)
        except Exception as exc:  # noqa: BLE001 - the window still works, only without live updates
            log.warning("cannot watch %s for changes: %s", library.layout.database, exc)
            return
        self._timer.start()

    def check(self) -> bool:
        if self._version is not None and self._version.changed():
            self.changed.emit()
            return True
        return False
