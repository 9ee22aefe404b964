"""The info panel's "Details" section, collapsed by default: the RGB histogram of the photo and every EXIF tag of
its original. Read off the GUI thread (app.core.details) only while the section is open."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolButton, QVBoxLayout, QWidget


def _tr(text: str) -> str:
    return QCoreApplication.translate("DetailsPanel", text)


class Histogram(QWidget):
    COLOURS = (QColor(230, 60, 60, 120), QColor(60, 200, 60, 120), QColor(70, 110, 240, 120))

    def __init__(self, parent=None):
        super().__init__(parent)
        self.channels: list[list[int]] | None = None
        self.setMinimumHeight(70)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(200, 80)

    def set_channels(self, channels) -> None:
        self.channels = channels
        self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(30, 30, 32))
        if not self.channels:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # Scaled to the second-highest peak of all: one clipped value (a white sky) would flatten the rest.
        peak = max(1, sorted(v for channel in self.channels for v in channel)[-2])
        w, h = self.width(), self.height()
        for channel, colour in zip(self.channels, self.COLOURS):
            path = QPainterPath()
            path.moveTo(0, h)
            for i, count in enumerate(channel):
                path.lineTo(i * w / 255, h - min(1.0, count / peak) * (h - 2))
            path.lineTo(w, h)
            painter.fillPath(path, colour)


class DetailsPanel(QWidget):
    def __init__(self, reader, parent=None):
        super().__init__(parent)
        self.reader = reader
        self.info = None
        self.toggle = QToolButton(text=_tr("Details"), checkable=True, autoRaise=True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.toggled.connect(self._toggled)
        self.histogram = Histogram()
        self.tags = QLabel()
        self.tags.setWordWrap(True)
        self.tags.setTextFormat(Qt.TextFormat.RichText)
        self.tags.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.tags.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.body = QWidget()
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.histogram)
        body.addWidget(self.tags)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.body)
        self.body.hide()
        self.loaded_for: int | None = None  # the photo whose details are shown (tests wait on it)

    def show_info(self, info, _selected: int = 1) -> None:
        self.info = info
        if self.toggle.isChecked():
            self._load()

    def _toggled(self, open_: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if open_ else Qt.ArrowType.RightArrow)
        self.body.setVisible(open_)
        if open_:
            self._load()

    def _load(self) -> None:
        info = self.info
        if info is None:
            self.histogram.set_channels(None)
            self.tags.setText("")
            self.loaded_for = None
            return
        from app.core.details import exif_tags, histogram

        present = [p for p in info.paths if p not in info.missing_paths]
        preview, original = info.preview, present[0] if present else None

        def read():
            return histogram(preview), exif_tags(original) if original else []

        def done(result, error, photo_id=info.id) -> None:
            if self.info is None or self.info.id != photo_id:
                return
            channels, tags = result if error is None else (None, [])
            self.histogram.set_channels(channels)
            rows = "".join(f"<tr><td style='color:gray; padding-right:6px'>{_esc(k)}</td><td>{_esc(v)}</td></tr>"
                           for k, v in tags)
            self.tags.setText(f"<table>{rows}</table>" if rows else _tr("No EXIF data in the file."))
            self.loaded_for = photo_id

        self.reader.read("details", read, done)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
