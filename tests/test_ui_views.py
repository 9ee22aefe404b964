"""What a new user ran into, one test each, and the window's structure: views as modules, one message path,
Qt warnings and background failures in the log, live updates from another process."""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog

from app.bench.gui import generate_library, write_photos
from app.ui.main_window import MainWindow, pictures_dir
from app.ui.settings import AppSettings
from app.ui.views import Mode, Place

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def make_window(qtbot, tmp_path):
    windows = []

    def make(library_dir, size=(1280, 820)) -> MainWindow:
        settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
        window = MainWindow(settings)
        qtbot.addWidget(window)
        assert window.open_library(library_dir)
        window.resize(*size)
        window.show()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window.browser.loaded)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()


def bars(window) -> list[str]:
    return [bar.text for bar in window.message_area.messages()]


# -- structure ---------------------------------------------------------------------------------------------
def test_every_sidebar_section_is_a_view_and_each_is_a_place_to_go(library, make_window):
    window = make_window(library.root)
    assert list(window.views) == list(Mode)
    tree = window.sidebar.tree
    assert [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())] == \
        [view.sidebar_item() for view in window.views.values()]
    for mode in Mode:  # every section exists now: none is a disabled placeholder
        assert window.views[mode].enabled
        window.navigate(Place(mode))
        assert window.place.mode is mode
    window.navigate(Place(Mode.LIBRARY))
    assert window.views[Mode.ACTIVITY].page() is not None
    assert window.views[Mode.DUPLICATES].page() is window.duplicates_view


def test_messages_replace_their_kind_and_information_goes_away(library, make_window):
    window = make_window(library.root)
    window.bridge.warning("first", key="k")
    window.bridge.warning("second", key="k")
    assert bars(window) == ["second"]
    window.bridge.info("done")
    info = window.message_area.messages()[-1]
    assert info.timer is not None and info.timer.isActive()  # informational bars time out by themselves
    assert window.message_area.messages()[0].timer is None  # warnings stay until dismissed
    info.timer.timeout.emit()
    assert bars(window) == ["second"]


def test_a_stale_message_goes_when_the_new_library_opens(tmp_path, make_window):
    window = make_window(tmp_path / "first")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("something")
    assert not window.create_library(busy)
    assert any("is not empty" in text for text in bars(window))
    assert window.create_library(tmp_path / "A brand new name")  # a typed name that does not exist yet
    assert window.library.root == (tmp_path / "A brand new name").resolve()
    assert bars(window) == []


def test_new_library_dialog_takes_a_new_name_and_starts_in_pictures(library, make_window):
    window = make_window(library.root)
    dialog = window.new_library_dialog()
    assert dialog.fileMode() == QFileDialog.FileMode.AnyFile  # not Directory: that refuses a new name
    assert dialog.acceptMode() == QFileDialog.AcceptMode.AcceptSave
    assert Path(dialog.directory().absolutePath()) == Path(pictures_dir())
    dialog.deleteLater()


def test_messages_never_squeeze_the_grid_below_two_rows(library, make_window, qtbot):
    generate_library(library, 200, thumbnails=0)
    window = make_window(library.root, size=(800, 600))
    long = "A message long enough to wrap over several lines in a small window. " * 4
    for k in range(3):
        window.bridge.warning(f"{k}: {long}", key=f"k{k}", details="trace")
    qtbot.waitUntil(lambda: window.grid_view.viewport().height() >= 2 * window.grid_view.gridSize().height())
    assert bars(window)[-1].startswith("2:")  # the newest stays; older ones gave way


def test_ctrl_1_goes_to_the_library_without_selecting_anything(library, make_window, qtbot):
    generate_library(library, 40, thumbnails=0)
    window = make_window(library.root)
    with qtbot.waitActive(window):  # shortcuts go to the active window
        window.activateWindow()
    window.grid_view.setFocus()
    window.show_duplicates()
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.place.mode is Mode.LIBRARY
    assert window.browser.selected_count() == 0
    # A month in the sidebar while Ctrl is still down (the shortcut's modifier): scrolls, selects nothing.
    qtbot.keyPress(window.grid_view, Qt.Key.Key_Control)
    window.navigate(Place(Mode.LIBRARY, 10))
    qtbot.keyRelease(window.grid_view, Qt.Key.Key_Control)
    assert window.browser.selected_count() == 0


