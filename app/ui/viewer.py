"""The single-photo viewer: shows the grid thumbnail at once, then the preview, then the full-resolution file.

Each stage is decoded off the GUI thread; arrivals for a photo the user has already left are ignored, and the
next photo's preview is fetched ahead so that the arrow keys feel instant. A video clip plays in a VideoPlayer
(app.ui.video_player) in the canvas's place.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QKeySequence, QPainter, QPen, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStackedWidget, QToolButton, QVBoxLayout, QWidget

from app.ui.grid_model import PhotoGridModel, thumbnail_key
from app.ui.images import ImageLoader, rotated

# Full-resolution decode is capped at this long side: enough for a 4K screen, light on memory for 100 MP files.
FULL_MAX_SIDE = 4096
ZOOM_MIN, ZOOM_MAX, ZOOM_STEP = 0.05, 8.0, 1.25
SLIDESHOW_MS = 4000


class ImageCanvas(QWidget):
    """Paints one image scaled to fit, centred on a dark background, with optional face boxes over it.
    Emits `box_clicked(face_id, global_pos)`."""

    box_clicked = Signal(int, QPoint)
    zoomed = Signal()  # the zoom changed (the viewer's bar says how much)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.image = QImage()
        self.message = ""
        self.rotation = 0  # the shown photo's rotation by the user (degrees clockwise)
        self.source: QImage | None = None
        self.zoom: float | None = None
        self.pan = QPointF(0, 0)
        self.photo_size = QSize()
        self.boxes: list[tuple[int, QRectF, str]] = []  # face id, box as fractions of the picture, label
        self.setMinimumSize(QSize(200, 150))

    def set_boxes(self, boxes: list[tuple[int, QRectF, str]]) -> None:
        self.boxes = list(boxes)
        self.update()

    def image_rect(self) -> QRectF:
        """Where the image is drawn (fitted or zoomed, panned)."""
        shown = self._photo_size() * self.scale()
        return QRectF((self.width() - shown.width()) / 2 + self.pan.x(),
                      (self.height() - shown.height()) / 2 + self.pan.y(), shown.width(), shown.height())

    def box_rect(self, fraction: QRectF) -> QRectF:
        """A face box (fractions of the upright photo) on screen, turned with the user's rotation."""
        x, y, w, h = fraction.x(), fraction.y(), fraction.width(), fraction.height()
        turn = self.rotation % 360
        if turn == 90:
            x, y, w, h = 1 - y - h, x, h, w
        elif turn == 180:
            x, y = 1 - x - w, 1 - y - h
        elif turn == 270:
            x, y, w, h = y, 1 - x - w, h, w
        r = self.image_rect()
        return QRectF(r.x() + x * r.width(), r.y() + y * r.height(), w * r.width(), h * r.height())

    def set_image(self, image: QImage | None, message: str = "") -> None:
        self.source = image  # as decoded, before the user's rotation
        self.image = rotated(image, self.rotation) if image is not None else QImage()
        self.message = message
        self.update()

    # -- zoom and pan: `zoom` is screen pixels per pixel of the photo (1.0 is 1:1); None fits the window --------
    def set_photo_size(self, width: int | None, height: int | None) -> None:
        """The photo's full size as shown (after EXIF and the user's rotation), so 1:1 means the photo's own
        pixels whichever stage (thumbnail, preview, full) is on screen; a new photo starts fitted."""
        self.photo_size = QSize(width or 0, height or 0)
        self.zoom = None
        self.pan = QPointF(0, 0)
        self.zoomed.emit()

    def _photo_size(self) -> QSize:
        size = getattr(self, "photo_size", QSize())
        if size.isEmpty() or self.image.isNull():
            return self.image.size()
        if (size.width() > size.height()) != (self.image.width() > self.image.height()):
            size = size.transposed()  # the stored size does not know the user's rotation
        return size

    def fit_scale(self) -> float:
        """Screen pixels per photo pixel when the whole photo fits (never enlarged beyond 1:1)."""
        photo = self._photo_size()
        if photo.isEmpty():
            return 1.0
        return min(1.0, self.width() / photo.width(), self.height() / photo.height())

    def scale(self) -> float:
        return self.fit_scale() if getattr(self, "zoom", None) is None else self.zoom

    def set_zoom(self, zoom: float | None) -> None:
        self.zoom = None if zoom is None else max(ZOOM_MIN, min(ZOOM_MAX, zoom))
        if self.zoom is None or self.zoom <= self.fit_scale():
            self.pan = QPointF(0, 0)
        self._clamp_pan()
        self.update()
        self.zoomed.emit()

    def zoom_by(self, factor: float) -> None:
        zoom = self.scale() * factor
        self.set_zoom(None if zoom <= self.fit_scale() else zoom)

    def toggle_one_to_one(self) -> None:
        """Z: 1:1 from fitted, fitted from any zoom."""
        self.set_zoom(1.0 if getattr(self, "zoom", None) is None else None)

    def _clamp_pan(self) -> None:
        photo = self._photo_size() * self.scale()
        limit_x = max(0.0, (photo.width() - self.width()) / 2)
        limit_y = max(0.0, (photo.height() - self.height()) / 2)
        self.pan = QPointF(max(-limit_x, min(limit_x, self.pan.x())), max(-limit_y, min(limit_y, self.pan.y())))

    def event(self, event) -> bool:
        """Pinch on a trackpad (macOS, Wayland) zooms like the wheel."""
        if event.type() == QEvent.Type.NativeGesture and event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture:
            self.zoom_by(1.0 + event.value())
            return True
        return super().event(event)

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(ZOOM_STEP ** steps)
        event.accept()

    def mousePressEvent(self, event) -> None:
        if not self.image.isNull():
            for face_id, fraction, _label in self.boxes:
                if self.box_rect(fraction).contains(event.position()):
                    self.box_clicked.emit(face_id, event.globalPosition().toPoint())
                    event.accept()
                    return
        self._drag = event.position()
        if getattr(self, "zoom", None) is not None:
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event) -> None:
        start = getattr(self, "_drag", None)
        if start is not None and getattr(self, "zoom", None) is not None:
            self.pan += event.position() - start
            self._drag = event.position()
            self._clamp_pan()
            self.update()

    def mouseReleaseEvent(self, event) -> None:
        self._drag = None
        self.unsetCursor()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(24, 24, 26))
        if not self.image.isNull():
            shown = self._photo_size() * self.scale()
            x = (self.width() - shown.width()) / 2 + self.pan.x()
            y = (self.height() - shown.height()) / 2 + self.pan.y()
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(QRectF(x, y, shown.width(), shown.height()), self.image)
        if self.boxes and not self.image.isNull():
            for _face_id, fraction, label in self.boxes:
                rect = self.box_rect(fraction)
                painter.setPen(QPen(QColor(255, 210, 60), 2))
                painter.drawRect(rect)
                text_rect = painter.fontMetrics().boundingRect(label).adjusted(-4, -2, 4, 2)
                text_rect.moveTopLeft(rect.bottomLeft().toPoint() + QPoint(0, 3))
                painter.fillRect(text_rect, QColor(0, 0, 0, 170))
                painter.setPen(QColor(255, 255, 255))
                painter.drawText(text_rect, Qt.AlignmentFlag.AlignCenter, label)
        if self.message:
            painter.setPen(QColor(220, 220, 220))
            painter.drawText(self.rect().adjusted(12, 12, -12, -12), Qt.AlignmentFlag.AlignBottom, self.message)


