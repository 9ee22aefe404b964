"""Activity: what the background work is doing, in numbers and two small charts (painted here: QtCharts lives in
PySide6-Addons, a large extra install for two charts). Everything comes from app.core.tasks.activity, read off
the GUI thread, and refreshes every few seconds while the view is shown, so work done by another process or a
remote worker shows up too."""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.views import Mode, Place, View

REFRESH_MS = 5000
PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"]


def _tr(text: str) -> str:
    return QCoreApplication.translate("ActivityView", text)


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def _seconds(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.1f} s"


class StackedBars(QWidget):
    """Counts per minute, stacked by task type, with a legend."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.series: dict[str, list[int]] = {}
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_series(self, series: dict[str, list[int]]) -> None:
        self.series = series
        self.update()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().text().color()
        legend_h = 18
        plot = QRectF(36, 4, self.width() - 44, self.height() - legend_h - 22)
        minutes = max((len(v) for v in self.series.values()), default=60)
        totals = [sum(v[i] for v in self.series.values()) for i in range(minutes)] if self.series else [0]
        top = max(1, max(totals))
        painter.setPen(QPen(text, 1))
        painter.drawText(QRectF(0, plot.top() - 2, 32, 14), Qt.AlignmentFlag.AlignRight, f"{top:,}")
        painter.drawText(QRectF(0, plot.bottom() - 12, 32, 14), Qt.AlignmentFlag.AlignRight, "0")
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        painter.drawText(QRectF(plot.left(), plot.bottom() + 2, 120, 14), Qt.AlignmentFlag.AlignLeft,
                         _tr("60 min ago"))
        painter.drawText(QRectF(plot.right() - 120, plot.bottom() + 2, 120, 14), Qt.AlignmentFlag.AlignRight,
                         _tr("now"))
        width = plot.width() / minutes
        for i in range(minutes):
            y = plot.bottom()
            for n, (_type, values) in enumerate(self.series.items()):
                if values[i]:
                    h = plot.height() * values[i] / top
                    painter.fillRect(QRectF(plot.left() + i * width + 1, y - h, max(1.0, width - 2), h),
                                     QColor(PALETTE[n % len(PALETTE)]))
                    y -= h
        x = plot.left()
        for n, type_ in enumerate(self.series):
            painter.fillRect(QRectF(x, self.height() - legend_h + 4, 10, 10), QColor(PALETTE[n % len(PALETTE)]))
            painter.setPen(QPen(text, 1))
            advance = painter.fontMetrics().horizontalAdvance(type_)
            painter.drawText(QRectF(x + 14, self.height() - legend_h, advance + 4, legend_h),
                             Qt.AlignmentFlag.AlignVCenter, type_)
            x += 24 + advance
        if not self.series:
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, _tr("No tasks finished in the last hour."))


class GrowthLine(QWidget):
    """Photos in the library over time (one point per day something was imported)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.points: list[tuple[str, int]] = []
        self.setMinimumHeight(120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_points(self, points: list[tuple[str, int]]) -> None:
        self.points = points
        self.update()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().text().color()
        plot = QRectF(56, 6, self.width() - 64, self.height() - 26)
        painter.setPen(QPen(text, 1))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        if not self.points:
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, _tr("No photos yet."))
            return
        top = max(1, self.points[-1][1])
        painter.drawText(QRectF(0, plot.top() - 2, 52, 14), Qt.AlignmentFlag.AlignRight, f"{top:,}")
        painter.drawText(QRectF(plot.left(), plot.bottom() + 3, 100, 14), Qt.AlignmentFlag.AlignLeft,
                         self.points[0][0])
        painter.drawText(QRectF(plot.right() - 100, plot.bottom() + 3, 100, 14), Qt.AlignmentFlag.AlignRight,
                         self.points[-1][0])
        points = self.points if len(self.points) > 1 else self.points * 2  # one day: a level line, not a ramp
        n = len(points)
        path = QPainterPath(QPointF(plot.left(), plot.bottom()))
        for i, (_day, total) in enumerate(points):
            x = plot.left() + plot.width() * i / (n - 1)
            path.lineTo(QPointF(x, plot.bottom() - plot.height() * total / top))
        path.lineTo(QPointF(plot.right(), plot.bottom()))
        colour = QColor(PALETTE[0])
        fill = QColor(colour)
        fill.setAlpha(70)
        painter.fillPath(path, fill)
        painter.setPen(QPen(colour, 2))
        painter.drawPath(path)


