"""The window's organise actions (issue 14): each from its key, the Photo menu and the grid's context menu, on one
photo and on a selection, with undo; rotation shown in the grid and viewer; the info panel's editable fields;
handing a photo to the desktop. Waits on conditions only."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, QSettings, Qt
from PySide6.QtGui import QGuiApplication

from app.bench.gui import write_photos
from app.ui.grid_model import ThumbnailRole
from app.ui.main_window import MainWindow
from app.ui.settings import AppSettings

# The offscreen platform cannot do what a popup menu asks of a window system, and says so.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints",
                                       "This plugin does not support raise",
                                       "This plugin does not support grabbing")


@pytest.fixture
def window(library, tmp_path, qtbot):
    write_photos(tmp_path / "photos", 6, size=(320, 240))
    library.importer.import_paths([tmp_path / "photos"], progress=False)
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    win = MainWindow(settings)
    qtbot.addWidget(win)
    assert win.open_library(library.root)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.browser.loaded and win.grid_model.rowCount() == 6)
    win.grid_view.setFocus()
    yield win
    win.close()


def select(window, rows: list[int]) -> list[int]:
    view, model = window.grid_view, window.grid_model
    view.selectionModel().setCurrentIndex(model.index(rows[0], 0), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    selection = QItemSelection()
    for row in rows:
        selection.select(model.index(row, 0), model.index(row, 0))
    view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.Select)
    return [model.photo_id(r) for r in rows]


def edits(window, ids):
    return window.library.organise.edits(ids)


def settle(window, qtbot):
    """Wait for the edits sent to the worker thread, and the reads they cause."""
    qtbot.waitUntil(lambda: window.organise.pending == 0 and not window.reader.busy())


def key(window, qtbot, k, modifier=Qt.KeyboardModifier.NoModifier, widget=None):
    qtbot.keyClick(widget or window.grid_view, k, modifier)
    settle(window, qtbot)


def menu_action(menu, text: str):
    for action in menu.actions():
        if action.text().replace("&", "") == text:
            return action
        if action.menu() is not None:
            found = menu_action(action.menu(), text)
            if found is not None:
                return found
    return None


def photo_menu(window):
    return next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Photo")


def context_menu(window, row: int):
    rect = window.grid_view.visualRect(window.grid_model.index(row, 0))
    window._context_menu(rect.center())
    return window.context_menu


@pytest.mark.parametrize("rows", [[0], [1, 2, 4]], ids=["one", "selection"])
def test_keys_edit_the_selection_and_ctrl_z_undoes_each(window, qtbot, rows):
    ids = select(window, rows)
    key(window, qtbot, Qt.Key.Key_4)
    assert all(e.rating == 4 for e in edits(window, ids).values())
    key(window, qtbot, Qt.Key.Key_F)
    assert all(e.favourite for e in edits(window, ids).values())
    key(window, qtbot, Qt.Key.Key_Period)
    assert not any(e.favourite for e in edits(window, ids).values())
    key(window, qtbot, Qt.Key.Key_X)
    assert all(e.rejected for e in edits(window, ids).values())
    key(window, qtbot, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert all(e.rotation == 270 for e in edits(window, ids).values())
    key(window, qtbot, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    key(window, qtbot, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert all(e.rotation == 90 for e in edits(window, ids).values())
    key(window, qtbot, Qt.Key.Key_0)
    assert all(e.rating == 0 for e in edits(window, ids).values())
    others = [window.grid_model.photo_id(r) for r in range(6) if r not in rows]
    assert all(e.rating == 0 and not e.rejected and e.rotation == 0 for e in edits(window, others).values())

    # Ctrl+Z walks back: rating 4 again, then rotations, then the reject flag, then favourite...
    expected = [("rating", 4), ("rotation", 0), ("rotation", 270), ("rotation", 0), ("rejected", False),
                ("favourite", True), ("favourite", False), ("rating", 0)]
    for field, value in expected:
        key(window, qtbot, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        assert all(getattr(e, field) == value for e in edits(window, ids).values()), field


@pytest.mark.parametrize("rows", [[0], [0, 3]], ids=["one", "selection"])
def test_photo_menu_and_context_menu_actions(window, qtbot, rows):
    ids = select(window, rows)
    menu = photo_menu(window)
    menu_action(menu, "★★★").trigger()
    settle(window, qtbot)
    assert all(e.rating == 3 for e in edits(window, ids).values())
    menu_action(menu, "Favourite").trigger()
    settle(window, qtbot)
    assert all(e.favourite for e in edits(window, ids).values())
    menu_action(menu, "Rotate Right").trigger()
    settle(window, qtbot)
    assert all(e.rotation == 90 for e in edits(window, ids).values())

    context = context_menu(window, rows[-1])  # on a selected photo: the whole selection stays
    for text in ("Rotate Left", "Rotate Right", "Favourite", "Reject", "No Rating", "Add Tags…", "Remove Tags…",
                 "Show in File Manager", "Open with Default App", "Copy Image", "Export…"):
        assert menu_action(context, text) is not None, text
    menu_action(context, "Reject").trigger()
    settle(window, qtbot)
    assert all(e.rejected for e in edits(window, ids).values())
    menu_action(context, "Rotate Left").trigger()
    settle(window, qtbot)
    assert all(e.rotation == 0 for e in edits(window, ids).values())
    menu_action(context, "★★★★★").trigger()
    settle(window, qtbot)
    assert all(e.rating == 5 for e in edits(window, ids).values())
    context.close()

    edit_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Edit")
    menu_action(edit_menu, "Undo").trigger()
    settle(window, qtbot)
    assert all(e.rating == 3 for e in edits(window, ids).values())


def test_view_zoom_zooms_the_photo_in_the_viewer_and_the_thumbnails_in_the_grid(window, qtbot):
    """Ctrl/Cmd + and − (View → Zoom In / Out) act on what is shown, as in other photo viewers."""
    size = window.grid_view.thumbnail_size
    window.browser.open_viewer(0)
    canvas = window.viewer.canvas
    window.zoom_in_action.trigger()
    assert canvas.zoom is not None and canvas.scale() > canvas.fit_scale()
    assert window.grid_view.thumbnail_size == size  # the hidden grid did not change
    window.zoom_out_action.trigger()
    assert canvas.zoom is None
    qtbot.keyClick(window.viewer, Qt.Key.Key_Escape)
    window.zoom_in_action.trigger()
    assert window.grid_view.thumbnail_size > size


def test_right_click_in_the_viewer_has_the_photo_menu(window, qtbot):
    """The viewer's photo has the grid's context menu, acting on the photo shown."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QContextMenuEvent

    window.context_menu = None
    window.browser.open_viewer(1)
    canvas = window.viewer.canvas
    QApplication_send(canvas, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(50, 50),
                                                 canvas.mapToGlobal(QPoint(50, 50))))
    menu = window.context_menu
    assert menu is not None
    for text in ("Rotate Left", "Favourite", "Reject", "Add Tags…", "Show in File Manager", "Copy Image", "Export…"):
        assert menu_action(menu, text) is not None, text
    menu_action(menu, "★★").trigger()
    settle(window, qtbot)
    assert edits(window, [window.grid_model.photo_id(1)])[window.grid_model.photo_id(1)].rating == 2
    menu.close()


