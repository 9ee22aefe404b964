"""`make_window`: the main window on a library of generated rows, for view tests (import the fixture).

Conditions are awaited for the importing module's WAIT (ms), a deadline on a busy machine, not a delay."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from app.ui.main_window import MainWindow
from app.ui.settings import AppSettings


@pytest.fixture
def make_window(qtbot, tmp_path, request):
    windows = []
    wait = request.module.WAIT

    def make(library_dir) -> MainWindow:
        settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
        window = MainWindow(settings, remember=False)
        qtbot.addWidget(window)
        assert window.open_library(library_dir)
        window.loader.set_repair(None)  # generated rows have no originals to make thumbnails from
        window.resize(1280, 820)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.browser.loaded, timeout=wait)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
