"""Imports from the window: a dropped folder fills the grid, Cancel stops an import, and the duplicates view
hides the other photos of a group (with Undo), never touching files on disk."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QPushButton

from app.bench.gui import write_photos
from app.core.tasks.states import LIVE_STATES, TaskKind
from app.ui.main_window import MainWindow
from app.ui.settings import AppSettings
from app.ui.views import Mode

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def window(qtbot, tmp_path):
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings)
    qtbot.addWidget(window)
    assert window.open_library(tmp_path / "library")
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.browser.loaded)
    yield window
    window.close()


def drop(window, *paths) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    centre = window.rect().center()
    enter = QDragEnterEvent(centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(QPointF(centre), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    return event.isAccepted()


def messages(window) -> str:
    return " | ".join(bar.text for bar in window.message_area.messages())


def test_dropped_folder_is_imported_into_the_grid(window, qtbot, tmp_path):
    write_photos(tmp_path / "holiday", 6)
    assert drop(window, tmp_path / "holiday")
    assert window.imports.active and window.import_progress.isVisible()
    qtbot.waitUntil(lambda: not window.imports.active, timeout=60_000)
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 6, timeout=5_000)
    qtbot.waitUntil(lambda: "Import finished: 6 new photo(s)" in messages(window), timeout=5_000)
    assert not window.import_progress.isVisible()
    qtbot.waitUntil(lambda: window.sidebar.item(Mode.FOLDER).childCount() == 1, timeout=5_000)
    assert window.count_label.text() == "6 photos"


def test_a_drop_of_non_files_is_refused(window):
    mime = QMimeData()
    mime.setText("just text")
    enter = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


def test_cancel_stops_the_import(window, qtbot, tmp_path):
    write_photos(tmp_path / "many", 30, size=(640, 480))
    groups: list[int] = []
    window.imports.started.connect(groups.append)
    assert window.import_paths([str(tmp_path / "many")])  # queued on the reader thread
    window.import_progress.cancel_button.click()  # before or after it is: both cancel it
    qtbot.waitUntil(lambda: not window.imports.active, timeout=60_000)
    qtbot.waitUntil(lambda: "Import finished (cancelled)" in messages(window), timeout=5_000)
    assert window.grid_model.rowCount() < 30
    (group,) = groups
    assert window.library.tasks.group_status(group).live == 0
    # Nothing of any import is left to run (the library-wide thumbnail check queued on open may still be).
    live = [t for state in LIVE_STATES for t in window.library.tasks.list_tasks(state=state)]
    assert not [t for t in live if t.type in (TaskKind.SCAN, TaskKind.INGEST)], live


def test_keep_this_one_hides_the_others_and_can_be_undone(window, qtbot, tmp_path):
    folder = tmp_path / "dups"
    (original,) = write_photos(folder, 1, size=(900, 600))
    Image.open(original).resize((600, 400)).save(folder / "smaller-copy.jpg", quality=80)  # near duplicate
    shutil.copy(original, folder / "exact-copy.jpg")  # the same bytes in another file
    window.import_paths([str(folder)])
    qtbot.waitUntil(lambda: not window.imports.active, timeout=60_000)
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 2, timeout=5_000)

    window.show_duplicates()
    view = window.duplicates_view
    qtbot.waitUntil(lambda: view.loaded, timeout=5_000)  # read off the GUI thread
    assert {g.kind for g in view.groups} == {"exact", "near"}
    near = next(g for g in view.groups if g.kind == "near")
    keep = near.photos[0].id
    card = next(c for c in view.cards[keep] if hasattr(c, "keep_button"))
    card.keep_button.click()

    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 1, timeout=5_000)
    assert window.grid_model.photo_id(0) == keep
    assert all(p.exists() for p in folder.iterdir()) and len(list(folder.iterdir())) == 3  # nothing deleted
    qtbot.waitUntil(lambda: any("hid 1 other" in b.text for b in window.message_area.messages()), timeout=5_000)
    bar = next(b for b in window.message_area.messages() if "hid 1 other" in b.text)
    undo = next(b for b in bar.findChildren(QPushButton) if b.text() == "Undo")
    undo.click()
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 2, timeout=5_000)


def test_the_progress_says_importing_before_the_files_are_counted(qtbot):
    """Not "Importing 0 of 0" while the folder is still being read (or for an import queued elsewhere)."""
    from app.ui.import_controller import ImportProgress

    progress = ImportProgress()
    qtbot.addWidget(progress)
    progress.show_progress(0, 0, 0.0, "/photos/2019")
    assert progress.label.text() == "Importing… · 2019"
    progress.show_progress(3, 10, 2.0, "/photos/2019/a.jpg")
    assert progress.label.text() == "Importing 3 of 10 · 2.0/s · a.jpg"