def test_rotation_turns_grid_thumbnail_and_viewer_at_once(window, qtbot):
    model = window.grid_model
    qtbot.waitUntil(lambda: model.data(model.index(0, 0), ThumbnailRole) is not None)
    before = model.data(model.index(0, 0), ThumbnailRole).size()
    [photo_id] = select(window, [0])
    key(window, qtbot, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    turned = model.data(model.index(0, 0), ThumbnailRole)
    assert (turned.width(), turned.height()) == (before.height(), before.width())

    window.browser.open_viewer(0)
    canvas = window.viewer.canvas
    qtbot.waitUntil(lambda: not canvas.image.isNull() and canvas.source is not None)
    assert (canvas.image.width(), canvas.image.height()) == (canvas.source.height(), canvas.source.width())
    key(window, qtbot, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
        widget=window.viewer)
    assert edits(window, [photo_id])[photo_id].rotation == 180
    qtbot.waitUntil(lambda: canvas.rotation == 180)
    assert canvas.image.size() == canvas.source.size()
    key(window, qtbot, Qt.Key.Key_2, widget=window.viewer)  # single keys work in the viewer too
    assert edits(window, [photo_id])[photo_id].rating == 2


def test_single_keys_do_not_fire_while_typing_in_the_info_panel(window, qtbot):
    [photo_id] = select(window, [0])
    panel = window.edits_panel
    panel.title.setFocus()
    qtbot.keyClicks(panel.title, "Beach 5 X")
    qtbot.keyClick(panel.title, Qt.Key.Key_Return)
    settle(window, qtbot)
    e = edits(window, [photo_id])[photo_id]
    assert (e.title, e.rating, e.rejected) == ("Beach 5 X", 0, False)


def test_info_panel_edits_stars_favourite_title_description(window, qtbot):
    ids = select(window, [1, 2])
    panel = window.edits_panel
    qtbot.waitUntil(lambda: panel.isEnabled())
    panel.stars[3].click()
    settle(window, qtbot)
    assert all(e.rating == 4 for e in edits(window, ids).values())
    qtbot.waitUntil(lambda: panel.rating_shown() == 4)
    panel.favourite.click()
    settle(window, qtbot)
    assert all(e.favourite for e in edits(window, ids).values())
    panel.description.setFocus()
    qtbot.keyClicks(panel.description, "Two friends")
    window.grid_view.setFocus()  # leaving the field saves it
    settle(window, qtbot)
    qtbot.waitUntil(lambda: all(e.description == "Two friends" for e in edits(window, ids).values()))
    panel.stars[3].click()  # clicking the current rating clears it
    settle(window, qtbot)
    assert all(e.rating == 0 for e in edits(window, ids).values())


@pytest.mark.parametrize("rows", [[2], [2, 3, 5]], ids=["one", "selection"])
def test_tags_dialog_adds_with_completion_and_removes(window, qtbot, rows):
    window.library.organise.add_tags([window.grid_model.photo_id(0)], ["Places/Japan/Kyoto"])
    ids = select(window, rows)
    key(window, qtbot, Qt.Key.Key_T)
    qtbot.waitUntil(lambda: window.organise.tag_dialog is not None and window.organise.tag_dialog.isVisible())
    dialog = window.organise.tag_dialog
    completer = dialog.edit.completer()
    assert completer.model().stringList() == ["Places/Japan/Kyoto"]
    dialog.edit.setText("dog, ")
    completer.setCompletionPrefix("kyo")
    assert completer.currentCompletion() == "dog, Places/Japan/Kyoto"  # what choosing it writes
    dialog.edit.setText("dog, Places/Japan/Kyoto")
    dialog.accept()
    settle(window, qtbot)
    assert all(e.tags == ["dog", "Places/Japan/Kyoto"] for e in edits(window, ids).values())
    qtbot.waitUntil(lambda: window.edits_panel.tags.text() == "dog, Places/Japan/Kyoto")

    menu_action(context_menu(window, rows[0]), "Remove Tags…").trigger()
    window.context_menu.close()
    qtbot.waitUntil(lambda: window.organise.tag_dialog is not dialog and window.organise.tag_dialog.isVisible())
    remove = window.organise.tag_dialog
    assert remove.edit.text() == "dog, Places/Japan/Kyoto"
    remove.edit.setText("dog")
    remove.accept()
    settle(window, qtbot)
    assert all(e.tags == ["Places/Japan/Kyoto"] for e in edits(window, ids).values())


def test_show_in_file_manager_open_with_and_copy_image(window, qtbot, monkeypatch):
    from app.ui import desktop

    calls = []
    monkeypatch.setattr(desktop, "_show_items_dbus", lambda path: calls.append(("dbus", path)) or False)
    monkeypatch.setattr(desktop, "_open_url", lambda url: calls.append(("open", url.toLocalFile())) or True)
    monkeypatch.setattr(desktop, "_start", lambda program, args: calls.append((program, args)) or True)
    select(window, [0])
    path = window.browser.current_info().path
    menu_action(photo_menu(window), "Show in File Manager").trigger()
    assert calls[:2] == [("dbus", path), ("open", str(__import__("pathlib").Path(path).parent))]
    calls.clear()
    menu_action(context_menu(window, 0), "Open with Default App").trigger()
    window.context_menu.close()
    assert calls == [("open", path)]

    QGuiApplication.clipboard().clear()
    key(window, qtbot, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not QGuiApplication.clipboard().image().isNull())
    assert QGuiApplication.clipboard().image().size().toTuple() in ((320, 240), (240, 320))
    assert QGuiApplication.clipboard().mimeData().urls()[0].toLocalFile() == path


def test_viewer_zoom_one_to_one_pan_full_screen_and_slideshow(window, qtbot):
    viewer, canvas = window.viewer, window.viewer.canvas
    window.resize(900, 700)
    window.browser.open_viewer(0)
    qtbot.waitUntil(lambda: viewer._stage == 2)
    info = window.grid_model.info(0)
    assert canvas.zoom is None and canvas.scale() == canvas.fit_scale() <= 1.0
    qtbot.keyClick(viewer, Qt.Key.Key_Z)
    assert canvas.zoom == 1.0
    qtbot.keyClick(viewer, Qt.Key.Key_Plus)
    assert canvas.scale() == pytest.approx(1.25)
    qtbot.keyClick(viewer, Qt.Key.Key_Z)
    assert canvas.zoom is None  # Z again: fitted
    qtbot.keyClick(viewer, Qt.Key.Key_Plus)
    qtbot.keyClick(viewer, Qt.Key.Key_Minus)
    qtbot.keyClick(viewer, Qt.Key.Key_Minus)
    assert canvas.zoom is None  # zooming out stops at fitted
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent

    def wheel(steps: int) -> None:
        centre = QPointF(canvas.width() / 2, canvas.height() / 2)
        event = QWheelEvent(centre, canvas.mapToGlobal(centre), QPoint(0, 0), QPoint(0, 120 * steps),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                            False)
        QApplication_send(canvas, event)

    wheel(8)
    assert canvas.scale() == pytest.approx(min(8.0, canvas.fit_scale() * 1.25 ** 8))
    assert canvas.photo_size.width() * canvas.scale() > canvas.width()  # bigger than the window: drag pans
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    qtbot.mouseMove(canvas, QPoint(60, 100))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(60, 100))
    assert canvas.pan.x() < 0
    wheel(-20)
    assert canvas.zoom is None
    from PySide6.QtGui import QNativeGestureEvent, QPointingDevice

    pinch = QNativeGestureEvent(Qt.NativeGestureType.ZoomNativeGesture, QPointingDevice.primaryPointingDevice(), 2,
                                QPointF(50, 50), QPointF(50, 50), QPointF(50, 50), 0.5, QPointF(0, 0))
    QApplication_send(canvas, pinch)
    assert canvas.scale() == pytest.approx(canvas.fit_scale() * 1.5)
    qtbot.keyClick(viewer, Qt.Key.Key_Z)
    qtbot.keyClick(viewer, Qt.Key.Key_Z)
    assert info.width and canvas.photo_size.width() == info.width

    qtbot.keyClick(viewer, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen)
    qtbot.keyClick(viewer, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen())

    qtbot.keyClick(viewer, Qt.Key.Key_Space)
    assert viewer.slideshow.isActive() and "slideshow" in viewer.position.text()
    viewer.slideshow.timeout.emit()  # one tick, without waiting for the clock
    assert viewer.row == 1
    qtbot.keyClick(viewer, Qt.Key.Key_Space)
    assert not viewer.slideshow.isActive() and "slideshow" not in viewer.position.text()
    viewer.show_row(window.grid_model.rowCount() - 1)
    qtbot.keyClick(viewer, Qt.Key.Key_Space)
    viewer.slideshow.timeout.emit()  # at the end it stops
    assert not viewer.slideshow.isActive()
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    assert window.stack.currentWidget() is window.grid_page


