"""The Settings dialog: theme applied at once and remembered, thumbnail size, library, models, logs."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from app.ui.main_window import MainWindow
from app.ui.palette import apply_theme
from app.ui.settings import AppSettings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def window(library, tmp_path, qtbot):
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    win = MainWindow(settings)
    qtbot.addWidget(win)
    assert win.open_library(library.root)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()
    apply_theme(QApplication.instance(), "system")


def test_settings_from_the_menu_and_its_shortcut(window, qtbot):
    edit = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Edit")
    action = next(a for a in edit.actions() if a.text().replace("&", "") == "Settings…")
    action.trigger()
    qtbot.waitUntil(lambda: getattr(window, "settings_dialog", None) is not None and window.settings_dialog.isVisible())
    first = window.settings_dialog
    first.close()
    window.grid_view.setFocus()
    qtbot.keyClick(window.grid_view, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.settings_dialog is not first and window.settings_dialog.isVisible())
    window.settings_dialog.close()


def test_theme_applies_at_once_and_is_remembered(window, qtbot):
    window.show_settings()
    dialog = window.settings_dialog
    dialog.theme.setCurrentIndex(dialog.theme.findData("dark"))
    window_colour = QApplication.instance().palette().color(QPalette.ColorRole.Window)
    assert window_colour.lightness() < 80
    assert window.settings.theme == "dark"
    dialog.theme.setCurrentIndex(dialog.theme.findData("light"))
    assert QApplication.instance().palette().color(QPalette.ColorRole.Window).lightness() > 180
    assert AppSettings(window.settings.qsettings).theme == "light"


def test_thumbnail_size_library_models_and_logs(window, qtbot, monkeypatch):
    window.show_settings()
    dialog = window.settings_dialog
    dialog.thumbnails.setValue(256)
    assert window.grid_view.thumbnail_size == 256 and dialog.thumbnail_px.text() == "256 px"
    assert dialog.library_path.text() == str(window.library.root)
    assert dialog.logs.text().startswith(str(window.library.root)) or "log" in dialog.logs.text().lower()
    asked = []
    monkeypatch.setattr(window.model_setup, "ask", lambda: asked.append(True))
    dialog.models.click()
    assert asked == [True] and not dialog.isVisible()


def test_slideshow_interval_is_a_setting(window, qtbot):
    window.show_settings()
    window.settings_dialog.slideshow.setValue(7)
    assert window.viewer.slideshow.interval() == 7000 and window.settings.slideshow_seconds == 7


def test_face_model_choice_switches_and_keeps_the_default_first(window, qtbot, tmp_path, monkeypatch):
    pytest.importorskip("insightface", reason="the insightface backend needs `pip install --no-deps insightface==2.1`")
    from face_pack import build_pack

    from app.core.ml.faces_insightface import install_pack

    monkeypatch.setenv("SHOEBOX_MODELS_DIR", str(tmp_path / "shared-models"))
    install_pack(window.library.models, build_pack(tmp_path / "pack"), "faces:buffalo_l")
    window.show_settings()
    field = window.settings_dialog.face_model
    qtbot.waitUntil(lambda: field.isEnabled())
    assert [field.itemData(i) for i in range(field.count())] == ["yunet-2023mar+sface-2021dec-int8", "faces:buffalo_l"]
    field.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.library.config.get("faces.model_id") == "faces:buffalo_l")
    window.settings_dialog.close()
    # The switch's answer may come after the dialog is gone: it is still said, and nothing touches the closed field.
    window.settings_dialog.deleteLater()
    qtbot.waitUntil(lambda: not window.reader.busy())
    qtbot.waitUntil(lambda: any("names are kept" in bar.text for bar in window.message_area.messages()))