class ViewerPage(QWidget):
    """Emits `closed(row)` on Esc / Back so the grid can select where the user ended up."""

    closed = Signal(int)
    row_changed = Signal(int)

    def __init__(self, model: PhotoGridModel | None, grid_loader: ImageLoader, parent=None):
        super().__init__(parent)
        self.model = model
        self.grid_loader = grid_loader
        self.loader = ImageLoader(threads=1, cache_bytes=160 * 1024 * 1024, max_wanted=8, parent=self)
        self.loader.image_ready.connect(self._on_image_ready)
        self.row = -1
        self._stage = 0  # 0 thumbnail, 1 preview, 2 full resolution
        self._shown_id: int | None = None
        self.slideshow = QTimer(self, interval=SLIDESHOW_MS, timeout=self._slideshow_step)

        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 4)
        self.back = QToolButton(text=self.tr("← Back"), toolTip=self.tr("Back to the grid (Esc)"), autoRaise=True)
        self.back.clicked.connect(self.close_viewer)
        self.prev_button = QToolButton(text="‹", toolTip=self.tr("Previous photo (Left)"), autoRaise=True)
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button = QToolButton(text="›", toolTip=self.tr("Next photo (Right)"), autoRaise=True)
        self.next_button.clicked.connect(lambda: self.step(1))
        self.title = QLabel()
        self.position = QLabel()
        # Face boxes with names: shown when a view provides them (People); clicking one names it.
        self.faces_button = QToolButton(text=self.tr("Faces"), toolTip=self.tr("Show face boxes with names"),
                                        checkable=True, autoRaise=True)
        self.faces_button.hide()
        # What the keys do, where a new user sees it: the zoom (click: 1:1 / fit) and the slideshow.
        self.zoom_button = QToolButton(text=self.tr("Fit"), autoRaise=True, toolTip=self.tr(
            "1:1 or fit (Z); zoom with + and −, the wheel or a pinch, drag to pan"))
        self.slideshow_button = QToolButton(text=self.tr("▶ Slideshow"), checkable=True, autoRaise=True,
                                            toolTip=self.tr("Start or pause the slideshow (Space); its interval "
                                                            "is in Settings"))
        for widget in (self.back, self.prev_button, self.next_button):
            bar.addWidget(widget)
        bar.addWidget(self.title, 1)
        bar.addWidget(self.faces_button)
        bar.addWidget(self.zoom_button)
        bar.addWidget(self.slideshow_button)
        bar.addWidget(self.position)

        self.canvas = ImageCanvas()  # details show in the window's info panel, which follows row_changed
        self.canvas.zoomed.connect(self._show_zoom)
        self.zoom_button.clicked.connect(self.canvas.toggle_one_to_one)
        self.slideshow_button.clicked.connect(lambda: self.toggle_slideshow())
        self.video_player = None  # made when the first clip is shown (QtMultimedia loads then)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.canvas)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.stack, 1)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close_viewer,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def set_model(self, model: PhotoGridModel | None) -> None:
        self.model = model
        self.row = -1

    # -- navigation ---------------------------------------------------------------------------------------
    def show_row(self, row: int) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        self.row = row
        info = self.model.info(row)
        count = self.model.rowCount()
        self.position.setText(self.tr("{row} of {count}").format(row=f"{row + 1:,}", count=f"{count:,}"))
        self.prev_button.setEnabled(row > 0)
        self.next_button.setEnabled(row < count - 1)
        if info is None:
            self.title.setText(self.tr("This photo is no longer in the library"))
            self.canvas.set_image(None)
            return
        self.title.setText(Path(info.path).name if info.path else self.tr("Photo {id}").format(id=info.id))
        self._show_media(info)
        self.canvas.rotation = info.rotation
        if self.canvas.source is None or self._shown_id != info.id:
            self.canvas.set_photo_size(info.width, info.height)  # a new photo starts fitted
        self._shown_id = info.id
        self._stage = 0
        self.canvas.set_boxes([])  # the new photo's come from whoever listens to row_changed
        self.canvas.set_image(self.grid_loader.cached(thumbnail_key(info.id)))
        for stage in (2, 1):  # the best image already in memory wins
            cached = self.loader.cached(self._key(stage, info.id))
            if cached is not None and not cached.isNull():
                self._stage = stage
                self.canvas.set_image(cached)
                break
        if self._stage < 1:
            self.loader.request(self._key(1, info.id), info.preview, None)
        elif self._stage < 2:
            self._request_full(info)
        if row + 1 < count:  # read ahead
            following = self.model.info(row + 1)
            if following is not None:
                self.loader.request(self._key(1, following.id), following.preview, None)
        self.row_changed.emit(row)

    def step(self, delta: int) -> None:
        self.show_row(max(0, min(self.model.rowCount() - 1, self.row + delta)))

    def close_viewer(self) -> None:
        self.stop_slideshow()
        self._show_media(None)
        self.closed.emit(self.row)

    # -- video clips --------------------------------------------------------------------------------------
    @staticmethod
    def _is_video(info) -> bool:
        return getattr(info, "media", "photo") == "video"

    def _show_media(self, info) -> None:
        """A clip plays in the player (its poster stays on the canvas behind); anything else stops it."""
        present = [p for p in info.paths if p not in info.missing_paths] if info is not None else []
        if info is None or not self._is_video(info) or not present:
            if self.video_player is not None:
                self.video_player.stop()
            self.stack.setCurrentWidget(self.canvas)
            return
        if self.video_player is None:
            from app.ui.video_player import VideoPlayer

            self.video_player = VideoPlayer()
            self.stack.addWidget(self.video_player)
        self.stack.setCurrentWidget(self.video_player)
        self.video_player.load(present[0], autoplay=not self.slideshow.isActive())

    # -- slideshow (space starts and pauses it) -----------------------------------------------------------
    def toggle_slideshow(self) -> None:
        if self.slideshow.isActive():
            self.stop_slideshow()
        else:
            self.slideshow.start()
            self.slideshow_button.setChecked(True)
            self.position.setText(self.position.text().split("  ")[0] + "  " + self.tr("▶ slideshow"))

    def stop_slideshow(self) -> None:
        self.slideshow.stop()
        self.slideshow_button.setChecked(False)
        self.position.setText(self.position.text().split("  ")[0])

    def _show_zoom(self) -> None:
        zoom = self.canvas.zoom
        self.zoom_button.setText(self.tr("Fit") if zoom is None else f"{round(zoom * 100)}%")

    def _slideshow_step(self) -> None:
        if self.model is None or self.row >= self.model.rowCount() - 1:
            self.stop_slideshow()  # the end: stay on the last photo
            return
        self.step(1)
        self.position.setText(self.position.text() + "  " + self.tr("▶ slideshow"))

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key == Qt.Key.Key_Space and self.stack.currentWidget() is self.video_player:
            self.video_player.toggle_play()
        elif key == Qt.Key.Key_Space:
            self.toggle_slideshow()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.canvas.zoom_by(ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.canvas.zoom_by(1 / ZOOM_STEP)
        elif key == Qt.Key.Key_Z:
            self.canvas.toggle_one_to_one()
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            self.step(1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Up, Qt.Key.Key_Backspace, Qt.Key.Key_PageUp):
            self.step(-1)
        elif key == Qt.Key.Key_Home:
            self.show_row(0)
        elif key == Qt.Key.Key_End:
            self.show_row(self.model.rowCount() - 1)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    # -- images arriving ----------------------------------------------------------------------------------
    @staticmethod
    def _key(stage: int, photo_id: int) -> tuple[str, int]:
        return ("preview" if stage == 1 else "full", photo_id)

    def _request_full(self, info) -> None:
        if self._is_video(info):
            return  # the player shows the clip itself
        present = [p for p in info.paths if p not in info.missing_paths]
        if present:
            self.loader.request(self._key(2, info.id), present[0], FULL_MAX_SIDE)

    def _on_image_ready(self, key) -> None:
        if self.model is None or self.row < 0 or self.row >= self.model.rowCount():
            return
        info = self.model.info(self.row)
        if info is None or key[1] != info.id:
            return  # read-ahead, or a photo the user already left
        stage = 1 if key[0] == "preview" else 2
        image = self.loader.cached(key)
        if image is not None and not image.isNull() and stage > self._stage:
            self._stage = stage
            self.canvas.set_image(image)
        elif stage == 2 and self._stage < 2 and (image is None or image.isNull()):
            self.canvas.set_image(self.canvas.source, self.tr("The original file cannot be shown here; this is the preview."))
        if stage == 1:
            self._request_full(info)
