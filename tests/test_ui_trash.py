"""Delete in the grid moves the selected photos' files towards the system trash, with Undo while the app runs;
closing the window sends them to the OS trash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QSettings

from app.bench.gui import write_photos
from app.ui.main_window import MainWindow
from app.ui.settings import AppSettings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def window(qtbot, tmp_path):
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    win = MainWindow(settings)
    qtbot.addWidget(win)
    assert win.open_library(tmp_path / "library")
    win.trash.confirm = False
    win.show()
    qtbot.waitExposed(win)
    folder = tmp_path / "photos"
    write_photos(folder, 4)
    win.import_paths([str(folder)])
    qtbot.waitUntil(lambda: not win.imports.active and win.grid_model.rowCount() == 4, timeout=60_000)
    yield win
    win.close()


def _select(window, rows):
    selection = window.grid_view.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(window.grid_model.index(row, 0), QItemSelectionModel.SelectionFlag.Select)


def _bar(window, text):
    return next((b for b in window.message_area.messages() if text in b.text), None)


def test_delete_undo_and_close(window, qtbot, tmp_path):
    assert window.trash_action.shortcut().toString() == "Del"
    assert window.trash_action in window.photo_actions  # menu and context menu
    _select(window, [0, 1])
    window.trash_action.trigger()
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 2, timeout=20_000)
    assert len(list((tmp_path / "photos").glob("*.jpg"))) == 2
    bar = _bar(window, "Moved 2 photo(s) to the trash")
    assert bar is not None and bar.action_button.text() == "Undo"
    bar.action_button.click()
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 4, timeout=20_000)
    assert len(list((tmp_path / "photos").glob("*.jpg"))) == 4

    _select(window, [3])
    window.trash_action.trigger()
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 3, timeout=20_000)
    window.close()
    trash = Path(os.environ["XDG_DATA_HOME"]) / "Trash" / "files"
    assert len(list(trash.iterdir())) == 1
    assert len(list((tmp_path / "photos").glob("*.jpg"))) == 3