def test_the_viewer_bar_shows_the_zoom_and_starts_the_slideshow(window, qtbot):
    """What Z, +/- and Space do is also on the viewer's bar, for a user who does not know the keys."""
    viewer, canvas = window.viewer, window.viewer.canvas
    window.browser.open_viewer(0)
    qtbot.waitUntil(lambda: viewer._stage == 2)
    assert viewer.zoom_button.isVisible() and viewer.zoom_button.text() == "Fit"
    qtbot.mouseClick(viewer.zoom_button, Qt.MouseButton.LeftButton)
    assert canvas.zoom == 1.0 and viewer.zoom_button.text() == "100%"
    qtbot.keyClick(viewer, Qt.Key.Key_Plus)
    assert viewer.zoom_button.text() == "125%"
    qtbot.mouseClick(viewer.zoom_button, Qt.MouseButton.LeftButton)
    assert canvas.zoom is None and viewer.zoom_button.text() == "Fit"
    qtbot.keyClick(viewer, Qt.Key.Key_Z)
    viewer.step(1)  # another photo starts fitted, and says so
    assert viewer.zoom_button.text() == "Fit"
    qtbot.mouseClick(viewer.slideshow_button, Qt.MouseButton.LeftButton)
    assert viewer.slideshow.isActive() and viewer.slideshow_button.isChecked()
    qtbot.keyClick(viewer, Qt.Key.Key_Space)  # Space pauses it, and the button says so
    assert not viewer.slideshow.isActive() and not viewer.slideshow_button.isChecked()


