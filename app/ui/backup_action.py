"""File → Back Up Library…: a folder chooser, a progress dialog and one message at the end, with the work (the
core's `backup`) on a worker thread so the window stays responsive; plus the optional "time to back up" reminder.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from app.ui.messages import MessageBridge
from app.ui.workers import Worker


class _Progress(QObject):
    moved = Signal(int, int)  # bytes done, bytes in all (emitted from the worker thread, queued to the GUI)


class BackupAction(QObject):
    """Owns one backup at a time for the window."""

    def __init__(self, window: QWidget, messages: MessageBridge):
        super().__init__(window)
        self.window = window
        self.messages = messages
        self.worker = Worker(parent=self)
        self.dialog: QProgressDialog | None = None
        self.running = False

    def choose_and_start(self, library) -> None:
        if library is None or self.running:
            return
        start = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        parent = QFileDialog.getExistingDirectory(
            self.window, self.tr("Back Up Library Into…"), start or str(Path.home()))
        if parent:
            self.start(library, Path(parent) / time.strftime("Shoebox backup %Y-%m-%d %H%M%S"))

    def start(self, library, dest: Path) -> None:
        """Back up into `dest` (a new folder); tests call this directly."""
        from app.core.exchange.backup import backup

        self.running = True
        self.dialog = QProgressDialog(self.tr("Backing up the library…"), "", 0, 100, self.window)
        self.dialog.setCancelButton(None)  # a snapshot is quick to finish and unsafe to leave half-made
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(500)
        progress = _Progress(self)
        progress.moved.connect(self._moved)
        self.worker.run(lambda: backup(library, dest, progress=progress.moved.emit), self._finished)

    def _moved(self, done: int, total: int) -> None:
        if self.dialog is not None and total:
            self.dialog.setValue(int(100 * done / total))

    def _finished(self, summary, error) -> None:
        self.running = False
        if self.dialog is not None:
            self.dialog.reset()
            self.dialog.deleteLater()
            self.dialog = None
        if error is not None:
            self.messages.error(self.tr("The backup failed: %s") % error, error, key="backup")
        else:
            self.messages.info(summary.text()[0].upper() + summary.text()[1:] + ".", key="backup")

    def remind_if_due(self, library) -> None:
        """Called when a library opens: a gentle reminder, only if the user turned it on."""
        from app.core.exchange.backup import backup_overdue

        if library is not None and not library.read_only and backup_overdue(library):
            self.messages.info(self.tr("This library has not been backed up for a while."), key="backup-reminder",
                               actions=[(self.tr("Back Up Now…"), lambda: self.choose_and_start(library))])
