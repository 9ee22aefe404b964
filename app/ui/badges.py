"""Small marks on a grid cell for the user's edits: a heart for favourites, stars for ratings, and a dimmed cell
with a cross for rejected photos (as in digiKam and Lightroom); a video clip's length in its corner. Painted from
PhotoInfo only: no extra reads."""

from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter

HEART, STAR, CROSS, PLAY = "♥", "★", "✕", "▶"


def paint_video_badge(painter: QPainter, cell: QRect, info) -> None:
    """"▶ 0:06" at the bottom right of a video clip's picture."""
    if getattr(info, "media", "photo") != "video":
        return
    from app.ui.format import duration

    painter.save()
    font = QFont(painter.font())
    font.setBold(True)
    font.setPixelSize(max(10, min(14, max(cell.width(), cell.height()) // 16)))
    painter.setFont(font)
    text = f"{PLAY} {duration(getattr(info, 'duration_s', None))}".strip()
    metrics = painter.fontMetrics()
    height = metrics.height() + 4
    width = metrics.horizontalAdvance(text) + 10
    _pill(painter, cell.right() - width - 4, cell.bottom() - height - 4, height, text, QColor(255, 255, 255))
    painter.restore()


def paint_edit_badges(painter: QPainter, cell: QRect, info) -> None:
    favourite, rating, rejected = getattr(info, "favourite", False), getattr(info, "rating", 0), getattr(info, "rejected", False)
    if not (favourite or rating or rejected):
        return
    painter.save()
    if rejected:
        painter.fillRect(cell, QColor(0, 0, 0, 110))
    font = QFont(painter.font())
    font.setBold(True)
    font.setPixelSize(max(11, min(16, max(cell.width(), cell.height()) // 14)))
    painter.setFont(font)
    metrics = painter.fontMetrics()
    height = metrics.height() + 4
    y = cell.bottom() - height - 4
    x = cell.left() + 6
    if rejected:
        x = _pill(painter, x, y, height, CROSS, QColor(235, 80, 70))
    if favourite:
        x = _pill(painter, x, y, height, HEART, QColor(255, 96, 128))
    if rating:
        _pill(painter, x, y, height, STAR * rating, QColor(255, 200, 40))
    painter.restore()


def _pill(painter: QPainter, x: int, y: int, height: int, text: str, colour: QColor) -> int:
    """A dark rounded box with `text` in `colour`; returns where the next one starts."""
    width = painter.fontMetrics().horizontalAdvance(text) + 10
    box = QRectF(x, y, width, height)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 160))
    painter.drawRoundedRect(box, 5, 5)
    painter.setPen(colour)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
    return x + width + 4