def QApplication_send(widget, event) -> None:
    from PySide6.QtWidgets import QApplication

    QApplication.sendEvent(widget, event)


def test_filter_bar_sorts_and_filters_the_grid(window, qtbot):
    model, bar, org = window.grid_model, window.browser.filter_bar, window.library.organise
    ids = list(model.ids)
    org.set_favourite([ids[1], ids[4]], True)
    org.set_rating([ids[4]], 4)
    org.set_rating([ids[2]], 2)
    org.set_rejected([ids[5]], True)
    bar.favourites.click()
    qtbot.waitUntil(lambda: list(model.ids) == [ids[1], ids[4]])
    assert window.count_label.text() == "2 photos"
    bar.favourites.click()
    bar.rating.setCurrentIndex(bar.rating.findData(2))
    qtbot.waitUntil(lambda: list(model.ids) == [ids[2], ids[4]])
    bar.sort.setCurrentIndex(bar.sort.findData("rating"))
    qtbot.waitUntil(lambda: list(model.ids) == [ids[4], ids[2]])
    bar.rating.setCurrentIndex(0)
    bar.hide_rejected.click()
    qtbot.waitUntil(lambda: len(model.ids) == 5 and ids[5] not in model.ids)
    assert bar.clear.isEnabled()
    bar.clear.click()
    qtbot.waitUntil(lambda: list(model.ids) == ids)
    assert not bar.clear.isEnabled()
    names = sorted(ids, key=lambda i: window.library.photos.get(i).path.rsplit("/", 1)[-1].lower())
    bar.sort.setCurrentIndex(bar.sort.findData("name"))
    qtbot.waitUntil(lambda: list(model.ids) == names)
    bar.type.setCurrentIndex(bar.type.findData("png"))
    qtbot.waitUntil(lambda: model.rowCount() == 0)
    bar.gps.click()
    bar.clear.click()
    qtbot.waitUntil(lambda: list(model.ids) == ids)

    window.browser.show_ids(ids[:2], {}, lambda rows: "", "")  # search results: the query itself filters them
    assert not bar.isVisible()


