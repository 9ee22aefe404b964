"""Watched folders: changes on disk become one quiet import per burst; paused, removed and offline folders;
the library's own writes never count as changes."""

from __future__ import annotations

import os
import shutil

import pytest
from PySide6.QtCore import QSettings

from app.bench.gui import write_photos
from app.core.ingest.watch import FolderWatcher
from app.ui.main_window import MainWindow
from app.ui.settings import AppSettings
from app.ui.views import Mode, Place

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


# -- the watcher on its own ----------------------------------------------------------------------------------
def test_a_burst_of_changes_is_one_batch(qtbot, tmp_path):
    watcher = FolderWatcher(quiet_ms=50)
    batches = []
    watcher.changed.connect(batches.append)
    root = str(tmp_path)
    # 5,000 events arrive before the event loop runs again (as a copy does between two timer ticks).
    for n in range(5000):
        watcher._note(root, os.path.join(root, "copy", f"IMG_{n}.jpg"))
    qtbot.waitUntil(lambda: bool(batches), timeout=10_000)
    assert batches == [[root]]


def test_hidden_folders_and_the_library_itself_are_no_news(qtbot, tmp_path):
    watcher = FolderWatcher(quiet_ms=50)
    batches = []
    watcher.changed.connect(batches.append)
    root = str(tmp_path)
    watcher.ignore([os.path.join(root, "ShoeboxLibrary")])
    watcher._note(root, os.path.join(root, "ShoeboxLibrary", "thumbnails", "ab", "x.jpg"))
    watcher._note(root, os.path.join(root, ".git", "index"))
    watcher._note(root, os.path.join(root, "trip", "IMG_1.jpg"))
    qtbot.waitUntil(lambda: bool(batches), timeout=10_000)
    assert batches == [[root]]
    assert watcher._pending == set()


def test_real_changes_on_disk_are_seen(qtbot, tmp_path):
    watcher = FolderWatcher(quiet_ms=100)
    batches = []
    watcher.changed.connect(batches.append)
    folder = tmp_path / "photos"
    folder.mkdir()
    watcher.watch([str(folder)])
    try:
        assert watcher.watched == [str(folder)]
        write_photos(folder / "new", 3)
        qtbot.waitUntil(lambda: bool(batches), timeout=30_000)
        assert all(b == [str(folder)] for b in batches)
    finally:
        watcher.stop()


# -- in the window --------------------------------------------------------------------------------------------
@pytest.fixture
def window(qtbot, tmp_path):
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.folder_watch.watcher._quiet.setInterval(100)
    assert win.open_library(tmp_path / "library")
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.browser.loaded)
    yield win
    win.close()


def _imported(window, qtbot, folder, count):
    window.import_paths([str(folder)])
    qtbot.waitUntil(lambda: not window.imports.active and window.grid_model.rowCount() == count, timeout=60_000)
    qtbot.waitUntil(lambda: window.folder_watch.watcher.watched == [str(folder)], timeout=10_000)


def _photos(window):
    return window.library.photos.list(include_hidden=True)


def test_new_moved_and_deleted_files_are_picked_up(window, qtbot, tmp_path):
    folder = tmp_path / "Pictures"
    write_photos(folder, 3)
    _imported(window, qtbot, folder, 3)

    write_photos(folder / "later", 2, seed=1)  # new files: imported with no action
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 5 and not window.imports.active, timeout=60_000)

    first = sorted(folder.glob("*.jpg"))[0]
    moved = folder / "later" / ("moved_" + first.name)
    shutil.move(first, moved)  # a move keeps the photo, under its new path
    qtbot.waitUntil(lambda: any(p.path == str(moved) for p in _photos(window)) and not window.imports.active,
                    timeout=60_000)
    assert len(_photos(window)) == 5

    victim = sorted(folder.glob("*.jpg"))[0]
    victim.unlink()  # a deleted file leaves its photo marked missing
    qtbot.waitUntil(lambda: any(p.status == "missing" for p in _photos(window)) and not window.imports.active,
                    timeout=60_000)


def test_pause_remove_and_offline_folders(window, qtbot, tmp_path):
    folder = tmp_path / "Camera"
    write_photos(folder, 2)
    _imported(window, qtbot, folder, 2)
    view = window.views[Mode.FOLDER]
    qtbot.waitUntil(lambda: bool(view._folders), timeout=10_000)
    folder_id = next(iter(view._folders))
    texts = [a.text() for a in view.sidebar_actions(Place(Mode.FOLDER, folder_id))]
    assert texts == ["Rescan", "Pause Watching", "Remove from Library…", "Add Folder…"]

    view.set_paused(folder_id, True)
    qtbot.waitUntil(lambda: window.folder_watch.watcher.watched == [], timeout=10_000)
    qtbot.waitUntil(lambda: "paused" in window.sidebar.item(Mode.FOLDER).child(0).text(0), timeout=10_000)
    view.set_paused(folder_id, False)
    qtbot.waitUntil(lambda: window.folder_watch.watcher.watched == [str(folder)], timeout=10_000)

    offline = tmp_path / "Camera-unplugged"
    folder.rename(offline)  # the drive is gone: its photos are offline, not missing
    window.refresh()
    qtbot.waitUntil(lambda: "offline" in window.sidebar.item(Mode.FOLDER).child(0).text(0), timeout=10_000)
    assert all(p.status == "ok" for p in _photos(window))
    offline.rename(folder)

    view.remove(folder_id)
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 0, timeout=10_000)
    assert window.library.photos.count(include_hidden=True) == 0
    assert len(list(folder.glob("*.jpg"))) == 2  # the files stay
    qtbot.waitUntil(lambda: window.folder_watch.watcher.watched == [], timeout=10_000)
