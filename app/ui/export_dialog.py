"""The Export dialog: an album, an event or the selected photos to a folder or a .zip (app.core.exchange).

Originals byte for byte (or resized JPEGs), optional XMP sidecars; the export runs on a worker thread with a
progress bar and Cancel (stops between files; finished files stay, each verified by sha256), and ends with a
summary of what was written and verified. Errors (a full disk, an unwritable folder) are said in the dialog."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QStandardPaths, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.ui.workers import Worker

DEFAULT_MAX_PX = 2048


def _tr(text: str) -> str:
    return QCoreApplication.translate("ExportDialog", text)


@dataclass(frozen=True)
class ExportSource:
    """What to export: ("album", id), ("event", id) or ("photos", [ids]), and a name to show."""

    kind: str
    value: object
    name: str

    def photo_ids(self, library) -> tuple[list[int], str | None]:
        """On a worker thread: the ids and the album or event name (a keyword in the sidecars)."""
        from app.core.exchange.export import photos_for

        if self.kind == "album":
            return photos_for(library, album=self.value)
        if self.kind == "event":
            return photos_for(library, event=self.value)
        return photos_for(library, photos=list(self.value))


def _default_folder(name: str) -> str:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation) or str(Path.home())
    safe = re.sub(r'[<>:"/\\|?*\x00-\x1f]+', " ", name).strip(" .") or "Export"
    return str(Path(base) / f"{safe[:80]} export")


class _Progress(QObject):
    moved = Signal(int, int)  # emitted on the worker thread, delivered on the GUI thread


class ExportDialog(QDialog):
    """Emits `finished_export(summary or None)` when an export ends (None: it failed; the dialog says why)."""

    finished_export = Signal(object)

    def __init__(self, library, source: ExportSource, parent: QWidget | None = None, messages=None):
        super().__init__(parent)
        self.library = library
        self.source = source
        self.messages = messages
        self.summary = None
        self.running = False
        self._cancel = threading.Event()
        self.worker = Worker(threads=1, parent=self)
        self._progress = _Progress(self)
        self._progress.moved.connect(self._on_progress)
        self.setWindowTitle(_tr("Export {name}").format(name=source.name))

        self.destination = QLineEdit(_default_folder(source.name))
        self.destination.setMinimumWidth(380)
        self.destination.setToolTip(_tr("A folder, or a file name ending in .zip"))
        folder_button = QPushButton(_tr("Folder…"), clicked=self._choose_folder)
        zip_button = QPushButton(_tr(".zip File…"), clicked=self._choose_zip)
        where = QHBoxLayout()
        where.addWidget(self.destination, 1)
        where.addWidget(folder_button)
        where.addWidget(zip_button)

        self.sidecars = QCheckBox(_tr("Write an XMP sidecar per photo (dates, GPS, keywords; read by digiKam and "
                                      "Lightroom)"))
        self.resize_box = QCheckBox(_tr("Resize to JPEGs at most"))
        self.max_px = QSpinBox()
        self.max_px.setRange(16, 20000)
        self.max_px.setValue(DEFAULT_MAX_PX)
        self.max_px.setSuffix(_tr(" px"))
        self.max_px.setEnabled(False)
        self.resize_box.toggled.connect(self.max_px.setEnabled)
        size_row = QHBoxLayout()
        size_row.addWidget(self.resize_box)
        size_row.addWidget(self.max_px)
        size_row.addStretch(1)
        self.originals_note = QLabel(_tr("Otherwise the originals are copied byte for byte, each checked (sha256) "
                                         "after writing."))
        self.originals_note.setWordWrap(True)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = QLabel()
        self.status.setWordWrap(True)

        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton(_tr("Export"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)

        form = QFormLayout()
        form.addRow(_tr("Export to:"), where)
        form.addRow("", self.sidecars)
        form.addRow("", size_row)
        form.addRow("", self.originals_note)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_tr("<b>{name}</b>").format(name=source.name)))
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    # -- choosing ---------------------------------------------------------------------------------------------
    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _tr("Export to Folder"), str(Path(self.destination.text()).parent))
        if folder:
            self.destination.setText(folder)

    def _choose_zip(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, _tr("Export to .zip"), self.destination.text() + ".zip",
                                              _tr("Zip archives") + " (*.zip)")
        if path:
            self.destination.setText(path if path.lower().endswith(".zip") else path + ".zip")

    # -- running ----------------------------------------------------------------------------------------------
    def start(self) -> None:
        if self.running:
            return
        destination = self.destination.text().strip()
        if not destination:
            self.status.setText(_tr("Choose a folder or a .zip file to export to."))
            return
        from app.core.exchange.export import Exporter

        library, source, cancel, progress = self.library, self.source, self._cancel, self._progress
        sidecars, max_size = self.sidecars.isChecked(), self.max_px.value() if self.resize_box.isChecked() else None

        def work():
            ids, name = source.photo_ids(library)
            exporter = Exporter(library, sidecars=sidecars, max_size=max_size, album_name=name,
                                progress=lambda done, total: progress.moved.emit(done, total),
                                cancelled=cancel.is_set)
            return exporter.export(ids, destination)

        self.running = True
        self._cancel.clear()
        self.summary = None
        self.export_button.setEnabled(False)
        for widget in (self.destination, self.sidecars, self.resize_box, self.max_px):
            widget.setEnabled(False)
        self.status.setText(_tr("Exporting…"))
        self.progress.setRange(0, 0)  # busy until the first file is done
        self.worker.run(work, self._done)

    def cancel(self) -> None:
        """While exporting: stop after the current file. Otherwise: close the dialog."""
        if self.running:
            self._cancel.set()
            self.status.setText(_tr("Cancelling after the current file…"))
        else:
            self.reject()

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        self.status.setText(_tr("{done} of {total} photos…").format(done=f"{done:,}", total=f"{total:,}"))

    def _done(self, summary, error) -> None:
        self.running = False
        self.cancel_button.setText(_tr("Close"))
        self.export_button.setEnabled(True)
        for widget in (self.destination, self.sidecars, self.resize_box):
            widget.setEnabled(True)
        self.max_px.setEnabled(self.resize_box.isChecked())
        self.progress.setRange(0, 1)
        if error is not None:
            self.progress.setValue(0)
            self.status.setText(_tr("Export failed: {error}").format(error=error))
            self.finished_export.emit(None)
            return
        self.summary = summary
        self.progress.setValue(1)
        self.status.setText(describe(summary))
        if self.messages is not None:
            self.messages.info(describe(summary), key="export")
        self.finished_export.emit(summary)

    def reject(self) -> None:
        if self.running:  # closing the window cancels, and waits for the file being written
            self._cancel.set()
            self.worker.wait()
        super().reject()


def describe(summary) -> str:
    """One paragraph for the user: what was written and verified, skipped, failed, or cancelled."""
    parts = [_tr("{written} written and verified (sha256) to {where}").format(
        written=f"{len(summary.written):,}", where=summary.destination)]
    if summary.unchanged:
        parts.append(_tr("{n} already there unchanged").format(n=f"{len(summary.unchanged):,}"))
    if summary.sidecars:
        parts.append(_tr("{n} XMP sidecars").format(n=f"{summary.sidecars:,}"))
    if summary.failed:
        parts.append(_tr("{n} failed: {first}").format(n=len(summary.failed), first=summary.failed[0][1]))
    text = "; ".join(parts) + "."
    if summary.cancelled:
        text += " " + _tr("Cancelled: the files listed are complete; the rest were not started.")
    return text


def ask_export(context, library, source: ExportSource) -> ExportDialog | None:
    """Open the export dialog (not modal: the window stays usable while it runs)."""
    if library is None:
        return None
    dialog = ExportDialog(library, source, context.window, context.messages)
    dialog.setModal(False)
    dialog.show()
    context.window.export_dialog = dialog  # kept for tests and screenshots
    return dialog
