"""Photo → Move to Trash… (the Delete key): asks once, moves the selected photos' files towards the system
trash through the core (app.core.trash), and offers Undo while the app runs. The files reach the OS trash when
the library closes; a move left over from a crash is finished when the library next opens."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from app.ui.messages import MessageBridge
from app.ui.reader import Reader


class TrashAction(QObject):
    def __init__(self, window: QWidget, messages: MessageBridge, reader: Reader, on_changed):
        super().__init__(window)
        self.window = window
        self.messages = messages
        self.reader = reader
        self.on_changed = on_changed
        self.library = None
        self.confirm = True  # tests turn the question off
        self._opened_at = 0.0

    def set_library(self, library) -> None:
        """Opening: finish moves an earlier session left (a crash); closing: send this session's to the trash."""
        if self.library is not None and not self.library.read_only:
            self._empty(self.library)
        self.library = library
        self._opened_at = time.time()
        if library is not None and not library.read_only:
            trash, before = library.trash, self._opened_at
            self.reader.read("trash-leftovers", lambda: trash.empty(before=before), lambda *_: None)

    def move(self, photo_ids: list[int]) -> None:
        if self.library is None or self.library.read_only or not photo_ids:
            return
        if self.confirm:
            n = len(photo_ids)
            answer = QMessageBox.question(
                self.window, self.tr("Move to Trash"),
                (self.tr("Move this photo's file to the trash?") if n == 1 else
                 self.tr("Move the files of these %n photos to the trash?", "", n)) + "\n\n" +
                self.tr("You can undo this until Shoebox closes, and restore the files from the system trash later."))
            if answer != QMessageBox.StandardButton.Yes:
                return
        trash = self.library.trash
        self.reader.read("trash-move", lambda: trash.move_to_trash(photo_ids), self._moved)

    def _moved(self, result, error) -> None:
        if error is not None:
            self.messages.error(self.tr("Could not move to the trash: %s") % error, error, key="trash")
            return
        self.on_changed()
        text = self.tr("Moved %n photo(s) to the trash.", "", result.photos)
        if result.failed:
            details = "\n".join(f"{path}: {why}" for path, why in result.failed)
            self.messages.warning(text + " " + self.tr("%n could not be moved (details).", "", len(result.failed)),
                                  details=details, key="trash",
                                  actions=[(self.tr("Undo"), lambda *_, b=result.batch: self.undo(b))])
        else:
            self.messages.info(text, key="trash", actions=[(self.tr("Undo"), lambda *_, b=result.batch: self.undo(b))])

    def undo(self, batch: str) -> None:
        if self.library is None:
            return
        trash = self.library.trash
        self.reader.read(f"trash-undo-{batch}", lambda: trash.undo(batch), self._undone)

    def _undone(self, count, error) -> None:
        if error is not None:
            self.messages.error(self.tr("Could not put the photos back: %s") % error, error, key="trash")
            return
        self.on_changed()
        self.messages.info(self.tr("Put %n photo(s) back.", "", count), key="trash")

    def _empty(self, library) -> None:
        try:
            library.trash.empty()
        except Exception as exc:  # noqa: BLE001 - the files stay waiting and are tried again next time
            self.messages.error(self.tr("Could not move files to the system trash: %s") % exc, exc, key="trash")
