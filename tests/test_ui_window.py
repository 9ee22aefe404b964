"""The main window over a real library: opening, sidebar, zoom, viewer navigation, messages, settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from app.bench.gui import generate_library, write_photos
from app.ui.main_window import MainWindow
from app.ui.settings import AppSettings
from app.ui.views import Mode

# The offscreen platform cannot pass a window's minimum size to a window system and says so on every show;
# that is the test platform talking, not the app.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def settings(tmp_path):
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def make_window(qtbot, settings):
    windows = []

    def make(library_dir) -> MainWindow:
        window = MainWindow(settings)
        qtbot.addWidget(window)
        assert window.open_library(library_dir)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.browser.loaded)  # the id list is read off the GUI thread
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


def test_opening_a_library_shows_its_photos(library, make_window, qtbot):
    generate_library(library, 120, thumbnails=20)
    window = make_window(library.root)
    assert window.grid_model.rowCount() == 120
    assert window.count_label.text() == "120 photos"
    library_item = window.sidebar.item(Mode.LIBRARY)
    qtbot.waitUntil(lambda: library_item.text(0) == "Library  (120)")  # filled after the first paint
    assert library_item.childCount() > 0  # years
    qtbot.waitUntil(lambda: window.sidebar.item(Mode.FOLDER).childCount() == 1)
    assert window.windowTitle() == "library"  # the platform adds " — Shoebox" (the application's name)


def test_every_section_is_enabled_and_an_empty_library_says_so(tmp_path, make_window):
    window = make_window(tmp_path / "empty")
    for mode in Mode:
        assert window.sidebar.item(mode).flags() & Qt.ItemFlag.ItemIsEnabled
    assert window.sidebar.item(Mode.SEARCH).flags() & Qt.ItemFlag.ItemIsEnabled
    assert window.sidebar.item(Mode.PEOPLE).flags() & Qt.ItemFlag.ItemIsEnabled
    assert "No photos yet" in window.empty_label.text() and window.empty_label.isVisible()


def test_an_empty_library_keeps_the_filter_bar_at_the_top(tmp_path, make_window, qtbot):
    """With the grid hidden, the empty text takes its room; the bar floated to the middle of the page before."""
    window = make_window(tmp_path / "empty")
    window.resize(1280, 800)
    bar = window.browser.filter_bar
    qtbot.waitUntil(lambda: window.browser.empty_label.isVisible() and bar.isVisible())
    qtbot.waitUntil(lambda: window.browser.empty_label.height() > window.browser.grid_page.height() // 2)
    assert bar.geometry().top() == 0


def test_zoom_with_keys_and_slider(library, make_window, qtbot, settings):
    generate_library(library, 30, thumbnails=5)
    window = make_window(library.root)
    before = window.grid_view.thumbnail_size
    window.grid_view.setFocus()
    qtbot.keyClick(window.grid_view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert window.grid_view.thumbnail_size == before + 32
    assert window.zoom_slider.value() == before + 32
    window.zoom_slider.setValue(128)
    assert window.grid_view.thumbnail_size == 128
    grid = window.grid_view
    qtbot.waitUntil(lambda: grid.columns() == (grid.viewport().width() - 1) // (128 + 8))
    assert 128 + 8 <= grid.gridSize().width() < 2 * (128 + 8)  # 128 px and margins, widened to fill the row
    window.close()
    assert settings.thumbnail_size == 128


def test_viewer_opens_navigates_and_returns(library, make_window, qtbot, tmp_path):
    write_photos(tmp_path / "photos", 4)
    library.importer.import_paths([tmp_path / "photos"], progress=False)
    window = make_window(library.root)
    grid = window.grid_view
    grid.setFocus()
    grid.setCurrentIndex(window.grid_model.index(0))
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    viewer = window.viewer
    assert window.stack.currentWidget() is viewer and viewer.row == 0
    qtbot.waitUntil(lambda: viewer._stage == 2, timeout=10_000)  # preview, then the original file
    assert viewer.canvas.image.width() == window.grid_model.info(0).width
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.row == 1 and viewer.position.text() == "2 of 4"
    assert window.info_panel.title_text() == Path(window.grid_model.info(1).path).name
    qtbot.keyClick(viewer, Qt.Key.Key_Left)
    qtbot.keyClick(viewer, Qt.Key.Key_Left)  # stays on the first
    assert viewer.row == 0
    qtbot.keyClick(viewer, Qt.Key.Key_End)
    assert viewer.row == 3
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert window.stack.currentWidget() is window.grid_page
    assert grid.currentIndex().row() == 3


def test_info_panel_follows_the_selection(library, make_window):
    generate_library(library, 10, thumbnails=2)
    window = make_window(library.root)
    window.grid_view.select_row(2)
    info = window.grid_model.info(2)
    expected = {"NIKON CORPORATION": info.camera_model}.get(info.camera_make, f"{info.camera_make} {info.camera_model}")
    assert window.info_panel.text("Camera") == expected  # "NIKON Z 6_2", not "NIKON CORPORATION NIKON ..."
    assert window.info_panel.text("Files") == info.path
    window.grid_view.selectAll()
    assert "(and 9 more selected)" in window.info_panel.title_text()


def test_last_library_is_remembered(tmp_path, make_window, settings):
    make_window(tmp_path / "lib-a")
    assert settings.last_library == str((tmp_path / "lib-a").resolve())


def test_a_library_that_cannot_open_is_a_message_not_a_crash(tmp_path, make_window):
    window = make_window(tmp_path / "good")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert not window.open_library(blocker / "lib")
    bars = window.message_area.messages()
    assert bars and "cannot create library folder" in bars[0].text and bars[0].details_view is not None
    assert window.library.root == (tmp_path / "good").resolve()  # still on the old one


def test_search_without_a_model_says_what_to_do(library, make_window, qtbot):
    generate_library(library, 5, thumbnails=1)
    window = make_window(library.root)
    window.search_box.setText("beach")
    qtbot.waitUntil(lambda: any(b.level == "warning" for b in window.message_area.messages()), timeout=20_000)
    text = " ".join(b.text for b in window.message_area.messages())
    assert "model" in text.lower()
    assert window.grid_model.rowCount() == 5  # the grid keeps showing the library
    offers = [b for b in window.message_area.messages() if b.action_button is not None]
    assert [b.action_button.text() for b in offers] == ["Set up smart search…"]


@pytest.mark.ml
def test_locating_a_model_folder_makes_search_work(library, make_window, qtbot, tmp_path, monkeypatch):
    """The 'Use files on disk' path of the set-up: a model folder is installed, photos analysed, search runs."""
    from ml_tiny_model import TINY_ARCH, tiny_checkpoint

    from app.core.library import Library

    monkeypatch.setenv("SHOEBOX_MODELS_DIR", str(tmp_path / "shared-models"))
    with Library.open(tmp_path / "elsewhere", log_to_file=False) as other:  # where the user's model came from
        info = other.models.import_path(tiny_checkpoint(tmp_path / "ckpt"), arch=TINY_ARCH, model_id="clip:tiny/x")
        model_folder = tmp_path / "my-model"
        shutil.copytree(info.folder, model_folder)
    write_photos(tmp_path / "photos", 6, seed=2, size=(320, 240))
    library.importer.import_paths([tmp_path / "photos"], progress=False)
    window = make_window(library.root)
    with qtbot.waitSignal(window.model_setup.installed, timeout=60_000):
        window.model_setup.import_folder(model_folder)
    qtbot.waitUntil(lambda: library.search.status().embedded == 6, timeout=60_000)
    window.search_box.setText("a lake")
    qtbot.waitUntil(lambda: window.place.mode is Mode.SEARCH, timeout=20_000)
    assert window.grid_model.rowCount() == 6
