"""A few lines of editable text that say when the user leaves them: the info panel saves its description,
caption and voice-note transcripts then, not on every key."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPlainTextEdit


class TextBox(QPlainTextEdit):
    left = Signal()

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.left.emit()
