"""The toolbar search: debounced as-you-type text search and "More like this", run off the GUI thread.

The first query may load a model (seconds); running it on a worker keeps the window responsive, and a sequence
number drops results of queries the user has already typed past.
"""

from __future__ import annotations

import traceback

from PySide6.QtCore import QObject, QTimer, Signal

from app.ui.workers import Worker

DEBOUNCE_MS = 300
RESULT_LIMIT = 500


class SearchController(QObject):
    """Emits `results(description, hits)`, `cleared()`, `message(text, level, details, key)`, `busy(bool-ish)`."""

    results = Signal(str, list)
    cleared = Signal()
    message = Signal(str, str, str, str)
    model_missing = Signal(str)  # what to do, for a message that offers the set-up
    status_text = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.library = None
        self.worker = Worker(threads=1, parent=self)
        self._sequence = 0
        self._query = ""
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS, timeout=self._run_text)

    def set_library(self, library) -> None:
        self.library = library
        self._sequence += 1
        self._query = ""

    @property
    def query(self) -> str:
        return self._query

    def set_query(self, text: str) -> None:
        """Called on every keystroke; the search runs once typing pauses."""
        self._query = text.strip()
        self._sequence += 1
        if not self._query:
            self._timer.stop()
            self.cleared.emit()
            return
        self._timer.start()

    def run_now(self) -> None:
        if self._query:
            self._timer.stop()
            self._run_text()

    def _run_text(self) -> None:
        query = self._query
        if self.library is None or not query:
            return
        search = self._service()
        if search is None:
            return
        self._submit(lambda: search.text(query, limit=RESULT_LIMIT), f"“{query}”")

    def more_like(self, photo_id: int, name: str) -> None:
        search = self._service()
        if search is None:
            return
        self._timer.stop()
        self._submit(lambda: search.like(photo_id, limit=RESULT_LIMIT), f"photos like {name}")

    def check_status(self) -> None:
        """Say whether search can work and how many photos still wait to be embedded."""
        search = self._service()
        if search is None:
            return
        self.worker.run(search.status, self._on_status)

    def _service(self):
        if self.library is None:
            return None
        try:
            return self.library.search
        except Exception as exc:  # noqa: BLE001 - e.g. the search module is not installed
            self.message.emit(f"Search is not available: {exc}", "error", _trace(exc), "search")
            return None

    def _submit(self, func, description: str) -> None:
        self._sequence += 1
        sequence = self._sequence
        self.status_text.emit(f"Searching {description}…")

        def done(hits, error):
            if sequence != self._sequence:
                return  # the user typed on; a newer search is coming
            self.status_text.emit("")
            if error is not None:
                self._on_error(error)
                return
            self.results.emit(description, list(hits))

        self.worker.run(func, done)

    def _on_error(self, error: BaseException) -> None:
        if type(error).__name__ == "ModelMissingError":
            self.model_missing.emit(str(error))
            return
        if type(error).__name__ == "SearchError":  # messages written for the user
            self.message.emit(str(error), "warning", "", "search")
            return
        self.message.emit(f"Search failed: {error}", "error", _trace(error), "search")

    def _on_status(self, status, error) -> None:
        if error is not None:
            self.message.emit(f"Search status unknown: {error}", "warning", _trace(error), "search-status")
            return
        waiting = max(0, status.total - status.embedded)
        if not status.model_available:
            self.model_missing.emit(status.message)
        elif waiting:
            self.message.emit(f"{waiting:,} of {status.total:,} photos are not indexed for search yet; results "
                              "will include them once indexing finishes.", "info", "", "search-status")
        self.status_text.emit(f"{status.embedded:,} of {status.total:,} photos searchable" if status.total else "")


def _trace(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))
