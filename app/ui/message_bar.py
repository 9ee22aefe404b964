"""Non-blocking messages above the content (like KDE's KMessageWidget): text, optional details and actions.

Errors never pop up modal dialogs: the user keeps working and opens the details when they want them. A message
replaces the shown one of its kind, informational ones go away by themselves, and the area never takes more
height than the window gives it (the grid keeps at least two rows), dropping the oldest bars first.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QToolButton, QVBoxLayout, QWidget

from app.ui.messages import INFO, UserMessage

COLOURS = {  # (background, border) that read on light and dark palettes alike
    "info": ("rgba(52, 120, 246, 40)", "rgba(52, 120, 246, 150)"),
    "warning": ("rgba(240, 170, 30, 50)", "rgba(220, 150, 20, 170)"),
    "error": ("rgba(220, 50, 50, 45)", "rgba(220, 50, 50, 170)"),
}
MAX_BARS = 3
INFO_TIMEOUT_MS = 8_000  # long enough to read two lines; a bar with an action (Undo) stays twice as long


def _tr(text: str) -> str:
    return QCoreApplication.translate("MessageBar", text)


class MessageBar(QFrame):
    closed = Signal()

    def __init__(self, message: UserMessage, parent=None):
        super().__init__(parent)
        self.message = message
        self.level = message.level
        self.action_button: QPushButton | None = None
        background, border = COLOURS.get(message.level, COLOURS["info"])
        self.setObjectName("MessageBar")
        self.setStyleSheet(f"#MessageBar {{ background: {background}; border: 1px solid {border}; border-radius: 6px; }}")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(10, 4, 6, 4)
        row = QHBoxLayout()
        outer.addLayout(row)
        self.label = QLabel(message.text)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.label, 1)
        self.details_view = None
        if message.details:
            self.details_view = QPlainTextEdit(message.details)
            self.details_view.setReadOnly(True)
            self.details_view.setMaximumHeight(160)
            self.details_view.hide()
            toggle = QPushButton(_tr("Details"))
            toggle.setCheckable(True)
            toggle.toggled.connect(self._toggle_details)
            row.addWidget(toggle)
            outer.addWidget(self.details_view)
        for label, callback in message.actions:
            button = QPushButton(label)
            button.clicked.connect(callback)
            button.clicked.connect(self.dismiss)
            row.addWidget(button)
            self.action_button = self.action_button or button
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip(_tr("Dismiss"))
        close.clicked.connect(self.dismiss)
        row.addWidget(close)
        self.timer: QTimer | None = None
        if message.level == INFO:
            timeout = INFO_TIMEOUT_MS * (2 if message.actions else 1)
            self.timer = QTimer(self, singleShot=True, interval=timeout, timeout=self.dismiss)
            self.timer.start()

    @property
    def text(self) -> str:
        return self.label.text()

    def _toggle_details(self, shown: bool) -> None:
        self.details_view.setVisible(shown)
        if shown and self.timer is not None:
            self.timer.stop()  # someone is reading it

    def dismiss(self) -> None:
        if self.timer is not None:
            self.timer.stop()
        self.hide()
        self.closed.emit()
        self.deleteLater()


class MessageArea(QWidget):
    """At most MAX_BARS bars, within `available_height`; a message with the same key replaces the earlier one."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 0)
        self._layout.setSpacing(4)
        self._bars: dict[str, MessageBar] = {}
        self.available_height = 10_000
        self.hide()

    def show_message(self, message: UserMessage) -> MessageBar:
        self.dismiss(message.kind)
        while len(self._bars) >= MAX_BARS:
            self.dismiss(next(iter(self._bars)))
        bar = MessageBar(message, self)
        self._bars[message.kind] = bar
        bar.closed.connect(lambda k=message.kind, b=bar: self._forget(k, b))
        self._layout.addWidget(bar)
        self.show()
        self.fit()
        return bar

    def set_available_height(self, px: int) -> None:
        self.available_height = max(0, px)
        self.fit()

    def fit(self) -> None:
        """Drop the oldest bars until the rest fit the height the window allows (the newest always stays)."""
        while len(self._bars) > 1 and self._wanted_height() > self.available_height:
            self.dismiss(next(iter(self._bars)))
        self.setMaximumHeight(max(self.available_height, 0) if self._bars else 0)

    def _wanted_height(self) -> int:
        margins = self._layout.contentsMargins()
        bars = [b for b in self._bars.values()]
        width = max(200, self.width() - margins.left() - margins.right())
        heights = [b.heightForWidth(width) if b.hasHeightForWidth() else b.sizeHint().height() for b in bars]
        return sum(max(h, b.sizeHint().height()) for h, b in zip(heights, bars)) + \
            self._layout.spacing() * (len(bars) - 1) + margins.top() + margins.bottom()

    def dismiss(self, key: str) -> None:
        bar = self._bars.pop(key, None)
        if bar is not None:
            bar.dismiss()

    def clear(self) -> None:
        for key in list(self._bars):
            self.dismiss(key)

    def messages(self) -> list[MessageBar]:
        return list(self._bars.values())

    def _forget(self, key: str, bar: MessageBar) -> None:
        if self._bars.get(key) is bar:
            del self._bars[key]
        if not self._bars:
            self.hide()
