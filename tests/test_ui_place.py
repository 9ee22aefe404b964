"""The info panel names the place of a photo with GPS (the offline place names of issue 11)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, QSettings
from sqlalchemy import update

from app.bench.gui import generate_library
from app.core.db.models import Photo, PhotoPlace
from app.ui.main_window import MainWindow
from app.ui.settings import AppSettings

# The second: closing a window with a selected photo (after the test's own checks; noted to be looked at).
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "Selecting when no model has been set")


def test_info_panel_shows_the_place(qtbot, library, tmp_path):
    generate_library(library, 2, thumbnails=0)
    with library.db.write_session() as s:
        s.execute(update(Photo).values(gps_lat=None, gps_lon=None))
        s.execute(update(Photo).where(Photo.id == 1).values(gps_lat=35.0116, gps_lon=135.7681))
        s.add(PhotoPlace(photo_id=1, city="Kyoto", region="Kyoto", country="Japan", country_code="JP"))
    window = MainWindow(AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(window)
    try:
        assert window.open_library(library.root)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.browser.loaded and window.grid_model.rowCount() == 2)
        select = window.grid_view.selectionModel().setCurrentIndex
        flag = QItemSelectionModel.SelectionFlag.ClearAndSelect
        select(window.grid_model.index(window.grid_model.row_of(1), 0), flag)
        place = window.info_panel.values["Place"]
        form = window.info_panel.form
        qtbot.waitUntil(lambda: window.info_panel.text("Place") == "Kyoto, Japan")
        assert form.isRowVisible(place)
        select(window.grid_model.index(window.grid_model.row_of(2), 0), flag)
        qtbot.waitUntil(lambda: window.info_panel.text("Place") == "")
        assert not form.isRowVisible(place)  # no GPS: no empty "Place:" row
    finally:
        window.close()