def test_tags_are_listed_in_the_sidebar_and_show_their_photos(window, qtbot):
    from app.ui.views import Mode, Place

    model = window.grid_model
    ids = list(model.ids)
    tags_item = window.sidebar.item(Mode.TAGS)
    qtbot.waitUntil(lambda: tags_item.isHidden())  # no tags yet: no heading
    select(window, [0, 2])
    window.organise.tag(["Places/Japan/Kyoto"])
    select(window, [3])
    window.organise.tag(["Places/Norway", "dog"])
    settle(window, qtbot)
    window.refresh()
    qtbot.waitUntil(lambda: not tags_item.isHidden() and tags_item.childCount() == 2)
    assert [tags_item.child(i).text(0) for i in range(2)] == ["dog  (1)", "Places"]
    places = tags_item.child(1)
    assert sorted(places.child(i).text(0) for i in range(places.childCount())) == ["Japan", "Norway  (1)"]
    window.navigate(Place(Mode.TAGS, "Places"))  # a tag shows its photos and those of the tags under it
    qtbot.waitUntil(lambda: window.browser.loaded and sorted(model.ids) == sorted([ids[0], ids[2], ids[3]]))
    window.navigate(Place(Mode.TAGS, "Places/Japan/Kyoto"))
    qtbot.waitUntil(lambda: window.browser.loaded and list(model.ids) == [ids[0], ids[2]])
    assert window.count_label.text() == "2 photos"


