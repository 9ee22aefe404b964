"""One path for everything the window tells the user (qutebrowser's `message` bridge idea).

Controllers, views and background callbacks build a `UserMessage` and hand it to the window's `MessageBridge`;
the bridge logs it once and emits `shown`, and the main window's message area displays it. Nothing else
formats tracebacks or decides how a message looks.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from typing import Callable

from PySide6.QtCore import QObject, Signal

log = logging.getLogger("shoebox.messages")

INFO, WARNING, ERROR = "info", "warning", "error"


@dataclass(frozen=True)
class UserMessage:
    """`key` names the kind of message: a new one replaces the shown one with the same key (default: its
    text). `actions` are (label, callback) buttons; pressing one also dismisses the bar."""

    text: str
    level: str = INFO
    details: str = ""
    actions: tuple[tuple[str, Callable[[], None]], ...] = field(default=())
    key: str | None = None

    @property
    def kind(self) -> str:
        return self.key or self.text


def error_details(error: BaseException | None) -> str:
    """The traceback text shown behind a message's Details button (the one place it is formatted)."""
    if error is None:
        return ""
    return "".join(traceback.format_exception(error))


class MessageBridge(QObject):
    """`show()` may be called from any thread (the signal is queued to the GUI thread's receivers)."""

    shown = Signal(object)  # UserMessage
    dismissed = Signal(str)  # a key whose message no longer applies

    def __init__(self, parent=None):
        super().__init__(parent)
        self._logged: dict[str, str] = {}

    def show(self, message: UserMessage) -> None:
        if self._logged.get(message.kind) != message.text:  # the same message repeated is logged once
            self._logged[message.kind] = message.text
            log.log(logging.INFO if message.level == INFO else logging.WARNING, "%s", message.text)
        self.shown.emit(message)

    def info(self, text: str, *, key: str | None = None, actions=()) -> None:
        self.show(UserMessage(text, INFO, "", tuple(actions), key))

    def warning(self, text: str, *, details: str = "", key: str | None = None, actions=()) -> None:
        self.show(UserMessage(text, WARNING, details, tuple(actions), key))

    def error(self, text: str, error: BaseException | None = None, *, key: str | None = None, actions=()) -> None:
        self.show(UserMessage(text, ERROR, error_details(error), tuple(actions), key))

    def dismiss(self, key: str) -> None:
        self._logged.pop(key, None)
        self.dismissed.emit(key)

    def clear(self) -> None:
        """Forget what was logged (a new library: its messages are news again)."""
        self._logged.clear()
