"""Search: the toolbar's search box (as-you-type text search), "More like this", the results in the grid, and
setting up a model when there is none."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QLineEdit

from app.ui import format as fmt
from app.ui.model_setup import ModelSetup
from app.ui.query_completer import QueryCompleter
from app.ui.search_controller import SearchController
from app.ui.views import Mode, Place, View


def _tr(text: str) -> str:
    return QCoreApplication.translate("SearchView", text)


class SearchView(View):
    mode = Mode.SEARCH

    def __init__(self, context):
        super().__init__(context)
        self.title = _tr("Search")
        self.controller = SearchController(context.messages, self)
        self.model_setup = ModelSetup(context.window, context.messages)
        self.results: tuple[str, list] | None = None
        self.box = QLineEdit()
        self.box.setPlaceholderText(_tr("Search photos…  (beach at sunset, place:Kyoto year:2019)"))
        self.box.setClearButtonEnabled(True)
        self.box.setMaximumWidth(420)
        self.box.setMinimumWidth(160)
        self.completion = QueryCompleter(self.box, context.reader, self)
        self.status_label = QLabel()
        self.find_action = QAction(_tr("&Find"), self, shortcut=QKeySequence(QKeySequence.StandardKey.Find),
                                   triggered=self.focus_box)
        self.more_like_action = QAction(_tr("&More Like This"), self, shortcut=QKeySequence("Ctrl+L"),
                                        triggered=self.more_like_current)
        self.box.textChanged.connect(self._on_text)
        self.box.returnPressed.connect(self.controller.run_now)
        self.controller.results.connect(self._on_results)
        self.controller.cleared.connect(self._on_cleared)
        self.controller.status_text.connect(self.status_label.setText)
        self.controller.model_missing.connect(self._offer_model_setup)
        self.model_setup.installed.connect(self._on_model_installed)

    def sidebar_item(self):
        item = super().sidebar_item()
        item.setToolTip(0, _tr("Type in the search box in the toolbar (Ctrl+F)"))
        return item

    def toolbar_widgets(self):
        return [self.box]

    def status_widgets(self):
        return [self.status_label]

    def menu_actions(self):
        return {"Edit": [self.find_action], "Photo": [self.more_like_action]}

    def set_library(self, library) -> None:
        super().set_library(library)
        self.results = None
        self.controller.set_library(library)
        self.completion.set_library(library)
        self.model_setup.set_library(library)

    def wait(self) -> None:
        self.controller.worker.wait(5000)
        self.model_setup.worker.wait(5000)

    def engine_started(self) -> None:
        """Photos without vectors for the active model (a new model, a run cut short) are analysed in the
        background; scheduled off the GUI thread, since it loads the search modules."""
        library = self.library
        self.controller.worker.run(lambda: library.search.schedule_embedding(), self._on_embedding_scheduled)

    def _on_embedding_scheduled(self, _task_id, error) -> None:
        if error is not None:
            self.context.messages.warning(_tr("Smart-search analysis could not start: {error}").format(error=error),
                                          key="embed")

    def activate(self, place: Place) -> None:
        if self.results is not None and place.value in (None, self.results[0]):
            description, hits = self.results
            self.context.browser.show_ids(
                [h.photo_id for h in hits], {h.photo_id: h.score for h in hits},
                lambda rows: _tr("{results} for {what}").format(results=fmt.count(rows, _tr("result")),
                                                                what=description),
                _tr("No photos match."))
        if place.value is None:
            self.focus_box()
            if not self.controller.query:
                self.controller.check_status()

    def focus_box(self) -> None:
        self.box.setFocus()
        self.box.selectAll()

    def more_like_current(self) -> None:
        info = self.context.browser.current_info()
        if info is not None:
            self.controller.more_like(info.id, Path(info.path).name if info.path else f"photo {info.id}")

    def _on_text(self, text: str) -> None:
        if text.strip() and self.controller.query == "" and self.library is not None and ":" not in text:
            self.controller.check_status()  # first keystroke: say at once if there is no model
        self.controller.set_query(text)

    def _on_results(self, description: str, hits: list) -> None:
        self.results = (description, hits)
        self.context.navigate(Place(self.mode, description))

    def _on_cleared(self) -> None:
        self.status_label.setText("")
        self.results = None
        if self.is_current:
            self.context.navigate(Place(Mode.LIBRARY))

    def _offer_model_setup(self, text: str) -> None:
        """The 'no model' message, with the way out: download or locate one (the same kind as a failed query's,
        so it shows once)."""
        self.context.messages.warning(text, key="search",
                                      actions=[(_tr("Set up smart search…"), self.model_setup.ask)])

    def _on_model_installed(self, _model_id: str) -> None:
        self.controller.check_status()
        self.controller.run_now()