@pytest.mark.parametrize("rows", [[1], [1, 4]], ids=["one", "selection"])
def test_export_the_selection_with_sidecars(window, qtbot, tmp_path, rows):
    ids = select(window, rows)
    window.organise.set_rating(5)
    settle(window, qtbot)
    qtbot.keyClick(window.grid_view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.organise.export_dialog is not None and window.organise.export_dialog.isVisible())
    window.organise.export_dialog.fileSelected.emit(str(tmp_path / "out"))  # what choosing a folder sends
    settle(window, qtbot)
    jpgs, xmps = sorted((tmp_path / "out").rglob("*.jpg")), sorted((tmp_path / "out").rglob("*.xmp"))
    assert len(jpgs) == len(xmps) == len(ids)
    assert all(b'xmp:Rating="5"' in x.read_bytes() for x in xmps)
    qtbot.waitUntil(lambda: any("exported" in text for text in message_texts(window)))


def message_texts(window) -> list[str]:
    from PySide6.QtWidgets import QLabel

    return [label.text() for bar in window.message_area.messages() for label in bar.findChildren(QLabel)]


def test_details_section_is_collapsed_then_shows_histogram_and_exif(window, qtbot):
    details = window.details_panel
    select(window, [0])
    assert not details.body.isVisible() and details.loaded_for is None  # nothing read while collapsed
    details.toggle.click()
    photo_id = window.grid_model.photo_id(0)
    qtbot.waitUntil(lambda: details.loaded_for == photo_id)
    assert details.body.isVisible()
    assert details.histogram.channels is not None and len(details.histogram.channels) == 3
    assert sum(details.histogram.channels[0]) > 0
    assert "DateTimeOriginal" in details.tags.text() and "Image Make" in details.tags.text()
    select(window, [1])  # follows the current photo while open
    qtbot.waitUntil(lambda: details.loaded_for == window.grid_model.photo_id(1))


COPY_THEN_QUIT = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QImage
from app.ui import desktop
from app.ui.application import create_app

app = create_app(sys.argv)
image = QImage(16, 16, QImage.Format.Format_RGB32)
image.fill(QColor("red"))
desktop.copy_image(image, sys.argv[1])
QTimer.singleShot(0, app.quit)
sys.exit(app.exec())
"""


def test_quitting_after_copying_a_photo_exits_cleanly(tmp_path):
    """Copy a photo, quit: the process ends with status 0, not a crash at exit (it crashed with SIGSEGV when the
    Python-made clipboard data was deleted after Python had shut down)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", COPY_THEN_QUIT, str(tmp_path / "photo.jpg")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
