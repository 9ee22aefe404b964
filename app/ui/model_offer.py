"""The box a panel shows when its model is missing: what is missing, Download… and Use files on disk….

The voice-notes panel (speech) and the caption panel both offer the same two ways to get a model and run the
set-up the same way (buttons off while it runs, one message key for its steps, an error kept with its details),
so that is written once here; each panel says what to download or import and what to do once it is ready.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget


def _tr(text: str) -> str:
    return QCoreApplication.translate("ModelOffer", text)


class ModelOffer(QWidget):
    def __init__(self, text: str, on_download: Callable[[], None], on_locate: Callable[[], None], parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        buttons = QHBoxLayout()
        self.download_button = QPushButton(_tr("Download…"))
        self.download_button.clicked.connect(on_download)
        self.locate_button = QPushButton(_tr("Use files on disk…"))
        self.locate_button.clicked.connect(on_locate)
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.locate_button)
        buttons.addStretch(1)
        layout.addWidget(self.label)
        layout.addLayout(buttons)
        self.hide()

    def set_up(self, worker, messages, *, key: str, job: Callable[[], str], started: str, failed: str,
               ready: str, finished: Callable[[bool], None]) -> None:
        """Run `job` (which returns the model id) on `worker`; `failed` takes {error}, `ready` takes {model};
        `finished(ok)` is called on the GUI thread either way."""
        self.download_button.setEnabled(False)
        self.locate_button.setEnabled(False)
        messages.info(started, key=key)

        def done(model_id, error) -> None:
            self.download_button.setEnabled(True)
            self.locate_button.setEnabled(True)
            if error is not None:
                messages.error(failed.format(error=error), error, key=key)
            else:
                messages.info(ready.format(model=model_id), key=key)
            finished(error is None)

        worker.run(job, done)
