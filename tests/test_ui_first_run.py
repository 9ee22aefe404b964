"""The first start asks where the library goes and what to add (Pictures by default), then imports it with live
progress; later starts open the last library without asking."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QStandardPaths

from app.bench.gui import write_photos
from app.core.paths import default_library_dir
from app.ui.first_run import FirstRunDialog, is_first_run
from app.ui.settings import AppSettings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


def test_dialog_defaults_to_the_per_user_library_and_the_pictures_folder(qtbot, _private_user_dirs):
    pictures = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation))
    pictures.mkdir(parents=True, exist_ok=True)
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    assert dialog.library_path == str(default_library_dir())
    assert dialog.folders == [str(pictures)]
    assert str(pictures).startswith(str(_private_user_dirs))  # the test's own home, never the developer's


def test_first_start_asks_then_imports_and_later_starts_do_not(qtbot, tmp_path):
    from app.ui.application import create_main_window

    settings = AppSettings()
    assert is_first_run(settings, None)
    assert not is_first_run(settings, str(tmp_path / "given"))
    photos = tmp_path / "My Photos"
    write_photos(photos, 4)
    chosen = tmp_path / "Chosen Library"
    asked = []

    def ask():
        asked.append(True)
        return str(chosen), [str(photos)]

    window, folders = create_main_window(None, ask=ask)
    qtbot.addWidget(window)
    try:
        assert asked and folders == [str(photos)]
        assert window.library.root == chosen.resolve()
        window.show()
        window.import_paths(folders)
        assert window.import_progress.isVisible()  # live progress
        qtbot.waitUntil(lambda: not window.imports.active and window.grid_model.rowCount() == 4, timeout=60_000)
    finally:
        window.close()

    asked.clear()
    window, folders = create_main_window(None, ask=ask)  # the second start: straight into the last library
    qtbot.addWidget(window)
    try:
        assert not asked and folders == []
        assert window.library.root == chosen.resolve()
    finally:
        window.close()


def test_not_now_opens_the_default_library_empty(qtbot):
    from app.ui.application import create_main_window

    window, folders = create_main_window(None, ask=lambda: None)
    qtbot.addWidget(window)
    try:
        assert folders == [] and window.library.root == default_library_dir().resolve()
    finally:
        window.close()