def test_info_panel_wraps_instead_of_clipping(library, make_window, qtbot):
    generate_library(library, 5, thumbnails=0)
    window = make_window(library.root, size=(1600, 900))
    info = window.grid_model.info(0)
    long = "/home/someone/Pictures/Holidays/2023 Summer in the mountains with the family/DCIM/100CANON/" \
           "IMG_20230714_183012_HDR_edited_final_version.jpg"
    window.info_panel.show_info(dataclasses.replace(info, path=long, paths=[long]))
    panel = window.info_panel
    assert panel.width() >= 260  # its default width leaves room for a date with seconds

    def fits(label) -> bool:
        return (label.geometry().right() <= panel.viewport().width()  # inside, no horizontal scrolling
                and label.height() >= label.heightForWidth(label.width()))  # all of its lines are shown

    shown = [label for label in [panel.title, *panel.values.values()] if label.isVisibleTo(panel)]  # no Place row
    assert len(shown) > 5
    qtbot.waitUntil(lambda: all(fits(label) for label in shown))
    assert not panel.horizontalScrollBar().isVisible()
    assert panel.values["Files"].height() > 2 * panel.values["Camera"].height()  # the path wrapped
    assert panel.text("Files") == long


def test_window_title_names_the_library_once(library, make_window):
    window = make_window(library.root)
    assert window.windowTitle() == library.root.name  # Qt adds " — Shoebox" from the application name


def test_search_without_a_model_is_logged_once(library, make_window, qtbot, caplog):
    generate_library(library, 3, thumbnails=0)
    window = make_window(library.root)
    caplog.set_level(logging.INFO, logger="shoebox.messages")
    window.search_box.setText("beach")
    qtbot.waitUntil(lambda: any(b.level == "warning" for b in window.message_area.messages()), timeout=20_000)
    window.search.run_now()  # the query itself fails the same way
    qtbot.waitUntil(lambda: not window.search.worker.pool.activeThreadCount(), timeout=20_000)
    qtbot.wait(50)  # let the queued callbacks of finished jobs run
    warnings = [r for r in caplog.records if r.name == "shoebox.messages" and r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert len(window.message_area.messages()) == 1


def test_the_grid_fills_the_width(library, make_window, qtbot):
    generate_library(library, 300, thumbnails=0)
    window = make_window(library.root)
    view = window.grid_view
    def filled() -> bool:  # the laid-out first row reaches the right edge, give or take a pixel per column
        columns = view.columns()
        right = view.rectForIndex(view.model().index(columns - 1, 0)).right()
        return columns > 0 and view.viewport().width() - (right + 1) <= columns + 1

    for width in (900, 1013, 1157, 1301, 1555):
        window.resize(width, 820)
        qtbot.waitUntil(filled)
        assert view.gridSize().width() >= view.thumbnail_size + 8
        assert view.columns() == (view.viewport().width() - 1) // (view.thumbnail_size + 8)  # no column lost


def test_a_small_window_keeps_the_grid_usable(library, make_window, qtbot):
    generate_library(library, 50, thumbnails=0)
    window = make_window(library.root)
    assert window.info_dock.isVisible() and window.sidebar_shown()
    window.resize(800, 600)
    qtbot.waitUntil(lambda: not window.info_dock.isVisible() and not window.sidebar_shown())
    qtbot.waitUntil(lambda: window.grid_view.viewport().width() >= 700)
    window.sidebar_action.trigger()  # F9 brings it back on demand
    assert window.sidebar_shown()
    window.sidebar_action.trigger()
    window.resize(1400, 860)
    qtbot.waitUntil(lambda: window.info_dock.isVisible() and window.sidebar_shown())


# -- logs ----------------------------------------------------------------------------------------------------
def test_qt_warnings_go_to_the_log(caplog, qtbot):
    from PySide6.QtCore import qInstallMessageHandler, qWarning

    from app.ui.qt_log import install_qt_log_handler

    previous = install_qt_log_handler()
    try:
        with caplog.at_level(logging.WARNING, logger="qt"):
            qWarning("a Qt warning for the log")
    finally:
        qInstallMessageHandler(previous)
    assert any(r.name == "qt" and "a Qt warning for the log" in r.getMessage() for r in caplog.records)


def test_background_job_failures_are_logged(qtbot, caplog):
    from app.ui.workers import Worker

    worker = Worker()
    errors = []
    with caplog.at_level(logging.WARNING, logger="app.ui.workers"):
        worker.run(lambda: 1 / 0, lambda result, error: errors.append(error))
        qtbot.waitUntil(lambda: bool(errors))
    assert isinstance(errors[0], ZeroDivisionError)
    assert any("background job" in r.getMessage() and r.exc_info for r in caplog.records)


def test_the_windows_reads_take_turns(qtbot):
    """The reader's jobs and the grid's read-ahead run under one lock (workers.WINDOW_READS): two of them at
    once would leave the GUI thread a third of the GIL instead of half."""
    from app.ui.grid_model import PhotoGridModel
    from app.ui.images import ImageLoader
    from app.ui.reader import Reader
    from app.ui.workers import WINDOW_READS

    reader, model = Reader(), PhotoGridModel(None, ImageLoader())
    held = []
    reader.read("check", WINDOW_READS.locked, lambda result, error: held.append(result))
    model._prefetcher.run(WINDOW_READS.locked, lambda result, error: held.append(result))
    qtbot.waitUntil(lambda: len(held) == 2)
    assert held == [True, True] and not WINDOW_READS.locked()
    reader.close()


# -- live with the library -------------------------------------------------------------------------------
def test_a_cli_import_shows_up_in_the_open_window(library, make_window, qtbot, tmp_path):
    window = make_window(library.root)
    assert window.grid_model.rowCount() == 0
    write_photos(tmp_path / "card", 3, size=(320, 240))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    subprocess.run([sys.executable, "-m", "app.cli", "--library", str(library.root), "import", "--no-progress",
                    str(tmp_path / "card")], check=True, env=env, cwd=ROOT, capture_output=True, timeout=300)
    finished = time.monotonic()
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 3, timeout=30_000)  # no click, no key
    print(f"\nCLI import visible in the window {time.monotonic() - finished:.2f} s after the CLI finished")
    qtbot.waitUntil(lambda: window.count_label.text() == "3 photos")
    qtbot.waitUntil(lambda: window.sidebar.item(Mode.FOLDER).childCount() == 1)


