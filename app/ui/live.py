"""Live with the library: notice commits made by anyone (this window's imports, a CLI import in another
process) and tell the window to refresh, at most once per interval.

The check is `PRAGMA data_version` on a connection of its own (app/core/changes.py): microseconds, no table read,
so it can run on the GUI thread from a timer. The refresh it triggers reads on the reader thread.

A PostgreSQL library has no `data_version`: there the check is one query to the server (`ServerChanges`), a
network round trip, so it runs on the window's reader thread at the same interval and never on the GUI thread.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)

POLL_MS = 500  # a change shows within about a second, well inside the 2 s goal


class LibraryWatcher(QObject):
    changed = Signal()

    def __init__(self, parent=None, *, reader=None):
        super().__init__(parent)
        self.reader = reader  # the window's Reader: where a PostgreSQL library is asked (a round trip)
        self._version = None
        self._remote = False  # the library is on a server: ask from the reader thread
        self._timer = QTimer(self, interval=POLL_MS, timeout=self.check)

    def set_library(self, library) -> None:
        self._timer.stop()
        if self._version is not None:
            self._version.close()
            self._version = None
        if library is None:
            return
        from app.core.changes import DataVersion, ServerChanges

        self._remote = library.db.is_postgres
        try:
            if self._remote:
                self._version = ServerChanges(library.db)
            else:
                self._version = DataVersion(library.layout.database, read_only=library.read_only)
        except Exception as exc:  # noqa: BLE001 - the window still works, only without live updates
            log.warning("cannot watch %s for changes: %s", library.db.url, exc)
            return
        self._timer.start()

    def check(self) -> bool:
        """True when a change was seen now; on a server the answer comes later (`changed`), and this says False."""
        if self._version is not None and self._remote and self.reader is not None:
            self.reader.read("live-changes", self._version.changed, self._on_server_answer)
            return False
        if self._version is not None and self._version.changed():
            self.changed.emit()
            return True
        return False

    def _on_server_answer(self, changed, error) -> None:
        if error is None and changed and self._version is not None:
            self.changed.emit()
