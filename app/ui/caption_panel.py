"""The info panel's caption: what the caption model wrote about the current photo (and which model), editable.

A caption the user edits here is theirs: `library.captions.set` marks it edited and no later caption run replaces
it; its words reach search through the database triggers, like any caption. With no caption model the panel says
so and offers to get one (download, or a BLIP folder on disk), the way the voice notes panel does for speech; it
never shows a made-up caption. While the caption chain has not reached the photo yet, it says so.

Reads and writes go through `library.captions` on the reader thread; a caption written by the background worker
shows when the library changes (the window's LibraryWatcher calls `library_changed`).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QSizePolicy, QVBoxLayout, QWidget

from app.ui.model_offer import ModelOffer
from app.ui.panel_write import write_on_reader
from app.ui.text_box import TextBox
from app.ui.workers import Worker


def _tr(text: str) -> str:
    return QCoreApplication.translate("CaptionPanel", text)



class CaptionPanel(QWidget):
    """Tests wait on `loaded_for` (the photo whose caption is shown) and `busy` (writes and set-ups in flight).
    After a read: `caption` (CaptionInfo or None), `model_id` and `model_available` (the library's caption model)."""

    def __init__(self, reader, messages, parent=None):
        super().__init__(parent)
        self.reader, self.messages = reader, messages
        self.library = None
        self.photo_id: int | None = None
        self.loaded_for: int | None = None
        self.busy = 0
        self.caption = None
        self.model_id: str | None = None
        self.model_available = False
        self.setup_worker = Worker(threads=1, parent=self)  # a download takes minutes: never in the reader's way

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        title = QLabel(_tr("Caption"))
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        self.text = TextBox()
        self.text.setTabChangesFocus(True)
        self.text.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 10)
        self.text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.text.left.connect(lambda: self.save(self.text.toPlainText()))
        layout.addWidget(self.text)
        self.source = QLabel()
        self.source.setWordWrap(True)
        self.source.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.source.setStyleSheet("color: gray;")
        layout.addWidget(self.source)

        self.model_box = ModelOffer(_tr("No caption model is installed, so photos get no captions from Shoebox. "
                                        "Download one (needs internet once) or use a BLIP model folder you have "
                                        "(saved with save_pretrained). You can always type a caption yourself."),
                                    self.ask_download, self.choose_model_folder)
        self.model_label = self.model_box.label
        self.download_button, self.locate_button = self.model_box.download_button, self.model_box.locate_button
        layout.addWidget(self.model_box)
        self.setEnabled(False)

    # -- following the library and the current photo ------------------------------------------------------------
    def set_library(self, library) -> None:
        if library is None:
            self.setup_worker.wait()  # a model set-up still running finishes before its library closes
        self.library = library
        self.photo_id = None
        self.loaded_for = None
        self._show(None, None, False)

    def show_info(self, info, selected: int = 1) -> None:
        """Follow the current photo (PhotoBrowser.current_changed)."""
        photo_id = info.id if info is not None and selected <= 1 else None
        if photo_id == self.photo_id:
            return
        if self.photo_id is not None and self.text.hasFocus():
            self.save(self.text.toPlainText())  # typed, then moved on with a key: keep the words
        self.photo_id = photo_id
        self.loaded_for = None  # until its caption is read, nothing typed is saved (for the wrong photo)
        self.refresh()

    def library_changed(self) -> None:
        """Something was committed (a caption arrived, a model was installed): read again."""
        if self.photo_id is not None:
            self.refresh()

    def refresh(self) -> None:
        library, photo_id = self.library, self.photo_id
        self.setEnabled(library is not None and photo_id is not None)
        if library is None or photo_id is None:
            self._show(None, None, False)
            self.loaded_for = None
            return

        def read():
            captions = library.captions
            model_id = captions.model_id()
            return captions.get(photo_id), model_id, captions.folder(model_id) is not None

        def done(result, error) -> None:
            if library is not self.library or photo_id != self.photo_id:
                return
            if error is not None:
                self.messages.error(_tr("The caption could not be read: {error}").format(error=error), error,
                                    key="caption")
                return
            self._show(*result)
            self.loaded_for = photo_id

        self.reader.read("caption", read, done)

    def pending(self) -> bool:
        """The caption model has yet to caption this photo (none yet, or one from an earlier model)."""
        caption = self.caption
        return self.model_available and (caption is None or (not caption.edited and caption.model != self.model_id))

    def _show(self, caption, model_id: str | None, available: bool) -> None:
        self.caption, self.model_id, self.model_available = caption, model_id, available
        self.text.setReadOnly(self.library is None or self.library.read_only)
        text = caption.text if caption is not None else ""
        another_photo = self.photo_id is None or self.loaded_for != self.photo_id  # (loaded_for is set after this)
        if (another_photo or not self.text.hasFocus()) and self.text.toPlainText() != text:
            self.text.setPlainText(text)
        if caption is not None and caption.edited:
            source = _tr("Your words: kept over any captioning")
        elif self.pending():
            source = (_tr("Captioning with {model}…") if caption is None else
                      _tr("By {old}; captioning again with {model}…")).format(
                model=model_id, old=caption.model if caption else "")
        elif caption is not None:
            source = _tr("By {model}; edit it to correct it").format(model=caption.model)
        else:
            source = ""
        self.source.setText(source)
        self.source.setVisible(bool(source))
        self.text.setPlaceholderText(_tr("Captioning…") if self.pending() else _tr("No caption; type one"))
        library = self.library
        self.model_box.setVisible(library is not None and self.photo_id is not None and not available
                                  and not library.read_only)

    # -- editing ------------------------------------------------------------------------------------------------
    def save(self, text: str) -> bool:
        """The user's caption for the current photo (an unchanged text saves nothing)."""
        library, photo_id = self.library, self.photo_id
        if library is None or photo_id is None or self.loaded_for != photo_id:
            return False
        if text.strip() == (self.caption.text if self.caption is not None else "").strip():
            return False
        return write_on_reader(self, "caption", lambda lib: lib.captions.set(photo_id, text),
                               read_only=_tr("This library is open read-only: captions cannot be changed."),
                               failure=_tr("The caption could not be saved: {error}"))

    # -- the caption model --------------------------------------------------------------------------------------
    def ask_download(self) -> None:
        from app.core.captions.service import DEFAULT_CAPTION_MODEL
        from app.core.ml.registry import CATALOG

        if self.library is None:
            return
        size = next((e.size_mb for e in CATALOG if e.id == DEFAULT_CAPTION_MODEL), None)
        name = DEFAULT_CAPTION_MODEL.removeprefix("caption:")
        answer = QMessageBox.question(self, _tr("Download a caption model"), _tr(
            "Download {name} (about {size} MB, needs internet once) to caption your photos on this computer?").format(
            name=name, size=size or "?"))
        if answer == QMessageBox.StandardButton.Yes:
            self.install_model(DEFAULT_CAPTION_MODEL)

    def choose_model_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _tr("Folder of a BLIP caption model (saved with "
                                                            "save_pretrained)"))
        if folder:
            self.import_model(folder)

    def install_model(self, model_id: str) -> None:
        library = self.library
        self._set_up(lambda: library.captions.install(model_id, progress=self._progress),
                     _tr("Downloading the caption model {model}…").format(model=model_id))

    def import_model(self, folder: "str | Path") -> None:
        library = self.library
        self._set_up(lambda: library.captions.import_model(folder),
                     _tr("Installing the caption model in {folder}…").format(folder=folder))

    def _progress(self, text: str) -> None:
        self.messages.info(_tr("Caption model: {step}").format(step=text), key="caption-model")  # any thread

    def _set_up(self, job, started: str) -> None:
        library = self.library
        if library is None:
            return
        self.busy += 1

        def set_up():
            model_id = job()
            library.captions.schedule()  # the caption chain starts on the background worker
            return model_id

        def finished(ok: bool) -> None:
            self.busy -= 1
            if ok and library is self.library:
                self.refresh()

        self.model_box.set_up(self.setup_worker, self.messages, key="caption-model", job=set_up, started=started,
                              failed=_tr("The caption model could not be set up: {error}"),
                              ready=_tr("Caption model {model} is ready; your photos are being captioned."),
                              finished=finished)
