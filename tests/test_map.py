"""The map: photos with GPS clustered by zoom, the bbox: filter, the shipped Natural Earth outline, and the Map
view (clusters drawn, pan and zoom, a click on a cluster shows its photos in the grid)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtTest import QTest

from app.bench.gui import generate_library
from app.core.geo import Box, GpsPoint, cluster_points, gps_points, inverse_mercator, mercator, photos_in_box, world
from app.core.search.errors import QueryError
from app.core.search.query import run_query
from app.ui.main_window import MainWindow
from app.ui.settings import AppSettings
from app.ui.views import Mode, Place

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")

KYOTO, OSLO = (35.01, 135.77), (59.91, 10.75)


def place_photos(library, count: int = 30) -> dict[str, list[int]]:
    """Photos 0-9 in Kyoto (a few metres apart), 10-14 in Oslo, the rest without a position."""
    generate_library(library, count, thumbnails=0)
    ids = library.photos.ordered_ids()
    with library.db.engine.begin() as conn:
        for k, pid in enumerate(ids[:10]):
            conn.exec_driver_sql("UPDATE photos SET gps_lat=?, gps_lon=? WHERE id=?",
                                 (KYOTO[0] + k * 1e-4, KYOTO[1] + k * 1e-4, pid))
        for k, pid in enumerate(ids[10:15]):
            conn.exec_driver_sql("UPDATE photos SET gps_lat=?, gps_lon=? WHERE id=?",
                                 (OSLO[0] + k * 1e-4, OSLO[1], pid))
    return {"kyoto": ids[:10], "oslo": ids[10:15], "none": ids[15:]}


def test_clusters_follow_the_zoom(library):
    placed = place_photos(library)
    points = gps_points(library)
    assert sorted(p.photo_id for p in points) == sorted(placed["kyoto"] + placed["oslo"])
    world_view = cluster_points(points, cell=20.0)  # zoomed out: one cluster per city
    assert [c.count for c in world_view] == [10, 5]
    kyoto = world_view[0]
    assert kyoto.box.south == pytest.approx(KYOTO[0]) and kyoto.box.north == pytest.approx(KYOTO[0] + 9e-4)
    street_view = cluster_points(points, cell=1e-5)  # zoomed in as far as it goes: each photo alone
    assert len(street_view) == 15 and all(c.count == 1 for c in street_view)
    with pytest.raises(ValueError):
        cluster_points(points, cell=0)


def test_a_clusters_box_finds_its_photos_through_the_query_language(library):
    placed = place_photos(library)
    kyoto = cluster_points(gps_points(library), cell=20.0)[0]
    assert sorted(photos_in_box(library, kyoto.box.padded(1e-6))) == sorted(placed["kyoto"])
    assert sorted(run_query(library, "bbox:50,0,70,20")) == sorted(placed["oslo"])
    assert run_query(library, "bbox:50,0,70,20 -bbox:59.9,10.7,59.92,10.8") == []
    for bad in ("bbox:1,2,3", "bbox:60,0,50,20", "bbox:a,b,c,d"):
        with pytest.raises(QueryError):
            run_query(library, bad)


def test_projection_round_trips_and_the_world_outline_ships():
    for lat, lon in ((0, 0), KYOTO, OSLO, (-33.9, 18.4)):
        x, y = mercator(lat, lon)
        assert inverse_mercator(x, y) == pytest.approx((lat, lon))
    countries = world()
    assert len(countries) > 150
    names = {c.name for c in countries}
    assert {"Japan", "Norway", "Italy", "Brazil"} <= names


def test_points_without_clusters_dont_break_the_core():
    assert cluster_points([], cell=1.0) == []
    single = cluster_points([GpsPoint(7, 10.0, 20.0)], cell=1.0)
    assert single[0].box == Box(10.0, 20.0, 10.0, 20.0) and single[0].photo_id == 7


@pytest.fixture
def window(library, qtbot, tmp_path):
    placed = place_photos(library)
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings)
    qtbot.addWidget(window)
    assert window.open_library(library.root)
    window.resize(1280, 820)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.browser.loaded)
    window.placed = placed
    yield window
    window.close()


def test_the_map_view_clusters_and_a_click_shows_the_clusters_photos(window, qtbot):
    window.navigate(Place(Mode.MAP))
    view = window.views[Mode.MAP]
    canvas = view.page().canvas
    assert window.stack.currentWidget() is view.page()
    qtbot.waitUntil(lambda: sum(c.count for c in canvas.clusters) == 15, timeout=20_000)
    assert "15 photos" in view.page().summary.text()
    canvas.fit(None)  # the whole world: each city is one cluster (clustered again on the reader thread)
    qtbot.waitUntil(lambda: any(c.lon > 100 and c.count == 10 for c in canvas.clusters), timeout=20_000)
    kyoto = next(c for c in canvas.clusters if c.lon > 100)
    point = canvas.to_screen(kyoto.lat, kyoto.lon).toPoint()
    QTest.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=point)
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.grid_page and window.browser.loaded
                    and window.grid_model.rowCount() == 10, timeout=20_000)
    assert sorted(window.grid_model.ids) == sorted(window.placed["kyoto"])


def test_dragging_pans_and_the_wheel_zooms(window, qtbot):
    window.navigate(Place(Mode.MAP))
    canvas = window.views[Mode.MAP].page().canvas
    qtbot.waitUntil(lambda: canvas.loaded, timeout=20_000)
    center, scale = canvas.center, canvas.scale
    QTest.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(200, 200))
    QTest.mouseMove(canvas, QPoint(260, 230))
    QTest.mouseMove(canvas, QPoint(300, 250))
    QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(300, 250))
    assert canvas.center[0] < center[0] and canvas.center[1] > center[1]  # the map followed the mouse
    canvas.zoom(2.0, QPointF(100, 100))
    assert canvas.scale == pytest.approx(scale * 2.0)
    QTest.keyClick(canvas, Qt.Key.Key_Minus)
    assert canvas.scale < scale * 2.0
