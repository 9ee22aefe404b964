"""The thumbnail grid: uniform cells in date groups, each under a header row (date, place, count), and a
delegate that paints the cells.

The view lays the cells out arithmetically: each group (a day, or a month when zoomed out; app.core.timeline
works them out off the GUI thread) starts on a new line under its header, so the whole layout is one list of
group tops, and finding what is on screen is a bisection: opening and scrolling do not depend on the
library's size. Headers are painted bands, not widgets; the current group's header stays pinned at the top
while scrolling, and clicking a header asks to filter to its period. The delegate paints a placeholder until
the image loader delivers the thumbnail.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import accumulate

from PySide6.QtCore import (QItemSelection, QItemSelectionModel, QModelIndex, QPoint, QRect, QRectF,
                            QSize, Qt, QTimer, Signal)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeySequence, QPainter, QPainterPath, QPalette, QPen, QRegion
from PySide6.QtWidgets import QAbstractItemView, QLabel, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app.core.timeline import DateGroup, Groups, Timeline
from app.ui import format as fmt
from app.ui.badges import paint_edit_badges, paint_video_badge
from app.ui.format import month_label, period_label
from app.ui.grid_model import InfoRole, ThumbnailRole
from app.ui.timeline_bar import TimelineBar

MIN_SIZE, MAX_SIZE, ZOOM_STEP = 96, 384, 32
DEFAULT_SIZE = 192
CELL_MARGIN = 4
DAY_HEADERS_FROM = 160  # thumbnails at least this big are grouped by day, smaller ones by month,
TIMELINE_FROM_SCREENS = 3  # the timeline strip shows when the photos fill more than this many screens
MANY_GROUPS = 256  # from this many date groups they are kept as columns (timeline.Groups) and laid out with numpy
# Once shown, the strip stays until the photos fill less than this share of that: it takes width from the photos,
# whose cells shrink and the content's height with them, so one threshold for both states would show and hide it
# in turn (each change resizes the viewport and lays out again).
TIMELINE_KEEP = 0.8
DAY_MIN_AVERAGE = 3  # and by day only when days hold this many photos on average (else a header per photo)


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


class PhotoGridView(QAbstractItemView):
    """Emits `open_requested(row)` on double-click or Enter, `zoom_changed(px)` and `period_clicked(period)`
    when a date header is clicked ("2019-07" or "2019-07-14"); Ctrl+wheel zooms.

    The cells are laid out arithmetically, group by group (see the module's docstring), so opening and
    scrolling do not depend on the library's size: the layout is a list of group tops, and finding the rows
    on screen is a bisection."""

    open_requested = Signal(int)
    zoom_changed = Signal(int)
    period_clicked = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._timeline: Timeline | None = None
        self._keeping_top = False  # in _keeping_the_top_row
        self._side = DEFAULT_SIZE + 2 * CELL_MARGIN
        self._columns = 1
        self._groups: list[DateGroup] = []  # the groups laid out (clamped to the rows the model has)
        self._starts: list[int] = []  # first row of each group
        self._tops: list[int] = []  # content y of each group's header
        self._header = 0  # header height (0: no headers)
        self._height = 0
        self._placing_bar = False  # the timeline strip's margin is being changed (which lays out again)
        self._relayout_waits = False  # rows changed during a model's sync: one layout when it is done
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setDragEnabled(True)  # photos can be dragged onto an album in the sidebar
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setFrameShape(QAbstractItemView.Shape.NoFrame)
        self.setMouseTracking(False)
        self._delegate = ThumbnailDelegate(self)
        self.setItemDelegate(self._delegate)
        self.doubleClicked.connect(self._double_clicked)
        self._month = _MonthLabel(self.viewport())
        self.verticalScrollBar().valueChanged.connect(self._show_month)
        self.timeline_bar = TimelineBar(self)  # beside the photos, when there are enough of them to scrub
        self.timeline_bar.hide()
        self.timeline_bar.jump.connect(self._jump)
        self.verticalScrollBar().valueChanged.connect(
            lambda value: self.timeline_bar.set_position(value, self.viewport().height()))
        self.set_thumbnail_size(DEFAULT_SIZE)

    # -- size and layout -----------------------------------------------------------------------------------
    @property
    def thumbnail_size(self) -> int:
        return self._delegate.thumbnail_size

    def set_thumbnail_size(self, px: int) -> None:
        px = max(MIN_SIZE, min(MAX_SIZE, int(px)))
        self._delegate.thumbnail_size = px
        self._relayout()
        if self.currentIndex().isValid():
            self.scrollTo(self.currentIndex())
        self.zoom_changed.emit(px)

    def set_timeline(self, timeline: Timeline | None) -> None:
        """Date groups of the rows shown (None: no headers, e.g. search results or a list sorted by name).
        The photo at the top stays where it is: headers coming or going do not move what the user looks at."""
        self._timeline = timeline
        self._keeping_the_top_row(self._relayout)

    def _keeping_the_top_row(self, relayout) -> None:
        """Run `relayout` with the photo at the top of the view kept there (the pixel offset alone would show
        other photos once the columns or headers change). A relayout nested in one (a viewport margin that
        comes with it resizes the viewport) leaves the keeping to the outer one."""
        if self._keeping_top:
            relayout()
            return
        offset = self.verticalOffset()
        anchor = self._nearest_row(0, offset) if offset > 0 and self.model() is not None else None
        if anchor is not None:
            offset -= self.rectForIndex(self.model().index(anchor, 0)).top()
        self._keeping_top = True
        try:
            relayout()
        finally:
            self._keeping_top = False
        if anchor is not None and anchor < self.model().rowCount():
            self.verticalScrollBar().setValue(self.rectForIndex(self.model().index(anchor, 0)).top() + offset)

    def groups(self) -> list[DateGroup]:
        """The groups with a header, as laid out now: by day from DAY_HEADERS_FROM px thumbnails (and
        DAY_MIN_AVERAGE photos a day), else by month."""
        return list(self._groups) if self._header else []

    def gridSize(self) -> QSize:  # noqa: N802 - Qt's name, as QListView had it
        return QSize(self._side, self._side)

    def columns(self) -> int:
        return self._columns if self.model() is not None and self.model().rowCount() else 0

    def _relayout(self) -> None:
        """As many columns as cells of the chosen size fit, the cells widened to fill the width exactly (no
        column's worth of empty space at the right edge), and the groups' tops. O(number of groups)."""
        base = self._delegate.thumbnail_size + 2 * CELL_MARGIN
        width = max(1, self.viewport().width() - 1)  # a cell wraps when its right edge would pass the last pixel
        self._columns = max(1, width // base)
        self._side = max(base, width // self._columns)
        self._delegate.cell_size = self._side  # the thumbnail grows with its cell: the row is filled, not gapped
        rows = self.model().rowCount() if self.model() is not None else 0
        timeline = self._timeline
        groups, starts = [], []
        if timeline is not None and rows:
            by_day = self._delegate.thumbnail_size >= DAY_HEADERS_FROM and len(timeline.days) * DAY_MIN_AVERAGE <= rows
            groups, starts = _groups_within(timeline.days if by_day else timeline.months, rows)
        self._header = _header_height(self.font()) if groups else 0
        if not groups:
            groups, starts = [DateGroup(0, rows, "")], [0]
        self._groups, self._starts = groups, starts
        self._tops, self._height = _tops(groups, self._header, self._columns, self._side)
        self._place_timeline_bar(timeline, rows)
        self.verticalScrollBar().setSingleStep(max(1, self._side // 3))
        self._update_scroll_bar()
        self.viewport().update()

    def _place_timeline_bar(self, timeline: Timeline | None, rows: int) -> None:
        """The timeline strip shows when there are date headers and more than a few screens of photos; the
        photos give it room (viewport margin), so it never covers a cell."""
        bar = self.timeline_bar
        screens = TIMELINE_FROM_SCREENS * (TIMELINE_KEEP if self.viewportMargins().right() else 1.0)
        wanted = bool(self._header) and self._height > screens * max(1, self.viewport().height())
        margin = bar.width() if wanted else 0
        if self.viewportMargins().right() != margin and not self._placing_bar:
            self._placing_bar = True  # the layout this margin causes places the strip by the margin, not anew
            try:
                self.setViewportMargins(0, 0, margin, 0)  # resizes the viewport: lays out again
            finally:
                self._placing_bar = False
        shown = bool(self._header) and self.viewportMargins().right() > 0
        if shown:
            months = [(self._tops[self._group_of_row(m.start)], m) for m in timeline.months if m.start < rows]
            bar.set_months(months, self._height)
        bar.setVisible(shown)
        if shown:
            area = self.viewport().geometry()
            bar.setGeometry(area.right() + 1, area.top(), bar.width(), area.height())
            bar.set_position(self.verticalOffset(), area.height())

    def _jump(self, row: int) -> None:
        if self.model() is not None and 0 <= row < self.model().rowCount():
            self.scroll_to_row(row)

    def _update_scroll_bar(self) -> None:
        bar = self.verticalScrollBar()
        page = self.viewport().height()
        bar.setPageStep(page)
        bar.setRange(0, max(0, self._height - page))

    def _double_clicked(self, index: QModelIndex) -> None:
        self.open_requested.emit(index.row())

    def resizeEvent(self, event) -> None:  # also called when the viewport resizes (a scroll bar comes or goes)
        super().resizeEvent(event)
        self._keeping_the_top_row(self._relayout)

    def setModel(self, model) -> None:  # noqa: N802
        old = self.model()
        if old is not None:
            for signal, slot in ((old.rowsInserted, self._rows_changed), (old.rowsRemoved, self._rows_changed),
                                 (old.layoutChanged, self._rows_changed), (old.modelReset, self._list_replaced)):
                try:
                    signal.disconnect(slot)
                except (RuntimeError, TypeError):
                    pass
        self._timeline = None
        super().setModel(model)
        if model is not None:
            for signal in (model.rowsInserted, model.rowsRemoved, model.layoutChanged):
                signal.connect(self._rows_changed)
            model.modelReset.connect(self._list_replaced)
        if hasattr(model, "thumbnail_arrived"):
            model.thumbnail_arrived.connect(self._repaint_row)
            model.edited.connect(self.viewport().update)
            model.synced.connect(self._sync_done)
        self._relayout_waits = False
        self._relayout()

    def _rows_changed(self, *_args) -> None:
        if getattr(self.model(), "syncing", False):  # one layout after the whole sync, not one per run of rows
            self._relayout_waits = True
            return
        self._relayout()  # the groups are kept (clamped) until the new ones are read

    def _sync_done(self) -> None:
        if self._relayout_waits:
            self._relayout_waits = False
            self._relayout()

    def _list_replaced(self) -> None:
        self._timeline = None  # another list: its groups come when read
        self._relayout()

    # -- geometry: rows <-> positions ------------------------------------------------------------------------
    def _group_of_row(self, row: int) -> int:
        return max(0, bisect_right(self._starts, row) - 1)

    def rectForIndex(self, index: QModelIndex) -> QRect:  # noqa: N802 - content coordinates, as QListView's
        if not index.isValid() or not self._groups:
            return QRect()
        g = self._group_of_row(index.row())
        k = index.row() - self._starts[g]
        return QRect((k % self._columns) * self._side, self._tops[g] + self._header + (k // self._columns) * self._side,
                     self._side, self._side)

    def visualRect(self, index: QModelIndex) -> QRect:  # noqa: N802
        rect = self.rectForIndex(index)
        return rect.translated(0, -self.verticalOffset()) if rect.isValid() else rect

    def _row_at(self, x: int, y: int) -> int | None:
        """The row whose cell holds content point (x, y); None over a header or empty space."""
        if not self._groups or y < 0 or x < 0 or y >= self._height:
            return None
        g = max(0, bisect_right(self._tops, y) - 1)
        inside = y - self._tops[g] - self._header
        column = x // self._side
        if inside < 0 or column >= self._columns:
            return None
        k = (inside // self._side) * self._columns + column
        return self._starts[g] + k if k < self._groups[g].count else None

    def indexAt(self, point: QPoint) -> QModelIndex:  # noqa: N802
        if self._header and 0 <= point.y() < self._header:  # under the sticky header
            return QModelIndex()
        row = self._row_at(point.x(), point.y() + self.verticalOffset())
        return self.model().index(row, 0) if row is not None else QModelIndex()

    def _nearest_row(self, x: int, y: int) -> int | None:
        """The row at content point (x, y), or the first row after it in reading order (headers and the
        empty end of a group lead to the next row)."""
        rows = self.model().rowCount() if self.model() is not None else 0
        if not rows:
            return None
        if y < 0:
            return 0
        if y >= self._height:
            return rows - 1
        g = max(0, bisect_right(self._tops, y) - 1)
        group = self._groups[g]
        inside = y - self._tops[g] - self._header
        if inside < 0:
            return group.start
        k = (inside // self._side) * self._columns + min(max(0, x // self._side), self._columns - 1)
        return min(group.start + k, group.end - 1)

    def header_at(self, point: QPoint) -> DateGroup | None:
        """The group whose header is at viewport `point` (the sticky one at the top included)."""
        if not self._header:
            return None
        offset = self.verticalOffset()
        if 0 <= point.y() < self._header:
            return self._groups[self._sticky_group(offset)]
        y = point.y() + offset
        g = max(0, bisect_right(self._tops, y) - 1)
        return self._groups[g] if y - self._tops[g] < self._header else None

    def _sticky_group(self, offset: int) -> int:
        return max(0, bisect_right(self._tops, offset) - 1)

    def sticky_period(self) -> str | None:
        """The period of the header pinned at the top (the group the top of the grid is in)."""
        return self._groups[self._sticky_group(self.verticalOffset())].period if self._header else None

    def horizontalOffset(self) -> int:  # noqa: N802
        return 0

    def verticalOffset(self) -> int:  # noqa: N802
        return self.verticalScrollBar().value()

    def isIndexHidden(self, index) -> bool:  # noqa: N802
        return False

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802
        """Move what is painted (only the uncovered strip is painted again), and the sticky header's band,
        which must not move with the content."""
        self.viewport().scroll(dx, dy)
        if self._header:
            self.viewport().update(0, 0, self.viewport().width(), self._header + max(0, dy))

    def scrollTo(self, index: QModelIndex, hint=QAbstractItemView.ScrollHint.EnsureVisible) -> None:  # noqa: N802
        rect = self.rectForIndex(index)
        if not rect.isValid():
            return
        bar, view = self.verticalScrollBar(), self.viewport().height()
        top = rect.top() - self._header  # not under the sticky header
        g = self._group_of_row(index.row())
        if index.row() - self._starts[g] < self._columns:
            top = self._tops[g]  # the group's first row: show its own header too
        Hint = QAbstractItemView.ScrollHint
        if hint == Hint.PositionAtTop:
            bar.setValue(top)
        elif hint == Hint.PositionAtBottom:
            bar.setValue(rect.bottom() + 1 - view)
        elif hint == Hint.PositionAtCenter:
            bar.setValue(rect.center().y() - view // 2)
        elif top < bar.value():
            bar.setValue(top)
        elif rect.bottom() + 1 > bar.value() + view:
            bar.setValue(min(top, rect.bottom() + 1 - view))

    def moveCursor(self, action, modifiers) -> QModelIndex:  # noqa: N802
        model = self.model()
        rows = model.rowCount() if model is not None else 0
        if not rows:
            return QModelIndex()
        current = self.currentIndex()
        row = current.row() if current.isValid() else 0
        Move = QAbstractItemView.CursorAction
        rect = self.rectForIndex(model.index(row, 0))
        if action in (Move.MoveLeft, Move.MovePrevious):
            row -= 1
        elif action in (Move.MoveRight, Move.MoveNext):
            row += 1
        elif action == Move.MoveUp:
            row = self._row_above(row)
        elif action == Move.MoveDown:
            row = self._row_below(row)
        elif action in (Move.MovePageUp, Move.MovePageDown):
            step = self.viewport().height() - self._header
            y = rect.center().y() + (step if action == Move.MovePageDown else -step)
            found = self._nearest_row(rect.center().x(), y)
            row = found if found is not None else row
        elif action == Move.MoveHome:
            row = 0
        elif action == Move.MoveEnd:
            row = rows - 1
        return model.index(min(max(row, 0), rows - 1), 0)

    def _row_above(self, row: int) -> int:
        g = self._group_of_row(row)
        k = row - self._starts[g]
        if k >= self._columns:
            return row - self._columns
        if g == 0:
            return row
        previous = self._groups[g - 1]
        last_line = (previous.count - 1) // self._columns * self._columns
        return previous.start + min(last_line + k, previous.count - 1)

    def _row_below(self, row: int) -> int:
        g = self._group_of_row(row)
        group = self._groups[g]
        k = row - group.start
        if k + self._columns < group.count:
            return row + self._columns
        if k // self._columns < (group.count - 1) // self._columns:  # a shorter last line below
            return group.end - 1
        if g + 1 >= len(self._groups):
            return row
        following = self._groups[g + 1]
        return following.start + min(k % self._columns, following.count - 1)

    def setSelection(self, rect: QRect, command) -> None:  # noqa: N802
        """Select the rows from the rectangle's first corner to its second in reading order (Qt passes the
        press point first): shift-click and dragging select a run of photos, as in a timeline."""
        offset = self.verticalOffset()
        a = self._nearest_row(rect.left(), rect.top() + offset)
        b = self._nearest_row(rect.right(), rect.bottom() + offset)
        selection = QItemSelection()
        if a is not None and b is not None:
            low, high = min(a, b), max(a, b)
            selection.select(self.model().index(low, 0), self.model().index(high, 0))
        self.selectionModel().select(selection, command)

    def visualRegionForSelection(self, selection) -> QRegion:  # noqa: N802
        """The viewport, when any selected row is on screen: repainting it is cheaper than a rectangle per row."""
        first, last = self._visible_rows()
        for part in selection:
            if part.top() <= last and part.bottom() >= first:
                return QRegion(self.viewport().rect())
        return QRegion()

    def _visible_rows(self) -> tuple[int, int]:
        offset = self.verticalOffset()
        first = self._nearest_row(0, offset)
        last = self._nearest_row(self._side * self._columns, offset + self.viewport().height())
        return (first or 0, last if last is not None else -1)

    # -- painting ----------------------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:  # noqa: N802
        model = self.model()
        painter = QPainter(self.viewport())
        if model is None or not model.rowCount():
            return
        offset, height = self.verticalOffset(), self.viewport().height()
        exposed = event.rect()  # a scroll paints only the strip it uncovered
        low, high = offset + exposed.top(), offset + exposed.bottom() + 1
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        selection = self.selectionModel()
        current = self.currentIndex()
        focused = self.hasFocus()
        g = max(0, bisect_right(self._tops, low) - 1)
        while g < len(self._groups) and self._tops[g] < high:
            group, top = self._groups[g], self._tops[g] - offset
            if self._header and self._tops[g] + self._header > low:
                self._paint_header(painter, group, top)
            first_line = max(0, (low - self._tops[g] - self._header) // self._side)
            last_line = (high - 1 - self._tops[g] - self._header) // self._side
            start = group.start + first_line * self._columns
            end = min(group.end, group.start + (last_line + 1) * self._columns)
            for row in range(start, end):
                k = row - group.start
                option.rect = QRect((k % self._columns) * self._side,
                                    top + self._header + (k // self._columns) * self._side, self._side, self._side)
                index = model.index(row, 0)
                state = QStyle.StateFlag.State_Enabled
                if selection is not None and selection.isSelected(index):
                    state |= QStyle.StateFlag.State_Selected
                if focused and index == current:
                    state |= QStyle.StateFlag.State_HasFocus
                option.state = state
                self._delegate.paint(painter, option, index)
            g += 1
        if self._header:  # the current group's header stays at the top; the next one pushes it up
            g = self._sticky_group(offset)
            following = self._tops[g + 1] - offset if g + 1 < len(self._tops) else height
            self._paint_header(painter, self._groups[g], min(0, following - self._header))
        painter.end()

    def _paint_header(self, painter: QPainter, group: DateGroup, y: int) -> None:
        palette = self.palette()
        band = QRect(0, y, self.viewport().width(), self._header)
        painter.fillRect(band, palette.color(QPalette.ColorRole.Base))
        text_rect = band.adjusted(CELL_MARGIN + 6, 0, -(CELL_MARGIN + 10), 0)
        font = QFont(self.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        title = period_label(group.period)
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        painter.setFont(self.font())
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        count = fmt.count(group.count, self.tr("photo"))
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, count)
        if group.place:
            after = QFontMetrics(font).horizontalAdvance(title) + 14
            room = text_rect.width() - after - QFontMetrics(self.font()).horizontalAdvance(count) - 14
            place = QFontMetrics(self.font()).elidedText(group.place, Qt.TextElideMode.ElideRight, max(0, room))
            painter.drawText(text_rect.adjusted(after, 0, 0, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             place)

    def _repaint_row(self, row: int) -> None:
        """Repaint one cell if it is on screen (see PhotoGridModel.thumbnail_arrived for why not dataChanged)."""
        rect = self.visualRect(self.model().index(row, 0))
        if rect.isValid() and rect.intersects(self.viewport().rect()):
            self.viewport().update(rect)

    # -- what the window and the user do ---------------------------------------------------------------------
    def zoom_in(self) -> None:
        self.set_thumbnail_size(self.thumbnail_size + ZOOM_STEP)

    def zoom_out(self) -> None:
        self.set_thumbnail_size(self.thumbnail_size - ZOOM_STEP)

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

    def mousePressEvent(self, event) -> None:  # noqa: N802
        group = self.header_at(event.position().toPoint()) if event.button() == Qt.MouseButton.LeftButton else None
        if group is not None and group.period:
            self.period_clicked.emit(group.period)
            event.accept()
            return
        super().mousePressEvent(event)

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
        if self._header:  # the sticky header says it already
            return
        index = self.indexAt(QPoint(CELL_MARGIN + 2, CELL_MARGIN + 2))
        info = index.data(InfoRole) if index.isValid() else None
        if info is not None:
            self._month.flash(month_label(info.taken_at))


def _header_height(font: QFont) -> int:
    return max(32, QFontMetrics(font).height() * 2 + 6)


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


def _groups_within(chosen: "Groups | list[DateGroup]", rows: int) -> tuple["Groups | list[DateGroup]", list[int]]:
    """The groups that start within the first `rows` rows, and their starts; when rows came or went since the
    groups were read, the last takes up the rest (until the new groups arrive)."""
    if isinstance(chosen, Groups):  # thousands: by their columns
        groups = chosen[:int(chosen.starts.searchsorted(rows))]
        starts = groups.starts.tolist()
        if starts and starts[-1] + int(groups.counts[-1]) != rows:
            counts = groups.counts.copy()
            counts[-1] = rows - starts[-1]
            groups = Groups(groups.starts, counts, groups.periods, groups.places)
        return groups, starts
    starts = [group.start for group in chosen]
    shown = bisect_left(starts, rows)
    groups, starts = list(chosen[:shown]), starts[:shown]
    if groups and groups[-1].end != rows:
        last = groups[-1]
        groups[-1] = DateGroup(last.start, rows - last.start, last.period, last.place)
    return groups, starts


def _tops(groups: "Groups | list[DateGroup]", header: int, columns: int, side: int) -> tuple[list[int], int]:
    """Each group's top (content y) and the height of them all. Thousands of day groups at 100k photos are laid
    out again on the GUI thread whenever an import's refresh adds photos: from their columns with numpy then (a
    Python pass took ~2 ms, doubled while the reader thread holds the GIL)."""
    if isinstance(groups, Groups):
        ends = (header + -(-groups.counts // columns) * side).cumsum()
        return [0, *ends[:-1].tolist()], int(ends[-1])
    ends = list(accumulate(header + -(-group.count // columns) * side for group in groups))
    return [0, *ends[:-1]], ends[-1]
