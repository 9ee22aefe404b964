"""The thumbnail grid: a QListView in wrapping list mode with uniform cells, and a delegate that paints them.

List mode with `uniformItemSizes` lays out 100,000 cells arithmetically (icon mode would store a rectangle per
item), so opening and scrolling do not depend on the library's size. The delegate paints a placeholder until
the image loader delivers the thumbnail.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QKeySequence, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QStyle, QStyledItemDelegate

from app.ui.badges import paint_edit_badges, paint_video_badge
from app.ui.format import month_label
from app.ui.grid_model import InfoRole, ThumbnailRole

MIN_SIZE, MAX_SIZE, ZOOM_STEP = 96, 384, 32
DEFAULT_SIZE = 192
CELL_MARGIN = 4


class ThumbnailDelegate(QStyledItemDelegate):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.thumbnail_size = DEFAULT_SIZE
        self.cell_size = 0  # the grid's cell, widened to fill the row (0: thumbnail and margins)

    def sizeHint(self, option, index) -> QSize:
        side = self.cell_size or self.thumbnail_size + 2 * CELL_MARGIN
        return QSize(side, side)

    def paint(self, painter: QPainter, option, index: QModelIndex) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = option.palette
        cell = QRect(option.rect).adjusted(CELL_MARGIN, CELL_MARGIN, -CELL_MARGIN, -CELL_MARGIN)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)

        image = index.data(ThumbnailRole)
        target = cell  # where the picture is: badges sit on it
        if image is not None and not image.isNull():
            target = _fit(image.size(), cell)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, image)
        else:
            path = QPainterPath()
            path.addRoundedRect(QRectF(cell), 6, 6)
            painter.fillPath(path, palette.color(QPalette.ColorRole.AlternateBase).darker(108))
            if image is not None:  # loaded but unreadable: say so instead of waiting forever
                painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
                painter.drawText(cell, Qt.AlignmentFlag.AlignCenter, self.tr("no thumbnail"))

        info = index.data(InfoRole)
        if info is not None and len(info.paths) > 1:
            _badge(painter, cell, f"×{len(info.paths)}", palette)
        if info is not None:
            paint_edit_badges(painter, target, info)
            paint_video_badge(painter, target, info)

        if selected:
            pen = QPen(palette.color(QPalette.ColorRole.Highlight), 3)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(cell).adjusted(-1.5, -1.5, 1.5, 1.5), 6, 6)
        elif option.state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 1, Qt.PenStyle.DotLine))
            painter.drawRect(cell.adjusted(-2, -2, 1, 1))
        painter.restore()


def _fit(size: QSize, cell: QRect) -> QRect:
    scaled = size.scaled(cell.size(), Qt.AspectRatioMode.KeepAspectRatio)
    x = cell.x() + (cell.width() - scaled.width()) // 2
    y = cell.y() + (cell.height() - scaled.height()) // 2
    return QRect(QPoint(x, y), scaled)


def _badge(painter: QPainter, cell: QRect, text: str, palette: QPalette) -> None:
    font = QFont(painter.font())
    font.setBold(True)
    painter.setFont(font)
    metrics = painter.fontMetrics()
    box = QRectF(cell.right() - metrics.horizontalAdvance(text) - 14, cell.top() + 6,
                 metrics.horizontalAdvance(text) + 8, metrics.height() + 2)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 150))
    painter.drawRoundedRect(box, 4, 4)
    painter.setPen(QColor("white"))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


class PhotoGridView(QListView):
    """Emits `open_requested(row)` on double-click or Enter and `zoom_changed(px)`; Ctrl+wheel zooms."""

    open_requested = Signal(int)
    zoom_changed = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        # Lay out the first rows, paint, then the rest in slices: a full layout costs ~60 ms at 100k photos.
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(4000)
        self.setMovement(QListView.Movement.Static)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setDragEnabled(True)  # photos can be dragged onto an album in the sidebar
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setFrameShape(QListView.Shape.NoFrame)
        self._delegate = ThumbnailDelegate(self)
        self.setItemDelegate(self._delegate)
        self.doubleClicked.connect(lambda index: self.open_requested.emit(index.row()))
        self._month = _MonthLabel(self.viewport())
        self.verticalScrollBar().valueChanged.connect(self._show_month)
        self.set_thumbnail_size(DEFAULT_SIZE)

    @property
    def thumbnail_size(self) -> int:
        return self._delegate.thumbnail_size

    def set_thumbnail_size(self, px: int) -> None:
        px = max(MIN_SIZE, min(MAX_SIZE, int(px)))
        self._delegate.thumbnail_size = px
        self._fit_columns()
        if self.currentIndex().isValid():
            self.scrollTo(self.currentIndex())
        self.zoom_changed.emit(px)

    def _fit_columns(self) -> None:
        """As many columns as cells of the chosen size fit, then widen the cells to fill the width exactly:
        no column's worth of empty space at the right edge."""
        base = self._delegate.thumbnail_size + 2 * CELL_MARGIN
        width = self._layout_width()
        columns = max(1, width // base)
        side = max(base, width // columns)
        if self.gridSize() != QSize(side, side):
            self._delegate.cell_size = side  # the thumbnail grows with its cell: the row is filled, not gapped
            self.setGridSize(QSize(side, side))
            self.verticalScrollBar().setSingleStep(side // 3)

    def _layout_width(self) -> int:
        """The width QListView wraps in: the widest the viewport can be, less a scroll bar it may need
        (QListViewPrivate::prepareItemsLayout), less one pixel (a cell wraps when its right edge would pass
        the last pixel, not the edge)."""
        width = self.maximumViewportSize().width()
        bar = self.verticalScrollBar()
        if (self.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAsNeeded
                and not self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollView_ScrollBarOverlap, None, bar)):
            width -= self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, bar)
        return max(1, width - 1)

    def resizeEvent(self, event) -> None:  # also called when the viewport resizes (a scroll bar comes or goes)
        super().resizeEvent(event)
        self._fit_columns()

    def columns(self) -> int:
        """Cells in the first row, as laid out."""
        model = self.model()
        if model is None or not model.rowCount():
            return 0
        top = self.rectForIndex(model.index(0, 0)).top()
        count = 0
        while count < model.rowCount() and self.rectForIndex(model.index(count, 0)).top() == top:
            count += 1
        return count

    def zoom_in(self) -> None:
        self.set_thumbnail_size(self.thumbnail_size + ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_thumbnail_size(self.thumbnail_size - ZOOM_STEP)

    def setModel(self, model) -> None:
        super().setModel(model)
        if hasattr(model, "thumbnail_arrived"):
            model.thumbnail_arrived.connect(self._repaint_row)
            model.edited.connect(self.viewport().update)

    def _repaint_row(self, row: int) -> None:
        """Repaint one cell if it is on screen (see PhotoGridModel.thumbnail_arrived for why not dataChanged)."""
        rect = self.visualRect(self.model().index(row, 0))
        if rect.isValid() and rect.intersects(self.viewport().rect()):
            self.viewport().update(rect)

    def select_row(self, row: int) -> None:
        """Make `row` the one selected photo. Explicitly ClearAndSelect: `setCurrentIndex` would read the
        keyboard modifiers, and with Ctrl still down from a shortcut (Ctrl+1) it *added* to the selection."""
        index = self.model().index(row, 0)
        self.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def scroll_to_row(self, row: int) -> None:
        """Scroll so `row` is at the top, without touching the selection (navigation is not selection)."""
        index = self.model().index(row, 0)
        self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)
        self.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex().row())
            event.accept()
            return
        if event.matches(QKeySequence.StandardKey.ZoomIn):
            self.zoom_in()
            return
        if event.matches(QKeySequence.StandardKey.ZoomOut):
            self.zoom_out()
            return
        super().keyPressEvent(event)

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom_in() if event.angleDelta().y() > 0 else self.zoom_out()
            event.accept()
            return
        super().wheelEvent(event)

    def _show_month(self) -> None:
        index = self.indexAt(QPoint(CELL_MARGIN + 2, CELL_MARGIN + 2))
        info = index.data(InfoRole) if index.isValid() else None
        if info is not None:
            self._month.flash(month_label(info.taken_at))


class _MonthLabel(QLabel):
    """Shows which month the top of the grid is in while scrolling, then fades out (like a date scrubber)."""

    def __init__(self, parent):
        super().__init__(parent)
        self.setStyleSheet(
            "QLabel { background: rgba(0,0,0,160); color: white; border-radius: 6px; padding: 4px 10px; }"
        )
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hide()
        self._timer = QTimer(self, singleShot=True, interval=900, timeout=self.hide)

    def flash(self, text: str) -> None:
        if text != self.text():
            self.setText(text)
            self.adjustSize()
        parent = self.parentWidget()
        self.move(parent.width() - self.width() - 16, 12)
        self.show()
        self.raise_()
        self._timer.start()
