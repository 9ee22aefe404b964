"""Completion for the search box: filter names while typing a word (`cam` -> `camera:`), then the library's
values after `name:` (places, albums, cameras, years, events, people), from app.core.search.complete.

Suggestions are read on the window's reader thread (they query the library) and shown in an unfiltered popup;
each is the whole text with its last term completed, so choosing one keeps what was typed before it."""

from __future__ import annotations

from PySide6.QtCore import QObject, QStringListModel, Qt
from PySide6.QtWidgets import QCompleter, QLineEdit

MAX_SUGGESTIONS = 12


class QueryCompleter(QObject):
    def __init__(self, box: QLineEdit, reader, parent=None):
        super().__init__(parent)
        self.box = box
        self.reader = reader
        self.library = None
        self.model = QStringListModel(self)
        self.completer = QCompleter(self.model, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setMaxVisibleItems(MAX_SUGGESTIONS)
        box.setCompleter(self.completer)
        box.textEdited.connect(self.update)  # typed by the user, not set by choosing a suggestion

    def set_library(self, library) -> None:
        self.library = library
        self.model.setStringList([])

    def update(self, text: str) -> None:
        library = self.library
        if library is None or not text or text.endswith(" "):
            self.model.setStringList([])
            return

        def read():
            from app.core.search.complete import complete

            return complete(library, text, limit=MAX_SUGGESTIONS)

        self.reader.read("search-completion", read, lambda found, error: self._show(text, found, error))

    def _show(self, text: str, found, error) -> None:
        if error is not None or text != self.box.text():
            return  # typed on meanwhile (or the library could not answer: no suggestions, no noise)
        head = text[: len(text) - len(text.split(" ")[-1])]
        suggestions = [head + s + ("" if s.endswith(":") else " ") for s in found]
        self.model.setStringList(suggestions)
        if suggestions and self.box.hasFocus():
            self.completer.complete()
        else:
            self.completer.popup().hide()

    def suggestions(self) -> list[str]:
        return self.model.stringList()