def _table(headers: list[str], stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    table.setSizeAdjustPolicy(QAbstractItemView.SizeAdjustPolicy.AdjustToContents)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return table


def _fill(table: QTableWidget, rows: list[list[str]], empty: str) -> None:
    rows = rows or [[empty] + [""] * (table.columnCount() - 1)]
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem(value)
            if c and value[:1].isdigit():
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
    table.setFixedHeight(table.horizontalHeader().height() + sum(table.rowHeight(i) for i in range(len(rows))) + 4)


class ActivityPage(QScrollArea):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        body = QWidget()
        layout = QVBoxLayout(body)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.bars = StackedBars()
        self.times = _table([_tr("Task"), _tr("Runs"), _tr("Median"), _tr("95th percentile")], 0)
        self.problems = _table([_tr("Task"), _tr("State"), _tr("Error"), _tr("Reason"), _tr("Tasks")], 3)
        self.growth = GrowthLine()
        self.index = _table([_tr("Index file"), _tr("Size"), _tr("Saved")], 0)
        for title, widget in ((None, self.summary), (_tr("Tasks finished per minute"), self.bars),
                              (_tr("Run times (latest runs)"), self.times),
                              (_tr("Failures and dead letters"), self.problems),
                              (_tr("Library growth"), self.growth), (_tr("Search indexes"), self.index)):
            if title:
                heading = QLabel(f"<b>{title}</b>")
                layout.addSpacing(6)
                layout.addWidget(heading)
            layout.addWidget(widget)
        layout.addStretch(1)
        self.setWidget(body)

    def show_activity(self, a) -> None:
        self.summary.setText(_tr("{running} running, {pending} waiting · {photos} photos · {embeddings} image "
                                 "embeddings · {people} people").format(
            running=f"{a.running:,}", pending=f"{a.pending:,}", photos=f"{a.photos:,}",
            embeddings=f"{a.embeddings:,}", people=f"{a.people:,}"))
        self.bars.set_series(a.per_minute)
        _fill(self.times, [[t.type, f"{t.count:,}", _seconds(t.p50_s), _seconds(t.p95_s)] for t in a.times],
              _tr("No finished tasks yet."))
        _fill(self.problems, [[f.type, f.state, f.error_class, f.message, f"{f.count:,}"] for f in a.failures],
              _tr("No failures."))
        self.growth.set_points(a.growth)
        from app.core.tasks.activity import describe_age

        _fill(self.index, [[f.name, _size(f.bytes), describe_age(time.time() - f.saved_at)] for f in a.index_files],
              _tr("No index yet (made when a search model embeds photos)."))


class ActivityView(View):
    mode = Mode.ACTIVITY

    def __init__(self, context):
        super().__init__(context)
        self.title = _tr("Activity")
        self._page = ActivityPage()
        self._timer = QTimer(self, interval=REFRESH_MS, timeout=self._read)

    def page(self) -> QWidget:
        return self._page

    def set_library(self, library) -> None:
        super().set_library(library)
        if library is None:
            self._timer.stop()

    def activate(self, place: Place) -> None:
        self._read()
        self._timer.start()

    def refresh(self, active: bool) -> None:
        if not self.is_current:
            self._timer.stop()
        elif active:
            self._read()

    def _read(self) -> None:
        if self.library is None or not self.is_current:
            self._timer.stop()
            return
        from app.core.tasks.activity import read_activity

        library = self.library
        self.context.reader.read("activity", lambda: read_activity(library), self._show)

    def _show(self, activity, error) -> None:
        if error is not None:
            self.context.messages.error(_tr("Activity could not be read: {error}").format(error=error), error,
                                        key="activity")
            return
        self._page.show_activity(activity)
