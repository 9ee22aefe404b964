"""The grid's timeline: a thin strip beside the photos with the years at their places in the scroll; pressing or
dragging on it jumps to the month there (a date scrubber, as in phone photo apps). It is painted, not made of
widgets per month, and asks the grid for positions, so it costs the same at 100 photos or 100,000."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, Qt, Signal
from PySide6.QtGui import QFont, QPainter, QPalette
from PySide6.QtWidgets import QWidget

from app.ui.format import month_label

if TYPE_CHECKING:
    from app.core.timeline import DateGroup

WIDTH = 44


class TimelineBar(QWidget):
    """Emits `jump(row)`: the first row of the month under the mouse, while pressed."""

    jump = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFixedWidth(WIDTH)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(self.tr("Press or drag to go to a month"))
        self.months: list[tuple[int, "DateGroup"]] = []  # (content y, month group), top to bottom
        self.height_of_content = 1
        self.offset = 0  # the grid's scroll position, for the marker of where the view is
        self.view_height = 0

    def set_months(self, months: list[tuple[int, "DateGroup"]], content_height: int) -> None:
        self.months, self.height_of_content = months, max(1, content_height)
        self.update()

    def set_position(self, offset: int, view_height: int) -> bool:
        """Where the grid is scrolled; repaints only when the marker moved by a pixel (a 100k-photo grid
        scrolls thousands of pixels per pixel of the strip) and says whether it did."""
        before = self.marker()
        self.offset, self.view_height = offset, view_height
        if self.marker() == before:
            return False
        self.update()
        return True

    def marker(self) -> QRect:
        """The band that shows which part of the photos is on screen."""
        top = self._y(self.offset)
        return QRect(2, top, self.width() - 4, max(3, self._y(self.offset + self.view_height) - top))

    def _y(self, content_y: int) -> int:
        return int(content_y / self.height_of_content * self.height())

    def month_at(self, y: int) -> "DateGroup | None":
        """The month group at widget height `y` (the last one starting above it)."""
        content_y = y / max(1, self.height()) * self.height_of_content
        found = None
        for top, group in self.months:
            if top > content_y:
                break
            found = group
        return found if found is not None else (self.months[0][1] if self.months else None)

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        painter.fillRect(self.marker(), palette.color(QPalette.ColorRole.Highlight).lighter(170))
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 0.85)
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        line = painter.fontMetrics().height()
        last_y, last_year = -line, None
        for top, group in self.months:
            year = group.period[:4]
            y = self._y(top)
            if year == last_year or y < last_y + line:
                continue
            painter.drawText(QRect(0, y, self.width(), line), Qt.AlignmentFlag.AlignCenter, year or "—")
            last_y, last_year = y, year

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self._go(event.position().y())

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._go(event.position().y())

    def _go(self, y: float) -> None:
        group = self.month_at(int(y))
        if group is not None:
            self.setToolTip(month_label(group.period) if group.period else self.tr("No date"))
            self.jump.emit(group.start)
