"""The header over an album's or an event's photos: its summary line (dates · places · people · words) and a few
representative photos (app.core.summaries). The summary is computed on the window's reader thread; a click on a
representative photo opens it in the viewer."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSize, Qt, Signal
from PySide6.QtGui import QFont, QIcon, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from app.ui.grid_model import thumbnail_key

PICTURE = QSize(112, 84)
KEEP = 4  # representative photos shown (app.core.summaries.MAX_PICKS)


def _tr(text: str) -> str:
    return QCoreApplication.translate("SummaryBar", text)


def read_summary(library, kind: str, key: int):
    """On the reader thread: (kind, key, Summary, {photo id: thumbnail path}) of an album or an event; the
    summary is None for an album or event that is gone (the grid says so already)."""
    from app.core.albums.service import AlbumError
    from app.core.events.service import EventError
    from app.core.summaries import summarise_album, summarise_event

    try:
        summary = summarise_album(library, key) if kind == "album" else summarise_event(library, key)
    except (AlbumError, EventError):
        return kind, key, None, {}
    thumbs = {info.id: info.thumbnail for info in library.photos.get_many(summary.representatives)}
    return kind, key, summary, thumbs


def open_photo(context, photo_id: int) -> None:
    """Show `photo_id` in the viewer, if the grid (the album's or event's photos) holds it."""
    browser = context.browser
    row = browser.model.row_of(photo_id) if browser.model is not None else None
    if row is not None:
        browser.open_viewer(row)


class SummaryBar(QWidget):
    """`photo_clicked(photo_id)` when a representative photo is clicked."""

    photo_clicked = Signal(int)

    def __init__(self, loader, parent=None):
        super().__init__(parent)
        self.loader = loader
        self.shown: tuple[str, int] | None = None  # (kind, id) whose summary is on show
        self.text = QLabel()
        self.text.setObjectName("summaryText")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont(self.text.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.text.setFont(font)
        self.how = QLabel()
        self.how.setWordWrap(True)
        self.how.setEnabled(False)  # the dimmed colour of secondary text
        self.pictures: list[QToolButton] = []
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        for _ in range(KEEP):
            button = QToolButton(autoRaise=True)
            button.setIconSize(PICTURE)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            button.clicked.connect(lambda _=False, b=button: self._clicked(b))
            button.hide()
            row.addWidget(button)
            self.pictures.append(button)
        row.addWidget(self.how, 1, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 4)
        layout.setSpacing(4)
        layout.addWidget(self.text)
        layout.addLayout(row)
        self._placeholder = QPixmap(PICTURE)
        self._placeholder.fill(self.palette().alternateBase().color().darker(108))
        loader.image_ready.connect(self._on_image_ready)

    def show_reading(self, kind: str, key: int) -> None:
        if self.shown != (kind, key):  # a refresh of the same summary keeps the old one until the new one comes
            self.shown = (kind, key)
            self.text.setText(_tr("Summarising…"))
            self.how.clear()
            for button in self.pictures:
                button.hide()

    def show_summary(self, kind: str, key: int, summary, thumbs: dict[int, str]) -> None:
        self.shown = (kind, key)
        if summary is None:
            self.show_error("")
            return
        self.text.setText(summary.text if summary.photo_count else _tr("No photos yet."))
        if summary.method == "clip-kmedoids":
            self.how.setText(_tr("Representative photos: the centres of groups of look-alike photos "
                                 "(k-medoids over their image vectors)."))
        elif summary.representatives:
            self.how.setText(_tr("Photos spread over the time span (no image vectors yet, so look-alikes "
                                 "cannot be grouped)."))
        else:
            self.how.clear()
        for i, button in enumerate(self.pictures):
            photo_id = summary.representatives[i] if i < len(summary.representatives) else None
            button.setProperty("photo_id", photo_id)
            button.setVisible(photo_id is not None)
            if photo_id is not None:
                path = thumbs.get(photo_id)
                self._set_picture(button, self.loader.image(thumbnail_key(photo_id), path) if path else None)
                button.setToolTip(_tr("Open this photo"))

    def show_error(self, text: str) -> None:
        self.text.setText(text)
        self.how.clear()
        for button in self.pictures:
            button.hide()

    def picture_ids(self) -> list[int]:
        return [b.property("photo_id") for b in self.pictures if not b.isHidden() and b.property("photo_id")]

    def _set_picture(self, button: QToolButton, image) -> None:
        if image is None or image.isNull():
            button.setIcon(QIcon(self._placeholder))
            return
        pixmap = QPixmap.fromImage(image).scaled(PICTURE, Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation)
        button.setIcon(QIcon(pixmap))

    def _on_image_ready(self, key) -> None:
        if isinstance(key, tuple) and key[0] == "grid":
            for button in self.pictures:
                if not button.isHidden() and button.property("photo_id") == key[1]:
                    self._set_picture(button, self.loader.cached(key))

    def _clicked(self, button: QToolButton) -> None:
        photo_id = button.property("photo_id")
        if photo_id:
            self.photo_clicked.emit(int(photo_id))
