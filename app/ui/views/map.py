"""Map: where the photos were taken, as clusters with counts over an offline world map (Natural Earth's
country outlines, shipped with Shoebox: no tile server, no internet). Drag to pan, wheel or +/- to zoom;
clicking a cluster shows its photos in the shared grid (the query `bbox:` through the core).

The photos' positions are read once per refresh and clustered for each view of the map on the reader thread
(app.core.geo), so panning over 100,000 photos never waits on Python loops on the GUI thread."""

from __future__ import annotations

import math

from PySide6.QtCore import QCoreApplication, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPalette, QPen, QTransform
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.core.geo import Box, Cluster, extent, inverse_mercator, mercator
from app.ui import format as fmt
from app.ui.views import Mode, Place, View

CLUSTER_PX = 56  # points closer than about this on screen join one cluster
MIN_SCALE = 0.5  # pixels per Mercator unit (degree of longitude): the whole world in ~180 px
MAX_SCALE = 200_000.0  # a few metres a pixel
ZOOM_STEP = 1.5
FIT_MIN_SPAN = 8.0  # "Show All" never zooms in closer than this many degrees: the region stays recognisable


def _tr(text: str) -> str:
    return QCoreApplication.translate("MapView", text)


class MapCanvas(QWidget):
    """Draws the basemap and the clusters; emits `view_changed()` when the visible area or zoom changes and
    `cluster_clicked(Cluster)`. Positions are Web Mercator units (app.core.geo.mercator) times `scale`."""

    view_changed = Signal()
    cluster_clicked = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(200, 150)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.center = (0.0, 20.0)  # Mercator x, y at the middle of the widget
        self.scale = 3.0
        self.clusters: list[Cluster] = []
        self.loaded = False  # clusters for the current view have arrived at least once
        self._land: QPainterPath | None = None
        self._press: QPointF | None = None
        self._dragged = False

    # -- projection ----------------------------------------------------------------------------------------
    def to_screen(self, lat: float, lon: float) -> QPointF:
        x, y = mercator(lat, lon)
        return QPointF(self.width() / 2 + (x - self.center[0]) * self.scale,
                       self.height() / 2 - (y - self.center[1]) * self.scale)

    def to_world(self, point: QPointF) -> tuple[float, float]:
        """Mercator (x, y) under a widget point."""
        return (self.center[0] + (point.x() - self.width() / 2) / self.scale,
                self.center[1] - (point.y() - self.height() / 2) / self.scale)

    def cell(self) -> float:
        """The clustering cell, in Mercator units, for the current zoom."""
        return CLUSTER_PX / self.scale

    def visible_box(self) -> Box:
        west, north_y = self.to_world(QPointF(0, 0))
        east, south_y = self.to_world(QPointF(self.width(), self.height()))
        south, _ = inverse_mercator(west, max(-180.0, south_y))
        north, _ = inverse_mercator(west, min(180.0, north_y))
        return Box(max(-90.0, south), max(-180.0, west), min(90.0, north), min(180.0, east))

    def fit(self, box: Box | None) -> None:
        """Show `box` (the photos' extent) with a margin; the whole world when None."""
        if box is None:
            self.center, self.scale = (0.0, 20.0), max(MIN_SCALE, self.width() / 360.0)
        else:
            x0, y0 = mercator(box.south, box.west)
            x1, y1 = mercator(box.north, box.east)
            span_x, span_y = max(x1 - x0, FIT_MIN_SPAN), max(y1 - y0, FIT_MIN_SPAN)
            self.center = ((x0 + x1) / 2, (y0 + y1) / 2)
            self.scale = min(self.width() / (span_x * 1.6), self.height() / (span_y * 1.6))
        self.scale = max(MIN_SCALE, min(MAX_SCALE, self.scale))
        self._clamp()
        self.update()
        self.view_changed.emit()

    def zoom(self, factor: float, around: QPointF | None = None) -> None:
        around = around if around is not None else QPointF(self.width() / 2, self.height() / 2)
        before = self.to_world(around)
        self.scale = max(MIN_SCALE, min(MAX_SCALE, self.scale * factor))
        after = self.to_world(around)
        self.center = (self.center[0] + before[0] - after[0], self.center[1] + before[1] - after[1])
        self._clamp()
        self.update()
        self.view_changed.emit()

    def _clamp(self) -> None:
        x, y = self.center
        self.center = (max(-180.0, min(180.0, x)), max(-180.0, min(180.0, y)))

    # -- painting -------------------------------------------------------------------------------------------
    def set_world(self, countries) -> None:
        """The country outlines as one path in Mercator units (made once; painting only transforms it)."""
        path = QPainterPath()
        path.setFillRule(Qt.FillRule.WindingFill)
        for country in countries:
            for ring in country.rings:
                points = [mercator(ring[i + 1], ring[i]) for i in range(0, len(ring) - 1, 2)]
                if len(points) < 3:
                    continue
                path.moveTo(points[0][0], -points[0][1])
                for x, y in points[1:]:
                    path.lineTo(x, -y)
                path.closeSubpath()
        self._land = path
        self.update()

    def set_clusters(self, clusters: list[Cluster]) -> None:
        self.clusters = clusters
        self.loaded = True
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        sea, land, border = ((QColor(24, 36, 52), QColor(58, 66, 62), QColor(110, 120, 112)) if dark else
                             (QColor(206, 226, 240), QColor(240, 238, 228), QColor(160, 160, 150)))
        painter.fillRect(self.rect(), sea)
        transform = QTransform()
        transform.translate(self.width() / 2 - self.center[0] * self.scale, self.height() / 2 + self.center[1] * self.scale)
        transform.scale(self.scale, self.scale)
        self._paint_graticule(painter, transform, border)
        if self._land is not None:
            painter.save()
            painter.setTransform(transform)
            pen = QPen(border, 0)  # cosmetic: one pixel at any zoom
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(land)
            painter.drawPath(self._land)
            painter.restore()
        self._paint_clusters(painter)
        painter.setFont(self.font())
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(self.rect().adjusted(8, 8, -8, -6), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                         _tr("Made with Natural Earth"))

    def _paint_graticule(self, painter: QPainter, transform: QTransform, color: QColor) -> None:
        step = 30 if self.scale < 4 else 10 if self.scale < 20 else 5 if self.scale < 60 else 1
        if self.scale > 400:
            return
        pen = QPen(QColor(color.red(), color.green(), color.blue(), 90), 1, Qt.PenStyle.DotLine)
        painter.setPen(pen)
        top = transform.map(QPointF(0, -180)).y()
        bottom = transform.map(QPointF(0, 180)).y()
        for lon in range(-180, 181, step):
            x = transform.map(QPointF(lon, 0)).x()
            if 0 <= x <= self.width():
                painter.drawLine(QPointF(x, max(0.0, top)), QPointF(x, min(float(self.height()), bottom)))
        for lat in range(-80, 81, step):
            y = self.to_screen(lat, 0).y()
            if 0 <= y <= self.height():
                painter.drawLine(QPointF(0, y), QPointF(self.width(), y))

    def _paint_clusters(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setBold(True)
        painter.setFont(font)
        for cluster in reversed(self.clusters):  # the biggest on top
            center = self.to_screen(cluster.lat, cluster.lon)
            radius = self.radius(cluster)
            painter.setPen(QPen(QColor("white"), 2))
            painter.setBrush(QColor(214, 69, 65, 225))
            painter.drawEllipse(center, radius, radius)
            painter.setPen(QColor("white"))
            text = f"{cluster.count:,}" if cluster.count < 10_000 else f"{cluster.count // 1000}k"
            painter.drawText(QRectF(center.x() - radius, center.y() - radius, 2 * radius, 2 * radius),
                             Qt.AlignmentFlag.AlignCenter, text)

    @staticmethod
    def radius(cluster: Cluster) -> float:
        return 10 + 4 * math.log10(cluster.count) * 2

    def cluster_at(self, point: QPointF) -> Cluster | None:
        best = None
        for cluster in self.clusters:
            center = self.to_screen(cluster.lat, cluster.lon)
            distance = math.hypot(center.x() - point.x(), center.y() - point.y())
            if distance <= self.radius(cluster) and (best is None or distance < best[0]):
                best = (distance, cluster)
        return best[1] if best else None

    # -- the mouse and keys -----------------------------------------------------------------------------------
    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._press, self._dragged = event.position(), False

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._press is not None:
            delta = event.position() - self._press
            if self._dragged or delta.manhattanLength() > 4:
                self._dragged = True
                self.center = (self.center[0] - delta.x() / self.scale, self.center[1] + delta.y() / self.scale)
                self._clamp()
                self._press = event.position()
                self.update()
                self.view_changed.emit()
        else:
            over = self.cluster_at(event.position())
            self.setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.OpenHandCursor)
            self.setToolTip(fmt.count(over.count, _tr("photo")) if over else "")

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self._press is not None and not self._dragged:
            cluster = self.cluster_at(event.position())
            if cluster is not None:
                self.cluster_clicked.emit(cluster)
        self._press = None

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        if self.cluster_at(event.position()) is None:
            self.zoom(2.0, event.position())

    def wheelEvent(self, event) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom(ZOOM_STEP ** steps, event.position())

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(ZOOM_STEP)
        elif event.key() == Qt.Key.Key_Minus:
            self.zoom(1 / ZOOM_STEP)
        else:
            super().keyPressEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.view_changed.emit()