def test_f5_refreshes_at_once(library, make_window, qtbot):
    window = make_window(library.root)
    window.watcher.set_library(None)  # no live updates: only the key brings the change
    generate_library(library, 7, thumbnails=0)
    window.refresh_action.trigger()
    qtbot.waitUntil(lambda: window.grid_model.rowCount() == 7)
    assert window.refresh_action.shortcut().toString() == "F5"


def test_reader_runs_the_newest_request_per_purpose_once(qtbot):
    import threading

    from app.ui.reader import Reader

    reader = Reader()
    gate, ran, answered = threading.Event(), [], []

    def job(name):
        def run():
            if name == "first":
                gate.wait(30)
            ran.append(name)
            return name
        return run

    for name in ("first", "second", "third"):
        reader.read("grid", job(name), lambda result, error: answered.append(result))
    reader.read("other", job("other"), lambda result, error: answered.append(result))
    gate.set()
    qtbot.waitUntil(lambda: not reader.busy() and "third" in answered and "other" in answered)
    assert "second" not in ran  # superseded before it started
    assert "first" not in answered  # superseded while it ran: its result is dropped
    reader.close()


def test_an_engine_that_stops_on_a_full_disk_says_so_and_can_resume(library, make_window, qtbot):
    """The engine's own bookkeeping failing (a full disk) shows one error with a Resume action."""
    window = make_window(library.root)
    qtbot.waitUntil(lambda: window.tasks_engine is not None, timeout=30_000)  # made on the reader, wired here
    window.library.tasks.failed.emit("the disk holding the library is full")
    qtbot.waitUntil(lambda: any("disk holding the library is full" in text for text in bars(window)))
    (bar,) = [bar for bar in window.message_area.messages() if "disk" in bar.message.text]
    assert [label for label, _ in bar.message.actions] == ["Resume"]


@pytest.mark.qt_log_ignore("Invalid JPEG file structure", "propagateSizeHints")  # the truncated thumbnail, before repair
def test_the_grid_remakes_a_lost_thumbnail_instead_of_showing_nothing(library, make_window, qtbot, tmp_path):
    """A deleted grid thumbnail and a truncated one are made again from the originals when the grid asks."""
    write_photos(tmp_path / "photos", 3)
    library.importer.import_paths([tmp_path / "photos"], progress=False)
    infos = library.photos.list()
    lost, broken = Path(infos[0].thumbnail), Path(infos[1].thumbnail)
    lost.unlink()
    broken.write_bytes(broken.read_bytes()[:200])
    window = make_window(library.root)
    model = window.grid_model

    def shown(path: Path) -> bool:
        row = next(r for r in range(model.rowCount()) if model.info(r).thumbnail == str(path))
        model.data(model.index(row), Qt.ItemDataRole.DecorationRole)  # what a paint asks for
        image = window.loader.cached(("grid", model.info(row).id))
        return image is not None and not image.isNull()

    qtbot.waitUntil(lambda: shown(lost) and shown(broken), timeout=30_000)
    assert lost.is_file() and broken.stat().st_size > 200
