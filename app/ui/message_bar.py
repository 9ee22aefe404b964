"""Non-blocking messages above the content (like KDE's KMessageWidget): text, optional details and action.

Errors never pop up modal dialogs: the user keeps working and opens the details when they want them.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QToolButton, QVBoxLayout, QWidget

COLOURS = {  # (background, border) that read on light and dark palettes alike
    "info": ("rgba(52, 120, 246, 40)", "rgba(52, 120, 246, 150)"),
    "warning": ("rgba(240, 170, 30, 50)", "rgba(220, 150, 20, 170)"),
    "error": ("rgba(220, 50, 50, 45)", "rgba(220, 50, 50, 170)"),
}
MAX_BARS = 3


class MessageBar(QFrame):
    closed = Signal()

    def __init__(self, text: str, level: str = "info", details: str | None = None,
                 action: tuple[str, Callable[[], None]] | None = None, parent=None):
        super().__init__(parent)
        self.level = level
        self.action_button: QPushButton | None = None
        background, border = COLOURS.get(level, COLOURS["info"])
        self.setObjectName("MessageBar")
        self.setStyleSheet(f"#MessageBar {{ background: {background}; border: 1px solid {border}; border-radius: 6px; }}")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 6, 6, 6)
        row = QHBoxLayout()
        outer.addLayout(row)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.label, 1)
        self.details_view = None
        if details:
            self.details_view = QPlainTextEdit(details)
            self.details_view.setReadOnly(True)
            self.details_view.setMaximumHeight(160)
            self.details_view.hide()
            toggle = QPushButton("Details")
            toggle.setCheckable(True)
            toggle.toggled.connect(self.details_view.setVisible)
            row.addWidget(toggle)
            outer.addWidget(self.details_view)
        if action:
            label, callback = action
            self.action_button = button = QPushButton(label)
            button.clicked.connect(callback)
            button.clicked.connect(self.dismiss)
            row.addWidget(button)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        row.addWidget(close)

    @property
    def text(self) -> str:
        return self.label.text()

    def dismiss(self) -> None:
        self.hide()
        self.closed.emit()
        self.deleteLater()


class MessageArea(QWidget):
    """A stack of at most MAX_BARS bars; a message with the same key replaces the earlier one."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 0)
        self._layout.setSpacing(4)
        self._bars: dict[str, MessageBar] = {}
        self.hide()

    def show_message(self, text: str, level: str = "info", *, details: str | None = None,
                     action: tuple[str, Callable[[], None]] | None = None, key: str | None = None) -> MessageBar:
        key = key or text
        self.dismiss(key)
        while len(self._bars) >= MAX_BARS:
            self.dismiss(next(iter(self._bars)))
        bar = MessageBar(text, level, details, action, self)
        self._bars[key] = bar
        bar.closed.connect(lambda k=key, b=bar: self._forget(k, b))
        self._layout.addWidget(bar)
        self.show()
        return bar

    def dismiss(self, key: str) -> None:
        bar = self._bars.pop(key, None)
        if bar is not None:
            bar.dismiss()

    def messages(self) -> list[MessageBar]:
        return list(self._bars.values())

    def _forget(self, key: str, bar: MessageBar) -> None:
        if self._bars.get(key) is bar:
            del self._bars[key]
        if not self._bars:
            self.hide()
