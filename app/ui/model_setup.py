"""Setting up smart search from the window: download the default model (asked first, with its size) or point
at model files already on disk. Both run on a worker; nothing is ever fetched without the user's click."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from app.ui.messages import MessageBridge
from app.ui.workers import Worker


class ModelSetup(QObject):
    """Tells the user how the set-up goes through the message bridge; emits `installed(model_id)` at the end."""

    installed = Signal(str)
    _progress_text = Signal(str)  # from the worker thread, queued to the GUI thread

    def __init__(self, parent: QWidget, messages: MessageBridge):
        super().__init__(parent)
        self._parent = parent
        self.messages = messages
        self._progress_text.connect(lambda text: self.messages.info(text, key="model-setup"))
        self.library = None
        self.worker = Worker(threads=1, parent=self)
        self.busy = False

    def set_library(self, library) -> None:
        self.library = library

    def ask(self) -> None:
        """Offer the two ways to get a model."""
        if self.library is None or self.busy:
            return
        from app.core.ml.registry import CATALOG, DEFAULT_MODEL_ID

        entry = next(e for e in CATALOG if e.id == DEFAULT_MODEL_ID)
        box = QMessageBox(self._parent)
        box.setWindowTitle("Set up smart search")
        box.setText("Smart search needs an image-text model on this computer.")
        box.setInformativeText(
            f"Download {entry.id} (about {entry.size_mb} MB, needs internet once), or use model files you already "
            "have: a folder exported by Shoebox or an open_clip model folder."
        )
        download = box.addButton("Download…", QMessageBox.ButtonRole.AcceptRole)
        locate = box.addButton("Use files on disk…", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is download:
            self.download(entry.id)
        elif box.clickedButton() is locate:
            folder = QFileDialog.getExistingDirectory(self._parent, self.tr("Folder with the model files"))
            if folder:
                self.import_folder(Path(folder))

    def download(self, model_id: str) -> None:
        models = self.library.models
        self._run(lambda: models.install(model_id, progress=self._progress),
                  self.tr("Downloading {model}…").format(model=model_id))

    def import_folder(self, folder: Path) -> None:
        models = self.library.models
        self._run(lambda: models.import_path(folder, progress=self._progress),
                  self.tr("Installing the model in {folder}…").format(folder=folder))

    def _progress(self, text: str) -> None:
        self._progress_text.emit(self.tr("Model set-up: {step}").format(step=text))

    def _run(self, job, started: str) -> None:
        self.busy = True
        self.messages.info(started, key="model-setup")
        library = self.library

        def done(info, error) -> None:
            self.busy = False
            if error is not None:
                self.messages.error(self.tr("The model could not be set up: {error}").format(error=error), error,
                                    key="model-setup")
                return
            self.messages.info(self.tr("Smart search model {model} is installed; your photos are being analysed.")
                               .format(model=info.id), key="model-setup")
            self.worker.run(library.search.schedule_embedding, lambda _id, _error: None)  # reads: off the GUI
            self.installed.emit(info.id)

        self.worker.run(job, done)
