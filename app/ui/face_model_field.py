"""The Settings dialog's "Face model" choice: the built-in YuNet + SFace or an installed insightface pack.

Choosing one calls `library.people.set_model` (re-scans in the background, names kept: docs/PEOPLE.md). Both the
list (model folders and the library's settings) and the switch run on the window's reader thread.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox

from app.core.people.backends import DEFAULT_MODEL


def _tr(text: str) -> str:
    return QCoreApplication.translate("FaceModelField", text)


def _choices(library) -> tuple[str, list[str]]:
    """(the chosen model, the face models installed), read off the GUI thread."""
    from app.core.ml.faces_insightface import KIND

    chosen = library.people.model_status()["model"]
    return chosen, [m.id for m in library.models.list() if m.kind == KIND and m.installed]


class FaceModelField(QComboBox):
    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window
        self.setEnabled(False)
        self.addItem(_tr("Built-in (YuNet + SFace)"), DEFAULT_MODEL)
        library = window.library
        if library is not None:
            window.reader.read("face-models", lambda: _choices(library), self._filled)

    def _filled(self, result, error) -> None:
        if error is not None or result is None or not shiboken6.isValid(self):
            return  # the dialog may have closed while the list was read
        chosen, installed = result
        for model_id in installed:
            self.addItem(model_id.removeprefix("faces:"), model_id)
        self.setCurrentIndex(max(self.findData(chosen), 0))
        self.setToolTip(_tr("More face models: `shoebox models install faces:buffalo_l`"))
        self.setEnabled(self.count() > 1)
        self.currentIndexChanged.connect(self._chosen)

    def _chosen(self, index: int) -> None:
        model_id, library, bridge = self.itemData(index), self.window.library, self.window.bridge
        model_name = self.itemText(index)  # read now: the dialog may be closed when the switch is done

        def done(queued, error) -> None:
            if error is not None:
                bridge.error(_tr("The face model could not be changed: {error}").format(error=error), error,
                             key="face-model")
            else:
                bridge.info(_tr("Faces are being found again with {model}; names are kept.").format(
                    model=model_name), key="face-model")

        self.window.reader.read("face-model-set", lambda: library.people.set_model(model_id), done)