class MapPage(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.summary = QLabel()
        self.fit_button = QPushButton(_tr("Show All"))
        self.canvas = MapCanvas()
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.fit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.addLayout(top)
        layout.addWidget(self.canvas, 1)

    @property
    def loaded(self) -> bool:
        return self.canvas.loaded


class MapView(View):
    mode = Mode.MAP

    def __init__(self, context):
        super().__init__(context)
        self.title = _tr("Map")
        self.widget = MapPage()
        self.widget.canvas.view_changed.connect(self._recluster)
        self.widget.canvas.cluster_clicked.connect(self.show_cluster)
        self.widget.fit_button.clicked.connect(lambda: self.widget.canvas.fit(extent(self.points)))
        self.points: list = []
        self._fitted = False
        self._back: QWidget | None = None

    def page(self):
        return self.widget

    def set_library(self, library) -> None:
        super().set_library(library)
        self.points, self._fitted = [], False
        self.widget.canvas.set_clusters([])
        self.widget.canvas.loaded = False

    def activate(self, place: Place) -> None:
        if isinstance(place.value, Box):
            box, library = place.value, self.library
            from app.core.geo import photos_in_box

            self.context.browser.show_source(
                place, lambda: photos_in_box(library, box), lambda rows: _tr("On the map · {count}").format(
                    count=fmt.count(rows, _tr("photo"))),
                _tr("No photos here any more."), header=self._back_bar())
            return
        if self.widget.canvas._land is None:
            from app.core.geo import world

            self.widget.canvas.set_world(world())
        self.refresh(True)

    def _back_bar(self) -> QWidget:
        if self._back is None:
            self._back = QWidget()
            row = QHBoxLayout(self._back)
            row.setContentsMargins(8, 4, 8, 4)
            button = QPushButton(_tr("← Back to the Map"))
            button.clicked.connect(lambda: self.context.navigate(Place(self.mode)))
            row.addWidget(button)
            row.addStretch(1)
        return self._back

    def refresh(self, active: bool) -> None:
        if self.library is None or not active:
            return
        from app.core.geo import gps_points

        library = self.library
        self.context.reader.read("map-points", lambda: gps_points(library), self._points_arrived)

    def _points_arrived(self, points, error) -> None:
        if error is not None:
            self.context.messages.error(_tr("The photos' places could not be read: {error}").format(error=error),
                                        error, key="map")
            return
        self.points = points
        self.widget.summary.setText(_tr("{count} with a position").format(count=fmt.count(len(points), _tr("photo")))
                                    if points else _tr("No photo has a GPS position yet."))
        if not self._fitted:
            self._fitted = True
            self.widget.canvas.fit(extent(points))  # asks for clusters
        else:
            self._recluster()

    def _recluster(self) -> None:
        """Cluster for the current zoom on the reader thread (the newest view wins)."""
        if self.library is None:
            return
        from app.core.geo import cluster_points

        points, cell = self.points, self.widget.canvas.cell()
        self.context.reader.read("map-clusters", lambda: cluster_points(points, cell), self._clusters_arrived)

    def _clusters_arrived(self, clusters, error) -> None:
        if error is not None:
            self.context.messages.error(_tr("The map could not be drawn: {error}").format(error=error), error,
                                        key="map")
            return
        self.widget.canvas.set_clusters(clusters)

    def show_cluster(self, cluster: Cluster) -> None:
        """The cluster's photos in the grid (a hair of padding: the box is exact to the micro-degree)."""
        self.context.navigate(Place(self.mode, cluster.box.padded(1e-6)))

