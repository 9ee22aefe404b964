"""The toolbar search: debounced as-you-type search in the query language (free words plus filters such as
`place:Kyoto camera:canon -year:2019`, app.core.search) and "More like this", run off the GUI thread.

Words alone go to smart search as before (scores, and the offer to set up a model when there is none); a query
with filters runs through the query language (filters as SQL, free words ranked by smart search when it serves).
A query that cannot be run is said with its bad part marked, never as a traceback.

The first query may load a model (seconds); running it on a worker keeps the window responsive, and a sequence
number drops results of queries the user has already typed past.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from app.ui.messages import MessageBridge, error_details
from app.ui.workers import Worker

DEBOUNCE_MS = 300
RESULT_LIMIT = 500


def is_plain_text(tree) -> bool:
    """Only words (no filter, no negation, no OR): smart search's own business."""
    from app.core.search.parse import And, Word

    if isinstance(tree, Word):
        return True
    return isinstance(tree, And) and bool(tree.children) and all(isinstance(c, Word) for c in tree.children)


def query_error_text(error) -> str:
    """The message and the query with its bad part marked: `year:2019 ▸foo:bar◂ beach`."""
    query, start = error.query, error.position
    end = min(len(query), start + error.length)
    return f"{error.message}: {query[:start]}▸{query[start:end]}◂{query[end:]}"


class SearchController(QObject):
    """Emits `results(description, hits)`, `cleared()`, `model_missing(what to do)`, `status_text(text)`; tells
    the user about failures through the message bridge."""

    results = Signal(str, list)
    cleared = Signal()
    model_missing = Signal(str)  # what to do, for a message that offers the set-up
    status_text = Signal(str)

    def __init__(self, messages: MessageBridge, parent=None):
        super().__init__(parent)
        self.messages = messages
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
        from app.core.search.query import QueryError, parse

        try:
            plain = is_plain_text(parse(query))
        except QueryError as exc:
            self._sequence += 1
            self._on_error(exc)
            return
        if plain:
            self._submit(lambda: search.text(query, limit=RESULT_LIMIT), f"“{query}”")
            return
        library = self.library

        def filtered():
            from app.core.search.query import search as query_search
            from app.core.search.service import SearchHit

            return [SearchHit(photo_id, 0.0) for photo_id in query_search(library, query, limit=RESULT_LIMIT)]

        self._submit(filtered, f"“{query}”")

    def more_like(self, photo_id: int, name: str) -> None:
        search = self._service()
        if search is None:
            return
        self._timer.stop()
        self._submit(lambda: search.like(photo_id, limit=RESULT_LIMIT), self.tr("photos like {name}").format(name=name))

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
            self.messages.error(self.tr("Search is not available: {error}").format(error=exc), exc, key="search")
            return None

    def _submit(self, func, description: str) -> None:
        self._sequence += 1
        sequence = self._sequence
        self.status_text.emit(self.tr("Searching {what}…").format(what=description))

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
        if type(error).__name__ in ("QueryError", "NotAvailableError"):
            self.messages.warning(query_error_text(error), details=error.describe(), key="search")
            return
        if type(error).__name__ == "ModelMissingError":
            self.model_missing.emit(str(error))
            return
        if type(error).__name__ == "SearchError":  # messages written for the user
            self.messages.warning(str(error), key="search")
            return
        self.messages.error(self.tr("Search failed: {error}").format(error=error), error, key="search")

    def _on_status(self, status, error) -> None:
        if error is not None:
            self.messages.warning(self.tr("Search status unknown: {error}").format(error=error),
                                  details=error_details(error), key="search-status")
            return
        waiting = max(0, status.total - status.embedded)
        if not status.model_available:
            self.model_missing.emit(status.message)
        elif waiting:
            self.messages.info(self.tr("{waiting} of {total} photos are not indexed for search yet; results will "
                                       "include them once indexing finishes.").format(
                waiting=f"{waiting:,}", total=f"{status.total:,}"), key="search-status")
        self.status_text.emit(self.tr("{embedded} of {total} photos searchable").format(
            embedded=f"{status.embedded:,}", total=f"{status.total:,}") if status.total else "")
